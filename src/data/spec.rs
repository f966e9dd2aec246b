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

use super::mnist::{self, MnistSpec};
use super::{Dataset, lines};

/// The lines data set's defaults: the paper's 1000 images of 32 × 32 pixels.
pub const LINES_DEFAULT: DatasetSpec = DatasetSpec::Lines { size: 32, images: 1000, seed: 1 };

/// The data sets a study can name.
pub const NAMES: &str = "\"squares-2x2\", \"lines-32\" or \"mnist\"";

/// A data set and its options, as a study names it.
#[derive(Clone, Debug, PartialEq)]
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
    /// MNIST ([`mnist`]): one digit's training images, every digit's test images.
    Mnist(MnistSpec),
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
            DatasetSpec::Mnist(_) => "mnist",
        }
    }

    /// Whether runs on it are scored as anomaly detectors on a test set (MNIST).
    pub fn has_test_set(&self) -> bool {
        matches!(self, DatasetSpec::Mnist(_))
    }

    /// A short name: the name, then each option that differs from its default
    /// (`lines-32+images=4`, `squares-2x2+upscale=16`; MNIST's directory left out), safe as a
    /// file name.
    pub fn label(&self) -> String {
        let options = match (self.clone(), Self::from_name(self.name()).expect("a known name")) {
            (DatasetSpec::Squares2x2 { upscale }, DatasetSpec::Squares2x2 { upscale: u0 }) => {
                vec![("upscale", upscale as u64, u0 as u64)]
            }
            (DatasetSpec::Lines { size, images, seed }, DatasetSpec::Lines { size: s0, images: i0, seed: d0 }) => {
                vec![("size", size as u64, s0 as u64), ("images", images as u64, i0 as u64), ("seed", seed, d0)]
            }
            (DatasetSpec::Mnist(m), DatasetSpec::Mnist(d)) => {
                // The directory is not part of the label, which names files and folders.
                let mut options = String::new();
                if m.normal != d.normal {
                    options += &format!("+normal={}", m.normal);
                }
                if m.binarize != d.binarize {
                    options += &format!("+binarize={}", m.binarize.map_or("none".to_string(), |b| b.to_string()));
                }
                if let Some(limit) = m.train_limit {
                    options += &format!("+train_limit={limit}");
                }
                return format!("{}{options}", self.name());
            }
            _ => unreachable!("a name's defaults are of its kind"),
        };
        let differing: String =
            options.iter().filter(|(_, v, d)| v != d).map(|(k, v, _)| format!("+{k}={v}")).collect();
        format!("{}{differing}", self.name())
    }

    /// The data set with its default options, from its name; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "squares-2x2" => Some(DatasetSpec::SQUARES),
            "lines-32" => Some(LINES_DEFAULT),
            "mnist" => Some(DatasetSpec::Mnist(MnistSpec::default())),
            _ => None,
        }
    }

    /// Number of images.
    pub fn images(&self) -> usize {
        match self {
            DatasetSpec::Squares2x2 { .. } => super::IMAGE_COUNT,
            DatasetSpec::Lines { images, .. } => *images,
            DatasetSpec::Mnist(m) => m.train_images,
        }
    }

    /// Pixels per image, without generating the images.
    pub fn pixels(&self) -> usize {
        match self {
            DatasetSpec::Squares2x2 { upscale } => super::PIXELS * upscale * upscale,
            DatasetSpec::Lines { size, .. } => size * size,
            DatasetSpec::Mnist(_) => mnist::SIDE * mnist::SIDE,
        }
    }

    /// The images themselves; for MNIST read from its files (an error names the file and the
    /// fault).
    pub fn load(&self) -> Result<Dataset, String> {
        Ok(match self {
            DatasetSpec::Squares2x2 { upscale } => Dataset::squares_2x2().upscaled(*upscale),
            DatasetSpec::Lines { size, images, seed } => lines::lines(*size, *images, *seed),
            DatasetSpec::Mnist(m) => m.load()?,
        })
    }

    /// The same data set, where it is MNIST read from `dir` if given (`--data DIR`) and its
    /// files checked ([`MnistSpec::resolve`]).
    pub fn with_data_dir(self, dir: Option<&std::path::Path>) -> Result<Self, String> {
        match self {
            DatasetSpec::Mnist(m) => {
                let path = dir.map_or(m.path.clone(), std::path::Path::to_path_buf);
                MnistSpec { path, ..m }.resolve().map(DatasetSpec::Mnist)
            }
            other => Ok(other),
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
            DatasetSpec::Mnist(_) => &["path", "normal", "binarize", "train_limit"],
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
            DatasetSpec::Mnist(defaults) => {
                let path = match table.get("path") {
                    None => defaults.path,
                    Some(toml::Value::String(p)) => p.into(),
                    Some(other) => return Err(format!("dataset.path: {other} is not a directory's path")),
                };
                let normal = number("normal", 0, u64::from(defaults.normal))?;
                if normal > 9 {
                    return Err(format!("dataset.normal: {normal} is not a digit 0 to 9"));
                }
                let binarize = match table.get("binarize") {
                    None => defaults.binarize,
                    Some(toml::Value::String(s)) if s == "none" => None,
                    Some(toml::Value::Float(t)) if *t > 0.0 && *t < 1.0 => Some(*t),
                    Some(other) => {
                        return Err(format!("dataset.binarize: {other} is neither a threshold in (0, 1) nor \"none\""));
                    }
                };
                let train_limit = table.get("train_limit").map(|_| number("train_limit", 1, 0)).transpose()?;
                let train_limit = train_limit.map(|n| n as usize);
                // The training images are counted from the files later ([`MnistSpec::resolve`]).
                DatasetSpec::Mnist(MnistSpec { path, normal: normal as u8, binarize, train_limit, train_images: 0 })
            }
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
        #[derive(Serialize)]
        struct Mnist {
            name: &'static str,
            path: String,
            normal: u8,
            binarize: toml::Value,
            #[serde(skip_serializing_if = "Option::is_none")]
            train_limit: Option<usize>,
        }
        match self {
            DatasetSpec::Squares2x2 { upscale: 1 } => s.serialize_str(self.name()),
            &DatasetSpec::Squares2x2 { upscale } => Squares { name: self.name(), upscale }.serialize(s),
            &DatasetSpec::Lines { size, images, seed } => Table { name: self.name(), size, images, seed }.serialize(s),
            DatasetSpec::Mnist(m) => Mnist {
                name: self.name(),
                path: m.path.display().to_string(),
                normal: m.normal,
                binarize: m.binarize.map_or(toml::Value::String("none".into()), toml::Value::Float),
                train_limit: m.train_limit,
            }
            .serialize(s),
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
        assert_eq!(big.load().unwrap().shape, (32, 32));
        for spec in [big.clone(), DatasetSpec::SQUARES, LINES_DEFAULT] {
            assert_eq!(spec.pixels(), spec.load().unwrap().pixels());
        }
        assert_eq!(parse("dataset = \"lines-32\"").unwrap(), LINES_DEFAULT);
        assert_eq!(
            parse("[dataset]\nname = \"lines-32\"\nsize = 8\nimages = 20").unwrap(),
            DatasetSpec::Lines { size: 8, images: 20, seed: 1 }
        );
        let spec = DatasetSpec::Lines { size: 8, images: 20, seed: 3 };
        assert_eq!(spec.label(), "lines-32+size=8+images=20+seed=3");
        assert_eq!(big.label(), "squares-2x2+upscale=16");
        assert_eq!(LINES_DEFAULT.label(), "lines-32");
        assert_eq!(spec.load().unwrap().shape, (8, 8));
        assert_eq!(spec.load().unwrap().count(), 20);
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, needle) in [
            ("dataset = \"cifar-10\"", "unknown data set 'cifar-10'"),
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
