//! Validated string newtypes: [`Slug`], [`EventId`], [`Text`], and the
//! document [`Digest`].
//!
//! A value of these types always satisfies its rules: the only ways to make
//! one are `new` (and the `FromStr`/`TryFrom` forms of it), the JSON parser
//! and the binary decoder, and all of them run the same check.
//!
//! The strings are [`CompactString`]s: most slugs, ids and short texts fit
//! in the 24 bytes a `String` takes anyway, so decoding, cloning and
//! dropping them costs no allocation. A replay of a large ledger makes and
//! drops many millions of them.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use compact_str::CompactString;

use crate::error::{ValueError, preview};
use crate::limits;

/// Implements the accessors and conversions shared by the string newtypes.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as an owned `String`.
            pub fn into_string(self) -> String {
                self.0.into_string()
            }

            /// Validates and wraps a string made by the decoder.
            pub(crate) fn from_compact(s: CompactString) -> Result<Self, ValueError> {
                Self::check(&s)?;
                Ok(Self(s))
            }

            /// Validates and wraps a slug, id or text.
            pub fn new(s: impl Into<String>) -> Result<Self, ValueError> {
                let s = s.into();
                Self::check(&s)?;
                Ok(Self(CompactString::from(s)))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, ValueError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;
            fn try_from(s: String) -> Result<Self, ValueError> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValueError;
            fn try_from(s: &str) -> Result<Self, ValueError> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0.into_string()
            }
        }
    };
}

/// Checks that `s` is 1..=`max` characters, each accepted by `ok(position, char)`.
fn check_chars(
    s: &str,
    what: &'static str,
    max: usize,
    rule: &'static str,
    ok: impl Fn(usize, char) -> bool,
) -> Result<(), ValueError> {
    if s.is_empty() {
        return Err(ValueError::Empty { what });
    }
    let mut len = 0;
    for (at, ch) in s.chars().enumerate() {
        if !ok(at, ch) {
            return Err(ValueError::BadChar {
                what,
                value: preview(s),
                ch,
                at,
                rule,
            });
        }
        len += 1;
    }
    if len > max {
        return Err(ValueError::TooLong { what, len, max });
    }
    Ok(())
}

/// The identifier of an entity, dispute or partnership: `[a-z0-9][a-z0-9.-]*`,
/// at most [`limits::MAX_SLUG`] characters. Examples: `nokia`, `amazon.com`,
/// `ded-1-23-cv-01236`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slug(CompactString);

impl Slug {
    fn check(s: &str) -> Result<(), ValueError> {
        check_chars(
            s,
            "slug",
            limits::MAX_SLUG,
            "slugs are lowercase [a-z0-9][a-z0-9.-]*",
            |at, c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || (at > 0 && matches!(c, '.' | '-'))
            },
        )
    }
}
string_newtype!(Slug);

/// The identifier of an event: 1 to [`limits::MAX_EVENT_ID`] characters of
/// `[A-Za-z0-9._:-]`. Ids the ledger derives from content look like
/// `d:` followed by 32 lowercase hex digits (see
/// [`Event::derived_id`](crate::Event::derived_id)).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(CompactString);

impl EventId {
    fn check(s: &str) -> Result<(), ValueError> {
        check_chars(
            s,
            "event id",
            limits::MAX_EVENT_ID,
            "event ids are [A-Za-z0-9._:-]",
            |_, c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'),
        )
    }
}
string_newtype!(EventId);

impl EventId {
    /// Wraps a string already known to follow the rules (a derived id).
    pub(crate) fn from_trusted(s: String) -> Self {
        debug_assert!(Self::check(&s).is_ok());
        Self(CompactString::from(s))
    }
}

/// Human-written text: a name, title, description, note, reason...
///
/// Rules: not empty and not only whitespace; at most [`limits::MAX_TEXT`]
/// characters; no control characters (Unicode category Cc, which includes
/// NUL, carriage return and DEL) other than newline and tab. Surrounding
/// whitespace is kept as written: the ledger records evidence, it does not
/// tidy it. Each field also has its own length limit, and single-line fields
/// (names, titles, numbers) refuse newline and tab too; those per-field
/// rules are checked by [`Event::check`](crate::Event::check).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(CompactString);

impl Text {
    fn check(s: &str) -> Result<(), ValueError> {
        if s.is_empty() {
            return Err(ValueError::Empty { what: "text" });
        }
        let mut len = 0;
        for (at, ch) in s.chars().enumerate() {
            if ch.is_control() && ch != '\n' && ch != '\t' {
                return Err(ValueError::ControlChar {
                    code: u32::from(ch),
                    at,
                });
            }
            len += 1;
        }
        if len > limits::MAX_TEXT {
            return Err(ValueError::TooLong {
                what: "text",
                len,
                max: limits::MAX_TEXT,
            });
        }
        if s.trim().is_empty() {
            return Err(ValueError::Blank { what: "text" });
        }
        Ok(())
    }

