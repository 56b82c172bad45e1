//! Signed payloads (format version 2): round trips next to version 1,
//! hostile bytes, and golden bytes of one small signed event.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;

use super::{hex, parse, unhex};
use crate::limits::MAX_PAYLOAD;
use crate::{DecodeError, Event, PublicKey, SIGNING_CONTEXT, Signature, testing};

/// The version-1 bytes of `e` and its version-2 bytes under `s`.
fn both(e: &Event, s: &Signature) -> (Vec<u8>, Vec<u8>) {
    (e.encode().unwrap(), e.encode_signed(s).unwrap())
}

/// Decoding either fails or gives back exactly what encodes to the input.
fn canonical_or_error(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok((e, signature)) = Event::decode_signed(bytes) {
        let again = match &signature {
            Some(s) => e.encode_signed(s).ok(),
            None => e.encode().ok(),
        };
        prop_assert_eq!(again.as_deref(), Some(bytes));
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config::with_cases(64))]

    /// The canonical-form check behind every decode: the event encodes to
    /// exactly its bytes, and to nothing shorter, longer or different by
    /// one byte, with or without its signature.
    #[test]
    fn the_canonical_check_compares_every_byte(e in testing::event(), s in testing::signature()) {
        use crate::codec::encodes_to;
        let (unsigned, signed) = both(&e, &s);
        prop_assert!(encodes_to(&e, None, &unsigned));
        prop_assert!(encodes_to(&e, Some(&s), &signed));
        prop_assert!(!encodes_to(&e, Some(&s), &unsigned));
        prop_assert!(!encodes_to(&e, None, &signed));
        for bytes in [&unsigned, &signed] {
            let signature = (bytes == &signed).then_some(&s);
            prop_assert!(!encodes_to(&e, signature, &bytes[..bytes.len() - 1]));
            let mut longer = bytes.clone();
            longer.push(0);
            prop_assert!(!encodes_to(&e, signature, &longer));
            for at in (0..bytes.len()).step_by(7) {
                let mut changed = bytes.clone();
                changed[at] ^= 0x20;
                prop_assert!(!encodes_to(&e, signature, &changed), "byte {}", at);
            }
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(512))]

    #[test]
    fn signed_and_unsigned_round_trip(e in testing::event(), s in testing::signature()) {
        let (unsigned, signed) = both(&e, &s);
        prop_assert_eq!(Event::decode_signed(&signed).ok(), Some((e.clone(), Some(s.clone()))));
        prop_assert_eq!(Event::decode_signed(&unsigned).ok(), Some((e.clone(), None)));
        prop_assert_eq!(Event::decode(&signed).ok(), Some(e.clone()));
        prop_assert_eq!(Event::decode(&unsigned).ok(), Some(e.clone()));

        // Version 2 is version 1 with another first byte and a tail.
        prop_assert_eq!(signed[0], 2);
        prop_assert_eq!(unsigned[0], 1);
        prop_assert_eq!(signed.len(), unsigned.len() + Signature::LEN);
        let (body, tail) = signed.split_at(unsigned.len());
        prop_assert_eq!(&body[1..], &unsigned[1..]);
        prop_assert_eq!(&tail[..32], s.key.as_bytes().as_slice());
        prop_assert_eq!(&tail[32..], s.bytes.as_slice());

        // What is signed: the context, a zero byte, the version-1 payload.
        let signing = e.signing_bytes().unwrap();
        let mut expected = SIGNING_CONTEXT.as_bytes().to_vec();
        expected.push(0);
        expected.extend(&unsigned);
        prop_assert_eq!(signing, expected);
    }

    #[test]
    fn signed_mutations_never_panic(
        e in testing::event(),
        s in testing::signature(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let (_, mut signed) = both(&e, &s);
        let i = at.index(signed.len());
        prop_assume!(signed[i] != byte);
        signed[i] = byte;
        canonical_or_error(&signed)?;
        // A changed byte never decodes to the original event and signature.
        prop_assert_ne!(Event::decode_signed(&signed).ok(), Some((e.clone(), Some(s))));
        // In the tail it changes only the signature, never the event.
        if i >= signed.len() - Signature::LEN {
            prop_assert_eq!(Event::decode(&signed).ok(), Some(e));
        }
    }

    #[test]
    fn signed_truncations_and_extensions(
        e in testing::event(),
        s in testing::signature(),
        at in any::<prop::sample::Index>(),
        extra in vec(any::<u8>(), 1..8),
    ) {
        let (_, signed) = both(&e, &s);
        let cut = at.index(signed.len());
        prop_assert!(Event::decode_signed(&signed[..cut]).is_err(), "prefix of {} bytes accepted", cut);
        let mut longer = signed.clone();
        longer.extend(&extra);
        let trailing = matches!(
            Event::decode_signed(&longer),
            Err(DecodeError::TrailingBytes { trailing }) if trailing == extra.len()
        );
        prop_assert!(trailing);
    }

    #[test]
    fn arbitrary_bytes_after_version_2(bytes in vec(any::<u8>(), 0..512)) {
        let mut payload = vec![2u8];
        payload.extend(bytes);
        canonical_or_error(&payload)?;
    }

    #[test]
    fn the_signature_covers_the_id(e in testing::event(), id in testing::event_id()) {
        prop_assume!(e.id.as_ref() != Some(&id));
        let mut other = e.clone();
        other.id = Some(id);
        prop_assume!(other.check().is_ok());
        prop_assert_ne!(other.signing_bytes().unwrap(), e.signing_bytes().unwrap());
    }
}

