//! Engines train a population of networks at once. They know nothing of studies or CSV:
//! initial parameters in (in the layout of [`crate::model::ParamLayout`]), final parameters out.

pub mod burn;
pub mod dense;
pub mod flush;
#[cfg(feature = "wgpu")]
pub mod gpu;
pub mod isa;
pub mod lanes;
pub mod native;
pub mod wide;

use crate::data::{Dataset, DatasetSpec};
use crate::error::InputError;
use crate::model::Widths;
use crate::model::vae::{ModelKind, VaeSpec};
use crate::optim::Optimizer;

pub use self::burn::BurnEngine;

pub use self::native::NativeEngine;

/// Which engine trains a study.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// The fused native CPU kernel (widths up to 16).
    #[default]
    Native,
    /// burn's batched tensors on a device of [`BurnDevice`] (widths up to 64).
    Burn,
    /// The fused CubeCL kernel on a wgpu GPU (widths up to 16; needs the `wgpu` feature).
    Gpu,
}

/// The device the burn engine runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BurnDevice {
    /// burn's Flex CPU backend.
    #[default]
    Flex,
    /// burn-wgpu on the default GPU adapter (needs the `wgpu` feature).
    Wgpu,
}

impl BurnDevice {
    /// Whether this is the default device (left out of recorded studies).
    pub fn is_flex(&self) -> bool {
        *self == BurnDevice::Flex
    }
}

/// Why a build without the `wgpu` feature cannot do what was asked.
#[cfg(not(feature = "wgpu"))]
fn needs_wgpu_feature(field: &str, what: &str) -> InputError {
    InputError::field(
        field,
        format!("{what} needs aemc built with the wgpu feature: cargo build --release --features wgpu"),
    )
}

impl EngineKind {
    /// The engine itself, on `device` where it is the burn engine; an error names what is
    /// missing where this build or machine cannot provide it.
    pub fn engine(self, device: BurnDevice) -> Result<Box<dyn Engine>, InputError> {
        match (self, device) {
            (EngineKind::Native, _) => native::Isa::selected()
                .map(|_| Box::new(NativeEngine) as Box<dyn Engine>)
                .map_err(|e| InputError::field(native::ISA_VARIABLE, e)),
            (EngineKind::Burn, BurnDevice::Flex) => Ok(Box::new(BurnEngine::flex())),
            #[cfg(feature = "wgpu")]
            (EngineKind::Burn, BurnDevice::Wgpu) => gpu::wgpu_adapter()
                .map(|_| Box::new(BurnEngine::wgpu()) as Box<dyn Engine>)
                .map_err(|e| InputError::field("device", e)),
            #[cfg(feature = "wgpu")]
            (EngineKind::Gpu, _) => gpu::GpuEngine::new()
                .map(|e| Box::new(e) as Box<dyn Engine>)
                .map_err(|e| InputError::field("engine", e)),
            #[cfg(not(feature = "wgpu"))]
            (EngineKind::Burn, BurnDevice::Wgpu) => Err(needs_wgpu_feature("device", "device wgpu")),
            #[cfg(not(feature = "wgpu"))]
            (EngineKind::Gpu, _) => Err(needs_wgpu_feature("engine", "engine gpu")),
        }
    }

    /// The engine's name in study files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Native => "native",
            EngineKind::Burn => "burn",
            EngineKind::Gpu => "gpu",
        }
    }

    /// Whether the engine trains A1 on `dataset` in `batching`; if not, what to use instead.
    pub fn supports(self, dataset: &DatasetSpec, batching: Batching, model: ModelKind) -> Result<(), String> {
        let squares_full_batch = dataset.is_default() && batching == Batching::Full;
        match self {
            EngineKind::Native => Ok(()),
            EngineKind::Burn => Ok(()),
            EngineKind::Gpu if model == ModelKind::Vae => {
                Err("engine gpu trains A1 only, not model vae; use engine = \"native\"".to_string())
            }
            EngineKind::Gpu if squares_full_batch => Ok(()),
            EngineKind::Gpu => Err(format!(
                "engine gpu trains squares-2x2 in full batches only, not {} {}; use engine = \"native\" or \"burn\"",
                dataset.name(),
                batching
            )),
        }
    }

    /// The widest hidden layer the engine trains on `dataset` in `batching` for `models`: the
    /// fused 2×2 kernels' limit where they train (the native engine's on the 2×2 images in full
    /// batches with A1, the gpu engine's always), else [`Widths::MAX`].
    pub fn max_width(self, dataset: &DatasetSpec, batching: Batching, models: &[ModelKind]) -> usize {
        let fused = dataset.is_default() && batching == Batching::Full && models.contains(&ModelKind::Ae);
        match self {
            EngineKind::Native if fused => native::MAX_WIDTH,
            EngineKind::Gpu => native::MAX_WIDTH,
            EngineKind::Native | EngineKind::Burn => Widths::MAX,
        }
    }

    /// Networks per engine call where neither the study nor the command line sets it: a
    /// GPU needs many threads in flight, a CPU core a population that fits its caches.
    pub fn default_population(self) -> usize {
        match self {
            EngineKind::Gpu => 1 << 16,
            EngineKind::Native | EngineKind::Burn => 256,
        }
    }
}

