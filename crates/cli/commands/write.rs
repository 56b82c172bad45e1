//! Commands that change or copy the ledger: init, append, import, export.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use docket_ledger::{AppendOptions, EventStatus, ImportOptions, Ledger, hex};
use serde_json::json;

use super::keys::{read_public, read_secret};
use crate::args::{AppendArgs, Cli, ExportArgs, ImportArgs, InitArgs};
use crate::exit::{OK, UsageError};
use crate::output::{print_json, progress_bar};

pub fn init(cli: &Cli, path: &Path, args: &InitArgs) -> anyhow::Result<u8> {
    let ledger = match &args.admin_key {
        Some(admin) => Ledger::init_requiring_signatures(path, &read_public(admin)?),
        None => Ledger::init(path),
    };
    let ledger = ledger.with_context(|| format!("cannot create a ledger at {}", path.display()))?;
    let head = ledger.head();
    let signed = args.admin_key.is_some();
    if cli.json {
        print_json(
            &json!({"ledger": {"path": path, "size": head.size, "head": hex(&head.hash), "requires_signatures": signed}}),
        )?;
    } else if signed {
        say!(
            "created a ledger at {} that accepts only signed events; entry 0 names the administrator key",
            path.display()
        );
    } else {
        say!("created an empty ledger at {}", path.display());
    }
    Ok(OK)
}

fn read_input(file: Option<&PathBuf>) -> anyhow::Result<(String, String)> {
    let mut bytes = Vec::new();
    let name = match file {
        Some(path) if path.as_os_str() != "-" => {
            bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            path.display().to_string()
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            "standard input".to_string()
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        anyhow::Error::new(docket_ledger::AppendError::InvalidUtf8 { line })
    });
    let text = text.with_context(|| format!("{name}: event rejected"))?;
    Ok((name, text))
}

fn parse_hash(text: &str) -> anyhow::Result<docket_ledger::Hash> {
    docket_ledger::parse_hex_hash(text).ok_or_else(|| {
        UsageError(format!(
            "--expect-head wants a 64-digit hex hash, got {text:?}"
        ))
        .into()
    })
}

pub fn append(cli: &Cli, ledger: &Ledger, args: &AppendArgs) -> anyhow::Result<u8> {
    let (name, text) = read_input(args.file.as_ref())?;
    let options = AppendOptions {
        expect_head: args.expect_head.as_deref().map(parse_hash).transpose()?,
        expect_size: args.expect_size,
        recorded_at: None,
        allow_anomalies: args.allow_anomalies,
        signer: args.sign_with.as_deref().map(read_secret).transpose()?,
    };
    let outcome = ledger.append_json(&text, &options).map_err(|error| {
        // Only a refusal is known to have changed nothing; a storage failure
        // may have left the batch half-acknowledged.
        let what = match error.failure_kind() {
            docket_ledger::FailureKind::Rejected => "event rejected, the ledger is unchanged",
            _ => "the append failed; run `docket verify` to see what the ledger holds",
        };
        anyhow::Error::new(error).context(format!("{name}: {what}"))
    })?;
    if cli.json {
        let events: Vec<_> = outcome
            .events
            .iter()
            .map(|(id, status)| match status {
                EventStatus::Appended { seq, hash } => {
                    json!({"id": id.as_str(), "status": "appended", "seq": seq, "hash": hex(hash)})
                }
                EventStatus::Unchanged { seq } => {
                    json!({"id": id.as_str(), "status": "unchanged", "seq": seq})
                }
            })
            .collect();
        let head = &outcome.head;
        print_json(
            &json!({"events": events, "ledger": {"size": head.size, "head": hex(&head.hash)}}),
        )?;
    } else {
        for (id, status) in &outcome.events {
            match status {
                EventStatus::Appended { seq, .. } => say!("appended  #{seq:<6} {id}"),
                EventStatus::Unchanged { seq } => {
                    say!("unchanged #{seq:<6} {id} (already in the ledger)")
                }
            }
        }
        say!(
            "ledger: {} entries, head {}",
            outcome.head.size,
            hex(&outcome.head.hash)
        );
    }
    Ok(OK)
}

pub fn import(cli: &Cli, ledger: &Ledger, args: &ImportArgs) -> anyhow::Result<u8> {
    let total = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(total, "bytes", total > 4 << 20);
    let options = ImportOptions {
        batch_size: args.batch_size as usize,
        recorded_at: None,
        allow_anomalies: args.allow_anomalies,
        signer: args.sign_with.as_deref().map(read_secret).transpose()?,
    };
    let mut stdout = std::io::stdout().lock();
    let report = ledger.import(&args.file, &options, &mut |progress| {
        bar.set_message(if progress.storing {
            "storing"
        } else {
            "checking"
        });
        bar.set_position(progress.bytes_done);
        if cli.json && progress.storing {
            // One record per durable batch: a supervising process knows
            // exactly what is safe even if this one is killed.
            let record = json!({"committed": {"size": progress.committed_size}});
            let _ = writeln!(stdout, "{record}").and_then(|()| stdout.flush());
        }
    });
    bar.finish_and_clear();
    let report = report?;
    let head = &report.head;
    if cli.json {
        let record = json!({"imported": {
            "file": args.file, "verbatim": report.verbatim, "read": report.read,
            "appended": report.appended, "unchanged": report.unchanged,
            "ledger": {"size": head.size, "head": hex(&head.hash)}}});
        writeln!(stdout, "{record}")?;
    } else {
        let what = if report.verbatim {
            "entries (verbatim restore)"
        } else {
            "events"
        };
        writeln!(
            stdout,
            "read {} {what} from {}: {} appended, {} already present",
            report.read,
            args.file.display(),
            report.appended,
            report.unchanged
        )?;
        writeln!(
            stdout,
            "ledger: {} entries, head {}",
            head.size,
            hex(&head.hash)
        )?;
    }
    Ok(OK)
}

pub fn export(cli: &Cli, ledger: &Ledger, args: &ExportArgs) -> anyhow::Result<u8> {
    let to_file = args.file.as_ref().filter(|p| p.as_os_str() != "-");
    let count = match to_file {
        Some(path) => {
            // Write next to the target and rename, so an interrupted export
            // never leaves a file that looks complete.
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let count = write_export(ledger, args.entries, &mut out)?;
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|file| file.sync_all())
                .with_context(|| format!("cannot write {}", partial.display()))?;
            std::fs::rename(&partial, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            count
        }
        None => write_export(
            ledger,
            args.entries,
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
        )?,
    };
    if let Some(path) = to_file {
        let what = if args.entries { "entries" } else { "events" };
        if cli.json {
            print_json(&json!({"exported": {"file": path, "what": what, "count": count}}))?;
        } else {
            say!("exported {count} {what} to {}", path.display());
        }
    }
    Ok(OK)
}

fn write_export(ledger: &Ledger, entries: bool, out: &mut dyn Write) -> anyhow::Result<u64> {
    Ok(if entries {
        ledger.export_entries(out)?
    } else {
        ledger.export_events(out)?
    })
}
