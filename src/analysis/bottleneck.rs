//! A1's decoder read as a function of a one-unit bottleneck.
//!
//! With one (linear) bottleneck unit of value c, layer 3 computes `relu(w3_i·c + b3_i)` for
//! each of its units i, and output p's pre-sigmoid value is
//! `z_p(c) = b4_p + Σ_i w4[i][p] · relu(w3_i·c + b3_i)`. Each layer-3 unit with `w3_i ≠ 0`
//! switches on or off at `c = −b3_i / w3_i`; between consecutive such breakpoints (and beyond
//! the outermost ones) every unit is either on or off throughout, so every z_p is continuous
//! and linear on each piece. This is how the paper explains a trained 2-1-2 network on the
//! 2×2 images: it draws each output against c and tabulates the intervals of c where the
//! output is "on" (sigmoid above 0.5, i.e. `z_p(c) > 0`); the four images are decoded from
//! four consecutive intervals of c, and codes near a threshold decode to gray.
//!
//! [`DecoderMap`] holds layers 3 and 4 in f64 and finds those intervals exactly from the
//! linear pieces, so that a trained network's decoder can be tabulated as the paper does;
//! rendering the table is the caller's business.

use crate::model::ParamLayout;

/// An interval of bottleneck values (ends may be ±infinity), open at both ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower end (may be −∞).
    pub low: f64,
    /// Upper end (may be +∞).
    pub high: f64,
}

impl Interval {
    /// Whether `c` lies strictly inside the interval.
    pub fn contains(&self, c: f64) -> bool {
        self.low < c && c < self.high
    }
}

/// A1's decoder (layers 3 and 4) as a function of a one-unit bottleneck's value c.
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderMap {
    /// `w3_i`: the weight from the bottleneck unit into layer-3 unit i.
    layer3_weights: Vec<f64>,
    /// `b3_i`: the bias of layer-3 unit i.
    layer3_biases: Vec<f64>,
    /// `w4[i][p]` stored by output: `output_weights[p][i]`.
    output_weights: Vec<Vec<f64>>,
    /// `b4_p`: the bias of output p.
    output_biases: Vec<f64>,
}

impl DecoderMap {
    /// The decoder of the network `params` (in `layout`, A1's or A2's; only layers 3 and 4
    /// are read). None unless the layout has one bottleneck unit (h2 = 1). Panics if `params`
    /// is shorter than the layout.
    pub fn new(layout: &ParamLayout, params: &[f32]) -> Option<DecoderMap> {
        if layout.widths.h2 != 1 {
            return None;
        }
        let [_, _, l3, l4] = layout.layers;
        let layer3_weights = (0..l3.fan_out).map(|i| f64::from(params[l3.w(0, i)])).collect();
        let layer3_biases = (0..l3.fan_out).map(|i| f64::from(params[l3.b(i)])).collect();
        let output_weights =
            (0..l4.fan_out).map(|p| (0..l4.fan_in).map(|i| f64::from(params[l4.w(i, p)])).collect()).collect();
        let output_biases = (0..l4.fan_out).map(|p| f64::from(params[l4.b(p)])).collect();
        Some(DecoderMap { layer3_weights, layer3_biases, output_weights, output_biases })
    }

    /// Outputs (pixels).
    pub fn outputs(&self) -> usize {
        self.output_biases.len()
    }

    /// The sorted, distinct values of c where a layer-3 unit's pre-activation `w3_i·c + b3_i`
    /// crosses 0 (units with `w3_i = 0` have none): the kinks of every z_p. Values that are not
    /// finite (a weight so small that the crossing overflows) are left out.
    pub fn breakpoints(&self) -> Vec<f64> {
        let mut points: Vec<f64> = self
            .layer3_weights
            .iter()
            .zip(&self.layer3_biases)
            .filter(|&(&w, _)| w != 0.0)
            .map(|(&w, &b)| -b / w)
            .filter(|c| c.is_finite())
            .collect();
        points.sort_by(f64::total_cmp);
        points.dedup();
        points
    }

    /// z_p(c), output p's pre-sigmoid value. Panics if `output` is not below [`Self::outputs`].
    pub fn pre_sigmoid(&self, output: usize, c: f64) -> f64 {
        let weights = &self.output_weights[output];
        let hidden = self.layer3_weights.iter().zip(&self.layer3_biases).map(|(&w, &b)| (w * c + b).max(0.0));
        self.output_biases[output] + weights.iter().zip(hidden).map(|(&v, h)| v * h).sum::<f64>()
    }

