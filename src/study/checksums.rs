//! Checksums of runs.csv's rows, recorded in the output directory's state as rows are synced
//! and checked before any row is trusted again (resume, merge, `aemc verify`).
//!
//! Rows are grouped in blocks of [`BLOCK_ROWS`] by their index (the header is not counted):
//! block k holds rows k·B to (k + 1)·B − 1, and its checksum is the SHA-256 of those rows'
//! bytes as written, newlines included. The rows after the last full block have a checksum
//! of their own, the tail, which each sync replaces. Blocks do not depend on how the study was
//! split into waves, so a finished study's checksums are the same whatever its threads,
//! population or interruptions.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Rows per checksummed block.
pub const BLOCK_ROWS: u64 = 1024;

/// The checksums recorded for a runs.csv.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checksums {
    /// SHA-256 (hex) of each full block, in order.
    #[serde(default)]
    pub blocks: Vec<String>,
    /// The rows after the last full block: how many rows the file then holds in all, and
    /// their SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail: Option<Tail>,
}

/// The checksum of the rows after the last full block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tail {
    /// Rows in the file up to the end of the tail.
    pub rows: u64,
    /// SHA-256 (hex) of the tail's rows.
    pub sha256: String,
}

/// Checksums computed row by row.
#[derive(Clone, Default)]
pub struct Checksummer {
    blocks: Vec<String>,
    current: Sha256,
    in_current: u64,
}

impl Checksummer {
    /// Adds one row's bytes, newline included.
    pub fn add(&mut self, row: &[u8]) {
        self.current.update(row);
        self.in_current += 1;
        if self.in_current == BLOCK_ROWS {
            let block = std::mem::take(&mut self.current).finalize();
            self.blocks.push(format!("{block:x}"));
            self.in_current = 0;
        }
    }

    /// Rows added.
    pub fn rows(&self) -> u64 {
        self.blocks.len() as u64 * BLOCK_ROWS + self.in_current
    }

    /// The checksums of the rows added so far.
    pub fn checksums(&self) -> Checksums {
        let tail = (self.in_current > 0)
            .then(|| Tail { rows: self.rows(), sha256: format!("{:x}", self.current.clone().finalize()) });
        Checksums { blocks: self.blocks.clone(), tail }
    }

    /// Whether the rows added so far are exactly what `recorded` covers at this point: at a
    /// block's end, that block's checksum; at the tail's end, the tail's. `None` where
    /// `recorded` has no checksum ending here.
    pub fn matches(&self, recorded: &Checksums) -> Option<bool> {
        if self.in_current == 0 && !self.blocks.is_empty() {
            let k = self.blocks.len() - 1;
            return recorded.blocks.get(k).map(|b| *b == self.blocks[k]);
        }
        match &recorded.tail {
            Some(tail) if tail.rows == self.rows() && self.blocks.len() == recorded.blocks.len() => {
                Some(tail.sha256 == format!("{:x}", self.current.clone().finalize()))
            }
            _ => None,
        }
    }
}

impl Checksums {
    /// Rows the checksums cover.
    pub fn rows(&self) -> u64 {
        self.tail.as_ref().map_or(self.blocks.len() as u64 * BLOCK_ROWS, |t| t.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: u64) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("row {i}\n").into_bytes()).collect()
    }

    #[test]
    fn blocks_do_not_depend_on_how_rows_arrive_and_every_end_is_checked() {
        let all = rows(2 * BLOCK_ROWS + 5);
        let mut whole = Checksummer::default();
        all.iter().for_each(|r| whole.add(r));
        let recorded = whole.checksums();
        assert_eq!((recorded.blocks.len(), recorded.rows()), (2, 2 * BLOCK_ROWS + 5));
        let mut replay = Checksummer::default();
        let mut ends = Vec::new();
        for (i, r) in all.iter().enumerate() {
            replay.add(r);
            if let Some(ok) = replay.matches(&recorded) {
                ends.push((i + 1, ok));
            }
        }
        let b = BLOCK_ROWS as usize;
        assert_eq!(ends, [(b, true), (2 * b, true), (2 * b + 5, true)]);
        // One changed byte in block 1 fails that block only.
        let mut damaged = Checksummer::default();
        for (i, r) in all.iter().enumerate() {
            let mut r = r.clone();
            if i == b + 7 {
                r[0] = b'R';
            }
            damaged.add(&r);
        }
        assert_eq!(damaged.checksums().blocks[0], recorded.blocks[0]);
        assert_ne!(damaged.checksums().blocks[1], recorded.blocks[1]);
    }
}
