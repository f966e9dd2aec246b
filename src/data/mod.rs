//! The data sets. For now the paper's four 2×2 images.

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
}
