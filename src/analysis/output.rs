//! Exact probabilities of the output partition at init, for networks with one bottleneck unit.
//!
//! With zero biases and a single (linear) bottleneck unit, image k gets the code
//! `z_k = Σ_j a_j relu(s_jk)` and layer 3 computes `relu(c_m z_k)`. If the layer-3 weights
//! have both signs, layer 3 is injective in z, and the only images sharing an output are those
//! sharing a code: the set I of images dead in every layer-1 unit. If they all have one sign,
//! the images with `z_k ≤ 0` (or `≥ 0`, which has the same law) share an output. So the output
//! partition is always one block plus singletons, and only the law of the block's size is
//! needed.
//!
//! For h1 = 2 with bottleneck weights of mixed signs, say a > 0 > b, an image k lies outside
//! the block {z ≤ 0} exactly when `s_1k > 0` and `s_1k − ρ s_2k > 0`, with `ρ = |b|/a`. Each
//! image's pre-activation is the sum of the weights of its two lit pixels, and the pixels and
//! images form a 4-cycle (pixel i — image — pixel j). Give pixel i the point
//! `p_i = (w_1i, w_1i − ρ w_2i)`; image k = {i, j} is outside the block iff `p_i + p_j > 0` in
//! both coordinates. The cycle is bipartite, so negating the points of two opposite pixels
//! (their law is symmetric) turns every condition into a dominance `x > a` between i.i.d.
//! points, and the probability that a given set of images is outside the block is one of five
//! dominance probabilities of four i.i.d. points in the plane: `P(x > a)`, its square,
//! `P(x > a, y > a)`, `P(x > a, x > b, y > a)` and `P(x > a, x > b, y > a, y > b)`.
//! Inclusion–exclusion over the cycle's symmetry classes gives the law of the block's size.
//!
//! The dominance probabilities are integrals over at most two points of the survival and
//! distribution functions of one point, which are one-dimensional integrals; the four-point
//! ones use the density of the componentwise maximum and a running integral. Every integrand
//! is piecewise polynomial for uniform weights, with kinks on lines `u = c`, `v = c` and
//! `v − u = c` whose constants are sums `i·L + j·ρL`; the quadrature splits at all of them,
//! so for a fixed ρ it is exact to rounding. The ratio ρ of two independent |weights| has a
//! law symmetric under ρ ↦ 1/ρ, so the outer integral runs over ρ ∈ (0, 1] with both ρ and
//! 1/ρ; it is split where the kink constants cross and its error is estimated by doubling
//! every panel.

use rayon::prelude::*;

use super::laws::{Law, LayerOne, Quadrature, layer_laws, one_block_partition};
use crate::model::{Initializer, Widths};
use crate::outcome::PartitionType;

/// The point of one pixel: `u` its weight into layer-1 unit 1 and `v = u + ρ ε`, ε its negated
/// weight into unit 2 (same law as u).
struct PixelPoint {
    law: Law,
    rho: f64,
    /// Every constant `i·L + j·ρL` a kink line can sit at (i ∈ −1..=1, j ∈ −2..=2).
    constants: [f64; 15],
}

impl PixelPoint {
    fn new(law: Law, rho: f64) -> Self {
        let l = law.support().1;
        let constants =
            std::array::from_fn(|k| f64::from(k as i32 / 5 - 1) * l + f64::from(k as i32 % 5 - 2) * rho * l);
        PixelPoint { law, rho, constants }
    }

    /// The kink constants plus the diagonal ones through `u`.
    fn breaks_through(&self, u: f64) -> [f64; 20] {
        let l = self.law.support().1;
        std::array::from_fn(|k| if k < 15 { self.constants[k] } else { u + f64::from(k as i32 - 17) * self.rho * l })
    }

    fn density(&self, u: f64, v: f64) -> f64 {
        self.law.pdf(u) * self.law.pdf((v - u) / self.rho) / self.rho
    }

    /// The range of v given u.
    fn v_range(&self, u: f64) -> (f64, f64) {
        let (lo, hi) = self.law.support();
        (u + self.rho * lo, u + self.rho * hi)
    }

