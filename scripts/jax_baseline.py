"""The peer of `cargo bench --bench engines` and scripts/sweep-bench.sh: the paper's 2-1-2
training (4 -> 2 relu -> 1 -> 2 relu -> 4 sigmoid, full batch on the four 2x2 images, mean
squared error, Keras Adam at lr 1e-3, glorot-uniform weights, zero biases) for a population of
networks, jit-compiled with JAX and vmapped over networks in the layout measured fastest here:
every parameter its own array over networks. Prints network-epochs per second for early
training (epochs 1-E) and late training (E more after 20000 - E).

    python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax
    /tmp/jaxenv/bin/python scripts/jax_baseline.py [networks] [epochs]
"""
import sys
import time

import jax
import jax.numpy as jnp

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
E = int(sys.argv[2]) if len(sys.argv) > 2 else 200
STUDY = 20_000
WIDTHS = (4, 2, 1, 2, 4)
IMAGES = jnp.array([[0, 0, 1, 1], [1, 0, 1, 0], [1, 1, 0, 0], [0, 1, 0, 1]], jnp.float32)
LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7


def init(key):
    """Every weight and bias its own [N] array: w{layer}_{in}_{out}, b{layer}_{out}."""
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(WIDTHS, WIDTHS[1:]), 1):
        limit = (6.0 / (fan_in + fan_out)) ** 0.5
        for i in range(fan_in):
            for o in range(fan_out):
                key, sub = jax.random.split(key)
                params[f"w{layer}_{i}_{o}"] = jax.random.uniform(sub, (N,), jnp.float32, -limit, limit)
        for o in range(fan_out):
            params[f"b{layer}_{o}"] = jnp.zeros((N,), jnp.float32)
    return params


def loss(params):
    """Sum over networks of each network's mean squared error (so each gets its own gradient)."""
    total = 0.0
    for image in IMAGES:
        x = [jnp.full((N,), v) for v in image]
        for layer, (fan_in, fan_out) in enumerate(zip(WIDTHS, WIDTHS[1:]), 1):
            z = [sum(x[i] * params[f"w{layer}_{i}_{o}"] for i in range(fan_in)) + params[f"b{layer}_{o}"]
                 for o in range(fan_out)]
            x = [jax.nn.sigmoid(v) for v in z] if layer == 4 else (z if layer == 2 else [jax.nn.relu(v) for v in z])
        total = total + sum(jnp.sum((y - t) ** 2) for y, t in zip(x, image))
    return total / 16.0


@jax.jit
def train(params, m, v, t0):
    def step(t, state):
        params, m, v = state
        g = jax.grad(loss)(params)
        tf = (t + 1).astype(jnp.float32)
        alpha = LR * jnp.sqrt(1 - B2 ** tf) / (1 - B1 ** tf)
        m = {k: m[k] + (g[k] - m[k]) * (1 - B1) for k in params}
        v = {k: v[k] + (g[k] * g[k] - v[k]) * (1 - B2) for k in params}
        params = {k: params[k] - m[k] * alpha / (jnp.sqrt(v[k]) + EPS) for k in params}
        return params, m, v
    return jax.lax.fori_loop(t0, t0 + E, step, (params, m, v))


def timed(state, t0, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = train(*state, t0)
        jax.block_until_ready(out)
        best = min(best, time.perf_counter() - start)
    return out, best


params = init(jax.random.PRNGKey(1))
zeros = {k: jnp.zeros_like(p) for k, p in params.items()}
state = (params, zeros, zeros)
jax.block_until_ready(train(*state, 0))  # compile
_, early = timed(state, 0)
late_state = state
for t0 in range(0, STUDY - E, E):
    late_state = train(*late_state, t0)
_, late = timed(late_state, STUDY - E)
print(f"jax {jax.__version__}, {N} networks, {E} epochs a call, best of 3:")
print(f"early (epochs 1-{E}): {N * E / early:.3g} network-epochs/s")
print(f"late (epochs {STUDY - E + 1}-{STUDY}): {N * E / late:.3g} network-epochs/s")
