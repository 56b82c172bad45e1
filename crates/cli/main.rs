//! `docket`: the command line over the docket ledger libraries.
//!
//! This is the only place in the project that prints. Commands are thin:
//! they parse flags, call `docket-ledger`, and render what comes back.
#![forbid(unsafe_code)]

// Declared first: its `say!` macros are used by the modules below.
#[macro_use]
mod output;
mod args;
mod commands;
mod describe;
mod exit;
mod pictures;
mod render;

use std::process::ExitCode;

use clap::Parser;

/// docket makes and drops millions of small values when it replays,
/// imports or verifies a large ledger; glibc's allocator spends a third of
/// a replay consolidating and unlinking free chunks, mimalloc a few per
/// cent (docs/ARCHITECTURE.md, "Memory shape of events and states").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout and usage errors to
            // stderr; its exit code is 0 for the former and 2 for the latter.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) if exit::is_broken_pipe(&error) => ExitCode::from(exit::OK),
        Err(error) => {
            eprintln!("docket: {}", exit::message(&error));
            ExitCode::from(exit::code_for(&error))
        }
    }
}
