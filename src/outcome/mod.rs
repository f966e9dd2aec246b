//! Classification of a trained network from the structure of its reconstructions.
//!
//! For each pixel, the four images' output values are grouped (single linkage: two values
//! closer than the group tolerance share a group). Two images have *identical
//! reconstructions* when they share a group in every pixel; these blocks form the image
//! partition. A structure's loss floor is the least loss any network with that grouping can
//! reach: every group outputs the mean of its targets, so the floor is
//! `Σ_pixels Σ_groups Σ_{i∈group} (x_ip − mean)² / 16`. A collapsed pair of images that differ
//! in d pixels therefore has floor d/32: 1/16 for adjacent lines, 1/8 for opposite ones.
//! A run is converged when its loss is within the loss tolerance of its structure's floor.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::data::{IMAGE_COUNT, IMAGES, Image, PIXELS};
use crate::model::Evaluation;

/// Everything a trained run can end as. Every run lands in exactly one class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeClass {
    /// Four distinct, correct reconstructions: loss → 0.
    Optimal,
    /// Partition {2,1,1}: one pair of images shares a gray reconstruction.
    GrayPair,
    /// Partition {2,2}: two pairs collapsed.
    TwoGrayPairs,
    /// Partition {3,1}: three images collapsed.
    GrayTriple,
    /// Partition {4}: every image gives the same (gray) output.
    AllGray,
    /// Four distinct reconstructions, but some pixel is averaged over images whose targets
    /// differ (the decoder cannot separate them in that pixel).
    DistinctGrayPixels,
    /// A gray pair plus further averaged pixels in other images.
    GrayPairGrayPixels,
    /// Two gray pairs plus further averaged pixels across the pairs.
    TwoGrayPairsGrayPixels,
    /// A gray triple plus an averaged pixel shared with the fourth image.
    GrayTripleGrayPixels,
    /// Finite loss, but not within tolerance of its structure's floor: still moving, or
    /// stuck on a plateau that is no stationary structure above.
    Unconverged,
    /// Non-finite loss or outputs.
    Diverged,
}

impl OutcomeClass {
    /// Every class, in report order.
    pub const ALL: [OutcomeClass; 11] = [
        OutcomeClass::Optimal,
        OutcomeClass::GrayPair,
        OutcomeClass::TwoGrayPairs,
        OutcomeClass::GrayTriple,
        OutcomeClass::AllGray,
        OutcomeClass::DistinctGrayPixels,
        OutcomeClass::GrayPairGrayPixels,
        OutcomeClass::TwoGrayPairsGrayPixels,
        OutcomeClass::GrayTripleGrayPixels,
        OutcomeClass::Unconverged,
        OutcomeClass::Diverged,
    ];

    /// The kebab-case name used in the CSV and the reports.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeClass::Optimal => "optimal",
            OutcomeClass::GrayPair => "gray-pair",
            OutcomeClass::TwoGrayPairs => "two-gray-pairs",
            OutcomeClass::GrayTriple => "gray-triple",
            OutcomeClass::AllGray => "all-gray",
            OutcomeClass::DistinctGrayPixels => "distinct-gray-pixels",
            OutcomeClass::GrayPairGrayPixels => "gray-pair-gray-pixels",
            OutcomeClass::TwoGrayPairsGrayPixels => "two-gray-pairs-gray-pixels",
            OutcomeClass::GrayTripleGrayPixels => "gray-triple-gray-pixels",
            OutcomeClass::Unconverged => "unconverged",
            OutcomeClass::Diverged => "diverged",
        }
    }

    /// The image partition type of a stationary structure (`None` for unconverged and
    /// diverged, which name none).
    pub fn partition_type(self) -> Option<PartitionType> {
        use OutcomeClass::*;
        Some(match self {
            Optimal | DistinctGrayPixels => PartitionType::Distinct,
            GrayPair | GrayPairGrayPixels => PartitionType::Pair,
            TwoGrayPairs | TwoGrayPairsGrayPixels => PartitionType::TwoPairs,
            GrayTriple | GrayTripleGrayPixels => PartitionType::Triple,
            AllGray => PartitionType::All,
            Unconverged | Diverged => return None,
        })
    }

    /// The class named `name` (the inverse of [`OutcomeClass::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        OutcomeClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The stationary structure named by an image partition type and whether further
    /// pixels are averaged beyond what the partition implies.
    fn of_structure(partition: PartitionType, extra_gray_pixels: bool) -> Self {
        use OutcomeClass::*;
        match (partition, extra_gray_pixels) {
            (PartitionType::Distinct, false) => Optimal,
            (PartitionType::Pair, false) => GrayPair,
            (PartitionType::TwoPairs, false) => TwoGrayPairs,
            (PartitionType::Triple, false) => GrayTriple,
            (PartitionType::All, _) => AllGray,
            (PartitionType::Distinct, true) => DistinctGrayPixels,
            (PartitionType::Pair, true) => GrayPairGrayPixels,
            (PartitionType::TwoPairs, true) => TwoGrayPairsGrayPixels,
            (PartitionType::Triple, true) => GrayTripleGrayPixels,
        }
    }
}

