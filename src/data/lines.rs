//! Line images, the paper's section 1: a square of `size` × `size` pixels split by a straight
//! line through its centre into a white half (1) and a black half (0).
//!
//! Image k has an angle θ_k: the k-th draw of [`RunRng::uniform`] from the data set's seed,
//! times 2π, so θ_k is uniform in [0, 2π). Pixel (row i, column j) has its centre at
//! (x, y) = (j − c, c − i) with c = (size − 1)/2 (x to the right, y up), and is white where
//! x·cos θ + y·sin θ > 0, black elsewhere: θ is the direction of the white half's normal, and
//! θ + π gives the complementary image. The paper's four 2×2 images are the line images of
//! size 2 at θ = 3π/2, π, π/2 and 0 ([`super::Dataset::squares_2x2`]).

use std::f64::consts::TAU;

use super::Dataset;
use crate::rng::RunRng;

/// The line image of `size` × `size` pixels at angle `theta`, row-major.
pub fn line_image(size: usize, theta: f64) -> Vec<f32> {
    let c = (size as f64 - 1.0) / 2.0;
    let (cos, sin) = (theta.cos(), theta.sin());
    (0..size * size)
        .map(|p| {
            let (i, j) = ((p / size) as f64, (p % size) as f64);
            let (x, y) = (j - c, c - i);
            if x * cos + y * sin > 0.0 { 1.0 } else { 0.0 }
        })
        .collect()
}

/// The distance from the centre of pixel `p` (row-major) of a `size` × `size` line image at
/// angle `theta` to its line.
pub fn distance_to_line(size: usize, theta: f64, p: usize) -> f64 {
    let c = (size as f64 - 1.0) / 2.0;
    let (x, y) = ((p % size) as f64 - c, c - (p / size) as f64);
    (x * theta.cos() + y * theta.sin()).abs()
}

/// `count` line images of `size` × `size` pixels, their angles drawn from `seed`.
pub fn lines(size: usize, count: usize, seed: u64) -> Dataset {
    let mut rng = RunRng::new(seed);
    let angles: Vec<f64> = (0..count).map(|_| TAU * rng.uniform()).collect();
    Dataset::of_lines(format!("lines-{size}"), size, angles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_is_two_complementary_half_planes_through_the_centre() {
        let set = lines(32, 200, 7);
        assert_eq!((set.count(), set.shape), (200, (32, 32)));
        let angles = set.angles.as_ref().unwrap();
        for (k, &theta) in angles.iter().enumerate() {
            assert!((0.0..TAU).contains(&theta));
            let image = set.image(k);
            assert!(image.iter().all(|&v| v == 0.0 || v == 1.0));
            // θ + π is the complement, pixel for pixel (no pixel centre lies on the line).
            let opposite = line_image(32, theta + std::f64::consts::PI);
            assert!(image.iter().zip(&opposite).all(|(a, b)| a + b == 1.0), "image {k}");
            // A line through the centre halves the image up to the pixels it cuts: at most
            // one per row or column crossed, so within 32 of 512.
            let white: f32 = image.iter().sum();
            assert!((white - 512.0).abs() <= 32.0, "image {k}: {white} white pixels");
            // Through the centre: the image is antisymmetric under a half turn.
            assert!((0..1024).all(|p| image[p] + image[1023 - p] == 1.0), "image {k}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_images_and_another_seed_others() {
        assert_eq!(lines(32, 50, 3), lines(32, 50, 3));
        assert_ne!(lines(32, 50, 3).images, lines(32, 50, 4).images);
        // The first images do not depend on how many are drawn.
        assert_eq!(lines(8, 5, 3).images[..], lines(8, 10, 3).images[..5 * 64]);
    }

    #[test]
    fn angles_are_uniform() {
        // 20000 angles: the mean of θ/2π is 1/2 with standard error 0.29/√20000 = 0.002;
        // allow 5 standard errors.
        let set = lines(2, 20_000, 11);
        let mean = set.angles.unwrap().iter().map(|t| t / TAU).sum::<f64>() / 20_000.0;
        assert!((mean - 0.5).abs() < 5.0 * 0.00204, "{mean}");
    }

    #[test]
    fn distances_are_from_pixel_centres_to_the_line() {
        // A vertical line (θ = 0, white on the right) in a 4 × 4 image: columns at x = ±0.5, ±1.5.
        let d: Vec<f64> = (0..4).map(|j| distance_to_line(4, 0.0, j)).collect();
        assert_eq!(d, [1.5, 0.5, 0.5, 1.5]);
        assert_eq!(line_image(4, 0.0), [0., 0., 1., 1.].repeat(4));
    }
}
