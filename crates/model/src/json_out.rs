//! Writing an event in its canonical JSON form.
//!
//! Field order is fixed: `id` (when set), `kind`, `effective`, the kind's
//! fields in the documented order, `sources`, `note`. Absent optional fields
//! and empty optional lists are left out; `category` and a key's `role` are
//! always written (`company` and `writer` included), as the ledger knows
//! them. Dates and timestamps use
//! [`Effective`](crate::Effective)'s canonical form. Reading the output back gives an equal
//! event.

use std::fmt::Display;

use serde_json::{Map, Value};

use crate::event::*;

/// An object under construction, keeping insertion order.
#[derive(Default)]
struct Out(Map<String, Value>);

fn string(v: &impl Display) -> Value {
    Value::String(v.to_string())
}

impl Out {
    fn put(&mut self, key: &str, value: Value) -> &mut Self {
        self.0.insert(key.to_owned(), value);
        self
    }

    fn str(&mut self, key: &str, value: &impl Display) -> &mut Self {
        self.put(key, string(value))
    }

    fn opt(&mut self, key: &str, value: Option<&impl Display>) -> &mut Self {
        match value {
            Some(v) => self.str(key, v),
            None => self,
        }
    }

    fn list<T>(&mut self, key: &str, items: &[T], each: impl Fn(&T) -> Value) -> &mut Self {
        if items.is_empty() {
            return self;
        }
        self.put(key, Value::Array(items.iter().map(each).collect()))
    }

    fn strs(&mut self, key: &str, items: &[impl Display]) -> &mut Self {
        self.list(key, items, string)
    }

    fn done(&mut self) -> Value {
        Value::Object(std::mem::take(&mut self.0))
    }
}

fn forum(f: &Forum) -> Value {
    Out::default()
        .str("court", &f.court)
        .opt("case_number", f.case_number.as_ref())
        .opt("name", f.name.as_ref())
        .done()
}

fn claim(c: &Claim) -> Value {
    Out::default()
        .opt("patent", c.patent.as_ref())
        .opt("area", c.area.as_ref())
        .done()
}

fn source(s: &Source) -> Value {
    Out::default()
        .opt("title", s.title.as_ref())
        .opt("url", s.url.as_ref())
        .opt("citation", s.citation.as_ref())
        .opt("digest", s.digest.as_ref())
        .done()
}

fn body(out: &mut Out, body: &Body) {
    match body {
        Body::EntityRegistered(b) => out
            .str("entity", &b.entity)
            .str("name", &b.name)
            .strs("aliases", &b.aliases)
            .opt("parent", b.parent.as_ref())
            .str("category", &b.category),
        Body::EntityRenamed(b) => out.str("entity", &b.entity).str("name", &b.name),
        Body::DisputeFiled(b) => out
            .str("dispute", &b.dispute)
            .str("title", &b.title)
            .put("forum", forum(&b.forum))
            .str("nature", &b.nature)
            .strs("plaintiffs", &b.plaintiffs)
            .strs("defendants", &b.defendants)
            .list("claims", &b.claims, claim)
            .strs("accused", &b.accused)
            .opt("responds_to", b.responds_to.as_ref()),
        Body::DisputeEntry(b) => out
            .str("dispute", &b.dispute)
            .str("description", &b.description)
            .opt("number", b.number.as_ref())
            .opt("filed_by", b.filed_by.as_ref()),
        Body::DisputeRuling(b) => out
            .str("dispute", &b.dispute)
            .str("outcome", &b.outcome)
            .opt("favor", b.favor.as_ref())
            .opt("summary", b.summary.as_ref()),
        Body::DisputeStayed(b) => out
            .str("dispute", &b.dispute)
            .opt("reason", b.reason.as_ref()),
        Body::DisputeResumed(b) => out
            .str("dispute", &b.dispute)
            .opt("reason", b.reason.as_ref()),
        Body::DisputeAppealed(b) => {
            out.str("dispute", &b.dispute).opt("by", b.by.as_ref());
            match &b.forum {
                Some(f) => out.put("forum", forum(f)),
                None => out,
            }
        }
        Body::DisputeJudgment(b) => out
            .str("dispute", &b.dispute)
            .opt("favor", b.favor.as_ref())
            .opt("summary", b.summary.as_ref()),
        Body::DisputeDismissed(b) => out
            .str("dispute", &b.dispute)
            .opt("reason", b.reason.as_ref()),
        Body::DisputeSettled(b) => out
            .strs("disputes", &b.disputes)
            .opt("terms", b.terms.as_ref()),
        Body::PartnershipFormed(b) => out
            .str("partnership", &b.partnership)
            .strs("parties", &b.parties)
            .opt("scope", b.scope.as_ref())
            .opt("customer", b.customer.as_ref()),
        Body::PartnershipEnded(b) => out
            .str("partnership", &b.partnership)
            .opt("reason", b.reason.as_ref()),
        Body::Acquisition(b) => out.str("acquirer", &b.acquirer).str("target", &b.target),
        Body::Divestment(b) => out
            .str("seller", &b.seller)
            .str("asset", &b.asset)
            .opt("buyer", b.buyer.as_ref()),
        Body::Correction(b) => out
            .str("target", &b.target)
            .str("reason", &b.reason)
            .put("replacement", b.replacement.to_json_value()),
        Body::Retraction(b) => out.str("target", &b.target).str("reason", &b.reason),
        Body::KeyAuthorized(b) => out
            .str("key", &b.key)
            .str("role", &b.role)
            .opt("name", b.name.as_ref()),
        Body::KeyRevoked(b) => out.str("key", &b.key).opt("reason", b.reason.as_ref()),
    };
}

impl Event {
    /// The canonical JSON object (see the `json_out` module docs for the
    /// field order and what is left out).
    pub fn to_json_value(&self) -> Value {
        let mut out = Out::default();
        out.opt("id", self.id.as_ref())
            .str("kind", &self.kind())
            .str("effective", &self.effective);
        body(&mut out, &self.body);
        out.list("sources", &self.sources, source)
            .opt("note", self.note.as_ref())
            .done()
    }

    /// The canonical JSON as one compact line (an NDJSON record, without the
    /// newline).
    pub fn to_json_string(&self) -> String {
        self.to_json_value().to_string()
    }
}
