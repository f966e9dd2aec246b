//! aemc: autoencoder Monte Carlo. Trains many small autoencoders (A1 and A2 of Patuzzo 2020,
//! on its 2×2 and 32×32 line images and MNIST) from independent seeds, classifies and measures how each
//! ends, and tests the paper's figures and claims against the measurements.
//!
//! Data flows one way: [`study`] plans runs (seeds from [`rng`]) and streams them to runs.csv,
//! an [`engine`] trains populations, [`outcome`] classifies them, [`analysis`] reads the
//! init-time events and their exact laws, and [`report`] writes the summaries built on
//! [`stats`]; [`figures`] draws them; [`inspect`] replays one run and shows it whole, [`trace`] its loss along the way. `tests/architecture.rs` checks that no module depends on itself through others.

pub mod analysis;
pub mod audit;
pub mod cli;
pub mod data;
pub mod engine;
pub mod error;
pub mod expf;
pub mod figures;
pub mod float;
pub mod inspect;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod outcome;
pub mod report;
pub mod rng;
pub mod stats;
pub mod study;
pub mod trace;
