//! `docket-bench`: generate workloads and measure docket against its peers.
//!
//! ```text
//! docket-bench generate --events 100000 --seed 1 > events.ndjson
//! docket-bench run --sizes 10000,100000 --reps 3 --svg docs/benchmarks.svg
//! ```
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use docket_bench::harness::{RunOptions, run};
use docket_bench::phases::{self, Workload};
use docket_bench::{baselines, generate, report};

/// The allocator the `docket` binary uses, so that the phases measure
/// what a user of the command line gets.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "docket-bench",
    about = "docket's workload generator and benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Writes a deterministic workload of NDJSON events to standard output.
    Generate {
        /// Number of events.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        /// Seed of the pseudo-random generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measures docket and the baselines at several sizes.
    Run {
        /// Ledger sizes in events, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [10_000u64, 100_000, 1_000_000])]
        sizes: Vec<u64>,
        /// Also measure 10 million events.
        #[arg(long)]
        huge: bool,
        /// Repetitions per size (medians are reported).
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Repetitions at 1M events and more (default: as --reps).
        #[arg(long)]
        large_reps: Option<usize>,
        /// Workload seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Single durable appends per repetition.
        #[arg(long, default_value_t = 100)]
        appends: usize,
        /// Directory for temporary ledgers (default: the system's).
        #[arg(long)]
        workdir: Option<PathBuf>,
        /// Where to write the SVG plot.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Where to write the Markdown tables (also printed).
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// One measured phase (run by `run` in a child process).
    #[command(hide = true)]
    Phase {
        name: String,
        #[arg(long)]
        events: PathBuf,
        #[arg(long)]
        payloads: PathBuf,
        #[arg(long)]
        target: PathBuf,
        #[arg(long)]
        count: u64,
        #[arg(long)]
        dispute: String,
        #[arg(long)]
        entity: String,
        #[arg(long)]
        middle: String,
        #[arg(long)]
        last: String,
        #[arg(long)]
        appends: usize,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Generate { events, seed } => {
            let stdout = std::io::stdout();
            let summary = generate::generate(events, seed, &mut stdout.lock())?;
            eprintln!("{summary:?}");
        }
        Cmd::Run {
            mut sizes,
            huge,
            reps,
            large_reps,
            seed,
            appends,
            workdir,
            svg,
            markdown,
        } => {
            if huge {
                sizes.push(10_000_000);
            }
            let options = RunOptions {
                sizes,
                reps: reps.max(1),
                large_reps: large_reps.unwrap_or(reps).max(1),
                seed,
                workdir: workdir.unwrap_or_else(std::env::temp_dir),
                appends: appends.max(1),
            };
            let results = run(&options, &mut |line| eprintln!("{line}"))?;
            let table = report::markdown(&results);
            println!("{table}");
            if let Some(path) = markdown {
                std::fs::write(path, &table)?;
            }
            if let Some(path) = svg {
                std::fs::write(path, report::svg(&results))?;
            }
        }
        Cmd::Phase {
            name,
            events,
            payloads,
            target,
            count,
            dispute,
            entity,
            middle,
            last,
            appends,
        } => {
            let w = Workload {
                events: &events,
                payloads: &payloads,
                count,
                dispute: &dispute,
                entity: &entity,
                middle_date: &middle,
                last_date: &last,
            };
            let ledger = target.join("ledger");
            let metrics = match name.as_str() {
                "import" => phases::import(&w, &ledger)?,
                "verify" => phases::verify(&w, &ledger)?,
                "verify-evidence" => phases::verify_evidence(&w, &ledger)?,
                "replay" => phases::replay(&w, &ledger)?,
                "queries" => phases::queries(&w, &ledger)?,
                "append" => phases::append(&w, &ledger, appends)?,
                "log-append" => phases::log_append(&w, &target.join("log"))?,
                "sqlite" => baselines::sqlite(&w, &target.join("sqlite"))?,
                "sqlite-json" => baselines::sqlite_json(&w, &target.join("sqlite-json"))?,
                "sled" => baselines::sled_raw(&w, &target.join("sled"))?,
                "blake3" => baselines::blake3_ceiling(&w)?,
                other => bail!("unknown phase {other}"),
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", serde_json::to_string(&metrics)?)?;
        }
    }
    Ok(())
}
