//! The native engine: forward pass, backward pass and optimiser hand-derived and fused into
//! one loop over a block of networks held as structure of arrays: every parameter is a
//! vector of `LANES` values, one per network, so each arithmetic instruction advances
//! `LANES` networks. The AVX2 copy advances two such vectors per value (16 networks a
//! block), which gives the core two independent dependency chains to overlap; the AVX-512
//! copy one 16-lane register per value (docs/performance.md says what each shape gains).
//! A block runs all its epochs while its parameters sit in L1 cache; blocks are spread over
//! the cores with rayon, on threads that flush subnormals to zero ([`super::flush`]). Layer 4
//! and the sigmoid are software-pipelined across the 16 (image, pixel) positions (see
//! `train_block`).
//!
//! The kernel is written once, generic over the hidden widths: common widths get their own
//! instantiation with constant loop bounds, every other width up to 16 the instantiation
//! whose bounds are read at run time. It is compiled three times, for AVX-512, for AVX2 and
//! for the baseline instruction set ([`Isa`]); the widest the CPU runs is chosen at run time
//! unless `AEMC_ISA` names another. FMA is used only where [`crate::expf`] uses it
//! explicitly (Rust does not contract), so every copy gives bit-identical results on every
//! x86-64 machine.
//!
//! The kernel repeats the burn engine's arithmetic operation for operation, so that the two
//! engines agree bit for bit: each sum in burn's order (from zero, inputs in index order,
//! images in order), relu and the sigmoid as burn's Flex backend computes them, e^x as the
//! glibc `expf` Flex calls, and the loss gradient rounded as burn's autodiff rounds it.

use std::ops::{Add, Div, Mul, Sub};

use rayon::prelude::*;

use super::flush::flushing;
use super::{Batching, Engine, TrainSpec, TrainState};
use crate::data::{Dataset, IMAGE_COUNT, IMAGES, PIXELS};
use crate::expf::sigmoid;
use crate::model::{LayerSlot, ParamLayout, Widths};
use crate::optim::{ADAM_EPSILON, ADAM_ONE_MINUS_BETA1, ADAM_ONE_MINUS_BETA2, Optimizer};

/// Networks advanced by one instruction: 8 f32 lanes fill an AVX2 register.
pub const LANES: usize = 8;
/// Largest hidden width the native engine trains.
pub const MAX_WIDTH: usize = 16;

type V = [f32; LANES];

/// 1/16: the loss is the mean over 4 images × 4 pixels.
const INV_SIXTEEN: f32 = 1.0 / (IMAGE_COUNT * PIXELS) as f32;

/// The native CPU engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeEngine;

impl NativeEngine {
    /// Whether the engine can train networks of these widths.
    pub fn supports(widths: Widths) -> bool {
        widths.h1 <= MAX_WIDTH && widths.h2 <= MAX_WIDTH && widths.h3 <= MAX_WIDTH
    }
}

pub use super::isa::{ISA_VARIABLE, Isa};

/// Arithmetic on one value of every network in a block. The kernel is written once against
/// this trait: [`Portable`] computes lane by lane (the compiler vectorises what it can), and
/// [`Avx2`] and [`Avx512`] hold a register and use intrinsics, because left to itself the
/// compiler vectorises the wide copies in odd directions (across parameters or pixels, with
/// transposes around them). All do the same IEEE operations in the same order, so they agree
/// bit for bit.
trait Lanes: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> {
    /// How many `V` (8 networks each) one value holds.
    const VECTORS: usize;
    /// Reads `VECTORS` consecutive `V`.
    fn load(v: &[V]) -> Self;
    /// Writes `VECTORS` consecutive `V`.
    fn store(self, out: &mut [V]);
    /// `x` in every lane.
    fn splat(x: f32) -> Self;
    /// The correctly rounded square root of each lane.
    fn sqrt(self) -> Self;
    /// `z > 0 || z is NaN ? self : 0` in each lane: relu (`z` = `self`) and its backward
    /// pass, as Flex computes them (NaN passes through, so diverged networks match too).
    fn where_positive(self, z: Self) -> Self;
    /// [`sigmoid`] in each lane, split in two so that the kernel can start one sigmoid
    /// while it finishes the one before (see `train_block`): what the first part hands on.
    type SigmoidParts: Copy;
    /// The first part of [`sigmoid`] in each lane: up to its division.
    fn sigmoid_start(self) -> Self::SigmoidParts;
    /// The rest of [`sigmoid`] in each lane.
    fn sigmoid_finish(parts: Self::SigmoidParts) -> Self;
}

