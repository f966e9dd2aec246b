//! The native engine: forward pass, backward pass and optimiser hand-derived and fused into
//! one loop over a block of networks held as structure of arrays: every parameter is a
//! vector of `LANES` values, one per network, so each arithmetic instruction advances
//! `LANES` networks. A block runs all its epochs while its parameters sit in L1 cache;
//! blocks are spread over the cores with rayon.
//!
//! The kernel is written once, generic over the hidden widths: common widths get their own
//! instantiation with constant loop bounds, every other width up to 16 the instantiation
//! whose bounds are read at run time. It is compiled twice, for AVX2 and for the baseline
//! instruction set, and the AVX2 copy is chosen at run time where the CPU has it (with
//! FMA, which [`super::expf`] uses explicitly and nothing else uses implicitly: Rust does
//! not contract), so both copies give bit-identical results on every x86-64 machine.
//!
//! The kernel repeats the burn engine's arithmetic operation for operation, so that the two
//! engines agree bit for bit: each sum in burn's order (from zero, inputs in index order,
//! images in order), relu and the sigmoid as burn's Flex backend computes them, e^x as the
//! glibc `expf` Flex calls, and the loss gradient rounded as burn's autodiff rounds it.

use rayon::prelude::*;

use super::expf::sigmoid;
use super::{Engine, TrainSpec};
use crate::data::{IMAGE_COUNT, IMAGES, PIXELS};
use crate::model::{LayerSlot, ParamLayout, Widths};
use crate::optim::{ADAM_EPSILON, ADAM_ONE_MINUS_BETA1, ADAM_ONE_MINUS_BETA2, Optimizer};

/// Networks advanced by one instruction: 8 f32 lanes fill an AVX2 register.
pub const LANES: usize = 8;
/// Largest hidden width the native engine trains.
pub const MAX_WIDTH: usize = 16;

type V = [f32; LANES];

/// 1/16: the loss is the mean over 4 images × 4 pixels.
const INV_SIXTEEN: f32 = 1.0 / (IMAGE_COUNT * PIXELS) as f32;

/// relu as Flex computes it (`x > 0 ? x : 0`, so −0 becomes +0).
#[inline(always)]
fn relu(z: f32) -> f32 {
    if z > 0.0 { z } else { 0.0 }
}

/// The native CPU engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeEngine;

impl NativeEngine {
    /// Whether the engine can train networks of these widths.
    pub fn supports(widths: Widths) -> bool {
        widths.h1 <= MAX_WIDTH && widths.h2 <= MAX_WIDTH && widths.h3 <= MAX_WIDTH
    }

    /// The instruction set the kernel runs with on this machine.
    pub fn instruction_set() -> &'static str {
        if avx2_available() { "avx2" } else { "portable" }
    }
}

fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[inline(always)]
fn splat(x: f32) -> V {
    [x; LANES]
}

#[inline(always)]
fn map1(a: &V, f: impl Fn(f32) -> f32) -> V {
    // Not `[T; N]::map`, which is not always inlined into the AVX2 copy.
    std::array::from_fn(|l| f(a[l]))
}

#[inline(always)]
fn map2(a: &V, b: &V, f: impl Fn(f32, f32) -> f32) -> V {
    std::array::from_fn(|l| f(a[l], b[l]))
}

/// One Keras Adam update of one parameter of every network in the block (as
/// [`crate::optim::adam_update`], lane by lane).
#[inline(always)]
fn adam_lanes<const AVX2: bool>(theta: &mut V, m: &mut V, v: &mut V, g: &V, alpha: f32) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: the AVX2 instantiation runs only where AVX2 and FMA were detected.
        return unsafe { adam_avx2(theta, m, v, g, alpha) };
    }
    // Whole-vector operations: a per-lane loop here stays scalar.
    *m = map2(m, g, |m, g| m + (g - m) * ADAM_ONE_MINUS_BETA1);
    *v = map2(v, g, |v, g| v + (g * g - v) * ADAM_ONE_MINUS_BETA2);
    let step = map2(m, v, |m, v| (m * alpha) / (v.sqrt() + ADAM_EPSILON));
    *theta = map2(theta, &step, |t, s| t - s);
}

