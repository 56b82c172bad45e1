//! Catching a state up with the entries recorded after it, when applying
//! them after everything it holds is what a replay would do.

use std::sync::Arc;

use docket_holdings::Holdings;
use docket_log::{Hash, Head};
use docket_model::{Event, Projection};

use super::{SNAPSHOT_NAME, Snapshot, load};
use crate::replay::Part;
use crate::state::is_structural;
use crate::{Ledger, ReadError};

/// An event recorded after a state, with its instant and seq, for the
/// state to catch up with.
type Later = (i64, u64, Event);

impl Ledger {
    /// Applies the entries after the snapshot to it, if that gives the same
    /// result as a replay. Returns whether it did.
    pub(super) fn catch_up(&self, snapshot: &mut Snapshot, head: Head) -> Result<bool, ReadError> {
        let tie = (snapshot.size, snapshot.head);
        let Some(new) = self.events_to_catch_up(tie, snapshot.max_instant, head, |_| true)? else {
            return Ok(false);
        };
        let projections = Arc::make_mut(&mut snapshot.projections);
        for (instant, seq, event) in &new {
            projections.apply(*seq, event);
            snapshot.max_instant = snapshot.max_instant.max(*instant);
        }
        snapshot.size = head.size;
        snapshot.head = head.hash;
        Ok(true)
    }

    /// The events a state of the first `size` entries (whose last has hash
    /// `hash`), none later than `max_instant`, must apply to become the
    /// state at `head`, with their instants, in the order to apply them:
    /// if applying them after the others is what a replay would do. Only
    /// the events `matters` picks count: a state that ignores the others
    /// need not apply them, wherever they fall. `None` if not (a revision,
    /// or an event dated earlier), or if that state is not of a prefix of
    /// this log.
    fn events_to_catch_up(
        &self,
        (size, hash): (u64, Hash),
        max_instant: i64,
        head: Head,
        matters: impl Fn(&Event) -> bool,
    ) -> Result<Option<Vec<Later>>, ReadError> {
        if size > head.size {
            return Ok(None);
        }
        let tied = match size {
            0 => hash == [0u8; 32],
            size => self.log.get(size - 1)?.map(|e| e.hash()) == Some(hash),
        };
        if !tied {
            return Ok(None);
        }
        // Decoded without hashing each entry as `Ledger::events` does: the
        // tie above is all that a catch-up needs of the chain.
        let decoded = self.decode_parts(size..head.size)?;
        let mut new = Vec::new();
        for (seq, event) in decoded.into_iter().flat_map(Part::into_events) {
            let Some(event) = event else { continue };
            // A revision may reach any event, earlier ones included.
            if event.kind().is_meta() {
                return Ok(None);
            }
            if event.kind().is_key() || !matters(&event) {
                continue;
            }
            let instant = event.effective.instant_micros();
            if instant < max_instant {
                return Ok(None);
            }
            new.push((instant, seq, event));
        }
        // None is earlier than what was applied, so applying them in
        // (effective, seq) order after the old ones is exactly replay order.
        new.sort_by_key(|(instant, seq, _)| (*instant, *seq));
        Ok(Some(new))
    }

    /// The holdings of everything recorded at `head`, as they stood at
    /// `as_of` if given ([`Holdings::entities_as_of`]), without the rest of
    /// the state: from the state in memory if it is of `head`, else from
    /// the stored snapshot ([`Ledger::stored_holdings`]); with the entries
    /// decoded to catch up. `None` when neither will do: the caller reads
    /// through the index instead.
    pub(crate) fn current_holdings(
        &self,
        head: Head,
        as_of: Option<i64>,
    ) -> Option<(Holdings, u64)> {
        if let Some(cached) = self.cached().as_ref()
            && cached.snapshot.size == head.size
            && cached.snapshot.head == head.hash
        {
            // Cut from the shared state, not from a copy of it.
            let holdings = &cached.snapshot.projections.holdings;
            let cut = match as_of {
                Some(instant) => holdings.entities_as_of(instant),
                None => holdings.clone(),
            };
            return Some((cut, 0));
        }
        let (holdings, read) = self.stored_holdings(head)?;
        let cut = match as_of {
            Some(instant) => holdings.entities_as_of(instant),
            None => holdings,
        };
        Some((cut, read))
    }

    /// The stored snapshot's holdings ([`load::read_entities`]), caught up
    /// to `head` over the structural events recorded since (the holdings
    /// ignore the rest, so a docket entry recorded late does not stop
    /// them), with how many entries were decoded to catch up. `None` if
    /// there is no such snapshot, it cannot catch up, or an entry since
    /// does not decode (the caller reads another way, which may not need
    /// that entry).
    pub(super) fn stored_holdings(&self, head: Head) -> Option<(Holdings, u64)> {
        // Only the start of the file is read: at ten million events it is
        // 225 MB, and the holdings are in its first few.
        let file = self.log.derived_file_reader(SNAPSHOT_NAME).ok()??;
        let (tie, mut holdings) = load::read_entities(file)?;
        let latest = holdings.latest().map_or(i64::MIN, |at| at.instant_micros());
        let since = (tie.size, tie.head);
        let new = self
            .events_to_catch_up(since, latest, head, is_structural)
            .ok()??;
        for (_, seq, event) in &new {
            holdings.apply(*seq, event);
        }
        Some((holdings, head.size.saturating_sub(tie.size)))
    }
}
