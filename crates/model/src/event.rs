//! The event types: [`Event`], its [`Body`] and one struct per kind.
//!
//! Field names and order follow DESIGN.md section 3 exactly; the JSON codec
//! (`json_in`, `json_out`) and the binary codec (`codec`) both follow this
//! order. Optional fields are `Option`s; optional lists are `Vec`s, where an
//! empty list means the same as an absent one.

use bincode::{Decode, Encode};

use crate::ids::{Digest, EventId, Slug, Text};
use crate::keys::PublicKey;
use crate::time::Effective;
use crate::vocab::{Category, DismissalReason, Kind, Nature, Outcome, Role};

/// One fact in the ledger: what happened, when, and on what evidence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// The event's id, unique in a ledger. `None` until the ledger derives
    /// one from the content (see [`Event::derived_id`]). Always `None` in a
    /// correction's replacement.
    pub id: Option<EventId>,
    /// When it happened in the world (valid time).
    pub effective: Effective,
    /// The documents it rests on; at most [`MAX_SOURCES`](crate::limits::MAX_SOURCES).
    pub sources: Vec<Source>,
    /// A free note, for instance "date unverified".
    pub note: Option<Text>,
    /// What happened: the kind and its fields.
    pub body: Body,
}

/// What happened: one variant per [`Kind`], in the same order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// `entity.registered`
    EntityRegistered(EntityRegistered),
    /// `entity.renamed`
    EntityRenamed(EntityRenamed),
    /// `dispute.filed`, boxed: a filing is three times the size of any
    /// other body, and one event in a dozen; unboxed, it would make every
    /// event in memory that large.
    DisputeFiled(Box<DisputeFiled>),
    /// `dispute.entry`
    DisputeEntry(DisputeEntry),
    /// `dispute.ruling`
    DisputeRuling(DisputeRuling),
    /// `dispute.stayed`
    DisputeStayed(DisputeStayed),
    /// `dispute.resumed`
    DisputeResumed(DisputeResumed),
    /// `dispute.appealed`
    DisputeAppealed(DisputeAppealed),
    /// `dispute.judgment`
    DisputeJudgment(DisputeJudgment),
    /// `dispute.dismissed`
    DisputeDismissed(DisputeDismissed),
    /// `dispute.settled`
    DisputeSettled(DisputeSettled),
    /// `partnership.formed`
    PartnershipFormed(PartnershipFormed),
    /// `partnership.ended`
    PartnershipEnded(PartnershipEnded),
    /// `acquisition`
    Acquisition(Acquisition),
    /// `divestment`
    Divestment(Divestment),
    /// `correction`
    Correction(Correction),
    /// `retraction`
    Retraction(Retraction),
    /// `key.authorized`
    KeyAuthorized(KeyAuthorized),
    /// `key.revoked`
    KeyRevoked(KeyRevoked),
}

/// A document an event rests on. At least one field is set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Source {
    /// The document's title.
    pub title: Option<Text>,
    /// Where to find it (no whitespace).
    pub url: Option<Text>,
    /// A formal citation, such as `[2024] EWHC 1921 (Pat)`.
    pub citation: Option<Text>,
    /// The BLAKE3 digest of the document's bytes.
    pub digest: Option<Digest>,
}

/// Where a dispute is heard.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Forum {
    /// The court or agency, as an entity slug (for example `ded`, `itc`,
    /// `upc-munich`); register it with category `court` or `agency`.
    pub court: Slug,
    /// The case number in that forum, such as `1:23-cv-01236`.
    pub case_number: Option<Text>,
    /// A display name of the forum or proceeding.
    pub name: Option<Text>,
}

/// One claim of a dispute: an asserted patent, a technology area, or both.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Claim {
    /// The patent number, such as `US 7,724,818`.
    pub patent: Option<Text>,
    /// The technology or legal area, such as `video streaming`.
    pub area: Option<Text>,
}

/// `entity.registered`: an entity appears in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct EntityRegistered {
    /// Its slug.
    pub entity: Slug,
    /// Its name.
    pub name: Text,
    /// Other names it goes by.
    pub aliases: Vec<Text>,
    /// The entity that owns it, if any.
    pub parent: Option<Slug>,
    /// What it is (`company` when absent in JSON).
    pub category: Category,
}

/// `entity.renamed`: an entity takes a new name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct EntityRenamed {
    /// Its slug (unchanged).
    pub entity: Slug,
    /// Its new name.
    pub name: Text,
}

