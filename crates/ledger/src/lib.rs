//! The docket facade: the only crate that combines storage with meaning.
//!
//! [`Ledger`] wraps a [`docket_log::Log`] of opaque entries and gives them a
//! meaning: every payload is the canonical binary encoding of a
//! [`docket_model::Event`], every event has an id that is unique in the
//! ledger, and every write goes through the checks that keep those promises.
//!
//! What this crate does *not* do: it never prints (only the command line
//! does), and it never interprets the bytes of an entry header (the log owns
//! the entry format).
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod append;
mod blocks;
mod bundle;
mod checkpoint;
pub mod dockets;
mod entries;
mod error;
mod import;
mod index;
mod index_buckets;
mod index_codec;
mod index_store;
mod input;
mod keys;
mod parse_ahead;
mod proof;
mod replay;
mod snapshot;
mod state;
mod time;
mod timeline;
mod validate;
mod verify;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_entity;
#[cfg(test)]
mod tests_replay;

use std::path::Path;
use std::sync::Mutex;

use docket_log::Log;
use docket_model::{Event, EventId};

pub use append::{AppendOptions, AppendOutcome, EventStatus};
pub use bundle::{Bundle, VerifiedBundle};
pub use checkpoint::{Checkpoint, CheckpointError, DEFAULT_KEY_NAME, NoteSignature, key_id};
pub use dockets::{
    Docket, DocketError, DocketFormat, DocketImport, DocketImportOptions, DocketPlan, FixError,
    docket_events, parse_docket,
};
pub use entries::{ENTRIES_FORMAT, EntriesHeader};
pub use error::{AppendError, ExportError, FailureKind, ImportError, OpenError, ReadError};
pub use import::{ImportOptions, ImportProgress, ImportReport};
pub use input::{ParsedEvent, parse_events};
pub use keys::{KeyError, SecretKey, signature_is_valid, usable_key};
pub use proof::{Proof, ProofError, ProvenEntry};
pub use replay::{Projections, Revision, project};
pub use state::{DisputeView, EntityView, State, StateSource};
pub use time::{TimeQuery, format_instant, parse_instant};
pub use timeline::{Revised, TimelineItem, TimelineScope};
pub use verify::LedgerVerifyReport;

pub use docket_log::{Damage, Entry, Hash, Head, hex, parse_hex_hash};

/// A ledger of legal events on disk.
///
/// All writes through one `Ledger` value are serialised, so several threads
/// may share it; a second *process* cannot open the same ledger at all.
pub struct Ledger {
    log: Log,
    /// Held for the whole check-then-append sequence so that two threads
    /// cannot both decide that the same id is new.
    write_lock: Mutex<()>,
    /// The state of everything recorded, as of the head it names, kept in
    /// memory between appends so that validating the next one does not
    /// decode the stored snapshot again. Written back on drop.
    cache: Mutex<Option<snapshot::Cached>>,
    /// The derived index of ids and slugs, with what is not yet flushed.
    index: Mutex<index_store::IndexStore>,
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.store_cached_snapshot();
    }
}

/// One stored entry together with the event it holds.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The entry exactly as stored (header and payload bytes).
    pub entry: Entry,
    /// The entry's hash, as chained into the next entry.
    pub hash: Hash,
    /// The decoded event; its `id` is always set.
    pub event: Event,
}

impl Ledger {
    /// Creates a new, empty ledger at `path`.
    pub fn init(path: &Path) -> Result<Ledger, OpenError> {
        let log = Log::create(path)?;
        Ok(Ledger {
            log,
            write_lock: Mutex::new(()),
            cache: Mutex::new(None),
            index: Mutex::new(index_store::IndexStore::default()),
        })
    }

