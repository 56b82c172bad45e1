//! Audit without trusting the keeper: checkpoints catch truncation and
//! rewritten history that the chain alone cannot; proofs and bundles check
//! out with no ledger, and fail precisely when tampered with.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use docket_log::{Entry, Header};
use docket_model::{Body, Event, Text};
use serde_json::Value;

use crate::support::{example_ledger, new_ledger, run, run_json, run_ok};

struct Setup {
    dir: tempfile::TempDir,
    ledger: PathBuf,
    checkpoint: PathBuf,
    entries: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "original.ledger");
    let key = dir.path().join("keeper");
    run_ok(&ledger, &["keygen", "--out", key.to_str().unwrap()]);
    run_ok(
        &ledger,
        &[
            "keygen",
            "--out",
            dir.path().join("stranger").to_str().unwrap(),
        ],
    );
    let note = run_ok(
        &ledger,
        &[
            "checkpoint",
            "--sign-with",
            dir.path().join("keeper.key").to_str().unwrap(),
        ],
    );
    let checkpoint = dir.path().join("checkpoint.txt");
    std::fs::write(&checkpoint, note).unwrap();
    let entries = dir.path().join("entries.ndjson");
    run_ok(&ledger, &["export", "--entries", entries.to_str().unwrap()]);
    Setup {
        dir,
        ledger,
        checkpoint,
        entries,
    }
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A ledger restored from an edited verbatim export.
    fn restored(&self, name: &str, lines: Vec<String>) -> PathBuf {
        let file = self.path(&format!("{name}.ndjson"));
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        let ledger = new_ledger(self.dir.path(), name);
        run_ok(&ledger, &["import", file.to_str().unwrap()]);
        ledger
    }

    fn export_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.entries)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn verify_against(ledger: &Path, setup: &Setup) -> std::process::Output {
    let key = setup.path("keeper.pub");
    run(
        ledger,
        &[
            "verify",
            "--checkpoint",
            setup.checkpoint.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    )
}

#[test]
fn the_unchanged_ledger_extends_its_checkpoint() {
    let setup = setup();
    let output = verify_against(&setup.ledger, &setup);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Growing the ledger keeps it an extension.
    let more = setup.path("more.json");
    std::fs::write(
        &more,
        r#"{"kind":"entity.registered","effective":"2025-05-01","entity":"newco","name":"NewCo"}"#,
    )
    .unwrap();
    run_ok(&setup.ledger, &["append", more.to_str().unwrap()]);
    let report = run_json(
        &setup.ledger,
        &["verify", "--checkpoint", setup.checkpoint.to_str().unwrap()],
    );
    assert_eq!(report["checkpoint"]["consistent"], true);
    assert_eq!(report["checkpoint"]["size"], 45);
    assert_eq!(report["ledger"]["size"], 46);
    // Another key's signature is not the keeper's.
    let stranger = setup.path("stranger.pub");
    let output = run(
        &setup.ledger,
        &[
            "verify",
            "--checkpoint",
            setup.checkpoint.to_str().unwrap(),
            "--key",
            stranger.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not signed by"));
}

#[test]
fn a_truncated_tail_passes_the_chain_but_not_the_checkpoint() {
    let setup = setup();
    let lines = setup.export_lines();
    // Drop the last 3 entries and write a matching end line: a consistent,
    // shorter chain.
    let kept: Vec<String> = lines[..lines.len() - 4].to_vec();
    let last: Value = serde_json::from_str(kept.last().unwrap()).unwrap();
    let mut edited = kept.clone();
    edited.push(serde_json::json!({"end": {"size": 42, "head": last["hash"]}}).to_string());
    let truncated = setup.restored("truncated.ledger", edited);
    assert_eq!(
        run_json(&truncated, &["verify"])["ok"],
        true,
        "the chain alone sees nothing wrong"
    );
    let output = verify_against(&truncated, &setup);
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("covers 45 entries") && stderr.contains("only 42"),
        "{stderr}"
    );
    let checkpoint = setup.checkpoint.to_str().unwrap();
    let output = run(
        &truncated,
        &["--json", "verify", "--checkpoint", checkpoint],
    );
    assert_eq!(output.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["failure"]["kind"], "checkpoint");
    assert_eq!(report["checkpoint"]["consistent"], false);
    // A proof of an entry the checkpoint does not cover is a usage error.
    let output = run(&truncated, &["prove", "44"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Rewrites entry `target`'s event and recomputes every hash after it, as a
/// forger with the files would.
fn forge(lines: &[String], target: u64) -> Vec<String> {
    let mut out = vec![lines[0].clone()];
    let mut previous = [0u8; 32];
    for line in &lines[1..lines.len() - 1] {
        let mut value: Value = serde_json::from_str(line).unwrap();
        let seq = value["seq"].as_u64().unwrap();
        let mut payload = BASE64.decode(value["payload"].as_str().unwrap()).unwrap();
        if seq == target {
            let mut event = Event::decode(&payload).unwrap();
            if let Body::DisputeRuling(ruling) = &mut event.body {
                ruling.summary = Some(Text::new("No infringement found").unwrap());
            }
            payload = event.encode().unwrap();
        }
        let header = Header {
            version: 1,
            seq,
            recorded_at: value["recorded_at"].as_i64().unwrap(),
            payload_len: payload.len() as u32,
            prev_hash: previous,
        };
        let entry = Entry { header, payload };
        previous = entry.hash();
        value["payload"] = BASE64.encode(&entry.payload).into();
        value["payload_len"] = entry.payload.len().into();
        value["prev_hash"] = docket_log::hex(&entry.header.prev_hash).into();
        value["hash"] = docket_log::hex(&previous).into();
        out.push(value.to_string());
    }
    out.push(
        serde_json::json!({"end": {"size": lines.len() - 2, "head": docket_log::hex(&previous)}})
            .to_string(),
    );
    out
}

#[test]
fn a_rewritten_and_rehashed_history_passes_the_chain_but_not_the_checkpoint() {
    let setup = setup();
    let lines = setup.export_lines();
    let ruling_seq = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["seq"].is_u64())
        .find(|v| {
            let payload = BASE64.decode(v["payload"].as_str().unwrap()).unwrap();
            Event::decode(&payload).unwrap().kind().as_str() == "dispute.ruling"
        })
        .unwrap()["seq"]
        .as_u64()
        .unwrap();
    let forged = setup.restored("forged.ledger", forge(&lines, ruling_seq));
    assert_eq!(
        run_json(&forged, &["verify"])["ok"],
        true,
        "the forger recomputed the chain"
    );
    let output = verify_against(&forged, &setup);
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("history was rewritten") && stderr.contains("first 45 entries"),
        "{stderr}"
    );
}

#[test]
fn proofs_check_out_without_a_ledger_and_fail_when_altered() {
    let setup = setup();
    let key = setup.path("keeper.key");
    let proof = run_ok(
        &setup.ledger,
        &[
            "prove",
            "nokia-amazon-settlement",
            "--sign-with",
            key.to_str().unwrap(),
        ],
    );
    let file = setup.path("proof.json");
    std::fs::write(&file, &proof).unwrap();
    let public = setup.path("keeper.pub");
    let checked = run_json(
        Path::new("no.ledger"),
        &[
            "verify-proof",
            file.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
        ],
    );
    assert_eq!(checked["ok"], true);
    assert_eq!(checked["event"]["kind"], "dispute.settled");

    // Against an earlier checkpoint too.
    let earlier = run_ok(
        &setup.ledger,
        &[
            "prove",
            "3",
            "--checkpoint",
            setup.checkpoint.to_str().unwrap(),
        ],
    );
    let earlier_file = setup.path("earlier.json");
    std::fs::write(&earlier_file, earlier).unwrap();
    run_ok(
        Path::new("no.ledger"),
        &[
            "verify-proof",
            earlier_file.to_str().unwrap(),
            "--key",
            public.to_str().unwrap(),
        ],
    );

    let mut value: Value = serde_json::from_str(&proof).unwrap();
    let first = value["entry"]["proof"][0].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        if first.starts_with('0') { "1" } else { "0" },
        &first[1..]
    );
    value["entry"]["proof"][0] = flipped.into();
    std::fs::write(&file, value.to_string()).unwrap();
    let output = run(
        Path::new("no.ledger"),
        &["verify-proof", file.to_str().unwrap()],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "a key, or --unsigned, is required"
    );
    let output = run(
        Path::new("no.ledger"),
        &["verify-proof", "--unsigned", file.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not included"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_bundle_verifies_alone_and_fails_precisely_when_tampered_with() {
    let setup = setup();
    let bundle = setup.path("bundle.json");
    let key = setup.path("keeper.key");
    run_ok(
        &setup.ledger,
        &[
            "bundle",
            "--dispute",
            "nokia-v-amazon-lg-munich",
            "-o",
            bundle.to_str().unwrap(),
            "--sign-with",
            key.to_str().unwrap(),
        ],
    );
    let public = setup.path("keeper.pub");
    let verify = |file: &Path, key: &Path| {
        run(
            Path::new("no.ledger"),
            &[
                "verify-bundle",
                file.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
            ],
        )
    };
    let output = verify(&bundle, &public);
    let story = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        story.contains("injunction") && story.contains("settled"),
        "{story}"
    );

    let original: Value = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let tampered = setup.path("tampered.json");
    let expect_failure = |value: &Value, key: &Path, fragment: &str| {
        std::fs::write(&tampered, value.to_string()).unwrap();
        let output = verify(&tampered, key);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{fragment}: {stderr}");
        assert!(
            stderr.contains(fragment),
            "expected {fragment:?} in {stderr}"
        );
    };

    // One entry removed: each remaining proof is fine, the manifest is not.
    let mut removed = original.clone();
    removed["entries"].as_array_mut().unwrap().remove(1);
    expect_failure(&removed, &public, "signed manifest does not match");

    // One byte changed in a payload.
    let mut changed = original.clone();
    let payload = changed["entries"][0]["payload"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = BASE64.decode(&payload).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    changed["entries"][0]["payload"] = BASE64.encode(&bytes).into();
    expect_failure(&changed, &public, "do not match its hash");

    // Checked against another key.
    expect_failure(&original, &setup.path("stranger.pub"), "not signed by");
}