/// [`Lanes`] as an array, computed lane by lane.
#[derive(Clone, Copy)]
struct Portable(V);

#[inline(always)]
fn map1(a: &V, f: impl Fn(f32) -> f32) -> V {
    // Not `[T; N]::map`, which is not always inlined into the AVX2 copy.
    std::array::from_fn(|l| f(a[l]))
}

macro_rules! portable_binary {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Portable {
            type Output = Portable;
            #[inline(always)]
            fn $method(self, other: Portable) -> Portable {
                Portable(std::array::from_fn(|l| self.0[l] $op other.0[l]))
            }
        }
    };
}
portable_binary!(Add, add, +);
portable_binary!(Sub, sub, -);
portable_binary!(Mul, mul, *);
portable_binary!(Div, div, /);

impl Lanes for Portable {
    const VECTORS: usize = 1;
    #[inline(always)]
    fn load(v: &[V]) -> Self {
        Portable(v[0])
    }
    #[inline(always)]
    fn store(self, out: &mut [V]) {
        out[0] = self.0;
    }
    #[inline(always)]
    fn splat(x: f32) -> Self {
        Portable([x; LANES])
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Portable(map1(&self.0, f32::sqrt))
    }
    #[inline(always)]
    fn where_positive(self, z: Self) -> Self {
        Portable(std::array::from_fn(|l| if z.0[l] > 0.0 || z.0[l].is_nan() { self.0[l] } else { 0.0 }))
    }
    type SigmoidParts = Self;
    #[inline(always)]
    fn sigmoid_start(self) -> Self {
        self
    }
    #[inline(always)]
    fn sigmoid_finish(z: Self) -> Self {
        Portable(map1(&z.0, sigmoid))
    }
}

/// [`Lanes`] as an AVX2 register. Every operation is an `avx2` target-feature function, so
/// it is inlined only into the AVX2 kernel, which is the only place this type is used.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Avx2(std::arch::x86_64::__m256);

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::V;

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn load(v: &[V]) -> __m256 {
        // SAFETY: `v[0]` is 8 floats, read unaligned.
        unsafe { _mm256_loadu_ps(v[0].as_ptr()) }
    }
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn store(x: __m256, out: &mut [V]) {
        // SAFETY: `out[0]` is 8 floats, written unaligned.
        unsafe { _mm256_storeu_ps(out[0].as_mut_ptr(), x) }
    }
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn splat(x: f32) -> __m256 {
        _mm256_set1_ps(x)
    }
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn sub(a: __m256, b: __m256) -> __m256 {
        _mm256_sub_ps(a, b)
    }
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn mul(a: __m256, b: __m256) -> __m256 {
        _mm256_mul_ps(a, b)
    }
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn div(a: __m256, b: __m256) -> __m256 {
        _mm256_div_ps(a, b)
    }
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn sqrt(a: __m256) -> __m256 {
        _mm256_sqrt_ps(a)
    }
    /// [`crate::expf::sigmoid`] of 8 lanes `z` up to its division: `z` and e^−|z|.
    pub type SigmoidParts = (__m256, __m256);

    /// The first part of the sigmoid of 8 lanes `z`: `z` and e^−|z|, computed as
    /// [`crate::expf::expf`] computes it (the same operations, four lanes at a time
    /// in double precision).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn sigmoid_start(z: __m256) -> SigmoidParts {
        use crate::expf::{C0, C1, C2, INV_LN2_N, SHIFT, TABLE};
        // −|z|, clamped below as expf clamps it (`max` returns its second operand, so NaN
        // stays NaN).
        let x = _mm256_max_ps(_mm256_set1_ps(-104.0), _mm256_or_ps(z, _mm256_set1_ps(-0.0)));
        #[target_feature(enable = "avx2,fma")]
        #[inline]
        fn half(x: __m256d) -> __m128 {
            let (inv, shift) = (_mm256_set1_pd(f64::from_bits(INV_LN2_N)), _mm256_set1_pd(f64::from_bits(SHIFT)));
            let shifted = _mm256_fmadd_pd(inv, x, shift);
            // SAFETY: four f64 lanes reinterpreted as their bits.
            let k: [u64; 4] = unsafe { std::mem::transmute::<__m256d, [u64; 4]>(shifted) };
            // Lane by lane, the cheapest table read for this kernel (docs/performance.md).
            let entries = _mm256_setr_epi64x(
                TABLE[(k[0] % 32) as usize] as i64,
                TABLE[(k[1] % 32) as usize] as i64,
                TABLE[(k[2] % 32) as usize] as i64,
                TABLE[(k[3] % 32) as usize] as i64,
            );
            let k = _mm256_castpd_si256(shifted);
            let r = _mm256_fmsub_pd(inv, x, _mm256_sub_pd(shifted, shift));
            let scale = _mm256_castsi256_pd(_mm256_add_epi64(entries, _mm256_slli_epi64::<47>(k)));
            let cubic = _mm256_fmadd_pd(_mm256_set1_pd(f64::from_bits(C0)), r, _mm256_set1_pd(f64::from_bits(C1)));
            let linear = _mm256_fmadd_pd(_mm256_set1_pd(f64::from_bits(C2)), r, _mm256_set1_pd(1.0));
            _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_fmadd_pd(cubic, _mm256_mul_pd(r, r), linear), scale))
        }
        let low = half(_mm256_cvtps_pd(_mm256_castps256_ps128(x)));
        let high = half(_mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x)));
        (z, _mm256_set_m128(high, low))
    }

    /// The sigmoid from [`sigmoid_start`]'s parts: 1/(1 + e) for z ≥ 0, e/(1 + e) below.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn sigmoid_finish((z, e): SigmoidParts) -> __m256 {
        let one = _mm256_set1_ps(1.0);
        let numerator = _mm256_blendv_ps(e, one, _mm256_cmp_ps::<_CMP_GE_OQ>(z, _mm256_setzero_ps()));
        _mm256_div_ps(numerator, _mm256_add_ps(one, e))
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub fn where_positive(a: __m256, z: __m256) -> __m256 {
        // "Not less than or equal", unordered: true for z > 0 and for NaN.
        _mm256_and_ps(a, _mm256_cmp_ps::<_CMP_NLE_UQ>(z, _mm256_setzero_ps()))
    }
}