/// [`adam_lanes`] with AVX2 intrinsics, the same operations in the same order. Written out
/// because the compiler vectorises the lane-wise version across parameters instead, with
/// an 8×8 transpose around every eight of them (half of the kernel's time went there).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn adam_avx2(theta: &mut V, m: &mut V, v: &mut V, g: &V, alpha: f32) {
    use std::arch::x86_64::*;
    // SAFETY: each pointer is to 8 floats, read and written unaligned.
    unsafe {
        let g = _mm256_loadu_ps(g.as_ptr());
        let m_old = _mm256_loadu_ps(m.as_ptr());
        let v_old = _mm256_loadu_ps(v.as_ptr());
        let m_new = _mm256_add_ps(m_old, _mm256_mul_ps(_mm256_sub_ps(g, m_old), _mm256_set1_ps(ADAM_ONE_MINUS_BETA1)));
        let v_new = _mm256_add_ps(
            v_old,
            _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(g, g), v_old), _mm256_set1_ps(ADAM_ONE_MINUS_BETA2)),
        );
        let step = _mm256_div_ps(
            _mm256_mul_ps(m_new, _mm256_set1_ps(alpha)),
            _mm256_add_ps(_mm256_sqrt_ps(v_new), _mm256_set1_ps(ADAM_EPSILON)),
        );
        _mm256_storeu_ps(m.as_mut_ptr(), m_new);
        _mm256_storeu_ps(v.as_mut_ptr(), v_new);
        _mm256_storeu_ps(theta.as_mut_ptr(), _mm256_sub_ps(_mm256_loadu_ps(theta.as_ptr()), step));
    }
}

/// The backward pass of one dense layer for one image: accumulates the bias and kernel
/// gradients from the output gradient `d_out(o)` and adds the input gradient to `d_in`.
#[inline(always)]
fn dense_backward(
    slot: &LayerSlot,
    theta: &[V],
    grad: &mut [V],
    input: &[V],
    d_out: impl Fn(usize) -> V,
    d_in: &mut [V],
) {
    for o in 0..slot.fan_out {
        let d = d_out(o);
        grad[slot.b(o)] = map2(&grad[slot.b(o)], &d, |g, d| g + d);
        for (i, a) in input.iter().enumerate() {
            grad[slot.w(i, o)] = map2(&grad[slot.w(i, o)], &map2(a, &d, |a, d| a * d), |g, x| g + x);
            d_in[i] = map2(&d_in[i], &map2(&d, &theta[slot.w(i, o)], |d, w| d * w), |g, x| g + x);
        }
    }
}

/// The kernel's widths: constants where the instantiation names them, else the run-time ones.
#[inline(always)]
fn width(constant: usize, runtime: usize) -> usize {
    if constant == MAX_WIDTH { runtime } else { constant }
}

