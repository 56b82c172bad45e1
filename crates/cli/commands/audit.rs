//! Audit without trusting the keeper: checkpoint, prove, verify-proof,
//! bundle, verify-bundle.

use std::path::Path;

use anyhow::Context as _;
use docket_ledger::{Bundle, Checkpoint, DEFAULT_KEY_NAME, Ledger, Proof, hex, project};
use serde_json::json;

use super::keys::{read_public, read_secret};
use super::read::{history_table, resolve_target};
use crate::args::{BundleArgs, CheckpointArgs, Cli, ProveArgs, VerifyDocumentArgs};
use crate::describe::describe;
use crate::exit::{IntegrityFailure, OK, UsageError};
use crate::output::print_json;
use crate::render::Names;

/// Reads a checkpoint note from a file; a malformed one is a usage error.
pub fn read_checkpoint(path: &Path) -> anyhow::Result<Checkpoint> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Checkpoint::parse(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

pub fn checkpoint(cli: &Cli, ledger: &Ledger, args: &CheckpointArgs) -> anyhow::Result<u8> {
    let mut checkpoint = ledger.checkpoint(None)?;
    if let Some(key) = &args.sign_with {
        checkpoint.sign(&*read_secret(key)?, DEFAULT_KEY_NAME);
    }
    if cli.json {
        print_json(&json!({
            "origin": checkpoint.origin, "size": checkpoint.size, "root": hex(&checkpoint.root),
            "head": hex(&checkpoint.head), "signed": !checkpoint.signatures.is_empty(), "note": checkpoint.to_note(),
        }))?;
    } else {
        say_raw!("{}", checkpoint.to_note());
    }
    Ok(OK)
}

pub fn prove(cli: &Cli, ledger: &Ledger, args: &ProveArgs) -> anyhow::Result<u8> {
    let seq = resolve_target(ledger, &args.target)?;
    let given = args
        .checkpoint
        .as_deref()
        .map(read_checkpoint)
        .transpose()?;
    let covered = given.as_ref().map_or(ledger.head().size, |c| c.size);
    if seq >= covered {
        let message = format!("entry {seq} is not covered: the checkpoint holds {covered} entries");
        return Err(UsageError(message).into());
    }
    let fresh = given.is_none();
    let mut proof = ledger.prove(seq, given).map_err(to_integrity)?;
    if let (true, Some(key)) = (fresh, &args.sign_with) {
        let mut checkpoint = Checkpoint::parse(&proof.checkpoint)?;
        checkpoint.sign(&*read_secret(key)?, DEFAULT_KEY_NAME);
        proof.checkpoint = checkpoint.to_note();
    }
    // The proof document is JSON either way.
    let _ = cli;
    say!("{}", proof.to_json());
    Ok(OK)
}

fn to_integrity(error: docket_ledger::ProofError) -> anyhow::Error {
    match error {
        docket_ledger::ProofError::Read(_) | docket_ledger::ProofError::Log(_) => error.into(),
        other => IntegrityFailure(other.to_string()).into(),
    }
}

pub fn verify_proof(cli: &Cli, args: &VerifyDocumentArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let key = args.key.as_deref().map(read_public).transpose()?;
    let proof = Proof::from_json(&text)
        .map_err(|e| IntegrityFailure(format!("{}: {e}", args.file.display())))?;
    let (checkpoint, event) = proof
        .verify(key.as_ref())
        .map_err(|e| IntegrityFailure(format!("{}: {e}", args.file.display())))?;
    if cli.json {
        print_json(&json!({
            "ok": true, "seq": proof.entry.seq, "hash": proof.entry.hash, "origin": checkpoint.origin,
            "tree_size": checkpoint.size, "root": hex(&checkpoint.root), "signature_checked": key.is_some(),
            "event": event.to_json_value(),
        }))?;
    } else {
        say!(
            "ok: entry {} is included in {} at size {} (root {})",
            proof.entry.seq,
            checkpoint.origin,
            checkpoint.size,
            hex(&checkpoint.root)
        );
        match key {
            Some(key) => say!("checkpoint signed by {key}"),
            None => say!("checkpoint signature NOT checked (give --key FILE.pub)"),
        }
        say!("{}", describe(&event));
    }
    Ok(OK)
}

pub fn bundle(cli: &Cli, ledger: &Ledger, args: &BundleArgs) -> anyhow::Result<u8> {
    let key = read_secret(&args.sign_with)?;
    let bundle = ledger.bundle(&args.dispute, &key).map_err(|e| match e {
        docket_ledger::ProofError::Manifest(message) => UsageError(message).into(),
        other => anyhow::Error::from(other),
    })?;
    std::fs::write(&args.output, bundle.to_json())
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    if cli.json {
        print_json(
            &json!({"bundle": args.output, "dispute": args.dispute, "entries": bundle.entries.len()}),
        )?;
    } else {
        say!(
            "wrote {} entries of {} with proofs to {}",
            bundle.entries.len(),
            args.dispute,
            args.output.display()
        );
    }
    Ok(OK)
}

pub fn verify_bundle(cli: &Cli, args: &VerifyDocumentArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let key = args.key.as_deref().map(read_public).transpose()?;
    let failed =
        |e: docket_ledger::ProofError| IntegrityFailure(format!("{}: {e}", args.file.display()));
    let bundle = Bundle::from_json(&text).map_err(failed)?;
    let verified = bundle.verify(key.as_ref()).map_err(failed)?;
    let projections = project(verified.events.clone());
    let dispute = projections.disputes.get(&bundle.dispute);
    if cli.json {
        print_json(&json!({
            "ok": true, "dispute": bundle.dispute, "entries": verified.events.len(),
            "origin": verified.checkpoint.origin, "tree_size": verified.checkpoint.size,
            "signatures_checked": verified.signatures_checked,
            "status": dispute.map(|d| d.status.as_str()),
            "events": verified.events.iter().map(|(seq, e)| json!({"seq": seq, "event": e.to_json_value()})).collect::<Vec<_>>(),
        }))?;
        return Ok(OK);
    }
    say!(
        "ok: {} entries of {} proven included in {} at size {}",
        verified.events.len(),
        bundle.dispute,
        verified.checkpoint.origin,
        verified.checkpoint.size
    );
    match key {
        Some(key) => say!("checkpoint and manifest signed by {key}: nothing was added or left out"),
        None => {
            say!("signatures NOT checked (give --key FILE.pub): entries could have been left out")
        }
    }
    let Some(d) = dispute else {
        say!("the bundle holds no filing of {}", bundle.dispute);
        return Ok(OK);
    };
    let names = Names(&projections.holdings);
    say!(
        "\n{} ({})\n{} v. {}, status {}",
        d.title,
        d.id,
        names.list(&d.plaintiffs),
        names.list(&d.defendants),
        d.status.as_str()
    );
    say_raw!("{}", history_table(d));
    Ok(OK)
}
