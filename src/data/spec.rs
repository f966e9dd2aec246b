//! The `dataset` key of a study file: which data set a study trains on, and its options.
//!
//! Either a name, `dataset = "lines-32"`, or a table of the name and options:
//!
//! ```toml
//! [dataset]
//! name = "lines-32"
//! size = 32      # pixels per side, at least 2
//! images = 1000  # at least 1
//! seed = 1       # the data set's own seed (the angles), not the study's
//! ```
//!
//! `squares-2x2` takes one option, `upscale` (default 1): each of its pixels shown as an
//! `upscale` × `upscale` block, so that `upscale = 16` gives four 32 × 32 images, as many pixels
//! as the lines with as few images as the squares.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Dataset, lines};

/// The lines data set's defaults: the paper's 1000 images of 32 × 32 pixels.
pub const LINES_DEFAULT: DatasetSpec = DatasetSpec::Lines { size: 32, images: 1000, seed: 1 };

/// The data sets a study can name.
pub const NAMES: &str = "\"squares-2x2\" or \"lines-32\"";

/// A data set and its options, as a study names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetSpec {
    /// The paper's four 2×2 images ([`Dataset::squares_2x2`]), each pixel shown as an
    /// `upscale` × `upscale` block (1: the images themselves).
    Squares2x2 {
        /// Pixels per side of each of the 2×2 blocks.
        upscale: usize,
    },
    /// Line images ([`lines`]): `images` of `size` × `size` pixels, angles drawn from `seed`.
    Lines {
        /// Pixels per side.
        size: usize,
        /// Number of images.
        images: usize,
        /// The data set's seed.
        seed: u64,
    },
}

impl DatasetSpec {
    /// Whether this is the default data set (left out of recorded studies).
    pub fn is_default(&self) -> bool {
        *self == DatasetSpec::SQUARES
    }

    /// The paper's four 2×2 images themselves, the default.
    pub const SQUARES: DatasetSpec = DatasetSpec::Squares2x2 { upscale: 1 };

    /// The name a study file gives it.
    pub fn name(&self) -> &'static str {
        match self {
            DatasetSpec::Squares2x2 { .. } => "squares-2x2",
            DatasetSpec::Lines { .. } => "lines-32",
        }
    }

    /// The data set with its default options, from its name; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "squares-2x2" => Some(DatasetSpec::SQUARES),
            "lines-32" => Some(LINES_DEFAULT),
            _ => None,
        }
    }

    /// Number of images.
    pub fn images(&self) -> usize {
        match *self {
            DatasetSpec::Squares2x2 { .. } => super::IMAGE_COUNT,
            DatasetSpec::Lines { images, .. } => images,
        }
    }

    /// Pixels per image, without generating the images.
    pub fn pixels(&self) -> usize {
        match *self {
            DatasetSpec::Squares2x2 { upscale } => super::PIXELS * upscale * upscale,
            DatasetSpec::Lines { size, .. } => size * size,
        }
    }

    /// The images themselves.
    pub fn load(&self) -> Dataset {
        match *self {
            DatasetSpec::Squares2x2 { upscale } => Dataset::squares_2x2().upscaled(upscale),
            DatasetSpec::Lines { size, images, seed } => lines::lines(size, images, seed),
        }
    }

    /// Reads the key's value: a name, or a table of the name and options. Errors name the
    /// key (`dataset.size`, …) and what is accepted, on one line.
    pub fn from_toml(value: toml::Value) -> Result<Self, String> {
        let table = match value {
            toml::Value::String(name) => toml::map::Map::from_iter([("name".to_string(), toml::Value::String(name))]),
            toml::Value::Table(table) => table,
            other => return Err(format!("dataset: {other} is neither a name ({NAMES}) nor a [dataset] table")),
        };
        let name = match table.get("name") {
            Some(toml::Value::String(name)) => name.as_str(),
            Some(other) => return Err(format!("dataset.name: {other} is not a name; use {NAMES}")),
            None => return Err(format!("dataset.name: missing; the [dataset] table needs name = {NAMES}")),
        };
        let spec = Self::from_name(name).ok_or_else(|| format!("dataset: unknown data set '{name}'; use {NAMES}"))?;
        let options: &[&str] = match spec {
            DatasetSpec::Squares2x2 { .. } => &["upscale"],
            DatasetSpec::Lines { .. } => &["size", "images", "seed"],
        };
        if let Some(key) = table.keys().find(|k| *k != "name" && !options.contains(&k.as_str())) {
            let accepted = if options.is_empty() { "none".to_string() } else { options.join(", ") };
            return Err(format!("dataset.{key}: not an option of {name} (its options: {accepted})"));
        }
        let number = |key: &str, least: i64, default: u64| -> Result<u64, String> {
            match table.get(key) {
                None => Ok(default),
                Some(toml::Value::Integer(n)) if *n >= least => Ok(*n as u64),
                Some(other) => Err(format!("dataset.{key}: {other} must be a whole number of at least {least}")),
            }
        };
        Ok(match spec {
            DatasetSpec::Squares2x2 { upscale } => {
                DatasetSpec::Squares2x2 { upscale: number("upscale", 1, upscale as u64)? as usize }
            }
            DatasetSpec::Lines { size, images, seed } => DatasetSpec::Lines {
                size: number("size", 2, size as u64)? as usize,
                images: number("images", 1, images as u64)? as usize,
                seed: number("seed", 0, seed)?,
            },
        })
    }
}