/// How every network of a population is trained: full batch on the four images, mean
/// squared error over each network's 16 pixel values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainSpec {
    /// The networks' widths.
    pub widths: Widths,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// The learning rate.
    pub lr: f32,
    /// Number of epochs (passes over the data set).
    pub epochs: u32,
    /// For A2, the reading of its loss ([`crate::model::vae`]); `None` for A1.
    pub vae: Option<VaeSpec>,
}

impl TrainSpec {
    /// Adam's α for steps 1 to `epochs` (empty for SGD), computed once per population
    /// rather than once per step and block.
    pub fn adam_alphas(&self) -> Vec<f32> {
        self.adam_alphas_after(0)
    }

    /// Adam's α for the `epochs` steps after the first `done` (empty for SGD).
    pub fn adam_alphas_after(&self, done: u32) -> Vec<f32> {
        match self.optimizer {
            Optimizer::Adam => (done + 1..=done + self.epochs).map(|t| crate::optim::adam_alpha(self.lr, t)).collect(),
            Optimizer::Sgd => Vec::new(),
        }
    }
}

/// How each network of a population sees the data set in an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Batching {
    /// Every image in every step, in the data set's order: one step per epoch.
    Full,
    /// As Keras `fit` trains by default: each epoch the images in the run's own order
    /// ([`crate::rng::data_order`]), cut into batches of `size` (the last may be smaller), one step per
    /// batch, the loss of a step the mean over its images and pixels.
    MiniBatch {
        /// Images per batch.
        size: usize,
    },
}

impl Batching {
    /// Training steps in one epoch over `images` images.
    pub fn steps_per_epoch(&self, images: usize) -> usize {
        match *self {
            Batching::Full => 1,
            Batching::MiniBatch { size } => images.div_ceil(size),
        }
    }
}

impl std::fmt::Display for Batching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Batching::Full => write!(f, "in full batches"),
            Batching::MiniBatch { size } => write!(f, "in batches of {size}"),
        }
    }
}

/// A population's training state between epochs: each network's parameters and Adam's two
/// moments (zero for SGD), and the epochs trained so far.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    /// Parameters per network, in [`crate::model::ParamLayout`] order.
    pub params: Vec<Vec<f32>>,
    /// Adam's first moments, laid out as `params`.
    pub m: Vec<Vec<f32>>,
    /// Adam's second moments, laid out as `params`.
    pub v: Vec<Vec<f32>>,
    /// Epochs trained so far (Adam's step count).
    pub epochs_done: u32,
}

impl TrainState {
    /// The state before training: the initial parameters, moments of zero.
    pub fn new(initial: &[Vec<f32>]) -> Self {
        let zeros: Vec<Vec<f32>> = initial.iter().map(|p| vec![0.0; p.len()]).collect();
        TrainState { params: initial.to_vec(), m: zeros.clone(), v: zeros, epochs_done: 0 }
    }
}

/// Something that trains populations of networks.
pub trait Engine: Send + Sync {
    /// Trains each network from its initial parameters on the paper's four 2×2 images, full
    /// batch; returns the final parameters in the same order. A network's result must not
    /// depend on the others in the population.
    fn train(&self, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>>;

    /// Trains each network from its initial parameters (in the layout of A1 on `data`'s image
    /// size, [`crate::model::ParamLayout::for_pixels`]) for `spec.epochs` epochs of `data`;
    /// `seeds` are the runs' seeds, from which [`Batching::MiniBatch`] draws each run's data
    /// order (unused for [`Batching::Full`]). A network's result depends on its initial
    /// parameters and seed alone, not on the population or the threads.
    ///
    /// The default is for engines that train the 2×2 images in full batches only
    /// ([`EngineKind::supports`] keeps studies they cannot train from reaching them).
    fn train_on(
        &self,
        spec: &TrainSpec,
        data: &Dataset,
        batching: Batching,
        initial: &[Vec<f32>],
        seeds: &[u64],
    ) -> Vec<Vec<f32>> {
        let _ = seeds;
        assert!(data.is_squares_2x2() && batching == Batching::Full, "checked by EngineKind::supports");
        self.train(spec, initial)
    }
}