#[test]
fn swapped_version_bytes_are_refused() {
    let e = parse(r#"{"kind":"acquisition","effective":"2024-01-02","acquirer":"a","target":"b"}"#);
    let s = Signature {
        key: PublicKey::from_bytes([7; 32]),
        bytes: [9; 64],
    };
    let (mut unsigned, mut signed) = both(&e, &s);
    // A version-1 payload claiming version 2 lacks its key and signature.
    unsigned[0] = 2;
    let err = Event::decode_signed(&unsigned).unwrap_err();
    assert!(matches!(err, DecodeError::Malformed(_)), "{err}");
    assert!(
        err.to_string()
            .contains("ends 0 bytes into the key and signature"),
        "{err}"
    );
    // A version-2 payload claiming version 1 has 96 bytes too many.
    signed[0] = 1;
    assert!(matches!(
        Event::decode(&signed),
        Err(DecodeError::TrailingBytes { trailing: 96 })
    ));
    // A key without its signature.
    signed[0] = 2;
    let err = Event::decode_signed(&signed[..signed.len() - 64]).unwrap_err();
    assert!(err.to_string().contains("ends 32 bytes into"), "{err}");
    assert!(matches!(
        Event::decode_signed(&vec![2u8; MAX_PAYLOAD + 1]),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn golden_signed_acquisition() {
    let e = parse(
        r#"{"id":"a1","kind":"acquisition","effective":"2024-01-02","acquirer":"a","target":"b"}"#,
    );
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let bytes: [u8; 64] = std::array::from_fn(|i| 0x20 + i as u8);
    let s = Signature {
        key: PublicKey::from_bytes(key),
        bytes,
    };
    let expected = unhex(
        "02                            # version 2: signed
         01 0000000000000002 6131      # id \"a1\"
         00 07e8 01 02                 # effective: date 2024-01-02
         0d                            # kind 13: acquisition
         0000000000000001 61           # acquirer \"a\"
         0000000000000001 62           # target \"b\"
         0000000000000000              # sources: none
         00                            # note: absent
         000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f   # public key
         202122232425262728292a2b2c2d2e2f 303132333435363738393a3b3c3d3e3f   # signature
         404142434445464748494a4b4c4d4e4f 505152535455565758595a5b5c5d5e5f",
    );
    assert_eq!(hex(&e.encode_signed(&s).unwrap()), hex(&expected));
    assert_eq!(
        Event::decode_signed(&expected).unwrap(),
        (e.clone(), Some(s))
    );
    let signing = unhex(
        "646f636b6574 20 7631 20 6576656e74 20 7369676e6174757265   # \"docket v1 event signature\"
         00
         01 01 0000000000000002 6131 00 07e8 01 02 0d              # the version-1 payload
         0000000000000001 61 0000000000000001 62 0000000000000000 00",
    );
    assert_eq!(hex(&e.signing_bytes().unwrap()), hex(&signing));
}
