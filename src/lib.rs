//! aemc: autoencoder Monte Carlo. Trains many tiny autoencoders (the 4 → h1 → h2 → h3 → 4
//! network of Patuzzo 2020) from independent seeds, classifies how each ends, and compares
//! the frequencies with the paper's figures.
//!
//! Data flows one way: [`study`] plans runs (seeds from [`rng`]) and streams them to runs.csv,
//! an [`engine`] trains populations, [`outcome`] classifies them, [`analysis`] reads the
//! init-time events and their exact laws, and [`report`] writes the summaries built on
//! [`stats`]. `tests/architecture.rs` checks that no module depends on itself through others.

pub mod analysis;
pub mod audit;
pub mod cli;
pub mod data;
pub mod engine;
pub mod error;
pub mod float;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod outcome;
pub mod report;
pub mod rng;
pub mod stats;
pub mod study;
