//! Importing NDJSON files: events in the interchange format, or a verbatim
//! entries export (see [`crate::entries`]), recognised by its first line.
//!
//! An events import reads the file twice. The first pass checks every line
//! (shape, id conflicts with the ledger and within the file, correction and
//! retraction targets) without writing, so a bad line anywhere refuses the
//! whole file. The second pass appends in atomic, durable batches. If the
//! process dies during the second pass, the committed batches stay; running
//! the same import again skips every event already present (same id and
//! content) and appends the rest, so the ledger ends up exactly as if the
//! first run had finished.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use docket_log::Head;
use docket_model::{Event, Kind};

use crate::append::check_reference;
use crate::entries::{self, ENTRIES_FORMAT};
use crate::{AppendError, AppendOptions, EventStatus, ImportError, Ledger};

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

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_size: 1000,
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

/// A digest standing in for an id or a payload, to keep the first pass's
/// memory small on files of millions of events.
type Digest16 = [u8; 16];

fn digest16(bytes: &[u8]) -> Digest16 {
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
        // Held for both passes, so that what pass 1 checked is what pass 2
        // stores.
        let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
        let start_size = self.head().size;

        // Pass 1: check everything, write nothing.
        let mut seen: HashMap<Digest16, (Digest16, usize, Kind)> = HashMap::new();
        // The events the ledger does not hold yet, with the seqs they will
        // get and their lines, for validation against the history.
        let mut new_events: Vec<(u64, Event)> = Vec::new();
        let mut new_lines: Vec<usize> = Vec::new();
        let mut fingerprint = Fingerprint::default();
        let mut read = 0u64;
        for_each_line(path, |line, bytes, offset| {
            fingerprint.record(bytes);
            let event = parse_line(path, line, bytes)?;
            let event = event.with_derived_id();
            let id = event
                .id
                .clone()
                .ok_or(AppendError::Empty)
                .map_err(|e| rejected(line, e))?;
            let payload = event.encode().map_err(|e| {
                rejected(
                    line,
                    AppendError::Encode {
                        id: id.clone(),
                        message: e.to_string(),
                    },
                )
            })?;
            let key = digest16(id.as_str().as_bytes());
            let content = digest16(&payload);
            if let Some(&(earlier, earlier_line, _)) = seen.get(&key) {
                if earlier != content {
                    let existing = format!("line {earlier_line}");
                    return Err(rejected(line, AppendError::IdConflict { id, existing }));
                }
                return Ok(());
            }
            let stored = self.get_by_id(&id).map_err(|e| rejected(line, e.into()))?;
            if let Some(stored) = &stored
                && stored.event.encode().ok().as_ref() != Some(&payload)
            {
                let existing = format!("entry {}", stored.entry.header.seq);
                return Err(rejected(line, AppendError::IdConflict { id, existing }));
            }
            check_reference(&event, &id, |target| {
                match seen.get(&digest16(target.as_str().as_bytes())) {
                    Some(&(_, _, kind)) => Ok(Some(kind)),
                    None => self.stored_kind(target),
                }
            })
            .map_err(|e| rejected(line, e))?;
            seen.insert(key, (content, line, event.kind()));
            if stored.is_none() {
                new_events.push((start_size + new_events.len() as u64, event));
                new_lines.push(line);
            }
            read += 1;
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
        let mut validated = None;
        if !options.allow_anomalies && !new_events.is_empty() {
            validated = Some(self.validate(&new_events).map_err(|error| {
                let line = match &error {
                    AppendError::Conflict { seq, .. } if *seq >= start_size => {
                        new_lines.get((*seq - start_size) as usize).copied()
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
        let append_options = AppendOptions {
            recorded_at: options.recorded_at,
            allow_anomalies: options.allow_anomalies,
            signer: options.signer.clone(),
            ..AppendOptions::default()
        };
        // Signatures and authority, for the whole file before anything is
        // written (the signer may be unauthorised, or the ledger may
        // require signatures the caller did not give).
        let mut keys = self
            .key_state(start_size)
            .map_err(|e| ImportError::Storage {
                path: path.to_path_buf(),
                error: e.into(),
            })?;
        for ((seq, event), line) in new_events.iter().zip(&new_lines) {
            let content = Vec::new();
            self.sign_and_admit(&mut keys, *seq, event, content, &append_options)
                .map_err(|error| rejected(*line, error))?;
        }
        drop(new_events);

        // Pass 2: store in batches.
        let batch_size = options.batch_size.max(1);
        let mut batch: Vec<(usize, Event)> = Vec::with_capacity(batch_size);
        let (mut appended, mut unchanged) = (0u64, 0u64);
        let mut commit =
            |batch: &mut Vec<(usize, Event)>, offset: u64| -> Result<(), ImportError> {
                let first_line = batch.first().map(|(line, _)| *line).unwrap_or(0);
                let events = batch.drain(..).map(|(_, event)| event).collect();
                let outcome =
                    self.append_locked(events, &append_options, false)
                        .map_err(|source| match source.failure_kind() {
                            crate::FailureKind::Rejected => ImportError::Rejected {
                                path: path.to_path_buf(),
                                line: first_line,
                                error: source,
                            },
                            _ => ImportError::Storage {
                                path: path.to_path_buf(),
                                error: source,
                            },
                        })?;
                for (_, status) in &outcome.events {
                    match status {
                        EventStatus::Appended { .. } => appended += 1,
                        EventStatus::Unchanged { .. } => unchanged += 1,
                    }
                }
                progress(ImportProgress {
                    storing: true,
                    bytes_done: offset,
                    bytes_total,
                    committed_size: outcome.head.size,
                });
                Ok(())
            };
        let mut total = 0u64;
        for_each_line(path, |line, bytes, offset| {
            fingerprint.check(path, line, bytes)?;
            let event = parse_line(path, line, bytes)?;
            batch.push((line, event));
            total += 1;
            if batch.len() >= batch_size {
                commit(&mut batch, offset)?;
            }
            Ok(())
        })?;
        if !batch.is_empty() {
            commit(&mut batch, bytes_total)?;
        }
        fingerprint.check_complete(path)?;
        if let Some(v) = validated
            && self.head().size == start_size + appended
        {
            // What pass 1 validated is now exactly what the ledger holds.
            self.remember_state(self.head(), v.max_instant, v.projections, v.revisions);
        }
        Ok(ImportReport {
            verbatim: false,
            read: total,
            appended,
            unchanged,
            head: self.head(),
        })
    }
}

fn parse_line(path: &Path, line: usize, bytes: &[u8]) -> Result<Event, ImportError> {
    Event::from_json_bytes(bytes).map_err(|error| ImportError::Invalid {
        path: path.to_path_buf(),
        line,
        error,
    })
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
