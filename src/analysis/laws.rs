//! The laws the init-time analysis integrates: the initialisers' weight and bias laws, the
//! Gauss–Legendre quadrature over them, and the layer-1 dead-set law built on both.
//!
//! A layer-1 unit's pre-activation on an image is `b + w_i + w_j`, the sum of the weights of
//! the image's two lit pixels. Given the weights of pixels 1 and 4 and the bias (pixel numbers
//! 0-based in code: w0, w3), images 1 and 2 depend on w2 only and images 3 and 4 on w1 only,
//! through thresholds `t0 = −(w0 + b)`, `t3 = −(w3 + b)`: image 1 (0011) is dead iff
//! `w2 ≤ t3`, image 2 (1010) iff `w2 ≤ t0`, image 3 (1100) iff `w1 ≤ t0`, image 4 (0101)
//! iff `w1 ≤ t3`. So the dead-set distribution is a 2-d integral (3-d with random biases)
//! of products of CDF differences, computed by Gauss–Legendre quadrature split at every
//! kink of the integrand; the error is estimated by doubling the panels and reported.
//! For uniform weights and zero biases the integrand is piecewise polynomial and the
//! quadrature is exact to rounding.
//!
//! Units of one layer are i.i.d., so the set I of images dead in every layer-1 unit has
//! `P(I ⊇ T) = P(D ⊇ T)^h1`, and `P(I = S)` follows by inclusion–exclusion. Two images have
//! identical layer-1 activations exactly when both lie in I (almost surely), so the layer-1
//! partition is I as one block plus singletons; {2,2} is impossible at layer 1.

use statrs::function::erf::erf;

use crate::model::Initializer;
use crate::outcome::PartitionType;

/// The law of one layer-1 weight or bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Law {
    /// U(−limit, limit).
    Uniform {
        /// Half-width.
        limit: f64,
    },
    /// N(0, σ²) truncated to [−2σ, 2σ].
    TruncatedNormal {
        /// σ before truncation.
        sigma: f64,
    },
}

fn phi(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

impl Law {
    /// The support [lo, hi].
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Law::Uniform { limit } => (-limit, limit),
            Law::TruncatedNormal { sigma } => (-2.0 * sigma, 2.0 * sigma),
        }
    }

    /// The density.
    pub fn pdf(&self, x: f64) -> f64 {
        let (lo, hi) = self.support();
        if x < lo || x > hi {
            return 0.0;
        }
        match *self {
            Law::Uniform { limit } => 0.5 / limit,
            Law::TruncatedNormal { sigma } => {
                let z = x / sigma;
                (-0.5 * z * z).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt()) / (phi(2.0) - phi(-2.0))
            }
        }
    }

    /// The distribution function.
    pub fn cdf(&self, x: f64) -> f64 {
        let (lo, hi) = self.support();
        if x <= lo {
            return 0.0;
        }
        if x >= hi {
            return 1.0;
        }
        match *self {
            Law::Uniform { limit } => (x + limit) / (2.0 * limit),
            Law::TruncatedNormal { sigma } => (phi(x / sigma) - phi(-2.0)) / (phi(2.0) - phi(-2.0)),
        }
    }
}

/// The laws of a weight and (if random) bias of a layer with this fan-in and fan-out, where
/// the initialiser draws them independently (`None` for RAI, whose replaced parameter makes
/// each unit's parameters dependent).
pub fn layer_laws(init: Initializer, fan_in: usize, fan_out: usize) -> Option<(Law, Option<Law>)> {
    let (fan_in, fan_out) = (fan_in as f64, fan_out as f64);
    Some(match init {
        Initializer::GlorotUniform => (Law::Uniform { limit: (6.0 / (fan_in + fan_out)).sqrt() }, None),
        Initializer::HeUniform => (Law::Uniform { limit: (6.0 / fan_in).sqrt() }, None),
        Initializer::LecunNormal => {
            (Law::TruncatedNormal { sigma: (1.0 / fan_in).sqrt() / crate::model::init::TRUNCATED_NORMAL_STD }, None)
        }
        Initializer::TorchDefault => {
            let l = Law::Uniform { limit: 1.0 / fan_in.sqrt() };
            (l, Some(l))
        }
        Initializer::Rai => return None,
    })
}

