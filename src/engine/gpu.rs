//! The GPU engine: the native engine's training loop as one CubeCL kernel on the wgpu
//! runtime (Vulkan, Metal, DX12 or a software adapter). One GPU thread trains one network:
//! its parameters, Adam moments and activations are that thread's local variables (registers
//! where the widths are small), and one launch runs many epochs. Only the parameters go to
//! the GPU and back; for networks this small a batched-tensor step would spend its time
//! launching kernels, not computing.
//!
//! The kernel does the native engine's arithmetic in the native engine's order: the same
//! sums, the same relu'(0) = 0, the same sigmoid formula and loss-gradient rounding, and
//! each step's Adam α computed on the host by [`TrainSpec::adam_alphas`]. Its `exp` is an f32
//! polynomial (Cephes expf, relative error < 2e-7), not the CPU engines' glibc algorithm,
//! which needs f64 arithmetic that WGSL does not have. Shader compilers also round
//! differently in places (they may fuse multiply-adds, divide through a reciprocal, flush
//! subnormals), so results agree with the native engine's to rounding after a step, not
//! bit for bit.

use std::sync::OnceLock;

use cubecl::prelude::*;
use cubecl::wgpu::{WgpuDevice, WgpuRuntime};
use cubecl_runtime::runtime::Runtime;

use super::{Engine, TrainSpec};
use crate::data::{IMAGE_COUNT, IMAGES, PIXELS};
use crate::model::{ParamLayout, Widths};
use crate::optim::{ADAM_EPSILON, ADAM_ONE_MINUS_BETA1, ADAM_ONE_MINUS_BETA2, Optimizer};

/// Largest hidden width the GPU engine trains (the native engine's, whose arithmetic it
/// repeats).
pub const MAX_WIDTH: usize = super::native::MAX_WIDTH;
/// GPU threads (networks) per workgroup.
const THREADS_PER_CUBE: u32 = 64;
/// Epochs per kernel launch: long enough that launches cost nothing, short enough that no
/// single dispatch runs for minutes (some drivers reset a GPU whose dispatch runs too long).
const EPOCHS_PER_LAUNCH: u32 = 2000;
/// Largest buffer per batch: 128 MiB, the storage-buffer binding size every wgpu backend
/// allows (about 1.2 million networks of 2-1-2, 48 thousand of 16-16-16).
const BUFFER_BYTES: usize = 128 << 20;
/// Most networks per batch: as many workgroups as one grid axis takes on every wgpu backend.
const MAX_NETS_PER_BATCH: usize = 65_535 * THREADS_PER_CUBE as usize;
/// Parameter counts up to this unroll every loop, so that local arrays live in registers.
const UNROLL_MAX_PARAMS: usize = 160;

/// e^x for f32 (Cephes expf): range reduction by ln 2 in two parts, a degree-6 polynomial,
/// and the exponent set through the bits.
#[cube]
fn exp_polynomial(x: f32) -> f32 {
    let x = f32::clamp(x, -87.0f32, 88.0f32);
    let fx = f32::floor(x * std::f32::consts::LOG2_E + 0.5f32);
    let r = x - fx * 0.693_359_4f32 - fx * -2.121_944_4e-4f32;
    let mut y = f32::new(1.987_569_1e-4f32);
    y = y * r + 1.398_199_9e-3f32;
    y = y * r + 8.333_452e-3f32;
    y = y * r + 4.166_579_6e-2f32;
    y = y * r + 1.666_666_5e-1f32;
    y = y * r + 0.5f32;
    let y = y * r * r + r + 1.0f32;
    let exponent = i32::cast_from(fx) + 127;
    y * f32::reinterpret(u32::cast_from(exponent) << 23u32)
}

/// One dense layer for one image, summed in the native engine's order:
/// `out[out_at + o] = Σ_i input[in_at + i]·W[i][o] + b[o]`, the kernel `W` at `th[w..]`
/// (`[fan_in][fan_out]`) and the bias at `th[b..]`.
#[allow(clippy::too_many_arguments)]
#[cube]
fn dense_forward(
    th: &Array<f32>,
    input: &Array<f32>,
    in_at: usize,
    out: &mut Array<f32>,
    out_at: usize,
    #[comptime] w: usize,
    #[comptime] b: usize,
    #[comptime] fan_in: usize,
    #[comptime] fan_out: usize,
    #[comptime] unroll: bool,
) {
    #[unroll(unroll)]
    for o in 0..fan_out {
        let mut acc = f32::new(0.0);
        #[unroll(unroll)]
        for i in 0..fan_in {
            acc += input[in_at + i] * th[w + i * fan_out + o];
        }
        out[out_at + o] = acc + th[b + o];
    }
}