    /// The length in characters (what the limits count).
    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }
}
string_newtype!(Text);

/// The BLAKE3 hash of a source document, written `blake3:<64 lowercase hex>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The prefix of the written form.
    pub const PREFIX: &'static str = "blake3:";

    /// Parses `blake3:` followed by exactly 64 lowercase hex digits.
    pub fn new(s: &str) -> Result<Self, ValueError> {
        s.strip_prefix(Self::PREFIX)
            .and_then(hex32)
            .map(Self)
            .ok_or_else(|| ValueError::Digest { value: preview(s) })
    }

    /// The digest of a document's bytes.
    pub fn of(document: &[u8]) -> Self {
        Self(*blake3::hash(document).as_bytes())
    }

    /// Wraps 32 raw hash bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw hash bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// The 32 bytes written as exactly 64 lowercase hex digits, if `hex` is that.
pub(crate) fn hex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Writes `bytes` as lowercase hex.
pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// The value of one lowercase hex digit.
fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::PREFIX)?;
        write_hex(f, &self.0)
    }
}

impl FromStr for Digest {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in [
            "nokia",
            "amazon.com",
            "a",
            "0",
            "ded-1-23-cv-01236",
            "a..b",
            "x-",
        ] {
            assert_eq!(Slug::new(ok).unwrap().as_str(), ok);
        }
        assert_eq!(Slug::new(""), Err(ValueError::Empty { what: "slug" }));
        for bad in ["Nokia", "-a", ".a", "a_b", "a b", "é", "nokia\n"] {
            assert!(
                matches!(Slug::new(bad), Err(ValueError::BadChar { .. })),
                "{bad}"
            );
        }
        assert!(Slug::new("a".repeat(64)).is_ok());
        assert_eq!(
            Slug::new("a".repeat(65)),
            Err(ValueError::TooLong {
                what: "slug",
                len: 65,
                max: 64
            })
        );
        let msg = Slug::new("Nokia").unwrap_err().to_string();
        assert!(msg.contains("'N' at character 0"), "{msg}");
    }

    #[test]
    fn event_ids() {
        for ok in ["d:0123abcd", "E-1", "a.b_c:d-e", "X"] {
            assert!(EventId::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", "a#"] {
            assert!(EventId::new(bad).is_err(), "{bad}");
        }
        assert!(EventId::new("x".repeat(128)).is_ok());
        assert!(EventId::new("x".repeat(129)).is_err());
    }

    #[test]
    fn texts() {
        assert!(Text::new("Nokia Technologies Oy").is_ok());
        assert!(Text::new("line 1\n\tline 2").is_ok());
        assert!(Text::new("  kept as written  ").is_ok());
        assert!(Text::new("日本語のテキスト 🙂").is_ok());
        assert_eq!(Text::new(""), Err(ValueError::Empty { what: "text" }));
        assert_eq!(Text::new(" \n\t "), Err(ValueError::Blank { what: "text" }));
        assert_eq!(
            Text::new("a\0b"),
            Err(ValueError::ControlChar { code: 0, at: 1 })
        );
        assert!(Text::new("a\rb").is_err());
        assert!(Text::new("a\u{7f}").is_err());
        assert!(Text::new("a\u{85}").is_err());
        assert!(Text::new("é".repeat(limits::MAX_TEXT)).is_ok());
        assert!(matches!(
            Text::new("é".repeat(limits::MAX_TEXT + 1)),
            Err(ValueError::TooLong { .. })
        ));
        assert_eq!(Text::new("ééé").unwrap().char_len(), 3);
    }

    #[test]
    fn digests() {
        let hex = "0123456789abcdef".repeat(4);
        let d = Digest::new(&format!("blake3:{hex}")).unwrap();
        assert_eq!(d.to_string(), format!("blake3:{hex}"));
        assert_eq!(d.as_bytes()[0], 0x01);
        assert_eq!(Digest::from_bytes(*d.as_bytes()), d);
        for bad in [
            hex.clone(),
            format!("sha256:{hex}"),
            format!("blake3:{}", hex.to_uppercase()),
            format!("blake3:{}", &hex[1..]),
            format!("blake3:{hex}0"),
            format!("blake3:{}g", &hex[1..]),
            "blake3:".to_owned(),
        ] {
            assert!(Digest::new(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            Digest::of(b"abc").to_string(),
            format!("blake3:{}", blake3::hash(b"abc").to_hex())
        );
    }

    #[test]
    fn newtypes_borrow_as_str() {
        let mut set = std::collections::HashSet::new();
        set.insert(Slug::new("nokia").unwrap());
        assert!(set.contains("nokia"));
        let s: String = Slug::new("x").unwrap().into();
        assert_eq!(s, "x");
    }
}
