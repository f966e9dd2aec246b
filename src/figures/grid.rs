//! Images of a data set laid out in a grid, each pixel drawn as a square block so that 2×2
//! images are as legible as 28×28 ones.

use image::{Rgb, RgbImage};

use super::Colormap;
use crate::data::Dataset;

/// Images a data grid shows at most (the first ones of the data set).
pub const SAMPLE: usize = 16;
/// Images per row of a grid.
pub const COLUMNS: usize = 4;
/// The side in output pixels an image is drawn at, at least (whole multiples of its side).
pub const MIN_SIDE: usize = 112;
/// Background pixels between images.
pub const GAP: usize = 4;

/// The block size each image pixel of `data` is drawn at.
pub fn scale(data: &Dataset) -> usize {
    let side = data.shape.0.max(data.shape.1).max(1);
    MIN_SIDE.div_ceil(side)
}

/// The first `count` images of `data` in rows of [`COLUMNS`], each pixel a [`scale`] ×
/// [`scale`] block coloured by `colormap`, on a white background with [`GAP`] between images.
pub fn data_grid(data: &Dataset, count: usize, colormap: Colormap) -> RgbImage {
    let n = count.min(data.count()).max(1);
    let images: Vec<&[f32]> = (0..n.min(data.count())).map(|k| data.image(k)).collect();
    let rows: Vec<&[&[f32]]> = images.chunks(COLUMNS).collect();
    rows_grid(&rows, data.shape, scale(data), colormap)
}

/// Rows of images of `shape` (height, width), each pixel an `s` × `s` block coloured by
/// `colormap`, on a white background with [`GAP`] between images; the grid is as wide as its
/// longest row.
pub fn rows_grid(rows: &[&[&[f32]]], shape: (usize, usize), s: usize, colormap: Colormap) -> RgbImage {
    let (h, w) = shape;
    let columns = rows.iter().map(|r| r.len()).max().unwrap_or(0).max(1);
    let (cell_w, cell_h) = (w * s + GAP, h * s + GAP);
    let mut out =
        RgbImage::from_pixel((columns * cell_w + GAP) as u32, (rows.len().max(1) * cell_h + GAP) as u32, Rgb([255; 3]));
    for (r, row) in rows.iter().enumerate() {
        for (k, image) in row.iter().enumerate() {
            let (x0, y0) = (GAP + k * cell_w, GAP + r * cell_h);
            for (p, &value) in image.iter().enumerate() {
                let colour = Rgb(colormap.rgb(value));
                let (i, j) = (p / w, p % w);
                for dy in 0..s {
                    for dx in 0..s {
                        out.put_pixel((x0 + j * s + dx) as u32, (y0 + i * s + dy) as u32, colour);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 2×2 images: four in a row, each pixel a 56 × 56 block whose colour is the data's.
    #[test]
    fn the_grid_shows_the_data() {
        let data = Dataset::squares_2x2();
        let grid = data_grid(&data, SAMPLE, Colormap::Grey);
        let s = scale(&data);
        assert_eq!(s, 56);
        assert_eq!((grid.width() as usize, grid.height() as usize), (4 * (2 * s + GAP) + GAP, 2 * s + 2 * GAP));
        for k in 0..4 {
            for (p, &value) in data.image(k).iter().enumerate() {
                let (x, y) = (GAP + k * (2 * s + GAP) + (p % 2) * s + s / 2, GAP + (p / 2) * s + s / 2);
                assert_eq!(grid.get_pixel(x as u32, y as u32).0, Colormap::Grey.rgb(value), "image {k} pixel {p}");
            }
        }
    }
}
