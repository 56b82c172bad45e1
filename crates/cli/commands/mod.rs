//! One function per command.

mod audit;
mod demo;
mod dockets;
mod keys;
mod pictures;
mod query;
mod read;
mod views;
mod write;

use std::path::PathBuf;

use anyhow::Context as _;
use docket_ledger::Ledger;

use crate::args::{Cli, Command};

/// The ledger path: `--ledger`, else `$DOCKET_LEDGER`, else `./docket.ledger`.
fn ledger_path(cli: &Cli) -> PathBuf {
    cli.ledger
        .clone()
        .or_else(|| {
            std::env::var_os("DOCKET_LEDGER")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("docket.ledger"))
}

fn open(cli: &Cli) -> anyhow::Result<Ledger> {
    let path = ledger_path(cli);
    Ledger::open(&path).with_context(|| format!("cannot open the ledger {}", path.display()))
}

/// Runs the command and returns the exit code for a run that did not fail
/// outright (verify returns a non-zero code without an error of its own).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match &cli.command {
        Command::Init(args) => write::init(&cli, &ledger_path(&cli), args),
        Command::Keygen(args) => keys::keygen(&cli, args),
        Command::Append(args) => write::append(&cli, &open(&cli)?, args),
        Command::Import(args) if args.format != crate::args::ImportFormat::Ndjson => {
            dockets::import(&cli, &open(&cli)?, args)
        }
        Command::Import(args) => write::import(&cli, &open(&cli)?, args),
        Command::Export(args) => write::export(&cli, &open(&cli)?, args),
        Command::Log(args) => read::log(&cli, &open(&cli)?, args),
        Command::Show(args) => read::show(&cli, &open(&cli)?, args),
        Command::Verify(args) => read::verify(&cli, &open(&cli)?, args),
        Command::Checkpoint(args) => audit::checkpoint(&cli, &open(&cli)?, args),
        Command::Prove(args) => audit::prove(&cli, &open(&cli)?, args),
        Command::VerifyProof(args) => audit::verify_proof(&cli, args),
        Command::Bundle(args) => audit::bundle(&cli, &open(&cli)?, args),
        Command::VerifyBundle(args) => audit::verify_bundle(&cli, args),
        Command::Demo => demo::run(&cli),
        Command::State(time) => query::state(&cli, &open(&cli)?, time),
        Command::Conflicts(time) => query::conflicts(&cli, &open(&cli)?, time),
        Command::Dispute(args) => views::dispute(&cli, &open(&cli)?, args),
        Command::Entity(args) => views::entity(&cli, &open(&cli)?, args),
        Command::Timeline(args) if args.format != crate::args::TimelineFormat::Text => {
            pictures::timeline(&cli, &open(&cli)?, args)
        }
        Command::Timeline(args) => views::timeline(&cli, &open(&cli)?, args),
        Command::Alias(args) => dockets::alias(&cli, &open(&cli)?, args),
        Command::Merge(args) => dockets::merge(&cli, &open(&cli)?, args),
        Command::Graph(args) => pictures::graph(&cli, &open(&cli)?, args),
        Command::Completions(args) => pictures::completions(args),
        Command::Man => pictures::man(),
    }
}
