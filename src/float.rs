//! Floats as text in every CSV aemc writes: the shortest form that reads back to the same
//! value, positional or with an exponent, whichever is shorter (positional on a tie).
//!
//! Rust's `Display` for floats never uses an exponent, so a p-value of 3.2e-233 would print as
//! 235 characters; `LowerExp` always does, so 0.25 would print as `2.5e-1`. Both print the
//! shortest digits that round-trip, so the shorter of the two is still exact.

use std::fmt::{Display, LowerExp};

/// `x` in its shortest round-trip form: `0.0923`, `3.2331298167459415e-233`, `1e20`, `NaN`.
pub fn shortest<T: Display + LowerExp>(x: T) -> String {
    let positional = x.to_string();
    let exponent = format!("{x:e}");
    if exponent.len() < positional.len() { exponent } else { positional }
}

#[cfg(test)]
mod tests {
    use super::shortest;

    #[test]
    fn the_shorter_form_wins_and_round_trips() {
        assert_eq!(shortest(0.0923f64), "0.0923");
        assert_eq!(shortest(0.25f64), "0.25");
        assert_eq!(shortest(3.2331298167459415e-233f64), "3.2331298167459415e-233");
        assert_eq!(shortest(0.00002f64), "2e-5");
        // A tie (0.00123 and 1.23e-3 are both seven characters) stays positional.
        assert_eq!(shortest(0.00123f64), "0.00123");
        assert_eq!(shortest(1e20f64), "1e20");
        assert_eq!(shortest(12345.0f64), "12345");
        assert_eq!(shortest(0.0f64), "0");
        assert_eq!(shortest(-0.0f32), "-0");
        assert_eq!(shortest(1.5e-30f32), "1.5e-30");
        assert_eq!(shortest(f64::NAN), "NaN");
        assert_eq!(shortest(f32::INFINITY), "inf");
    }

    #[test]
    fn every_form_reads_back_bit_for_bit() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = f64::from_bits(x);
            let f = f32::from_bits(x as u32);
            if d.is_finite() {
                assert_eq!(shortest(d).parse::<f64>().unwrap().to_bits(), d.to_bits(), "{d:e}");
            }
            if f.is_finite() {
                assert_eq!(shortest(f).parse::<f32>().unwrap().to_bits(), f.to_bits(), "{f:e}");
            }
        }
    }
}
