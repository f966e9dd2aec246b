//! The native engine's kernel for A1 on images of any size (the lines, later MNIST): one
//! network at a time, its parameters in L1/L2 cache, the loops running over pixels, so that
//! each instruction advances 8 or 16 pixels of one image. Networks are independent and spread
//! over the cores with rayon, on threads that flush subnormals to zero ([`super::flush`]).
//!
//! The shape this is written for is the paper's: a wide input (1024 pixels) into narrow
//! hidden layers (2-1-2). Per image the forward and backward passes are a dozen passes over
//! the pixels: layer 1's dot products, layer 4's outputs, the sigmoid, the output error,
//! layer 4's and layer 1's gradients. Layer 1's kernel is held transposed (`[h1][pixels]`)
//! so that every one of those passes reads memory in order; it goes back to
//! [`ParamLayout`]'s order at the end. Gradients of a unit that relu turned off on an image
//! are skipped rather than added as zeros.
//!
//! Every sum has a fixed order: dot products over pixels accumulate in 16 lanes (pixel p in
//! lane p mod 16), which are then added pairwise; sums over images go in batch order. The
//! sigmoid uses [`exp`], a polynomial written with plain multiplies and adds (Rust does not
//! contract them into FMAs). So the compiler's vectorised copies for AVX-512, AVX2 and the
//! baseline instruction set give bit-identical results, and a network's result depends on
//! its initial parameters and seed alone. The burn engine computes the same training with
//! other summation orders and glibc's `expf`; the two agree to rounding (tests/engines.rs).

use rayon::prelude::*;

use super::flush::flushing;
use super::isa::Isa;
use super::{Batching, TrainSpec};
use crate::data::Dataset;
use crate::expf::expf;
use crate::model::ParamLayout;
use crate::model::vae::{Reduction, VaeSpec};
use crate::optim::{Optimizer, adam_alpha, adam_update};
use crate::rng::{data_order, vae_noise};

/// Lanes of the dot products' accumulators.
const ACC: usize = 16;

/// Σ a[p]·b[p], in 16 lanes added pairwise at the end (the module's fixed order).
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; ACC];
    let (ca, cb) = (a.chunks_exact(ACC), b.chunks_exact(ACC));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..ACC {
            acc[l] += x[l] * y[l];
        }
    }
    for l in 0..ra.len() {
        acc[l] += ra[l] * rb[l];
    }
    let mut width = ACC;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    acc[0]
}

/// e^x in f32 by Cody–Waite range reduction and Cephes' degree-6 polynomial for e^r on
/// [−ln2/2, ln2/2]: within 2 ulp of e^x for x in [−87, 88], clamped outside (so the result is
/// a normal float, or within 2 ulp of e^−87 and e^88 at the ends). Only multiplies, adds and
/// bit operations, so that loops of it vectorise and every copy rounds alike.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits.
    const SHIFT: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1)
        * r
        + 0.5;
    let er = p * (r * r) + r + 1.0;
    let scale = f32::from_bits(((shifted.to_bits() as i32 - SHIFT.to_bits() as i32 + 127) << 23) as u32);
    er * scale
}

/// The logistic sigmoid 1/(1 + e^−z) with [`exp`].
#[inline(always)]
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + exp(-z))
}

/// Where each parameter tensor sits in a network's internal parameter vector: as
/// [`ParamLayout`], except layer 1's kernel, held `[h1][pixels]`.
#[derive(Clone, Copy)]
struct Shape {
    layout: ParamLayout,
    pixels: usize,
}

impl Shape {
    /// The internal order of a network's parameters from [`ParamLayout`]'s (`forward`) or
    /// back (`!forward`).
    fn transposed(&self, params: &[f32], forward: bool) -> Vec<f32> {
        let mut out = params.to_vec();
        let l1 = &self.layout.layers[0];
        let (rows, cols) = (l1.fan_in, l1.fan_out);
        for i in 0..rows {
            for j in 0..cols {
                let (layout_index, internal_index) = (l1.weight_offset + i * cols + j, l1.weight_offset + j * rows + i);
                if forward {
                    out[internal_index] = params[layout_index];
                } else {
                    out[layout_index] = params[internal_index];
                }
            }
        }
        out
    }
}

