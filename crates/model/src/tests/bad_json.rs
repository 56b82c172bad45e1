//! A table of rejected JSON: each row names the path and a fragment of the
//! message that the error must carry.

use crate::Event;
use crate::limits::MAX_JSON;

/// A valid `dispute.filed`; rows edit it with `with`.
const FILED: &str = r#"{"kind":"dispute.filed","effective":"2023-10-31","dispute":"nokia-v-amazon","title":"Nokia v. Amazon","forum":{"court":"ded","case_number":"1:23-cv-01236"},"nature":"patent","plaintiffs":["nokia"],"defendants":["amazon","twitch"]}"#;

/// `FILED` with `from` replaced by `to` (which must occur).
fn with(from: &str, to: &str) -> String {
    assert!(FILED.contains(from), "{from}");
    FILED.replacen(from, to, 1)
}

fn correction(replacement: &str) -> String {
    format!(
        r#"{{"kind":"correction","effective":"2024-01-02","target":"e1","reason":"typo","replacement":{replacement}}}"#
    )
}

/// 64 lowercase hex digits: a well-formed public key after `ed25519:`.
const KEY_HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A `key.authorized` event with the given key fields (`"key":…` and more).
fn key_authorized(fields: &str) -> String {
    format!(r#"{{"kind":"key.authorized","effective":"2024-01-01",{fields}}}"#)
}

fn rows() -> Vec<(String, &'static str, &'static str)> {
    let long_title = "x".repeat(513);
    let sources17 = vec![r#"{"title":"t"}"#; 17].join(",");
    vec![
        ("{\"kind\":".into(), "$", "malformed JSON: EOF while parsing a value at line 1 column 8"),
        (format!("{FILED} {{}}"), "$", "malformed JSON: trailing characters"),
        ("[1,2]".into(), "$", "expected an event object, found a list"),
        (r#"{"effective":"2024-01-01"}"#.into(), "$.kind", "missing required field \"kind\""),
        (with(r#""kind":"dispute.filed""#, r#""kind":7"#), "$.kind", "expected a kind string, found a number"),
        (with("dispute.filed", "dispute.fled"), "$.kind", "unknown kind \"dispute.fled\""),
        (with(r#""nature""#, r#""colour":"red","nature""#), "$.colour", "unknown field \"colour\" for kind dispute.filed; expected one of: id, kind, effective, dispute, title, forum, nature, plaintiffs, defendants, claims, accused, responds_to, sources, note"),
        (r#"{"kind":"acquisition","effective":"2024-01-01","acquirer":"a","target":"b","plaintiffs":["a"]}"#.into(), "$.plaintiffs", "unknown field \"plaintiffs\" for kind acquisition"),
        (with(r#""effective":"2023-10-31","#, ""), "$.effective", "missing required field \"effective\""),
        (with("2023-10-31", "2024-02-30"), "$.effective", "invalid effective time \"2024-02-30\": no such day"),
        (with("2023-10-31", "2023-10-31T09:00:00"), "$.effective", "needs a UTC offset"),
        (with("2023-10-31", "1799-12-31"), "$.effective", "between 1800 and 2200"),
        (with(r#""effective":"2023-10-31""#, r#""effective":20231031"#), "$.effective", "expected a date (YYYY-MM-DD) or timestamp string, found a number"),
        (with(r#"["nokia"]"#, "[]"), "$.plaintiffs", "must not be empty"),
        (with(r#"["nokia"]"#, r#""nokia""#), "$.plaintiffs", "expected a list, found a string"),
        (with(r#"["nokia"]"#, r#"["Nokia"]"#), "$.plaintiffs[0]", "slug \"Nokia\" has 'N' at character 0, which is not allowed"),
        (with(r#"["nokia"]"#, r#"["nokia","nokia"]"#), "$.plaintiffs[1]", "entity \"nokia\" is listed twice"),
        (with(r#"["amazon","twitch"]"#, r#"["twitch","nokia"]"#), "$.defendants[1]", "entity \"nokia\" is both a plaintiff and a defendant"),
        (with("Nokia v. Amazon", &long_title), "$.title", "too long: 513 characters, at most 512"),
        (with("Nokia v. Amazon", "Nokia\\nv. Amazon"), "$.title", "must be a single line"),
        (with("\"Nokia v. Amazon\"", "null"), "$.title", "expected a string, found null"),
        (with("Nokia v. Amazon", "   "), "$.title", "text is blank"),
        (with(r#""title":"Nokia v. Amazon","#, r#""title":"A","title":"B","#), "$.title", "duplicate key \"title\" at line 1"),
        (with("patent", "patents"), "$.nature", "unknown nature \"patents\"; expected one of \"patent\", \"antitrust\", \"contract\", \"trade-secret\", \"other\""),
        (with(r#""court":"ded","#, ""), "$.forum.court", "missing required field \"court\""),
        (with(r#""court":"ded""#, r#""court":"ded","judge":"x""#), "$.forum.judge", "unknown field \"judge\" in a forum; expected one of: court, case_number, name"),
        (with(r#"{"court":"ded","case_number":"1:23-cv-01236"}"#, r#""ded""#), "$.forum", "expected a forum object, found a string"),
        (format!("{}}}", with("]}", r#"],"sources":[{"digest":"blake3:abc"}]"#)), "$.sources[0].digest", "invalid digest \"blake3:abc\""),
        (format!("{}}}", with("]}", r#"],"sources":[{}]"#)), "$.sources[0]", "a source needs at least one of title, url, citation, digest"),
        (format!("{}}}", with("]}", r#"],"sources":[{"url":"https://x.example/a b"}]"#)), "$.sources[0].url", "a URL cannot contain whitespace"),
        (format!("{}}}", with("]}", &format!(r#"],"sources":[{sources17}]"#))), "$.sources", "too many sources: 17, at most 16"),
        (format!("{}}}", with("]}", r#"],"note":"a\u0000b""#)), "$.note", "control character U+0000"),
        (with(r#""kind""#, r#""id":"a b","kind""#), "$.id", "event id \"a b\" has ' ' at character 1"),
        (correction(r#"{"id":"x","kind":"entity.renamed","effective":"2024-01-01","entity":"a","name":"A"}"#), "$.replacement.id", "a correction's replacement has no id of its own"),
        (correction(r#"{"kind":"retraction","effective":"2024-01-01","target":"x","reason":"r"}"#), "$.replacement.kind", "replacement cannot be a retraction"),
        (correction(r#"{"kind":"entity.renamed","effective":"2024-01-01","entity":"a"}"#), "$.replacement.name", "missing required field \"name\""),
        (r#"{"id":"e1","kind":"retraction","effective":"2024-01-01","target":"e1","reason":"r"}"#.into(), "$.target", "an event cannot retract itself"),
        (r#"{"kind":"partnership.formed","effective":"2024-01-01","partnership":"p","parties":["a","b","a"]}"#.into(), "$.parties[2]", "entity \"a\" is listed twice"),
        (r#"{"kind":"partnership.formed","effective":"2024-01-01","partnership":"p","parties":["a"]}"#.into(), "$.parties", "must list at least 2 parties, found 1"),
        (r#"{"kind":"acquisition","effective":"2024-01-01","acquirer":"a","target":"a"}"#.into(), "$.target", "an entity cannot acquire itself"),
        (r#"{"kind":"dispute.settled","effective":"2024-01-01","disputes":[]}"#.into(), "$.disputes", "must not be empty"),
        (r#"{"kind":"dispute.dismissed","effective":"2024-01-01","dispute":"d","reason":"bored"}"#.into(), "$.reason", "expected one of \"voluntary\", \"settled\", \"jurisdiction\", \"other\""),
        (r#"{"kind":"entity.registered","effective":"2024-01-01","entity":"a","name":"A","category":"firm"}"#.into(), "$.category", "unknown category \"firm\""),
        (r#"{"kind":"entity.registered","effective":"2024-01-01","entity":"a","name":"A","parent":"a"}"#.into(), "$.parent", "an entity cannot be its own parent"),
        (r#"{"kind":"dispute.entry","effective":"2024-01-01","dispute":"d","description":"x","number":1.5}"#.into(), "$.number", "expected a string or a non-negative integer, found a number"),
        (format!(" {}", " ".repeat(MAX_JSON)), "$", "the JSON text is 4194305 bytes, at most 4194304"),
        (key_authorized(&format!(r#""key":"ed25518:{KEY_HEX}""#)), "$.key", "invalid public key \"ed25518:0123"),
        (key_authorized(&format!(r#""key":"{KEY_HEX}""#)), "$.key", "expected \"ed25519:\" followed by 64 lowercase hex digits"),
        (key_authorized(&format!(r#""key":"ed25519:{}""#, &KEY_HEX[1..])), "$.key", "invalid public key"),
        (key_authorized(&format!(r#""key":"ed25519:{KEY_HEX}0""#)), "$.key", "invalid public key"),
        (key_authorized(&format!(r#""key":"ed25519:{}""#, KEY_HEX.to_uppercase())), "$.key", "invalid public key \"ed25519:0123456789ABCDEF"),
        (key_authorized(r#""key":42"#), "$.key", "expected a public key string (ed25519:<64 hex>), found a number"),
        (r#"{"kind":"key.revoked","effective":"2024-01-01","reason":"lost"}"#.into(), "$.key", "missing required field \"key\""),
        (key_authorized(&format!(r#""key":"ed25519:{KEY_HEX}","role":"owner""#)), "$.role", "unknown role \"owner\"; expected one of \"writer\", \"admin\""),
        (key_authorized(&format!(r#""key":"ed25519:{KEY_HEX}","name":"alice\nbob""#)), "$.name", "must be a single line"),
        (key_authorized(&format!(r#""key":"ed25519:{KEY_HEX}","name":"{}""#, "n".repeat(257))), "$.name", "too long: 257 characters, at most 256"),
        (format!(r#"{{"kind":"key.revoked","effective":"2024-01-01","key":"ed25519:{KEY_HEX}","role":"admin"}}"#), "$.role", "unknown field \"role\" for kind key.revoked; expected one of: id, kind, effective, key, reason, sources, note"),
        (correction(&key_authorized(&format!(r#""key":"ed25519:{KEY_HEX}""#))), "$.replacement.kind", "a correction's replacement cannot be a key.authorized; key events cannot be corrected"),
        (correction(&format!(r#"{{"kind":"key.revoked","effective":"2024-01-01","key":"ed25519:{KEY_HEX}"}}"#)), "$.replacement.kind", "a correction's replacement cannot be a key.revoked"),
    ]
}

#[test]
fn bad_json_is_rejected_with_path_and_reason() {
    let rows = rows();
    assert!(rows.len() >= 25);
    let mut failures = Vec::new();
    for (input, path, fragment) in &rows {
        match Event::from_json(input) {
            Ok(e) => failures.push(format!("accepted: {input}\n  as {e:?}")),
            Err(e) if e.path() != *path || !e.message().contains(fragment) => {
                failures.push(format!(
                    "input: {}\n  want: at {path}: …{fragment}…\n  got:  {e}",
                    crate::error::preview(input)
                ))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn invalid_utf8_is_named() {
    let mut bytes = FILED.as_bytes().to_vec();
    let at = FILED.find("Nokia v.").unwrap();
    bytes[at] = 0xff;
    let e = Event::from_json_bytes(&bytes).unwrap_err();
    assert_eq!(e.path(), "$");
    assert_eq!(
        e.message(),
        format!("the text is not valid UTF-8: bad byte at offset {at} (line 1)")
    );
    assert!(Event::from_json_bytes(FILED.as_bytes()).is_ok());
}

#[test]
fn the_base_row_is_valid() {
    super::parse(FILED);
    super::parse(&correction(
        r#"{"kind":"entity.renamed","effective":"2024-01-01","entity":"a","name":"A"}"#,
    ));
    super::parse(&key_authorized(&format!(
        r#""key":"ed25519:{KEY_HEX}","role":"admin","name":"alice""#
    )));
}

#[test]
fn a_parsed_list_holds_room_for_its_members_only() {
    let one_source = with("]}", r#"],"sources":[{"url":"https://x.example/a"}]}"#);
    let event = Event::from_json_bytes(one_source.as_bytes()).unwrap();
    assert_eq!(event.sources.len(), 1);
    assert_eq!(event.sources.capacity(), 1);
    // A list longer than any field allows is still refused by the checks,
    // whatever room its parsing took.
    let parties = (0..300).map(|i| format!("\"p{i}\"")).collect::<Vec<_>>();
    let many = with(
        r#"["amazon","twitch"]"#,
        &format!("[{}]", parties.join(",")),
    );
    assert!(Event::from_json_bytes(many.as_bytes()).is_err());
}
