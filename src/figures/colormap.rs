//! Colour maps from [0, 1] to RGB.

/// How a value in [0, 1] is coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Colormap {
    /// Matplotlib's viridis, the paper's: 0 violet, 1 yellow.
    #[default]
    Viridis,
    /// Black (0) to white (1).
    Grey,
}

/// Viridis at 0, 0.1, …, 1 (matplotlib's `viridis` colour table at those points); values in
/// between are interpolated linearly.
const VIRIDIS: [[u8; 3]; 11] = [
    [68, 1, 84],
    [72, 36, 117],
    [65, 68, 135],
    [53, 95, 141],
    [42, 120, 142],
    [33, 145, 140],
    [34, 168, 132],
    [68, 191, 112],
    [122, 209, 81],
    [189, 223, 38],
    [253, 231, 37],
];

impl Colormap {
    /// The colour of `value`, clamped to [0, 1] (NaN is coloured as 0).
    pub fn rgb(self, value: f32) -> [u8; 3] {
        let v = if value.is_nan() { 0.0 } else { value.clamp(0.0, 1.0) };
        match self {
            Colormap::Grey => [(v * 255.0).round() as u8; 3],
            Colormap::Viridis => {
                let x = v * (VIRIDIS.len() - 1) as f32;
                let k = (x.floor() as usize).min(VIRIDIS.len() - 2);
                let t = x - k as f32;
                let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
                [0, 1, 2].map(|c| (f32::from(a[c]) + t * (f32::from(b[c]) - f32::from(a[c]))).round() as u8)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_middle() {
        assert_eq!(Colormap::Viridis.rgb(0.0), [68, 1, 84]);
        assert_eq!(Colormap::Viridis.rgb(1.0), [253, 231, 37]);
        assert_eq!(Colormap::Viridis.rgb(0.5), [33, 145, 140]);
        assert_eq!(Colormap::Viridis.rgb(0.05), [70, 19, 101]);
        assert_eq!(Colormap::Grey.rgb(0.5), [128; 3]);
        assert_eq!(Colormap::Grey.rgb(f32::NAN), [0; 3]);
        assert_eq!(Colormap::Viridis.rgb(7.0), Colormap::Viridis.rgb(1.0));
    }
}
