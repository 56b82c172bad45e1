//! The index keys an event owns, so that one dispute's or one entity's
//! events can be read without scanning the log.
//!
//! | key | owner |
//! |-----|-------|
//! | `id:` ‖ event id | the entry holding that id |
//! | `d:` ‖ dispute slug ‖ `00` ‖ seq (u64 BE) | every entry that names the dispute |
//! | `e:` ‖ entity slug ‖ `00` ‖ seq (u64 BE) | every entry that names the entity |
//! | `p:` ‖ partnership slug ‖ `00` ‖ seq (u64 BE) | every entry that names the partnership |
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
}

impl Family {
    fn prefix(self) -> &'static [u8] {
        match self {
            Family::Dispute => b"d:",
            Family::Entity => b"e:",
            Family::Partnership => b"p:",
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

/// Every index key of `event` stored at `seq`. `target` is the event a
/// correction or retraction names, when the caller has it.
pub(crate) fn keys_for(event: &Event, seq: u64, target: Option<&Event>) -> Vec<Vec<u8>> {
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
        for (family, slugs) in families {
            for slug in slugs {
                let key = slug_key(family, slug, seq);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    };
    add(event);
    if let Some(target) = target {
        add(target);
    }
    keys
}
