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
        // Room for every event at once: grown as they come, the events
        // were copied to fresh memory again and again (a tenth of the pass
        // at a million).
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
mod tests {
    use docket_log::{Damage, NewEntry};

    use super::LedgerVerifyReport;
    use crate::{AppendOptions, Ledger};

    /// A ledger of `n` entity registrations.
    fn ledger_of(n: usize) -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::init(&dir.path().join("l")).unwrap();
        let events: String = (0..n)
            .map(|i| {
                format!(
                    "{{\"kind\":\"entity.registered\",\"effective\":\"2020-01-01\",\"entity\":\"e{i}\",\"name\":\"E {i}\"}}\n"
                )
            })
            .collect();
        ledger
            .append_json(&events, &AppendOptions::default())
            .unwrap();
        (dir, ledger)
    }

    fn verify(ledger: &Ledger) -> LedgerVerifyReport {
        let mut last = 0;
        ledger.verify(&mut |done, _| {
            assert!(done >= last, "progress goes forward");
            last = done;
        })
    }

    #[test]
    fn a_healthy_ledger_verifies() {
        let (_dir, ledger) = ledger_of(150);
        let report = verify(&ledger);
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.payloads_checked, 150);
        assert_eq!(report.signatures_checked, 0);
    }

    #[test]
    fn chain_damage_comes_first_and_hides_payload_findings() {
        let (_dir, ledger) = ledger_of(150);
        // Entry 150 chains correctly but holds no event.
        let garbage = NewEntry {
            payload: b"not an event".to_vec(),
            index_keys: vec![],
        };
        ledger.log.append(vec![garbage]).unwrap();
        docket_log::testing::xor_byte(&ledger.log, 70, 60, 1).unwrap();
        let report = verify(&ledger);
        assert_eq!(report.chain.damage, Some(Damage::EntryAltered { seq: 70 }));
        assert_eq!(report.payload_failure, None);
        assert_eq!(report.payloads_checked, 0);
        assert_eq!(report.signature_failure, None);
    }

    #[test]
    fn a_stored_entry_that_is_no_event_is_named() {
        let (_dir, ledger) = ledger_of(150);
        let garbage = NewEntry {
            payload: b"not an event".to_vec(),
            index_keys: vec![],
        };
        ledger.log.append(vec![garbage]).unwrap();
        let report = verify(&ledger);
        assert!(report.chain.is_ok());
        let (seq, reason) = report.payload_failure.unwrap();
        assert_eq!(seq, 150, "{reason}");
        assert!(
            reason.starts_with("payload is not a valid event"),
            "{reason}"
        );
        assert_eq!(report.payloads_checked, 150);
    }

    #[test]
    fn an_id_stored_twice_is_named_at_its_second_entry() {
        let (_dir, ledger) = ledger_of(150);
        // Written past the ledger's checks: the same event again.
        let again = NewEntry {
            payload: ledger.log.get(3).unwrap().unwrap().payload,
            index_keys: vec![],
        };
        ledger.log.append(vec![again]).unwrap();
        let report = verify(&ledger);
        assert!(report.chain.is_ok());
        let (seq, reason) = report.payload_failure.unwrap();
        assert_eq!(seq, 150, "{reason}");
        assert!(reason.ends_with("is also held by entry 3"), "{reason}");
    }

    #[test]
    fn a_damaged_index_is_rebuilt_not_trusted() {
        let (dir, ledger) = ledger_of(150);
        ledger.with_index(|_, _| Ok(())).unwrap();
        // Every id bucket emptied, as damage to derived data might.
        let names = ledger.log.derived_names(b"ix/i").unwrap();
        assert!(!names.is_empty());
        let emptied = names.into_iter().map(|n| (n, Some(Vec::new()))).collect();
        ledger.log.derived_apply(emptied).unwrap();
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        let id = ledger.get(7).unwrap().unwrap().event.id.unwrap();
        assert_eq!(
            ledger.seq_of(&id).unwrap(),
            Some(7),
            "found after a rebuild"
        );
        assert!(verify(&ledger).is_ok());
    }

    #[test]
    fn an_index_that_disagrees_with_the_entries_fails_verify_once() {
        use crate::index_codec::{
            decode_ids, decode_terms, encode_ids, encode_terms, seal, unseal,
        };
        let (dir, ledger) = ledger_of(150);
        ledger.with_index(|_, _| Ok(())).unwrap();
        // Well-formed buckets with a posting left out, as a bug might
        // write them: one id bucket, then one term bucket.
        let first = |prefix: &[u8]| ledger.log.derived_names(prefix).unwrap()[0].clone();
        let ids = first(b"ix/i");
        let read = |name: &Vec<u8>| {
            let sealed = ledger.log.derived_get(name).unwrap().unwrap();
            unseal(name, &sealed).unwrap().to_vec()
        };
        let mut id_list = decode_ids(&read(&ids)).unwrap();
        let dropped_id = id_list.remove(0).1;
        let write = |name: &Vec<u8>, payload: Vec<u8>| {
            let sealed = seal(name, payload);
            ledger
                .log
                .derived_apply(vec![(name.clone(), Some(sealed))])
                .unwrap();
        };
        write(&ids, encode_ids(&id_list));
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        let (seq, reason) = verify(&ledger).payload_failure.unwrap();
        assert_eq!(seq, dropped_id);
        assert!(reason.contains("missing from the id index"), "{reason}");
        // Discarded by that verify, rebuilt by the next.
        assert!(verify(&ledger).is_ok());

        ledger.with_index(|_, _| Ok(())).unwrap();
        let terms_name = ledger.log.derived_names(b"ix/t").unwrap()[0].clone();
        let sealed = ledger.log.derived_get(&terms_name).unwrap().unwrap();
        let mut term_map = decode_terms(unseal(&terms_name, &sealed).unwrap()).unwrap();
        let (term, seqs) = term_map.iter_mut().next().unwrap();
        let term = String::from_utf8_lossy(term).into_owned();
        let dropped_seq = seqs.remove(0);
        let sealed = seal(&terms_name, encode_terms(&term_map));
        ledger
            .log
            .derived_apply(vec![(terms_name.clone(), Some(sealed))])
            .unwrap();
        let (seq, reason) = verify(&ledger).payload_failure.unwrap();
        assert_eq!(seq, dropped_seq);
        assert!(reason.contains(&term), "{reason}");
        assert!(verify(&ledger).is_ok());
    }

    /// Rewrites the stored term bucket `name` as `change` makes it, well
    /// formed and sealed, as a bug in the index might.
    fn rewrite_terms(
        ledger: &Ledger,
        name: Vec<u8>,
        change: impl FnOnce(&mut std::collections::BTreeMap<Vec<u8>, Vec<u64>>),
    ) {
        use crate::index_codec::{decode_terms, encode_terms, seal, unseal};
        let sealed = ledger.log.derived_get(&name).unwrap().unwrap();
        let mut terms = decode_terms(unseal(&name, &sealed).unwrap()).unwrap();
        change(&mut terms);
        let sealed = seal(&name, encode_terms(&terms));
        ledger
            .log
            .derived_apply(vec![(name, Some(sealed))])
            .unwrap();
    }

    #[test]
    fn a_snapshot_is_only_judged_once_the_index_checks_out() {
        let (dir, ledger) = ledger_of(150);
        // A snapshot tied to the head that holds only the first event.
        let state = ledger.replay_prefix(1, None).unwrap();
        ledger.forget_cached_state();
        let head = ledger.head();
        ledger.remember_state(
            head,
            state.max_instant,
            state.projections,
            state.revisions,
            None,
        );
        ledger.store_cached_snapshot();
        // And a term bucket with a posting left out.
        ledger.with_index(|_, _| Ok(())).unwrap();
        let name = ledger.log.derived_names(b"ix/t").unwrap()[0].clone();
        rewrite_terms(&ledger, name, |terms| {
            terms.values_mut().next().unwrap().remove(0);
        });
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        // The index is reported; the snapshot, checked alongside, is
        // neither judged nor discarded.
        let report = verify(&ledger);
        assert!(report.payload_failure.unwrap().1.contains("index"));
        assert_eq!(report.snapshot_matches, None);
        // The index rebuilt, the snapshot is judged, and discarded.
        assert_eq!(verify(&ledger).snapshot_matches, Some(false));
        assert!(verify(&ledger).is_ok());
    }

    #[test]
    fn revisions_are_checked_under_the_terms_their_chains_reach() {
        use crate::index_codec::{decode_terms, unseal};
        let (dir, ledger) = ledger_of(150);
        // A correction of e7 that moves it to e-moved, retracted, and the
        // retraction retracted: the last is indexed under e:e7 only
        // through its chain.
        let revisions = [
            r#"{"id":"fix","kind":"correction","effective":"2020-01-02","target":"TARGET","reason":"typo","replacement":{"kind":"entity.registered","effective":"2020-01-01","entity":"e-moved","name":"Moved"}}"#,
            r#"{"id":"undo","kind":"retraction","effective":"2020-01-03","target":"fix","reason":"wrong"}"#,
            r#"{"id":"redo","kind":"retraction","effective":"2020-01-04","target":"undo","reason":"wrong again"}"#,
        ];
        let target = ledger
            .events(0..150)
            .map(Result::unwrap)
            .find(|stored| stored.event.entities()[0].as_str() == "e7")
            .and_then(|stored| stored.event.id)
            .unwrap()
            .to_string();
        for json in revisions {
            ledger
                .append_json(&json.replace("TARGET", &target), &AppendOptions::default())
                .unwrap();
        }
        let last = ledger.head().size - 1;
        assert!(verify(&ledger).is_ok());
        // The index without that posting is found out.
        let term = b"e:e7".to_vec();
        let name = ledger
            .log
            .derived_names(b"ix/t")
            .unwrap()
            .into_iter()
            .find(|name| {
                let sealed = ledger.log.derived_get(name).unwrap().unwrap();
                decode_terms(unseal(name, &sealed).unwrap())
                    .unwrap()
                    .contains_key(&term)
            })
            .unwrap();
        rewrite_terms(&ledger, name, |terms| {
            terms.get_mut(&term).unwrap().retain(|&seq| seq != last);
        });
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        let (seq, reason) = verify(&ledger).payload_failure.unwrap();
        assert_eq!(seq, last);
        assert!(reason.contains("e:e7"), "{reason}");
    }

    #[test]
    fn an_absurd_head_is_reported_not_a_crash() {
        let (dir, ledger) = ledger_of(150);
        let head = docket_log::Head {
            size: 1 << 50,
            ..ledger.head()
        };
        docket_log::testing::put_head(&ledger.log, &head).unwrap();
        drop(ledger);
        let ledger = Ledger::open(&dir.path().join("l")).unwrap();
        let report = verify(&ledger);
        assert!(!report.chain.is_ok(), "{report:?}");
        assert!(!report.is_ok());
    }

    #[test]
    fn a_ledger_long_enough_for_the_two_thread_replay_verifies() {
        let (_dir, ledger) = ledger_of(25_000);
        ledger.state(&crate::TimeQuery::default()).unwrap();
        ledger.store_cached_snapshot();
        let report = verify(&ledger);
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.snapshot_matches, Some(true));
        assert_eq!(report.payloads_checked, 25_000);
    }

    /// Drops entry `seq` from whichever stored id bucket lists it.
    fn drop_from_id_index(ledger: &Ledger, seq: u64) {
        use crate::index_codec::{decode_ids, encode_ids, seal, unseal};
        ledger.flush_index();
        for name in ledger.log.derived_names(b"ix/i").unwrap() {
            let sealed = ledger.log.derived_get(&name).unwrap().unwrap();
            let mut ids = decode_ids(unseal(&name, &sealed).unwrap()).unwrap();
            let before = ids.len();
            ids.retain(|(_, listed)| *listed != seq);
            if ids.len() != before {
                let sealed = seal(&name, encode_ids(&ids));
                ledger
                    .log
                    .derived_apply(vec![(name, Some(sealed))])
                    .unwrap();
            }
        }
    }

    #[test]
    fn of_an_id_missing_and_an_id_held_twice_the_first_is_named() {
        for missing in [7, 155] {
            let (dir, ledger) = ledger_of(150);
            // Entry 150 holds entry 3's event again, past the ledger's
            // checks; ten more events follow it.
            let again = NewEntry {
                payload: ledger.log.get(3).unwrap().unwrap().payload,
                index_keys: vec![],
            };
            ledger.log.append(vec![again]).unwrap();
            let more: String = (0..10)
                .map(|i| {
                    format!(
                        "{{\"kind\":\"entity.registered\",\"effective\":\"2020-01-01\",\"entity\":\"more{i}\",\"name\":\"More {i}\"}}\n"
                    )
                })
                .collect();
            ledger
                .append_json(&more, &AppendOptions::default())
                .unwrap();
            drop_from_id_index(&ledger, missing);
            drop(ledger);
            let ledger = Ledger::open(&dir.path().join("l")).unwrap();
            let (seq, reason) = verify(&ledger).payload_failure.unwrap();
            if missing < 150 {
                assert_eq!(seq, missing, "{reason}");
                assert!(reason.ends_with("is missing from the id index"), "{reason}");
            } else {
                assert_eq!(seq, 150, "{reason}");
                assert!(reason.ends_with("is also held by entry 3"), "{reason}");
            }
        }
    }
}