/// Trains one block of `LANES` networks for all epochs. `theta`, `m` and `v` hold one
/// vector per parameter in [`ParamLayout`] order; `alphas` is [`TrainSpec::adam_alphas`].
#[inline(always)]
fn train_block<const H1: usize, const H2: usize, const H3: usize, const AVX2: bool>(
    spec: &TrainSpec,
    alphas: &[f32],
    theta: &mut [V],
    m: &mut [V],
    v: &mut [V],
) {
    let (h1, h2, h3) = (width(H1, spec.widths.h1), width(H2, spec.widths.h2), width(H3, spec.widths.h3));
    let layout = ParamLayout::new(Widths { h1, h2, h3 });
    let [l1, l2, l3, l4] = layout.layers;
    // Slices of the layout's (often constant) length let the compiler drop bounds checks.
    let (theta, m, v) = (&mut theta[..layout.len], &mut m[..layout.len], &mut v[..layout.len]);
    let mut grad = vec![splat(0.0); layout.len];
    let grad = &mut grad[..layout.len];
    let zero = splat(0.0);
    let mut pre1 = [[zero; H1]; IMAGE_COUNT];
    let mut act1 = [[zero; H1]; IMAGE_COUNT];
    let mut code = [[zero; H2]; IMAGE_COUNT];
    let mut pre3 = [[zero; H3]; IMAGE_COUNT];
    let mut act3 = [[zero; H3]; IMAGE_COUNT];
    let mut dlogit = [[zero; PIXELS]; IMAGE_COUNT];
    for t in 1..=spec.epochs {
        // Forward: x·W + b for each layer, as the burn engine does.
        for (k, x) in IMAGES.iter().enumerate() {
            for j in 0..h1 {
                let mut acc = zero;
                for (p, &xp) in x.iter().enumerate() {
                    acc = map2(&acc, &theta[l1.w(p, j)], |a, w| a + xp * w);
                }
                pre1[k][j] = map2(&acc, &theta[l1.b(j)], |a, b| a + b);
                act1[k][j] = map1(&pre1[k][j], relu);
            }
            for c in 0..h2 {
                let mut acc = zero;
                for j in 0..h1 {
                    acc = map2(&acc, &map2(&act1[k][j], &theta[l2.w(j, c)], |a, w| a * w), |a, b| a + b);
                }
                code[k][c] = map2(&acc, &theta[l2.b(c)], |a, b| a + b);
            }
            for u in 0..h3 {
                let mut acc = zero;
                for c in 0..h2 {
                    acc = map2(&acc, &map2(&code[k][c], &theta[l3.w(c, u)], |a, w| a * w), |a, b| a + b);
                }
                pre3[k][u] = map2(&acc, &theta[l3.b(u)], |a, b| a + b);
                act3[k][u] = map1(&pre3[k][u], relu);
            }
            for (p, &xp) in x.iter().enumerate() {
                let mut acc = zero;
                for u in 0..h3 {
                    acc = map2(&acc, &map2(&act3[k][u], &theta[l4.w(u, p)], |a, w| a * w), |a, b| a + b);
                }
                let logit = map2(&acc, &theta[l4.b(p)], |a, b| a + b);
                let y = map1(&logit, sigmoid);
                // d(Σ(y−x)²/16)/dlogit = 2(y−x)/16 · y(1−y), rounded as burn's autodiff
                // rounds it: the square's two factors each contribute (y−x)/16, then the
                // sigmoid's backward multiplies by y and by 1−y in turn.
                dlogit[k][p] = map1(&y, |y| {
                    let half = (y - xp) * INV_SIXTEEN;
                    ((half + half) * y) * (1.0 - y)
                });
            }
        }
        // Backward, layer 4 down to layer 1, accumulating over the four images.
        grad.iter_mut().for_each(|g| *g = zero);
        for k in 0..IMAGE_COUNT {
            let x = &IMAGES[k];
            let mut dact3 = [zero; H3];
            dense_backward(&l4, theta, grad, &act3[k][..h3], |p| dlogit[k][p], &mut dact3);
            let mut dcode = [zero; H2];
            // relu'(z) = 0 for z ≤ 0, as burn.
            let relu3 = |u: usize| map2(&dact3[u], &pre3[k][u], |g, z| if z > 0.0 { g } else { 0.0 });
            dense_backward(&l3, theta, grad, &code[k][..h2], relu3, &mut dcode);
            let mut dact1 = [zero; H1];
            dense_backward(&l2, theta, grad, &act1[k][..h1], |c| dcode[c], &mut dact1);
            for j in 0..h1 {
                let d = map2(&dact1[j], &pre1[k][j], |g, z| if z > 0.0 { g } else { 0.0 });
                grad[l1.b(j)] = map2(&grad[l1.b(j)], &d, |g, d| g + d);
                for (p, &xp) in x.iter().enumerate() {
                    grad[l1.w(p, j)] = map2(&grad[l1.w(p, j)], &d, |g, d| g + xp * d);
                }
            }
        }
        // Update.
        match spec.optimizer {
            Optimizer::Sgd => {
                for (th, g) in theta.iter_mut().zip(grad.iter()) {
                    *th = map2(th, g, |th, g| th - g * spec.lr);
                }
            }
            Optimizer::Adam => {
                let alpha = alphas[t as usize - 1];
                for ((th, g), (m, v)) in theta.iter_mut().zip(grad.iter()).zip(m.iter_mut().zip(v.iter_mut())) {
                    adam_lanes::<AVX2>(th, m, v, g, alpha);
                }
            }
        }
    }
}