    /// σ(z_p(c)), output p's value. Panics if `output` is not below [`Self::outputs`].
    pub fn output(&self, output: usize, c: f64) -> f64 {
        1.0 / (1.0 + (-self.pre_sigmoid(output, c)).exp())
    }

    /// The maximal intervals of c where z_p(c) > 0 (output p above 0.5), in order, found
    /// exactly (to rounding) from the linear pieces: between consecutive breakpoints z_p is
    /// linear, so it is on near a breakpoint iff positive there and crosses zero inside a piece
    /// iff its two ends differ in that; beyond the outermost breakpoints its slope is that of
    /// the units on towards ±∞. A zero that z_p only touches (at a breakpoint) separates two
    /// intervals. Panics if `output` is not below [`Self::outputs`].
    pub fn on_intervals(&self, output: usize) -> Vec<Interval> {
        let breakpoints = self.breakpoints();
        let values: Vec<f64> = breakpoints.iter().map(|&t| self.pre_sigmoid(output, t)).collect();
        let (Some(&first), Some(&last)) = (breakpoints.first(), breakpoints.last()) else {
            // No kinks: every layer-3 unit is constant, so z_p is.
            let on = self.pre_sigmoid(output, 0.0) > 0.0;
            return if on { vec![Interval { low: f64::NEG_INFINITY, high: f64::INFINITY }] } else { Vec::new() };
        };
        let (slope_left, slope_right) = self.end_slopes(output);
        let (value_first, value_last) = (values[0], values[values.len() - 1]);

        // Each piece: its lower end, whether z_p is on just inside each end, and where it
        // crosses 0 when those differ (the piece is linear, so it crosses at most once).
        let mut pieces: Vec<(f64, bool, bool, f64)> = Vec::with_capacity(breakpoints.len() + 1);
        let left_on_far = slope_left < 0.0 || (slope_left == 0.0 && value_first > 0.0);
        pieces.push((f64::NEG_INFINITY, left_on_far, value_first > 0.0, first - value_first / slope_left));
        for k in 1..breakpoints.len() {
            let (low, high) = (breakpoints[k - 1], breakpoints[k]);
            let (v_low, v_high) = (values[k - 1], values[k]);
            let crossing = (low + (high - low) * (v_low / (v_low - v_high))).clamp(low, high);
            pieces.push((low, v_low > 0.0, v_high > 0.0, crossing));
        }
        let right_on_far = slope_right > 0.0 || (slope_right == 0.0 && value_last > 0.0);
        pieces.push((last, value_last > 0.0, right_on_far, last - value_last / slope_right));

        let mut intervals = Vec::new();
        let mut open_since: Option<f64> = None;
        for (low, on_at_low, on_at_high, crossing) in pieces {
            match (on_at_low, on_at_high) {
                (true, true) => {
                    open_since.get_or_insert(low);
                }
                (true, false) => {
                    let start = open_since.take().unwrap_or(low);
                    intervals.push(Interval { low: start, high: crossing });
                }
                (false, true) => open_since = Some(crossing),
                (false, false) => {}
            }
        }
        if let Some(start) = open_since {
            intervals.push(Interval { low: start, high: f64::INFINITY });
        }
        intervals.retain(|i| i.low < i.high);
        intervals
    }

