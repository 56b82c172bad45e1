//! Checked appends: ids are derived when absent, duplicates are recognised,
//! conflicts and dangling references are refused, and the whole batch is
//! stored atomically or not at all.

use std::collections::HashMap;

use docket_log::{Hash, Head, NewEntry};
use docket_model::{Body, Event, EventId, Kind};

use crate::index::{Terms, revision_chain, terms_for};
use crate::index_store::id_hash;
use crate::input::parse_events;
use crate::keys::{KeyState, SecretKey};
use crate::{AppendError, Ledger};

/// Conditions and settings for one append.
#[derive(Debug, Clone, Default)]
pub struct AppendOptions {
    /// Refuse the append unless the head hash is this one.
    pub expect_head: Option<Hash>,
    /// Refuse the append unless the ledger holds exactly this many entries.
    pub expect_size: Option<u64>,
    /// Use this clock reading (microseconds since the Unix epoch) as the
    /// entries' recorded-at time instead of the system clock. The log still
    /// keeps recorded-at non-decreasing.
    pub recorded_at: Option<i64>,
    /// Store events even if they do not fit the history (a ruling in a
    /// dispute nobody filed, a settlement of a closed dispute). Every query
    /// then reports the anomaly. For recording messy real-world data as it
    /// is; the default refuses such events.
    pub allow_anomalies: bool,
    /// Sign every new event with this key (required by ledgers created with
    /// `--require-signatures`).
    pub signer: Option<std::sync::Arc<SecretKey>>,
}

/// What happened to one event of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventStatus {
    /// Stored as a new entry.
    Appended {
        /// Its sequence number.
        seq: u64,
        /// Its entry hash.
        hash: Hash,
    },
    /// The ledger already held exactly this event; nothing was written for it.
    Unchanged {
        /// Where the identical event is.
        seq: u64,
    },
}

/// The result of a successful append.
#[derive(Debug, Clone)]
pub struct AppendOutcome {
    /// Each input event's id and fate, in input order.
    pub events: Vec<(EventId, EventStatus)>,
    /// The head after the append.
    pub head: Head,
}

impl AppendOutcome {
    /// How many events were newly stored.
    pub fn appended(&self) -> usize {
        self.events
            .iter()
            .filter(|(_, status)| matches!(status, EventStatus::Appended { .. }))
            .count()
    }
}

/// An event ready to be stored, with the bytes that will be its payload.
struct Planned {
    /// The unsigned (version 1) encoding: what "same content" compares.
    content: Vec<u8>,
    event: Event,
    /// The events a correction or retraction reaches, for its index keys.
    related: Vec<Event>,
}

impl Ledger {
    /// Appends the events in `text` (one JSON object, or NDJSON) as one
    /// atomic batch.
    pub fn append_json(
        &self,
        text: &str,
        options: &AppendOptions,
    ) -> Result<AppendOutcome, AppendError> {
        let parsed = parse_events(text)?;
        let lines: Vec<(usize, Option<EventId>)> = parsed
            .iter()
            .map(|p| (p.line, p.event.clone().with_derived_id().id))
            .collect();
        // Which line each new entry would come from: new ids take seqs in
        // input order; repeats and ids the ledger holds take none.
        let head = self.head().size;
        let mut seen = std::collections::HashSet::new();
        let mut new_lines = Vec::new();
        for (line, id) in &lines {
            if let Some(id) = id
                && seen.insert(id.clone())
                && self.seq_of(id)?.is_none()
            {
                new_lines.push(*line);
            }
        }
        self.append_events(parsed.into_iter().map(|p| p.event).collect(), options)
            .map_err(|error| at_line(error, &lines, &new_lines, head))
    }

    /// Appends `events` as one atomic batch: either every new event is
    /// stored, or nothing is.
    pub fn append_events(
        &self,
        events: Vec<Event>,
        options: &AppendOptions,
    ) -> Result<AppendOutcome, AppendError> {
        // A poisoned lock only means another thread panicked mid-append; the
        // log itself is consistent (appends are atomic), so carry on.
        let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        self.append_locked(events, options, true)
    }

