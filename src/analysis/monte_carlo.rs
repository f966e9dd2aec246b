//! Init-time event frequencies over drawn networks, for the events and initialisers with no
//! exact law. Network i is the initial network of run i of a study seeded `seed`: the same
//! stream as a study's (`run_seed(seed, "h1-h2-h3/init", i)`, see [`crate::rng`]), each network
//! on its own stream, so the counts do not depend on the thread count and a study with that
//! seed starts from exactly the networks counted.

use rayon::prelude::*;

use super::init_events;
use crate::model::{Initializer, ParamLayout, Widths};
use crate::outcome::PartitionType;
use crate::rng::{RunRng, run_seed};

/// Networks drawn by default: the 95% interval of any probability then has half-width at
/// most 1.96·√(0.25/10⁶) ≈ 9.8·10⁻⁴.
pub const DEFAULT_SAMPLES: u64 = 1_000_000;
/// The seed of the default draws.
pub const DEFAULT_SEED: u64 = 2020;

/// Counts of each init-time event over `samples` networks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventCounts {
    /// Networks drawn.
    pub samples: u64,
    /// Layer-1 unit 0's dead set (bit k = image k+1 dead), 16 cells.
    pub dead: [u64; 16],
    /// The layer-1 partition's type, in [`PartitionType::ALL`] order.
    pub l1_partition: [u64; 5],
    /// The output partition's type at init, in [`PartitionType::ALL`] order.
    pub output_partition: [u64; 5],
    /// Some pair of images collapsed at layer 1.
    pub pair_collapsed: u64,
    /// The paper's decoder-sign kill.
    pub decoder_kill: u64,
    /// All four outputs identical.
    pub all_gray: u64,
}

impl EventCounts {
    fn add(mut self, other: EventCounts) -> Self {
        self.samples += other.samples;
        (0..16).for_each(|k| self.dead[k] += other.dead[k]);
        (0..5).for_each(|k| self.l1_partition[k] += other.l1_partition[k]);
        (0..5).for_each(|k| self.output_partition[k] += other.output_partition[k]);
        self.pair_collapsed += other.pair_collapsed;
        self.decoder_kill += other.decoder_kill;
        self.all_gray += other.all_gray;
        self
    }
}

/// The index of a partition type in [`PartitionType::ALL`].
pub fn kind_index(kind: PartitionType) -> usize {
    PartitionType::ALL.iter().position(|&k| k == kind).expect("every type is listed")
}

/// Counts the init-time events of the initial networks of runs `0..samples` of a study
/// seeded `seed`, at these widths and initialiser.
pub fn count_events(widths: Widths, init: Initializer, samples: u64, seed: u64) -> EventCounts {
    const CHUNK: u64 = 10_000;
    let layout = ParamLayout::new(widths);
    let key = format!("{widths}/{init}");
    (0..samples.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut c = EventCounts::default();
            for run in chunk * CHUNK..((chunk + 1) * CHUNK).min(samples) {
                let params = init.draw(&layout, &mut RunRng::new(run_seed(seed, &key, run)));
                let ev = init_events(&layout, &params);
                c.samples += 1;
                c.dead[ev.dead_sets[0] as usize] += 1;
                c.l1_partition[kind_index(ev.l1_partition.kind())] += 1;
                c.output_partition[kind_index(ev.output_partition.kind())] += 1;
                c.pair_collapsed += u64::from(ev.pair_collapsed_l1());
                c.decoder_kill += u64::from(ev.decoder_sign_kill);
                c.all_gray += u64::from(ev.all_gray_init());
            }
            c
        })
        .reduce(EventCounts::default, EventCounts::add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RunRng;

    #[test]
    fn counts_are_the_studys_initial_networks_and_add_up() {
        let counts = count_events(Widths::PAPER, Initializer::GlorotUniform, 25_000, 7);
        assert_eq!(counts.samples, 25_000);
        assert_eq!(counts.dead.iter().sum::<u64>(), 25_000);
        assert_eq!(counts.l1_partition.iter().sum::<u64>(), 25_000);
        assert_eq!(counts.output_partition[kind_index(PartitionType::All)], counts.all_gray);
        // Network 3 is run 3's initial network in a study seeded 7.
        let layout = ParamLayout::new(Widths::PAPER);
        let run3 = Initializer::GlorotUniform.draw(&layout, &mut RunRng::new(run_seed(7, "2-1-2/glorot-uniform", 3)));
        let ev = init_events(&layout, &run3);
        let (four, three) = (
            count_events(Widths::PAPER, Initializer::GlorotUniform, 4, 7),
            count_events(Widths::PAPER, Initializer::GlorotUniform, 3, 7),
        );
        assert_eq!(four.pair_collapsed - three.pair_collapsed, u64::from(ev.pair_collapsed_l1()));
        assert_eq!(four.dead[ev.dead_sets[0] as usize] - three.dead[ev.dead_sets[0] as usize], 1);
    }
}