/// The kernel for given widths, compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn train_block_avx2<const H1: usize, const H2: usize, const H3: usize>(
    spec: &TrainSpec,
    alphas: &[f32],
    theta: &mut [V],
    m: &mut [V],
    v: &mut [V],
) {
    train_block::<H1, H2, H3, true>(spec, alphas, theta, m, v)
}

/// The kernel for given widths, compiled for the baseline instruction set.
fn train_block_portable<const H1: usize, const H2: usize, const H3: usize>(
    spec: &TrainSpec,
    alphas: &[f32],
    theta: &mut [V],
    m: &mut [V],
    v: &mut [V],
) {
    train_block::<H1, H2, H3, false>(spec, alphas, theta, m, v)
}

type Kernel = fn(&TrainSpec, &[f32], &mut [V], &mut [V], &mut [V]);

fn kernel_for<const H1: usize, const H2: usize, const H3: usize>(avx2: bool) -> Kernel {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: chosen only where the CPU reports AVX2.
        return |s, a, t, m, v| unsafe { train_block_avx2::<H1, H2, H3>(s, a, t, m, v) };
    }
    let _ = avx2;
    train_block_portable::<H1, H2, H3>
}

/// The kernel instantiation for these widths on this CPU.
fn kernel(widths: Widths, avx2: bool) -> Kernel {
    match (widths.h1, widths.h2, widths.h3) {
        (2, 1, 2) => kernel_for::<2, 1, 2>(avx2),
        (3, 1, 3) => kernel_for::<3, 1, 3>(avx2),
        (4, 1, 4) => kernel_for::<4, 1, 4>(avx2),
        (5, 2, 5) => kernel_for::<5, 2, 5>(avx2),
        _ => kernel_for::<MAX_WIDTH, MAX_WIDTH, MAX_WIDTH>(avx2),
    }
}

impl NativeEngine {
    /// Trains with the portable kernel even where AVX2 exists (for tests and benchmarks).
    pub fn train_portable(&self, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>> {
        train_with(spec, initial, kernel(spec.widths, false))
    }
}

fn train_with(spec: &TrainSpec, initial: &[Vec<f32>], kernel: Kernel) -> Vec<Vec<f32>> {
    assert!(NativeEngine::supports(spec.widths), "native engine: widths {} exceed {MAX_WIDTH}", spec.widths);
    let len = ParamLayout::new(spec.widths).len;
    let mut finals = vec![vec![0.0f32; len]; initial.len()];
    let alphas = spec.adam_alphas();
    finals.par_chunks_mut(LANES).zip(initial.par_chunks(LANES)).for_each(|(out, nets)| {
        // Lanes past the population's end train copies of its first network and are dropped.
        let mut theta: Vec<V> = (0..len).map(|k| std::array::from_fn(|l| nets.get(l).unwrap_or(&nets[0])[k])).collect();
        let mut m = vec![splat(0.0); len];
        let mut v = vec![splat(0.0); len];
        kernel(spec, &alphas, &mut theta, &mut m, &mut v);
        for (l, net) in out.iter_mut().enumerate() {
            for (k, p) in net.iter_mut().enumerate() {
                *p = theta[k][l];
            }
        }
    });
    finals
}

impl Engine for NativeEngine {
    fn name(&self) -> &'static str {
        "native"
    }

    fn train(&self, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>> {
        train_with(spec, initial, kernel(spec.widths, avx2_available()))
    }
}