    /// P(u > w1, v > w2).
    fn survival(&self, q: &Quadrature, w1: f64, w2: f64) -> f64 {
        let (lo, hi) = self.law.support();
        let (r, law) = (self.rho, self.law);
        q.integrate(|u| law.pdf(u) * (1.0 - law.cdf((w2 - u) / r)), w1.max(lo), hi, &[w2 - r * hi, w2 - r * lo])
    }

    /// P(u < w1, v < w2): the law is symmetric.
    fn cdf(&self, q: &Quadrature, w1: f64, w2: f64) -> f64 {
        self.survival(q, -w1, -w2)
    }

    /// ∫ f(p) dP(p) over one point.
    fn expect(&self, q: &Quadrature, f: impl Fn(f64, f64) -> f64) -> f64 {
        let (lo, hi) = self.law.support();
        q.integrate(
            |u| {
                let (vlo, vhi) = self.v_range(u);
                q.integrate(|v| f(u, v) * self.density(u, v), vlo, vhi, &self.breaks_through(u))
            },
            lo,
            hi,
            &self.constants,
        )
    }

    /// `[P(x>a), P(x>a)², P(x>a, y>a), P(x>a, x>b, y>a), P(x>a, x>b, y>a, y>b)]` for i.i.d.
    /// points x, y, a, b.
    fn dominance(&self, q: &Quadrature) -> [f64; 5] {
        let one = self.expect(q, |u, v| self.survival(q, u, v));
        let shared_lower = self.expect(q, |u, v| self.survival(q, u, v).powi(2));
        [one, one * one, shared_lower, self.path_of_three(q), self.cycle_of_four(q)]
    }

    /// P(x > a, x > b, y > a) = E[1(x > a) C(x) S(a)] = ∫ C(x) N(x) dP(x) with
    /// N(x) = ∫_{a < x} S(a) dP(a), accumulated along v for each u.
    fn path_of_three(&self, q: &Quadrature) -> f64 {
        let (lo, hi) = self.law.support();
        let (rlo, rhi) = (self.rho * lo, self.rho * hi);
        q.integrate(
            |x1| {
                // n(a2) = ∫_{a1 < x1} S(a1, a2) p(a1, a2) da1 over the points with that v.
                let n = |a2: f64| {
                    q.integrate(
                        |a1| self.survival(q, a1, a2) * self.density(a1, a2),
                        (a2 - rhi).max(lo),
                        (a2 - rlo).min(x1),
                        &self.breaks_through(a2),
                    )
                };
                let breaks = self.breaks_through(x1);
                let (vlo, vhi) = self.v_range(x1);
                let mut nodes = q.nodes(vlo, vhi, &breaks);
                nodes.sort_by(|a, b| a.0.total_cmp(&b.0));
                let (mut below, mut from) = (q.integrate(n, lo + rlo, vlo, &breaks), vlo);
                let mut total = 0.0;
                for (x2, w) in nodes {
                    below += q.integrate(n, from, x2, &breaks);
                    from = x2;
                    total += w * self.cdf(q, x1, x2) * below * self.density(x1, x2);
                }
                total
            },
            lo,
            hi,
            &self.constants,
        )
    }

    /// P(x, y > a, b) = E[S(M)²] with M = max(a, b) componentwise, whose density is
    /// ∂²C(m)²/∂m1∂m2 = 2(∂1C ∂2C + C p).
    fn cycle_of_four(&self, q: &Quadrature) -> f64 {
        let (lo, hi) = self.law.support();
        let (r, law) = (self.rho, self.law);
        q.integrate(
            |m1| {
                let (vlo, vhi) = (lo + r * lo, hi + r * hi);
                q.integrate(
                    |m2| {
                        let d1 = law.pdf(m1) * law.cdf((m2 - m1) / r);
                        let d2 = q.integrate(
                            |u| law.pdf(u) * law.pdf((m2 - u) / r) / r,
                            lo,
                            m1,
                            &[m2 - r * hi, m2 - r * lo],
                        );
                        let density = 2.0 * (d1 * d2 + self.cdf(q, m1, m2) * self.density(m1, m2));
                        self.survival(q, m1, m2).powi(2) * density
                    },
                    vlo,
                    vhi,
                    &self.breaks_through(m1),
                )
            },
            lo,
            hi,
            &self.constants,
        )
    }
}

