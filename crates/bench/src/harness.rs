//! The harness: for each size, generate the workload, then run every phase
//! `reps` times, each in a child process of this binary, and keep the
//! medians. Everything lives in a temporary directory that is removed
//! when the size is done.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::generate::{Summary, generate};
use crate::phases::{Metrics, median, write_payloads};

/// What to measure.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Ledger sizes, in events.
    pub sizes: Vec<u64>,
    /// Repetitions of every phase per size (medians are reported).
    pub reps: usize,
    /// Repetitions at a million events and more, where one repetition
    /// takes minutes.
    pub large_reps: usize,
    /// Workload seed.
    pub seed: u64,
    /// Where temporary directories go.
    pub workdir: PathBuf,
    /// Single durable appends measured per repetition.
    pub appends: usize,
}

/// The medians measured at one size.
#[derive(Debug, Clone)]
pub struct SizeResult {
    /// Events in the workload.
    pub size: u64,
    /// What the workload holds.
    pub summary: Summary,
    /// Canonical payload bytes of all events.
    pub payload_bytes: u64,
    /// Median of every metric over the repetitions.
    pub medians: Metrics,
    /// How many repetitions the medians are of.
    pub reps: usize,
    /// Wall-clock seconds this size took, generation included.
    pub wall_secs: f64,
}

/// The phases, in the order they run; each names what it needs.
const PHASES: &[&str] = &[
    "import",
    "verify",
    "verify-evidence",
    "replay",
    "queries",
    "append",
    "log-append",
    "sqlite",
    "sqlite-json",
    "sled",
    "blake3",
];

/// Runs the whole measurement, reporting progress lines through `note`.
pub fn run(options: &RunOptions, note: &mut dyn FnMut(&str)) -> Result<Vec<SizeResult>> {
    let exe = std::env::current_exe().context("cannot find the bench binary")?;
    let mut results = Vec::new();
    for &size in &options.sizes {
        let started = Instant::now();
        let dir = tempfile::Builder::new()
            .prefix("docket-bench-")
            .tempdir_in(&options.workdir)?;
        let events = dir.path().join("events.ndjson");
        let payloads = dir.path().join("payloads.bin");
        let summary = generate(size, options.seed, &mut std::fs::File::create(&events)?)?;
        let payload_bytes = write_payloads(&events, &payloads)?;
        note(&format!(
            "size {size}: generated {} bytes of JSON, {payload_bytes} bytes of payloads in {:.1}s",
            summary.bytes,
            started.elapsed().as_secs_f64()
        ));
        let mut samples: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        let reps = if size >= 1_000_000 {
            options.large_reps
        } else {
            options.reps
        };
        for rep in 0..reps {
            let target = dir.path().join(format!("rep-{rep}"));
            std::fs::create_dir_all(&target)?;
            for phase in PHASES {
                let began = Instant::now();
                let metrics = run_child(
                    &exe, phase, &events, &payloads, &target, size, &summary, options,
                )?;
                note(&format!(
                    "size {size} rep {rep}: {phase} {:.1}s",
                    began.elapsed().as_secs_f64()
                ));
                for (key, value) in metrics {
                    samples.entry(key).or_default().push(value);
                }
            }
            std::fs::remove_dir_all(&target)?;
        }
        let medians = samples
            .into_iter()
            .map(|(key, mut values)| (key, median(&mut values)))
            .collect();
        results.push(SizeResult {
            size,
            summary,
            payload_bytes,
            medians,
            reps,
            wall_secs: started.elapsed().as_secs_f64(),
        });
        dir.close()?;
    }
    Ok(results)
}

#[allow(clippy::too_many_arguments)]
fn run_child(
    exe: &Path,
    phase: &str,
    events: &Path,
    payloads: &Path,
    target: &Path,
    size: u64,
    summary: &Summary,
    options: &RunOptions,
) -> Result<Metrics> {
    let output = Command::new(exe)
        .arg("phase")
        .arg(phase)
        .arg("--events")
        .arg(events)
        .arg("--payloads")
        .arg(payloads)
        .arg("--target")
        .arg(target)
        .args(["--count", &size.to_string()])
        .args(["--dispute", &summary.sample_dispute])
        .args(["--entity", &summary.sample_entity])
        .args(["--middle", &summary.middle_date])
        .args(["--last", &summary.last_date])
        .args(["--appends", &options.appends.to_string()])
        .output()
        .with_context(|| format!("cannot run phase {phase}"))?;
    if !output.status.success() {
        bail!(
            "phase {phase} at size {size} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or("{}");
    let metrics: Metrics =
        serde_json::from_str(line).with_context(|| format!("phase {phase} printed {line:?}"))?;
    Ok(metrics)
}