/// [`Lanes`] as an AVX-512 register (16 networks). Every operation is an `avx512f`
/// target-feature function, inlined only into the AVX-512 kernel, the only place this type is
/// used. The operations are [`Avx2`]'s, lane for lane, so the kernels agree bit for bit.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Avx512(std::arch::x86_64::__m512);

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::V;

    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn load(v: &[V]) -> __m512 {
        let v: &[V; 2] = v.try_into().expect("two vectors");
        // SAFETY: `v` is 16 contiguous floats, read unaligned.
        unsafe { _mm512_loadu_ps(v.as_ptr().cast()) }
    }
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn store(x: __m512, out: &mut [V]) {
        let out: &mut [V; 2] = out.try_into().expect("two vectors");
        // SAFETY: `out` is 16 contiguous floats, written unaligned.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr().cast(), x) }
    }
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn splat(x: f32) -> __m512 {
        _mm512_set1_ps(x)
    }
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn add(a: __m512, b: __m512) -> __m512 {
        _mm512_add_ps(a, b)
    }
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn sub(a: __m512, b: __m512) -> __m512 {
        _mm512_sub_ps(a, b)
    }
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn mul(a: __m512, b: __m512) -> __m512 {
        _mm512_mul_ps(a, b)
    }
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn div(a: __m512, b: __m512) -> __m512 {
        _mm512_div_ps(a, b)
    }
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn sqrt(a: __m512) -> __m512 {
        _mm512_sqrt_ps(a)
    }

    /// What the sigmoid's first part hands on: `z` and e^−|z|.
    pub type SigmoidParts = (__m512, __m512);

    /// As [`super::avx2::sigmoid_start`], 16 lanes at a time (eight in double precision).
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn sigmoid_start(z: __m512) -> SigmoidParts {
        use crate::expf::{C0, C1, C2, INV_LN2_N, SHIFT, TABLE};
        let minus_zero = _mm512_castps_si512(_mm512_set1_ps(-0.0));
        let negative = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(z), minus_zero));
        let x = _mm512_max_ps(_mm512_set1_ps(-104.0), negative);
        #[target_feature(enable = "avx512f,avx2,fma")]
        #[inline]
        fn half(x: __m512d) -> __m256 {
            let (inv, shift) = (_mm512_set1_pd(f64::from_bits(INV_LN2_N)), _mm512_set1_pd(f64::from_bits(SHIFT)));
            let shifted = _mm512_fmadd_pd(inv, x, shift);
            // SAFETY: eight f64 lanes reinterpreted as their bits.
            let k: [u64; 8] = unsafe { std::mem::transmute::<__m512d, [u64; 8]>(shifted) };
            let entry = |i: usize| TABLE[(k[i] % 32) as usize] as i64;
            let entries =
                _mm512_setr_epi64(entry(0), entry(1), entry(2), entry(3), entry(4), entry(5), entry(6), entry(7));
            let k = _mm512_castpd_si512(shifted);
            let r = _mm512_fmsub_pd(inv, x, _mm512_sub_pd(shifted, shift));
            let scale = _mm512_castsi512_pd(_mm512_add_epi64(entries, _mm512_slli_epi64::<47>(k)));
            let cubic = _mm512_fmadd_pd(_mm512_set1_pd(f64::from_bits(C0)), r, _mm512_set1_pd(f64::from_bits(C1)));
            let linear = _mm512_fmadd_pd(_mm512_set1_pd(f64::from_bits(C2)), r, _mm512_set1_pd(1.0));
            _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_fmadd_pd(cubic, _mm512_mul_pd(r, r), linear), scale))
        }
        let low = half(_mm512_cvtps_pd(_mm512_castps512_ps256(x)));
        let high = half(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(x)))));
        let joined = _mm512_insertf64x4::<1>(_mm512_castpd256_pd512(_mm256_castps_pd(low)), _mm256_castps_pd(high));
        (z, _mm512_castpd_ps(joined))
    }

    /// The sigmoid from [`sigmoid_start`]'s parts: 1/(1 + e) for z ≥ 0, e/(1 + e) below.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn sigmoid_finish((z, e): SigmoidParts) -> __m512 {
        let one = _mm512_set1_ps(1.0);
        let numerator = _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_GE_OQ>(z, _mm512_setzero_ps()), e, one);
        _mm512_div_ps(numerator, _mm512_add_ps(one, e))
    }

    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    pub fn where_positive(a: __m512, z: __m512) -> __m512 {
        // "Not less than or equal", unordered: true for z > 0 and for NaN; +0 elsewhere.
        _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_NLE_UQ>(z, _mm512_setzero_ps()), a)
    }
}

