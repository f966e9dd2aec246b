//! The native engine's kernel for A1 and A2 on images of any size (the lines, MNIST): one
//! network at a time, its parameters in L2 cache. Networks are independent and spread over
//! the cores with rayon, on threads that flush subnormals to zero ([`super::flush`]).
//!
//! Per image the forward and backward passes are a handful of passes over the pixels: layer
//! 1's dot products, layer 4's outputs, the sigmoid and output error, layer 4's and layer 1's
//! gradients. Those wide passes ([`super::wide`]) take the images of a batch four at a time,
//! several weight rows together, 16 pixels an instruction ([`super::lanes`]); the narrow
//! middle layers go image by image, vectorised along each weight row. Layer 1's kernel is
//! held transposed (`[h1][pixels]`) so that every wide pass reads memory in order; it goes
//! back to [`ParamLayout`]'s order at the end. A unit that relu turned off on every image of
//! the four is skipped; on some of them, those images add zero products.
//!
//! Every sum has a fixed order: dot products over pixels accumulate in 16 lanes (pixel p in
//! lane p mod 16), which are then added pairwise; sums over images go in batch order. The
//! sigmoid uses [`exp`], a polynomial written with plain multiplies and adds (Rust does not
//! contract them into FMAs, and the lanes never use FMA instructions). So the copies for
//! AVX-512, AVX2 and the baseline instruction set give bit-identical results, and a network's
//! result depends on its initial parameters and seed alone, not on how images are grouped.
//! The burn engine computes the same training with other summation orders and glibc's
//! `expf`; the two agree to rounding (tests/engines.rs).

use rayon::prelude::*;

use super::flush::flushing;
use super::isa::Isa;
use super::lanes::{Lanes, Portable};
use super::wide::{self, TILE};
use super::{Batching, TrainSpec};
use crate::data::Dataset;
use crate::expf::expf;
use crate::model::ParamLayout;
use crate::model::vae::{Reduction, VaeSpec};
use crate::optim::{Optimizer, adam_alpha, adam_update};
use crate::rng::{data_order, vae_noise};

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
    /// Layer 4's pre-sigmoid values, then the output error dL/dz.
    z: Vec<f32>,
    /// A2's mean head a, its b head and σ(b).
    a: Vec<f32>,
    b: Vec<f32>,
    sigma: Vec<f32>,
    /// dL/d(layer 1's pre-activation), zero where relu is off.
    dpre1: Vec<f32>,
}

impl Scratch {
    fn new(widest: usize, pixels: usize) -> Scratch {
        let units = || vec![0.0; widest];
        Scratch {
            pre1: units(),
            code: units(),
            pre3: units(),
            z: vec![0.0; pixels],
            a: units(),
            b: units(),
            sigma: units(),
            dpre1: units(),
        }
    }
}

/// What A2 adds to one image's step: its reading, the image's noise ε (one per latent unit)
/// and the KL term's factor, kl_weight times the reduction over units, over the batch size.
#[derive(Clone, Copy)]
struct Variational<'a> {
    spec: &'a VaeSpec,
    eps: &'a [f32],
    kl_scale: f32,
}

