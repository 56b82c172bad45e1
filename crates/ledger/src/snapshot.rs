//! The snapshot: the projections of everything recorded, kept next to the
//! log so that opening a ledger does not replay its whole history.
//!
//! The snapshot is derived data (outside the hash chain). It is tied to the
//! head it was built from (size and hash) and used only when that tie
//! holds. When the log has grown since, the snapshot catches up by applying
//! just the new entries, provided none of them is a correction or a
//! retraction and none is dated before the latest event already applied
//! (otherwise the `(effective, seq)` order would put it in the middle of
//! history, and everything is replayed instead). Its holdings alone, which
//! a view of one entity reads, catch up over the structural events only
//! (`catch_up.rs`). A snapshot that does not decode is ignored and rebuilt.

use std::sync::Arc;

use bincode::Encode;
use docket_disputes::Histories;
use docket_log::{Hash, Head};

use crate::replay::{Part, Projections, Revision};
use crate::state::{State, StateSource};
use crate::{Ledger, ReadError, TimeQuery};
use compare::{Comparison, compare_rest};
use layout::{DecodedState, StateRef, Tie, WithoutHistories};

const SNAPSHOT_NAME: &str = "snapshot";

/// Bumped whenever a projection's stored shape changes, so an old snapshot
/// is rebuilt rather than misread. Version 3 moved the disputes after the
/// rest of the state ([`StateRef`]); version 4 writes each dispute's
/// history after its byte length, so that it can be skipped.
const SNAPSHOT_VERSION: u32 = 4;

/// See [`Snapshot::build`].
const BUILD: &str = env!("CARGO_PKG_VERSION");

/// Snapshots can be large; this bounds what a damaged one can make the
/// decoder allocate.
const SNAPSHOT_LIMIT: usize = 1 << 32;

/// Encoded as its [`Tie`] and then its state as a [`StateRef`].
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    version: u32,
    /// The docket-ledger release that built it: a release may fix how
    /// events are projected, and its snapshots must not be served by
    /// another.
    build: String,
    size: u64,
    head: Hash,
    max_instant: i64,
    /// Shared with the states handed out, so that answering from the
    /// cache copies nothing.
    projections: Arc<Projections>,
    revisions: Arc<Vec<Revision>>,
}

/// A snapshot held in memory, and how the stored one relates to it.
pub(crate) struct Cached {
    snapshot: Snapshot,
    /// Whether the stored snapshot is not this one.
    dirty: bool,
    /// How many entries the stored snapshot is behind this one, when it can
    /// catch up over all of them (they are dated after everything it holds
    /// and none is a revision); `None` when it cannot, or nothing is known.
    lag: Option<u64>,
}

impl Cached {
    /// Whether to write this snapshot out: rewriting a snapshot of a large
    /// ledger costs about a second at a million events, while catching a
    /// stored one up over a few thousand later entries costs milliseconds.
    /// So a snapshot only a little ahead of a stored one that can catch up
    /// stays in memory, and one-event appends from the command line do not
    /// each rewrite it.
    fn worth_saving(&self) -> bool {
        self.dirty && worth_saving(self.lag)
    }
}

/// Whether a state whose stored snapshot is `lag` entries behind (`None`:
/// cannot catch up) should be written out; see [`Cached::worth_saving`].
pub(crate) fn worth_saving(lag: Option<u64>) -> bool {
    lag.is_none_or(|lag| lag > LAZY_LAG)
}

/// A snapshot's state (everything after its [`Tie`]), encoded and
/// compressed into two zstd frames. It is made apart from the tie so that
/// an import can compress it on the other core while it stores the entries
/// whose head the tie names. The file is the tie's frame followed by these
/// two; zstd reads consecutive frames as one stream, and the stream is the
/// snapshot's encoding whatever the frames. The second frame starts at the
/// dispute [`load::first_part`] names, so that a query can decode the two
/// halves of the state on two threads ([`load::decode_in_two`]).
pub(crate) struct EncodedState(Vec<u8>);

impl EncodedState {
    /// Encodes and compresses as it goes, so that the uncompressed encoding
    /// (several times larger) is never held whole.
    pub(crate) fn new(
        max_instant: i64,
        projections: &Projections,
        revisions: &[Revision],
    ) -> Option<EncodedState> {
        // What `StateRef` encodes, in order: bincode encodes a tuple as its
        // parts one after another.
        let at = load::first_part(projections.disputes.len());
        let (first, later) = projections.disputes.encode_in_two(at);
        let start = (
            max_instant,
            &projections.holdings,
            &projections.relations,
            revisions,
            first,
        );
        let mut bytes = compressed(start)?;
        bytes.extend_from_slice(&compressed(later)?);
        Some(EncodedState(bytes))
    }
}