/// The [`Lanes`] impl, arithmetic operators included, of the register type `$ty`, whose
/// operations are the functions of `$module`, with `$vectors` [`V`] per value.
#[cfg(target_arch = "x86_64")]
macro_rules! register_lanes {
    ($ty:ident, $module:ident, $vectors:expr) => {
        register_lanes!(@binary $ty, $module, Add, add);
        register_lanes!(@binary $ty, $module, Sub, sub);
        register_lanes!(@binary $ty, $module, Mul, mul);
        register_lanes!(@binary $ty, $module, Div, div);

        // SAFETY (every method): values of `$ty` exist only in the kernel compiled for its
        // instruction set, which runs only where the CPU has it (see `$ty`).
        impl Lanes for $ty {
            const VECTORS: usize = $vectors;
            #[inline(always)]
            fn load(v: &[V]) -> Self {
                $ty(unsafe { $module::load(v) })
            }
            #[inline(always)]
            fn store(self, out: &mut [V]) {
                unsafe { $module::store(self.0, out) }
            }
            #[inline(always)]
            fn splat(x: f32) -> Self {
                $ty(unsafe { $module::splat(x) })
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $ty(unsafe { $module::sqrt(self.0) })
            }
            #[inline(always)]
            fn where_positive(self, z: Self) -> Self {
                $ty(unsafe { $module::where_positive(self.0, z.0) })
            }
            type SigmoidParts = $module::SigmoidParts;
            #[inline(always)]
            fn sigmoid_start(self) -> $module::SigmoidParts {
                unsafe { $module::sigmoid_start(self.0) }
            }
            #[inline(always)]
            fn sigmoid_finish(parts: $module::SigmoidParts) -> Self {
                $ty(unsafe { $module::sigmoid_finish(parts) })
            }
        }
    };
    (@binary $ty:ident, $module:ident, $trait:ident, $method:ident) => {
        impl $trait for $ty {
            type Output = $ty;
            #[inline(always)]
            fn $method(self, other: $ty) -> $ty {
                // SAFETY: as for the `Lanes` methods below.
                $ty(unsafe { $module::$method(self.0, other.0) })
            }
        }
    };
}
#[cfg(target_arch = "x86_64")]
register_lanes!(Avx2, avx2, 1);
#[cfg(target_arch = "x86_64")]
register_lanes!(Avx512, avx512, 2);