/// Per-image working memory.
struct Scratch {
    pre1: Vec<f32>,
    code: Vec<f32>,
    pre3: Vec<f32>,
    z: Vec<f32>,
    /// A2's mean head a, its b head and σ(b).
    a: Vec<f32>,
    b: Vec<f32>,
    sigma: Vec<f32>,
}

/// What A2 adds to one image's step: its reading, the image's noise ε (one per latent unit)
/// and the KL term's factor, kl_weight times the reduction over units, over the batch size.
#[derive(Clone, Copy)]
struct Variational<'a> {
    spec: &'a VaeSpec,
    eps: &'a [f32],
    kl_scale: f32,
}

/// Adds one image's gradient of `scale`·Σ_p (y_p − x_p)² to `g` (all in the internal order);
/// for A2 (`vae`), decoding z = a + noise_std·σ(b)·ε, and adding the KL term's gradient.
#[inline(always)]
fn accumulate<const VAE: bool>(
    shape: &Shape,
    theta: &[f32],
    g: &mut [f32],
    x: &[f32],
    scale: f32,
    vae: Option<Variational>,
    s: &mut Scratch,
) {
    // A1's copy (VAE false) has no trace of A2's code.
    let vae = if VAE { vae } else { None };
    let [l1, l2, l3, l4] = &shape.layout.layers;
    let pixels = shape.pixels;
    let (h1, h2, h3) = (l1.fan_out, l2.fan_out, l3.fan_out);
    let w1t = |j: usize| &theta[l1.weight_offset + j * pixels..l1.weight_offset + (j + 1) * pixels];
    for j in 0..h1 {
        s.pre1[j] = dot(x, w1t(j)) + theta[l1.bias_offset + j];
    }
    for k in 0..h2 {
        let mut acc = theta[l2.bias_offset + k];
        for j in 0..h1 {
            acc += s.pre1[j].max(0.0) * theta[l2.w(j, k)];
        }
        s.code[k] = acc;
    }
    if let Some(v) = vae {
        let head = shape.layout.b_head.expect("A2's layout has the b head");
        let noise_std = v.spec.noise_std as f32;
        for k in 0..h2 {
            let mut acc = theta[head.bias_offset + k];
            for j in 0..h1 {
                acc += s.pre1[j].max(0.0) * theta[head.w(j, k)];
            }
            (s.a[k], s.b[k], s.sigma[k]) = (s.code[k], acc, v.spec.sigma_of(acc));
            s.code[k] = s.a[k] + noise_std * s.sigma[k] * v.eps[k];
        }
    }
    for i in 0..h3 {
        let mut acc = theta[l3.bias_offset + i];
        for k in 0..h2 {
            acc += s.code[k] * theta[l3.w(k, i)];
        }
        s.pre3[i] = acc;
    }
    let w4 = |i: usize| l4.weight_offset + i * pixels..l4.weight_offset + (i + 1) * pixels;
    let z = &mut s.z[..pixels];
    z.copy_from_slice(&theta[l4.bias_offset..l4.bias_offset + pixels]);
    for i in 0..h3 {
        let h = s.pre3[i].max(0.0);
        if h != 0.0 {
            for (z, w) in z.iter_mut().zip(&theta[w4(i)]) {
                *z += h * w;
            }
        }
    }
    // z becomes the output error dL/dz = scale·2(y − x)·y(1 − y), folded into layer 4's bias.
    for ((z, &x), gb) in z.iter_mut().zip(x).zip(&mut g[l4.bias_offset..l4.bias_offset + pixels]) {
        let y = sigmoid(*z);
        *z = scale * (y - x) * (y * (1.0 - y));
        *gb += *z;
    }
    let mut dpre3 = [0.0f32; crate::model::Widths::MAX];
    for i in 0..h3 {
        let h = s.pre3[i].max(0.0);
        if h != 0.0 {
            for (gw, &dz) in g[w4(i)].iter_mut().zip(z.iter()) {
                *gw += h * dz;
            }
        }
        if s.pre3[i] > 0.0 || s.pre3[i].is_nan() {
            dpre3[i] = dot(&theta[w4(i)], z);
        }
    }
    let mut dcode = [0.0f32; crate::model::Widths::MAX];
    for i in 0..h3 {
        g[l3.bias_offset + i] += dpre3[i];
        for k in 0..h2 {
            g[l3.w(k, i)] += s.code[k] * dpre3[i];
            dcode[k] += theta[l3.w(k, i)] * dpre3[i];
        }
    }
    // dcode is dL/dz; for A2 it becomes dL/da, and dhead dL/db, each with the KL term's part.
    let mut dhead = [0.0f32; crate::model::Widths::MAX];
    if let Some(v) = vae {
        let head = shape.layout.b_head.expect("A2's layout has the b head");
        let noise_std = v.spec.noise_std as f32;
        for k in 0..h2 {
            let dz = dcode[k];
            dcode[k] = dz + v.kl_scale * s.a[k];
            dhead[k] = dz * noise_std * v.eps[k] * s.sigma[k] * v.spec.dlog_sigma_db()
                + v.kl_scale * 0.5 * (expf(s.b[k]) - 1.0);
            g[head.bias_offset + k] += dhead[k];
            for j in 0..h1 {
                g[head.w(j, k)] += s.pre1[j].max(0.0) * dhead[k];
            }
        }
    }
    for k in 0..h2 {
        g[l2.bias_offset + k] += dcode[k];
        for j in 0..h1 {
            g[l2.w(j, k)] += s.pre1[j].max(0.0) * dcode[k];
        }
    }
    for j in 0..h1 {
        if !(s.pre1[j] > 0.0 || s.pre1[j].is_nan()) {
            continue;
        }
        let mut dpre1: f32 = (0..h2).map(|k| theta[l2.w(j, k)] * dcode[k]).sum();
        if let Some(head) = vae.and(shape.layout.b_head) {
            dpre1 += (0..h2).map(|k| theta[head.w(j, k)] * dhead[k]).sum::<f32>();
        }
        if dpre1 == 0.0 {
            continue;
        }
        g[l1.bias_offset + j] += dpre1;
        let row = l1.weight_offset + j * pixels..l1.weight_offset + (j + 1) * pixels;
        for (gw, &x) in g[row].iter_mut().zip(x) {
            *gw += dpre1 * x;
        }
    }
}