    /// [`Ledger::append_events`] for a caller that holds the write lock;
    /// `validate` is false only when the caller has validated the events
    /// against the history already (an import checks its whole file first).
    pub(crate) fn append_locked(
        &self,
        events: Vec<Event>,
        options: &AppendOptions,
        validate: bool,
    ) -> Result<AppendOutcome, AppendError> {
        if events.is_empty() {
            return Err(AppendError::Empty);
        }
        let head = self.log.head();
        check_expectations(&head, options)?;

        // `None` marks an event that will be stored; its seq is known only
        // once the log has appended the batch.
        let mut statuses: Vec<(EventId, Option<EventStatus>)> = Vec::with_capacity(events.len());
        let mut fresh: Vec<Planned> = Vec::new();
        let mut fresh_by_id: HashMap<EventId, usize> = HashMap::new();
        for event in events {
            let event = event.with_derived_id();
            let id = event.id.clone().ok_or(AppendError::Empty)?;
            let content = event.encode().map_err(|e| AppendError::Encode {
                id: id.clone(),
                message: e.to_string(),
            })?;
            if let Some(&index) = fresh_by_id.get(&id) {
                let earlier = &fresh[index];
                if earlier.content != content {
                    return Err(AppendError::IdConflict {
                        id,
                        existing: "an earlier event of this batch".to_string(),
                    });
                }
                statuses.push((
                    id,
                    Some(EventStatus::Unchanged {
                        seq: head.size + index as u64,
                    }),
                ));
                continue;
            }
            if let Some(stored) = self.get_by_id(&id)? {
                let seq = stored.entry.header.seq;
                // Signatures aside: the same event signed differently, or
                // not at all, is still the same event.
                if stored.event.encode().ok().as_ref() != Some(&content) {
                    return Err(AppendError::IdConflict {
                        id,
                        existing: format!("entry {seq}"),
                    });
                }
                statuses.push((id, Some(EventStatus::Unchanged { seq })));
                continue;
            }
            let related = self.revision_chain_among(&event, |target| {
                fresh_by_id
                    .get(target)
                    .map(|&index| fresh[index].event.clone())
            })?;
            check_reference(&event, &id, |_| Ok(related.first().map(Event::kind)))?;
            fresh_by_id.insert(id.clone(), fresh.len());
            statuses.push((id.clone(), None));
            fresh.push(Planned {
                content,
                event,
                related,
            });
        }

        let validated = if validate && !options.allow_anomalies && !fresh.is_empty() {
            let new: Vec<(u64, Event)> = (head.size..)
                .zip(fresh.iter().map(|p| p.event.clone()))
                .collect();
            // Without the state in memory, events about one dispute are
            // checked against that dispute's history alone: loading the
            // whole state would cost far more than the append (seconds at
            // millions of events). With it, extending it is cheaper still.
            if !self.has_cached_state() && self.validate_within_dispute(&new)? {
                None
            } else {
                Some(self.validate(new.into())?)
            }
        } else {
            None
        };
        let mut keys = self.key_state(head.size)?;
        let mut batch = Vec::with_capacity(fresh.len());
        let mut indexed = Vec::with_capacity(fresh.len());
        for (planned, seq) in fresh.into_iter().zip(head.size..) {
            let payload =
                self.sign_and_admit(&mut keys, seq, &planned.event, planned.content, options)?;
            batch.push(NewEntry {
                index_keys: Vec::new(),
                payload,
            });
            indexed.push((
                terms_for(&planned.event, &planned.related),
                planned.event.id.as_ref().map(id_hash),
            ));
        }
        let appended = if batch.is_empty() {
            Vec::new()
        } else if let Some(at) = options.recorded_at {
            self.log.append_at(batch, at)?
        } else {
            self.log.append(batch)?
        };
        self.index_appended(&appended, &indexed, true);

        if let Some(validated) = validated {
            self.remember_state(
                self.log.head(),
                validated.max_instant,
                validated.projections,
                validated.revisions,
                validated.lag,
            );
        }
        // The log returns the new entries in batch order, which is the order
        // of the pending slots.
        let mut appended = appended.into_iter();
        let events = statuses
            .into_iter()
            .filter_map(|(id, status)| {
                let status = status.or_else(|| {
                    let done = appended.next()?;
                    Some(EventStatus::Appended {
                        seq: done.seq,
                        hash: done.hash,
                    })
                })?;
                Some((id, status))
            })
            .collect();
        Ok(AppendOutcome {
            events,
            head: self.log.head(),
        })
    }
}

impl Ledger {
    /// The events `event` revises, down its chain (see
    /// [`revision_chain`]): each looked up first among events not stored
    /// yet (`unstored`), then in the ledger.
    pub(crate) fn revision_chain_among(
        &self,
        event: &Event,
        unstored: impl Fn(&EventId) -> Option<Event>,
    ) -> Result<Vec<Event>, crate::ReadError> {
        let mut lookup_failed = None;
        let chain = revision_chain(event, |target| {
            unstored(target).or_else(|| match self.get_by_id(target) {
                Ok(found) => found.map(|stored| stored.event),
                Err(e) => {
                    lookup_failed = Some(e);
                    None
                }
            })
        });
        match lookup_failed {
            Some(e) => Err(e),
            None => Ok(chain),
        }
    }

    /// Writes the index's pending postings, if it can (derived data: what
    /// is not written stays pending, or is indexed again from the entries
    /// by the next process).
    pub(crate) fn flush_index(&self) {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        let _ = index.flush(&self.log);
    }

    /// Adds just-appended entries to the index; `flush_now` writes it back
    /// (an import flushes only now and then, and at its end).
    pub(crate) fn index_appended(
        &self,
        appended: &[docket_log::Appended],
        indexed: &[(Terms, Option<u64>)],
        flush_now: bool,
    ) {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        for (done, (terms, id)) in appended.iter().zip(indexed) {
            index.add(done.seq, done.hash, *id, terms);
        }
        // Derived data: what is not flushed is indexed again from the
        // entries on the next use.
        if flush_now {
            let _ = index.flush(&self.log);
        } else if index.wants_flush() {
            let _ = index.flush_in_bulk(&self.log);
        }
    }

