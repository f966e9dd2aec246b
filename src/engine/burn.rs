//! The burn engine: a population of P networks as batched tensors, weights `[P, in, out]`
//! and biases `[P, 1, out]`, differentiated by burn's autodiff and updated by the Keras
//! Adam of [`crate::optim`] written with tensor operations.

use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor, TensorData};

use super::{Batching, Engine, TrainSpec};
use crate::data::Dataset;
use crate::model::ParamLayout;
use crate::model::vae::{Sigma, VaeSpec};
use crate::optim::{ADAM_EPSILON, ADAM_ONE_MINUS_BETA1, ADAM_ONE_MINUS_BETA2, Optimizer, adam_alpha};
use crate::rng::{data_order, vae_noise};

/// How a dense layer multiplies a population's activations `[P, 4, in]` by its kernels
/// `[P, in, out]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Product {
    /// Batched matmul (burn's gemm).
    Matmul,
    /// Broadcast multiply `[P, 4, in, 1] · [P, 1, in, out]`, then sum over `in`: the faster
    /// of the two on Flex for these widths (`cargo bench --bench engines`).
    #[default]
    MultiplySum,
}

/// Trains populations with burn on a device chosen at run time (Flex on the CPU).
#[derive(Clone, Debug)]
pub struct BurnEngine {
    device: Device,
    product: Product,
}

impl BurnEngine {
    /// The engine on burn's Flex CPU backend.
    pub fn flex() -> Self {
        BurnEngine { device: Device::flex(), product: Product::default() }
    }

    /// The engine on burn-wgpu's default adapter.
    #[cfg(feature = "wgpu")]
    pub fn wgpu() -> Self {
        BurnEngine { device: Device::wgpu(burn::tensor::DeviceKind::DefaultDevice), product: Product::default() }
    }

    /// The engine on any burn device (without autodiff; the engine adds it).
    pub fn on(device: Device) -> Self {
        BurnEngine { device, product: Product::default() }
    }

    /// The same engine with another way to multiply (for benchmarks).
    pub fn with_product(self, product: Product) -> Self {
        BurnEngine { product, ..self }
    }
}

/// The parameter tensors of a population: (kernel, bias) for layers 1 to 4, then A2's b head.
type Params = Vec<Tensor<3>>;

fn to_tensors(layout: &ParamLayout, initial: &[Vec<f32>], device: &Device) -> Params {
    let p = initial.len();
    let mut tensors = Vec::with_capacity(10);
    for slot in layout.slots() {
        let (fi, fo) = (slot.fan_in, slot.fan_out);
        let w: Vec<f32> =
            initial.iter().flat_map(|n| n[slot.weight_offset..slot.weight_offset + fi * fo].iter().copied()).collect();
        let b: Vec<f32> =
            initial.iter().flat_map(|n| n[slot.bias_offset..slot.bias_offset + fo].iter().copied()).collect();
        tensors.push(Tensor::from_data(TensorData::new(w, [p, fi, fo]), device));
        tensors.push(Tensor::from_data(TensorData::new(b, [p, 1, fo]), device));
    }
    tensors
}

fn from_tensors(layout: &ParamLayout, params: Params, p: usize) -> Vec<Vec<f32>> {
    let mut nets = vec![vec![0.0f32; layout.len]; p];
    for (k, tensor) in params.into_iter().enumerate() {
        let slot = layout.slots().nth(k / 2).expect("one slot per two tensors");
        let (offset, size) = if k % 2 == 0 {
            (slot.weight_offset, slot.fan_in * slot.fan_out)
        } else {
            (slot.bias_offset, slot.fan_out)
        };
        let values = tensor.into_data().try_into_vec::<f32>().expect("f32 tensor");
        for (n, net) in nets.iter_mut().enumerate() {
            net[offset..offset + size].copy_from_slice(&values[n * size..(n + 1) * size]);
        }
    }
    nets
}

/// Sum over the population of each network's loss: the mean squared error for A1; eq. (1) as
/// `vae` reads it for A2, decoding z = a + σ(b)·noise (`noise` already scaled by noise_std,
/// `[P, images, h2]`).
fn population_loss(
    params: &Params,
    images: &Tensor<3>,
    product: Product,
    vae: Option<(&VaeSpec, Tensor<3>)>,
) -> Tensor<1> {
    let dense = |x: Tensor<3>, l: usize| {
        let w = params[2 * l].clone();
        let xw = match product {
            Product::Matmul => x.matmul(w),
            Product::MultiplySum => {
                let [p, n, _] = x.dims();
                let out = w.dims()[2];
                (x.unsqueeze_dim::<4>(3) * w.unsqueeze_dim::<4>(1)).sum_dim(2).reshape([p, n, out])
            }
        };
        xw + params[2 * l + 1].clone()
    };
    let h1 = relu(dense(images.clone(), 0));
    let [_, n, pixels] = images.dims();
    let Some((v, noise)) = vae else {
        let code = dense(h1, 1);
        let h3 = relu(dense(code, 2));
        let out = sigmoid(dense(h3, 3));
        return (out - images.clone()).square().sum().div_scalar((n * pixels) as f32);
    };
    let (a, b) = (dense(h1.clone(), 1), dense(h1, 4));
    let sigma = match v.sigma {
        Sigma::ExpB => b.clone().exp(),
        Sigma::ExpHalfB => b.clone().mul_scalar(0.5).exp(),
    };
    let z = a.clone() + sigma * noise;
    let out = sigmoid(dense(relu(dense(z, 2)), 3));
    let h2 = a.dims()[2];
    let reconstruction = (out - images.clone()).square().sum().mul_scalar(v.reconstruction.factor(pixels) / n as f32);
    let kl = (b.clone().add_scalar(1.0) - a.clone() * a - b.exp()).sum().mul_scalar(-0.5);
    reconstruction + kl.mul_scalar(v.kl_weight as f32 * v.kl.factor(h2) / n as f32)
}

