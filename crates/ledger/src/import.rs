//! Importing NDJSON files: events in the interchange format, or a verbatim
//! entries export (see [`crate::entries`]), recognised by its first line.
//!
//! An events import reads the file once. Every line is checked (shape, id
//! conflicts with the ledger and within the file, correction and retraction
//! targets, the history as a whole, signatures) before anything is written,
//! so a bad line anywhere refuses the whole file. The new events are then
//! appended in atomic, durable batches, from what the check kept in memory:
//! the file is not read again, so it cannot change in between. If the
//! process dies while storing, the committed batches stay; running the same
//! import again skips every event already present (same id and content) and
//! appends the rest, so the ledger ends up exactly as if the first run had
//! finished.

use foldhash::{HashMap, HashMapExt};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use docket_log::Head;
use docket_model::{Event, Kind};

use crate::append::check_reference;
use crate::blocks::Blocks;
use crate::entries::{self, ENTRIES_FORMAT};
use crate::index::terms_for;
use crate::index_store::{id_digest, id_hash_of};
use crate::parse_ahead::{Parsed, parse_ahead};
use crate::snapshot::{EncodedState, worth_saving};
use crate::{AppendError, AppendOptions, ImportError, Ledger};

mod storing;

/// Settings for an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Events per atomic, durable batch.
    pub batch_size: usize,
    /// A fixed recorded-at clock reading, as in [`AppendOptions::recorded_at`].
    pub recorded_at: Option<i64>,
    /// Store events that do not fit the history, as in
    /// [`AppendOptions::allow_anomalies`].
    pub allow_anomalies: bool,
    /// Sign every new event, as in [`AppendOptions::signer`].
    pub signer: Option<std::sync::Arc<crate::SecretKey>>,
}

impl ImportOptions {
    /// The default [`ImportOptions::batch_size`]. Each batch is made
    /// durable before the next is stored; at a million events, batches of
    /// 8 192 rather than 1 000 made the import 5–12 % faster in
    /// interleaved runs (fewer waits for the disk, and more prepared while
    /// the file is validated) and its ledger about a tenth smaller on disk
    /// (a batch's partly filled last chunk is rewritten by the next batch,
    /// and sled keeps the old copies until it compacts).
    pub const DEFAULT_BATCH_SIZE: usize = 8192;
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_size: Self::DEFAULT_BATCH_SIZE,
            recorded_at: None,
            allow_anomalies: false,
            signer: None,
        }
    }
}

/// Where an import stands, reported after each step.
#[derive(Debug, Clone, Copy)]
pub struct ImportProgress {
    /// `false` while checking the file, `true` while storing.
    pub storing: bool,
    /// Bytes of the file processed in the current pass.
    pub bytes_done: u64,
    /// Size of the file in bytes.
    pub bytes_total: u64,
    /// Entries in the ledger, durably, after the last committed batch.
    pub committed_size: u64,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Whether the file was a verbatim entries export (restore) rather than
    /// events.
    pub verbatim: bool,
    /// Events or entries read from the file.
    pub read: u64,
    /// Newly stored entries.
    pub appended: u64,
    /// Events or entries the ledger already held.
    pub unchanged: u64,
    /// The head afterwards.
    pub head: Head,
}

/// The length of a short events line, for sizing an import's tables from
/// its file's size (the workload's lines average about 180 bytes).
const SHORT_LINE: u64 = 128;

/// At most this many lines are made room for before reading: beyond it,
/// the tables grow as they fill.
const MAX_ROOM: usize = 1 << 24;

/// A digest standing in for an id or a payload, to keep the first pass's
/// memory small on files of millions of events.
pub(crate) type Digest16 = [u8; 16];

/// An import's helper thread that panicked, reported as such: its part
/// of the file (lines, batches) is missing, and the import must not go
/// on as if the file had ended there.
pub(crate) fn thread_failed(path: &Path, what: &str) -> ImportError {
    ImportError::Io {
        path: path.to_path_buf(),
        error: std::io::Error::other(format!("the {what} thread failed")),
    }
}

