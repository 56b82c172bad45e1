//! The key events in JSON and bytes: defaults, canonical output, what they
//! mention, and why they can never be a correction's replacement.

use super::{parse, unhex};
use crate::{Body, Correction, DecodeError, Event, EventId, Kind, Role, Text};

const KEY: &str = "ed25519:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn authorized(extra: &str) -> Event {
    parse(&format!(
        r#"{{"kind":"key.authorized","effective":"2024-01-01","key":"{KEY}"{extra}}}"#
    ))
}

#[test]
fn role_defaults_to_writer_and_is_always_written() {
    let absent = authorized("");
    assert_eq!(absent, authorized(r#","role":null,"name":null"#));
    assert_eq!(absent, authorized(r#","role":"writer""#));
    let Body::KeyAuthorized(k) = &absent.body else {
        panic!("wrong kind")
    };
    assert_eq!(k.role, Role::Writer);
    assert_eq!(k.key.to_string(), KEY);
    assert_eq!(
        absent.to_json_string(),
        format!(
            r#"{{"kind":"key.authorized","effective":"2024-01-01","key":"{KEY}","role":"writer"}}"#
        )
    );
    let admin = authorized(r#","name":"alice","role":"admin""#);
    assert_eq!(
        admin.to_json_string(),
        format!(
            r#"{{"kind":"key.authorized","effective":"2024-01-01","key":"{KEY}","role":"admin","name":"alice"}}"#
        )
    );
    let revoked = parse(&format!(
        r#"{{"id":"k2","kind":"key.revoked","effective":"2024-02-01","key":"{KEY}","reason":"laptop lost\nin transit","note":"n"}}"#
    ));
    assert_eq!(revoked.kind(), Kind::KeyRevoked);
    assert_eq!(Event::from_json(&revoked.to_json_string()), Ok(revoked));
}

#[test]
fn key_events_mention_nothing() {
    let revoked = parse(&format!(
        r#"{{"kind":"key.revoked","effective":"2024-02-01","key":"{KEY}"}}"#
    ));
    for e in [authorized(r#","name":"alice""#), revoked] {
        assert!(e.kind().is_key());
        assert!(e.entities().is_empty());
        assert!(e.disputes().is_empty());
        assert!(e.partnerships().is_empty());
        assert_eq!(e.body.target(), None);
    }
}

#[test]
fn a_key_event_cannot_be_a_replacement() {
    // Built in memory: check refuses it at the replacement's kind.
    let correction = Event {
        id: None,
        effective: crate::Effective::parse("2024-01-02").unwrap(),
        sources: vec![],
        note: None,
        body: Body::Correction(Correction {
            target: EventId::new("k1").unwrap(),
            reason: Text::new("r").unwrap(),
            replacement: Box::new(authorized("")),
        }),
    };
    let err = correction.check().unwrap_err();
    assert_eq!(err.path(), "$.replacement.kind");
    assert!(
        err.message().contains("key events cannot be corrected"),
        "{err}"
    );
    assert!(correction.encode().is_err());
    // In bytes: refused as soon as the replacement's kind code is read.
    let bytes = unhex(
        "01 00 00 07e8 01 02 0f 0000000000000002 6b31 0000000000000001 72
         00 00 07e8 01 01 11",
    );
    let err = Event::decode(&bytes).unwrap_err();
    assert!(matches!(err, DecodeError::Malformed(_)), "{err}");
    assert!(
        err.to_string()
            .contains("a correction's replacement cannot be a key.authorized"),
        "{err}"
    );
    let revoked = unhex(
        "01 00 00 07e8 01 02 0f 0000000000000002 6b31 0000000000000001 72 00 00 07e8 01 01 12",
    );
    assert!(Event::decode(&revoked).is_err());
}

#[test]
fn an_unknown_role_code_is_refused_in_bytes() {
    let mut bytes = authorized("").encode().unwrap();
    // version, no id, date (5 bytes), kind, key (32 bytes), then the role.
    let role_at = 1 + 1 + 5 + 1 + 32;
    assert_eq!(bytes[role_at], 0);
    bytes[role_at] = 2;
    let err = Event::decode(&bytes).unwrap_err();
    assert!(err.to_string().contains("unknown role code 2"), "{err}");
}