/// `dispute.filed`: a suit, complaint or petition is filed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeFiled {
    /// The new dispute's slug.
    pub dispute: Slug,
    /// Its title, such as `Nokia v. Amazon`.
    pub title: Text,
    /// Where it is heard.
    pub forum: Forum,
    /// What it is about.
    pub nature: Nature,
    /// Who brings it (at least one, no repeats).
    pub plaintiffs: Vec<Slug>,
    /// Against whom (at least one, no repeats, none of them a plaintiff).
    pub defendants: Vec<Slug>,
    /// What is asserted.
    pub claims: Vec<Claim>,
    /// Accused product names.
    pub accused: Vec<Text>,
    /// The dispute this one answers (a countersuit), if any.
    pub responds_to: Option<Slug>,
}

/// `dispute.entry`: a docket entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeEntry {
    /// The dispute.
    pub dispute: Slug,
    /// What was filed or ordered.
    pub description: Text,
    /// The docket entry number, as text (JSON accepts a string or a
    /// non-negative integer).
    pub number: Option<Text>,
    /// Who filed it.
    pub filed_by: Option<Slug>,
}

/// `dispute.ruling`: an interim ruling.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeRuling {
    /// The dispute.
    pub dispute: Slug,
    /// What was decided.
    pub outcome: Outcome,
    /// The party it favours.
    pub favor: Option<Slug>,
    /// A summary.
    pub summary: Option<Text>,
}

/// `dispute.stayed`: proceedings are stayed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeStayed {
    /// The dispute.
    pub dispute: Slug,
    /// Why.
    pub reason: Option<Text>,
}

/// `dispute.resumed`: a stay is lifted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeResumed {
    /// The dispute.
    pub dispute: Slug,
    /// Why.
    pub reason: Option<Text>,
}

/// `dispute.appealed`: a decision is appealed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeAppealed {
    /// The dispute.
    pub dispute: Slug,
    /// The appellant.
    pub by: Option<Slug>,
    /// The appeal forum.
    pub forum: Option<Forum>,
}

/// `dispute.judgment`: a final judgment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeJudgment {
    /// The dispute.
    pub dispute: Slug,
    /// The party it favours.
    pub favor: Option<Slug>,
    /// A summary.
    pub summary: Option<Text>,
}

/// `dispute.dismissed`: the dispute is dismissed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeDismissed {
    /// The dispute.
    pub dispute: Slug,
    /// Why.
    pub reason: Option<DismissalReason>,
}

/// `dispute.settled`: a settlement closes one or more disputes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct DisputeSettled {
    /// The disputes it closes (at least one, no repeats).
    pub disputes: Vec<Slug>,
    /// The terms, as far as they are public.
    pub terms: Option<Text>,
}

/// `partnership.formed`: entities start working together.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct PartnershipFormed {
    /// The partnership's slug.
    pub partnership: Slug,
    /// The partners (at least two, no repeats).
    pub parties: Vec<Slug>,
    /// What it covers.
    pub scope: Option<Text>,
    /// The customer it serves, if any.
    pub customer: Option<Slug>,
}

/// `partnership.ended`: a partnership ends.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct PartnershipEnded {
    /// The partnership.
    pub partnership: Slug,
    /// Why.
    pub reason: Option<Text>,
}

/// `acquisition`: from `effective` on, `target`'s parent is `acquirer`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Acquisition {
    /// The buyer.
    pub acquirer: Slug,
    /// The entity bought (not the acquirer).
    pub target: Slug,
}

/// `divestment`: an entity sells or spins off a unit or product line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Divestment {
    /// The entity letting go.
    pub seller: Slug,
    /// The unit or product line, as an entity.
    pub asset: Slug,
    /// Who takes it, if anyone (a spin-off has no buyer).
    pub buyer: Option<Slug>,
}

/// `correction`: replaces an earlier event by a corrected version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Correction {
    /// The id of the event corrected.
    pub target: EventId,
    /// Why.
    pub reason: Text,
    /// The corrected event: same kind as the target (the ledger checks
    /// that), no id, and never itself a correction or retraction.
    pub replacement: Box<Event>,
}

/// `retraction`: withdraws an earlier event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Retraction {
    /// The id of the event withdrawn.
    pub target: EventId,
    /// Why.
    pub reason: Text,
}

/// `key.authorized`: from this event on, `key` may sign events for the
/// ledger, with the powers of `role`.
///
/// Like every key event it mentions no entity, dispute or partnership,
/// projections ignore it, and it cannot be corrected.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct KeyAuthorized {
    /// The authorised public key.
    pub key: PublicKey,
    /// What it may do (`writer` when absent in JSON).
    pub role: Role,
    /// A label for people, such as the holder's name.
    pub name: Option<Text>,
}

