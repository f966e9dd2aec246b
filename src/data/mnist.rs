//! MNIST for the paper's appendix: the digit treated as normal trains the autoencoder; the
//! test set, every digit, is scored by the anomaly detector of the metrics module.
//!
//! A study reads the four standard IDX files ([`super::idx`]) from a directory, by default
//! `data/mnist-5k` (5000 real digits, `scripts/mnist-subset.py`):
//!
//! ```toml
//! [dataset]
//! name = "mnist"
//! path = "data/mnist-5k"  # the directory of the four files, raw or .gz
//! normal = 2              # the digit trained on and treated as normal
//! binarize = 0.5          # pixel/255 > 0.5 is 1, else 0 (the paper's black and white); "none": grey levels
//! train_limit = 100       # at most this many training images (default: all of the normal digit)
//! ```

use std::path::{Path, PathBuf};

use super::Dataset;
use super::idx::{IdxImages, find, read_images, read_labels};

/// The directory a study reads MNIST from unless it says otherwise.
pub const DEFAULT_PATH: &str = "data/mnist-5k";
/// MNIST's image side.
pub const SIDE: usize = 28;

/// The training and test files' names.
pub const FILES: [&str; 4] =
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

/// MNIST's options in a study.
#[derive(Clone, Debug, PartialEq)]
pub struct MnistSpec {
    /// The directory of the four IDX files.
    pub path: PathBuf,
    /// The digit trained on and treated as normal.
    pub normal: u8,
    /// The threshold on pixel/255 above which a pixel is 1 (else 0); `None` keeps grey levels
    /// in [0, 1].
    pub binarize: Option<f64>,
    /// At most this many training images of the normal digit (the first ones).
    pub train_limit: Option<usize>,
    /// Training images of the normal digit, after the limit: read from the labels when the
    /// study is read ([`MnistSpec::resolve`]), not written in it.
    pub train_images: usize,
}

impl Default for MnistSpec {
    fn default() -> Self {
        MnistSpec {
            path: PathBuf::from(DEFAULT_PATH),
            normal: 2,
            binarize: Some(0.5),
            train_limit: None,
            train_images: 0,
        }
    }
}

/// The test images, every digit, with their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct TestSet {
    /// The images one after another, each row-major, values in [0, 1].
    pub images: Vec<f32>,
    /// Each image's digit.
    pub labels: Vec<u8>,
    /// The digit treated as normal; the others are anomalies.
    pub normal: u8,
}

impl TestSet {
    /// Number of test images.
    pub fn count(&self) -> usize {
        self.labels.len()
    }
}

impl MnistSpec {
    /// Checks the files' headers and counts the normal digit's training images (reading the
    /// training labels only). Errors name the file and the fault.
    pub fn resolve(mut self) -> Result<Self, String> {
        let labels = read_labels(&find(&self.path, FILES[1])?)?;
        let normal = labels.iter().filter(|&&l| l == self.normal).count();
        if normal == 0 {
            return Err(format!(
                "{}: no training image of digit {}; set dataset.normal to a digit the files hold",
                self.path.display(),
                self.normal
            ));
        }
        self.train_images = self.train_limit.map_or(normal, |limit| limit.min(normal));
        Ok(self)
    }

    /// The training images of the normal digit and the test set.
    pub fn load(&self) -> Result<Dataset, String> {
        let [train_images, train_labels, test_images, test_labels] = FILES.map(|f| find(&self.path, f));
        let train = read_part(&train_images?, &train_labels?)?;
        let test = read_part(&test_images?, &test_labels?)?;
        let pixel = |v: u8| -> f32 {
            let level = f32::from(v) / 255.0;
            match self.binarize {
                Some(threshold) => f32::from(u8::from(f64::from(level) > threshold)),
                None => level,
            }
        };
        let side = SIDE * SIDE;
        let images: Vec<f32> = train
            .1
            .iter()
            .enumerate()
            .filter(|&(_, &label)| label == self.normal)
            .take(self.train_images.max(1))
            .flat_map(|(k, _)| train.0.pixels[k * side..(k + 1) * side].iter().map(|&v| pixel(v)))
            .collect();
        let test =
            TestSet { images: test.0.pixels.iter().map(|&v| pixel(v)).collect(), labels: test.1, normal: self.normal };
        if test.labels.iter().all(|&l| l == self.normal) || !test.labels.contains(&self.normal) {
            return Err(format!(
                "{}: the test set needs images of digit {} and of other digits to score anomalies",
                self.path.display(),
                self.normal
            ));
        }
        Ok(Dataset { name: "mnist".to_string(), shape: (SIDE, SIDE), images, angles: None, test: Some(test) })
    }
}

/// A part's images and labels, checked against each other and MNIST's shape.
fn read_part(images: &Path, labels: &Path) -> Result<(IdxImages, Vec<u8>), String> {
    let (images_read, labels_read) = (read_images(images)?, read_labels(labels)?);
    if (images_read.rows, images_read.cols) != (SIDE, SIDE) {
        return Err(format!(
            "{}: images of {} × {} pixels; MNIST's are {SIDE} × {SIDE}",
            images.display(),
            images_read.rows,
            images_read.cols
        ));
    }
    if images_read.count() != labels_read.len() {
        return Err(format!(
            "{}: {} labels for the {} images of {}",
            labels.display(),
            labels_read.len(),
            images_read.count(),
            images.display()
        ));
    }
    if let Some(label) = labels_read.iter().find(|&&l| l > 9) {
        return Err(format!("{}: label {label} is not a digit", labels.display()));
    }
    Ok((images_read, labels_read))
}
