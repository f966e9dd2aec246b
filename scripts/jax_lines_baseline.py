"""The peer of `cargo bench --bench engines -- lines-32` (and `-- mnist`): A1 on N line images
of SIZE x SIZE pixels (default the paper's 1000 of 32 x 32 with 2-1-2), mini-batches of 32
(the last smaller) in each network's own order every epoch, mean squared error, Keras Adam at
lr 1e-3, glorot-uniform weights and zero biases, for a population of P networks vmapped and
jit-compiled with JAX. Prints network-epochs per second. The MNIST appendix's shape, 5958
images of 28 x 28 through 64-8-64 (line images stand in for the digits: the timing depends on
the shapes, not the pixels), is `... 1 3 5958 28 64-8-64`.

    python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax
    /tmp/jaxenv/bin/python scripts/jax_lines_baseline.py [networks] [epochs] [images] [side] [widths]
"""
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

P = int(sys.argv[1]) if len(sys.argv) > 1 else 64
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
N = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
SIZE = int(sys.argv[4]) if len(sys.argv) > 4 else 32
HIDDEN = tuple(int(w) for w in (sys.argv[5] if len(sys.argv) > 5 else "2-1-2").split("-"))
BATCH = 32
WIDTHS = (SIZE * SIZE, *HIDDEN, SIZE * SIZE)
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7

# The line images as aemc draws them (angles need not match aemc's stream for timing).
rng = np.random.default_rng(1)
theta = rng.uniform(0, 2 * np.pi, N)
c = (SIZE - 1) / 2
j, i = np.meshgrid(np.arange(SIZE), np.arange(SIZE))
x, y = (j - c).ravel(), (c - i).ravel()
IMAGES = jnp.asarray((np.outer(np.cos(theta), x) + np.outer(np.sin(theta), y) > 0).astype(np.float32))


def init(key):
    params = []
    for fan_in, fan_out in zip(WIDTHS, WIDTHS[1:]):
        key, sub = jax.random.split(key)
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        params.append((jax.random.uniform(sub, (fan_in, fan_out), jnp.float32, -limit, limit), jnp.zeros(fan_out)))
    return params


def loss(params, batch):
    h = batch
    for k, (w, b) in enumerate(params):
        h = h @ w + b
        h = jax.nn.sigmoid(h) if k == 3 else (h if k == 1 else jax.nn.relu(h))
    return jnp.mean((h - batch) ** 2)


def step(state, batch):
    params, m, v, t = state
    g = jax.grad(loss)(params, batch)
    t = t + 1
    alpha = LR * jnp.sqrt(1 - B2 ** t) / (1 - B1 ** t)
    m = jax.tree_util.tree_map(lambda m, g: m + (g - m) * (1 - B1), m, g)
    v = jax.tree_util.tree_map(lambda v, g: v + (g * g - v) * (1 - B2), v, g)
    params = jax.tree_util.tree_map(lambda p, m, v: p - m * alpha / (jnp.sqrt(v) + EPS), params, m, v)
    return (params, m, v, t), None


def epoch(state, key):
    order = jax.random.permutation(key, N)
    full = (N // BATCH) * BATCH
    batches = IMAGES[order[:full]].reshape(N // BATCH, BATCH, -1)
    state, _ = jax.lax.scan(step, state, batches)
    state, _ = step(state, IMAGES[order[full:]])
    return state


train_epoch = jax.jit(jax.vmap(epoch))
keys = jax.random.split(jax.random.PRNGKey(0), P)
params = jax.vmap(init)(keys)
zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
state = (params, zeros, zeros, jnp.zeros(P))
jax.block_until_ready(train_epoch(state, keys))  # compile
best = float("inf")
for e in range(EPOCHS):
    start = time.perf_counter()
    state = train_epoch(state, jax.random.split(jax.random.PRNGKey(e + 1), P))
    jax.block_until_ready(state)
    best = min(best, time.perf_counter() - start)
shape = f"{N} images of {SIZE} x {SIZE}, A1 {'-'.join(map(str, HIDDEN))}"
print(f"jax {jax.__version__}, {P} networks, {shape}, batch {BATCH}: {P / best:.3g} network-epochs/s (best of {EPOCHS} epochs)")