/// What every network of a population is trained on, and how.
struct Task<'a> {
    spec: &'a TrainSpec,
    data: &'a Dataset,
    batching: Batching,
    shape: Shape,
}

/// Trains one network (module documentation); `initial` in [`ParamLayout`]'s order.
#[inline(always)]
fn train_network(task: &Task, initial: &[f32], seed: u64) -> Vec<f32> {
    if task.spec.vae.is_some() {
        train_network_of::<true>(task, initial, seed)
    } else {
        train_network_of::<false>(task, initial, seed)
    }
}

/// [`train_network`] for A2 (`VAE`) or A1.
#[inline(always)]
fn train_network_of<const VAE: bool>(task: &Task, initial: &[f32], seed: u64) -> Vec<f32> {
    let Task { spec, data, batching, ref shape } = *task;
    let mut theta = shape.transposed(initial, true);
    let (mut g, mut m, mut v) = (vec![0.0f32; theta.len()], vec![0.0f32; theta.len()], vec![0.0f32; theta.len()]);
    let widest = shape.layout.layers.iter().map(|l| l.fan_out).max().unwrap_or(0);
    let mut scratch = Scratch {
        pre1: vec![0.0; widest],
        code: vec![0.0; widest],
        pre3: vec![0.0; widest],
        z: vec![0.0; shape.pixels],
        a: vec![0.0; widest],
        b: vec![0.0; widest],
        sigma: vec![0.0; widest],
    };
    let h2 = spec.widths.h2;
    let mut eps = vec![0.0f32; h2];
    let reconstruction = spec.vae.map_or(Reduction::Mean, |v| v.reconstruction);
    let count = data.count();
    let in_order: Vec<usize> = (0..count).collect();
    let mut shuffled: Vec<usize>;
    let mut t = 0u32;
    for epoch in 0..spec.epochs {
        let (order, size) = match batching {
            Batching::Full => (&in_order, count),
            Batching::MiniBatch { size } => {
                shuffled = data_order(seed, epoch, count);
                (&shuffled, size)
            }
        };
        for batch in order.chunks(size) {
            t += 1;
            g.fill(0.0);
            // 2(y − x) over the batch's images, and over the pixels for a mean.
            let scale = match reconstruction {
                Reduction::Mean => 2.0 / (batch.len() * shape.pixels) as f32,
                Reduction::Sum => 2.0 / batch.len() as f32,
            };
            for &k in batch {
                let vae = spec.vae.as_ref().map(|v| {
                    eps.iter_mut().enumerate().for_each(|(unit, e)| *e = vae_noise(seed, epoch, k, unit));
                    let kl_scale = v.kl_weight as f32 * v.kl.factor(h2) / batch.len() as f32;
                    Variational { spec: v, eps: &eps, kl_scale }
                });
                accumulate::<VAE>(shape, &theta, &mut g, data.image(k), scale, vae, &mut scratch);
            }
            match spec.optimizer {
                Optimizer::Sgd => theta.iter_mut().zip(&g).for_each(|(th, &g)| *th -= spec.lr * g),
                Optimizer::Adam => {
                    let alpha = adam_alpha(spec.lr, t);
                    for (((th, m), v), &g) in theta.iter_mut().zip(&mut m).zip(&mut v).zip(&g) {
                        adam_update(th, m, v, g, alpha);
                    }
                }
            }
        }
    }
    shape.transposed(&theta, false)
}

