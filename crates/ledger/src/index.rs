//! The index keys an event owns, so that one dispute's or one entity's
//! events can be read without scanning the log.
//!
//! | key | owner |
//! |-----|-------|
//! | `id:` ‖ event id | the entry holding that id |
//! | `d:` ‖ dispute slug ‖ `00` ‖ seq (u64 BE) | every entry that names the dispute |
//! | `e:` ‖ entity slug ‖ `00` ‖ seq (u64 BE) | every entry that names the entity |
//! | `p:` ‖ partnership slug ‖ `00` ‖ seq (u64 BE) | every entry that names the partnership |
//! | `s:` ‖ entity slug ‖ `00` ‖ seq (u64 BE) | every structural event about the entity: its registration, renames, its acquisition (as target) and divestment (as asset) |
//! | `k:` ‖ seq (u64 BE) | every key event (`key.authorized`, `key.revoked`) |
//!
//! A correction or retraction is also indexed under every slug of the event
//! it targets, so a per-dispute read sees the revisions of that dispute's
//! events even when a correction moves an event elsewhere. The seq inside
//! the slug keys keeps each key unique (the log's index keys are
//! write-once) and makes a prefix scan return the seqs in order.

use docket_model::{Event, EventId, Slug};

/// Index key namespace for event ids.
pub(crate) const ID_PREFIX: &[u8] = b"id:";

/// Index key namespace for key events.
pub(crate) const KEY_EVENT_PREFIX: &[u8] = b"k:";

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

pub(crate) fn id_key(id: &EventId) -> Vec<u8> {
    let mut key = Vec::with_capacity(ID_PREFIX.len() + id.as_str().len());
    key.extend_from_slice(ID_PREFIX);
    key.extend_from_slice(id.as_str().as_bytes());
    key
}

/// The prefix under which all entries naming `slug` are indexed.
pub(crate) fn slug_prefix(family: Family, slug: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(3 + slug.len() + 9);
    key.extend_from_slice(family.prefix());
    key.extend_from_slice(slug.as_bytes());
    key.push(0);
    key
}

fn slug_key(family: Family, slug: &Slug, seq: u64) -> Vec<u8> {
    let mut key = slug_prefix(family, slug.as_str());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The events a revision reaches: its target, the target's target and so
/// on down to the event the chain is about, given a way to look ids up.
/// A revision is indexed under the slugs of all of them, so that a
/// retraction of a retraction is found wherever the retracted event is.
pub(crate) fn revision_chain(
    event: &Event,
    mut lookup: impl FnMut(&EventId) -> Option<Event>,
) -> Vec<Event> {
    let mut chain = Vec::new();
    let mut next = event.body.target().cloned();
    // Targets always precede their revisions, so chains end; the bound
    // only guards against a damaged store.
    while let Some(id) = next.take() {
        if chain.len() >= 64 {
            break;
        }
        if let Some(target) = lookup(&id) {
            next = target.body.target().cloned();
            chain.push(target);
        }
    }
    chain
}

/// Every index key of `event` stored at `seq`. `related` are the events a
/// correction or retraction reaches (see [`revision_chain`]).
pub(crate) fn keys_for(event: &Event, seq: u64, related: &[Event]) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = event.id.iter().map(id_key).collect();
    if event.kind().is_key() {
        keys.push([KEY_EVENT_PREFIX, &seq.to_be_bytes()].concat());
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
                let key = slug_key(family, slug, seq);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    };
    add(event);
    for target in related {
        add(target);
    }
    keys
}
