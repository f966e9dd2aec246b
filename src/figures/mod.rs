//! Figures of a study, behind one small interface: each figure is a file name and its bytes.
//!
//! - the data grids of the paper's Fig. 1 (a sample of the line images), Fig. 3 (the 2×2
//!   images) and Fig. 20 (MNIST's normal digit), as PNG in the paper's viridis colour map (0
//!   violet, 1 yellow) or in grey, from the data sets the caller hands over ([`grid`]);
//! - charts as SVG from the study's CSV files ([`results`], drawn by [`chart`]).

pub mod chart;
pub mod colormap;
pub mod grid;
pub mod results;

pub use colormap::Colormap;

/// The folder of a study's figures in its output directory.
pub const FIGURES_DIR: &str = "figures";

/// A figure ready to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Its file name in the study's `figures/` folder.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Every figure of the study in `dir` whose data sets are `data` (name, images).
pub fn figures(
    dir: &std::path::Path,
    data: &[(String, crate::data::Dataset)],
    colormap: Colormap,
) -> anyhow::Result<Vec<Figure>> {
    let mut figures = data_grids(data, colormap)?;
    figures.extend(results::charts(dir)?);
    Ok(figures)
}

/// The data grids of `data` (name, images).
fn data_grids(data: &[(String, crate::data::Dataset)], colormap: Colormap) -> anyhow::Result<Vec<Figure>> {
    data.iter()
        .map(|(label, dataset)| {
            let image = grid::data_grid(dataset, grid::SAMPLE, colormap);
            let mut bytes = Vec::new();
            image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
            Ok(Figure { file_name: format!("data-{label}.png"), bytes })
        })
        .collect()
}