/// Up to [`TILE`] images of one batch, in batch order.
struct Tile<'a> {
    /// The images; entries past `count` are padding (any image), which the wide layers
    /// compute and discard.
    images: [&'a [f32]; TILE],
    count: usize,
    /// For A2, each image's noise and the KL term's factor.
    vae: [Option<Variational<'a>>; TILE],
}

/// Adds the gradients of a tile's images to `g` (all in the internal order): each image's
/// gradient of `scale`·Σ_p (y_p − x_p)², for A2 decoding z = a + noise_std·σ(b)·ε and adding
/// the KL term's gradient. Every entry of `g` receives its images' terms in batch order, as
/// if the images came one at a time.
#[inline(always)]
fn accumulate<const VAE: bool, L: Lanes>(
    shape: &Shape,
    theta: &[f32],
    g: &mut [f32],
    tile: &Tile,
    scale: f32,
    s: &mut [Scratch; TILE],
) {
    let (xs, n, vaes) = (&tile.images, tile.count, &tile.vae);
    let [l1, _, l3, l4] = &shape.layout.layers;
    let pixels = shape.pixels;
    let (h1, h3) = (l1.fan_out, l3.fan_out);
    // Each image's value of `f`, zero for the padding past the first n.
    let per_image = |s: &[Scratch; TILE], f: &dyn Fn(&Scratch) -> f32| -> [f32; TILE] {
        std::array::from_fn(|t| if t < n { f(&s[t]) } else { 0.0 })
    };

    let l1_kernel = l1.weight_offset..l1.weight_offset + h1 * pixels;
    let l4_kernel = l4.weight_offset..l4.weight_offset + h3 * pixels;

    let all: Vec<usize> = (0..h1).collect();
    let mut pre1 = vec![[0.0f32; TILE]; h1];
    wide::dots::<L>(&theta[l1_kernel.clone()], pixels, &all, xs, &mut pre1);
    for t in 0..n {
        for j in 0..h1 {
            s[t].pre1[j] = pre1[j][t] + theta[l1.bias_offset + j];
        }
        // A1's copy (VAE false) has no trace of A2's code.
        middle_forward(shape, theta, if VAE { vaes[t] } else { None }, &mut s[t]);
    }
    // Layer 3's activations, and the units that relu left on for some image.
    let h3_act: Vec<[f32; TILE]> = (0..h3).map(|i| per_image(s, &|s| s.pre3[i].max(0.0))).collect();
    let units: Vec<(usize, [f32; TILE])> =
        h3_act.iter().copied().enumerate().filter(|(_, h)| h.iter().any(|&h| h != 0.0)).collect();
    wide::decode::<L>(
        &mut s.each_mut().map(|s| &mut s.z[..]),
        &theta[l4.bias_offset..l4.bias_offset + pixels],
        &theta[l4_kernel.clone()],
        &units,
    );
    // z becomes the output error dL/dz = scale·2(y − x)·y(1 − y), folded into layer 4's bias.
    for t in 0..n {
        for ((z, &x), gb) in s[t].z.iter_mut().zip(xs[t]).zip(&mut g[l4.bias_offset..l4.bias_offset + pixels]) {
            let y = sigmoid(*z);
            *z = scale * (y - x) * (y * (1.0 - y));
            *gb += *z;
        }
    }
    // Layer 4's kernel gradient and the errors at layer 3, over the units relu left on (a NaN
    // pre-activation counts as on, so that it propagates).
    let on: Vec<usize> = (0..h3).filter(|&i| (0..n).any(|t| s[t].pre3[i] > 0.0 || s[t].pre3[i].is_nan())).collect();
    let h: Vec<[f32; TILE]> = on.iter().map(|&i| h3_act[i]).collect();
    let mut dpre3_on = vec![[0.0f32; TILE]; on.len()];
    {
        let dz: [&[f32]; TILE] = std::array::from_fn(|t| &s[t.min(n - 1)].z[..]);
        wide::add_outer_and_dots::<L>(
            &theta[l4_kernel.clone()],
            &mut g[l4_kernel],
            pixels,
            &on,
            &h,
            &dz,
            &mut dpre3_on,
        );
    }
    for t in 0..n {
        let mut dpre3 = [0.0f32; crate::model::Widths::MAX];
        for (&i, d) in on.iter().zip(&dpre3_on) {
            if s[t].pre3[i] > 0.0 || s[t].pre3[i].is_nan() {
                dpre3[i] = d[t];
            }
        }
        middle_backward(shape, theta, g, &dpre3, if VAE { vaes[t] } else { None }, &mut s[t]);
    }
    // Layer 1's gradient, over the units with an error for some image.
    let on: Vec<usize> = (0..h1).filter(|&j| (0..n).any(|t| s[t].dpre1[j] != 0.0)).collect();
    let d: Vec<[f32; TILE]> = on.iter().map(|&j| per_image(s, &|s| s.dpre1[j])).collect();
    for (&j, d) in on.iter().zip(&d) {
        for &d in &d[..n] {
            if d != 0.0 {
                g[l1.bias_offset + j] += d;
            }
        }
    }
    wide::add_outer::<L>(&mut g[l1_kernel], pixels, &on, &d, xs);
}

/// `y[c] += a·x[c]` for every c: one row of a narrow layer's product, vectorised across the
/// row (each entry of `y` gets one term, so the order of sums is that of the calls).
#[inline(always)]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// One image's layers 2 and 3 forward, from `s.pre1` to `s.code` (A2: also a, b, σ(b)) and
/// `s.pre3`; each unit's sum runs over the inputs in order, row by row of the kernel.
#[inline(always)]
fn middle_forward(shape: &Shape, theta: &[f32], vae: Option<Variational>, s: &mut Scratch) {
    let [l1, l2, l3, _] = &shape.layout.layers;
    let (h1, h2, h3) = (l1.fan_out, l2.fan_out, l3.fan_out);
    let row = |offset: usize, r: usize, width: usize| &theta[offset + r * width..offset + (r + 1) * width];
    let code = &mut s.code[..h2];
    code.copy_from_slice(&theta[l2.bias_offset..l2.bias_offset + h2]);
    for j in 0..h1 {
        axpy(code, s.pre1[j].max(0.0), row(l2.weight_offset, j, h2));
    }
    if let Some(v) = vae {
        let head = shape.layout.b_head.expect("A2's layout has the b head");
        let noise_std = v.spec.noise_std as f32;
        let b = &mut s.b[..h2];
        b.copy_from_slice(&theta[head.bias_offset..head.bias_offset + h2]);
        for j in 0..h1 {
            axpy(b, s.pre1[j].max(0.0), row(head.weight_offset, j, h2));
        }
        for k in 0..h2 {
            (s.a[k], s.sigma[k]) = (s.code[k], v.spec.sigma_of(s.b[k]));
            s.code[k] = s.a[k] + noise_std * s.sigma[k] * v.eps[k];
        }
    }
    let pre3 = &mut s.pre3[..h3];
    pre3.copy_from_slice(&theta[l3.bias_offset..l3.bias_offset + h3]);
    for k in 0..h2 {
        axpy(pre3, s.code[k], row(l3.weight_offset, k, h3));
    }
}

/// One image's layers 3 and 2 backward from `dpre3` (dL/d layer 3's pre-activation): adds
/// their gradients to `g` and leaves dL/d layer 1's pre-activation in `s.dpre1`.
#[inline(always)]
fn middle_backward(
    shape: &Shape,
    theta: &[f32],
    g: &mut [f32],
    dpre3: &[f32],
    vae: Option<Variational>,
    s: &mut Scratch,
) {
    let [l1, l2, l3, _] = &shape.layout.layers;
    let (h1, h2, h3) = (l1.fan_out, l2.fan_out, l3.fan_out);
    let dpre3 = &dpre3[..h3];
    axpy(&mut g[l3.bias_offset..l3.bias_offset + h3], 1.0, dpre3);
    let mut dcode = [0.0f32; crate::model::Widths::MAX];
    for k in 0..h2 {
        let at = l3.weight_offset + k * h3;
        axpy(&mut g[at..at + h3], s.code[k], dpre3);
    }
    for (i, &d) in dpre3.iter().enumerate() {
        for k in 0..h2 {
            dcode[k] += theta[l3.w(k, i)] * d;
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
        }
        axpy(&mut g[head.bias_offset..head.bias_offset + h2], 1.0, &dhead[..h2]);
        for j in 0..h1 {
            let at = head.weight_offset + j * h2;
            axpy(&mut g[at..at + h2], s.pre1[j].max(0.0), &dhead[..h2]);
        }
    }
    axpy(&mut g[l2.bias_offset..l2.bias_offset + h2], 1.0, &dcode[..h2]);
    for j in 0..h1 {
        let at = l2.weight_offset + j * h2;
        axpy(&mut g[at..at + h2], s.pre1[j].max(0.0), &dcode[..h2]);
    }
    for j in 0..h1 {
        s.dpre1[j] = 0.0;
        if !(s.pre1[j] > 0.0 || s.pre1[j].is_nan()) {
            continue;
        }
        let mut dpre1: f32 = (0..h2).map(|k| theta[l2.w(j, k)] * dcode[k]).sum();
        if let Some(head) = vae.and(shape.layout.b_head) {
            dpre1 += (0..h2).map(|k| theta[head.w(j, k)] * dhead[k]).sum::<f32>();
        }
        s.dpre1[j] = dpre1;
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
fn train_network<L: Lanes>(task: &Task, initial: &[f32], seed: u64) -> Vec<f32> {
    if task.spec.vae.is_some() {
        train_network_of::<true, L>(task, initial, seed)
    } else {
        train_network_of::<false, L>(task, initial, seed)
    }
}

/// [`train_network`] for A2 (`VAE`) or A1.
#[inline(always)]
fn train_network_of<const VAE: bool, L: Lanes>(task: &Task, initial: &[f32], seed: u64) -> Vec<f32> {
    let Task { spec, data, batching, ref shape } = *task;
    let mut theta = shape.transposed(initial, true);
    let (mut g, mut m, mut v) = (vec![0.0f32; theta.len()], vec![0.0f32; theta.len()], vec![0.0f32; theta.len()]);
    let widest = shape.layout.layers.iter().map(|l| l.fan_out).max().unwrap_or(0);
    let mut scratch: [Scratch; TILE] = std::array::from_fn(|_| Scratch::new(widest, shape.pixels));
    let h2 = spec.widths.h2;
    let mut eps = vec![0.0f32; TILE * h2];
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
            let kl_scale = spec.vae.map(|v| v.kl_weight as f32 * v.kl.factor(h2) / batch.len() as f32);
            for tile in batch.chunks(TILE) {
                if spec.vae.is_some() {
                    for (t, &k) in tile.iter().enumerate() {
                        for unit in 0..h2 {
                            eps[t * h2 + unit] = vae_noise(seed, epoch, k, unit);
                        }
                    }
                }
                let vae = |t: usize| {
                    spec.vae.as_ref().zip(kl_scale).map(|(v, kl_scale)| Variational {
                        spec: v,
                        eps: &eps[t * h2..(t + 1) * h2],
                        kl_scale,
                    })
                };
                let images = Tile {
                    images: std::array::from_fn(|t| data.image(tile[t.min(tile.len() - 1)])),
                    count: tile.len(),
                    vae: std::array::from_fn(vae),
                };
                accumulate::<VAE, L>(shape, &theta, &mut g, &images, scale, &mut scratch);
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
    train_network::<super::lanes::Avx512>(task, initial, seed)
}

/// [`train_network`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn train_network_avx2(task: &Task, initial: &[f32], seed: u64) -> Vec<f32> {
    train_network::<super::lanes::Avx2>(task, initial, seed)
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
                    _ => train_network::<Portable>(&task, net, seed),
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
