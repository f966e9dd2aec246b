//! Seed derivation and the random stream initial weights are drawn from.
//!
//! Every run's seed depends only on the study seed, the run's *initialisation key*
//! (`widths/init`, for example `2-1-2/glorot-uniform`) and its index:
//!
//! ```text
//! mix(x)   = SplitMix64 finaliser of x + 0x9E3779B97F4A7C15
//! key_hash = FNV-1a 64 of the UTF-8 key
//! seed     = mix(mix(study_seed XOR key_hash) XOR run_index)
//! ```
//!
//! Optimiser, learning rate and epochs are left out of the key on purpose: configurations
//! that differ only in training share their initial networks (common random numbers), so
//! their comparison is paired and the init-time analysis is the same for both.
//!
//! From the seed, a SplitMix64 stream gives u64s; `uniform()` is `(x >> 11) · 2⁻⁵³` in
//! [0, 1); `normal()` is Box–Muller's cosine branch on two uniforms,
//! `√(−2 ln(1 − u1)) · cos(2π u2)`. This is enough to replay any run in another tool.

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::SplitMix64;

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser of `x + golden gamma`: a bijective 64-bit mix.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a 64-bit hash, stable across platforms and Rust versions.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The seed of run `index` of configurations sharing `init_key` in a study seeded `study_seed`.
pub fn run_seed(study_seed: u64, init_key: &str, index: u64) -> u64 {
    mix(mix(study_seed ^ fnv1a64(init_key.as_bytes())) ^ index)
}

/// The order in which a run sees `n` training images in epoch `epoch` (0-based) when it
/// trains in mini-batches: a Fisher–Yates shuffle (i from n − 1 down to 1 swaps with
/// ⌊uniform·(i + 1)⌋) drawn from the stream seeded `mix(mix(run_seed ^ FNV-1a("data-order")) ^
/// epoch)`, so it depends on the run's seed and the epoch alone.
pub fn data_order(run_seed: u64, epoch: u32, n: usize) -> Vec<usize> {
    let mut rng = RunRng::new(mix(mix(run_seed ^ fnv1a64(b"data-order")) ^ epoch as u64));
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.uniform() * (i + 1) as f64) as usize;
        order.swap(i, j.min(i));
    }
    order
}

/// A standard normal draw addressed by a counter rather than taken from a stream: draw `index`
/// of step `counter` of the stream `stream` of a run, the [`RunRng::normal`] of the stream
/// seeded `mix(mix(mix(run_seed ^ FNV-1a(stream)) ^ counter) ^ index)`. Any draw can be made
/// alone, in any order, on any thread, with the same value.
pub fn normal_at(run_seed: u64, stream: &str, counter: u64, index: u64) -> f64 {
    RunRng::new(mix(mix(mix(run_seed ^ fnv1a64(stream.as_bytes())) ^ counter) ^ index)).normal()
}

/// A2's noise ε in training: the draw for latent unit `unit` of image `image` (its index in the
/// data set) in epoch `epoch` (0-based) of the run seeded `run_seed`, [`normal_at`] of the
/// stream `"vae-noise"` with counter `epoch` and index `image·2¹⁶ + unit`. Each image gets a
/// fresh draw every epoch, whatever the batch size, population or threads.
pub fn vae_noise(run_seed: u64, epoch: u32, image: usize, unit: usize) -> f32 {
    normal_at(run_seed, "vae-noise", u64::from(epoch), ((image as u64) << 16) + unit as u64) as f32
}

/// The random stream of one run.
pub struct RunRng(SplitMix64);

impl RunRng {
    /// The stream seeded by a run seed.
    pub fn new(seed: u64) -> Self {
        RunRng(SplitMix64::seed_from_u64(seed))
    }

    /// Next raw 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal by Box–Muller (cosine branch; two uniforms per draw).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference_values() {
        // SplitMix64 seeded with 0 yields mix(0) first (reference: Vigna's splitmix64.c).
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
        let mut rng = RunRng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn seeds_differ_by_key_and_index() {
        let a = run_seed(1, "2-1-2/glorot-uniform", 0);
        assert_ne!(a, run_seed(1, "2-1-2/glorot-uniform", 1));
        assert_ne!(a, run_seed(1, "5-2-5/glorot-uniform", 0));
        assert_ne!(a, run_seed(2, "2-1-2/glorot-uniform", 0));
        assert_eq!(a, run_seed(1, "2-1-2/glorot-uniform", 0));
    }

    #[test]
    fn data_orders_are_permutations_that_depend_on_seed_and_epoch_only() {
        let order = data_order(5, 3, 1000);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_eq!(order, data_order(5, 3, 1000));
        assert_ne!(order, data_order(5, 4, 1000));
        assert_ne!(order, data_order(6, 3, 1000));
        // Each image is first equally often over many epochs: 1000 epochs of 4 images, each
        // first with probability 1/4 (standard error of a count √(1000·3/16) ≈ 13.7; 5 of them).
        let mut first = [0u32; 4];
        (0..1000).for_each(|e| first[data_order(9, e, 4)[0]] += 1);
        assert!(first.iter().all(|&c| (c as f64 - 250.0).abs() < 5.0 * 13.7), "{first:?}");
    }

    #[test]
    fn uniform_in_unit_interval() {
        let mut rng = RunRng::new(7);
        let mean = (0..100_000).map(|_| rng.uniform()).inspect(|u| assert!((0.0..1.0).contains(u))).sum::<f64>() / 1e5;
        // Standard error of the mean of U(0,1) over 1e5 draws is 0.29/316 ≈ 9e-4; allow 5 SE.
        assert!((mean - 0.5).abs() < 5.0 * 9.2e-4, "{mean}");
    }

    #[test]
    fn addressed_normals_are_reproducible_and_standard() {
        assert_eq!(vae_noise(3, 7, 11, 1), vae_noise(3, 7, 11, 1));
        assert_ne!(vae_noise(3, 7, 11, 1), vae_noise(3, 7, 11, 0));
        assert_ne!(vae_noise(3, 7, 11, 1), vae_noise(3, 8, 11, 1));
        assert_ne!(vae_noise(3, 7, 11, 1), vae_noise(4, 7, 11, 1));
        // 10⁵ draws: mean within 5 standard errors (1/√10⁵) of 0, variance within 5 of 1
        // (standard error √(2/10⁵)).
        let draws: Vec<f64> = (0..100_000).map(|k| f64::from(vae_noise(1, k / 100, (k % 100) as usize, 0))).collect();
        let mean = draws.iter().sum::<f64>() / 1e5;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 1e5;
        assert!(mean.abs() < 5.0 / 1e5f64.sqrt(), "{mean}");
        assert!((var - 1.0).abs() < 5.0 * (2.0 / 1e5f64).sqrt(), "{var}");
    }
}
