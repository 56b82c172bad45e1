//! `docket demo`: the founding example, end to end.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use docket_ledger::{ImportOptions, Ledger, State, TimeQuery, TimelineScope, hex, parse_instant};
use docket_model::Kind;
use serde_json::{Value, json};

use crate::args::Cli;
use crate::describe::describe;
use crate::exit::{IntegrityFailure, OK, UsageError};
use crate::output::{Table, print_json};
use crate::render::{Names, conflict_json, countersuit_json};

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

/// The moments the demo looks at, with what each is meant to show.
const MOMENTS: [(&str, &str); 3] = [
    ("2023-10-30", "the day before the first suit"),
    (
        "2024-07-31",
        "the day after Amazon's countersuit, while AWS and Nokia are partners",
    ),
    ("2025-04-01", "the day after the global settlement"),
];

pub fn run(cli: &Cli) -> anyhow::Result<u8> {
    let scratch = tempfile::tempdir().context("cannot create a temporary folder")?;
    let path = match &cli.ledger {
        Some(path) if path.exists() => {
            let message = format!(
                "{} already exists; the demo builds a fresh ledger, give a new path",
                path.display()
            );
            return Err(UsageError(message).into());
        }
        Some(path) => path.clone(),
        None => scratch.path().join("demo.ledger"),
    };
    let example = scratch.path().join("amazon-nokia.ndjson");
    std::fs::write(&example, EXAMPLE).context("cannot write the example to a temporary file")?;

    let ledger =
        Ledger::init(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let imported = ledger.import(&example, &ImportOptions::default(), &mut |_| {})?;
    let head = ledger.head();

    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut story = Vec::new();
    for item in ledger.timeline(&TimelineScope::All, &TimeQuery::default())? {
        let kind = item.event.kind();
        *by_kind.entry(kind.as_str()).or_default() += 1;
        if STORY_KINDS.contains(&kind) {
            story.push((
                item.event.effective.to_string(),
                kind.as_str(),
                describe(&item.event),
            ));
        }
    }
    let mut moments = Vec::new();
    for (date, meaning) in MOMENTS {
        let query = TimeQuery {
            as_of: Some(parse_instant(date).map_err(anyhow::Error::msg)?),
            ..TimeQuery::default()
        };
        moments.push((date, meaning, ledger.state(&query)?));
    }
    let report = ledger.verify(&mut |_, _| {});
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
            "moments": moments.iter().map(|(date, meaning, state)| moment_json(date, meaning, state)).collect::<Vec<_>>(),
            "verified": report.is_ok(),
        }))?;
        return Ok(OK);
    }
    say!("docket demo: the Nokia / Amazon patent fight, 2023-2025\n");
    say!(
        "1. Imported {} events from examples/amazon-nokia.ndjson into {}.",
        imported.appended,
        describe_location(&kept)
    );
    let counts: Vec<String> = by_kind
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    say!("   {}\n", counts.join(", "));
    say!("2. The record, in the order things happened:\n");
    let mut table = Table::new(&["EFFECTIVE", "KIND", "WHAT"]);
    for (date, kind, what) in story {
        table.row(vec![date, kind.to_string(), what]);
    }
    say_raw!("{}", indent(&table.render()));
    say!("\n3. The same ledger, asked about three moments (docket state --as-of DATE):");
    for (date, meaning, state) in &moments {
        say!("\n   As of {date}, {meaning}:");
        print_moment(state)?;
    }
    say!(
        "\n4. Verified: {} entries re-hashed, chain intact, every payload decodes ({:.1} ms).",
        report.chain.entries_checked,
        report.elapsed.as_secs_f64() * 1000.0
    );
    say!("   head {}", hex(&head.hash));
    match &kept {
        Some(path) => say!(
            "\nThe ledger is kept at {0}; try `docket --ledger {0} state --as-of 2024-07-31`.",
            path.display()
        ),
        None => say!(
            "\nKeep the ledger with `docket --ledger demo.ledger demo`, then try `docket --ledger demo.ledger state --as-of 2024-07-31`."
        ),
    }
    Ok(OK)
}

fn moment_json(date: &str, meaning: &str, state: &State) -> Value {
    let p = &state.projections;
    let view = state.relations_view();
    json!({
        "as_of": date,
        "meaning": meaning,
        "disputes": p.disputes.iter().map(|d| (d.id.to_string(), json!(d.status.as_str()))).collect::<serde_json::Map<_, _>>(),
        "active_partnerships": p.relations.partnerships().filter(|x| x.active).map(|x| x.id.as_str()).collect::<Vec<_>>(),
        "conflicts": view.conflicts.iter().map(conflict_json).collect::<Vec<_>>(),
        "countersuits": view.countersuits.iter().map(countersuit_json).collect::<Vec<_>>(),
    })
}

fn print_moment(state: &State) -> anyhow::Result<()> {
    let p = &state.projections;
    let names = Names(&p.holdings);
    let view = state.relations_view();
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for d in p.disputes.iter() {
        *by_status.entry(d.status.as_str()).or_default() += 1;
    }
    let statuses: Vec<String> = by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
    if p.disputes.is_empty() {
        say!("   - disputes: none yet");
    } else {
        say!(
            "   - disputes: {} ({})",
            p.disputes.len(),
            statuses.join(", ")
        );
    }
    for id in ["nokia-v-amazon-ded", "amazon-v-nokia-ded"] {
        if let Some(d) = p.disputes.get(id) {
            say!("     {id}: {}", d.status.as_str());
        }
    }
    let partnerships: Vec<String> = p
        .relations
        .partnerships()
        .filter(|x| x.active)
        .map(|x| format!("{} ({})", x.id, names.list(&x.parties)))
        .collect();
    say!(
        "   - active partnerships: {}",
        if partnerships.is_empty() {
            "none".into()
        } else {
            partnerships.join("; ")
        }
    );
    if view.conflicts.is_empty() {
        say!("   - conflicts: none");
    }
    for c in &view.conflicts {
        say!(
            "   - CONFLICT: {} and {} are adverse in {} open disputes while partners in {}",
            names.of(&c.parties[0]),
            names.of(&c.parties[1]),
            c.disputes.len(),
            c.partnerships
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for c in &view.countersuits {
        let how = if c.declared { "declared" } else { "inferred" };
        say!(
            "   - countersuit: {} answers {} ({how})",
            c.dispute,
            c.answers
        );
    }
    Ok(())
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
