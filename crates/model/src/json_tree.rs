//! A JSON value tree that refuses duplicate keys.
//!
//! `serde_json::Value` silently keeps the last of two equal keys, so
//! `{"plaintiffs": ["a"], "plaintiffs": ["b"]}` would be read as naming only
//! `b`. For evidence that is ambiguity, so this tree is built by its own
//! serde visitor that rejects the second key, with its JSON path. Objects
//! keep their keys in document order.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::error::ParseError;
use crate::path::Path;

/// A parsed JSON value. Strings and keys without escapes borrow from the
/// text: an events file has a dozen per line, and copying each was a
/// tenth of parsing it.
#[derive(Debug, PartialEq)]
pub(crate) enum Json<'t> {
    Null,
    Bool(bool),
    /// A number; `Some` when it is a non-negative integer that fits a `u64`.
    Number(Option<u64>),
    String(Cow<'t, str>),
    Array(Vec<Json<'t>>),
    /// Key–value pairs in document order, keys unique.
    Object(Vec<(Cow<'t, str>, Json<'t>)>),
}

impl Json<'_> {
    /// The value's type, as named in messages: "found a number".
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "a list",
            Json::Object(_) => "an object",
        }
    }
}

/// Where a duplicate key was found: the key's path and the key.
type DuplicateSlot = RefCell<Option<(String, String)>>;

/// Deserializes one value, knowing its path so that a duplicate key can be
/// reported where it is.
struct Seed<'p> {
    path: &'p Path<'p>,
    duplicate: &'p DuplicateSlot,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(Some(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(u64::try_from(v).ok()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number(None))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::new();
        loop {
            let here = self.path.index(items.len());
            let seed = Seed {
                path: &here,
                duplicate: self.duplicate,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Json::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        // Room for an event's fields at once.
        let mut entries: Vec<(Cow<'de, str>, Json<'de>)> = Vec::with_capacity(8);
        // Events' objects have a handful of keys, which a look along the
        // entries checks faster than hashing a copy of each; a large object
        // gets a set, so that no object costs quadratic time.
        let mut seen: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key_seed(Key)? {
            let repeated = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None if entries.len() < FEW_KEYS => entries.iter().any(|(k, _)| *k == key),
                None => {
                    let mut set: HashSet<Cow<'de, str>> =
                        entries.iter().map(|(k, _)| k.clone()).collect();
                    let repeated = !set.insert(key.clone());
                    seen = Some(set);
                    repeated
                }
            };
            if repeated {
                let at = self.path.key(&key).to_string();
                self.duplicate.replace(Some((at, key.into_owned())));
                return Err(de::Error::custom("duplicate key"));
            }
            let here = self.path.key(&key);
            let value = map.next_value_seed(Seed {
                path: &here,
                duplicate: self.duplicate,
            })?;
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

/// An object's key, borrowed from the text when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Up to this many keys, an object's keys are checked for repeats by
/// comparing each new key with those before it.
const FEW_KEYS: usize = 16;

/// Parses exactly one JSON value (surrounding whitespace allowed).
pub(crate) fn parse(text: &str) -> Result<Json<'_>, ParseError> {
    let duplicate = DuplicateSlot::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Seed {
        path: &Path::Root,
        duplicate: &duplicate,
    };
    let result = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    result.map_err(|e| match duplicate.take() {
        Some((path, key)) => ParseError::new(
            path,
            format!(
                "duplicate key \"{key}\" at line {} column {}: an object may name each field once",
                e.line(),
                e.column()
            ),
        ),
        None => ParseError::malformed(&e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_trees_in_document_order() {
        let v = parse(r#" {"b": [1, -2, 2.5, "x", null, true], "a": {}} "#).unwrap();
        assert_eq!(
            v,
            Json::Object(vec![
                (
                    "b".into(),
                    Json::Array(vec![
                        Json::Number(Some(1)),
                        Json::Number(None),
                        Json::Number(None),
                        Json::String("x".into()),
                        Json::Null,
                        Json::Bool(true),
                    ])
                ),
                ("a".into(), Json::Object(vec![])),
            ])
        );
    }

    #[test]
    fn escaped_keys_and_strings_are_decoded_and_plain_ones_borrowed() {
        let v = parse(r#"{"a\u0062": "x\"y", "plain": "z"}"#).unwrap();
        let Json::Object(entries) = &v else {
            panic!("an object");
        };
        assert_eq!(entries[0], ("ab".into(), Json::String(r#"x"y"#.into())));
        assert!(matches!(entries[1].0, Cow::Borrowed("plain")));
        assert!(matches!(&entries[1].1, Json::String(Cow::Borrowed("z"))));
        // An escaped key repeating a plain one is a repeat.
        let e = parse(r#"{"ab": 1, "a\u0062": 2}"#).unwrap_err();
        assert_eq!(e.path(), "$.ab");
    }

    #[test]
    fn duplicate_keys_are_reported_with_their_path() {
        let e = parse(r#"{"a": [{"x": 1, "y": 2, "x": 3}]}"#).unwrap_err();
        assert_eq!(e.path(), "$.a[0].x");
        assert!(
            e.message().starts_with("duplicate key \"x\" at line 1"),
            "{e}"
        );
        let e = parse("{\"k\": 1,\n \"k\": 1}").unwrap_err();
        assert_eq!(e.path(), "$.k");
        assert!(e.message().contains("line 2"), "{e}");
        // Past the few keys compared one by one, a set takes over: a repeat
        // of an early key, of a late one, and none at all.
        let keys = |n: usize| (0..n).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>();
        for (n, repeat) in [(40, "k3"), (40, "k30"), (16, "k15"), (17, "k16")] {
            let text = format!("{{{}, \"{repeat}\": 0}}", keys(n).join(", "));
            let e = parse(&text).unwrap_err();
            assert_eq!(e.path(), format!("$.{repeat}"), "{n} keys");
        }
        let text = format!("{{{}}}", keys(40).join(", "));
        let Json::Object(entries) = parse(&text).unwrap() else {
            panic!("an object");
        };
        assert_eq!(entries.len(), 40);
    }

    #[test]
    fn malformed_json_has_line_and_column() {
        for bad in ["", "{", "{\"a\" 1}", "{} {}", "[1,]", "nul", "{\"a\":1}x"] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.path(), "$");
            assert!(e.message().starts_with("malformed JSON: "), "{e}");
            assert!(e.message().contains("line 1 column"), "{e}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message().contains("recursion limit"), "{e}");
    }
}
