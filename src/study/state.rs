//! What an output directory holds: which study (by fingerprint), which shard, how far it
//! got. This is what makes resume and merge safe.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::StudySpec;
use super::checksums::Checksums;
use crate::error::InputError;
use crate::rng::fnv1a64;

/// The file in an output directory that records its study and shard.
pub const STATE_FILE: &str = "aemc-state.json";

/// One of N equal parts of every configuration's runs: shard K of N holds runs
/// `[(K−1)·R/N, K·R/N)` of each configuration (R runs per configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1-based index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole study.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// The run indices of each configuration this shard holds.
    pub fn runs(&self, runs: u64) -> std::ops::Range<u64> {
        let bound = |k: u64| ((k as u128 * runs as u128) / self.count as u128) as u64;
        bound(self.index - 1)..bound(self.index)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a shard; write K/N with 1 ≤ K ≤ N, for example 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// The identity of a study's results: everything that changes a row of runs.csv (not the
/// population size, which only changes speed) and aemc's version.
pub fn fingerprint(spec: &StudySpec) -> String {
    let mut canonical = spec.clone();
    // `Some(0)` rather than `None` keeps the fingerprints of results written before the
    // population became optional.
    canonical.population = Some(0);
    format!("{:016x}", fnv1a64(format!("{}\n{}", env!("CARGO_PKG_VERSION"), canonical.to_toml()).as_bytes()))
}

/// The recorded state of an output directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// aemc's version that wrote it.
    pub aemc_version: String,
    /// The study's fingerprint.
    pub fingerprint: String,
    /// The study's name.
    pub study: String,
    /// The shard the directory holds.
    pub shard: Shard,
    /// The checksums of runs.csv's rows synced so far.
    #[serde(default)]
    pub checksums: Checksums,
}

impl State {
    /// The state of a directory holding `shard` of `spec`.
    pub fn new(spec: &StudySpec, shard: Shard) -> Self {
        State {
            aemc_version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint: fingerprint(spec),
            study: spec.name.clone(),
            shard,
            checksums: Checksums::default(),
        }
    }

    /// Whether `other` records the same study and shard (whatever rows either has synced).
    pub fn same_study(&self, other: &State) -> bool {
        (&self.aemc_version, &self.fingerprint, &self.study, self.shard)
            == (&other.aemc_version, &other.fingerprint, &other.study, other.shard)
    }

    /// Reads a directory's state, if it has one.
    pub fn read(dir: &Path) -> Result<Option<Self>, InputError> {
        let path = dir.join(STATE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                InputError::field(
                    path.display().to_string(),
                    format!("unreadable ({e}); pass --restart to start the study over"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(InputError::field(path.display().to_string(), e)),
        }
    }

    /// Reads the state of a directory that must be an aemc output directory.
    pub fn read_existing(dir: &Path) -> Result<Self, InputError> {
        Self::read(dir)?.ok_or_else(|| {
            InputError::field(dir.display().to_string(), format!("not an aemc output directory (no {STATE_FILE})"))
        })
    }

    /// The state as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("state serialises") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        for runs in [1u64, 7, 100, 1001] {
            for count in 1..=6 {
                let mut next = 0;
                for index in 1..=count {
                    let r = Shard { index, count }.runs(runs);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, runs);
            }
        }
    }

    #[test]
    fn shard_parsing() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard { index: 2, count: 4 });
        for bad in ["0/4", "5/4", "a/b", "3", "1/0", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
