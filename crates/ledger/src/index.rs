//! What an event is indexed under, so that one dispute's or one entity's
//! events can be read without scanning the log (the index itself is kept by
//! [`crate::index_store`]).
//!
//! | term | postings |
//! |------|----------|
//! | event id | the entry holding that id |
//! | `d:` ‖ dispute slug | every entry that names the dispute |
//! | `e:` ‖ entity slug | every entry that names the entity |
//! | `p:` ‖ partnership slug | every entry that names the partnership |
//! | `s:` ‖ entity slug | every structural event about the entity: its registration, renames, its acquisition (as target) and divestment (as asset) |
//! | `k:` | every key event (`key.authorized`, `key.revoked`) |
//!
//! A correction or retraction is also indexed under every slug of the event
//! it targets, so a per-dispute read sees the revisions of that dispute's
//! events even when a correction moves an event elsewhere.

use std::borrow::Borrow;

use docket_model::{Event, EventId};

/// The term every key event is indexed under.
pub(crate) const KEY_EVENTS_TERM: &[u8] = b"k:";

/// Which family of slugs an index key is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    Dispute,
    Entity,
    Partnership,
    /// Only the events that shape corporate structure (registrations,
    /// renames, acquisitions, divestments) naming an entity: enough to name
    /// it and find its group, without reading every dispute it is in.
    Structure,
}

impl Family {
    fn prefix(self) -> &'static [u8] {
        match self {
            Family::Dispute => b"d:",
            Family::Entity => b"e:",
            Family::Partnership => b"p:",
            Family::Structure => b"s:",
        }
    }
}

/// The term under which all entries naming `slug` are indexed.
pub(crate) fn slug_term(family: Family, slug: &str) -> Vec<u8> {
    let mut term = Vec::with_capacity(2 + slug.len());
    term.extend_from_slice(family.prefix());
    term.extend_from_slice(slug.as_bytes());
    term
}

/// The events a revision reaches: its target, the target's target and so
/// on down to the event the chain is about, given a way to look ids up
/// (to events, or to references to events in hand). A revision is indexed
/// under the slugs of all of them, so that a retraction of a retraction is
/// found wherever the retracted event is.
pub(crate) fn revision_chain<E: Borrow<Event>>(
    event: &Event,
    mut lookup: impl FnMut(&EventId) -> Option<E>,
) -> Vec<E> {
    let mut chain = Vec::new();
    let mut next = event.body.target().cloned();
    // Targets always precede their revisions, so chains end; the bound
    // only guards against a damaged store.
    while let Some(id) = next.take() {
        if chain.len() >= 64 {
            break;
        }
        if let Some(target) = lookup(&id) {
            next = target.borrow().body.target().cloned();
            chain.push(target);
        }
    }
    chain
}

/// Every term `event` is indexed under, besides its id. `related` are the
/// events a correction or retraction reaches (see [`revision_chain`]).
pub(crate) fn terms_for<'e>(
    event: &Event,
    related: impl IntoIterator<Item = &'e Event>,
) -> Vec<Vec<u8>> {
    let mut terms: Vec<Vec<u8>> = Vec::new();
    if event.kind().is_key() {
        terms.push(KEY_EVENTS_TERM.to_vec());
    }
    let mut add = |source: &Event| {
        let families = [
            (Family::Dispute, source.disputes()),
            (Family::Entity, source.entities()),
            (Family::Partnership, source.partnerships()),
        ];
        let subject = crate::state::structural_subject(source);
        for (family, slugs) in families
            .into_iter()
            .chain([(Family::Structure, subject.into_iter().collect())])
        {
            for slug in slugs {
                let term = slug_term(family, slug.as_str());
                if !terms.contains(&term) {
                    terms.push(term);
                }
            }
        }
    };
    add(event);
    for target in related {
        add(target);
    }
    terms
}
