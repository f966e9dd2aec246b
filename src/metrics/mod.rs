//! What a trained network's reconstructions are judged by on any data set (the paper's
//! sections 1–2): error, blur, wrong pixels before and after the paper's post-processing, and
//! where the gray and wrong pixels lie relative to each image's line. Statistics in f64 over
//! f32 outputs.
//!
//! The post-processing ([`post_process`]) takes the inverse sigmoid of an output and then the
//! Heaviside function of the result. For an f32 output y in [0, 1], ln(y/(1 − y)) > 0 exactly
//! when y > 0.5: 1 − y is exact for y ≥ 0.25 (Sterbenz), y/(1 − y) then exceeds 1 exactly
//! when y > 0.5, and the quotient of the smallest float above 0.5, 1 + 2⁻²², still rounds
//! above 1. So the post-processing is thresholding at 0.5, which the unit tests check on every
//! float in [0.25, 0.75]. It equals the Heaviside function of the network's logit z except
//! where the f32 sigmoid rounds to 0.5, for |z| below about 2⁻²³: there the output is exactly
//! 0.5 and post-processes to 0 whatever the sign of z.

pub mod anomaly;
pub mod variational;

/// Output values strictly between these count as blurred (gray).
pub const BLUR_RANGE: (f32, f32) = (0.1, 0.9);
/// An image with a smaller fraction of wrong pixels (after post-processing) is near-perfect.
pub const NEAR_PERFECT: f64 = 0.01;

/// The paper's post-processing of one output: the Heaviside function (0 at 0) of its inverse
/// sigmoid. Equal to `y > 0.5` on every f32 (module documentation).
pub fn post_process(y: f32) -> f32 {
    let logit = (y / (1.0 - y)).ln();
    if logit > 0.0 { 1.0 } else { 0.0 }
}

/// Whether an output is blurred: strictly inside [`BLUR_RANGE`].
pub fn blurred(y: f32) -> bool {
    y > BLUR_RANGE.0 && y < BLUR_RANGE.1
}

/// Whether an output is wrong before post-processing: at least 0.5 from its target.
pub fn wrong(y: f32, target: f32) -> bool {
    (y - target).abs() >= 0.5
}

/// A network's reconstructions of a data set, measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Reconstruction {
    /// Mean squared error over images and pixels.
    pub mse: f64,
    /// Fraction of output values blurred ([`blurred`]).
    pub blur: f64,
    /// Fraction of output values wrong before post-processing ([`wrong`]).
    pub wrong: f64,
    /// Fraction of output values wrong after post-processing.
    pub wrong_post: f64,
    /// Fraction of the blurred output values that are right after post-processing (how much
    /// of the blur the post-processing removes); `None` where no value is blurred.
    pub blur_fixed: Option<f64>,
    /// Fraction of images with no wrong pixel after post-processing.
    pub perfect_post: f64,
    /// Fraction of images with under [`NEAR_PERFECT`] of their pixels wrong after
    /// post-processing.
    pub near_perfect_post: f64,
    /// For line images: the mean distance to its image's line of the blurred pixels, of the
    /// pixels wrong before post-processing, and of all pixels (for scale); `None` where the
    /// data set has no lines or no such pixel exists.
    pub distance: Distances,
    /// The smallest and largest bottleneck code over images and units (NaN for a network
    /// whose codes are NaN).
    pub code_range: (f32, f32),
}

/// Mean distances to the images' lines, in pixels ([`Reconstruction::distance`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distances {
    /// Of the blurred pixels.
    pub blurred: Option<f64>,
    /// Of the pixels wrong before post-processing.
    pub wrong: Option<f64>,
    /// Of every pixel.
    pub all: Option<f64>,
}

/// A running mean that may have no terms.
#[derive(Default)]
struct Mean {
    sum: f64,
    n: u64,
}

