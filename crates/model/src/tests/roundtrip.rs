//! Round trips through JSON and bytes, for arbitrary valid events.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::json_in::kind_fields;
use crate::testing;
use crate::{Event, Kind, Text};

/// Every property at once, so that each generated event is checked fully.
fn round_trips(e: &Event) -> Result<(), TestCaseError> {
    e.check()
        .map_err(|err| TestCaseError::fail(format!("generated invalid: {err}")))?;

    let json = e.to_json_string();
    prop_assert!(!json.contains('\n'), "one line: {}", json);
    let back =
        Event::from_json(&json).map_err(|err| TestCaseError::fail(format!("{json}: {err}")))?;
    prop_assert_eq!(&back, e);
    let from_bytes = Event::from_json_bytes(json.as_bytes()).ok();
    prop_assert_eq!(from_bytes.as_ref(), Some(e));
    prop_assert_eq!(
        back.to_json_string(),
        json.clone(),
        "JSON output is canonical"
    );

    let bytes = e
        .encode()
        .map_err(|err| TestCaseError::fail(err.to_string()))?;
    let decoded = Event::decode(&bytes).map_err(|err| TestCaseError::fail(err.to_string()))?;
    prop_assert_eq!(&decoded, e);
    prop_assert_eq!(decoded.encode().ok(), Some(bytes));

    let id = e.derived_id();
    prop_assert_eq!(back.derived_id(), id.clone(), "stable across JSON");
    prop_assert_eq!(decoded.derived_id(), id.clone(), "stable across bytes");
    prop_assert_eq!(
        e.clone().with_derived_id().derived_id(),
        id.clone(),
        "id not hashed"
    );
    Ok(())
}

proptest! {
    #![proptest_config(Config::with_cases(512))]

    #[test]
    fn json_and_bytes_round_trip(e in testing::event()) {
        round_trips(&e)?;
    }

    #[test]
    fn derived_id_changes_with_content(e in testing::event(), note in testing::prose()) {
        let mut other = e.clone();
        prop_assume!(other.note.as_ref() != Some(&note));
        other.note = Some(note);
        prop_assert_ne!(other.derived_id(), e.derived_id());

        let mut later = e.clone();
        later.effective = match e.effective {
            crate::Effective::Date(d) => crate::Effective::Date(
                d.yesterday().unwrap_or(d),
            ),
            crate::Effective::Timestamp { at, offset_seconds } => crate::Effective::Timestamp {
                at, offset_seconds: if offset_seconds == 0 { 60 } else { 0 },
            },
        };
        prop_assume!(later.effective != e.effective);
        prop_assert_ne!(later.derived_id(), e.derived_id());
    }

    #[test]
    fn json_fields_come_in_canonical_order(e in testing::event()) {
        let value = e.to_json_value();
        let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let order: Vec<&str> = ["id", "kind", "effective"]
            .into_iter()
            .chain(kind_fields(e.kind()).iter().copied())
            .chain(["sources", "note"])
            .collect();
        let mut expected: Vec<&str> = order.into_iter().filter(|k| keys.contains(k)).collect();
        expected.dedup();
        prop_assert_eq!(keys, expected);
    }
}

/// Each kind explicitly, so that no kind can go untested by chance.
#[test]
fn every_kind_round_trips() {
    for kind in Kind::ALL {
        let mut runner = TestRunner::new(Config::with_cases(48));
        let result = runner.run(&testing::event_of_kind(kind), |e| {
            prop_assert_eq!(e.kind(), kind);
            round_trips(&e)
        });
        if let Err(e) = result {
            panic!("{kind}: {e}");
        }
    }
}

#[test]
fn optional_lists_empty_or_absent_mean_the_same() {
    let absent = super::parse(
        r#"{"kind":"entity.registered","effective":"2024-01-01","entity":"a","name":"A"}"#,
    );
    let empty = super::parse(
        r#"{"kind":"entity.registered","effective":"2024-01-01","entity":"a","name":"A","aliases":[],"sources":[],"note":null,"parent":null}"#,
    );
    let explicit = super::parse(
        r#"{"kind":"entity.registered","effective":"2024-01-01","entity":"a","name":"A","category":"company"}"#,
    );
    assert_eq!(absent, empty);
    assert_eq!(absent, explicit);
    assert_eq!(
        absent.to_json_string(),
        r#"{"kind":"entity.registered","effective":"2024-01-01","entity":"a","name":"A","category":"company"}"#
    );
}

#[test]
fn entry_numbers_may_be_integers() {
    let e = super::parse(
        r#"{"kind":"dispute.entry","effective":"2024-01-01","dispute":"d","description":"Complaint","number":12}"#,
    );
    let crate::Body::DisputeEntry(entry) = &e.body else {
        panic!("wrong kind")
    };
    assert_eq!(entry.number, Some(Text::new("12").unwrap()));
    assert!(e.to_json_string().contains(r#""number":"12""#));
}

#[test]
fn canonical_json_of_a_full_event() {
    let input = r#"{
        "note": "reported by Reuters",
        "sources": [{"url": "https://example.com/a", "title": "Nokia sues Amazon"}],
        "defendants": ["amazon", "twitch"],
        "plaintiffs": ["nokia"],
        "nature": "patent",
        "forum": {"name": "D. Del.", "court": "ded", "case_number": "1:23-cv-01236"},
        "title": "Nokia v. Amazon",
        "dispute": "nokia-v-amazon-ded",
        "claims": [{"area": "video streaming"}, {"patent": "US 7,724,818"}],
        "accused": ["Prime Video", "Fire TV"],
        "effective": "2023-10-31T15:00:00.250-04:00",
        "kind": "dispute.filed",
        "id": "E-1"
    }"#;
    let e = super::parse(input);
    assert_eq!(
        e.to_json_string(),
        concat!(
            r#"{"id":"E-1","kind":"dispute.filed","effective":"2023-10-31T15:00:00.25-04:00","#,
            r#""dispute":"nokia-v-amazon-ded","title":"Nokia v. Amazon","#,
            r#""forum":{"court":"ded","case_number":"1:23-cv-01236","name":"D. Del."},"#,
            r#""nature":"patent","plaintiffs":["nokia"],"defendants":["amazon","twitch"],"#,
            r#""claims":[{"area":"video streaming"},{"patent":"US 7,724,818"}],"#,
            r#""accused":["Prime Video","Fire TV"],"#,
            r#""sources":[{"title":"Nokia sues Amazon","url":"https://example.com/a"}],"#,
            r#""note":"reported by Reuters"}"#
        )
    );
    let slugs = |v: Vec<&crate::Slug>| v.into_iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(slugs(e.entities()), ["ded", "nokia", "amazon", "twitch"]);
    assert_eq!(slugs(e.disputes()), ["nokia-v-amazon-ded"]);
}
