//! JSON paths such as `$.plaintiffs[1]` or `$.forum.court`, built on the
//! stack while walking a value and rendered only when an error needs one.

use std::fmt;

/// A location in an event's JSON: a linked list from the leaf to the root.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    /// `$`, the whole event.
    Root,
    /// A field of an object.
    Key(&'a Path<'a>, &'a str),
    /// A member of a list.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The path of field `key` below this one.
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    /// The path of list member `i` below this one.
    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }
}

/// Whether `key` can be written after a dot: `$.key` rather than `$["key"]`.
fn is_plain(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(parent, key) if is_plain(key) => write!(f, "{parent}.{key}"),
            Path::Key(parent, key) => {
                let quoted = serde_json::Value::from(crate::error::preview(key));
                write!(f, "{parent}[{quoted}]")
            }
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_json_path() {
        let root = Path::Root;
        assert_eq!(root.to_string(), "$");
        let p = root.key("plaintiffs");
        assert_eq!(p.index(1).to_string(), "$.plaintiffs[1]");
        let forum = root.key("forum");
        assert_eq!(forum.key("court").to_string(), "$.forum.court");
        assert_eq!(root.key("odd key").to_string(), "$[\"odd key\"]");
        assert_eq!(root.key("q\"").to_string(), "$[\"q\\\"\"]");
        assert_eq!(root.key("").to_string(), "$[\"\"]");
    }
}
