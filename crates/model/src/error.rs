//! The errors of the model: one type per operation.

use std::fmt;

/// A single value failed its own rules (a slug, id, text, digest or date).
///
/// Returned by the newtype constructors such as [`Slug::new`](crate::Slug::new);
/// the JSON parser wraps it in a [`ParseError`] that adds the JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value is the empty string.
    #[error("{what} is empty")]
    Empty {
        /// What kind of value it was ("slug", "event id", "text").
        what: &'static str,
    },
    /// The value contains only whitespace.
    #[error("{what} is blank (only whitespace)")]
    Blank {
        /// What kind of value it was.
        what: &'static str,
    },
    /// The value has more characters than allowed.
    #[error("{what} is too long: {len} characters, at most {max}")]
    TooLong {
        /// What kind of value it was.
        what: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit in characters.
        max: usize,
    },
    /// The value contains a character that this kind of value does not allow.
    #[error("{what} {value:?} has {ch:?} at character {at}, which is not allowed ({rule})")]
    BadChar {
        /// What kind of value it was.
        what: &'static str,
        /// The start of the value, for the message.
        value: String,
        /// The offending character.
        ch: char,
        /// Its position, counting characters from 0.
        at: usize,
        /// The rule the value must follow.
        rule: &'static str,
    },
    /// Text contains a control character other than newline and tab.
    #[error(
        "text has the control character U+{code:04X} at character {at}; only newline and tab are allowed"
    )]
    ControlChar {
        /// The character's code point.
        code: u32,
        /// Its position, counting characters from 0.
        at: usize,
    },
    /// A document digest is not `blake3:` followed by 64 lowercase hex digits.
    #[error("invalid digest {value:?}: expected \"blake3:\" followed by 64 lowercase hex digits")]
    Digest {
        /// The start of the value, for the message.
        value: String,
    },
    /// A public key is not `ed25519:` followed by 64 lowercase hex digits.
    #[error(
        "invalid public key {value:?}: expected \"ed25519:\" followed by 64 lowercase hex digits"
    )]
    PublicKey {
        /// The start of the value, for the message.
        value: String,
    },
    /// An `effective` value is not a valid date or timestamp.
    #[error("invalid effective time {value:?}: {reason}")]
    Effective {
        /// The start of the value, for the message.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The first 48 characters of `s`, for error messages.
pub(crate) fn preview(s: &str) -> String {
    const KEEP: usize = 48;
    match s.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// An event breaks a rule of its kind: an empty required list, a party on
/// both sides, an over-long field, a correction of a correction...
///
/// Produced by [`Event::check`](crate::Event::check), which both the JSON
/// parser and the binary decoder run, so the two accept exactly the same
/// events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {path}: {message}")]
#[non_exhaustive]
pub struct ShapeError {
    path: String,
    message: String,
}

impl ShapeError {
    pub(crate) fn new(path: impl fmt::Display, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The JSON path of the offending field, such as `$.plaintiffs[1]`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// An event's JSON was rejected.
///
/// Displays as `at $.plaintiffs[1]: <message>`. The path is `$` for errors
/// of the whole text (malformed JSON, invalid UTF-8, too large).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {path}: {message}")]
#[non_exhaustive]
pub struct ParseError {
    path: String,
    message: String,
}

impl ParseError {
    pub(crate) fn new(path: impl fmt::Display, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The error for text that is not JSON at all (path `$`), with
    /// serde_json's line and column: for callers that split a stream of
    /// events themselves and meet a syntax error between them.
    pub fn malformed(error: &serde_json::Error) -> Self {
        Self::new("$", format!("malformed JSON: {error}"))
    }

    /// The JSON path of the offending field: `$`, `$.forum.court`,
    /// `$.plaintiffs[1]`, `$.replacement.kind`...
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong and what was expected, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<ShapeError> for ParseError {
    fn from(e: ShapeError) -> Self {
        Self {
            path: e.path,
            message: e.message,
        }
    }
}

/// An event could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The event breaks a rule, so its bytes would not decode.
    #[error("event is invalid {0}")]
    Invalid(#[from] ShapeError),
    /// The encoding is larger than [`MAX_PAYLOAD`](crate::limits::MAX_PAYLOAD).
    #[error("encoded event is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// bincode failed (not expected when writing to memory).
    #[error("encoding failed: {0}")]
    Bincode(String),
}

/// Stored bytes are not the canonical encoding of a valid event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// There are no bytes at all.
    #[error("payload is empty")]
    Empty,
    /// The payload is longer than [`MAX_PAYLOAD`](crate::limits::MAX_PAYLOAD).
    #[error("payload is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The payload length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The first byte names a payload format this version does not know.
    #[error("unknown payload format version {0} (this build reads versions 1 and 2)")]
    UnknownVersion(u8),
    /// The bytes do not follow the layout (truncated, bad tag, bad UTF-8,
    /// a value that breaks its own rules, a length over the limit...).
    #[error("malformed payload: {0}")]
    Malformed(String),
    /// An event was decoded but bytes are left over.
    #[error("{trailing} trailing bytes after the event")]
    TrailingBytes {
        /// How many bytes were left.
        trailing: usize,
    },
    /// The event breaks a rule of its kind.
    #[error("event is invalid {0}")]
    Invalid(#[from] ShapeError),
    /// The event is valid but its canonical encoding differs from the bytes.
    #[error("payload is not in canonical form")]
    NotCanonical,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_cuts_long_values_on_char_boundaries() {
        assert_eq!(preview("short"), "short");
        let long: String = "é".repeat(100);
        let p = preview(&long);
        assert_eq!(p.chars().count(), 49);
        assert!(p.ends_with('…'));
    }

    #[test]
    fn parse_error_displays_path_then_message() {
        let json_error = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let e = ParseError::malformed(&json_error);
        assert_eq!(e.path(), "$");
        assert!(e.message().starts_with("malformed JSON: EOF"), "{e}");
        let e = ParseError::new("$.plaintiffs[1]", "bad");
        assert_eq!(e.to_string(), "at $.plaintiffs[1]: bad");
        assert_eq!(e.path(), "$.plaintiffs[1]");
        assert_eq!(e.message(), "bad");
    }
}
