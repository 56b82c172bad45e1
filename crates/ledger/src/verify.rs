//! Full verification: the chain (by the log) and the meaning of every
//! payload (by the ledger), in one read of the log, then the snapshot
//! against a fresh replay.
//!
//! The log hashes chunks on worker threads and hands each payload to
//! [`decode`] there, so decoding and signature checks (the costly part:
//! Ed25519 is ~50 µs an entry) run in parallel with the hashing. What
//! depends on the order of the chain, the key state and the index
//! check, is done by [`PayloadWalk::accept`], on the calling thread in seq
//! order. The outcome is the same as checking the chain first and the
//! payloads afterwards: payload results are only reported when the whole
//! chain is intact. The derived data is then checked from the events this
//! pass decoded, without reading the log again ([`derived`]): the replay
//! that the snapshot is compared with runs on the calling thread and hands
//! each event, once applied, to a thread that works out what the index
//! must hold, which is compared once for all entries at the end (one read
//! of each bucket rather than a lookup per entry).

use std::time::{Duration, Instant};

use docket_log::VerifyReport;
use docket_model::{Event, EventId, Signature};
use foldhash::HashSet;

use crate::Ledger;
use crate::keys::{KeyState, signature_is_valid};
use crate::replay::Part;

mod derived;

/// What a full verification found.
#[derive(Debug, Clone)]
pub struct LedgerVerifyReport {
    /// The chain check: hashes, links, order, head.
    pub chain: VerifyReport,
    /// The first entry whose payload is not a canonical event, or whose id
    /// the index does not point back to, with the reason.
    pub payload_failure: Option<(u64, String)>,
    /// Payloads decoded and checked.
    pub payloads_checked: u64,
    /// Signatures verified (every entry after the first in a ledger that
    /// requires signatures, and any signed entry elsewhere).
    pub signatures_checked: u64,
    /// The first entry that is unsigned, badly signed or signed by a key
    /// the ledger did not authorise at that point, with the reason.
    pub signature_failure: Option<(u64, String)>,
    /// Whether the stored snapshot of the projections matches a fresh
    /// replay (`None`: no snapshot for this head, nothing to compare). A
    /// mismatching snapshot is discarded, so queries rebuild it.
    pub snapshot_matches: Option<bool>,
    /// Wall-clock time the verification took.
    pub elapsed: Duration,
}

impl LedgerVerifyReport {
    /// Whether the ledger checked out completely.
    pub fn is_ok(&self) -> bool {
        self.chain.is_ok()
            && self.payload_failure.is_none()
            && self.signature_failure.is_none()
            && self.snapshot_matches != Some(false)
    }
}

/// One payload as decoded on a worker thread.
struct Decoded {
    event: Event,
    signature: Option<Signature>,
    /// Whether the signature verifies, when there is one (not computed for
    /// entry 0, which [`KeyState::admit`] treats on its own).
    valid: Option<bool>,
}

/// Decodes the payload of the entry whose header says `seq` and checks
/// its signature against the event; the key state is not consulted here.
fn decode(seq: u64, payload: &[u8]) -> Result<Decoded, String> {
    let (event, signature) =
        Event::decode_signed(payload).map_err(|e| format!("payload is not a valid event: {e}"))?;
    let valid = match &signature {
        Some(signature) if seq != 0 => Some(signature_is_valid(&event, signature)),
        _ => None,
    };
    Ok(Decoded {
        event,
        signature,
        valid,
    })
}

/// The in-order half of the payload checks: what the old second pass did
/// with each entry, given its decoding.
#[derive(Default)]
struct PayloadWalk {
    keys: KeyState,
    /// Every entry's event, for the checks of the derived data (kept only
    /// if `keep_events`): the replay the snapshot is compared with, and
    /// what the index must hold.
    events: Part,
    /// The ids the revisions among them target (see `derived`).
    targets: HashSet<EventId>,
    keep_events: bool,
    payload_failure: Option<(u64, String)>,
    payloads_checked: u64,
    signatures_checked: u64,
    signature_failure: Option<(u64, String)>,
}

