//! The limits budget: the largest valid event still fits in a payload and
//! in a JSON text, and decodes back.

use crate::limits::*;
use crate::*;

/// A text of `n` four-byte characters, starting with `tag` to keep list
/// members distinct.
fn t(tag: usize, n: usize) -> Text {
    let tag = format!("{tag:04}");
    let fill = "𝄞".repeat(n - tag.len());
    Text::new(tag + &fill).unwrap()
}

fn slug(tag: usize) -> Slug {
    Slug::new(format!("{tag:04}{}", "s".repeat(MAX_SLUG - 4))).unwrap()
}

fn source(tag: usize) -> Source {
    Source {
        title: Some(t(tag, MAX_TITLE)),
        url: Some(t(tag, MAX_URL)),
        citation: Some(t(tag, MAX_CITATION)),
        digest: Some(Digest::of(&tag.to_be_bytes())),
    }
}

fn biggest_filing() -> Event {
    Event {
        id: None,
        effective: Effective::parse("2024-07-24T09:30:00.123456+01:00").unwrap(),
        sources: (0..MAX_SOURCES).map(source).collect(),
        note: Some(t(0, MAX_PROSE)),
        body: Body::DisputeFiled(Box::new(DisputeFiled {
            dispute: slug(0),
            title: t(0, MAX_TITLE),
            forum: Forum {
                court: slug(1),
                case_number: Some(t(0, MAX_CASE_NUMBER)),
                name: Some(t(0, MAX_NAME)),
            },
            nature: Nature::Patent,
            plaintiffs: (0..MAX_SIDE).map(slug).collect(),
            defendants: (MAX_SIDE..2 * MAX_SIDE).map(slug).collect(),
            claims: (0..MAX_CLAIMS)
                .map(|i| Claim {
                    patent: Some(t(i, MAX_PATENT)),
                    area: Some(t(i, MAX_AREA)),
                })
                .collect(),
            accused: (0..MAX_ACCUSED).map(|i| t(i, MAX_PRODUCT)).collect(),
            responds_to: Some(slug(2)),
        })),
    }
}

#[test]
fn the_largest_valid_event_fits() {
    let event = Event {
        id: Some(EventId::new("i".repeat(MAX_EVENT_ID)).unwrap()),
        effective: Effective::parse("2024-07-25").unwrap(),
        sources: (0..MAX_SOURCES).map(source).collect(),
        note: Some(t(1, MAX_PROSE)),
        body: Body::Correction(Correction {
            target: EventId::new("t".repeat(MAX_EVENT_ID)).unwrap(),
            reason: t(2, MAX_PROSE),
            replacement: Box::new(biggest_filing()),
        }),
    };
    event.check().unwrap();
    let bytes = event.encode().unwrap();
    assert!(bytes.len() <= MAX_PAYLOAD, "{} bytes", bytes.len());
    // Keep headroom so that bincode's up-front allocation claims never
    // reach the limit either.
    assert!(bytes.len() < MAX_PAYLOAD * 7 / 8, "{} bytes", bytes.len());
    assert_eq!(Event::decode(&bytes).unwrap(), event);
    // Signed, it is 96 bytes longer and still fits.
    let signature = Signature {
        key: PublicKey::from_bytes([0xff; 32]),
        bytes: [0xff; 64],
    };
    let signed = event.encode_signed(&signature).unwrap();
    assert_eq!(signed.len(), bytes.len() + Signature::LEN);
    assert!(signed.len() < MAX_PAYLOAD * 7 / 8, "{} bytes", signed.len());
    assert_eq!(
        Event::decode_signed(&signed).unwrap(),
        (event.clone(), Some(signature))
    );
    let json = event.to_json_string();
    assert!(json.len() <= MAX_JSON, "{} bytes of JSON", json.len());
    assert_eq!(Event::from_json(&json).unwrap(), event);
}

#[test]
fn one_more_than_a_limit_is_refused() {
    let mut e = biggest_filing();
    if let Body::DisputeFiled(f) = &mut e.body {
        f.defendants.push(slug(999));
    }
    let err = e.check().unwrap_err();
    assert_eq!(err.path(), "$.defendants");
    assert_eq!(err.message(), "too many defendants: 65, at most 64");
    assert!(matches!(e.encode(), Err(EncodeError::Invalid(_))));

    let mut e = biggest_filing();
    if let Body::DisputeFiled(f) = &mut e.body {
        f.claims[7].area = Some(t(7, MAX_AREA + 1));
    }
    let err = e.check().unwrap_err();
    assert_eq!(err.path(), "$.claims[7].area");
    assert_eq!(err.message(), "too long: 129 characters, at most 128");
}