/// The density of ρ = |b|/|a| for independent a, b of this law.
fn ratio_density(q: &Quadrature, law: Law, rho: f64) -> f64 {
    let hi = law.support().1;
    q.integrate(|a| 4.0 * law.pdf(a) * law.pdf(rho * a) * a, 0.0, hi.min(hi / rho), &[])
}

/// Where the kink constants `i·L + j·ρL` of [`PixelPoint`] cross, for ρ and for 1/ρ in (0, 1].
fn ratio_breaks() -> Vec<f64> {
    let mut out: Vec<f64> = (1..=4).flat_map(|den| (1..den).map(move |num| f64::from(num) / f64::from(den))).collect();
    out.sort_by(f64::total_cmp);
    out.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    out
}

/// E over ρ of the dominance probabilities, for layer-1 weights of law `w1` and bottleneck
/// weights of law `w2`.
fn expected_dominance(q: &Quadrature, w1: Law, w2: Law) -> [f64; 5] {
    let nodes = q.nodes(0.0, 1.0, &ratio_breaks());
    nodes
        .par_iter()
        .map(|&(t, w)| {
            let (near, far) = (PixelPoint::new(w1, t).dominance(q), PixelPoint::new(w1, 1.0 / t).dominance(q));
            let f = w * ratio_density(q, w2, t);
            std::array::from_fn(|k| f * (near[k] + far[k]))
        })
        .reduce(|| [0.0; 5], |a, b| std::array::from_fn(|k| a[k] + b[k]))
}

/// For mixed bottleneck signs, `P(|A| = n)` for A the images outside the block {z ≤ 0}, by
/// inclusion–exclusion over the cycle.
fn outside_block_sizes(d: [f64; 5]) -> [f64; 5] {
    let [one, one_squared, shared, path, cycle] = d;
    // Sums over the sets of j images: 4 singles; 4 adjacent and 2 opposite pairs; 4 triples; 1.
    let sums = [1.0, 4.0 * one, 4.0 * shared + 2.0 * one_squared, 4.0 * path, cycle];
    let binomial = |j: usize, n: usize| (0..n).fold(1.0, |acc, i| acc * (j - i) as f64 / (i + 1) as f64);
    std::array::from_fn(|n| {
        (n..5).map(|j| if (j - n) % 2 == 0 { 1.0 } else { -1.0 } * binomial(j, n) * sums[j]).sum::<f64>().max(0.0)
    })
}

/// The exact law of the output partition at init.
#[derive(Clone, Debug)]
pub struct OutputPartitionLaw {
    /// P(the block of images sharing an output has n elements), n = 0..=4 (0 and 1 mean all
    /// outputs distinct).
    pub block_size: [f64; 5],
    /// Estimated numerical error of every value.
    pub error: f64,
}