/// The first 16 bytes of the BLAKE3 hash of `bytes`.
pub(crate) fn digest16(bytes: &[u8]) -> Digest16 {
    let hash = blake3::hash(bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    out
}

impl Ledger {
    /// Imports the NDJSON file at `path`, reporting progress as it goes.
    pub fn import(
        &self,
        path: &Path,
        options: &ImportOptions,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ImportError> {
        let io = |source| ImportError::Io {
            path: path.to_path_buf(),
            error: source,
        };
        // Both passes read the file; a pipe or device could give the second
        // pass other bytes than the first checked.
        let metadata = std::fs::metadata(path).map_err(io)?;
        if !metadata.is_file() {
            return Err(ImportError::NotAFile {
                path: path.to_path_buf(),
            });
        }
        let bytes_total = metadata.len();
        let mut first = Vec::new();
        BufReader::new(File::open(path).map_err(io)?)
            .read_until(b'\n', &mut first)
            .map_err(io)?;
        let is_entries = serde_json::from_slice::<serde_json::Value>(&first)
            .ok()
            .and_then(|v| {
                v.get("format")
                    .and_then(|f| f.as_str().map(|f| f == ENTRIES_FORMAT))
            })
            .unwrap_or(false);
        if is_entries {
            entries::restore(self, path, bytes_total, progress)
        } else {
            self.import_events(path, bytes_total, options, progress)
        }
    }

    fn import_events(
        &self,
        path: &Path,
        bytes_total: u64,
        options: &ImportOptions,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportReport, ImportError> {
        let rejected = |line, source| ImportError::Rejected {
            path: path.to_path_buf(),
            line,
            error: source,
        };
        let storage = |error: AppendError| ImportError::Storage {
            path: path.to_path_buf(),
            error,
        };
        // Held throughout, so that what was checked is what is stored.
        let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let start_size = self.head().size;

        // Check everything, write nothing: every line is parsed and encoded
        // once, and kept (as the event and its payload) for storing.
        //
        // Sized for the lines the file can hold: growing these a line at a
        // time copied each of them several times over (a third of the
        // checking thread's time at a million lines). Room beyond the lines
        // there are is address space, not touched (but for the hash
        // table's control bytes, one per slot); where the system refuses
        // that much, they grow as they fill.
        let lines = usize::try_from(bytes_total / SHORT_LINE).unwrap_or(usize::MAX);
        let room = lines.min(MAX_ROOM);
        let mut seen: HashMap<Digest16, Seen> = HashMap::new();
        let _ = seen.try_reserve(room);
        // The events the ledger does not hold yet, with the seqs they will
        // get, for validation against the history; and how to store each.
        let mut new_events: Blocks<(u64, Event)> = Blocks::with_capacity(room);
        let mut plans: Vec<Plan> = Vec::new();
        let _ = plans.try_reserve(room);
        let mut read = 0u64;
        parse_ahead(path, |parsed| {
            read += 1;
            let Parsed {
                line,
                offset,
                event,
                id,
                payload,
                id_digest: key,
                own_terms,
            } = parsed?;
            if let Some(earlier) = seen.get(&key) {
                // A repeated line is skipped; another event under the same
                // id is refused. The earlier line's content is its plan's
                // payload (not signed yet), or, if the ledger held it, the
                // stored event it was found equal to.
                let same = match earlier.new {
                    Some(at) => plans.get(at).is_some_and(|plan| plan.payload == payload),
                    None => self
                        .get_by_id(&id)
                        .map_err(|e| rejected(line, e.into()))?
                        .is_some_and(|stored| stored.event.encode().ok() == Some(payload)),
                };
                if !same {
                    let existing = format!("line {}", earlier.line);
                    return Err(rejected(line, AppendError::IdConflict { id, existing }));
                }
                return Ok(());
            }
            // An empty ledger stores nothing to look up (the write lock is
            // held): a first import skips a lookup per line.
            let stored = match start_size {
                0 => None,
                _ => self.get_by_id(&id).map_err(|e| rejected(line, e.into()))?,
            };
            if let Some(stored) = &stored
                && stored.event.encode().ok().as_ref() != Some(&payload)
            {
                let existing = format!("entry {}", stored.entry.header.seq);
                return Err(rejected(line, AppendError::IdConflict { id, existing }));
            }
            check_reference(&event, &id, |target| match seen.get(&id_digest(target)) {
                Some(earlier) => Ok(Some(earlier.kind)),
                None if start_size == 0 => Ok(None),
                None => self.stored_kind(target),
            })
            .map_err(|e| rejected(line, e))?;
            let related = self
                .revision_chain_among(&event, |target| match seen.get(&id_digest(target)) {
                    Some(Seen { new: Some(at), .. }) => {
                        new_events.get(*at).map(|(_, event)| event.clone())
                    }
                    _ => None,
                })
                .map_err(|e| rejected(line, e.into()))?;
            let new = stored.is_none().then_some(new_events.len());
            seen.insert(
                key,
                Seen {
                    line,
                    kind: event.kind(),
                    new,
                },
            );
            if stored.is_none() {
                plans.push(Plan {
                    id_hash: id_hash_of(&key),
                    line,
                    offset,
                    terms: if related.is_empty() {
                        own_terms
                    } else {
                        terms_for(&event, &related)
                    },
                    payload,
                });
                new_events.push((start_size + new_events.len() as u64, event));
            }
            if read.is_multiple_of(4096) {
                progress(ImportProgress {
                    storing: false,
                    bytes_done: offset,
                    bytes_total,
                    committed_size: start_size,
                });
            }
            Ok(())
        })?;
        drop(seen);
        let append_options = AppendOptions {
            recorded_at: options.recorded_at,
            allow_anomalies: options.allow_anomalies,
            signer: options.signer.clone(),
            ..AppendOptions::default()
        };
        // Signatures and authority, for the whole file before anything is
        // written (the signer may be unauthorised, or the ledger may
        // require signatures the caller did not give).
        let mut keys = self.key_state(start_size).map_err(|e| storage(e.into()))?;
        // Signed before validation, which consumes the events; a refusal
        // is reported after validation's, as when validation came first.
        let mut refused_signature = None;
        for ((seq, event), plan) in new_events.iter().zip(&mut plans) {
            let content = std::mem::take(&mut plan.payload);
            match self.sign_and_admit(&mut keys, *seq, event, content, &append_options) {
                Ok(payload) => plan.payload = payload,
                Err(error) => {
                    refused_signature.get_or_insert_with(|| rejected(plan.line, error));
                }
            }
        }

        // Validation runs while the first batches are prepared for storing
        // (which writes nothing); storing starts once it has passed.
        let lines: Vec<usize> = plans.iter().map(|plan| plan.line).collect();
        let validate = || {
            let mut validated = None;
            if !options.allow_anomalies && !new_events.is_empty() {
                validated = Some(self.validate(new_events).map_err(|error| {
                    let line = match &error {
                        AppendError::Conflict { seq, .. } if *seq >= start_size => {
                            lines.get((*seq - start_size) as usize).copied()
                        }
                        _ => None,
                    };
                    match line {
                        Some(line) => rejected(line, error),
                        None => ImportError::Conflict {
                            path: path.to_path_buf(),
                            error,
                        },
                    }
                })?);
            }
            if let Some(refusal) = refused_signature {
                return Err(refusal);
            }
            Ok(validated.map(|v| {
                let (projections, revisions) = (Arc::new(v.projections), Arc::new(v.revisions));
                (v.max_instant, projections, revisions, v.lag)
            }))
        };
        // Storing keeps one core busy; the other compresses the state for
        // the snapshot the ledger would otherwise write when closed. Out of
        // threads, the state is remembered unencoded, as after an append,
        // and the snapshot is written as it would be then.
        let encode = |validated: &Option<(_, Arc<_>, Arc<Vec<_>>, _)>| {
            let (max_instant, projections, revisions, lag) = validated.as_ref()?;
            worth_saving(*lag).then(|| EncodedState::new(*max_instant, projections, revisions))?
        };
        let how = storing::Storing {
            path,
            options,
            bytes_total,
        };
        let (appended, validated, encoded) =
            self.store_batches(how, plans, progress, validate, encode)?;
        let remember = || {
            if let Some((max_instant, projections, revisions, lag)) = validated
                && self.head().size == start_size + appended
            {
                // What was validated is now exactly what the ledger holds.
                match encoded {
                    Some(encoded) => self.remember_encoded_state(
                        self.head(),
                        max_instant,
                        projections,
                        revisions,
                        &encoded,
                    ),
                    None => self.remember_state(
                        self.head(),
                        max_instant,
                        Arc::unwrap_or_clone(projections),
                        Arc::unwrap_or_clone(revisions),
                        lag,
                    ),
                }
            }
        };
        // Derived data: what cannot be written now stays pending in memory,
        // and the next open indexes those entries from the log. The index
        // and the snapshot need nothing from each other, so they are
        // written side by side (at a million events, a fifth of a second
        // and a twentieth, each mostly on one core).
        std::thread::scope(|scope| {
            let flushing = std::thread::Builder::new()
                .name("docket-index-flush".to_owned())
                .spawn_scoped(scope, || self.flush_index());
            remember();
            match flushing {
                // As for the indexing thread: a panic is not passed on,
                // since the entries are stored and the next open indexes
                // what the flush left unwritten.
                Ok(handle) => {
                    let _ = handle.join();
                }
                Err(_) => self.flush_index(),
            }
        });
        Ok(ImportReport {
            verbatim: false,
            read,
            appended,
            unchanged: read - appended,
            head: self.head(),
        })
    }
}

/// What the check of an import noted about an id it read.
struct Seen {
    line: usize,
    kind: Kind,
    /// Where the event is among the new events, if the ledger lacks it.
    new: Option<usize>,
}

/// How to store one new event of an import.
struct Plan {
    /// [`crate::index_store::id_hash`] of its id, from the digest its line
    /// was parsed with.
    id_hash: u64,
    line: usize,
    /// Bytes of the file read once the line is.
    offset: u64,
    terms: crate::index::Terms,
    /// The unsigned encoding until signing, then what is stored.
    payload: Vec<u8>,
}

/// What the first pass of an import read, line by line, so that the second
/// pass can show it reads the same bytes (a file still being written, or
/// replaced meanwhile, is refused rather than stored unchecked).
#[derive(Debug, Default)]
pub(crate) struct Fingerprint {
    lines: Vec<Digest16>,
    checked: usize,
}

impl Fingerprint {
    /// Notes a line of the first pass.
    pub(crate) fn record(&mut self, bytes: &[u8]) {
        self.lines.push(digest16(bytes));
    }

    /// Checks the next line of the second pass against the first.
    pub(crate) fn check(
        &mut self,
        path: &Path,
        line: usize,
        bytes: &[u8],
    ) -> Result<(), ImportError> {
        let same = self.lines.get(self.checked) == Some(&digest16(bytes));
        self.checked += 1;
        if same {
            Ok(())
        } else {
            Err(ImportError::Changed {
                path: path.to_path_buf(),
                line,
            })
        }
    }

    /// Checks that the second pass saw every line of the first.
    pub(crate) fn check_complete(&self, path: &Path) -> Result<(), ImportError> {
        if self.checked == self.lines.len() {
            Ok(())
        } else {
            Err(ImportError::Changed {
                path: path.to_path_buf(),
                line: 0,
            })
        }
    }
}

/// Calls `f(line_number, line_bytes, offset_after_line)` for every non-blank
/// line of the file. Lines are bytes, so invalid UTF-8 reaches the event
/// parser and is reported there with its line.
pub(crate) fn for_each_line(
    path: &Path,
    mut f: impl FnMut(usize, &[u8], u64) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let io = |source| ImportError::Io {
        path: PathBuf::from(path),
        error: source,
    };
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut buffer = Vec::new();
    let (mut line, mut offset) = (0usize, 0u64);
    loop {
        buffer.clear();
        let read = reader.read_until(b'\n', &mut buffer).map_err(io)?;
        if read == 0 {
            return Ok(());
        }
        line += 1;
        offset += read as u64;
        let trimmed = buffer.trim_ascii();
        if !trimmed.is_empty() {
            f(line, trimmed, offset)?;
        }
    }
}