/// The backward pass of one dense layer for one image (the native engine's
/// `dense_backward`): adds the bias and kernel gradients for the output gradient
/// `d_out[d_at..]` to `g` and, where `propagate`, sets the input gradient `d_in`.
#[allow(clippy::too_many_arguments)]
#[cube]
fn dense_backward(
    th: &Array<f32>,
    g: &mut Array<f32>,
    input: &Array<f32>,
    in_at: usize,
    d_out: &Array<f32>,
    d_at: usize,
    d_in: &mut Array<f32>,
    #[comptime] w: usize,
    #[comptime] b: usize,
    #[comptime] fan_in: usize,
    #[comptime] fan_out: usize,
    #[comptime] unroll: bool,
    #[comptime] propagate: bool,
) {
    if propagate {
        #[unroll(unroll)]
        for i in 0..fan_in {
            d_in[i] = 0.0;
        }
    }
    #[unroll(unroll)]
    for o in 0..fan_out {
        let d = d_out[d_at + o];
        g[b + o] += d;
        #[unroll(unroll)]
        for i in 0..fan_in {
            g[w + i * fan_out + o] += input[in_at + i] * d;
            if propagate {
                d_in[i] += d * th[w + i * fan_out + o];
            }
        }
    }
}

/// relu'(z) = 0 for z ≤ 0: zeroes the gradients `d[i]` whose pre-activation `pre[at + i]` is
/// not positive.
#[cube]
fn relu_backward(d: &mut Array<f32>, pre: &Array<f32>, at: usize, #[comptime] width: usize, #[comptime] unroll: bool) {
    #[unroll(unroll)]
    for i in 0..width {
        d[i] = select(pre[at + i] > 0.0, d[i], 0.0);
    }
}