impl fmt::Display for OutcomeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The shape of a partition of the four images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartitionType {
    /// {1,1,1,1}
    Distinct,
    /// {2,1,1}
    Pair,
    /// {2,2}
    TwoPairs,
    /// {3,1}
    Triple,
    /// {4}
    All,
}

impl PartitionType {
    /// Every partition type, finest first.
    pub const ALL: [PartitionType; 5] = [
        PartitionType::Distinct,
        PartitionType::Pair,
        PartitionType::TwoPairs,
        PartitionType::Triple,
        PartitionType::All,
    ];

    /// The block sizes written without separators, largest first: `1111`, `211`, `22`, `31`, `4`.
    pub fn code(self) -> &'static str {
        match self {
            PartitionType::Distinct => "1111",
            PartitionType::Pair => "211",
            PartitionType::TwoPairs => "22",
            PartitionType::Triple => "31",
            PartitionType::All => "4",
        }
    }
}

/// A partition of the four images, as a block label per image (labels numbered in order of
/// each block's first image).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Partition {
    labels: [u8; IMAGE_COUNT],
}

impl Partition {
    /// The partition in which `same(i, j)` holds inside blocks; `same` must be an equivalence.
    pub fn from_relation(same: impl Fn(usize, usize) -> bool) -> Self {
        let mut labels = [u8::MAX; IMAGE_COUNT];
        let mut next = 0u8;
        for i in 0..IMAGE_COUNT {
            if labels[i] == u8::MAX {
                for (j, label) in labels.iter_mut().enumerate().skip(i) {
                    if *label == u8::MAX && same(i, j) {
                        *label = next;
                    }
                }
                next += 1;
            }
        }
        Partition { labels }
    }

    /// Whether images `i` and `j` are in one block.
    pub fn same(&self, i: usize, j: usize) -> bool {
        self.labels[i] == self.labels[j]
    }

    /// The blocks, each a list of image indices (0-based), in order of first image.
    pub fn blocks(&self) -> Vec<Vec<usize>> {
        let count = self.labels.iter().max().map_or(0, |&m| m as usize + 1);
        let mut blocks = vec![Vec::new(); count];
        for (i, &l) in self.labels.iter().enumerate() {
            blocks[l as usize].push(i);
        }
        blocks
    }

    /// The partition's shape.
    pub fn kind(&self) -> PartitionType {
        let mut sizes: Vec<usize> = self.blocks().iter().map(Vec::len).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        match sizes.as_slice() {
            [1, 1, 1, 1] => PartitionType::Distinct,
            [2, 1, 1] => PartitionType::Pair,
            [2, 2] => PartitionType::TwoPairs,
            [3, 1] => PartitionType::Triple,
            _ => PartitionType::All,
        }
    }

    /// Applies a permutation of the images: image `i` becomes image `perm[i]`.
    pub fn permuted(&self, perm: &[usize; IMAGE_COUNT]) -> Self {
        let mut inverse = [0; IMAGE_COUNT];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i;
        }
        Partition::from_relation(|a, b| self.same(inverse[a], inverse[b]))
    }
}

impl fmt::Display for Partition {
    /// Images numbered 1 to 4, blocks separated by `|`: `12|3|4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<String> = self.blocks().iter().map(|b| b.iter().map(|i| (i + 1).to_string()).collect()).collect();
        f.write_str(&text.join("|"))
    }
}

impl std::str::FromStr for Partition {
    type Err = String;
    /// Reads the [`Display`](fmt::Display) form back: every image 1 to 4 exactly once.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a partition of images 1-4 such as 12|3|4");
        let mut block_of = [usize::MAX; IMAGE_COUNT];
        for (b, block) in s.split('|').enumerate() {
            for c in block.chars() {
                let image =
                    c.to_digit(10).map(|d| d as usize).filter(|d| (1..=IMAGE_COUNT).contains(d)).ok_or_else(bad)?;
                if block_of[image - 1] != usize::MAX {
                    return Err(bad());
                }
                block_of[image - 1] = b;
            }
        }
        if block_of.contains(&usize::MAX) {
            return Err(bad());
        }
        let partition = Partition::from_relation(|i, j| block_of[i] == block_of[j]);
        // Only the canonical form (blocks in order of first image, images ascending) reads back.
        if partition.to_string() != s {
            return Err(bad());
        }
        Ok(partition)
    }
}