/// The kernel's sigmoid of each value of `z` into `out`, eight lanes at a time as the kernel
/// computes it on this CPU (the AVX2 copy where the CPU has it): for benchmarks and tests.
/// Values past the last multiple of 8 are left alone.
pub fn kernel_sigmoids(z: &[f32], out: &mut [f32]) {
    #[inline(always)]
    fn each<L: Lanes>(z: &[f32], out: &mut [f32]) {
        for (z, out) in z.chunks_exact(LANES).zip(out.chunks_exact_mut(LANES)) {
            let z: &V = z.try_into().expect("LANES values");
            L::sigmoid_finish(L::load(std::slice::from_ref(z)).sigmoid_start())
                .store(std::slice::from_mut(<&mut V>::try_from(out).expect("LANES values")));
        }
    }
    #[cfg(target_arch = "x86_64")]
    if Isa::Avx2.available() {
        #[target_feature(enable = "avx2,fma")]
        fn avx2(z: &[f32], out: &mut [f32]) {
            each::<Avx2>(z, out)
        }
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { avx2(z, out) };
    }
    each::<Portable>(z, out)
}

/// The kernel's sigmoid of 8 lanes in an AVX2 register, for benchmarks (`benches/bound.rs`
/// times it among the kernel's other operations).
///
/// # Safety
///
/// Call it only where the CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub fn avx2_sigmoid(z: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    avx2::sigmoid_finish(avx2::sigmoid_start(z))
}

/// Two [`Lanes`] values advanced together: twice the networks per block, so that the
/// out-of-order core has two independent dependency chains to overlap.
#[derive(Clone, Copy)]
struct Pair<L>(L, L);

macro_rules! pair_binary {
    ($trait:ident, $method:ident) => {
        impl<L: Lanes> $trait for Pair<L> {
            type Output = Pair<L>;
            #[inline(always)]
            fn $method(self, other: Pair<L>) -> Pair<L> {
                Pair(self.0.$method(other.0), self.1.$method(other.1))
            }
        }
    };
}
pair_binary!(Add, add);
pair_binary!(Sub, sub);
pair_binary!(Mul, mul);
pair_binary!(Div, div);

impl<L: Lanes> Lanes for Pair<L> {
    const VECTORS: usize = 2 * L::VECTORS;
    #[inline(always)]
    fn load(v: &[V]) -> Self {
        Pair(L::load(&v[..L::VECTORS]), L::load(&v[L::VECTORS..]))
    }
    #[inline(always)]
    fn store(self, out: &mut [V]) {
        let (a, b) = out.split_at_mut(L::VECTORS);
        self.0.store(a);
        self.1.store(b);
    }
    #[inline(always)]
    fn splat(x: f32) -> Self {
        Pair(L::splat(x), L::splat(x))
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        Pair(self.0.sqrt(), self.1.sqrt())
    }
    #[inline(always)]
    fn where_positive(self, z: Self) -> Self {
        Pair(self.0.where_positive(z.0), self.1.where_positive(z.1))
    }
    type SigmoidParts = (L::SigmoidParts, L::SigmoidParts);
    #[inline(always)]
    fn sigmoid_start(self) -> Self::SigmoidParts {
        (self.0.sigmoid_start(), self.1.sigmoid_start())
    }
    #[inline(always)]
    fn sigmoid_finish(parts: Self::SigmoidParts) -> Self {
        Pair(L::sigmoid_finish(parts.0), L::sigmoid_finish(parts.1))
    }
}

/// The backward pass of one dense layer for one image: accumulates the bias and kernel
/// gradients from the output gradient `d_out(o)` and adds the input gradient to `d_in`.
#[inline(always)]
fn dense_backward<L: Lanes>(
    slot: &LayerSlot,
    theta: &[L],
    grad: &mut [L],
    input: &[L],
    d_out: impl Fn(usize) -> L,
    d_in: &mut [L],
) {
    for o in 0..slot.fan_out {
        let d = d_out(o);
        grad[slot.b(o)] = grad[slot.b(o)] + d;
        for (i, &a) in input.iter().enumerate() {
            grad[slot.w(i, o)] = grad[slot.w(i, o)] + a * d;
            d_in[i] = d_in[i] + d * theta[slot.w(i, o)];
        }
    }
}

/// Output `o` of one dense layer for one image: the inputs' weighted sum in index order from
/// zero, then the bias, as burn sums it.
#[inline(always)]
fn dense_output<L: Lanes>(slot: &LayerSlot, theta: &[L], input: &[L], o: usize) -> L {
    let mut acc = L::splat(0.0);
    for (i, &a) in input.iter().enumerate() {
        acc = acc + a * theta[slot.w(i, o)];
    }
    acc + theta[slot.b(o)]
}

/// The kernel's widths: constants where the instantiation names them, else the run-time ones.
#[inline(always)]
fn width(constant: usize, runtime: usize) -> usize {
    if constant == MAX_WIDTH { runtime } else { constant }
}