impl Default for DatasetSpec {
    fn default() -> Self {
        DatasetSpec::SQUARES
    }
}

impl<'de> Deserialize<'de> for DatasetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DatasetSpec::from_toml(toml::Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Serialize for DatasetSpec {
    /// The squares as their name; lines as a table with every option, so the recorded study
    /// says exactly which images it trained on.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Table {
            name: &'static str,
            size: usize,
            images: usize,
            seed: u64,
        }
        #[derive(Serialize)]
        struct Squares {
            name: &'static str,
            upscale: usize,
        }
        match *self {
            DatasetSpec::Squares2x2 { upscale: 1 } => s.serialize_str(self.name()),
            DatasetSpec::Squares2x2 { upscale } => Squares { name: self.name(), upscale }.serialize(s),
            DatasetSpec::Lines { size, images, seed } => Table { name: self.name(), size, images, seed }.serialize(s),
        }
    }
}

impl std::str::FromStr for DatasetSpec {
    type Err = String;

    /// A name with its default options, as `--dataset` takes it.
    fn from_str(name: &str) -> Result<Self, String> {
        Self::from_name(name).ok_or_else(|| format!("unknown data set '{name}'; use {NAMES}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DatasetSpec, String> {
        #[derive(Deserialize)]
        struct Wrapper {
            dataset: DatasetSpec,
        }
        toml::from_str::<Wrapper>(text).map(|w| w.dataset).map_err(|e| e.message().to_string())
    }

    #[test]
    fn names_and_tables() {
        assert_eq!(parse("dataset = \"squares-2x2\"").unwrap(), DatasetSpec::SQUARES);
        let big = parse("[dataset]\nname = \"squares-2x2\"\nupscale = 16").unwrap();
        assert_eq!(big.load().shape, (32, 32));
        for spec in [big, DatasetSpec::SQUARES, LINES_DEFAULT] {
            assert_eq!(spec.pixels(), spec.load().pixels());
        }
        assert_eq!(parse("dataset = \"lines-32\"").unwrap(), LINES_DEFAULT);
        assert_eq!(
            parse("[dataset]\nname = \"lines-32\"\nsize = 8\nimages = 20").unwrap(),
            DatasetSpec::Lines { size: 8, images: 20, seed: 1 }
        );
        let spec = DatasetSpec::Lines { size: 8, images: 20, seed: 3 };
        assert_eq!(spec.load().shape, (8, 8));
        assert_eq!(spec.load().count(), 20);
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, needle) in [
            ("dataset = \"mnist\"", "unknown data set 'mnist'"),
            ("dataset = 3", "neither a name"),
            ("[dataset]\nsize = 8", "dataset.name: missing"),
            ("[dataset]\nname = \"lines-32\"\nsize = 1", "dataset.size"),
            ("[dataset]\nname = \"lines-32\"\nimages = 0", "dataset.images"),
            ("[dataset]\nname = \"lines-32\"\nimages = 2.5", "dataset.images"),
            ("[dataset]\nname = \"lines-32\"\ncolour = 2", "dataset.colour: not an option"),
            ("[dataset]\nname = \"squares-2x2\"\nsize = 4", "dataset.size: not an option of squares-2x2"),
            ("[dataset]\nname = \"squares-2x2\"\nupscale = 0", "dataset.upscale"),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains(needle), "{text:?} → {err}");
        }
    }
}
