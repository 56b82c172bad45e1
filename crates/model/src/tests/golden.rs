//! Golden bytes: the exact payloads of small fixed events, written out by
//! hand from the layout in the `codec` module docs. If one of these fails,
//! the stored format changed: bump `FORMAT_VERSION` and keep reading the old
//! one instead of editing the expected bytes.

use super::{hex, parse, unhex};
use crate::Event;

fn check(json: &str, expected_hex: &str) -> Event {
    let event = parse(json);
    let expected = unhex(expected_hex);
    let bytes = event.encode().unwrap();
    assert_eq!(hex(&bytes), hex(&expected), "encoding of {json}");
    assert_eq!(Event::decode(&expected).unwrap(), event);
    event
}

#[test]
fn acquisition_with_a_date() {
    let e = check(
        r#"{"kind":"acquisition","effective":"2024-01-02","acquirer":"a","target":"b"}"#,
        "01                    # version 1
         00                    # id: absent
         00 07e8 01 02         # effective: date 2024-01-02
         0d                    # kind 13: acquisition
         0000000000000001 61   # acquirer \"a\"
         0000000000000001 62   # target \"b\"
         0000000000000000      # sources: none
         00                    # note: absent",
    );
    // The derived id is the keyed hash of exactly those bytes.
    let payload =
        unhex("01 00 00 07e8 01 02 0d 0000000000000001 61 0000000000000001 62 0000000000000000 00");
    let hash = blake3::Hasher::new_derive_key("docket v1 event id")
        .update(&payload)
        .finalize();
    let expected = format!("d:{}", &hash.to_hex()[..32]);
    assert_eq!(e.derived_id().as_str(), expected);
    assert_eq!(
        e.derived_id().as_str(),
        "d:82301d9cfbdedd457e5ba427a73a5007"
    );
}

#[test]
fn retraction_with_id_timestamp_source_and_note() {
    let digest = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    check(
        &format!(
            r#"{{"id":"r1","kind":"retraction","effective":"2024-07-24T09:30:00.5+01:00","target":"x","reason":"y","sources":[{{"digest":"blake3:{digest}"}}],"note":"n"}}"#
        ),
        &format!(
            "01
             01 0000000000000002 7231      # id \"r1\"
             01 00061dfa15879320 00000e10  # timestamp 2024-07-24T08:30:00.5Z, offset +3600 s
             10                            # kind 16: retraction
             0000000000000001 78           # target \"x\"
             0000000000000001 79           # reason \"y\"
             0000000000000001              # one source:
             00 00 00 01 {digest}            # no title, url, citation; a digest
             01 0000000000000001 6e        # note \"n\""
        ),
    );
}

#[test]
fn correction_wrapping_a_rename() {
    check(
        r#"{"kind":"correction","effective":"2024-01-02","target":"e1","reason":"r","replacement":{"kind":"entity.renamed","effective":"2024-01-01","entity":"a","name":"A"}}"#,
        "01 00 00 07e8 01 02
         0f                            # kind 15: correction
         0000000000000002 6531         # target \"e1\"
         0000000000000001 72           # reason \"r\"
         00 00 07e8 01 01              # replacement: no id, 2024-01-01
         01                            # kind 1: entity.renamed
         0000000000000001 61           # entity \"a\"
         0000000000000001 41           # name \"A\"
         0000000000000000 00           # replacement sources, note
         0000000000000000 00           # sources, note",
    );
}

#[test]
fn dispute_filed_with_every_kind_of_field() {
    check(
        r#"{"kind":"dispute.filed","effective":"2023-10-31T12:00:00-05:30","dispute":"d","title":"T","forum":{"court":"c","name":"N"},"nature":"trade-secret","plaintiffs":["p"],"defendants":["q","r"],"claims":[{"area":"v"}],"accused":["X"],"responds_to":"e"}"#,
        "01 00
         01 00060906810f9600 ffffb2a8   # 2023-10-31T17:30:00Z, offset -19800 s
         02                             # kind 2: dispute.filed
         0000000000000001 64            # dispute \"d\"
         0000000000000001 54            # title \"T\"
         0000000000000001 63 00 01 0000000000000001 4e   # forum: court \"c\", no case number, name \"N\"
         03                             # nature: trade-secret
         0000000000000001 0000000000000001 70                       # plaintiffs [\"p\"]
         0000000000000002 0000000000000001 71 0000000000000001 72   # defendants [\"q\", \"r\"]
         0000000000000001 00 01 0000000000000001 76                 # claims [{area \"v\"}]
         0000000000000001 0000000000000001 58                       # accused [\"X\"]
         01 0000000000000001 65         # responds_to \"e\"
         0000000000000000 00",
    );
}

#[test]
fn key_authorized_as_admin_with_a_name() {
    check(
        r#"{"kind":"key.authorized","effective":"2024-01-02","key":"ed25519:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","role":"admin","name":"al"}"#,
        "01 00 00 07e8 01 02
         11                            # kind 17: key.authorized
         00112233445566778899aabbccddeeff 00112233445566778899aabbccddeeff   # key, 32 raw bytes
         01                            # role: admin
         01 0000000000000002 616c      # name \"al\"
         0000000000000000 00           # sources, note",
    );
}

#[test]
fn key_revoked_without_a_reason() {
    check(
        r#"{"kind":"key.revoked","effective":"2024-01-02","key":"ed25519:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"}"#,
        "01 00 00 07e8 01 02
         12                            # kind 18: key.revoked
         ffeeddccbbaa99887766554433221100 ffeeddccbbaa99887766554433221100   # key
         00                            # reason: absent
         0000000000000000 00           # sources, note",
    );
}
