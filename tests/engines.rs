//! The native engine against the burn engine: the same networks, trained from the same
//! initial weights, end in the same place.

mod common;

use aemc::engine::native::Isa;
use aemc::engine::{Batching, BurnDevice, BurnEngine, Engine, EngineKind, NativeEngine, TrainSpec, TrainState};
use aemc::model::{Initializer, Widths};
use aemc::optim::Optimizer;
use common::{agreement_study, assert_class_frequencies_agree, class_counts, max_difference, networks};

/// 1000 random networks of 2-1-2 and of 5-2-5 from the same initial weights: every weight
/// within 1e-5 of burn's after 1, 10 and 1000 Adam steps (the tolerance). The native
/// kernel repeats burn's arithmetic operation for operation (the same sums in the same
/// order, Flex's sigmoid and glibc's `expf`, autodiff's rounding of the loss gradient), so
/// the two agree bit for bit; this prints the largest difference. 1000 steps is a strict
/// test: near a stationary structure Adam divides gradients that are rounding noise by their
/// own size, so a single different rounding grows to order 0.1–1 within 1000 steps. Where
/// the platform's `expf` is another than the one the kernel reproduces, only 1 and 10 steps
/// are checked.
#[test]
fn native_matches_burn_step_by_step() {
    let bit_for_bit = aemc::expf::reproduces_platform_expf();
    if !bit_for_bit {
        println!("skipping 1000 steps: this platform's expf is not the glibc copy the native kernel reproduces");
    }
    let steps: &[u32] = if bit_for_bit { &[1, 10, 1000] } else { &[1, 10] };
    for widths in [Widths::PAPER, Widths::new(5, 2, 5).unwrap()] {
        let init = networks(widths, Initializer::GlorotUniform, 1000, 42);
        for &epochs in steps {
            let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-3, epochs, vae: None };
            let diff = max_difference(&BurnEngine::flex().train(&spec, &init), &NativeEngine.train(&spec, &init));
            println!("{widths}: largest |native − burn| after {epochs} steps = {diff:e}");
            assert!(diff <= 1e-5, "{widths} after {epochs} steps: {diff}");
        }
    }
}

/// The class frequencies of a 20000-run study agree between the engines within 5 standard
/// errors for every class. 1000 epochs at lr 0.01 keep the burn side to about 20 s.
#[test]
fn class_frequencies_agree_between_engines() {
    let spec = agreement_study();
    let burn = EngineKind::Burn.engine(BurnDevice::Flex).unwrap();
    assert_class_frequencies_agree(
        spec.runs,
        ("native", class_counts(&spec, &NativeEngine, 1024)),
        ("burn", class_counts(&spec, burn.as_ref(), 1024)),
    );
}

/// SGD too, and a width that takes the run-time-width kernel, with random biases.
#[test]
fn native_matches_burn_for_sgd_and_other_widths() {
    for widths in [Widths::new(3, 2, 7).unwrap(), Widths::new(16, 3, 16).unwrap()] {
        let init = networks(widths, Initializer::TorchDefault, 50, 7);
        let spec = TrainSpec { widths, optimizer: Optimizer::Sgd, lr: 0.1, epochs: 300, vae: None };
        let diff = max_difference(&BurnEngine::flex().train(&spec, &init), &NativeEngine.train(&spec, &init));
        println!("{widths}: largest |native − burn| after 300 SGD steps = {diff:e}");
        assert!(diff <= 1e-5, "{widths}: {diff}");
    }
}

/// Every kernel this CPU runs (AVX-512, AVX2, portable) gives bit-identical results, and a
/// network's result does not depend on the block it shares. Kernels the CPU cannot run are
/// named, not checked.
#[test]
fn native_is_deterministic_across_kernels_and_blocks() {
    for widths in [Widths::PAPER, Widths::new(5, 2, 5).unwrap(), Widths::new(3, 2, 7).unwrap()] {
        let init = networks(widths, Initializer::GlorotUniform, 37, 3);
        let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-2, epochs: 500, vae: None };
        let all = NativeEngine.train(&spec, &init);
        for isa in Isa::ALL {
            if isa.available() {
                assert_eq!(all, NativeEngine.train_with_isa(isa, &spec, &init), "{widths} {}", isa.name());
            } else {
                println!("not checked: this CPU cannot run the {} kernel", isa.name());
            }
        }
        let shifted = NativeEngine.train(&spec, &init[5..]);
        assert_eq!(&all[5..], &shifted[..]);
    }
}

