//! `docket-bench`: a deterministic workload generator for docket, and a
//! benchmark harness that measures the ledger against peer baselines
//! (SQLite, raw sled, raw BLAKE3) in the same run.
//!
//! The binary (`src/main.rs`) has two commands: `generate`, which writes a
//! workload as NDJSON, and `run`, which measures every phase at several
//! ledger sizes, each phase in a child process of its own so that its peak
//! memory (`VmHWM`) is its own, and prints a Markdown table and writes an
//! SVG plot. See `docs/benchmarks.md` at the repository root.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod baselines;
pub mod generate;
pub mod harness;
pub mod phases;
pub mod prng;
pub mod report;
mod rules;