/// `key.revoked`: from this event on, `key` may no longer sign events.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct KeyRevoked {
    /// The revoked public key.
    pub key: PublicKey,
    /// Why.
    pub reason: Option<Text>,
}

impl Body {
    /// The event a correction or retraction acts on; `None` for every
    /// other kind.
    pub fn target(&self) -> Option<&EventId> {
        match self {
            Body::Correction(correction) => Some(&correction.target),
            Body::Retraction(retraction) => Some(&retraction.target),
            _ => None,
        }
    }

    /// The kind of this body.
    pub fn kind(&self) -> Kind {
        match self {
            Body::EntityRegistered(_) => Kind::EntityRegistered,
            Body::EntityRenamed(_) => Kind::EntityRenamed,
            Body::DisputeFiled(_) => Kind::DisputeFiled,
            Body::DisputeEntry(_) => Kind::DisputeEntry,
            Body::DisputeRuling(_) => Kind::DisputeRuling,
            Body::DisputeStayed(_) => Kind::DisputeStayed,
            Body::DisputeResumed(_) => Kind::DisputeResumed,
            Body::DisputeAppealed(_) => Kind::DisputeAppealed,
            Body::DisputeJudgment(_) => Kind::DisputeJudgment,
            Body::DisputeDismissed(_) => Kind::DisputeDismissed,
            Body::DisputeSettled(_) => Kind::DisputeSettled,
            Body::PartnershipFormed(_) => Kind::PartnershipFormed,
            Body::PartnershipEnded(_) => Kind::PartnershipEnded,
            Body::Acquisition(_) => Kind::Acquisition,
            Body::Divestment(_) => Kind::Divestment,
            Body::Correction(_) => Kind::Correction,
            Body::Retraction(_) => Kind::Retraction,
            Body::KeyAuthorized(_) => Kind::KeyAuthorized,
            Body::KeyRevoked(_) => Kind::KeyRevoked,
        }
    }
}

/// Which family of identifiers to collect.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Entity,
    Dispute,
    Partnership,
}