/// One optimiser step of one parameter tensor; `m` and `v` are Adam's moments.
fn update(
    optimizer: Optimizer,
    lr: f32,
    t: u32,
    theta: Tensor<3>,
    g: Tensor<3>,
    m: &mut Tensor<3>,
    v: &mut Tensor<3>,
) -> Tensor<3> {
    match optimizer {
        Optimizer::Sgd => theta - g.mul_scalar(lr),
        Optimizer::Adam => {
            let alpha = adam_alpha(lr, t);
            *m = m.clone() + (g.clone() - m.clone()).mul_scalar(ADAM_ONE_MINUS_BETA1);
            *v = v.clone() + (g.clone() * g - v.clone()).mul_scalar(ADAM_ONE_MINUS_BETA2);
            theta - m.clone().mul_scalar(alpha) / v.clone().sqrt().add_scalar(ADAM_EPSILON)
        }
    }
}

impl Engine for BurnEngine {
    fn train(&self, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>> {
        self.train_on(spec, &Dataset::squares_2x2(), Batching::Full, initial, &[])
    }

    fn train_on(
        &self,
        spec: &TrainSpec,
        data: &Dataset,
        batching: Batching,
        initial: &[Vec<f32>],
        seeds: &[u64],
    ) -> Vec<Vec<f32>> {
        let needs_seeds = batching != Batching::Full || spec.vae.is_some();
        assert!(!needs_seeds || seeds.len() == initial.len(), "one seed per network");
        // burn runs a population on the calling thread; split it over the pool's threads.
        super::flush::flushing(|| {
            let threads = rayon::current_num_threads();
            if threads > 1 && initial.len() >= 2 * threads {
                use rayon::prelude::*;
                let size = initial.len().div_ceil(threads);
                let seeds = |k: usize| {
                    if seeds.is_empty() { &[][..] } else { &seeds[k * size..((k + 1) * size).min(seeds.len())] }
                };
                return initial
                    .par_chunks(size)
                    .enumerate()
                    .flat_map_iter(|(k, chunk)| self.train_population(spec, data, batching, chunk, seeds(k)))
                    .collect();
            }
            self.train_population(spec, data, batching, initial, seeds)
        })
    }
}

impl BurnEngine {
    /// Trains one population as batched tensors on the calling thread.
    fn train_population(
        &self,
        spec: &TrainSpec,
        data: &Dataset,
        batching: Batching,
        initial: &[Vec<f32>],
        seeds: &[u64],
    ) -> Vec<Vec<f32>> {
        let p = initial.len();
        if p == 0 {
            return Vec::new();
        }
        let (n, pixels) = (data.count(), data.pixels());
        let layout = ParamLayout::for_model(pixels, spec.widths, spec.vae.is_some());
        let device = self.device.clone();
        let autodiff = device.clone().autodiff();
        let whole = Tensor::<3>::from_data(TensorData::new(data.images.clone(), [1, n, pixels]), &autodiff);
        let whole = whole.expand([p, n, pixels]);
        let mut params = to_tensors(&layout, initial, &device);
        let mut m: Params = params.iter().map(|t| t.zeros_like()).collect();
        let mut v: Params = m.clone();
        let mut t = 0;
        let h2 = spec.widths.h2;
        for epoch in 0..spec.epochs {
            let (orders, size): (Vec<Vec<usize>>, usize) = match batching {
                Batching::Full if spec.vae.is_none() => (Vec::new(), n),
                Batching::Full => (vec![(0..n).collect(); p], n),
                Batching::MiniBatch { size } => (seeds.iter().map(|&seed| data_order(seed, epoch, n)).collect(), size),
            };
            for start in (0..n).step_by(size) {
                let end = (start + size).min(n);
                let images = match batching {
                    Batching::Full => whole.clone(),
                    Batching::MiniBatch { .. } => {
                        let flat: Vec<f32> = orders
                            .iter()
                            .flat_map(|o| o[start..end].iter().flat_map(|&k| data.image(k)))
                            .copied()
                            .collect();
                        Tensor::from_data(TensorData::new(flat, [p, end - start, pixels]), &autodiff)
                    }
                };
                // A2's noise for each network's images of this batch ([`vae_noise`]).
                let vae = spec.vae.as_ref().map(|v| {
                    let noise: Vec<f32> = orders
                        .iter()
                        .zip(seeds)
                        .flat_map(|(o, &seed)| {
                            o[start..end].iter().flat_map(move |&k| {
                                (0..h2).map(move |unit| v.noise_std as f32 * vae_noise(seed, epoch, k, unit))
                            })
                        })
                        .collect();
                    (v, Tensor::from_data(TensorData::new(noise, [p, end - start, h2]), &autodiff))
                });
                t += 1;
                let leaves: Params = params.iter().map(|x| x.clone().autodiff().require_grad()).collect();
                let mut grads = population_loss(&leaves, &images, self.product, vae).backward();
                params = leaves
                    .into_iter()
                    .enumerate()
                    .map(|(k, leaf)| {
                        let g = leaf.grad_remove(&mut grads).expect("every parameter has a gradient");
                        update(spec.optimizer, spec.lr, t, leaf.inner(), g, &mut m[k], &mut v[k])
                    })
                    .collect();
            }
        }
        from_tensors(&layout, params, p)
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // parallel arrays indexed together
mod tests {
    use super::*;
    use crate::model::{Initializer, Widths, evaluate};
    use crate::optim::adam_update;
    use crate::rng::RunRng;

    fn nets(widths: Widths, n: usize, seed: u64) -> Vec<Vec<f32>> {
        let layout = ParamLayout::new(widths);
        let mut rng = RunRng::new(seed);
        (0..n).map(|_| Initializer::TorchDefault.draw(&layout, &mut rng)).collect()
    }

    #[test]
    fn tensor_adam_matches_scalar_reference() {
        let device = Device::flex();
        let theta = [0.3f32, -1.2, 2.0, 0.0];
        let grads = [[0.5f32, -0.25, 1e-3, 0.0], [-0.1, 0.4, -2.0, 3.0]];
        let tensor = |v: &[f32]| Tensor::<3>::from_data(TensorData::new(v.to_vec(), [1, 1, 4]), &device);
        let mut th = tensor(&theta);
        let (mut m, mut v) = (th.zeros_like(), th.zeros_like());
        let mut reference = (theta, [0.0f32; 4], [0.0f32; 4]);
        for (t, g) in grads.iter().enumerate() {
            th = update(Optimizer::Adam, 1e-3, t as u32 + 1, th, tensor(g), &mut m, &mut v);
            let alpha = adam_alpha(1e-3, t as u32 + 1);
            for k in 0..4 {
                adam_update(&mut reference.0[k], &mut reference.1[k], &mut reference.2[k], g[k], alpha);
            }
        }
        let got = th.into_data().try_into_vec::<f32>().unwrap();
        for k in 0..4 {
            assert!((got[k] - reference.0[k]).abs() <= 1e-6, "{k}: {} vs {}", got[k], reference.0[k]);
        }
    }

    #[test]
    fn matmul_trains_like_multiply_sum() {
        let widths = Widths::new(5, 2, 5).unwrap();
        let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-2, epochs: 10, vae: None };
        let init = nets(widths, 6, 2);
        let a = BurnEngine::flex().train(&spec, &init);
        let b = BurnEngine::flex().with_product(Product::Matmul).train(&spec, &init);
        let diff = a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(diff <= 1e-5, "{diff}");
    }

    #[test]
    fn population_member_equals_network_trained_alone() {
        let engine = BurnEngine::flex();
        for widths in [Widths::PAPER, Widths::new(5, 2, 5).unwrap()] {
            let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-2, epochs: 300, vae: None };
            let init = nets(widths, 9, 5);
            let together = engine.train(&spec, &init);
            for (k, net) in init.iter().enumerate() {
                let alone = engine.train(&spec, std::slice::from_ref(net));
                let diff = alone[0].iter().zip(&together[k]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                assert!(diff <= 1e-6, "{widths} network {k}: max difference {diff}");
            }
        }
    }

    #[test]
    fn sgd_step_follows_the_loss_gradient() {
        // One SGD step of size lr moves θ by −lr·∇L; compare with central differences of the
        // reference forward pass in f32 (step 1e-2; the loss is smooth away from relu kinks,
        // and these torch-default networks have non-zero biases, so no pre-activation is 0).
        let engine = BurnEngine::flex();
        let widths = Widths::PAPER;
        let layout = ParamLayout::new(widths);
        let lr = 1e-3f32;
        let spec = TrainSpec { widths, optimizer: Optimizer::Sgd, lr, epochs: 1, vae: None };
        for init in nets(widths, 4, 9) {
            let stepped = &engine.train(&spec, std::slice::from_ref(&init))[0];
            for k in 0..layout.len {
                let grad = (init[k] - stepped[k]) / lr;
                let h = 1e-2f32;
                let mut plus = init.clone();
                plus[k] += h;
                let mut minus = init.clone();
                minus[k] -= h;
                let numeric = (evaluate(&layout, &plus).loss - evaluate(&layout, &minus).loss) / (2.0 * h);
                assert!((grad - numeric).abs() < 2e-3, "parameter {k}: autodiff {grad}, numeric {numeric}");
            }
        }
    }
}