impl Mean {
    fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }
    fn get(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

impl Reconstruction {
    /// The metrics' names, as runs.csv's columns and the summaries' rows call them.
    pub const NAMES: [&'static str; 12] = [
        "mse",
        "blur",
        "wrong",
        "wrong_post",
        "blur_fixed",
        "perfect_post",
        "near_perfect_post",
        "blur_distance",
        "wrong_distance",
        "pixel_distance",
        "code_min",
        "code_max",
    ];

    /// The metrics' values in the order of [`Reconstruction::NAMES`] (`None` where a distance
    /// has no pixel to measure).
    pub fn values(&self) -> [Option<f64>; 12] {
        let d = &self.distance;
        [
            Some(self.mse),
            Some(self.blur),
            Some(self.wrong),
            Some(self.wrong_post),
            self.blur_fixed,
            Some(self.perfect_post),
            Some(self.near_perfect_post),
            d.blurred,
            d.wrong,
            d.all,
            Some(f64::from(self.code_range.0)),
            Some(f64::from(self.code_range.1)),
        ]
    }

    /// Measures `outputs` (one reconstruction per image of `data`, laid out as its images)
    /// with `codes` (every image's bottleneck code, one after another).
    pub fn of(data: &crate::data::Dataset, outputs: &[f32], codes: &[f32]) -> Self {
        assert_eq!(outputs.len(), data.images.len(), "one output per pixel of every image");
        let pixels = data.pixels();
        let mut blur_fixed = 0u64;
        let (mut squared, mut blur, mut wrong_before, mut wrong_after) = (0.0f64, 0u64, 0u64, 0u64);
        let (mut perfect, mut near_perfect) = (0u64, 0u64);
        let (mut d_blur, mut d_wrong, mut d_all) = (Mean::default(), Mean::default(), Mean::default());
        for k in 0..data.count() {
            let mut wrong_here = 0u64;
            for p in 0..pixels {
                let (y, x) = (outputs[k * pixels + p], data.images[k * pixels + p]);
                squared += f64::from(y - x).powi(2);
                let distance = data.distance_to_line(k, p);
                if let Some(d) = distance {
                    d_all.add(d);
                }
                if blurred(y) {
                    blur += 1;
                    blur_fixed += u64::from(post_process(y) == x);
                    if let Some(d) = distance {
                        d_blur.add(d);
                    }
                }
                if wrong(y, x) {
                    wrong_before += 1;
                    if let Some(d) = distance {
                        d_wrong.add(d);
                    }
                }
                if post_process(y) != x {
                    wrong_after += 1;
                    wrong_here += 1;
                }
            }
            perfect += u64::from(wrong_here == 0);
            near_perfect += u64::from((wrong_here as f64) < NEAR_PERFECT * pixels as f64);
        }
        let values = outputs.len() as f64;
        let images = data.count() as f64;
        // A network that diverged has NaN codes: its range is NaN, not the empty fold's (∞, −∞).
        let code_range = if codes.is_empty() || codes.iter().any(|c| c.is_nan()) {
            (f32::NAN, f32::NAN)
        } else {
            codes.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &c| (lo.min(c), hi.max(c)))
        };
        Reconstruction {
            mse: squared / values,
            blur: blur as f64 / values,
            wrong: wrong_before as f64 / values,
            wrong_post: wrong_after as f64 / values,
            blur_fixed: (blur > 0).then(|| blur_fixed as f64 / blur as f64),
            perfect_post: perfect as f64 / images,
            near_perfect_post: near_perfect as f64 / images,
            distance: Distances { blurred: d_blur.get(), wrong: d_wrong.get(), all: d_all.get() },
            code_range,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::data::lines::{distance_to_line, lines};

    #[test]
    fn post_processing_is_thresholding_at_one_half_on_every_float_near_it() {
        // Every f32 in [0.25, 0.75], and a stride over the rest of [0, 1].
        let (lo, hi) = (0.25f32.to_bits(), 0.75f32.to_bits());
        for bits in (lo..=hi).chain((0..=1.0f32.to_bits()).step_by(4099)) {
            let y = f32::from_bits(bits);
            assert_eq!(post_process(y), if y > 0.5 { 1.0 } else { 0.0 }, "{y:e}");
        }
        assert_eq!((post_process(0.0), post_process(1.0), post_process(f32::NAN)), (0.0, 1.0, 0.0));
    }

    #[test]
    fn post_processing_is_the_heaviside_of_the_logit_except_where_the_sigmoid_rounds_to_one_half() {
        let sigmoid = crate::model::sigmoid;
        // Logits near 0: every f32 of magnitude 2⁻⁴⁰ to 2⁻¹⁰, both signs.
        let (lo, hi) = (2f32.powi(-40).to_bits(), 2f32.powi(-10).to_bits());
        for bits in lo..=hi {
            for z in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let y = sigmoid(z);
                if z.abs() >= 2f32.powi(-22) {
                    assert_eq!(post_process(y), if z > 0.0 { 1.0 } else { 0.0 }, "z = {z:e}");
                } else if z.abs() < 2f32.powi(-25) {
                    assert_eq!((y, post_process(y)), (0.5, 0.0), "z = {z:e}");
                }
            }
        }
    }

    /// The four 2×2 images with outputs chosen by hand.
    #[test]
    fn metrics_of_hand_built_outputs() {
        let data = Dataset::squares_2x2();
        // Image 1 exact; image 2 one pixel at 0.6 for a 0 and image 3 one at 0.3 for a 1
        // (each blurred, wrong, and wrong after post-processing); image 4 one at 0.95 for a 1
        // (none of these).
        let mut outputs = data.images.clone();
        outputs[4 + 1] = 0.6; // image 2 = 1010, pixel 2 is 0
        outputs[8] = 0.3; // image 3 = 1100, pixel 1 is 1
        outputs[12 + 1] = 0.95; // image 4 = 0101, pixel 2 is 1
        let codes = [-1.5, 0.25, 0.5, 2.0];
        let r = Reconstruction::of(&data, &outputs, &codes);
        let mse = (0.36 + 0.49 + 0.0025) / 16.0;
        assert!((r.mse - mse).abs() < 1e-7, "{}", r.mse);
        assert_eq!((r.blur, r.wrong, r.wrong_post), (2.0 / 16.0, 2.0 / 16.0, 2.0 / 16.0));
        // Both blurred values are wrong after post-processing too.
        assert_eq!(r.blur_fixed, Some(0.0));
        assert_eq!((r.perfect_post, r.near_perfect_post), (0.5, 0.5));
        // Every 2×2 pixel centre is 0.5 from its line.
        for d in [r.distance.blurred, r.distance.wrong, r.distance.all] {
            assert!((d.unwrap() - 0.5).abs() < 1e-12);
        }
        assert_eq!(r.code_range, (-1.5, 2.0));
    }

    /// Blur along the dividing line: outputs gray exactly on the pixels nearest each line
    /// have a mean distance below the image's mean; post-processing then rights them.
    #[test]
    fn blur_along_the_line_lies_near_the_line() {
        let data = lines(16, 20, 5);
        let angles = data.angles.clone().unwrap();
        let outputs: Vec<f32> = data
            .images
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let (k, p) = (i / 256, i % 256);
                if distance_to_line(16, angles[k], p) < 1.0 { 0.4 + 0.2 * x } else { x }
            })
            .collect();
        let r = Reconstruction::of(&data, &outputs, &[0.0]);
        let (blurred, all) = (r.distance.blurred.unwrap(), r.distance.all.unwrap());
        assert!(blurred < 1.0 && all > 3.0, "{blurred} {all}");
        assert!(r.blur > 0.05 && r.wrong == 0.0 && r.wrong_post == 0.0, "{r:?}");
        assert_eq!(r.blur_fixed, Some(1.0));
        assert_eq!(r.distance.wrong, None);
        assert_eq!((r.perfect_post, r.near_perfect_post), (1.0, 1.0));
        assert!(r.mse > 0.0);
    }

    #[test]
    fn images_with_a_few_wrong_pixels_are_near_perfect() {
        let data = lines(32, 2, 9);
        let mut outputs = data.images.clone();
        // 10 of image 1's 1024 pixels wrong (under 1%), 11 of image 2's (over).
        let flip = |y: &mut f32| *y = 1.0 - *y;
        outputs[..10].iter_mut().for_each(flip);
        outputs[1024..1035].iter_mut().for_each(flip);
        let r = Reconstruction::of(&data, &outputs, &[0.0]);
        assert_eq!((r.perfect_post, r.near_perfect_post), (0.0, 0.5));
        assert_eq!(r.wrong_post, 21.0 / 2048.0);
    }
}
