//! Full verification: the chain (by the log) and then the meaning of every
//! payload (by the ledger).

use std::time::{Duration, Instant};

use docket_log::VerifyReport;
use docket_model::Event;

use crate::Ledger;
use crate::index::id_key;
use crate::keys::KeyState;

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

impl Ledger {
    /// Re-hashes every stored entry, checks the chain and the head, then
    /// decodes every payload and checks the id index. `progress` receives
    /// (entries done, total) over both passes, so the total is twice the size.
    pub fn verify(&self, progress: &mut dyn FnMut(u64, u64)) -> LedgerVerifyReport {
        let started = Instant::now();
        let chain = self
            .log
            .verify(&mut |done, total| progress(done, total.saturating_mul(2)));
        let mut payload_failure = None;
        let mut payloads_checked = 0;
        let mut signatures_checked = 0;
        let mut signature_failure = None;
        let mut keys = KeyState::default();
        if chain.is_ok() {
            let size = chain.stored_head.size;
            for entry in self.log.range(0..size) {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        payload_failure = Some((payloads_checked, e.to_string()));
                        break;
                    }
                };
                let seq = entry.header.seq;
                let (event, signature) = match Event::decode_signed(&entry.payload) {
                    Ok(decoded) => decoded,
                    Err(e) => {
                        payload_failure = Some((seq, format!("payload is not a valid event: {e}")));
                        break;
                    }
                };
                if signature.is_some() {
                    signatures_checked += 1;
                }
                if signature_failure.is_none()
                    && let Err(reason) = keys.admit(seq, &event, signature.as_ref())
                {
                    signature_failure = Some((seq, reason));
                }
                if let Some(reason) = self.check_index(seq, &event) {
                    payload_failure = Some((seq, reason));
                    break;
                }
                payloads_checked += 1;
                if payloads_checked % 4096 == 0 {
                    progress(size + payloads_checked, size * 2);
                }
            }
        }
        let mut snapshot_matches = None;
        if chain.is_ok() && payload_failure.is_none() && signature_failure.is_none() {
            match self.snapshot_matches_log() {
                Ok(matches) => snapshot_matches = matches,
                Err(e) => payload_failure = Some((payloads_checked, e.to_string())),
            }
            if snapshot_matches == Some(false) {
                self.discard_snapshot();
            }
        }
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

    /// The id index must point back at the entry holding the id.
    fn check_index(&self, seq: u64, event: &Event) -> Option<String> {
        let Some(id) = &event.id else {
            return Some("stored event has no id".to_string());
        };
        match self.log.index_get(&id_key(id)) {
            Ok(Some(indexed)) if indexed == seq => None,
            Ok(Some(indexed)) => Some(format!("id {id} is indexed at entry {indexed}, not here")),
            Ok(None) => Some(format!("id {id} is missing from the id index")),
            Err(e) => Some(format!("reading the id index: {e}")),
        }
    }
}
