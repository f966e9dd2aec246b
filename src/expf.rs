//! e^x and the logistic sigmoid for f32, computed exactly as burn's Flex backend computes
//! them, so that the native engine follows the burn engine bit for bit, and the same on every
//! machine (A2's σ = e^b uses it for that reason).
//!
//! Flex evaluates `f32::exp`, which on Linux is glibc's `expf`: since glibc 2.27 the
//! table-driven algorithm of ARM's optimized-routines (x·32/ln 2 = k + r, e^x = 2^(k/32) ·
//! p(r) with a 32-entry table of 2^(i/32) and a cubic in double precision, then one
//! rounding to f32). On x86-64 machines with FMA glibc runs a copy compiled with fused
//! multiply-adds, and GCC contracts every multiply-add of it, the range reduction included;
//! [`expf`] does the same, written with explicit `mul_add`. It agrees with glibc 2.36's
//! `expf` on every one of the 2.24·10⁹ floats in [−103.9, 88.7] (checked exhaustively on
//! this machine; the unit test checks a stride of all floats). `mul_add` compiles to one
//! instruction where FMA is enabled and to a correctly rounded library call elsewhere, so
//! the result is the same on every machine.

/// 2^(i/32) as f64 bits, less i·2^47 (so that adding k·2^47 gives 2^(k/32) for any k).
pub(crate) const TABLE: [u64; 32] = [
    0x3ff0000000000000,
    0x3fefd9b0d3158574,
    0x3fefb5586cf9890f,
    0x3fef9301d0125b51,
    0x3fef72b83c7d517b,
    0x3fef54873168b9aa,
    0x3fef387a6e756238,
    0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715,
    0x3feef1a7373aa9cb,
    0x3feedea64c123422,
    0x3feece086061892d,
    0x3feebfdad5362a27,
    0x3feeb42b569d4f82,
    0x3feeab07dd485429,
    0x3feea47eb03a5585,
    0x3feea09e667f3bcd,
    0x3fee9f75e8ec5f74,
    0x3feea11473eb0187,
    0x3feea589994cce13,
    0x3feeace5422aa0db,
    0x3feeb737b0cdc5e5,
    0x3feec49182a3f090,
    0x3feed503b23e255d,
    0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47,
    0x3fef199bdd85529c,
    0x3fef3720dcef9069,
    0x3fef5818dcfba487,
    0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da,
    0x3fefd0765b6e4540,
];

/// 32/ln 2.
pub(crate) const INV_LN2_N: u64 = 0x40471547652B82FE;
/// 1.5·2^52: adding it rounds a double of magnitude < 2^51 to an integer, held in the low
/// bits.
pub(crate) const SHIFT: u64 = 0x4338000000000000;
/// The cubic's coefficients of r³, r², r (for 2^(r/32) − 1).
pub(crate) const C0: u64 = 0x3EBC6AF84B912394;
pub(crate) const C1: u64 = 0x3F2EBFCE50FAC4F3;
pub(crate) const C2: u64 = 0x3F962E42FF0C52D6;

/// e^x for f32, bit-identical to glibc's `expf` (see the module documentation).
#[inline(always)]
pub fn expf(x: f32) -> f32 {
    // Outside [−104, 89] e^x rounds to 0 or overflows in f32; clamping keeps the shift
    // trick exact and gives the same 0 and ∞ as glibc's special cases.
    let x = f64::from(x.clamp(-104.0, 89.0));
    let inv_ln2_n = f64::from_bits(INV_LN2_N);
    let shift = f64::from_bits(SHIFT);
    let shifted = inv_ln2_n.mul_add(x, shift);
    let k = shifted.to_bits();
    let r = inv_ln2_n.mul_add(x, -(shifted - shift));
    let scale = f64::from_bits(TABLE[(k % 32) as usize].wrapping_add(k << 47));
    let cubic = f64::from_bits(C0).mul_add(r, f64::from_bits(C1));
    let linear = f64::from_bits(C2).mul_add(r, 1.0);
    (cubic.mul_add(r * r, linear) * scale) as f32
}

/// The logistic sigmoid 1/(1 + e^−x) as Flex computes it: e = e^−|x|, then 1/(1 + e) for
/// x ≥ 0 and e/(1 + e) below (one division either way).
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    let e = expf(-x.abs());
    let numerator = if x >= 0.0 { 1.0 } else { e };
    numerator / (1.0 + e)
}

/// Whether [`expf`] agrees bit for bit with this platform's `f32::exp` (the one burn's Flex
/// backend calls) on 2·10⁵ arguments spread over the range where e^x is a normal
/// float. Where it does not (another libm, or glibc on a CPU without FMA), the native and
/// burn engines still agree to rounding but not bit for bit.
pub fn reproduces_platform_expf() -> bool {
    let (low, high) = ((-87.3f32).to_bits(), 88.7f32.to_bits());
    // Negative floats have bit patterns above the positive ones; walk both halves.
    let negatives = (0x8000_0000..low).step_by(10_657);
    let positives = (0..high).step_by(10_657);
    negatives.chain(positives).map(f32::from_bits).all(|x| expf(x).to_bits() == x.exp().to_bits())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the platform's `expf` is the copy [`expf`] reproduces bit for bit.
    fn platform_is_glibc_with_fma() -> bool {
        #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
        {
            std::is_x86_feature_detected!("fma")
        }
        #[cfg(not(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64")))]
        {
            false
        }
    }

    /// Every 61st bit pattern of the whole f32 range (7·10⁷ values, about 1 s), against the
    /// platform's `expf`. Bit-identity is promised for glibc on x86-64 with FMA (the copy
    /// glibc runs there); elsewhere the platform's `expf` is only checked to within 1 ulp.
    #[test]
    fn expf_matches_the_platform_expf() {
        let exact = platform_is_glibc_with_fma();
        let mut differing = 0u64;
        for bits in (0..=u32::MAX).step_by(61) {
            let x = f32::from_bits(bits);
            if x.is_nan() {
                continue;
            }
            let (ours, platform) = (expf(x), x.exp());
            if ours.to_bits() != platform.to_bits() {
                differing += 1;
                let ulps = (ours.to_bits() as i64 - platform.to_bits() as i64).abs();
                assert!(!exact && ulps <= 1, "expf({x:e}) = {ours:e}, platform {platform:e}");
            }
        }
        println!("{differing} values differ from the platform's expf");
    }

    #[test]
    fn table_holds_powers_of_two() {
        for (i, &bits) in TABLE.iter().enumerate() {
            let value = f64::from_bits(bits.wrapping_add((i as u64) << 47));
            let exact = (i as f64 / 32.0).exp2();
            assert!((value - exact).abs() <= f64::EPSILON * exact, "{i}: {value} vs {exact}");
        }
    }

    #[test]
    fn sigmoid_matches_flex_formula() {
        let exact = platform_is_glibc_with_fma();
        for bits in (0..=u32::MAX).step_by(4099) {
            let x = f32::from_bits(bits);
            if x.is_nan() {
                continue;
            }
            let flex = if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) };
            if exact {
                assert_eq!(sigmoid(x).to_bits(), flex.to_bits(), "sigmoid({x:e})");
            } else {
                assert!((sigmoid(x) - flex).abs() <= 2.0 * f32::EPSILON * flex, "sigmoid({x:e})");
            }
        }
    }
}
