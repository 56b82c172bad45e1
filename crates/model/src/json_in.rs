//! Reading an event from its JSON form (DESIGN.md section 3).
//!
//! Order of work, which decides which error a bad input gets: size, UTF-8,
//! JSON syntax and duplicate keys; the top level is an object; `kind`
//! (present, a string, known), so that everything after is judged against
//! the right kind; unknown fields; then each field in the documented order
//! (`id`, `effective`, the kind's fields, `sources`, `note`), each for its
//! type and its own rules; last, [`Event::check`] for the rules between
//! fields. Every error carries the JSON path of the offending value.
//!
//! `null` means the same as an absent field for optional fields, and an
//! empty list the same as an absent optional list. An entry `number` may be
//! a string or a non-negative integer (kept as its decimal text). A key
//! event's `role`, like an entity's `category`, has a default (`writer`).

use std::borrow::Cow;

use crate::check::uncorrectable_replacement;
use crate::error::{ParseError, ValueError};
use crate::event::*;
use crate::ids::{Digest, EventId, Slug, Text};
use crate::json_tree::{self, Json};
use crate::keys::PublicKey;
use crate::limits::MAX_JSON;
use crate::path::Path;
use crate::time::Effective;
use crate::vocab::{Category, DismissalReason, Kind, Nature, Outcome, Role, Vocabulary};

type Parsed<T> = Result<T, ParseError>;

/// The fields of each kind, in the documented (and canonical output) order.
pub(crate) fn kind_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::EntityRegistered => &["entity", "name", "aliases", "parent", "category"],
        Kind::EntityRenamed => &["entity", "name"],
        Kind::DisputeFiled => &[
            "dispute",
            "title",
            "forum",
            "nature",
            "plaintiffs",
            "defendants",
            "claims",
            "accused",
            "responds_to",
        ],
        Kind::DisputeEntry => &["dispute", "description", "number", "filed_by"],
        Kind::DisputeRuling => &["dispute", "outcome", "favor", "summary"],
        Kind::DisputeStayed | Kind::DisputeResumed => &["dispute", "reason"],
        Kind::DisputeAppealed => &["dispute", "by", "forum"],
        Kind::DisputeJudgment => &["dispute", "favor", "summary"],
        Kind::DisputeDismissed => &["dispute", "reason"],
        Kind::DisputeSettled => &["disputes", "terms"],
        Kind::PartnershipFormed => &["partnership", "parties", "scope", "customer"],
        Kind::PartnershipEnded => &["partnership", "reason"],
        Kind::Acquisition => &["acquirer", "target"],
        Kind::Divestment => &["seller", "asset", "buyer"],
        Kind::Correction => &["target", "reason", "replacement"],
        Kind::Retraction => &["target", "reason"],
        Kind::KeyAuthorized => &["key", "role", "name"],
        Kind::KeyRevoked => &["key", "reason"],
    }
}

/// The fields every kind has, in the documented order: the first three
/// before the kind's own, the last two after.
const COMMON_FIELDS: [&str; 5] = ["id", "kind", "effective", "sources", "note"];
const FORUM_FIELDS: [&str; 3] = ["court", "case_number", "name"];
const CLAIM_FIELDS: [&str; 2] = ["patent", "area"];
const SOURCE_FIELDS: [&str; 4] = ["title", "url", "citation", "digest"];

impl Event {
    /// Reads one event from its JSON object (one line of an NDJSON file).
    ///
    /// Runs every shape check; the error names the JSON path of the first
    /// problem (`$` for the text as a whole) and what was expected.
    pub fn from_json(text: &str) -> Result<Event, ParseError> {
        if text.len() > MAX_JSON {
            return Err(ParseError::new(
                Path::Root,
                format!("the JSON text is {} bytes, at most {MAX_JSON}", text.len()),
            ));
        }
        let tree = json_tree::parse(text)?;
        let event = event(&tree, &Path::Root, false)?;
        event.check()?;
        Ok(event)
    }

    /// Like [`Event::from_json`], from bytes that must be UTF-8.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Event, ParseError> {
        if bytes.len() > MAX_JSON {
            return Err(ParseError::new(
                Path::Root,
                format!("the JSON text is {} bytes, at most {MAX_JSON}", bytes.len()),
            ));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let good = &bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            ParseError::new(
                Path::Root,
                format!(
                    "the text is not valid UTF-8: bad byte at offset {} (line {line})",
                    e.valid_up_to()
                ),
            )
        })?;
        Self::from_json(text)
    }
}

fn fail(path: &Path<'_>, message: impl Into<String>) -> ParseError {
    ParseError::new(path, message)
}

fn wrong_type(path: &Path<'_>, expected: &str, found: &Json) -> ParseError {
    fail(
        path,
        format!("expected {expected}, found {}", found.type_name()),
    )
}