/// Trains one block of `L::VECTORS · LANES` networks for `spec.epochs` epochs. `state` holds
/// the parameters, then Adam's first moments, then its second moments, each as `L::VECTORS`
/// vectors per parameter in [`ParamLayout`] order; `alphas` holds Adam's α of each epoch.
#[inline(always)]
fn train_block<const H1: usize, const H2: usize, const H3: usize, L: Lanes>(
    spec: &TrainSpec,
    alphas: &[f32],
    state: &mut [V],
) {
    let (h1, h2, h3) = (width(H1, spec.widths.h1), width(H2, spec.widths.h2), width(H3, spec.widths.h3));
    let layout = ParamLayout::new(Widths { h1, h2, h3 });
    let [l1, l2, l3, l4] = layout.layers;
    let len = layout.len;
    let load = |part: &[V]| -> Vec<L> { part.chunks_exact(L::VECTORS).map(L::load).collect() };
    let third = state.len() / 3;
    let (mut theta, mut m, mut v) = (load(&state[..third]), load(&state[third..2 * third]), load(&state[2 * third..]));
    let zero = L::splat(0.0);
    let mut grad = vec![zero; len];
    // Slices of the layout's (often constant) length let the compiler drop bounds checks.
    let (theta, m, v, grad) = (&mut theta[..len], &mut m[..len], &mut v[..len], &mut grad[..len]);
    let mut pre1 = [[zero; H1]; IMAGE_COUNT];
    let mut act1 = [[zero; H1]; IMAGE_COUNT];
    let mut code = [[zero; H2]; IMAGE_COUNT];
    let mut pre3 = [[zero; H3]; IMAGE_COUNT];
    let mut act3 = [[zero; H3]; IMAGE_COUNT];
    let mut dlogit = [[zero; PIXELS]; IMAGE_COUNT];
    let (one, inv_sixteen) = (L::splat(1.0), L::splat(INV_SIXTEEN));
    for t in 1..=spec.epochs {
        // Forward: x·W + b for each layer, as the burn engine does, a layer for all four
        // images before the next, so that the core overlaps the images' independent chains.
        for (k, x) in IMAGES.iter().enumerate() {
            let pixels: [L; PIXELS] = std::array::from_fn(|p| L::splat(x[p]));
            for j in 0..h1 {
                pre1[k][j] = dense_output(&l1, theta, &pixels, j);
                act1[k][j] = pre1[k][j].where_positive(pre1[k][j]);
            }
        }
        for k in 0..IMAGE_COUNT {
            for (c, out) in code[k][..h2].iter_mut().enumerate() {
                *out = dense_output(&l2, theta, &act1[k][..h1], c);
            }
        }
        for k in 0..IMAGE_COUNT {
            for u in 0..h3 {
                pre3[k][u] = dense_output(&l3, theta, &code[k][..h2], u);
                act3[k][u] = pre3[k][u].where_positive(pre3[k][u]);
            }
        }
        // Layer 4, the sigmoid and the loss gradient at each of the 16 (image, pixel)
        // positions, software-pipelined three deep: step i computes the logit of position
        // i + 2, starts the sigmoid of i + 1 and finishes i. One sigmoid's dependency chain
        // is longer than the out-of-order window covers; interleaving three positions' parts
        // lets the core overlap them.
        // The last two steps wrap around and compute parts that are never used.
        const POSITIONS: usize = IMAGE_COUNT * PIXELS;
        // (No closure for the logit: closures are not inlined into the AVX2 copy.)
        let mut started = dense_output(&l4, theta, &act3[0][..h3], 0).sigmoid_start();
        let mut logit_next = dense_output(&l4, theta, &act3[0][..h3], 1);
        for i in 0..POSITIONS {
            let n = (i + 2) % POSITIONS;
            let logit_after = dense_output(&l4, theta, &act3[n / PIXELS][..h3], n % PIXELS);
            let started_next = logit_next.sigmoid_start();
            let (k, p) = (i / PIXELS, i % PIXELS);
            let y = L::sigmoid_finish(started);
            // d(Σ(y−x)²/16)/dlogit = 2(y−x)/16 · y(1−y), rounded as burn's autodiff
            // rounds it: the square's two factors each contribute (y−x)/16, then the
            // sigmoid's backward multiplies by y and by 1−y in turn.
            let half = (y - L::splat(IMAGES[k][p])) * inv_sixteen;
            dlogit[k][p] = ((half + half) * y) * (one - y);
            (started, logit_next) = (started_next, logit_after);
        }
        // Backward, layer 4 down to layer 1, accumulating over the four images into `grad`,
        // which the update below leaves at zero.
        for k in 0..IMAGE_COUNT {
            let x = &IMAGES[k];
            let mut dact3 = [zero; H3];
            dense_backward(&l4, theta, grad, &act3[k][..h3], |p| dlogit[k][p], &mut dact3);
            let mut dcode = [zero; H2];
            // relu'(z) = 0 for z ≤ 0, as burn.
            let relu3 = |u: usize| dact3[u].where_positive(pre3[k][u]);
            dense_backward(&l3, theta, grad, &code[k][..h2], relu3, &mut dcode);
            let mut dact1 = [zero; H1];
            dense_backward(&l2, theta, grad, &act1[k][..h1], |c| dcode[c], &mut dact1);
            for j in 0..h1 {
                let d = dact1[j].where_positive(pre1[k][j]);
                grad[l1.b(j)] = grad[l1.b(j)] + d;
                for (p, &xp) in x.iter().enumerate() {
                    grad[l1.w(p, j)] = grad[l1.w(p, j)] + L::splat(xp) * d;
                }
            }
        }
        // Update (as `crate::optim::adam_update`), zeroing each gradient once used rather than
        // in a separate pass.
        match spec.optimizer {
            Optimizer::Sgd => {
                let lr = L::splat(spec.lr);
                for (th, g) in theta.iter_mut().zip(grad.iter_mut()) {
                    *th = *th - *g * lr;
                    *g = zero;
                }
            }
            Optimizer::Adam => {
                let alpha = L::splat(alphas[t as usize - 1]);
                let (c1, c2, eps) =
                    (L::splat(ADAM_ONE_MINUS_BETA1), L::splat(ADAM_ONE_MINUS_BETA2), L::splat(ADAM_EPSILON));
                for ((th, g), (m, v)) in theta.iter_mut().zip(grad.iter_mut()).zip(m.iter_mut().zip(v.iter_mut())) {
                    let g = std::mem::replace(g, zero);
                    *m = *m + (g - *m) * c1;
                    *v = *v + (g * g - *v) * c2;
                    *th = *th - (*m * alpha) / (v.sqrt() + eps);
                }
            }
        }
    }
    for (out, lanes) in state.chunks_exact_mut(L::VECTORS).zip(theta.iter().chain(m.iter()).chain(v.iter())) {
        lanes.store(out);
    }
}