/// The tolerances that decide grouping and convergence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tolerances {
    /// Two outputs of one pixel closer than this belong to one group.
    pub group: f32,
    /// A run is converged when `loss − floor` is at most this. The smallest gap between two
    /// different floors is 1/96 ≈ 0.0104, so this must stay well below it.
    pub loss: f32,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances { group: 0.1, loss: 0.005 }
    }
}

/// The classification of one trained run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The class the run ends in.
    pub class: OutcomeClass,
    /// The stationary structure its outputs show, whether or not its loss is at the floor
    /// (`Diverged` for non-finite outputs).
    pub structure: OutcomeClass,
    /// Images with identical reconstructions.
    pub partition: Partition,
    /// The least loss reachable with this output structure.
    pub floor: f64,
    /// Number of (image, pixel) cells averaged over images whose targets differ.
    pub gray_cells: usize,
    /// Whether the loss is within tolerance of the floor.
    pub converged: bool,
}

/// Sum of squared deviations of the targets in `group` from their mean, for one pixel.
fn within_group_ss(images: &[Image; IMAGE_COUNT], pixel: usize, group: &[usize]) -> f64 {
    let n = group.len() as f64;
    let mean = group.iter().map(|&i| images[i][pixel] as f64).sum::<f64>() / n;
    group.iter().map(|&i| (images[i][pixel] as f64 - mean).powi(2)).sum()
}

/// The loss floor of a per-pixel grouping: every group outputs the mean of its targets.
pub fn floor_of(images: &[Image; IMAGE_COUNT], pixel_partitions: &[Partition; PIXELS]) -> f64 {
    let ss: f64 = pixel_partitions
        .iter()
        .enumerate()
        .map(|(p, part)| part.blocks().iter().map(|g| within_group_ss(images, p, g)).sum::<f64>())
        .sum();
    ss / (IMAGE_COUNT * PIXELS) as f64
}

/// The loss floor of an image partition alone: images in one block share every pixel.
pub fn partition_floor(images: &[Image; IMAGE_COUNT], partition: &Partition) -> f64 {
    floor_of(images, &[*partition; PIXELS])
}

/// Classifies a trained network from its reconstructions of the paper's images and its loss.
pub fn classify(eval: &Evaluation, tol: &Tolerances) -> Outcome {
    classify_on(eval, &IMAGES, tol)
}

/// Classifies a trained network given the images it reconstructs, in the order of its outputs.
pub fn classify_on(eval: &Evaluation, images: &[Image; IMAGE_COUNT], tol: &Tolerances) -> Outcome {
    let finite = eval.loss.is_finite() && eval.outputs.iter().flatten().all(|y| y.is_finite());
    let pixel_partitions: [Partition; PIXELS] = std::array::from_fn(|p| {
        // Single linkage on a line: sort the values, cut where neighbours are ≥ tol apart.
        let mut order: Vec<usize> = (0..IMAGE_COUNT).collect();
        order.sort_by(|&a, &b| eval.outputs[a][p].total_cmp(&eval.outputs[b][p]));
        let mut cluster = [0usize; IMAGE_COUNT];
        for w in 1..IMAGE_COUNT {
            let gap = eval.outputs[order[w]][p] - eval.outputs[order[w - 1]][p];
            cluster[order[w]] = cluster[order[w - 1]] + usize::from(gap.abs() >= tol.group || gap.is_nan());
        }
        Partition::from_relation(|i, j| cluster[i] == cluster[j])
    });
    let partition = Partition::from_relation(|i, j| pixel_partitions.iter().all(|pp| pp.same(i, j)));
    let floor = floor_of(images, &pixel_partitions);
    let extra = floor > partition_floor(images, &partition) + 1e-9;
    let gray_cells = (0..IMAGE_COUNT)
        .map(|i| {
            (0..PIXELS)
                .filter(|&p| (0..IMAGE_COUNT).any(|j| pixel_partitions[p].same(i, j) && images[i][p] != images[j][p]))
                .count()
        })
        .sum();
    if !finite {
        return Outcome {
            class: OutcomeClass::Diverged,
            structure: OutcomeClass::Diverged,
            partition,
            floor,
            gray_cells,
            converged: false,
        };
    }
    let structure = OutcomeClass::of_structure(partition.kind(), extra);
    let converged = (eval.loss as f64 - floor) <= tol.loss as f64;
    Outcome {
        class: if converged { structure } else { OutcomeClass::Unconverged },
        structure,
        partition,
        floor,
        gray_cells,
        converged,
    }
}

#[cfg(test)]
mod tests;