impl PayloadWalk {
    /// Takes entry `seq` (in seq order). After a payload failure the
    /// remaining entries are not looked at.
    fn accept(&mut self, seq: u64, slot: &mut Result<Decoded, String>) {
        if self.payload_failure.is_some() {
            return;
        }
        let decoded = match &*slot {
            Ok(decoded) => decoded,
            Err(reason) => {
                self.payload_failure = Some((seq, reason.clone()));
                return;
            }
        };
        let Decoded {
            event,
            signature,
            valid,
        } = decoded;
        if signature.is_some() {
            self.signatures_checked += 1;
        }
        if self.signature_failure.is_none() {
            // `admit` for entry 0 and for a signature known to be bad (it
            // checks again and words the refusal); otherwise the signature
            // verified on a worker and only the key state is left to check.
            let verdict = if *valid == Some(true) {
                let signer = signature.as_ref().map(|s| &s.key);
                self.keys.authorize(seq, event, signer)
            } else {
                self.keys.admit(seq, event, signature.as_ref())
            };
            if let Err(reason) = verdict {
                self.signature_failure = Some((seq, reason));
            }
        }
        if event.id.is_none() {
            self.payload_failure = Some((seq, "stored event has no id".to_string()));
            return;
        }
        self.payloads_checked += 1;
        if self.keep_events {
            // Taken, not copied; the worker drops the empty error left.
            if let Ok(decoded) = std::mem::replace(slot, Err(String::new())) {
                if let Some(target) = decoded.event.body.target() {
                    self.targets.insert(target.clone());
                }
                self.events.push(seq, Some(decoded.event));
            }
        }
    }
}

impl Ledger {
    /// Re-hashes every stored entry, checks the chain and the head, decodes
    /// every payload and checks its signature against the key state; then
    /// compares the stored snapshot with a replay and, alongside, the index
    /// with what the entries call for (the snapshot's verdict counts only
    /// if the index checks out).
    ///
    /// `progress` receives (entries done, total) with a total of twice the
    /// size: the first half is the one pass over the entries, the second
    /// the replay, reported when it is over.
    pub fn verify(&self, progress: &mut dyn FnMut(u64, u64)) -> LedgerVerifyReport {
        self.verify_checking(progress, true)
    }

    /// [`Ledger::verify`] of the evidence only: the chain, the Merkle nodes,
    /// every payload and every signature, but not the derived data (the
    /// index and the snapshot), which cannot change what the entries say.
    /// It needs no replay, so it runs at the speed of hashing and decoding,
    /// holding no events and no state (its memory is what sled caches of
    /// the chunks read: docs/benchmarks.md).
    pub fn verify_evidence(&self, progress: &mut dyn FnMut(u64, u64)) -> LedgerVerifyReport {
        self.verify_checking(progress, false)
    }

    fn verify_checking(
        &self,
        progress: &mut dyn FnMut(u64, u64),
        derived: bool,
    ) -> LedgerVerifyReport {
        let started = Instant::now();
        // Room for every event's ordering facts at once, and the list of
        // the events' blocks: grown as they came, they were copied to
        // fresh memory again and again.
        let room = match derived {
            true => usize::try_from(self.head().size).unwrap_or(0),
            false => 0,
        };
        let mut walk = PayloadWalk {
            keep_events: derived,
            events: Part::with_capacity(room),
            ..PayloadWalk::default()
        };
        let chain = self.log.verify_with(
            &mut |done, total| progress(done, total.saturating_mul(2)),
            &decode,
            &mut |seq, decoded| walk.accept(seq, decoded),
        );
        if !chain.is_ok() {
            // The payloads of a damaged chain are not judged: the damage
            // is the finding.
            walk = PayloadWalk::default();
        }
        let PayloadWalk {
            mut payload_failure,
            payloads_checked,
            signatures_checked,
            signature_failure,
            events,
            targets,
            ..
        } = walk;
        let mut snapshot_matches = None;
        if derived && chain.is_ok() && payload_failure.is_none() {
            // The snapshot is only judged with valid signatures, and its
            // verdict only counts if the index checked out, as if the two
            // were checked in turn.
            let with_snapshot = signature_failure.is_none();
            let (index_finding, snapshot) =
                self.check_derived(chain.stored_head, events, &targets, with_snapshot);
            payload_failure = index_finding;
            match snapshot {
                _ if payload_failure.is_some() => {}
                None => {}
                Some(Ok(matches)) => snapshot_matches = matches,
                Some(Err(e)) => payload_failure = Some((payloads_checked, e.to_string())),
            }
            if snapshot_matches == Some(false) {
                self.discard_snapshot();
            }
        }
        let size = chain.stored_head.size;
        progress(size.saturating_mul(2), size.saturating_mul(2));
        LedgerVerifyReport {
            chain,
            payload_failure,
            payloads_checked,
            signatures_checked,
            signature_failure,
            snapshot_matches,
            elapsed: started.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests;