/// The kernel for given widths, compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn train_block_avx2<const H1: usize, const H2: usize, const H3: usize>(
    spec: &TrainSpec,
    alphas: &[f32],
    theta: &mut [V],
) {
    train_block::<H1, H2, H3, Pair<Avx2>>(spec, alphas, theta)
}

/// The kernel for given widths, compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn train_block_avx512<const H1: usize, const H2: usize, const H3: usize>(
    spec: &TrainSpec,
    alphas: &[f32],
    theta: &mut [V],
) {
    train_block::<H1, H2, H3, Avx512>(spec, alphas, theta)
}

/// The kernel for given widths, compiled for the baseline instruction set.
fn train_block_portable<const H1: usize, const H2: usize, const H3: usize>(
    spec: &TrainSpec,
    alphas: &[f32],
    theta: &mut [V],
) {
    train_block::<H1, H2, H3, Portable>(spec, alphas, theta)
}

/// A kernel instantiation and the networks per block it trains.
type Kernel = (fn(&TrainSpec, &[f32], &mut [V]), usize);

fn kernel_for<const H1: usize, const H2: usize, const H3: usize>(isa: Isa) -> Kernel {
    assert!(isa.available(), "this CPU cannot run the {} kernel", isa.name());
    match isa {
        // SAFETY: the CPU has AVX-512F, AVX2 and FMA (asserted above).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => {
            (|s, a, t| unsafe { train_block_avx512::<H1, H2, H3>(s, a, t) }, <Avx512 as Lanes>::VECTORS * LANES)
        }
        // SAFETY: the CPU has AVX2 and FMA (asserted above).
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => {
            (|s, a, t| unsafe { train_block_avx2::<H1, H2, H3>(s, a, t) }, <Pair<Avx2> as Lanes>::VECTORS * LANES)
        }
        _ => (train_block_portable::<H1, H2, H3>, <Portable as Lanes>::VECTORS * LANES),
    }
}

/// The kernel instantiation for these widths and instruction set.
fn kernel(widths: Widths, isa: Isa) -> Kernel {
    match (widths.h1, widths.h2, widths.h3) {
        (2, 1, 2) => kernel_for::<2, 1, 2>(isa),
        (3, 1, 3) => kernel_for::<3, 1, 3>(isa),
        (4, 1, 4) => kernel_for::<4, 1, 4>(isa),
        (5, 2, 5) => kernel_for::<5, 2, 5>(isa),
        _ => kernel_for::<MAX_WIDTH, MAX_WIDTH, MAX_WIDTH>(isa),
    }
}

