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
//! | `s:` ‖ entity slug | every structural event about the entity: its registration, renames, its acquisition (as target) and divestment (as asset); and every correction whose replacement is one |
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

/// The terms one event is indexed under, in one buffer, each behind its
/// length (four bytes, little-endian). An import holds every new event's
/// terms until the event is stored: with a vector per term (three or four
/// allocations an event), a million-event import peaked a tenth higher.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Terms(Vec<u8>);

const TERM_LENGTH: usize = 4;

impl Terms {
    /// Each term, in the order added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = self.0.as_slice();
        std::iter::from_fn(move || {
            let (length, after) = rest.split_first_chunk::<TERM_LENGTH>()?;
            let length = u32::from_le_bytes(*length) as usize;
            let (term, after) = after.split_at_checked(length)?;
            rest = after;
            Some(term)
        })
    }

    /// Terms made of the given bytes, each once.
    #[cfg(test)]
    pub(crate) fn of<T: AsRef<[u8]>>(terms: impl IntoIterator<Item = T>) -> Terms {
        let mut all = Terms::default();
        for term in terms {
            all.add(term.as_ref(), b"");
        }
        all
    }

    /// Adds the term `prefix` ‖ `slug`, unless it is there already.
    fn add(&mut self, prefix: &[u8], slug: &[u8]) {
        let is_it = |term: &[u8]| {
            term.len() == prefix.len() + slug.len()
                && term.starts_with(prefix)
                && term.ends_with(slug)
        };
        if self.iter().any(is_it) {
            return;
        }
        // Terms are a two-byte prefix and a slug of at most
        // `limits::MAX_SLUG` bytes, far below the length's range.
        let length = u32::try_from(prefix.len() + slug.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&length.to_le_bytes());
        self.0.extend_from_slice(prefix);
        self.0.extend_from_slice(slug);
    }
}

/// Every term `event` is indexed under, besides its id. `related` are the
/// events a correction or retraction reaches (see [`revision_chain`]).
pub(crate) fn terms_for<'e>(event: &Event, related: impl IntoIterator<Item = &'e Event>) -> Terms {
    // Room for most events' terms, then copied to a buffer of their size:
    // growing from nothing took several allocations, and a roomy buffer
    // would be held, mostly empty, for each event of an import.
    let mut terms = Terms(Vec::with_capacity(256));
    if event.kind().is_key() {
        terms.add(KEY_EVENTS_TERM, b"");
    }
    let mut add = |source: &Event| {
        let families = [
            (Family::Dispute, source.disputes()),
            (Family::Entity, source.entities()),
            (Family::Partnership, source.partnerships()),
        ];
        // A correction is about what its replacement is about: one that
        // moves an acquisition to another target is found from that
        // target's structure, as the acquisition it makes would be.
        let subject = match &source.body {
            docket_model::Body::Correction(c) => crate::state::structural_subject(&c.replacement),
            _ => crate::state::structural_subject(source),
        };
        for (family, slugs) in families
            .into_iter()
            .chain([(Family::Structure, subject.into_iter().collect())])
        {
            for slug in slugs {
                terms.add(family.prefix(), slug.as_str().as_bytes());
            }
        }
    };
    add(event);
    for target in related {
        add(target);
    }
    Terms(terms.0.as_slice().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_come_back_in_order_once_each() {
        let mut terms = Terms::default();
        assert_eq!(terms.iter().count(), 0);
        terms.add(b"d:", b"acme-v-widget");
        terms.add(b"e:", b"acme");
        terms.add(b"d:", b"acme-v-widget");
        terms.add(b"e:", b"acm");
        terms.add(b"k:", b"");
        terms.add(b"k:", b"");
        let listed: Vec<&[u8]> = terms.iter().collect();
        assert_eq!(
            listed,
            [&b"d:acme-v-widget"[..], b"e:acme", b"e:acm", b"k:"]
        );
        assert_eq!(terms.iter().count(), 4);
    }

    #[test]
    fn a_cut_buffer_ends_the_terms_without_a_panic() {
        let mut terms = Terms::default();
        terms.add(b"d:", b"a");
        terms.add(b"e:", b"bb");
        for cut in 0..terms.0.len() {
            let part = Terms(terms.0[..cut].to_vec());
            assert!(part.iter().count() <= 1, "cut at {cut}");
        }
    }
}
