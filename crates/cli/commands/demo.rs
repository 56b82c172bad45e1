//! `docket demo`: the founding example, end to end.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use docket_ledger::{ImportOptions, Ledger, hex};
use docket_model::Kind;
use serde_json::json;

use crate::args::Cli;
use crate::describe::describe;
use crate::exit::{IntegrityFailure, OK, UsageError};
use crate::output::{Table, print_json};

/// The example ledger, compiled in so the demo runs from anywhere.
const EXAMPLE: &str = include_str!("../../../examples/amazon-nokia.ndjson");

/// Kinds worth a line in the demo's story; docket entries and registrations
/// are counted, not listed.
const STORY_KINDS: [Kind; 10] = [
    Kind::DisputeFiled,
    Kind::DisputeRuling,
    Kind::DisputeJudgment,
    Kind::DisputeDismissed,
    Kind::DisputeSettled,
    Kind::PartnershipFormed,
    Kind::PartnershipEnded,
    Kind::Acquisition,
    Kind::Divestment,
    Kind::EntityRenamed,
];

pub fn run(cli: &Cli) -> anyhow::Result<u8> {
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let path = match &cli.ledger {
        Some(path) if path.exists() => {
            return Err(UsageError(format!(
                "{} already exists; the demo builds a fresh ledger, give a new path",
                path.display()
            ))
            .into());
        }
        Some(path) => path.clone(),
        None => scratch.path().join("demo.ledger"),
    };
    let example = scratch.path().join("amazon-nokia.ndjson");
    std::fs::write(&example, EXAMPLE).context("cannot write the example to a temporary file")?;

    let ledger =
        Ledger::init(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let imported = ledger.import(&example, &ImportOptions::default(), &mut |_| {})?;
    let report = ledger.verify(&mut |_, _| {});
    let head = ledger.head();

    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut story = Vec::new();
    for stored in ledger.events(0..head.size) {
        let stored = stored?;
        let kind = stored.event.kind();
        *by_kind.entry(kind.as_str()).or_default() += 1;
        if STORY_KINDS.contains(&kind) {
            story.push((
                stored.event.effective.to_string(),
                kind.as_str(),
                describe(&stored.event),
            ));
        }
    }
    if !report.is_ok() {
        return Err(
            IntegrityFailure("the freshly built demo ledger does not verify".into()).into(),
        );
    }

    let kept = cli.ledger.is_some().then(|| path.clone());
    if cli.json {
        print_json(&json!({
            "ledger": {"path": kept, "size": head.size, "head": hex(&head.hash)},
            "imported": imported.appended,
            "kinds": by_kind,
            "story": story.iter().map(|(date, kind, what)| json!({"effective": date, "kind": kind, "what": what})).collect::<Vec<_>>(),
            "verified": report.is_ok(),
        }))?;
        return Ok(OK);
    }
    println!("docket demo: the Nokia / Amazon patent fight, 2023-2025\n");
    println!(
        "1. Imported {} events from examples/amazon-nokia.ndjson into {}.",
        imported.appended,
        describe_location(&kept)
    );
    let counts: Vec<String> = by_kind
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    println!("   {}\n", counts.join(", "));
    println!("2. The story, in the order it happened:\n");
    let mut table = Table::new(&["EFFECTIVE", "KIND", "WHAT"]);
    for (date, kind, what) in story {
        table.row(vec![date, kind.to_string(), what]);
    }
    print!("{}", indent(&table.render()));
    println!(
        "\n3. Verified: {} entries re-hashed, chain intact, every payload decodes ({:.1} ms).",
        report.chain.entries_checked,
        report.elapsed.as_secs_f64() * 1000.0
    );
    println!("   head {}", hex(&head.hash));
    println!(
        "\nTry: docket --ledger demo.ledger demo, then `docket --ledger demo.ledger log` or `show nokia-amazon-settlement`."
    );
    Ok(OK)
}

fn describe_location(kept: &Option<PathBuf>) -> String {
    match kept {
        Some(path) => path.display().to_string(),
        None => "a temporary ledger (give --ledger PATH to keep it)".to_string(),
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("   {line}\n")).collect()
}