/// Trains networks `ABSOLUTE_POS` for `epochs` steps from step `first + 1`. `theta`, `m`
/// and `v` hold parameter `k` of network `n` at `k * nets + n`, so neighbouring threads
/// read neighbouring words; `alphas[t - 1]` is Adam's step size at step `t`.
#[allow(clippy::too_many_arguments)]
#[cube(launch)]
fn train_kernel(
    theta: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    alphas: &[f32],
    images: &[f32],
    nets: u32,
    first: u32,
    epochs: u32,
    lr: f32,
    #[comptime] h1: usize,
    #[comptime] h2: usize,
    #[comptime] h3: usize,
    #[comptime] adam: bool,
) {
    let n = ABSOLUTE_POS;
    if n >= nets as usize {
        terminate!();
    }
    let stride = nets as usize;
    // Where each layer's kernel and bias sit, from the layout every engine shares.
    let [l1, l2, l3, l4] = comptime![ParamLayout::new(Widths { h1, h2, h3 }).layers];
    let (w1, b1) = comptime![(l1.weight_offset, l1.bias_offset)];
    let (w2, b2) = comptime![(l2.weight_offset, l2.bias_offset)];
    let (w3, b3) = comptime![(l3.weight_offset, l3.bias_offset)];
    let (w4, b4) = comptime![(l4.weight_offset, l4.bias_offset)];
    let len = comptime![b4 + PIXELS];
    let unroll = comptime![len <= UNROLL_MAX_PARAMS];

    let mut th = Array::<f32>::new(len);
    let mut mo = Array::<f32>::new(len);
    let mut ve = Array::<f32>::new(len);
    let mut g = Array::<f32>::new(len);
    #[unroll(unroll)]
    for k in 0..len {
        th[k] = theta[k * stride + n];
        mo[k] = m[k * stride + n];
        ve[k] = v[k * stride + n];
    }
    let mut x = Array::<f32>::new(16usize);
    #[unroll]
    for i in 0..16usize {
        x[i] = images[i];
    }
    let mut pre1 = Array::<f32>::new(comptime![4 * h1]);
    let mut act1 = Array::<f32>::new(comptime![4 * h1]);
    let mut code = Array::<f32>::new(comptime![4 * h2]);
    let mut pre3 = Array::<f32>::new(comptime![4 * h3]);
    let mut act3 = Array::<f32>::new(comptime![4 * h3]);
    let mut dlogit = Array::<f32>::new(16usize);
    let mut dact3 = Array::<f32>::new(h3);
    let mut dcode = Array::<f32>::new(h2);
    let mut dact1 = Array::<f32>::new(h1);

    for e in 0..epochs {
        // Forward: x·W + b for each layer.
        #[unroll]
        for k in 0..4usize {
            dense_forward(&th, &x, k * 4, &mut pre1, k * h1, w1, b1, PIXELS, h1, unroll);
            #[unroll(unroll)]
            for j in 0..h1 {
                act1[k * h1 + j] = select(pre1[k * h1 + j] > 0.0, pre1[k * h1 + j], 0.0);
            }
            dense_forward(&th, &act1, k * h1, &mut code, k * h2, w2, b2, h1, h2, unroll);
            dense_forward(&th, &code, k * h2, &mut pre3, k * h3, w3, b3, h2, h3, unroll);
            #[unroll(unroll)]
            for u in 0..h3 {
                act3[k * h3 + u] = select(pre3[k * h3 + u] > 0.0, pre3[k * h3 + u], 0.0);
            }
            // The logits go where their gradients will.
            dense_forward(&th, &act3, k * h3, &mut dlogit, k * 4, w4, b4, h3, PIXELS, unroll);
            #[unroll]
            for p in 0..4usize {
                // The CPU engines' sigmoid: e = e^−|z|, then 1/(1+e) or e/(1+e).
                let z = dlogit[k * 4 + p];
                let e = exp_polynomial(-f32::abs(z));
                let y = select(z >= 0.0, f32::new(1.0), e) / (f32::new(1.0) + e);
                // d(Σ(y−x)²/16)/dlogit = 2(y−x)/16 · y(1−y), rounded as the CPU engines do.
                let half = (y - x[k * 4 + p]) * 0.0625;
                dlogit[k * 4 + p] = ((half + half) * y) * (f32::new(1.0) - y);
            }
        }

        // Backward, layer 4 down to layer 1, accumulating over the four images.
        #[unroll(unroll)]
        for i in 0..len {
            g[i] = 0.0;
        }
        #[unroll]
        for k in 0..4usize {
            dense_backward(&th, &mut g, &act3, k * h3, &dlogit, k * 4, &mut dact3, w4, b4, h3, PIXELS, unroll, true);
            relu_backward(&mut dact3, &pre3, k * h3, h3, unroll);
            dense_backward(&th, &mut g, &code, k * h2, &dact3, 0usize, &mut dcode, w3, b3, h2, h3, unroll, true);
            dense_backward(&th, &mut g, &act1, k * h1, &dcode, 0usize, &mut dact1, w2, b2, h1, h2, unroll, true);
            relu_backward(&mut dact1, &pre1, k * h1, h1, unroll);
            // The input gradient of layer 1 is not needed: `propagate` false leaves dact3 alone.
            dense_backward(&th, &mut g, &x, k * 4, &dact1, 0usize, &mut dact3, w1, b1, PIXELS, h1, unroll, false);
        }

        // Update.
        if adam {
            let alpha = alphas[(first + e) as usize];
            #[unroll(unroll)]
            for i in 0..len {
                mo[i] = mo[i] + (g[i] - mo[i]) * ADAM_ONE_MINUS_BETA1;
                ve[i] = ve[i] + (g[i] * g[i] - ve[i]) * ADAM_ONE_MINUS_BETA2;
                th[i] -= (mo[i] * alpha) / (f32::sqrt(ve[i]) + ADAM_EPSILON);
            }
        } else {
            #[unroll(unroll)]
            for i in 0..len {
                th[i] -= g[i] * lr;
            }
        }
    }

    #[unroll(unroll)]
    for k in 0..len {
        theta[k * stride + n] = th[k];
        m[k * stride + n] = mo[k];
        v[k * stride + n] = ve[k];
    }
}

/// The adapter wgpu chose ("name (backend)"), initialised once for this process (burn's
/// wgpu device and the GPU engine share it), or why there is none.
static ADAPTER: OnceLock<Result<String, String>> = OnceLock::new();

/// The default wgpu adapter's name, or why no adapter can be used.
pub fn wgpu_adapter() -> Result<String, String> {
    ADAPTER
        .get_or_init(|| {
            // Initialising through burn registers the runtime both burn and this engine use.
            burn::tensor::Device::wgpu_options()
                .init_with_setup()
                .map(|(_, setup)| {
                    let info = setup.adapter.get_info();
                    format!("{} ({:?})", info.name, info.backend)
                })
                .map_err(|e| format!("no usable wgpu adapter ({e})"))
        })
        .clone()
}