/// Gauss–Legendre nodes and weights on [−1, 1] (Newton on the Legendre recurrence).
fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            loop {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=n {
                    let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = p2;
                }
                let dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-15 {
                    return (x, 2.0 / ((1.0 - x * x) * dp * dp));
                }
            }
        })
        .collect()
}

/// Composite Gauss–Legendre quadrature: each interval is split at the kinks of the integrand
/// it is given, then into `panels` equal panels with the rule on each. Exact for piecewise
/// polynomials of degree < 2·points whose kinks are all given; doubling `panels` estimates
/// the error where they are not.
#[derive(Clone, Debug)]
pub(crate) struct Quadrature {
    rule: Vec<(f64, f64)>,
    panels: usize,
}

impl Quadrature {
    pub(crate) fn new(points: usize, panels: usize) -> Self {
        Quadrature { rule: gauss_legendre(points), panels }
    }

    /// `compute` with this rule and with twice the panels: the finer values and the largest
    /// change between the two, the error estimate.
    pub(crate) fn with_error<const N: usize>(&self, compute: impl Fn(&Quadrature) -> [f64; N]) -> ([f64; N], f64) {
        let coarse = compute(self);
        let fine = compute(&Quadrature { rule: self.rule.clone(), panels: 2 * self.panels });
        let error = coarse.iter().zip(&fine).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        (fine, error)
    }

    /// Calls `visit(x, w)` for every node and weight of [a, b] split at the `breaks` inside it
    /// (no allocation for up to 62 breaks: nested integrals call this millions of times).
    fn for_each_node(&self, a: f64, b: f64, breaks: &[f64], mut visit: impl FnMut(f64, f64)) {
        if b <= a {
            return;
        }
        let (mut stack, mut heap) = ([0.0f64; 64], Vec::new());
        let cuts: &mut [f64] = if breaks.len() + 2 <= stack.len() {
            &mut stack
        } else {
            heap.resize(breaks.len() + 2, 0.0);
            &mut heap
        };
        let mut n = 0;
        for x in std::iter::once(a).chain(breaks.iter().copied().filter(|&x| x > a && x < b)).chain([b]) {
            cuts[n] = x;
            n += 1;
        }
        let cuts = &mut cuts[..n];
        cuts.sort_unstable_by(f64::total_cmp);
        for seg in cuts.windows(2).filter(|seg| seg[1] > seg[0]) {
            let h = (seg[1] - seg[0]) / self.panels as f64;
            for p in 0..self.panels {
                let (lo, half) = (seg[0] + p as f64 * h, h / 2.0);
                for &(x, w) in &self.rule {
                    visit(lo + half * (x + 1.0), w * half);
                }
            }
        }
    }

    /// Nodes and weights for [a, b] split at the `breaks` inside it.
    pub(crate) fn nodes(&self, a: f64, b: f64, breaks: &[f64]) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        self.for_each_node(a, b, breaks, |x, w| out.push((x, w)));
        out
    }

    /// ∫ f over [a, b], split at `breaks`.
    pub(crate) fn integrate(&self, f: impl Fn(f64) -> f64, a: f64, b: f64, breaks: &[f64]) -> f64 {
        let mut total = 0.0;
        self.for_each_node(a, b, breaks, |x, w| total += w * f(x));
        total
    }

    /// ∫ f over [a, b] for a vector-valued f.
    fn integrate_vec<const N: usize>(&self, f: impl Fn(f64) -> [f64; N], a: f64, b: f64, breaks: &[f64]) -> [f64; N] {
        let mut total = [0.0; N];
        self.for_each_node(a, b, breaks, |x, w| {
            let v = f(x);
            for k in 0..N {
                total[k] += w * v[k];
            }
        });
        total
    }
}

/// P(both, a only, b only, neither) dead for two images sharing one weight w ~ law, image a
/// dead iff w ≤ ta and image b iff w ≤ tb; indexed by bit 0 = a dead, bit 1 = b dead.
fn pair_pattern(law: &Law, ta: f64, tb: f64) -> [f64; 4] {
    let (fa, fb) = (law.cdf(ta), law.cdf(tb));
    [1.0 - fa.max(fb), (fa - fb).max(0.0), (fb - fa).max(0.0), fa.min(fb)]
}