/// The snapshot a stored file holds, if it decodes and was built by this
/// release; each dispute's history as `histories` says.
fn decode_stored_file(compressed: &[u8], histories: Histories) -> Option<Snapshot> {
    // A file of other frames than current builds write (a damaged one, or
    // one framed otherwise) is read as one stream, which decides. Either
    // read refuses another version's or build's at its tie; checked again
    // here, whatever read a later change adds.
    let snapshot: Snapshot =
        load::decode_in_two(compressed, SNAPSHOT_LIMIT, histories).or_else(|| match histories {
            Histories::Read => load::decode_stored(compressed, SNAPSHOT_LIMIT),
            Histories::Skip => load::decode_stored(compressed, SNAPSHOT_LIMIT)
                .map(|WithoutHistories(snapshot)| snapshot),
        })?;
    (snapshot.version == SNAPSHOT_VERSION && snapshot.build == BUILD).then_some(snapshot)
}

/// The snapshot file of `state` tied to the head `(size, head)`: the tie's
/// frame, then the state's.
fn snapshot_file(size: u64, head: Hash, state: &EncodedState) -> Option<Vec<u8>> {
    let mut bytes = compressed((SNAPSHOT_VERSION, BUILD, size, head))?;
    bytes.extend_from_slice(&state.0);
    Some(bytes)
}

/// One zstd frame of `value`'s encoding.
fn compressed(value: impl Encode) -> Option<Vec<u8>> {
    let encoder = zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL).ok()?;
    // bincode writes field by field, a few bytes at a time; zstd's stream
    // pays per call, so it is handed the bytes in large blocks.
    let mut buffered = std::io::BufWriter::with_capacity(1 << 17, encoder);
    bincode::encode_into_std_write(value, &mut buffered, config()).ok()?;
    let encoder = buffered.into_inner().ok()?;
    encoder.finish().ok()
}

/// See [`Cached::worth_saving`].
const LAZY_LAG: u64 = 4096;

/// The snapshot file is zstd-compressed at the fastest level: it shrinks
/// about four times (dispute histories repeat slugs and phrases), which
/// keeps the ledger's size on disk within twice its payload bytes.
const ZSTD_LEVEL: i32 = 1;

/// A reader of the stored snapshot's decompressed bytes: at most one byte
/// more than [`SNAPSHOT_LIMIT`], so that a stream past the limit is seen.
type StoredReader<'a> = std::io::BufReader<
    std::io::Take<zstd::stream::read::Decoder<'a, std::io::BufReader<&'a [u8]>>>,
>;

fn stored_reader(compressed: &[u8]) -> Option<StoredReader<'_>> {
    stored_reader_within(compressed, SNAPSHOT_LIMIT)
}

/// [`stored_reader`] with another limit than [`SNAPSHOT_LIMIT`] (tests
/// cannot make a stream of 4 GiB).
fn stored_reader_within(compressed: &[u8], limit: usize) -> Option<StoredReader<'_>> {
    use std::io::Read;
    let decoder = zstd::stream::read::Decoder::new(compressed).ok()?;
    let limited = decoder.take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1));
    Some(std::io::BufReader::with_capacity(1 << 16, limited))
}

/// The rest of a stored snapshot whose tie has been read from `reader`.
fn read_state(tie: Tie, mut reader: StoredReader<'_>) -> Option<Snapshot> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).ok()?;
    if reader.get_ref().limit() == 0 {
        return None;
    }
    let (state, read): (DecodedState, usize) = bincode::decode_from_slice(&bytes, config()).ok()?;
    (read == bytes.len()).then(|| Snapshot::of(tie, state))
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<SNAPSHOT_LIMIT>()
}