/// Training E₁ epochs, saving the state (parameters and Adam's moments) and training E₂ more
/// is bit-identical to training E₁ + E₂ at once, in every kernel this CPU runs.
#[test]
fn training_further_from_a_saved_state_equals_training_at_once() {
    let widths = Widths::new(5, 2, 5).unwrap();
    let init = networks(widths, Initializer::GlorotUniform, 40, 8);
    let spec = |epochs| TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-2, epochs, vae: None };
    for isa in Isa::ALL.into_iter().filter(|i| i.available()) {
        let mut at_once = TrainState::new(&init);
        NativeEngine.train_further_with(isa, &spec(700), &mut at_once);
        let mut in_two = TrainState::new(&init);
        NativeEngine.train_further_with(isa, &spec(300), &mut in_two);
        NativeEngine.train_further_with(isa, &spec(400), &mut in_two);
        assert_eq!(in_two, at_once, "{}", isa.name());
        assert_eq!(at_once.epochs_done, 700);
    }
}

/// Subnormal floats are flushed to zero on every thread that trains: after 20000 epochs (the
/// paper's) no parameter or Adam moment of 256 2-1-2 networks is subnormal, and the burn
/// engine, flushing too, stays bit-identical to the native one. The check is not vacuous:
/// without flushing, about half of such networks end with subnormal first moments (Adam's m
/// decays by 0.9 a step once a weight's gradient vanishes, through the subnormal range).
#[test]
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn twenty_thousand_epochs_leave_no_subnormal_parameter_or_moment() {
    let subnormals = |values: &[Vec<f32>]| values.iter().flatten().filter(|x| x.is_subnormal()).count();
    let init = networks(Widths::PAPER, Initializer::GlorotUniform, 256, 20);
    let spec = TrainSpec { widths: Widths::PAPER, optimizer: Optimizer::Adam, lr: 1e-3, epochs: 20_000, vae: None };
    let mut state = TrainState::new(&init);
    NativeEngine.train_further(&spec, &mut state);
    assert_eq!((subnormals(&state.params), subnormals(&state.m), subnormals(&state.v)), (0, 0, 0));
    let burn = BurnEngine::flex().train(&spec, &init[..16]);
    assert_eq!(subnormals(&burn), 0);
    assert_eq!(&burn[..], &state.params[..16], "burn and native stay bit-identical under flushing");
}

/// Networks that diverge (SGD with a learning rate far too large) end with the same
/// non-finite parameters in both engines: relu and its backward pass let NaN through as
/// burn's Flex backend does.
#[test]
fn diverging_networks_fail_alike_in_both_engines() {
    let widths = Widths::new(3, 2, 3).unwrap();
    let init = networks(widths, Initializer::TorchDefault, 64, 11);
    let spec = TrainSpec { widths, optimizer: Optimizer::Sgd, lr: 1e30, epochs: 20, vae: None };
    let (burn, native) = (BurnEngine::flex().train(&spec, &init), NativeEngine.train(&spec, &init));
    let non_finite = burn.iter().flatten().filter(|p| !p.is_finite()).count();
    println!("{non_finite} non-finite parameters after diverging");
    assert!(non_finite > 0, "the learning rate should make some networks diverge");
    for (b, n) in burn.iter().flatten().zip(native.iter().flatten()) {
        assert!(b.to_bits() == n.to_bits() || (b.is_nan() && n.is_nan()), "burn {b}, native {n}");
    }
}

/// CI's wgpu run sets `AEMC_REQUIRE_GPU=1`: then a missing adapter fails the GPU tests
/// (tests/gpu.rs) instead of letting them pass unchecked; without it they skip.
#[test]
fn a_missing_adapter_fails_the_gpu_tests_when_a_gpu_is_required() {
    let missing = || Err::<u8, _>("no Vulkan, Metal or DX12 adapter".to_string());
    let required = std::panic::catch_unwind(|| common::found_or_skip(missing(), true));
    assert!(required.is_err(), "a required GPU that is missing must fail the test");
    assert_eq!(common::found_or_skip(missing(), false), None);
    assert_eq!(common::found_or_skip(Ok(3), true), Some(3));
}