    /// The slopes of z_p below every breakpoint (units with `w3_i < 0` on) and above every
    /// breakpoint (units with `w3_i > 0` on); units with `w3_i = 0` are constant.
    fn end_slopes(&self, output: usize) -> (f64, f64) {
        let weights = &self.output_weights[output];
        let slope = |side: fn(f64) -> bool| {
            self.layer3_weights.iter().zip(weights).filter(|&(&w, _)| side(w)).map(|(&w, &v)| v * w).sum::<f64>()
        };
        (slope(|w| w < 0.0), slope(|w| w > 0.0))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::Widths;

    /// A network of widths `h1-1-h3` on the 2×2 images with the given layer-3 weights and
    /// biases, layer-4 weights `w4[i][p]` and biases; the encoder is zero (not read).
    fn decoder_params(w3: &[f32], b3: &[f32], w4: &[[f32; 4]], b4: [f32; 4]) -> (ParamLayout, Vec<f32>) {
        let layout = ParamLayout::new(Widths::new(2, 1, w3.len()).unwrap());
        let mut params = vec![0.0; layout.len];
        let [_, _, l3, l4] = layout.layers;
        for i in 0..w3.len() {
            params[l3.w(0, i)] = w3[i];
            params[l3.b(i)] = b3[i];
            for p in 0..4 {
                params[l4.w(i, p)] = w4[i][p];
            }
        }
        for p in 0..4 {
            params[l4.b(p)] = b4[p];
        }
        (layout, params)
    }

    fn interval(low: f64, high: f64) -> Interval {
        Interval { low, high }
    }

    const INF: f64 = f64::INFINITY;

    /// The paper's trained 2-1-2 network (Figs. 4–7). The text gives output 1's values
    /// (−5 at c = −2, 15 at c = 0, −5 at c = 2) and every output's on-intervals, but not the
    /// other weights (they are only in the figures). Layer-3 units `relu(c)` and `relu(−c)`
    /// give output 1 `15 − 10|c|`, which matches those values; outputs 2 to 4 take the
    /// simplest weights that match their tables: `c`, `−c` and `10|c| − 15`.
    #[test]
    fn reproduces_the_papers_tables() {
        let (layout, params) = decoder_params(
            &[1.0, -1.0],
            &[0.0, 0.0],
            &[[-10.0, 1.0, -1.0, 10.0], [-10.0, -1.0, 1.0, 10.0]],
            [15.0, 0.0, 0.0, -15.0],
        );
        let map = DecoderMap::new(&layout, &params).unwrap();
        assert_eq!(map.outputs(), 4);
        assert_eq!(map.breakpoints(), [0.0]);
        assert_eq!([-2.0, 0.0, 2.0].map(|c| map.pre_sigmoid(0, c)), [-5.0, 15.0, -5.0]);
        // The paper's tables, outputs 1 to 4.
        assert_eq!(map.on_intervals(0), [interval(-1.5, 1.5)]);
        assert_eq!(map.on_intervals(1), [interval(0.0, INF)]);
        assert_eq!(map.on_intervals(2), [interval(-INF, 0.0)]);
        assert_eq!(map.on_intervals(3), [interval(-INF, -1.5), interval(1.5, INF)]);
        // Its summary: the four images from four consecutive intervals of c.
        for (c, image) in [(-2.0, "0011"), (-0.75, "1010"), (0.75, "1100"), (2.0, "0101")] {
            let decoded: String = (0..4).map(|p| if map.output(p, c) > 0.5 { '1' } else { '0' }).collect();
            assert_eq!(decoded, image, "c = {c}");
        }
        // Gray at a threshold (Fig. 8).
        assert_eq!(map.output(0, 1.5), 0.5);
    }

    /// Kinks at −1.5, 0 (twice) and 1.5, with u0 = relu(c + 1.5), u1 = relu(c),
    /// u2 = relu(c − 1.5), u3 = relu(−c). By hand:
    /// - output 0, `z = −1 + u0 − 2 u1 + 2 u2`: −1 for c ≤ −1.5; c + 0.5 on [−1.5, 0];
    ///   0.5 − c on [0, 1.5]; c − 2.5 beyond. On (−0.5, 0.5) and (2.5, ∞).
    /// - output 1, `z = u1 + u3 = |c|`: a touching zero at 0 splits (−∞, 0) from (0, ∞).
    /// - output 2, `z = 1`: on everywhere.
    /// - output 3, `z = u3 − u0`: −c for c ≤ −1.5; −2c − 1.5 on [−1.5, 0]; −c − 1.5 beyond.
    ///   On (−∞, −0.75).
    #[test]
    fn hand_computed_intervals() {
        let (layout, params) = decoder_params(
            &[1.0, 1.0, 1.0, -1.0],
            &[1.5, 0.0, -1.5, 0.0],
            &[[1.0, 0.0, 0.0, -1.0], [-2.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0]],
            [-1.0, 0.0, 1.0, 0.0],
        );
        let map = DecoderMap::new(&layout, &params).unwrap();
        assert_eq!(map.breakpoints(), [-1.5, 0.0, 1.5]);
        assert_eq!(map.on_intervals(0), [interval(-0.5, 0.5), interval(2.5, INF)]);
        assert_eq!(map.on_intervals(1), [interval(-INF, 0.0), interval(0.0, INF)]);
        assert_eq!(map.on_intervals(2), [interval(-INF, INF)]);
        assert_eq!(map.on_intervals(3), [interval(-INF, -0.75)]);
    }

    #[test]
    fn constant_decoder_is_all_or_nothing() {
        let (layout, params) = decoder_params(&[0.0], &[2.0], &[[1.0, -1.0, 0.0, 0.0]], [0.0; 4]);
        let map = DecoderMap::new(&layout, &params).unwrap();
        assert!(map.breakpoints().is_empty());
        assert_eq!(map.on_intervals(0), [interval(-INF, INF)]);
        assert!(map.on_intervals(1).is_empty());
        assert!(map.on_intervals(2).is_empty());
    }

    #[test]
    fn wider_bottleneck_has_no_map() {
        let layout = ParamLayout::new(Widths::new(2, 2, 2).unwrap());
        assert!(DecoderMap::new(&layout, &vec![0.5; layout.len]).is_none());
    }

    /// A random A1 network of widths h1-1-h3 (h1 < 4, h3 < 6), weights uniform in [−3, 3).
    fn random_network() -> impl Strategy<Value = (ParamLayout, Vec<f32>)> {
        (1usize..4, 1usize..6).prop_flat_map(|(h1, h3)| {
            let layout = ParamLayout::new(Widths::new(h1, 1, h3).unwrap());
            proptest::collection::vec(-3.0f32..3.0, layout.len).prop_map(move |params| (layout, params))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The intervals are sorted, disjoint and nonempty, z_p vanishes at each finite end,
        /// and they agree with the sign of z_p on a grid of step 10⁻³ over [−20, 20]. Grid
        /// points within one step of an interval end are skipped: there z_p is within rounding
        /// of 0 or the end itself is off by rounding, so the sign test would be meaningless.
        /// Elsewhere |z_p| is far above rounding (weights ≤ 3 keep slopes ≤ 45) for almost
        /// every draw.
        #[test]
        fn intervals_match_a_grid_scan((layout, params) in random_network()) {
            let map = DecoderMap::new(&layout, &params).unwrap();
            let step = 1e-3;
            for p in 0..map.outputs() {
                let intervals = map.on_intervals(p);
                for pair in intervals.windows(2) {
                    prop_assert!(pair[0].high <= pair[1].low, "{intervals:?}");
                }
                for i in &intervals {
                    prop_assert!(i.low < i.high, "{intervals:?}");
                    for end in [i.low, i.high].into_iter().filter(|e| e.is_finite()) {
                        let z = map.pre_sigmoid(p, end);
                        prop_assert!(z.abs() <= 1e-9 * (1.0 + end.abs()), "z_{p}({end}) = {z}");
                    }
                }
                for k in -20_000..=20_000 {
                    let c = f64::from(k) * step;
                    let near_an_end =
                        intervals.iter().any(|i| (c - i.low).abs() <= step || (c - i.high).abs() <= step);
                    if near_an_end {
                        continue;
                    }
                    let on = map.pre_sigmoid(p, c) > 0.0;
                    prop_assert_eq!(on, intervals.iter().any(|i| i.contains(c)), "output {}, c = {}", p, c);
                }
            }
        }

        /// The breakpoints are sorted and distinct, each zeroes some layer-3 unit, and every
        /// z_p is linear between consecutive ones (and one unit beyond the outermost): its
        /// value at a midpoint is the average of its values at the ends.
        #[test]
        fn breakpoints_are_the_kinks((layout, params) in random_network()) {
            let map = DecoderMap::new(&layout, &params).unwrap();
            let breakpoints = map.breakpoints();
            for pair in breakpoints.windows(2) {
                prop_assert!(pair[0] < pair[1]);
            }
            for &t in &breakpoints {
                let zeroes_a_unit =
                    map.layer3_weights.iter().zip(&map.layer3_biases).any(|(w, b)| (w * t + b).abs() <= 1e-12 * (1.0 + b.abs()));
                prop_assert!(zeroes_a_unit, "breakpoint {t}");
            }
            let mut ends = breakpoints.clone();
            match (breakpoints.first(), breakpoints.last()) {
                (Some(&first), Some(&last)) => {
                    ends.insert(0, first - 1.0);
                    ends.push(last + 1.0);
                }
                _ => ends.extend([-1.0, 1.0]),
            }
            for p in 0..map.outputs() {
                for pair in ends.windows(2) {
                    let (a, b) = (pair[0], pair[1]);
                    let mid = map.pre_sigmoid(p, 0.5 * (a + b));
                    let average = 0.5 * (map.pre_sigmoid(p, a) + map.pre_sigmoid(p, b));
                    prop_assert!((mid - average).abs() <= 1e-9 * (1.0 + a.abs() + b.abs()), "output {p} on ({a}, {b}): {mid} vs {average}");
                }
            }
        }
    }
}
