//! The data sets: the paper's four 2×2 images, as constants for the fused 2×2 kernels, and
//! [`Dataset`], images of any shape as one flat matrix, with the generated line images of
//! section 1 ([`lines`]).

pub mod idx;
pub mod lines;
pub mod mnist;
pub mod spec;

pub use spec::DatasetSpec;

/// Number of pixels in one 2×2 image.
pub const PIXELS: usize = 4;
/// Number of images in the 2×2 data set.
pub const IMAGE_COUNT: usize = 4;

/// One 2×2 image, row-major, pixel values 0 or 1.
pub type Image = [f32; PIXELS];

/// The paper's four 2×2 images in its order (Figure 3), row-major: 0011, 1010, 1100, 0101.
/// Image numbers in outputs (`1`..`4`) refer to this order.
pub const IMAGES: [Image; IMAGE_COUNT] =
    [[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0]];

/// A data set as the pipeline hands it on: images of one shape in one flat f32 matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Its name.
    pub name: String,
    /// Height and width of every image, in pixels.
    pub shape: (usize, usize),
    /// The images one after another, each row-major: `count × height·width` values in [0, 1].
    pub images: Vec<f32>,
    /// For line images ([`lines`]), each image's angle θ: white where x·cos θ + y·sin θ > 0.
    pub angles: Option<Vec<f64>>,
    /// For MNIST, the test images scored as normal or anomalous ([`mnist`]).
    pub test: Option<mnist::TestSet>,
}

impl Dataset {
    /// The line images of `size` × `size` pixels at these angles.
    pub fn of_lines(name: String, size: usize, angles: Vec<f64>) -> Self {
        let images = angles.iter().flat_map(|&theta| lines::line_image(size, theta)).collect();
        Dataset { name, shape: (size, size), images, angles: Some(angles), test: None }
    }

    /// The paper's four 2×2 images ([`IMAGES`]), as the line images they are.
    pub fn squares_2x2() -> Self {
        use std::f64::consts::{FRAC_PI_2, PI};
        Dataset::of_lines("squares-2x2".to_string(), 2, vec![3.0 * FRAC_PI_2, PI, FRAC_PI_2, 0.0])
    }

    /// Whether these are the paper's four 2×2 images, which the fused 2×2 kernels and the
    /// 2×2 experiment's analysis (classes, init events, exact laws) are written for.
    pub fn is_squares_2x2(&self) -> bool {
        self.shape == (2, 2) && self.images == IMAGES.concat()
    }

    /// The same images with every pixel shown as a `factor` × `factor` block. Line images stay
    /// line images (the same angles at `factor` times the size: a pixel centre's side of a line
    /// through the centre is its block's side, for the axis-parallel lines of the 2×2 set).
    pub fn upscaled(self, factor: usize) -> Dataset {
        if factor == 1 {
            return self;
        }
        let (h, w) = self.shape;
        let images = (0..self.count())
            .flat_map(|k| {
                let image = self.image(k).to_vec();
                (0..h * factor).flat_map(move |i| {
                    let image = image.clone();
                    (0..w * factor).map(move |j| image[(i / factor) * w + j / factor])
                })
            })
            .collect();
        Dataset { name: format!("{}-x{factor}", self.name), shape: (h * factor, w * factor), images, ..self }
    }

    /// Pixels per image.
    pub fn pixels(&self) -> usize {
        self.shape.0 * self.shape.1
    }

    /// Number of images.
    pub fn count(&self) -> usize {
        self.images.len() / self.pixels()
    }

    /// Image `k`, row-major.
    pub fn image(&self, k: usize) -> &[f32] {
        &self.images[k * self.pixels()..(k + 1) * self.pixels()]
    }

    /// For line images, the distance from the centre of pixel `p` of image `k` to its line.
    pub fn distance_to_line(&self, k: usize, p: usize) -> Option<f64> {
        let theta = self.angles.as_ref()?[k];
        (self.shape.0 == self.shape.1).then(|| lines::distance_to_line(self.shape.0, theta, p))
    }
}

/// Number of pixels in which two images differ.
pub fn hamming(a: &Image, b: &Image) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_the_papers_four_lines() {
        let bits: Vec<String> =
            IMAGES.iter().map(|im| im.iter().map(|&p| if p > 0.5 { '1' } else { '0' }).collect()).collect();
        assert_eq!(bits, ["0011", "1010", "1100", "0101"]);
        // Adjacent lines differ in two pixels, opposite ones in all four.
        assert_eq!(hamming(&IMAGES[0], &IMAGES[1]), 2);
        assert_eq!(hamming(&IMAGES[0], &IMAGES[2]), 4);
        assert_eq!(hamming(&IMAGES[1], &IMAGES[3]), 4);
    }

    #[test]
    fn the_papers_images_are_line_images_of_size_two() {
        let set = Dataset::squares_2x2();
        assert_eq!(set.images, IMAGES.concat());
        // Pixel centres (±0.5, ±0.5) lie 0.5 from either axis (to rounding of cos and sin).
        let d = |k, p| set.distance_to_line(k, p).unwrap();
        assert!((0..4).all(|k| (0..4).all(|p| (d(k, p) - 0.5).abs() < 1e-12)));
    }

    #[test]
    fn upscaled_squares_are_blocks_and_still_line_images() {
        let big = Dataset::squares_2x2().upscaled(16);
        assert_eq!((big.shape, big.count()), ((32, 32), 4));
        for (k, image) in IMAGES.iter().enumerate() {
            for p in 0..1024 {
                let (i, j) = (p / 32, p % 32);
                assert_eq!(big.image(k)[p], image[(i / 16) * 2 + j / 16]);
            }
        }
        let lines = Dataset::of_lines("x".into(), 32, big.angles.clone().unwrap());
        assert_eq!(lines.images, big.images);
        assert!(!big.is_squares_2x2());
    }
}