/// A1 on line images (8 × 8, 64 pixels), trained in mini-batches of 16 that each run draws in
/// its own order every epoch, by every CPU engine: a network's result depends on its initial
/// parameters and seed alone (trained with five others, split over threads, or alone),
/// another seed gives another result, and training lowers every network's reconstruction
/// error.
#[test]
fn minibatch_training_on_lines_is_reproducible_and_learns() {
    use aemc::metrics::Reconstruction;
    use aemc::model::reconstruct;
    let (data, layout, spec, init, seeds) = small_lines_task(40);
    let batching = Batching::MiniBatch { size: 16 };
    for (name, engine) in [("burn", &BurnEngine::flex() as &dyn Engine), ("native", &NativeEngine)] {
        let together = engine.train_on(&spec, &data, batching, &init, &seeds);
        let alone: Vec<Vec<f32>> =
            (0..6).flat_map(|i| engine.train_on(&spec, &data, batching, &init[i..i + 1], &seeds[i..i + 1])).collect();
        assert_eq!(together, alone, "{name}");
        let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(one_thread.install(|| engine.train_on(&spec, &data, batching, &init, &seeds)), together, "{name}");
        assert_ne!(engine.train_on(&spec, &data, batching, &init[..1], &[999])[0], together[0], "{name}");
        let mse = |params: &[f32]| {
            let (codes, outputs): (Vec<Vec<f32>>, Vec<Vec<f32>>) =
                (0..data.count()).map(|k| reconstruct(&layout, params, data.image(k))).unzip();
            Reconstruction::of(&data, &outputs.concat(), &codes.concat()).mse
        };
        for (before, after) in init.iter().zip(&together) {
            assert!(mse(after) < mse(before), "{name}: mse {} → {}", mse(before), mse(after));
        }
    }
}

/// Six 4-1-4 networks on 64 line images of 8 × 8 pixels, with their seeds.
fn small_lines_task(
    epochs: u32,
) -> (aemc::data::Dataset, aemc::model::ParamLayout, TrainSpec, Vec<Vec<f32>>, Vec<u64>) {
    use aemc::rng::RunRng;
    let data = aemc::data::lines::lines(8, 64, 3);
    let widths = Widths::new(4, 1, 4).unwrap();
    let layout = aemc::model::ParamLayout::for_pixels(data.pixels(), widths);
    let mut rng = RunRng::new(1);
    let init: Vec<Vec<f32>> = (0..6).map(|_| Initializer::GlorotUniform.draw(&layout, &mut rng)).collect();
    let seeds: Vec<u64> = (100..106).collect();
    let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-2, epochs, vae: None };
    (data, layout, spec, init, seeds)
}

/// The native kernel for images of any size follows burn's training of the same networks:
/// both compute the same mini-batch gradients and Adam steps, with sums in other orders and
/// another e^x (2 ulp against glibc's), so they differ by rounding, which training then
/// carries along. After 5 epochs (20 steps) every parameter agrees within 1e-4 relative to
/// the largest parameter (rounding differences are ~1e-7 a step; 1e-4 leaves room for their
/// growth over 20 steps without letting a wrong gradient, which moves parameters by ~lr = 1e-2
/// a step, pass). Every instruction set of the native kernel gives the same bits.
#[test]
fn native_lines_kernel_follows_burn() {
    use aemc::engine::dense::train_with_isa;
    let (data, _, spec, init, seeds) = small_lines_task(5);
    let batching = Batching::MiniBatch { size: 16 };
    let burn = BurnEngine::flex().train_on(&spec, &data, batching, &init, &seeds);
    let native = NativeEngine.train_on(&spec, &data, batching, &init, &seeds);
    for (a, b) in burn.iter().zip(&native) {
        let scale = a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let diff = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(diff <= 1e-4 * scale, "max difference {diff} of parameters up to {scale}");
    }
    for isa in Isa::ALL.into_iter().filter(|i| i.available()) {
        assert_eq!(train_with_isa(isa, &spec, &data, batching, &init, &seeds), native, "{}", isa.name());
    }
}