fn value_error(path: &Path<'_>, e: ValueError) -> ParseError {
    fail(path, e.to_string())
}

/// The fields of one JSON object.
struct Obj<'a> {
    path: &'a Path<'a>,
    entries: &'a [(Cow<'a, str>, Json<'a>)],
}

impl<'a> Obj<'a> {
    /// Checks that `v` is an object whose keys are all in `allowed`.
    fn new(v: &'a Json<'a>, path: &'a Path<'a>, what: &str, allowed: &[&str]) -> Parsed<Self> {
        let obj = match v {
            Json::Object(entries) => Obj { path, entries },
            other => return Err(wrong_type(path, &format!("{what} object"), other)),
        };
        obj.only(|| format!("in {what}"), allowed)?;
        Ok(obj)
    }

    /// Rejects the first key (in document order) not in `allowed`; `what`
    /// words where, and is only called to word a refusal (every object of
    /// an import passes here).
    fn only(&self, what: impl FnOnce() -> String, allowed: &[&str]) -> Parsed<()> {
        match self
            .entries
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_ref()))
        {
            None => Ok(()),
            Some((key, _)) => Err(fail(
                &self.path.key(key),
                format!(
                    "unknown field {:?} {}; expected one of: {}",
                    crate::error::preview(key),
                    what(),
                    allowed.join(", ")
                ),
            )),
        }
    }

    /// The value of `name`, `None` when absent or `null`.
    fn get(&self, name: &str) -> Option<&'a Json<'a>> {
        self.raw(name).filter(|v| **v != Json::Null)
    }

    /// The value of `name` as written, `null` included.
    fn raw(&self, name: &str) -> Option<&'a Json<'a>> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn req<T>(
        &self,
        name: &'static str,
        read: impl FnOnce(&'a Json<'a>, &Path<'_>) -> Parsed<T>,
    ) -> Parsed<T> {
        let path = self.path.key(name);
        match self.raw(name) {
            Some(v) => read(v, &path),
            None => Err(fail(&path, format!("missing required field \"{name}\""))),
        }
    }

    fn opt<T>(
        &self,
        name: &'static str,
        read: impl FnOnce(&'a Json<'a>, &Path<'_>) -> Parsed<T>,
    ) -> Parsed<Option<T>> {
        self.get(name)
            .map(|v| read(v, &self.path.key(name)))
            .transpose()
    }

    /// A required list (its length is for [`Event::check`]).
    fn req_list<T>(
        &self,
        name: &'static str,
        item: impl Fn(&'a Json<'a>, &Path<'_>) -> Parsed<T>,
    ) -> Parsed<Vec<T>> {
        self.req(name, |v, path| list(v, path, item))
    }

    /// An optional list: absent, `null` and `[]` all give an empty list.
    fn list<T>(
        &self,
        name: &'static str,
        item: impl Fn(&'a Json<'a>, &Path<'_>) -> Parsed<T>,
    ) -> Parsed<Vec<T>> {
        Ok(self
            .opt(name, |v, path| list(v, path, item))?
            .unwrap_or_default())
    }
}

/// Room reserved for a list before its members are parsed: the longest
/// list any field allows. A longer array is refused after parsing, by the
/// checks, and gets no room it cannot use up front.
const LIST_ROOM: usize = 256;

const _: () = assert!({
    use crate::limits::*;
    let lists = [
        MAX_SIDE,
        MAX_PARTIES,
        MAX_SOURCES,
        MAX_CLAIMS,
        MAX_ACCUSED,
        MAX_SETTLED,
        MAX_ALIASES,
    ];
    let mut i = 0;
    let mut fits = true;
    while i < lists.len() {
        fits &= lists[i] <= LIST_ROOM;
        i += 1;
    }
    assert!(fits, "a list limit exceeds LIST_ROOM");
    true
});

fn list<'a, T>(
    v: &'a Json<'a>,
    path: &Path<'_>,
    item: impl Fn(&'a Json<'a>, &Path<'_>) -> Parsed<T>,
) -> Parsed<Vec<T>> {
    match v {
        Json::Array(items) => {
            // Room for the array's members (up to `LIST_ROOM`): collected
            // from an iterator of results, a list started with room for
            // four, and an import holds every event's lists until it is
            // validated (a one-source list held 448 bytes).
            let mut list = Vec::with_capacity(items.len().min(LIST_ROOM));
            for (i, v) in items.iter().enumerate() {
                list.push(item(v, &path.index(i))?);
            }
            Ok(list)
        }
        other => Err(wrong_type(path, "a list", other)),
    }
}

fn string<'a>(v: &'a Json<'a>, path: &Path<'_>, expected: &str) -> Parsed<&'a str> {
    match v {
        Json::String(s) => Ok(s.as_ref()),
        other => Err(wrong_type(path, expected, other)),
    }
}

fn slug(v: &Json, path: &Path<'_>) -> Parsed<Slug> {
    let s = string(v, path, "a slug string")?;
    Slug::new(s).map_err(|e| value_error(path, e))
}

fn text(v: &Json, path: &Path<'_>) -> Parsed<Text> {
    let s = string(v, path, "a string")?;
    Text::new(s).map_err(|e| value_error(path, e))
}

fn event_id(v: &Json, path: &Path<'_>) -> Parsed<EventId> {
    let s = string(v, path, "an event id string")?;
    EventId::new(s).map_err(|e| value_error(path, e))
}

fn effective(v: &Json, path: &Path<'_>) -> Parsed<Effective> {
    let s = string(v, path, "a date (YYYY-MM-DD) or timestamp string")?;
    Effective::parse(s).map_err(|e| value_error(path, e))
}

fn digest(v: &Json, path: &Path<'_>) -> Parsed<Digest> {
    let s = string(v, path, "a digest string (blake3:<64 hex>)")?;
    Digest::new(s).map_err(|e| value_error(path, e))
}

fn public_key(v: &Json, path: &Path<'_>) -> Parsed<PublicKey> {
    let s = string(v, path, "a public key string (ed25519:<64 hex>)")?;
    PublicKey::new(s).map_err(|e| value_error(path, e))
}

fn vocab<T: Vocabulary>(v: &Json, path: &Path<'_>) -> Parsed<T> {
    // The expectation is worded only when it is not met.
    let Json::String(s) = v else {
        return Err(wrong_type(path, &format!("a {} string", T::WHAT), v));
    };
    T::parse(s).ok_or_else(|| {
        fail(
            path,
            format!(
                "unknown {} {:?}; expected one of {}",
                T::WHAT,
                crate::error::preview(s),
                T::allowed()
            ),
        )
    })
}

/// A docket entry number: a string, or a non-negative integer kept as text.
fn entry_number(v: &Json, path: &Path<'_>) -> Parsed<Text> {
    match v {
        Json::Number(Some(n)) => Text::new(n.to_string()).map_err(|e| value_error(path, e)),
        Json::String(_) => text(v, path),
        other => Err(wrong_type(
            path,
            "a string or a non-negative integer",
            other,
        )),
    }
}

fn forum(v: &Json, path: &Path<'_>) -> Parsed<Forum> {
    let o = Obj::new(v, path, "a forum", &FORUM_FIELDS)?;
    Ok(Forum {
        court: o.req("court", slug)?,
        case_number: o.opt("case_number", text)?,
        name: o.opt("name", text)?,
    })
}

fn claim(v: &Json, path: &Path<'_>) -> Parsed<Claim> {
    let o = Obj::new(v, path, "a claim", &CLAIM_FIELDS)?;
    Ok(Claim {
        patent: o.opt("patent", text)?,
        area: o.opt("area", text)?,
    })
}

fn source(v: &Json, path: &Path<'_>) -> Parsed<Source> {
    let o = Obj::new(v, path, "a source", &SOURCE_FIELDS)?;
    Ok(Source {
        title: o.opt("title", text)?,
        url: o.opt("url", text)?,
        citation: o.opt("citation", text)?,
        digest: o.opt("digest", digest)?,
    })
}

/// Reads the event at `path`; `replacement` inside a correction.
fn event(v: &Json, path: &Path<'_>, replacement: bool) -> Parsed<Event> {
    let entries = match v {
        Json::Object(entries) => entries,
        other => return Err(wrong_type(path, "an event object", other)),
    };
    let o = Obj { path, entries };
    let kind = o.req("kind", |v, path| {
        let s = string(v, path, "a kind string")?;
        Kind::parse(s)
            .ok_or_else(|| fail(path, format!("unknown kind {:?}", crate::error::preview(s))))
    })?;
    if replacement && !kind.is_correctable() {
        return Err(uncorrectable_replacement(path, kind).into());
    }
    // Checked against the kind's fields in place: the list of every
    // allowed field is only gathered to word a refusal.
    let fields = kind_fields(kind);
    let unknown = o
        .entries
        .iter()
        .find(|(k, _)| !COMMON_FIELDS.contains(&k.as_ref()) && !fields.contains(&k.as_ref()));
    if unknown.is_some() {
        let allowed: Vec<&str> = COMMON_FIELDS[..3]
            .iter()
            .chain(fields)
            .chain(&COMMON_FIELDS[3..])
            .copied()
            .collect();
        o.only(|| format!("for kind {kind}"), &allowed)?;
    }
    Ok(Event {
        id: o.opt("id", event_id)?,
        effective: o.req("effective", effective)?,
        body: body(kind, &o)?,
        sources: o.list("sources", source)?,
        note: o.opt("note", text)?,
    })
}

fn body(kind: Kind, o: &Obj<'_>) -> Parsed<Body> {
    Ok(match kind {
        Kind::EntityRegistered => Body::EntityRegistered(EntityRegistered {
            entity: o.req("entity", slug)?,
            name: o.req("name", text)?,
            aliases: o.list("aliases", text)?,
            parent: o.opt("parent", slug)?,
            category: o.opt("category", vocab::<Category>)?.unwrap_or_default(),
        }),
        Kind::EntityRenamed => Body::EntityRenamed(EntityRenamed {
            entity: o.req("entity", slug)?,
            name: o.req("name", text)?,
        }),
        Kind::DisputeFiled => Body::DisputeFiled(Box::new(DisputeFiled {
            dispute: o.req("dispute", slug)?,
            title: o.req("title", text)?,
            forum: o.req("forum", forum)?,
            nature: o.req("nature", vocab::<Nature>)?,
            plaintiffs: o.req_list("plaintiffs", slug)?,
            defendants: o.req_list("defendants", slug)?,
            claims: o.list("claims", claim)?,
            accused: o.list("accused", text)?,
            responds_to: o.opt("responds_to", slug)?,
        })),
        Kind::DisputeEntry => Body::DisputeEntry(DisputeEntry {
            dispute: o.req("dispute", slug)?,
            description: o.req("description", text)?,
            number: o.opt("number", entry_number)?,
            filed_by: o.opt("filed_by", slug)?,
        }),
        Kind::DisputeRuling => Body::DisputeRuling(DisputeRuling {
            dispute: o.req("dispute", slug)?,
            outcome: o.req("outcome", vocab::<Outcome>)?,
            favor: o.opt("favor", slug)?,
            summary: o.opt("summary", text)?,
        }),
        Kind::DisputeStayed => Body::DisputeStayed(DisputeStayed {
            dispute: o.req("dispute", slug)?,
            reason: o.opt("reason", text)?,
        }),
        Kind::DisputeResumed => Body::DisputeResumed(DisputeResumed {
            dispute: o.req("dispute", slug)?,
            reason: o.opt("reason", text)?,
        }),
        Kind::DisputeAppealed => Body::DisputeAppealed(DisputeAppealed {
            dispute: o.req("dispute", slug)?,
            by: o.opt("by", slug)?,
            forum: o.opt("forum", forum)?,
        }),
        Kind::DisputeJudgment => Body::DisputeJudgment(DisputeJudgment {
            dispute: o.req("dispute", slug)?,
            favor: o.opt("favor", slug)?,
            summary: o.opt("summary", text)?,
        }),
        Kind::DisputeDismissed => Body::DisputeDismissed(DisputeDismissed {
            dispute: o.req("dispute", slug)?,
            reason: o.opt("reason", vocab::<DismissalReason>)?,
        }),
        Kind::DisputeSettled => Body::DisputeSettled(DisputeSettled {
            disputes: o.req_list("disputes", slug)?,
            terms: o.opt("terms", text)?,
        }),
        Kind::PartnershipFormed => Body::PartnershipFormed(PartnershipFormed {
            partnership: o.req("partnership", slug)?,
            parties: o.req_list("parties", slug)?,
            scope: o.opt("scope", text)?,
            customer: o.opt("customer", slug)?,
        }),
        Kind::PartnershipEnded => Body::PartnershipEnded(PartnershipEnded {
            partnership: o.req("partnership", slug)?,
            reason: o.opt("reason", text)?,
        }),
        Kind::Acquisition => Body::Acquisition(Acquisition {
            acquirer: o.req("acquirer", slug)?,
            target: o.req("target", slug)?,
        }),
        Kind::Divestment => Body::Divestment(Divestment {
            seller: o.req("seller", slug)?,
            asset: o.req("asset", slug)?,
            buyer: o.opt("buyer", slug)?,
        }),
        Kind::Correction => Body::Correction(Correction {
            target: o.req("target", event_id)?,
            reason: o.req("reason", text)?,
            replacement: Box::new(o.req("replacement", |v, path| event(v, path, true))?),
        }),
        Kind::Retraction => Body::Retraction(Retraction {
            target: o.req("target", event_id)?,
            reason: o.req("reason", text)?,
        }),
        Kind::KeyAuthorized => Body::KeyAuthorized(KeyAuthorized {
            key: o.req("key", public_key)?,
            role: o.opt("role", vocab::<Role>)?.unwrap_or_default(),
            name: o.opt("name", text)?,
        }),
        Kind::KeyRevoked => Body::KeyRevoked(KeyRevoked {
            key: o.req("key", public_key)?,
            reason: o.opt("reason", text)?,
        }),
    })
}
