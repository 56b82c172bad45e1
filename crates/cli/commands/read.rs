//! Commands that only read: log, show, verify.

use std::io::BufWriter;

use docket_ledger::{Damage, Ledger, StoredEvent, hex};
use docket_model::EventId;
use serde_json::json;

use super::audit::read_checkpoint;
use super::keys::read_public;
use crate::args::{Cli, LogArgs, ShowArgs, VerifyArgs};
use crate::describe::describe;
use crate::exit::{INTEGRITY, IntegrityFailure, OK, UsageError};
use crate::output::{
    JsonObject, StreamedTable, Table, kind_width, print_json, progress_bar, seq_width, timestamp,
};
use crate::render::time_query;

pub fn log(cli: &Cli, ledger: &Ledger, args: &LogArgs) -> anyhow::Result<u8> {
    let query = time_query(&args.time)?;
    let size = ledger.visible_size(&query)?;
    let end = match args.limit {
        Some(limit) => args.from.saturating_add(limit).min(size),
        None => size,
    };
    let visible = ledger.events(args.from..end).filter(|stored| {
        !matches!(stored, Ok(stored) if query
            .as_of
            .is_some_and(|t| stored.event.effective.instant_micros() > t))
    });
    // Printed as read, so that a long log starts at once and is never held
    // whole: `docket log | head` answers at once on any ledger.
    let out = BufWriter::new(std::io::stdout().lock());
    if cli.json {
        let mut out = JsonObject::new(out);
        out.member(
            "ledger",
            &json!({"size": size, "head": hex(&ledger.head().hash)}),
        )?;
        out.try_list(
            "entries",
            visible.map(|stored| stored.map(|stored| entry_json(&stored, false))),
        )?;
        out.finish()?;
        return Ok(OK);
    }
    // The widest each column can get, where that is known before reading:
    // the last seq, a recorded-at time with all six digits of its
    // microseconds, the longest kind.
    let widest_recorded = "2026-01-01T00:00:00.000001Z".len();
    let mut table =
        StreamedTable::new(out, &["SEQ", "RECORDED", "EFFECTIVE", "KIND", "ID", "WHAT"])
            .at_least(SEQ_COLUMN, seq_width(end))
            .at_least(RECORDED_COLUMN, widest_recorded)
            .at_least(KIND_COLUMN, kind_width());
    for stored in visible {
        let stored = stored?;
        let event = &stored.event;
        table.row(vec![
            stored.entry.header.seq.to_string(),
            timestamp(stored.entry.header.recorded_at),
            event.effective.to_string(),
            event.kind().as_str().to_string(),
            event
                .id
                .as_ref()
                .map(|id| id.to_string())
                .unwrap_or_default(),
            describe(event),
        ])?;
    }
    table.finish()?;
    Ok(OK)
}

/// Columns of the log's table.
const SEQ_COLUMN: usize = 0;
const RECORDED_COLUMN: usize = 1;
const KIND_COLUMN: usize = 3;

fn entry_json(stored: &StoredEvent, with_payload: bool) -> serde_json::Value {
    let header = &stored.entry.header;
    let mut value = json!({
        "seq": header.seq,
        "version": header.version,
        "recorded_at": timestamp(header.recorded_at),
        "recorded_at_us": header.recorded_at,
        "payload_len": header.payload_len,
        "prev_hash": hex(&header.prev_hash),
        "hash": hex(&stored.hash),
        "event": stored.event.to_json_value(),
    });
    if with_payload {
        let payload: String = stored
            .entry
            .payload
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        value["payload_hex"] = json!(payload);
    }
    value
}

pub fn show(cli: &Cli, ledger: &Ledger, args: &ShowArgs) -> anyhow::Result<u8> {
    let seq = resolve_target(ledger, &args.target)?;
    let stored = ledger.get(seq)?.ok_or_else(|| {
        UsageError(format!(
            "no entry {seq}: the ledger holds {} entries",
            ledger.head().size
        ))
    })?;
    if cli.json {
        print_json(&entry_json(&stored, true))?;
        return Ok(OK);
    }
    let header = &stored.entry.header;
    say!("entry      #{}", header.seq);
    say!("recorded   {}", timestamp(header.recorded_at));
    say!("hash       {}", hex(&stored.hash));
    say!("prev hash  {}", hex(&header.prev_hash));
    say!(
        "payload    {} bytes (format version {})",
        header.payload_len,
        header.version
    );
    say!("summary    {}", describe(&stored.event));
    say!(
        "{}",
        serde_json::to_string_pretty(&stored.event.to_json_value())?
    );
    Ok(OK)
}