    /// Creates a new ledger that requires signatures: its entry 0 declares
    /// `admin` as the administrator key, the root of trust that authorises
    /// every other key (see the `keys` module).
    pub fn init_requiring_signatures(
        path: &Path,
        admin: &docket_model::PublicKey,
    ) -> Result<Ledger, OpenError> {
        keys::usable_key(admin)?;
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        let text = |s: &str| docket_model::Text::new(s).map_err(|e| OpenError::Root(e.to_string()));
        let root = Event {
            id: Some(EventId::new("ledger-admin-key").map_err(|e| OpenError::Root(e.to_string()))?),
            effective: docket_model::Effective::Date(today),
            sources: Vec::new(),
            note: Some(text(
                "The ledger's root of trust, declared when it was created.",
            )?),
            body: docket_model::Body::KeyAuthorized(docket_model::KeyAuthorized {
                key: *admin,
                role: docket_model::Role::Admin,
                name: Some(text("ledger administrator")?),
            }),
        };
        let payload = root.encode().map_err(|e| OpenError::Root(e.to_string()))?;
        let ledger = Ledger::init(path)?;
        let entry = docket_log::NewEntry {
            index_keys: Vec::new(),
            payload,
        };
        ledger
            .log
            .append(vec![entry])
            .map_err(|e| OpenError::Root(e.to_string()))?;
        Ok(ledger)
    }

    /// Whether every entry must be signed by an authorised key.
    pub fn requires_signatures(&self) -> Result<bool, ReadError> {
        Ok(self.key_state(1)?.requires)
    }

    /// Opens an existing ledger at `path`.
    pub fn open(path: &Path) -> Result<Ledger, OpenError> {
        let log = Log::open(path)?;
        Ok(Ledger {
            log,
            write_lock: Mutex::new(()),
            cache: Mutex::new(None),
            index: Mutex::new(index_store::IndexStore::default()),
        })
    }

    /// Where the ledger lives.
    pub fn path(&self) -> &Path {
        self.log.path()
    }

    /// The current head: number of entries and hash of the last one.
    pub fn head(&self) -> Head {
        self.log.head()
    }

    /// The entry at `seq` with its decoded event, or `None` past the head.
    pub fn get(&self, seq: u64) -> Result<Option<StoredEvent>, ReadError> {
        match self.log.get(seq)? {
            None => Ok(None),
            Some(entry) => decode_stored(entry).map(Some),
        }
    }

    /// The sequence number of the entry holding the event with this id.
    pub fn seq_of(&self, id: &EventId) -> Result<Option<u64>, ReadError> {
        Ok(self.get_by_id(id)?.map(|stored| stored.entry.header.seq))
    }

    /// The entry holding the event with this id.
    pub fn get_by_id(&self, id: &EventId) -> Result<Option<StoredEvent>, ReadError> {
        let found = self.with_index(|index, log| index.find(log, id))?;
        Ok(found.map(|(entry, event)| StoredEvent {
            hash: entry.hash(),
            entry,
            event,
        }))
    }

    /// Runs `f` on the index once it covers every entry. A damaged index is
    /// rebuilt from the entries, once.
    pub(crate) fn with_index<T>(
        &self,
        mut f: impl FnMut(&mut index_store::IndexStore, &Log) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        // The index is only ever changed by whole operations under this
        // lock; after a panic elsewhere, `ensure` re-checks it against the log.
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        let attempt = index
            .ensure(&self.log)
            .and_then(|()| f(&mut index, &self.log));
        match attempt {
            Err(ReadError::Index { .. }) => {
                index.reset(&self.log)?;
                index.ensure(&self.log)?;
                f(&mut index, &self.log)
            }
            other => other,
        }
    }

    /// Drops the derived index (it is rebuilt on the next lookup).
    pub fn discard_index(&self) -> Result<(), ReadError> {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        index.reset(&self.log)
    }

    /// Entries `seqs.start..seqs.end` (clamped to the head) with their events,
    /// in sequence order.
    pub fn events(
        &self,
        seqs: std::ops::Range<u64>,
    ) -> impl Iterator<Item = Result<StoredEvent, ReadError>> + '_ {
        let end = seqs.end.min(self.head().size);
        self.log
            .range(seqs.start..end)
            .map(|entry| decode_stored(entry?))
    }
}

fn decode_stored(entry: Entry) -> Result<StoredEvent, ReadError> {
    let seq = entry.header.seq;
    let event = Event::decode(&entry.payload).map_err(|source| ReadError::Payload {
        seq,
        message: source.to_string(),
    })?;
    let hash = entry.hash();
    Ok(StoredEvent { entry, hash, event })
}

/// The projection crates, for callers that render their types.
pub use docket_disputes as disputes;
pub use docket_holdings as holdings;
pub use docket_relations as relations;