    /// Signs the event if the caller gave a key, checks that the ledger's
    /// key state admits it at `seq`, and returns the payload to store.
    pub(crate) fn sign_and_admit(
        &self,
        keys: &mut KeyState,
        seq: u64,
        event: &Event,
        content: Vec<u8>,
        options: &AppendOptions,
    ) -> Result<Vec<u8>, AppendError> {
        let id = event.id.clone().ok_or(AppendError::Empty)?;
        let refuse = |reason: String| AppendError::Unauthorised {
            id: id.clone(),
            reason,
        };
        if seq == 0 && event.kind().is_key() {
            // Entry 0 decides whether the ledger requires signatures; only
            // `init --require-signatures` may write a key event there.
            return Err(refuse(
                "key events need a ledger created with --require-signatures".into(),
            ));
        }
        let signature = match &options.signer {
            Some(key) => Some(key.sign(event).map_err(|e| refuse(e.to_string()))?),
            None => None,
        };
        // A signature made just now is valid by construction: check only
        // that its key may sign this event here.
        keys.authorize(seq, event, signature.as_ref().map(|s| &s.key))
            .map_err(refuse)?;
        match signature {
            Some(signature) => event
                .encode_signed(&signature)
                .map_err(|e| refuse(e.to_string())),
            None => Ok(content),
        }
    }
}

/// Says on which input line the event an error is about starts, so that a
/// user of a many-line batch is not left with a derived id.
fn at_line(
    error: AppendError,
    lines: &[(usize, Option<EventId>)],
    new_lines: &[usize],
    head: u64,
) -> AppendError {
    let id = match &error {
        AppendError::IdConflict { id, .. }
        | AppendError::UnknownTarget { id, .. }
        | AppendError::CorrectionKind { id, .. }
        | AppendError::Unauthorised { id, .. }
        | AppendError::Encode { id, .. } => Some(id.clone()),
        _ => None,
    };
    let line = match (&error, id) {
        // A clash inside the batch is raised at the later of the two.
        (AppendError::IdConflict { .. }, Some(id)) => lines
            .iter()
            .rev()
            .find(|(_, i)| i.as_ref() == Some(&id))
            .map(|(l, _)| *l),
        (_, Some(id)) => lines
            .iter()
            .find(|(_, i)| i.as_ref() == Some(&id))
            .map(|(l, _)| *l),
        // A conflict on one of the new entries.
        (AppendError::Conflict { seq, .. }, None) if *seq >= head => {
            new_lines.get((*seq - head) as usize).copied()
        }
        _ => None,
    };
    match line {
        Some(line) if lines.len() > 1 => AppendError::AtLine {
            line,
            error: Box::new(error),
        },
        _ => error,
    }
}

/// A correction or retraction must name an event that exists, and a
/// correction must keep the kind of what it corrects. `kind_of` looks an id
/// up wherever the caller knows events (the ledger, an earlier part of the
/// same batch or file).
pub(crate) fn check_reference(
    event: &Event,
    id: &EventId,
    mut kind_of: impl FnMut(&EventId) -> Result<Option<Kind>, AppendError>,
) -> Result<(), AppendError> {
    let (target, replacement_kind) = match &event.body {
        Body::Correction(correction) => (&correction.target, Some(correction.replacement.kind())),
        Body::Retraction(retraction) => (&retraction.target, None),
        _ => return Ok(()),
    };
    let Some(target_kind) = kind_of(target)? else {
        return Err(AppendError::UnknownTarget {
            id: id.clone(),
            target: target.clone(),
        });
    };
    if target_kind.is_key() {
        // Authority must only change through key.revoked, which the key
        // state understands; a retracted key event would rewrite who could
        // sign what in the past.
        return Err(AppendError::Unauthorised {
            id: id.clone(),
            reason: format!(
                "{target} is a key event; keys cannot be corrected or retracted, revoke them instead"
            ),
        });
    }
    match replacement_kind {
        Some(replacement_kind) if replacement_kind != target_kind => {
            Err(AppendError::CorrectionKind {
                id: id.clone(),
                target: target.clone(),
                target_kind: target_kind.as_str(),
                replacement_kind: replacement_kind.as_str(),
            })
        }
        _ => Ok(()),
    }
}

impl Ledger {
    /// The kind of the stored event with this id, if any.
    pub(crate) fn stored_kind(&self, id: &EventId) -> Result<Option<Kind>, AppendError> {
        Ok(self.get_by_id(id)?.map(|stored| stored.event.kind()))
    }
}

fn check_expectations(head: &Head, options: &AppendOptions) -> Result<(), AppendError> {
    let moved = |expected: String| AppendError::HeadMoved {
        expected,
        size: head.size,
        hash: docket_log::hex(&head.hash),
    };
    if let Some(expected) = options.expect_head
        && expected != head.hash
    {
        return Err(moved(format!("head {}", docket_log::hex(&expected))));
    }
    if let Some(expected) = options.expect_size
        && expected != head.size
    {
        return Err(moved(format!("size {expected}")));
    }
    Ok(())
}