/// A2's gradient in the native kernel is that of eq. (1) as `model::vae::loss` computes it:
/// one SGD step of size lr moves every parameter by −lr·∇loss, compared with central
/// differences (step 1e-2) of the reference loss with ε held at each image's epoch-0 draw,
/// for every named reading and σ = e^{b/2} with noise_std 0.3. Torch-default networks have
/// non-zero biases, so no relu sits at its kink; the tolerance, 2e-3 relative to 1 + |∂|,
/// covers the differences' truncation (O(h²) of curvatures of order 1) and f32 rounding.
#[test]
fn vae_gradient_matches_finite_differences() {
    use aemc::model::ParamLayout;
    use aemc::model::vae::{PRESETS, Sigma, VaeSpec, loss};
    use aemc::rng::{RunRng, vae_noise};
    let data = aemc::data::Dataset::squares_2x2();
    let widths = Widths::new(3, 2, 3).unwrap();
    let layout = ParamLayout::vae(4, widths);
    let init = Initializer::TorchDefault.draw(&layout, &mut RunRng::new(5));
    let seed = 42;
    let eps: Vec<Vec<f32>> = (0..4).map(|k| (0..2).map(|u| vae_noise(seed, 0, k, u)).collect()).collect();
    let images: Vec<&[f32]> = (0..4).map(|k| data.image(k)).collect();
    let half = VaeSpec { sigma: Sigma::ExpHalfB, noise_std: 0.3, ..VaeSpec::PAPER };
    for (name, reading) in PRESETS.into_iter().chain([("exp-half-b", half)]) {
        let lr = 1e-2f32;
        let spec = TrainSpec { widths, optimizer: Optimizer::Sgd, lr, epochs: 1, vae: Some(reading) };
        let stepped = &NativeEngine.train_on(&spec, &data, Batching::Full, std::slice::from_ref(&init), &[seed])[0];
        for k in 0..layout.len {
            let grad = f64::from((init[k] - stepped[k]) / lr);
            let h = 1e-2f32;
            let at = |d: f32| {
                let mut p = init.clone();
                p[k] += d;
                loss(&layout, &p, &reading, &images, &eps)
            };
            let numeric = (at(h) - at(-h)) / (2.0 * f64::from(h));
            assert!(
                (grad - numeric).abs() < 2e-3 * (1.0 + numeric.abs()),
                "{name}, parameter {k}: kernel {grad}, numeric {numeric}"
            );
        }
    }
}

/// A2 in mini-batches: each network's result depends on its initial parameters and seed alone
/// (its noise included), not on the population or the threads.
#[test]
fn vae_training_is_reproducible() {
    use aemc::model::vae::VaeSpec;
    let (data, _, spec, _, seeds) = small_lines_task(20);
    let layout = aemc::model::ParamLayout::vae(data.pixels(), spec.widths);
    let mut rng = aemc::rng::RunRng::new(1);
    let init: Vec<Vec<f32>> = (0..6).map(|_| Initializer::GlorotUniform.draw(&layout, &mut rng)).collect();
    let spec = TrainSpec { vae: Some(VaeSpec::PAPER), ..spec };
    let batching = Batching::MiniBatch { size: 16 };
    let together = NativeEngine.train_on(&spec, &data, batching, &init, &seeds);
    let alone: Vec<Vec<f32>> =
        (0..6).flat_map(|i| NativeEngine.train_on(&spec, &data, batching, &init[i..i + 1], &seeds[i..i + 1])).collect();
    assert_eq!(together, alone);
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    assert_eq!(one_thread.install(|| NativeEngine.train_on(&spec, &data, batching, &init, &seeds)), together);
    assert_ne!(NativeEngine.train_on(&spec, &data, batching, &init[..1], &[999])[0], together[0]);
    // burn trains the same A2 with the same noise: after 20 epochs (80 steps) every parameter
    // within 1e-3 of the largest (the A1 test's 1e-4 per 20 steps, grown over four times
    // the steps); a wrong gradient or noise moves parameters by ~lr = 1e-2 a step.
    let burn = BurnEngine::flex().train_on(&spec, &data, batching, &init, &seeds);
    for (a, b) in burn.iter().zip(&together) {
        let scale = a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let diff = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(diff <= 1e-3 * scale, "max difference {diff} of parameters up to {scale}");
    }
}