/// The distribution of one layer-1 unit's dead set (bit k = image k+1 dead), with the
/// estimated quadrature error (largest change over all 16 cells when the panels double).
pub fn unit_dead_set_distribution(init: Initializer, h1: usize) -> Option<([f64; 16], f64)> {
    let (w, bias) = layer_laws(init, 4, h1)?;
    let compute = |q: &Quadrature| -> [f64; 16] {
        let (lo, hi) = w.support();
        let given = |b: f64| -> [f64; 16] {
            q.integrate_vec(
                |w3: f64| {
                    let t3 = -(w3 + b);
                    q.integrate_vec(
                        |w0: f64| {
                            let t0 = -(w0 + b);
                            // Images 1, 2 through w2 (thresholds t3, t0); images 3, 4 through w1 (t0, t3).
                            let p12 = pair_pattern(&w, t3, t0);
                            let p34 = pair_pattern(&w, t0, t3);
                            let d = w.pdf(w0);
                            std::array::from_fn(|m| d * p12[m & 3] * p34[m >> 2])
                        },
                        lo,
                        hi,
                        &[w3, -b - hi, -b - lo],
                    )
                    .map(|v| v * w.pdf(w3))
                },
                lo,
                hi,
                &[-b - hi, -b - lo],
            )
        };
        match bias {
            None => given(0.0),
            Some(bl) => {
                let (blo, bhi) = bl.support();
                q.integrate_vec(|b| given(b).map(|v| v * bl.pdf(b)), blo, bhi, &[0.0, lo - hi, hi - lo])
            }
        }
    };
    Some(Quadrature::new(10, 2).with_error(compute))
}

/// Exact layer-1 quantities of a network with `h1` units under an initialiser.
#[derive(Clone, Debug)]
pub struct LayerOne {
    /// Distribution of one unit's dead set.
    pub unit_dead: [f64; 16],
    /// Distribution of I, the set of images dead in every unit.
    pub all_dead: [f64; 16],
    /// Estimated numerical error of every value.
    pub error: f64,
}

impl LayerOne {
    /// Computes the layer-1 distributions, where the initialiser's laws allow (not for RAI).
    pub fn new(init: Initializer, h1: usize) -> Option<Self> {
        let (unit_dead, error) = unit_dead_set_distribution(init, h1)?;
        let superset = |t: usize| (0..16).filter(|s| s & t == t).map(|s| unit_dead[s]).sum::<f64>();
        let all_superset: Vec<f64> = (0..16).map(|t| superset(t).powi(h1 as i32)).collect();
        let all_dead = std::array::from_fn(|s| {
            (0..16usize)
                .filter(|t| t & s == s)
                .map(|t| if (t ^ s).count_ones() % 2 == 0 { all_superset[t] } else { -all_superset[t] })
                .sum::<f64>()
                .max(0.0)
        });
        // Raising to h1 multiplies the error by at most h1; inclusion–exclusion sums 16 terms.
        Some(LayerOne { unit_dead, all_dead, error: error * h1 as f64 * 16.0 + 1e-12 })
    }

    /// P(|I| = n), n = 0..=4.
    pub fn all_dead_sizes(&self) -> [f64; 5] {
        std::array::from_fn(|n| (0..16usize).filter(|s| s.count_ones() as usize == n).map(|s| self.all_dead[s]).sum())
    }

    /// P(the layer-1 partition has the given type).
    pub fn partition(&self, kind: PartitionType) -> f64 {
        one_block_partition(&self.all_dead_sizes(), kind)
    }

    /// P(some pair of images has identical layer-1 activations).
    pub fn pair_collapsed(&self) -> f64 {
        1.0 - self.partition(PartitionType::Distinct)
    }
}

/// P(the partition has the given type) for a partition that is one block plus singletons,
/// given the law of the block's size (0 and 1 both mean all images distinct).
pub(crate) fn one_block_partition(block_size: &[f64; 5], kind: PartitionType) -> f64 {
    match kind {
        PartitionType::Distinct => block_size[0] + block_size[1],
        PartitionType::Pair => block_size[2],
        PartitionType::TwoPairs => 0.0,
        PartitionType::Triple => block_size[3],
        PartitionType::All => block_size[4],
    }
}