/// [`train_network`] compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
fn train_network_avx512(task: &Task, initial: &[f32], seed: u64) -> Vec<f32> {
    train_network(task, initial, seed)
}

/// [`train_network`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn train_network_avx2(task: &Task, initial: &[f32], seed: u64) -> Vec<f32> {
    train_network(task, initial, seed)
}

/// Trains each network of a population on `data` with the kernel compiled for `isa`
/// ([`super::Engine::train_on`]'s contract).
pub fn train_with_isa(
    isa: Isa,
    spec: &TrainSpec,
    data: &Dataset,
    batching: Batching,
    initial: &[Vec<f32>],
    seeds: &[u64],
) -> Vec<Vec<f32>> {
    assert!(isa.available(), "{} is not available on this CPU", isa.name());
    assert!(batching == Batching::Full || seeds.len() == initial.len(), "one seed per network");
    let layout = ParamLayout::for_model(data.pixels(), spec.widths, spec.vae.is_some());
    let shape = Shape { layout, pixels: data.pixels() };
    let task = Task { spec, data, batching, shape };
    flushing(|| {
        initial
            .par_iter()
            .enumerate()
            .map(|(k, net)| {
                let seed = seeds.get(k).copied().unwrap_or(0);
                match isa {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the CPU runs AVX-512F (asserted above).
                    Isa::Avx512 => unsafe { train_network_avx512(&task, net, seed) },
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the CPU runs AVX2 and FMA (asserted above).
                    Isa::Avx2 => unsafe { train_network_avx2(&task, net, seed) },
                    _ => train_network(&task, net, seed),
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp() {
        for bits in (0..=u32::MAX).step_by(1009) {
            let x = f32::from_bits(bits);
            if !(-87.0..=88.0).contains(&x) {
                continue;
            }
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            assert!((got - want).abs() <= 2.0 * f64::from(f32::EPSILON) * want, "exp({x:e}) = {got:e}, want {want:e}");
        }
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn dot_is_the_sum_of_products() {
        let a: Vec<f32> = (0..37).map(|k| k as f32 * 0.5).collect();
        let b: Vec<f32> = (0..37).map(|k| 1.0 - k as f32 * 0.01).collect();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
        assert!((f64::from(dot(&a, &b)) - want).abs() < 1e-4, "{} vs {want}", dot(&a, &b));
    }

    #[test]
    fn internal_order_round_trips() {
        let shape =
            Shape { layout: ParamLayout::for_pixels(9, crate::model::Widths::new(3, 2, 4).unwrap()), pixels: 9 };
        let params: Vec<f32> = (0..shape.layout.len).map(|k| k as f32).collect();
        let inner = shape.transposed(&params, true);
        assert_ne!(inner, params);
        assert_eq!(shape.transposed(&inner, false), params);
        // Layer 1's kernel is [pixels][h1] in the layout and [h1][pixels] inside.
        assert_eq!(inner[1], params[3]);
    }
}
