//! Court dockets in (`import --format juriscraper|courtlistener`) and the
//! fixes of party resolution (`alias`, `merge`).

use anyhow::Context as _;
use docket_ledger::dockets::{EndingKind, Side};
use docket_ledger::{AppendOptions, DocketFormat, DocketImportOptions, Ledger, hex, parse_instant};
use docket_model::Effective;
use serde_json::json;

use super::keys::read_secret;
use crate::args::{AliasArgs, Cli, ImportArgs, ImportFormat, MergeArgs};
use crate::exit::{OK, UsageError};
use crate::output::print_json;

pub fn import(cli: &Cli, ledger: &Ledger, args: &ImportArgs) -> anyhow::Result<u8> {
    let format = match args.format {
        ImportFormat::Courtlistener => DocketFormat::CourtListener,
        _ => DocketFormat::Juriscraper,
    };
    let name = args.file.display().to_string();
    let text =
        std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {name}"))?;
    let options = DocketImportOptions {
        format,
        mappings: args.parties.clone(),
        append: AppendOptions {
            allow_anomalies: args.allow_anomalies,
            signer: args.sign_with.as_deref().map(read_secret).transpose()?,
            ..AppendOptions::default()
        },
    };
    let report = ledger
        .import_docket(&text, &options)
        .with_context(|| format!("{name}: docket rejected, the ledger is unchanged"))?;
    let plan = &report.plan;
    let side = |s: Side| match s {
        Side::Plaintiff => "plaintiff",
        Side::Defendant => "defendant",
    };
    let ending = plan.ending.as_ref().map(|e| match e.kind {
        EndingKind::Dismissed => "dismissed",
        EndingKind::Settled => "settled",
        EndingKind::Judgment => "judgment",
    });
    if cli.json {
        let parties: Vec<_> = plan
            .parties
            .iter()
            .map(|p| {
                json!({"name": p.name, "side": side(p.side), "entity": p.entity,
                "matched": p.matched.map(|m| m.as_str())})
            })
            .collect();
        let created: Vec<_> = plan
            .created
            .iter()
            .map(|(slug, name)| json!({"entity": slug, "name": name}))
            .collect();
        print_json(&json!({"docket": {
            "file": args.file, "format": format.as_str(), "dispute": plan.dispute,
            "nature": plan.nature.as_str(), "parties": parties, "created": created,
            "entries": plan.entries, "terminated": plan.terminated, "ending": ending,
            "appended": report.appended, "unchanged": report.unchanged,
            "warnings": report.warnings,
            "ledger": {"size": report.head.size, "head": hex(&report.head.hash)}}}))?;
        return Ok(OK);
    }
    say!(
        "docket {name} ({}) -> dispute {}",
        format.as_str(),
        plan.dispute
    );
    for p in &plan.parties {
        match p.matched {
            Some(how) => say!(
                "  {:<9} {:?} matched {} ({})",
                side(p.side),
                p.name,
                p.entity,
                how.as_str()
            ),
            None => say!("  {:<9} {:?} new entity {}", side(p.side), p.name, p.entity),
        }
    }
    for (slug, entity_name) in &plan.created {
        say!("  registered {slug}: {entity_name}");
    }
    say!(
        "  nature {}, {} docket entries",
        plan.nature.as_str(),
        plan.entries
    );
    match (&plan.terminated, ending) {
        (Some(date), Some(how)) => say!("  terminated {date}: {how} (from the docket text)"),
        (Some(date), None) => say!(
            "  terminated {date}, but no entry shows how: no ending recorded, the dispute stays open"
        ),
        (None, _) => say!("  not terminated"),
    }
    for warning in &report.warnings {
        say!("  warning: {warning}");
    }
    say!(
        "{} appended, {} already present; ledger: {} entries, head {}",
        report.appended,
        report.unchanged,
        report.head.size,
        hex(&report.head.hash)
    );
    Ok(OK)
}

fn effective(text: &Option<String>) -> anyhow::Result<Effective> {
    let text = match text {
        Some(t) => t.clone(),
        None => jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
    };
    parse_instant(&text).map_err(|e| UsageError(format!("--effective: {e}")))?;
    Effective::parse(&text).map_err(|e| UsageError(format!("--effective: {e}")).into())
}

pub fn alias(cli: &Cli, ledger: &Ledger, args: &AliasArgs) -> anyhow::Result<u8> {
    let options = AppendOptions {
        signer: args.sign_with.as_deref().map(read_secret).transpose()?,
        ..AppendOptions::default()
    };
    let outcome = ledger.alias_entity(
        &args.entity,
        &args.names,
        effective(&args.effective)?,
        &options,
    )?;
    if cli.json {
        print_json(
            &json!({"alias": {"entity": args.entity, "names": args.names,
            "appended": outcome.appended(), "ledger": {"size": outcome.head.size, "head": hex(&outcome.head.hash)}}}),
        )?;
    } else {
        say!(
            "{} now also answers to {}; {} correction appended, ledger: {} entries",
            args.entity,
            args.names.join(", "),
            outcome.appended(),
            outcome.head.size
        );
    }
    Ok(OK)
}

pub fn merge(cli: &Cli, ledger: &Ledger, args: &MergeArgs) -> anyhow::Result<u8> {
    let options = AppendOptions {
        signer: args.sign_with.as_deref().map(read_secret).transpose()?,
        ..AppendOptions::default()
    };
    let (outcome, corrected) = ledger.merge_entities(
        &args.duplicate,
        &args.into,
        effective(&args.effective)?,
        &options,
    )?;
    if cli.json {
        print_json(
            &json!({"merge": {"duplicate": args.duplicate, "into": args.into,
            "corrected": corrected, "appended": outcome.appended(),
            "ledger": {"size": outcome.head.size, "head": hex(&outcome.head.hash)}}}),
        )?;
    } else {
        say!(
            "merged {} into {}: {corrected} event(s) corrected, {} event(s) appended; ledger: {} entries",
            args.duplicate,
            args.into,
            outcome.appended(),
            outcome.head.size
        );
    }
    Ok(OK)
}
