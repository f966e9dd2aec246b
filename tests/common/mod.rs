//! Helpers shared by the tests that drive the binary.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::Path;
use std::process::{Command, Output};

/// The aemc binary, ready for arguments.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aemc"))
}

/// Runs the binary to completion.
pub fn aemc(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// Writes a study file named `name` into `dir`; returns its path.
pub fn study_file(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// Asserts one line on stderr containing `needle`, and the exit code.
pub fn one_line_error(o: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.contains(needle), "{stderr} lacks {needle}");
}