impl Ledger {
    fn cached(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        // The cache is only ever replaced whole; a panic elsewhere cannot
        // leave it half-written.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers the state of everything recorded at `head`, computed while
    /// validating an append, so the next query or validation starts there.
    pub(crate) fn remember_state(
        &self,
        head: Head,
        max_instant: i64,
        projections: Projections,
        revisions: Vec<Revision>,
        lag: Option<u64>,
    ) {
        let snapshot = Snapshot {
            version: SNAPSHOT_VERSION,
            build: BUILD.to_string(),
            size: head.size,
            head: head.hash,
            max_instant,
            projections: Arc::new(projections),
            revisions: Arc::new(revisions),
        };
        *self.cached() = Some(Cached {
            snapshot,
            dirty: lag != Some(0),
            lag,
        });
    }

    /// [`Ledger::remember_state`] for a state whose encoding is in hand:
    /// it is stored now, as the snapshot of `head`.
    pub(crate) fn remember_encoded_state(
        &self,
        head: Head,
        max_instant: i64,
        projections: Arc<Projections>,
        revisions: Arc<Vec<Revision>>,
        encoded: &EncodedState,
    ) {
        let stored = self.write_snapshot(head.size, head.hash, encoded);
        *self.cached() = Some(Cached {
            snapshot: Snapshot {
                version: SNAPSHOT_VERSION,
                build: BUILD.to_string(),
                size: head.size,
                head: head.hash,
                max_instant,
                projections,
                revisions,
            },
            dirty: !stored,
            lag: stored.then_some(0),
        });
    }

    /// Whether a state is held in memory.
    pub(crate) fn has_cached_state(&self) -> bool {
        self.cached().is_some()
    }

    /// How far the stored snapshot is behind the cached state, if it can
    /// catch up (see [`Cached::lag`]).
    pub(crate) fn cached_lag(&self) -> Option<u64> {
        self.cached().as_ref().and_then(|c| c.lag)
    }

    /// Writes the in-memory state back as the stored snapshot, if it is
    /// worth it (see [`Cached::worth_saving`]).
    pub(crate) fn store_cached_snapshot(&self) {
        let mut cached = self.cached();
        if let Some(cached) = cached.as_mut().filter(|c| c.worth_saving()) {
            self.save_snapshot(&cached.snapshot);
            cached.dirty = false;
            cached.lag = Some(0);
        }
    }

    /// The cached snapshot, or else the stored one; says which.
    fn load_snapshot(&self) -> Option<(Snapshot, bool)> {
        if let Some(cached) = self.cached().as_ref() {
            return Some((cached.snapshot.clone(), true));
        }
        self.load_stored_snapshot().map(|s| (s, false))
    }

    /// [`Ledger::state`], but every dispute's `history` may be left empty
    /// ([`State::histories`] says whether it was), for an answer that shows
    /// no history: `state`, `conflicts`, `graph`. The histories are more
    /// than half of the stored snapshot's bytes; stepping over them (they
    /// are still decompressed) takes a fifth to a third off loading it on
    /// the first query after open. They are left out only when the stored
    /// snapshot is of the current head and no state is held in memory;
    /// otherwise this is [`Ledger::state`]. A state read without
    /// histories is not kept in memory: each call reads the stored
    /// snapshot again, so a caller that asks many times should call
    /// [`Ledger::state`], which keeps its state.
    pub fn state_without_histories(&self, query: &TimeQuery) -> Result<State, ReadError> {
        if query.as_of.is_none()
            && self.visible_size(query)? == self.head().size
            && let Some(state) = self.current_state_without_histories(query)
        {
            return Ok(state);
        }
        self.state(query)
    }

    /// The state of the whole log as it is now, for `query` (which sees
    /// all of it), if the cached state or the stored snapshot is of the
    /// current head. From the stored snapshot, each dispute's history is
    /// left out, for answers that show none. That state is not cached,
    /// since other answers need the histories.
    pub(crate) fn current_state_without_histories(&self, query: &TimeQuery) -> Option<State> {
        let head = self.head();
        let tied = |s: &Snapshot| s.size == head.size && s.head == head.hash;
        let cached = self.cached().as_ref().map(|c| c.snapshot.clone());
        let (snapshot, histories) = match cached {
            Some(cached) => (cached, Histories::Read),
            None => {
                // A snapshot behind the head is left for the caller's
                // whole-state read, which catches it up: decoded here, it
                // would be decoded twice.
                let compressed = self.log.derived_file(SNAPSHOT_NAME).ok()??;
                let tie = load::read_tie(&compressed)?;
                if (tie.size, tie.head) != (head.size, head.hash) {
                    return None;
                }
                let snapshot = decode_stored_file(&compressed, Histories::Skip)?;
                (snapshot, Histories::Skip)
            }
        };
        tied(&snapshot).then(|| State {
            query: *query,
            visible: snapshot.size,
            head,
            projections: snapshot.projections,
            revisions: snapshot.revisions,
            source: StateSource::Snapshot,
            max_instant: snapshot.max_instant,
            histories,
        })
    }

    /// The stored snapshot, if it decodes and was built by this release.
    fn load_stored_snapshot(&self) -> Option<Snapshot> {
        let compressed = self.log.derived_file(SNAPSHOT_NAME).ok()??;
        decode_stored_file(&compressed, Histories::Read)
    }

    fn save_snapshot(&self, snapshot: &Snapshot) {
        let encoded = EncodedState::new(
            snapshot.max_instant,
            &snapshot.projections,
            &snapshot.revisions,
        );
        if let Some(encoded) = encoded {
            self.write_snapshot(snapshot.size, snapshot.head, &encoded);
        }
    }

    /// Stores `state` as the snapshot of the head `(size, head)`; says
    /// whether it was. Derived data: failing to store it only costs a
    /// replay next time.
    fn write_snapshot(&self, size: u64, head: Hash, state: &EncodedState) -> bool {
        snapshot_file(size, head, state)
            .is_some_and(|bytes| self.log.put_derived_file(SNAPSHOT_NAME, &bytes).is_ok())
    }

    /// Forgets the in-memory state without touching the stored snapshot,
    /// so that the caller holds the only reference to it and can change it
    /// in place rather than copy it.
    pub(crate) fn forget_cached_state(&self) {
        *self.cached() = None;
    }

    /// Drops the snapshot (it is rebuilt on the next query).
    pub fn discard_snapshot(&self) {
        *self.cached() = None;
        let _ = self.log.remove_derived_file(SNAPSHOT_NAME);
    }

    /// Whether the stored snapshot matches a fresh replay of the whole log.
    /// `None` when there is no usable snapshot for the current head.
    pub fn snapshot_matches_log(&self) -> Result<Option<bool>, ReadError> {
        let head = self.head();
        self.snapshot_matches(head, || self.replay_prefix(head.size, None))
    }

    /// [`Ledger::snapshot_matches_log`] for a caller that has in hand the
    /// event of every entry up to `head` (`verify` decoded them all). A
    /// snapshot of another head (another thread appended since) is not
    /// compared.
    ///
    /// Every event is handed to `applied` (as by
    /// [`crate::replay::replay_handing_over`]) instead of being dropped,
    /// whether or not there was anything to replay for.
    pub(crate) fn snapshot_matches_events(
        &self,
        head: Head,
        events: Part,
        applied: crate::replay::EventSink<'_>,
    ) -> Result<Option<bool>, ReadError> {
        let mut events = Some(events);
        let verdict = self.snapshot_matches(head, || {
            let parts = events.take().into_iter().collect();
            Ok(crate::replay::replay_handing_over(
                parts,
                None,
                Some(&mut *applied),
            ))
        });
        if let Some(events) = events {
            applied(events.into_present());
        }
        verdict
    }

    fn snapshot_matches(
        &self,
        head: Head,
        fresh: impl FnOnce() -> Result<crate::replay::Replayed, ReadError>,
    ) -> Result<Option<bool>, ReadError> {
        // A stored snapshot of this head is compared as bytes: encoding the
        // fresh state costs less than decoding the stored one (the encoding
        // is canonical, so equal bytes mean equal states). One that is
        // behind (appends leave it so for a while, see `Cached`) is what
        // queries would catch up from: it is caught up and compared; if
        // only its holdings can catch up (views of one entity read them
        // so), they are.
        // The stored bytes are read as a stream and compared as the fresh
        // state is encoded: neither is ever held whole.
        let compressed = self.log.derived_file(SNAPSHOT_NAME).ok().flatten();
        let mut stored = None;
        let mut caught_up = None;
        let mut holdings = None;
        if let Some(mut reader) = compressed.as_deref().and_then(stored_reader) {
            let tie = bincode::decode_from_std_read::<Tie, _, _>(&mut reader, config())
                .ok()
                .filter(Tie::is_current);
            match tie {
                Some(tie) if tie.size == head.size && tie.head == head.hash => {
                    stored = Some(reader);
                }
                Some(tie) if tie.size < head.size => {
                    if let Some(mut snapshot) = read_state(tie, reader)
                        && self.catch_up(&mut snapshot, head)?
                    {
                        caught_up = Some(snapshot);
                    } else {
                        holdings = self.stored_holdings(head).map(|(h, _)| h);
                    }
                }
                _ => {}
            }
        }
        let cached = self
            .cached()
            .as_ref()
            .map(|c| c.snapshot.clone())
            .filter(|s| s.size == head.size && s.head == head.hash);
        if stored.is_none() && cached.is_none() && caught_up.is_none() && holdings.is_none() {
            return Ok(None);
        }
        let fresh = fresh()?;
        let fresh = Snapshot {
            version: SNAPSHOT_VERSION,
            build: BUILD.to_string(),
            size: head.size,
            head: head.hash,
            max_instant: fresh.max_instant,
            projections: Arc::new(fresh.projections),
            revisions: Arc::new(fresh.revisions),
        };
        let tied_to_head = stored.is_some();
        // The ties are equal (checked above), so the states are compared.
        let stored_matches = stored.and_then(|reader| {
            let state = StateRef {
                max_instant: fresh.max_instant,
                projections: &fresh.projections,
                revisions: &fresh.revisions,
            };
            match compare_rest(state, reader) {
                Comparison::Same => Some(true),
                Comparison::Differs => Some(false),
                Comparison::Unreadable => None,
            }
        });
        let same = |s: Snapshot| {
            s.max_instant == fresh.max_instant
                && s.projections == fresh.projections
                && s.revisions == fresh.revisions
        };
        // A file tied to the head whose end does not decompress is no state
        // to compare, but entity views still read the holdings at its start.
        if tied_to_head && stored_matches.is_none() {
            holdings = self.stored_holdings(head).map(|(h, _)| h);
        }
        let holdings_match = holdings.map(|h| h == fresh.projections.holdings);
        let verdicts = [
            stored_matches,
            cached.map(same),
            caught_up.map(same),
            holdings_match,
        ];
        if verdicts.iter().all(Option::is_none) {
            return Ok(None);
        }
        Ok(Some(verdicts.into_iter().flatten().all(|matches| matches)))
    }

    /// The state of everything recorded, through the snapshot. With
    /// `persist` false (validating an append that may yet be refused) a
    /// newly computed state is only kept in memory, so a refused append
    /// leaves the files as they were.
    pub(crate) fn current_state(
        &self,
        query: &TimeQuery,
        head: Head,
        persist: bool,
    ) -> Result<State, ReadError> {
        let state = |snapshot: Snapshot, source| State {
            query: *query,
            visible: snapshot.size,
            head,
            projections: snapshot.projections,
            revisions: snapshot.revisions,
            source,
            max_instant: snapshot.max_instant,
            histories: Histories::Read,
        };
        if let Some((mut snapshot, from_cache)) = self.load_snapshot() {
            if snapshot.size == head.size && snapshot.head == head.hash {
                if !from_cache {
                    self.keep(&snapshot, Some(0), false);
                }
                return Ok(state(snapshot, StateSource::Snapshot));
            }
            let behind = head.size.saturating_sub(snapshot.size);
            // The stored snapshot was this far behind the one caught up.
            let base = if from_cache {
                self.cached_lag()
            } else {
                Some(0)
            };
            if self.catch_up(&mut snapshot, head)? {
                self.keep(&snapshot, base.map(|lag| lag + behind), persist);
                return Ok(state(snapshot, StateSource::Incremental));
            }
        }
        let replayed = self.replay_prefix(head.size, None)?;
        let snapshot = Snapshot {
            version: SNAPSHOT_VERSION,
            build: BUILD.to_string(),
            size: head.size,
            head: head.hash,
            max_instant: replayed.max_instant,
            projections: Arc::new(replayed.projections),
            revisions: Arc::new(replayed.revisions),
        };
        self.keep(&snapshot, None, persist);
        Ok(state(snapshot, StateSource::Replay))
    }

    /// Keeps `snapshot` in memory. `lag` is how far the stored snapshot is
    /// behind it (see [`Cached::lag`]); with `persist`, it is written out
    /// now if that is worth it, rather than only on drop.
    fn keep(&self, snapshot: &Snapshot, lag: Option<u64>, persist: bool) {
        *self.cached() = Some(Cached {
            snapshot: snapshot.clone(),
            dirty: lag != Some(0),
            lag,
        });
        if persist {
            // Queries from the command line are one per process: store now
            // rather than only on drop, so a crash loses nothing derived.
            self.store_cached_snapshot();
        }
    }
}

mod catch_up;
mod compare;
mod layout;
mod load;
#[cfg(test)]
mod tests;
