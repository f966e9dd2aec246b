//! Reading back what criterion measured in this process (for the tables the benchmarks print
//! at the end).

use std::path::PathBuf;
use std::time::SystemTime;

/// `x` per second with an SI prefix, as criterion prints throughputs.
pub fn per_second(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.2} G/s", x / 1e9),
        x if x >= 1e6 => format!("{:.2} M/s", x / 1e6),
        x => format!("{:.1} K/s", x / 1e3),
    }
}

/// Elements per second of benchmark `id` (`group/function` or `group/function/parameter`,
/// as criterion names its directories) by criterion's point estimate of its time (the slope
/// of its linear sampling, as criterion reports it), if measured since `since`: criterion
/// keeps each benchmark's latest estimates in files, so older ones were left by an earlier
/// run that this run filtered the benchmark out of.
pub fn throughput(id: &str, since: SystemTime) -> Option<f64> {
    let home = std::env::var_os("CRITERION_HOME").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into())).join("criterion")
    });
    let dir = home.join(id).join("new");
    let estimates = dir.join("estimates.json");
    if std::fs::metadata(&estimates).and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    let elements = read("benchmark.json")?["throughput"]["Elements"].as_f64()?;
    let estimates = read("estimates.json")?;
    let nanoseconds = estimates["slope"]["point_estimate"].as_f64().or(estimates["mean"]["point_estimate"].as_f64())?;
    Some(elements / (nanoseconds * 1e-9))
}
