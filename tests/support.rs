//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use docket_ledger::{Head, Ledger};

/// Path of a file in this repository.
pub fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The `docket` binary under test, with a clean environment for the ledger.
pub fn docket(ledger: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_docket"));
    command
        .env_remove("DOCKET_LEDGER")
        .arg("--ledger")
        .arg(ledger);
    command.stdin(Stdio::null());
    command
}

/// Runs `docket --ledger LEDGER ARGS…`.
pub fn run(ledger: &Path, args: &[&str]) -> Output {
    docket(ledger)
        .args(args)
        .output()
        .expect("the docket binary runs")
}

/// Runs a command that must succeed and returns its standard output.
pub fn run_ok(ledger: &Path, args: &[&str]) -> String {
    let output = run(ledger, args);
    assert!(
        output.status.success(),
        "docket {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Runs a command with `--json` that must succeed and parses its output.
pub fn run_json(ledger: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&run_ok(ledger, &all)).expect("json output")
}

/// The head of the ledger at `path`, read through the library (the ledger
/// must not be open elsewhere).
pub fn head_of(path: &Path) -> Head {
    Ledger::open(path).expect("ledger opens").head()
}

/// A new ledger in `dir`, created through the command line.
pub fn new_ledger(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    run_ok(&path, &["init"]);
    path
}

/// A new ledger `dir/name` holding the founding example
/// (`examples/amazon-nokia.ndjson`), imported through the command line.
pub fn example_ledger(dir: &Path, name: &str) -> PathBuf {
    let path = new_ledger(dir, name);
    let example = repo_file("examples/amazon-nokia.ndjson");
    run_ok(&path, &["import", example.to_str().unwrap()]);
    path
}
