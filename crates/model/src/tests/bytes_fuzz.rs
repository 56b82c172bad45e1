//! Hostile input: the decoder and the JSON reader never panic, and whatever
//! the decoder accepts is canonical.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::limits::MAX_PAYLOAD;
use crate::{DecodeError, Event, testing};

/// Decoding either fails or yields an event (and signature) whose encoding
/// is the input; `decode` and `decode_signed` agree.
fn decodes_canonically_or_fails(bytes: &[u8]) -> Result<(), TestCaseError> {
    let decoded = Event::decode_signed(bytes);
    prop_assert_eq!(
        Event::decode(bytes).ok(),
        decoded.as_ref().ok().map(|(e, _)| e.clone())
    );
    if let Ok((e, signature)) = decoded {
        let again = match &signature {
            Some(s) => e.encode_signed(s).ok(),
            None => e.encode().ok(),
        };
        prop_assert_eq!(again.as_deref(), Some(bytes));
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config::with_cases(1024))]

    #[test]
    fn arbitrary_bytes(bytes in vec(any::<u8>(), 0..512)) {
        decodes_canonically_or_fails(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_after_the_version(bytes in vec(any::<u8>(), 0..512)) {
        let mut payload = vec![1u8];
        payload.extend(bytes);
        decodes_canonically_or_fails(&payload)?;
    }

    #[test]
    fn single_byte_mutations(e in testing::event(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = e.encode().unwrap();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        decodes_canonically_or_fails(&bytes)?;
        // A changed byte never decodes to the original event.
        prop_assert_ne!(Event::decode(&bytes).ok(), Some(e));
    }

    #[test]
    fn truncations_and_extensions(e in testing::event(), at in any::<prop::sample::Index>(), extra in vec(any::<u8>(), 1..8)) {
        let bytes = e.encode().unwrap();
        let cut = at.index(bytes.len());
        prop_assert!(Event::decode(&bytes[..cut]).is_err(), "prefix of {} bytes accepted", cut);
        let mut longer = bytes.clone();
        longer.extend(&extra);
        let trailing = matches!(
            Event::decode(&longer),
            Err(DecodeError::TrailingBytes { trailing }) if trailing == extra.len()
        );
        prop_assert!(trailing);
    }

    #[test]
    fn arbitrary_json_text(text in "\\PC{0,200}") {
        let _ = Event::from_json(&text);
    }

    #[test]
    fn mutated_json(e in testing::event(), at in any::<prop::sample::Index>(), ch in any::<char>()) {
        let mut chars: Vec<char> = e.to_json_string().chars().collect();
        let i = at.index(chars.len());
        chars[i] = ch;
        let text: String = chars.into_iter().collect();
        if let Ok(parsed) = Event::from_json(&text) {
            prop_assert_eq!(Event::from_json(&parsed.to_json_string()), Ok(parsed));
        }
    }
}

#[test]
fn empty_oversized_and_unknown_versions() {
    assert!(matches!(Event::decode(&[]), Err(DecodeError::Empty)));
    assert!(matches!(
        Event::decode(&vec![1u8; MAX_PAYLOAD + 1]),
        Err(DecodeError::TooLarge { .. })
    ));
    let mut bytes = super::parse(
        r#"{"kind":"acquisition","effective":"2024-01-02","acquirer":"a","target":"b"}"#,
    )
    .encode()
    .unwrap();
    for v in [0u8, 3, 255] {
        bytes[0] = v;
        assert!(matches!(Event::decode(&bytes), Err(DecodeError::UnknownVersion(x)) if x == v));
    }
}

#[test]
fn huge_lengths_do_not_allocate() {
    // version, no id, a date, dispute.settled, then a list of 2^62 disputes.
    let mut bytes = super::unhex("01 00 00 07e8 01 02 0a");
    bytes.extend((1u64 << 62).to_be_bytes());
    let err = Event::decode(&bytes).unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    // The same for a string length.
    let mut bytes = super::unhex("01 01");
    bytes.extend(u64::MAX.to_be_bytes());
    assert!(Event::decode(&bytes).is_err());
}

#[test]
fn invariants_are_enforced_on_bytes() {
    let event =
        super::parse(r#"{"kind":"dispute.settled","effective":"2024-01-02","disputes":["a"]}"#);
    let good = event.encode().unwrap();
    // An uppercase slug: 'a' -> 'A' in the last string.
    let mut upper = good.clone();
    let at = upper.iter().rposition(|&b| b == b'a').unwrap();
    upper[at] = b'A';
    let err = Event::decode(&upper).unwrap_err();
    assert!(matches!(err, DecodeError::Malformed(_)), "{err}");
    assert!(err.to_string().contains("slug"), "{err}");
    // An empty disputes list: count 0 and no member.
    let empty = super::unhex("01 00 00 07e8 01 02 0a 0000000000000000 00 0000000000000000 00");
    let err = Event::decode(&empty).unwrap_err();
    match err {
        DecodeError::Invalid(shape) => {
            assert_eq!(shape.path(), "$.disputes");
            assert_eq!(shape.message(), "must not be empty");
        }
        other => panic!("{other}"),
    }
    // February 30th.
    let feb30 = super::unhex("01 00 00 07e8 02 1e 0a 0000000000000001 61 00 0000000000000000 00");
    assert!(matches!(
        Event::decode(&feb30),
        Err(DecodeError::Malformed(_))
    ));
    // An option tag of 2.
    let tag2 = super::unhex("01 02");
    assert!(matches!(
        Event::decode(&tag2),
        Err(DecodeError::Malformed(_))
    ));
    // Unknown kind code.
    let kind99 = super::unhex("01 00 00 07e8 01 02 63");
    let err = Event::decode(&kind99).unwrap_err();
    assert!(err.to_string().contains("unknown kind code 99"), "{err}");
}

#[test]
fn nested_corrections_are_refused_while_decoding() {
    // A correction whose replacement is a correction, and so on, 10 000
    // times: refused at the second level without deep recursion.
    let level = super::unhex("00 00 07e8 01 02 0f 0000000000000001 65 0000000000000001 72");
    let mut bytes = vec![1u8];
    for _ in 0..10_000 {
        bytes.extend(&level);
    }
    let err = Event::decode(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("replacement cannot be a correction"),
        "{err}"
    );
}
