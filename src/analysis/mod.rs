//! The dead-ReLU theory: what a network's initial weights already decide.
//!
//! [`init_events`] reads the events off one network at init; [`exact`] gives their
//! probabilities for each initialiser: exact from the laws in [`laws`] and [`output`] where
//! they exist, else estimated by [`monte_carlo`] over drawn networks.

pub mod bottleneck;
pub mod exact;
pub mod laws;
pub mod monte_carlo;
pub mod output;

use crate::data::{IMAGE_COUNT, IMAGES, Image};
use crate::model::{ParamLayout, forward};
use crate::outcome::Partition;

/// What the initial weights of one network imply, before any training.
#[derive(Clone, Debug, PartialEq)]
pub struct InitEvents {
    /// For each layer-1 unit, the images whose pre-activation is ≤ 0 (bit k = image k+1).
    pub dead_sets: Vec<u8>,
    /// Images with identical layer-1 activations.
    pub l1_partition: Partition,
    /// The paper's decoder-sign kill: every bottleneck weight of one sign and every layer-3
    /// weight of the other (with zero biases this silences layer 3 on every input).
    pub decoder_sign_kill: bool,
    /// Layer-3 units whose pre-activation is ≤ 0 on all four images.
    pub l3_dead_units: usize,
    /// Images with identical layer-3 activations, hence identical outputs, at init.
    pub output_partition: Partition,
}

impl InitEvents {
    /// Whether some pair of images is collapsed at layer 1.
    pub fn pair_collapsed_l1(&self) -> bool {
        self.l1_partition.blocks().len() < IMAGE_COUNT
    }

    /// Whether all four outputs are identical at init.
    pub fn all_gray_init(&self) -> bool {
        self.output_partition.blocks().len() == 1
    }

    /// The dead sets written as image numbers per unit, `34|-|1234` (`-` for none).
    pub fn dead_sets_string(&self) -> String {
        let sets: Vec<String> = self
            .dead_sets
            .iter()
            .map(|&m| {
                let s: String =
                    (0..IMAGE_COUNT).filter(|k| m >> k & 1 == 1).map(|k| char::from(b'1' + k as u8)).collect();
                if s.is_empty() { "-".to_string() } else { s }
            })
            .collect();
        sets.join("|")
    }
}

/// The init-time events of a network on the paper's images.
pub fn init_events(layout: &ParamLayout, params: &[f32]) -> InitEvents {
    init_events_on(layout, params, &IMAGES)
}

/// The init-time events of a network on any four images (used to check that the analysis
/// commutes with reordering them).
pub fn init_events_on(layout: &ParamLayout, params: &[f32], images: &[Image; IMAGE_COUNT]) -> InitEvents {
    let acts: Vec<_> = images.iter().map(|im| forward(layout, params, im)).collect();
    let dead_sets = (0..layout.widths.h1)
        .map(|j| (0..IMAGE_COUNT).fold(0u8, |m, k| m | (u8::from(acts[k].pre1[j] <= 0.0) << k)))
        .collect();
    let [_, l2, l3, _] = layout.layers;
    let w2: Vec<f32> = (0..l2.fan_in * l2.fan_out).map(|k| params[l2.weight_offset + k]).collect();
    let w3: Vec<f32> = (0..l3.fan_in * l3.fan_out).map(|k| params[l3.weight_offset + k]).collect();
    let all = |v: &[f32], f: fn(&f32) -> bool| v.iter().all(f);
    let decoder_sign_kill =
        (all(&w2, |x| *x <= 0.0) && all(&w3, |x| *x >= 0.0)) || (all(&w2, |x| *x >= 0.0) && all(&w3, |x| *x <= 0.0));
    let l3_dead_units = (0..layout.widths.h3).filter(|&u| acts.iter().all(|a| a.pre3[u] <= 0.0)).count();
    InitEvents {
        dead_sets,
        l1_partition: Partition::from_relation(|i, j| acts[i].h1 == acts[j].h1),
        decoder_sign_kill,
        l3_dead_units,
        output_partition: Partition::from_relation(|i, j| acts[i].h3 == acts[j].h3),
    }
}

/// The output partition the dead-ReLU theory predicts from the signs alone: two (distinct)
/// images are merged at layer 1 exactly when every layer-1 unit is dead on both; at layer 3
/// they share their activations when they share their codes (merged at layer 1) or when
/// every layer-3 unit is dead on both. This holds for almost every weight vector: it ignores
/// exact coincidences of pre-activations, which have probability zero.
pub fn predicted_output_partition(layout: &ParamLayout, params: &[f32], images: &[Image; IMAGE_COUNT]) -> Partition {
    let acts: Vec<_> = images.iter().map(|im| forward(layout, params, im)).collect();
    let dead1 = |k: usize| acts[k].pre1.iter().all(|&x| x <= 0.0);
    let l1 = Partition::from_relation(|i, j| images[i] == images[j] || (dead1(i) && dead1(j)));
    Partition::from_relation(|i, j| {
        l1.same(i, j) || acts[i].pre3.iter().zip(&acts[j].pre3).all(|(a, b)| *a <= 0.0 && *b <= 0.0)
    })
}