/// Pushes `s` unless already present (the lists are small).
fn push_new<'a>(out: &mut Vec<&'a Slug>, s: &'a Slug) {
    if !out.contains(&s) {
        out.push(s);
    }
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> Kind {
        self.body.kind()
    }

    /// Every entity slug the event mentions, in field order, without
    /// repeats: parties, parents, favoured parties, filers, and a forum's
    /// court. A correction mentions what its replacement mentions; a
    /// retraction and the key events mention nothing.
    pub fn entities(&self) -> Vec<&Slug> {
        self.collect(Family::Entity)
    }

    /// Every dispute slug the event mentions, in field order, without
    /// repeats (including `responds_to` and settled disputes).
    pub fn disputes(&self) -> Vec<&Slug> {
        self.collect(Family::Dispute)
    }

    /// Every partnership slug the event mentions (zero or one).
    pub fn partnerships(&self) -> Vec<&Slug> {
        self.collect(Family::Partnership)
    }

    fn collect(&self, family: Family) -> Vec<&Slug> {
        let mut out = Vec::new();
        self.collect_into(family, &mut out);
        out
    }

    fn collect_into<'a>(&'a self, family: Family, out: &mut Vec<&'a Slug>) {
        let mut add = |f: Family, s: &'a Slug| {
            if f == family {
                push_new(out, s);
            }
        };
        use Family::{Dispute as D, Entity as E, Partnership as P};
        match &self.body {
            Body::EntityRegistered(b) => {
                add(E, &b.entity);
                b.parent.iter().for_each(|s| add(E, s));
            }
            Body::EntityRenamed(b) => add(E, &b.entity),
            Body::DisputeFiled(b) => {
                add(D, &b.dispute);
                add(E, &b.forum.court);
                b.plaintiffs.iter().for_each(|s| add(E, s));
                b.defendants.iter().for_each(|s| add(E, s));
                b.responds_to.iter().for_each(|s| add(D, s));
            }
            Body::DisputeEntry(b) => {
                add(D, &b.dispute);
                b.filed_by.iter().for_each(|s| add(E, s));
            }
            Body::DisputeRuling(b) => {
                add(D, &b.dispute);
                b.favor.iter().for_each(|s| add(E, s));
            }
            Body::DisputeStayed(b) => add(D, &b.dispute),
            Body::DisputeResumed(b) => add(D, &b.dispute),
            Body::DisputeAppealed(b) => {
                add(D, &b.dispute);
                b.by.iter().for_each(|s| add(E, s));
                b.forum.iter().for_each(|f| add(E, &f.court));
            }
            Body::DisputeJudgment(b) => {
                add(D, &b.dispute);
                b.favor.iter().for_each(|s| add(E, s));
            }
            Body::DisputeDismissed(b) => add(D, &b.dispute),
            Body::DisputeSettled(b) => b.disputes.iter().for_each(|s| add(D, s)),
            Body::PartnershipFormed(b) => {
                add(P, &b.partnership);
                b.parties.iter().for_each(|s| add(E, s));
                b.customer.iter().for_each(|s| add(E, s));
            }
            Body::PartnershipEnded(b) => add(P, &b.partnership),
            Body::Acquisition(b) => {
                add(E, &b.acquirer);
                add(E, &b.target);
            }
            Body::Divestment(b) => {
                add(E, &b.seller);
                add(E, &b.asset);
                b.buyer.iter().for_each(|s| add(E, s));
            }
            Body::Correction(b) => b.replacement.collect_into(family, out),
            Body::Retraction(_) | Body::KeyAuthorized(_) | Body::KeyRevoked(_) => {}
        }
    }

    /// The id the ledger gives an event that has none: `d:` followed by the
    /// first 32 lowercase hex digits (128 bits) of
    /// `BLAKE3-derive_key("docket v1 event id", encode(event with id None))`.
    ///
    /// It depends only on the content, so importing the same file twice
    /// yields the same ids. For an event that fails [`Event::check`] the
    /// value is well defined but such an event can never be stored.
    pub fn derived_id(&self) -> EventId {
        let mut hasher = blake3::Hasher::new_derive_key("docket v1 event id");
        crate::codec::hash_payload_without_id(self, &mut hasher);
        let hex = hasher.finalize().to_hex();
        EventId::from_trusted(format!("d:{}", &hex.as_str()[..32]))
    }

    /// Sets `id` to [`Event::derived_id`] if it is `None`; keeps a given id.
    pub fn with_derived_id(mut self) -> Event {
        if self.id.is_none() {
            self.id = Some(self.derived_id());
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::new(s).unwrap()
    }

    fn event(body: Body) -> Event {
        Event {
            id: None,
            effective: Effective::parse("2023-10-31").unwrap(),
            sources: vec![],
            note: None,
            body,
        }
    }

    fn filed() -> Body {
        Body::DisputeFiled(Box::new(DisputeFiled {
            dispute: slug("nokia-v-amazon-ded"),
            title: Text::new("Nokia v. Amazon").unwrap(),
            forum: Forum {
                court: slug("ded"),
                case_number: None,
                name: None,
            },
            nature: Nature::Patent,
            plaintiffs: vec![slug("nokia")],
            defendants: vec![slug("amazon"), slug("twitch")],
            claims: vec![],
            accused: vec![],
            responds_to: Some(slug("earlier")),
        }))
    }

    #[test]
    fn mentions_are_collected_per_family() {
        let e = event(filed());
        let names = |v: Vec<&Slug>| v.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(names(e.entities()), ["ded", "nokia", "amazon", "twitch"]);
        assert_eq!(names(e.disputes()), ["nokia-v-amazon-ded", "earlier"]);
        assert!(e.partnerships().is_empty());
        let c = event(Body::Correction(Correction {
            target: EventId::new("e1").unwrap(),
            reason: Text::new("typo").unwrap(),
            replacement: Box::new(e.clone()),
        }));
        assert_eq!(c.entities(), e.entities());
        assert_eq!(c.kind(), Kind::Correction);
        let p = event(Body::PartnershipFormed(PartnershipFormed {
            partnership: slug("p"),
            parties: vec![slug("a"), slug("b")],
            scope: None,
            customer: Some(slug("a")),
        }));
        assert_eq!(names(p.entities()), ["a", "b"]);
        assert_eq!(names(p.partnerships()), ["p"]);
    }

    #[test]
    fn derived_ids_depend_on_content_only() {
        let e = event(filed());
        let id = e.derived_id();
        assert!(id.as_str().starts_with("d:"));
        assert_eq!(id.as_str().len(), 34);
        assert!(
            id.as_str()[2..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let with_id = e.clone().with_derived_id();
        assert_eq!(with_id.id.as_ref(), Some(&id));
        assert_eq!(with_id.derived_id(), id, "the id itself is not hashed");
        let mut other = e.clone();
        other.note = Some(Text::new("n").unwrap());
        assert_ne!(other.derived_id(), id);
        let mut named = e;
        named.id = Some(EventId::new("mine").unwrap());
        assert_eq!(named.clone().with_derived_id().id, named.id);
    }
}
