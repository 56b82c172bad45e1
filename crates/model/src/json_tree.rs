//! A JSON value tree that refuses duplicate keys.
//!
//! `serde_json::Value` silently keeps the last of two equal keys, so
//! `{"plaintiffs": ["a"], "plaintiffs": ["b"]}` would be read as naming only
//! `b`. For evidence that is ambiguity, so this tree is built by its own
//! serde visitor that rejects the second key, with its JSON path. Objects
//! keep their keys in document order.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::error::ParseError;
use crate::path::Path;

/// A parsed JSON value.
#[derive(Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number; `Some` when it is a non-negative integer that fits a `u64`.
    Number(Option<u64>),
    String(String),
    Array(Vec<Json>),
    /// Key–value pairs in document order, keys unique.
    Object(Vec<(String, Json)>),
}

impl Json {
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
    type Value = Json;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(Some(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(u64::try_from(v).ok()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Number(None))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
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

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        // Events' objects have a handful of keys, which a look along the
        // entries checks faster than hashing a copy of each; a large object
        // gets a set, so that no object costs quadratic time.
        let mut seen: Option<HashSet<String>> = None;
        while let Some(key) = map.next_key::<String>()? {
            let repeated = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None if entries.len() < FEW_KEYS => entries.iter().any(|(k, _)| *k == key),
                None => {
                    let mut set: HashSet<String> = entries.iter().map(|(k, _)| k.clone()).collect();
                    let repeated = !set.insert(key.clone());
                    seen = Some(set);
                    repeated
                }
            };
            if repeated {
                let at = self.path.key(&key).to_string();
                self.duplicate.replace(Some((at, key)));
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

/// Up to this many keys, an object's keys are checked for repeats by
/// comparing each new key with those before it.
const FEW_KEYS: usize = 16;

/// Parses exactly one JSON value (surrounding whitespace allowed).
pub(crate) fn parse(text: &str) -> Result<Json, ParseError> {
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
        let Json::Object(entries) = parse(&format!("{{{}}}", keys(40).join(", "))).unwrap() else {
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