impl NativeEngine {
    /// Trains a population `spec.epochs` epochs further from where `state` left it, Adam's
    /// moments and step count included, with the kernel for `isa` (which the CPU must run):
    /// training E₁ epochs and then E₂ more is bit-identical to training E₁ + E₂ at once.
    pub fn train_further_with(&self, isa: Isa, spec: &TrainSpec, state: &mut TrainState) {
        train_with(spec, state, kernel(spec.widths, isa));
    }

    /// [`NativeEngine::train_further_with`] the instruction set [`Isa::selected`] names.
    ///
    /// # Panics
    ///
    /// Where `AEMC_ISA` names no instruction set this CPU runs (the command line checks it
    /// first and answers with one line).
    pub fn train_further(&self, spec: &TrainSpec, state: &mut TrainState) {
        let isa = Isa::selected().unwrap_or_else(|e| panic!("{ISA_VARIABLE}: {e}"));
        self.train_further_with(isa, spec, state);
    }

    /// Trains from the initial parameters with the kernel for `isa` (for tests and benchmarks).
    pub fn train_with_isa(&self, isa: Isa, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let mut state = TrainState::new(initial);
        self.train_further_with(isa, spec, &mut state);
        state.params
    }
}

fn train_with(spec: &TrainSpec, state: &mut TrainState, kernel: Kernel) {
    assert!(NativeEngine::supports(spec.widths), "native engine: widths {} exceed {MAX_WIDTH}", spec.widths);
    let len = ParamLayout::new(spec.widths).len;
    let alphas = spec.adam_alphas_after(state.epochs_done);
    let (kernel, block) = kernel;
    let vectors = block / LANES;
    let TrainState { params, m, v, epochs_done } = state;
    flushing(|| {
        let nets = params.par_chunks_mut(block).zip(m.par_chunks_mut(block)).zip(v.par_chunks_mut(block));
        nets.for_each(|((params, m), v)| {
            // Value k of network n is lane n % LANES of vector k·vectors + n / LANES; the
            // parameters, then the moments. Lanes past the population's end train copies of its
            // first network and are dropped.
            let parts = [&*params, &*m, &*v];
            let lane = |part: &[Vec<f32>], k: usize, h: usize, l: usize| part.get(h * LANES + l).unwrap_or(&part[0])[k];
            let mut block_state: Vec<V> = parts
                .iter()
                .flat_map(|part| {
                    (0..len * vectors).map(move |i| std::array::from_fn(|l| lane(part, i / vectors, i % vectors, l)))
                })
                .collect();
            kernel(spec, &alphas, &mut block_state);
            for (p, part) in [params, m, v].into_iter().enumerate() {
                for (n, net) in part.iter_mut().enumerate() {
                    for (k, x) in net.iter_mut().enumerate() {
                        *x = block_state[p * len * vectors + k * vectors + n / LANES][n % LANES];
                    }
                }
            }
        });
    });
    *epochs_done += spec.epochs;
}

impl Engine for NativeEngine {
    fn train(&self, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>> {
        let mut state = TrainState::new(initial);
        self.train_further(spec, &mut state);
        state.params
    }

    /// The fused 2×2 kernel for A1 on the paper's four images in full batches; the kernel of
    /// [`super::dense`] for everything else (A2 included).
    fn train_on(
        &self,
        spec: &TrainSpec,
        data: &Dataset,
        batching: Batching,
        initial: &[Vec<f32>],
        seeds: &[u64],
    ) -> Vec<Vec<f32>> {
        if data.is_squares_2x2() && batching == Batching::Full && spec.vae.is_none() {
            return self.train(spec, initial);
        }
        let isa = Isa::selected().expect("checked when the engine was chosen");
        super::dense::train_with_isa(isa, spec, data, batching, initial, seeds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's sigmoid against the scalar [`sigmoid`] it vectorises, on every 997th
    /// bit pattern (4.3·10⁶ values, zeros, subnormals, infinities and NaNs among them).
    #[test]
    fn kernel_sigmoid_matches_scalar_sigmoid() {
        let z: Vec<f32> = (0..=u32::MAX).step_by(997).map(f32::from_bits).collect();
        let mut out = vec![0.0; z.len()];
        kernel_sigmoids(&z, &mut out);
        let whole = z.len() / LANES * LANES;
        for (&x, &y) in z[..whole].iter().zip(&out[..whole]) {
            let want = sigmoid(x);
            assert!(
                y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan()),
                "sigmoid({x:e}): {y:e}, scalar {want:e}"
            );
        }
    }
}