/// The GPU engine.
#[derive(Clone, Debug)]
pub struct GpuEngine {
    device: WgpuDevice,
    adapter: String,
    epochs_per_launch: u32,
    max_batch: usize,
}

impl GpuEngine {
    /// The engine on the default wgpu adapter, or why there is none.
    pub fn new() -> Result<Self, String> {
        wgpu_adapter().map(|adapter| GpuEngine {
            device: WgpuDevice::default(),
            adapter,
            epochs_per_launch: EPOCHS_PER_LAUNCH,
            max_batch: MAX_NETS_PER_BATCH,
        })
    }

    /// The same engine running at most `epochs` epochs per kernel launch (for tests: the
    /// results do not depend on it).
    pub fn with_epochs_per_launch(self, epochs: u32) -> Self {
        GpuEngine { epochs_per_launch: epochs.max(1), ..self }
    }

    /// The same engine with at most `networks` networks per batch of buffers (for tests: the
    /// results do not depend on it).
    pub fn with_networks_per_batch(self, networks: usize) -> Self {
        GpuEngine { max_batch: networks.clamp(1, MAX_NETS_PER_BATCH), ..self }
    }

    /// Whether the engine can train networks of these widths.
    pub fn supports(widths: Widths) -> bool {
        widths.h1 <= MAX_WIDTH && widths.h2 <= MAX_WIDTH && widths.h3 <= MAX_WIDTH
    }

    /// The adapter's name and graphics API, as wgpu reports them.
    pub fn adapter_name(&self) -> &str {
        &self.adapter
    }

    /// Trains one batch of networks.
    fn train_batch(&self, spec: &TrainSpec, initial: &[Vec<f32>], alphas: &[f32]) -> Vec<Vec<f32>> {
        let client = <WgpuRuntime>::client(&self.device);
        let nets = initial.len();
        let len = ParamLayout::new(spec.widths).len;
        let soa: Vec<f32> = (0..len).flat_map(|k| initial.iter().map(move |net| net[k])).collect();
        let zeros = vec![0.0f32; len * nets];
        let images: Vec<f32> = IMAGES.iter().flatten().copied().collect();
        debug_assert_eq!(images.len(), IMAGE_COUNT * PIXELS);
        let theta = client.create_from_slice(f32::as_bytes(&soa));
        let m = client.create_from_slice(f32::as_bytes(&zeros));
        let v = client.create_from_slice(f32::as_bytes(&zeros));
        // wgpu refuses empty bindings, and SGD reads no α.
        let alphas: &[f32] = if alphas.is_empty() { &[0.0] } else { alphas };
        let alphas_handle = client.create_from_slice(f32::as_bytes(alphas));
        let images_handle = client.create_from_slice(f32::as_bytes(&images));
        let count = CubeCount::Static((nets as u32).div_ceil(THREADS_PER_CUBE), 1, 1);
        let Widths { h1, h2, h3 } = spec.widths;
        let mut first = 0;
        while first < spec.epochs {
            let epochs = self.epochs_per_launch.min(spec.epochs - first);
            // SAFETY: every buffer holds exactly the length declared for it.
            unsafe {
                train_kernel::launch(
                    &client,
                    count.clone(),
                    CubeDim::new_1d(THREADS_PER_CUBE),
                    BufferArg::from_raw_parts(theta.clone(), len * nets),
                    BufferArg::from_raw_parts(m.clone(), len * nets),
                    BufferArg::from_raw_parts(v.clone(), len * nets),
                    BufferArg::from_raw_parts(alphas_handle.clone(), alphas.len()),
                    BufferArg::from_raw_parts(images_handle.clone(), images.len()),
                    nets as u32,
                    first,
                    epochs,
                    spec.lr,
                    h1,
                    h2,
                    h3,
                    spec.optimizer == Optimizer::Adam,
                );
            }
            first += epochs;
        }
        let bytes = client.read_one_unchecked(theta);
        let finals = f32::from_bytes(&bytes);
        (0..nets).map(|n| (0..len).map(|k| finals[k * nets + n]).collect()).collect()
    }
}

impl Engine for GpuEngine {
    fn train(&self, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>> {
        assert!(GpuEngine::supports(spec.widths), "gpu engine: widths {} exceed {MAX_WIDTH}", spec.widths);
        let alphas = spec.adam_alphas();
        let bytes_per_net = size_of::<f32>() * ParamLayout::new(spec.widths).len;
        let batch = (BUFFER_BYTES / bytes_per_net).min(self.max_batch);
        initial.chunks(batch).flat_map(|batch| self.train_batch(spec, batch, &alphas)).collect()
    }
}