pub fn verify(cli: &Cli, ledger: &Ledger, args: &VerifyArgs) -> anyhow::Result<u8> {
    // Read the checkpoint first: a usage problem should not cost a full
    // verification.
    let given = match &args.checkpoint {
        Some(path) => Some(read_checkpoint(path)?),
        None => None,
    };
    let key = args.key.as_deref().map(read_public).transpose()?;
    let size = ledger.head().size;
    let bar = progress_bar(size * 2, "checks", size >= 50_000);
    let mut show = |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let report = if args.skip_derived {
        ledger.verify_evidence(&mut show)
    } else {
        ledger.verify(&mut show)
    };
    bar.finish_and_clear();
    let failure = match (&report.chain.damage, &report.payload_failure) {
        (Some(damage), _) => Some((damage.seq(), damage_kind(damage), damage.to_string())),
        (None, Some((seq, reason))) => {
            Some((Some(*seq), "bad-payload", format!("entry {seq}: {reason}")))
        }
        (None, None) if report.signature_failure.is_some() => {
            let (seq, reason) = report.signature_failure.clone().unwrap_or_default();
            Some((Some(seq), "signature", format!("entry {seq}: {reason}")))
        }
        (None, None) if report.snapshot_matches == Some(false) => {
            let message = "the stored snapshot of the projections does not match a replay of the log \
                           (derived data was altered); it was discarded and will be rebuilt";
            Some((None, "snapshot-mismatch", message.to_string()))
        }
        (None, None) => None,
    };
    // The Merkle root, and consistency with the given checkpoint, once the
    // entries themselves are known to be sound.
    let mut merkle_root = None;
    let mut checkpoint_report = None;
    let mut failure = failure;
    if failure.is_none() {
        merkle_root = Some(ledger.checkpoint(None)?.root);
        if let Some(given) = &given {
            let signed = key.as_ref().map(|k| given.verify_signature(k)).transpose();
            let checked = signed
                .map_err(docket_ledger::ProofError::from)
                .and_then(|_| ledger.check_consistency(given));
            checkpoint_report = Some(
                json!({"size": given.size, "root": hex(&given.root), "consistent": checked.is_ok()}),
            );
            if let Err(e) = checked {
                failure = Some((Some(given.size), "checkpoint", e.to_string()));
            }
        }
    }
    let head = &report.chain.stored_head;
    if cli.json {
        let failure = failure
            .as_ref()
            .map(|(seq, kind, message)| json!({"seq": seq, "kind": kind, "message": message}));
        print_json(&json!({
            "ok": failure.is_none(),
            "ledger": {"size": head.size, "head": hex(&head.hash)},
            "computed_head": hex(&report.chain.computed_head),
            "entries_checked": report.chain.entries_checked,
            "payloads_checked": report.payloads_checked,
            "snapshot_matches": report.snapshot_matches,
            "derived_checked": !args.skip_derived,
            "signatures_checked": report.signatures_checked,
            "merkle_root": merkle_root.as_ref().map(hex),
            "checkpoint": checkpoint_report,
            "failure": failure,
            "elapsed_ms": report.elapsed.as_secs_f64() * 1000.0,
        }))?;
    } else if failure.is_none() {
        say!(
            "ok: {} entries, chain intact, head {} ({:.1} ms)",
            head.size,
            hex(&head.hash),
            report.elapsed.as_secs_f64() * 1000.0
        );
        if let Some(root) = &merkle_root {
            say!("merkle root {}", hex(root));
        }
        if report.signatures_checked > 0 {
            say!("{} signatures checked", report.signatures_checked);
        }
        if let Some(given) = &given {
            say!(
                "an append-only extension of the checkpoint of {} entries",
                given.size
            );
        }
    }
    match failure {
        None => Ok(OK),
        Some((_, _, message)) if cli.json => {
            eprintln!("docket: verification failed: {message}");
            Ok(INTEGRITY)
        }
        Some((_, _, message)) => {
            Err(IntegrityFailure(format!("verification failed: {message}")).into())
        }
    }
}

/// The seq an argument names: a sequence number, or an event id.
pub fn resolve_target(ledger: &Ledger, target: &str) -> anyhow::Result<u64> {
    if let Ok(seq) = target.parse::<u64>() {
        return Ok(seq);
    }
    let id = EventId::new(target).map_err(|e| {
        UsageError(format!(
            "{target:?} is neither a sequence number nor an event id: {e}"
        ))
    })?;
    Ok(ledger
        .seq_of(&id)?
        .ok_or_else(|| UsageError(format!("no event with id {id} in the ledger")))?)
}

/// A dispute's history as an aligned table.
pub fn history_table(dispute: &docket_ledger::disputes::Dispute) -> String {
    let mut table = Table::new(&["EFFECTIVE", "SEQ", "STATUS AFTER", "WHAT"]);
    for h in &dispute.history {
        table.row(vec![
            h.effective.to_string(),
            h.seq.to_string(),
            h.status_after.as_str().to_string(),
            h.summary().into_owned(),
        ]);
    }
    table.render()
}

/// A stable, machine-readable name for each kind of damage.
fn damage_kind(damage: &Damage) -> &'static str {
    match damage {
        Damage::EntryAltered { .. } => "entry-altered",
        Damage::BrokenLink { .. } => "broken-link",
        Damage::Missing { .. } => "missing-entry",
        Damage::Reordered { .. } => "reordered",
        Damage::Malformed { .. } => "malformed",
        Damage::HeadMismatch { .. } => "head-mismatch",
        Damage::HeadUnreadable { .. } => "head-unreadable",
        Damage::Unreadable { .. } => "unreadable",
        Damage::MerkleNode { .. } => "merkle-node",
        _ => "damaged",
    }
}