impl OutputPartitionLaw {
    /// Why aemc does not compute the law for these widths and initialiser, if it does not.
    pub fn unsupported(widths: Widths, init: Initializer) -> Option<&'static str> {
        if layer_laws(init, 4, widths.h1).is_none() {
            Some("RAI's parameters are not independent (one per unit is replaced by a positive draw)")
        } else if init.random_biases() {
            Some("with random biases the dead sets and the bottleneck's sign depend on the biases too")
        } else if widths.h2 != 1 || widths.h1 > 2 {
            Some("aemc integrates the output partition for one bottleneck unit and one or two layer-1 units only")
        } else if !matches!(layer_laws(init, 4, widths.h1), Some((Law::Uniform { .. }, _))) {
            // The quadrature is exact only for piecewise-polynomial integrands; with truncated
            // normals and 4 points per piece, doubling the panels moves the result by 4e-5 (45 s
            // on two cores), and 8 points would take minutes.
            Some(
                "with truncated-normal weights the integrands are not piecewise polynomial and the quadrature does not reach 1e-5 in reasonable time",
            )
        } else {
            None
        }
    }

    /// Computes the law where [`OutputPartitionLaw::unsupported`] gives no reason not to.
    pub fn new(widths: Widths, init: Initializer, l1: &LayerOne) -> Option<Self> {
        if Self::unsupported(widths, init).is_some() {
            return None;
        }
        let dead_everywhere = l1.all_dead_sizes();
        let all = |n: usize| if n == 4 { 1.0 } else { 0.0 };
        let compute = |q: &Quadrature| -> [f64; 5] {
            // The block {z ≤ 0}: every image when the bottleneck weights are ≤ 0, I when they
            // are ≥ 0, and for h1 = 2 with mixed signs the complement of A.
            let nonpositive: [f64; 5] = if widths.h1 == 1 {
                std::array::from_fn(|n| 0.5 * all(n) + 0.5 * dead_everywhere[n])
            } else {
                let w1 = layer_laws(init, 4, widths.h1).expect("supported").0;
                let w2 = layer_laws(init, widths.h1, 1).expect("supported").0;
                let outside = outside_block_sizes(expected_dominance(q, w1, w2));
                std::array::from_fn(|n| 0.25 * all(n) + 0.25 * dead_everywhere[n] + 0.5 * outside[4 - n])
            };
            let one_sign = 2f64.powi(1 - widths.h3 as i32);
            std::array::from_fn(|n| (1.0 - one_sign) * dead_everywhere[n] + one_sign * nonpositive[n])
        };
        let (block_size, error) = Quadrature::new(4, 1).with_error(compute);
        Some(OutputPartitionLaw { block_size, error: error + l1.error + 1e-12 })
    }

    /// P(the output partition has the given type).
    pub fn partition(&self, kind: PartitionType) -> f64 {
        one_block_partition(&self.block_size, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RunRng;

    /// For a fixed ρ the quadrature claims exactness: doubling the panels changes nothing, and
    /// a Monte Carlo of four points agrees within 5 standard errors (400000 draws, fixed seed).
    #[test]
    fn dominance_probabilities_are_exact_for_fixed_ratio() {
        let law = Law::Uniform { limit: 1.0 };
        for (k, rho) in [0.3, 0.7, 1.0, 1.7, 3.0].into_iter().enumerate() {
            let point = PixelPoint::new(law, rho);
            let (fine, change) = Quadrature::new(4, 1).with_error(|q| point.dominance(q));
            assert!(change < 1e-13, "ρ {rho}: doubling the panels moves a probability by {change}");
            let mut rng = RunRng::new(7 + k as u64);
            let draws = 400_000;
            let mut counts = [0u64; 5];
            let mut draw = || {
                let u = 2.0 * rng.uniform() - 1.0;
                (u, u + rho * (2.0 * rng.uniform() - 1.0))
            };
            let above = |p: (f64, f64), q: (f64, f64)| p.0 > q.0 && p.1 > q.1;
            for _ in 0..draws {
                let (x, y, a, b) = (draw(), draw(), draw(), draw());
                let events = [
                    above(x, a),
                    above(x, a) && above(y, b),
                    above(x, a) && above(y, a),
                    above(x, a) && above(x, b) && above(y, a),
                    above(x, a) && above(x, b) && above(y, a) && above(y, b),
                ];
                events.iter().zip(&mut counts).for_each(|(&e, c)| *c += u64::from(e));
            }
            for i in 0..5 {
                let (p, freq) = (fine[i], counts[i] as f64 / draws as f64);
                let se = (p * (1.0 - p) / draws as f64).sqrt();
                assert!((p - freq).abs() < 5.0 * se, "ρ {rho} probability {i}: exact {p}, Monte Carlo {freq}");
            }
        }
    }

    #[test]
    fn ratio_density_is_the_uniform_ratio_law() {
        let q = Quadrature::new(4, 1);
        for t in [0.1, 0.5, 1.0] {
            assert!((ratio_density(&q, Law::Uniform { limit: 0.7 }, t) - 0.5).abs() < 1e-14);
        }
    }
}
