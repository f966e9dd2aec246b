//! Sixteen f32 lanes, the unit of the dense kernel's loops (engine::dense), in one AVX-512
//! register, two AVX2 registers or a plain array. Every operation is lane-wise IEEE
//! arithmetic (separate multiplies and adds, never fused), so the three give bit-identical
//! results; they differ in speed only.
//!
//! The implementations call `core::arch` intrinsics without enabling their target features
//! themselves: they are inlined into the kernel's copy compiled for that instruction set
//! (`#[target_feature]`), and only that copy may use them.

/// Lanes per value.
pub const LANES: usize = 16;

/// Sixteen f32 lanes in registers.
pub trait Lanes: Copy {
    /// The register(s) holding 16 lanes.
    type V: Copy;
    /// All lanes zero.
    fn zero() -> Self::V;
    /// All lanes `x`.
    fn splat(x: f32) -> Self::V;
    /// `x[0..16]`.
    fn load(x: &[f32]) -> Self::V;
    /// Writes `v` to `x[0..16]`.
    fn store(v: Self::V, x: &mut [f32]);
    /// The 16 lanes at `p`.
    ///
    /// # Safety
    /// `p` points to 16 readable f32.
    unsafe fn read(p: *const f32) -> Self::V;
    /// Writes `v` to the 16 lanes at `p`.
    ///
    /// # Safety
    /// `p` points to 16 writable f32.
    unsafe fn write(v: Self::V, p: *mut f32);
    /// Lane-wise `a + b`.
    fn add(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `a · b`.
    fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// The lanes as an array.
    fn to_array(v: Self::V) -> [f32; LANES];
    /// Lane-wise `acc + a·b`, rounded twice (a multiply, then an add).
    #[inline(always)]
    fn mul_add(acc: Self::V, a: Self::V, b: Self::V) -> Self::V {
        Self::add(acc, Self::mul(a, b))
    }
}

/// Lanes as a plain array, for any CPU.
#[derive(Clone, Copy)]
pub struct Portable;

impl Lanes for Portable {
    type V = [f32; LANES];
    #[inline(always)]
    fn zero() -> Self::V {
        [0.0; LANES]
    }
    #[inline(always)]
    fn splat(x: f32) -> Self::V {
        [x; LANES]
    }
    #[inline(always)]
    fn load(x: &[f32]) -> Self::V {
        x[..LANES].try_into().expect("16 lanes")
    }
    #[inline(always)]
    fn store(v: Self::V, x: &mut [f32]) {
        x[..LANES].copy_from_slice(&v);
    }
    #[inline(always)]
    unsafe fn read(p: *const f32) -> Self::V {
        // SAFETY: the caller's contract.
        unsafe { p.cast::<[f32; LANES]>().read_unaligned() }
    }
    #[inline(always)]
    unsafe fn write(v: Self::V, p: *mut f32) {
        // SAFETY: the caller's contract.
        unsafe { p.cast::<[f32; LANES]>().write_unaligned(v) }
    }
    #[inline(always)]
    fn add(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|l| a[l] + b[l])
    }
    #[inline(always)]
    fn mul(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|l| a[l] * b[l])
    }
    #[inline(always)]
    fn to_array(v: Self::V) -> [f32; LANES] {
        v
    }
}

