//! aemc: autoencoder Monte Carlo. Trains many tiny autoencoders (the 4 → h1 → h2 → h3 → 4
//! network of Patuzzo 2020) from independent seeds, classifies how each ends, and compares
//! the frequencies with the paper's figures.
//!
//! Data flows one way: [`study`] plans runs and seeds, an [`engine`] trains populations,
//! [`outcome`] classifies them, [`report`] writes runs.csv and the summaries built on [`stats`].

pub mod analysis;
pub mod cli;
pub mod data;
pub mod engine;
pub mod error;
pub mod model;
pub mod optim;
pub mod outcome;
pub mod report;
pub mod stats;
pub mod study;
