//! Authorised writers: every way of signing wrongly is refused on append,
//! and detected by `verify` when planted in the store directly.

use std::path::{Path, PathBuf};

use docket_ledger::SecretKey;
use docket_log::{Log, NewEntry};
use docket_model::Event;

use crate::support::{head_of, run, run_json, run_ok};

struct Keys {
    dir: PathBuf,
}

impl Keys {
    fn make(&self, name: &str) -> SecretKey {
        let prefix = self.dir.join(name);
        run_ok(
            Path::new("unused.ledger"),
            &["keygen", "--out", prefix.to_str().unwrap()],
        );
        SecretKey::from_text(&std::fs::read_to_string(self.key(name)).unwrap()).unwrap()
    }
    fn key(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.key"))
    }
    fn public(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.pub")))
            .unwrap()
            .trim()
            .to_string()
    }
}

fn entity(id: &str, slug: &str) -> String {
    format!(
        r#"{{"id":"{id}","kind":"entity.registered","effective":"2020-01-01","entity":"{slug}","name":"{slug} Inc."}}"#
    )
}

fn key_event(id: &str, kind: &str, key: &str) -> String {
    format!(r#"{{"id":"{id}","kind":"{kind}","effective":"2024-01-01","key":"{key}"}}"#)
}

fn append(ledger: &Path, dir: &Path, event: &str, key: Option<&Path>) -> std::process::Output {
    let file = dir.join("event.json");
    std::fs::write(&file, event).unwrap();
    let mut args = vec!["append".to_string()];
    if let Some(key) = key {
        args.push("--sign-with".into());
        args.push(key.to_str().unwrap().into());
    }
    args.push(file.to_str().unwrap().into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(ledger, &args)
}

/// A signed ledger: admin, alice (writer), bob (authorised then revoked).
fn signed_ledger(dir: &Path) -> (PathBuf, Keys) {
    let keys = Keys {
        dir: dir.to_path_buf(),
    };
    keys.make("admin");
    keys.make("alice");
    keys.make("bob");
    keys.make("carol");
    let ledger = dir.join("signed.ledger");
    run_ok(
        &ledger,
        &[
            "init",
            "--require-signatures",
            "--admin-key",
            dir.join("admin.pub").to_str().unwrap(),
        ],
    );
    let admin = keys.key("admin");
    for (id, kind, who) in [
        ("auth-alice", "key.authorized", "alice"),
        ("auth-bob", "key.authorized", "bob"),
        ("revoke-bob", "key.revoked", "bob"),
    ] {
        let output = append(
            &ledger,
            dir,
            &key_event(id, kind, &keys.public(who)),
            Some(&admin),
        );
        assert!(
            output.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let output = append(
        &ledger,
        dir,
        &entity("acme", "acme"),
        Some(&keys.key("alice")),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (ledger, keys)
}

#[test]
fn wrong_signatures_are_refused_on_append() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, keys) = signed_ledger(dir.path());
    let before = head_of(&ledger);
    let cases: [(&str, Option<PathBuf>, &str); 4] = [
        ("unsigned", None, "not signed"),
        (
            "signed by a revoked key",
            Some(keys.key("bob")),
            "not an authorised key",
        ),
        (
            "signed by a key never authorised",
            Some(keys.key("carol")),
            "not an authorised key",
        ),
        (
            "key event signed by a writer",
            Some(keys.key("alice")),
            "only an admin",
        ),
    ];
    for (name, key, fragment) in cases {
        let event = if name.starts_with("key event") {
            key_event("auth-carol", "key.authorized", &keys.public("carol"))
        } else {
            entity("beta", "beta")
        };
        let output = append(&ledger, dir.path(), &event, key.as_deref());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{name}: {stderr}");
        assert!(stderr.contains(fragment), "{name}: {stderr}");
        assert_eq!(head_of(&ledger).hash, before.hash, "{name}");
    }
    // Keys cannot be retracted (only revoked).
    let retraction =
        r#"{"kind":"retraction","effective":"2024-02-01","target":"revoke-bob","reason":"undo"}"#;
    let output = append(&ledger, dir.path(), retraction, Some(&keys.key("admin")));
    assert_eq!(output.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&output.stderr).contains("revoke them instead"));
    // An unsigned ledger refuses key events altogether.
    let plain = dir.path().join("plain.ledger");
    run_ok(&plain, &["init"]);
    let output = append(
        &plain,
        dir.path(),
        &key_event("k", "key.authorized", &keys.public("alice")),
        None,
    );
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(run_json(&ledger, &["verify"])["signatures_checked"], 4);
}

/// Appends a raw payload behind the ledger's back, as a forger with write
/// access to the files would.
/// It even writes the id index key, so only the signature gives it away.
fn plant(ledger: &Path, payload: Vec<u8>) -> u64 {
    let id = Event::decode(&payload).unwrap().id.unwrap();
    let index_keys = vec![[b"id:".as_slice(), id.as_str().as_bytes()].concat()];
    let log = Log::open(ledger).unwrap();
    let appended = log
        .append(vec![NewEntry {
            payload,
            index_keys,
        }])
        .unwrap();
    appended[0].seq
}

fn event(json: &str) -> Event {
    Event::from_json(json).unwrap().with_derived_id()
}

#[test]
fn planted_entries_with_wrong_signatures_fail_verify() {
    let dir = tempfile::tempdir().unwrap();
    type Forge = Box<dyn Fn(&Keys) -> Vec<Vec<u8>>>;
    let cases: Vec<(&str, Forge)> = vec![
        (
            "unsigned",
            Box::new(|_| vec![event(&entity("p1", "p1")).encode().unwrap()]),
        ),
        (
            "badly signed",
            Box::new(|k| {
                let e = event(&entity("p2", "p2"));
                let mut signature = k.make_again("alice").sign(&e).unwrap();
                signature.bytes[10] ^= 0x40;
                vec![e.encode_signed(&signature).unwrap()]
            }),
        ),
        (
            "signed by a revoked key",
            Box::new(|k| {
                let e = event(&entity("p3", "p3"));
                vec![
                    e.encode_signed(&k.make_again("bob").sign(&e).unwrap())
                        .unwrap(),
                ]
            }),
        ),
        (
            "signed by a key authorised only later",
            Box::new(|k| {
                let e = event(&entity("p4", "p4"));
                let early = e
                    .encode_signed(&k.make_again("carol").sign(&e).unwrap())
                    .unwrap();
                let auth = event(&key_event(
                    "auth-carol",
                    "key.authorized",
                    &k.public("carol"),
                ));
                let later = auth
                    .encode_signed(&k.make_again("admin").sign(&auth).unwrap())
                    .unwrap();
                vec![early, later]
            }),
        ),
    ];
    for (i, (name, forge)) in cases.into_iter().enumerate() {
        let case_dir = dir.path().join(format!("case{i}"));
        std::fs::create_dir(&case_dir).unwrap();
        let (ledger, keys) = signed_ledger(&case_dir);
        run_ok(&ledger, &["verify"]);
        let payloads = forge(&keys);
        let first = payloads
            .into_iter()
            .map(|p| plant(&ledger, p))
            .min()
            .unwrap();
        let output = run(&ledger, &["--json", "verify"]);
        assert_eq!(output.status.code(), Some(3), "{name}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["failure"]["kind"], "signature", "{name}: {report}");
        assert_eq!(report["failure"]["seq"], first, "{name}: {report}");
    }
}

impl Keys {
    fn make_again(&self, name: &str) -> SecretKey {
        SecretKey::from_text(&std::fs::read_to_string(self.key(name)).unwrap()).unwrap()
    }
}

#[test]
fn keygen_protects_the_secret_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("me");
    run_ok(
        Path::new("unused.ledger"),
        &["keygen", "--out", prefix.to_str().unwrap()],
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("me.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = run(
        Path::new("unused.ledger"),
        &["keygen", "--out", prefix.to_str().unwrap()],
    );
    assert_ne!(again.status.code(), Some(0));
    let public = std::fs::read_to_string(dir.path().join("me.pub")).unwrap();
    assert!(
        public.starts_with("ed25519:") && public.trim().len() == 72,
        "{public}"
    );
}