#[cfg(target_arch = "x86_64")]
pub use x86::{Avx2, Avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{LANES, Lanes};
    use std::arch::x86_64::*;

    /// One AVX-512F register; only for code compiled with `avx512f`.
    #[derive(Clone, Copy)]
    pub struct Avx512;

    // SAFETY (every block below): the caller is the kernel's copy compiled with avx512f
    // (module documentation); loads and stores are of 16 lanes within slices checked to hold
    // them.
    impl Lanes for Avx512 {
        type V = __m512;
        #[inline(always)]
        fn zero() -> Self::V {
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        fn splat(x: f32) -> Self::V {
            unsafe { _mm512_set1_ps(x) }
        }
        #[inline(always)]
        fn load(x: &[f32]) -> Self::V {
            assert!(x.len() >= LANES);
            unsafe { _mm512_loadu_ps(x.as_ptr()) }
        }
        #[inline(always)]
        fn store(v: Self::V, x: &mut [f32]) {
            assert!(x.len() >= LANES);
            unsafe { _mm512_storeu_ps(x.as_mut_ptr(), v) }
        }
        #[inline(always)]
        unsafe fn read(p: *const f32) -> Self::V {
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn write(v: Self::V, p: *mut f32) {
            unsafe { _mm512_storeu_ps(p, v) }
        }
        #[inline(always)]
        fn add(a: Self::V, b: Self::V) -> Self::V {
            unsafe { _mm512_add_ps(a, b) }
        }
        #[inline(always)]
        fn mul(a: Self::V, b: Self::V) -> Self::V {
            unsafe { _mm512_mul_ps(a, b) }
        }
        #[inline(always)]
        fn to_array(v: Self::V) -> [f32; LANES] {
            let mut out = [0.0; LANES];
            Self::store(v, &mut out);
            out
        }
    }

    /// Two AVX registers (lanes 0–7, 8–15); only for code compiled with `avx2`.
    #[derive(Clone, Copy)]
    pub struct Avx2;

    // SAFETY (every block below): the caller is the kernel's copy compiled with avx2 (module
    // documentation); loads and stores are of 16 lanes within slices checked to hold them.
    impl Lanes for Avx2 {
        type V = (__m256, __m256);
        #[inline(always)]
        fn zero() -> Self::V {
            unsafe { (_mm256_setzero_ps(), _mm256_setzero_ps()) }
        }
        #[inline(always)]
        fn splat(x: f32) -> Self::V {
            unsafe { (_mm256_set1_ps(x), _mm256_set1_ps(x)) }
        }
        #[inline(always)]
        fn load(x: &[f32]) -> Self::V {
            assert!(x.len() >= LANES);
            unsafe { (_mm256_loadu_ps(x.as_ptr()), _mm256_loadu_ps(x.as_ptr().add(8))) }
        }
        #[inline(always)]
        fn store(v: Self::V, x: &mut [f32]) {
            assert!(x.len() >= LANES);
            unsafe {
                _mm256_storeu_ps(x.as_mut_ptr(), v.0);
                _mm256_storeu_ps(x.as_mut_ptr().add(8), v.1);
            }
        }
        #[inline(always)]
        unsafe fn read(p: *const f32) -> Self::V {
            unsafe { (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))) }
        }
        #[inline(always)]
        unsafe fn write(v: Self::V, p: *mut f32) {
            unsafe {
                _mm256_storeu_ps(p, v.0);
                _mm256_storeu_ps(p.add(8), v.1);
            }
        }
        #[inline(always)]
        fn add(a: Self::V, b: Self::V) -> Self::V {
            unsafe { (_mm256_add_ps(a.0, b.0), _mm256_add_ps(a.1, b.1)) }
        }
        #[inline(always)]
        fn mul(a: Self::V, b: Self::V) -> Self::V {
            unsafe { (_mm256_mul_ps(a.0, b.0), _mm256_mul_ps(a.1, b.1)) }
        }
        #[inline(always)]
        fn to_array(v: Self::V) -> [f32; LANES] {
            let mut out = [0.0; LANES];
            Self::store(v, &mut out);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lane-wise results of `L` against plain f32 arithmetic, bit for bit.
    fn agrees_with_plain_arithmetic<L: Lanes>() {
        let a: Vec<f32> = (0..LANES).map(|k| (k as f32 - 7.3) * 1.37e-3).collect();
        let b: Vec<f32> = (0..LANES).map(|k| 3.1 - k as f32 * 0.77).collect();
        let (va, vb) = (L::load(&a), L::load(&b));
        let got = L::to_array(L::mul_add(L::splat(0.5), va, vb));
        for l in 0..LANES {
            assert_eq!(got[l].to_bits(), (0.5f32 + a[l] * b[l]).to_bits(), "lane {l}");
        }
        let mut out = vec![1.0; LANES + 1];
        L::store(L::add(L::zero(), va), &mut out);
        assert_eq!(&out[..LANES], &a[..]);
        assert_eq!(out[LANES], 1.0);
    }

    #[test]
    fn every_instruction_set_computes_lane_wise_ieee_arithmetic() {
        agrees_with_plain_arithmetic::<Portable>();
        #[cfg(target_arch = "x86_64")]
        if super::super::isa::Isa::Avx512.available() {
            run_avx512();
        }
        #[cfg(target_arch = "x86_64")]
        if super::super::isa::Isa::Avx2.available() {
            run_avx2();
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn run_avx512() {
        #[target_feature(enable = "avx512f")]
        fn with_feature() {
            agrees_with_plain_arithmetic::<Avx512>();
        }
        // SAFETY: the caller checked that the CPU runs AVX-512F.
        unsafe { with_feature() }
    }

    #[cfg(target_arch = "x86_64")]
    fn run_avx2() {
        #[target_feature(enable = "avx2")]
        fn with_feature() {
            agrees_with_plain_arithmetic::<Avx2>();
        }
        // SAFETY: the caller checked that the CPU runs AVX2.
        unsafe { with_feature() }
    }
}
