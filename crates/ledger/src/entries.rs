//! The verbatim entries export: the backup and replication format.
//!
//! An NDJSON file whose first line is an [`EntriesHeader`], then one line
//! per entry with every header field, the entry's hash and its payload
//! (base64), then a trailer `{"end":{"size":N,"head":"<hex>"}}` so that a
//! truncated file is recognised. Restoring recomputes every hash from the
//! fields and refuses the whole file, naming the entry, if anything does not
//! check out; otherwise the restored ledger holds the same bytes and has the
//! same head hash. The byte-level meaning of each field is in docs/format.md.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use docket_log::{Entry, Hash, Header};
use docket_model::Event;
use serde::{Deserialize, Serialize};

use crate::import::{Fingerprint, for_each_line};
use crate::keys::KeyState;
use crate::{ExportError, ImportError, ImportProgress, ImportReport, Ledger};

/// The value of the `format` field on the first line of an entries export.
pub const ENTRIES_FORMAT: &str = "docket-entries";

/// Entries restored per atomic, durable batch.
const RESTORE_BATCH: usize = 1024;

/// The first line of an entries export.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EntriesHeader {
    /// Always [`ENTRIES_FORMAT`].
    pub format: String,
    /// Version of this export format (1).
    pub version: u32,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryLine {
    seq: u64,
    version: u16,
    recorded_at: i64,
    payload_len: u32,
    prev_hash: String,
    hash: String,
    payload: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    end: End,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    size: u64,
    head: String,
}

impl Ledger {
    /// Writes every entry verbatim (see the module documentation) and
    /// returns how many were written.
    pub fn export_entries(&self, out: &mut dyn Write) -> Result<u64, ExportError> {
        let head = self.head();
        let header = EntriesHeader {
            format: ENTRIES_FORMAT.to_string(),
            version: 1,
        };
        write_json_line(out, &header)?;
        let mut last = [0u8; 32];
        for entry in self.log.range(0..head.size) {
            let entry = entry.map_err(crate::ReadError::from)?;
            last = entry.hash();
            let line = EntryLine {
                seq: entry.header.seq,
                version: entry.header.version,
                recorded_at: entry.header.recorded_at,
                payload_len: entry.header.payload_len,
                prev_hash: docket_log::hex(&entry.header.prev_hash),
                hash: docket_log::hex(&last),
                payload: BASE64.encode(&entry.payload),
            };
            write_json_line(out, &line)?;
        }
        write_json_line(
            out,
            &Trailer {
                end: End {
                    size: head.size,
                    head: docket_log::hex(&last),
                },
            },
        )?;
        out.flush()?;
        Ok(head.size)
    }

    /// Writes every event in the interchange format, one per line, in
    /// sequence order, and returns how many were written.
    pub fn export_events(&self, out: &mut dyn Write) -> Result<u64, ExportError> {
        let mut count = 0;
        for stored in self.events(0..u64::MAX) {
            let stored = stored?;
            out.write_all(stored.event.to_json_string().as_bytes())?;
            out.write_all(b"\n")?;
            count += 1;
        }
        out.flush()?;
        Ok(count)
    }
}

fn write_json_line(out: &mut dyn Write, value: &impl Serialize) -> Result<(), ExportError> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// One checked line of an entries export.
enum Line {
    Header,
    Entry(Entry),
    End { size: u64, head: Hash },
}

fn parse_entries_line(bytes: &[u8]) -> Result<Line, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())?;
    if let Ok(header) = serde_json::from_str::<EntriesHeader>(text) {
        if header.format != ENTRIES_FORMAT || header.version != 1 {
            return Err(format!(
                "unsupported export format {} version {}",
                header.format, header.version
            ));
        }
        return Ok(Line::Header);
    }
    if let Ok(trailer) = serde_json::from_str::<Trailer>(text) {
        let head = docket_log::parse_hex_hash(&trailer.end.head)
            .ok_or_else(|| "trailer: head is not a 64-digit hex hash".to_string())?;
        return Ok(Line::End {
            size: trailer.end.size,
            head,
        });
    }
    let line: EntryLine =
        serde_json::from_str(text).map_err(|e| format!("not an entry line: {e}"))?;
    let seq = line.seq;
    let prev_hash = docket_log::parse_hex_hash(&line.prev_hash)
        .ok_or_else(|| format!("entry {seq}: prev_hash is not a 64-digit hex hash"))?;
    let claimed = docket_log::parse_hex_hash(&line.hash)
        .ok_or_else(|| format!("entry {seq}: hash is not a 64-digit hex hash"))?;
    let payload = BASE64
        .decode(line.payload.as_bytes())
        .map_err(|e| format!("entry {seq}: payload is not base64: {e}"))?;
    if payload.len() as u64 != u64::from(line.payload_len) {
        return Err(format!(
            "entry {seq}: payload is {} bytes but payload_len says {}",
            payload.len(),
            line.payload_len
        ));
    }
    let header = Header {
        version: line.version,
        seq,
        recorded_at: line.recorded_at,
        payload_len: line.payload_len,
        prev_hash,
    };
    let entry = Entry { header, payload };
    if entry.hash() != claimed {
        return Err(format!(
            "entry {seq}: its bytes do not match its recorded hash (altered)"
        ));
    }
    Ok(Line::Entry(entry))
}

/// Restores a verbatim export into `ledger`, which must be empty or hold a
/// prefix of the exported chain.
pub(crate) fn restore(
    ledger: &Ledger,
    path: &Path,
    bytes_total: u64,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportReport, ImportError> {
    let bad = |line, message| ImportError::Integrity {
        path: path.to_path_buf(),
        line,
        message,
    };
    // Held for both passes: what pass 1 compared with the ledger is what
    // pass 2 extends.
    let _guard = ledger.write_lock.lock().unwrap_or_else(|p| p.into_inner());
    let start = ledger.head();
    let mut fingerprint = Fingerprint::default();

    // Pass 1: the whole file must check out before anything is written.
    let mut expected_seq = 0u64;
    let mut previous: Hash = [0u8; 32];
    let mut previous_recorded = i64::MIN;
    let mut seen_header = false;
    let mut end: Option<(u64, Hash)> = None;
    let mut ids = HashSet::new();
    // Who may sign what, replayed along the exported chain from entry 0.
    let mut keys = KeyState::default();
    for_each_line(path, |line, bytes, offset| {
        fingerprint.record(bytes);
        if end.is_some() {
            return Err(bad(line, "text after the end of the export".to_string()));
        }
        match parse_entries_line(bytes).map_err(|m| bad(line, m))? {
            Line::Header if !seen_header && line == 1 => seen_header = true,
            Line::Header => return Err(bad(line, "a second header line".to_string())),
            Line::End { size, head } => end = Some((size, head)),
            Line::Entry(entry) => {
                let seq = entry.header.seq;
                if seq != expected_seq {
                    return Err(bad(
                        line,
                        format!("entry {expected_seq} is missing (found entry {seq} in its place)"),
                    ));
                }
                if entry.header.prev_hash != previous {
                    return Err(bad(
                        line,
                        format!(
                            "entry {seq}: does not link to entry {} (broken chain)",
                            seq.wrapping_sub(1)
                        ),
                    ));
                }
                if entry.header.recorded_at < previous_recorded {
                    return Err(bad(
                        line,
                        format!("entry {seq}: recorded before entry {}", seq.wrapping_sub(1)),
                    ));
                }
                let (event, signature) = Event::decode_signed(&entry.payload).map_err(|e| {
                    bad(
                        line,
                        format!("entry {seq}: payload is not a valid event: {e}"),
                    )
                })?;
                keys.admit(seq, &event, signature.as_ref())
                    .map_err(|reason| bad(line, format!("entry {seq}: {reason}")))?;
                let Some(id) = event.id else {
                    return Err(bad(line, format!("entry {seq}: stored event has no id")));
                };
                if !ids.insert(blake3::hash(id.as_str().as_bytes())) {
                    return Err(bad(
                        line,
                        format!("entry {seq}: repeats the id {id} of an earlier entry"),
                    ));
                }
                if seq < start.size {
                    let ours = ledger.log.get(seq).map_err(|e| bad(line, e.to_string()))?;
                    if ours.map(|e| e.hash()) != Some(entry.hash()) {
                        return Err(bad(
                            line,
                            format!(
                                "entry {seq}: the ledger already holds a different entry {seq}"
                            ),
                        ));
                    }
                }
                previous = entry.hash();
                previous_recorded = entry.header.recorded_at;
                expected_seq += 1;
                if expected_seq.is_multiple_of(4096) {
                    progress(ImportProgress {
                        storing: false,
                        bytes_done: offset,
                        bytes_total,
                        committed_size: start.size,
                    });
                }
            }
        }
        Ok(())
    })?;
    if !seen_header {
        return Err(bad(1, "missing the header line".to_string()));
    }
    match end {
        None => {
            return Err(bad(
                0,
                format!(
                    "the export ends after entry {} without its end line (truncated)",
                    expected_seq.wrapping_sub(1)
                ),
            ));
        }
        Some((size, head)) if size != expected_seq || (size > 0 && head != previous) => {
            return Err(bad(
                0,
                format!(
                    "the end line says {size} entries ending in {}, the file holds {expected_seq} ending in {}",
                    docket_log::hex(&head),
                    docket_log::hex(&previous)
                ),
            ));
        }
        Some(_) => {}
    }
    if start.size > expected_seq {
        // The ledger already holds the whole export and more; the prefix
        // check above proved the export is part of it.
        return Ok(ImportReport {
            verbatim: true,
            read: expected_seq,
            appended: 0,
            unchanged: expected_seq,
            head: start,
        });
    }

    // Pass 2: append what the ledger does not hold yet.
    let mut batch = Vec::with_capacity(RESTORE_BATCH);
    let mut appended = 0u64;
    let mut flush = |batch: &mut Vec<(Entry, Vec<Vec<u8>>)>, offset| -> Result<(), ImportError> {
        let count = batch.len() as u64;
        ledger
            .log
            .restore(std::mem::take(batch))
            .map_err(|e| ImportError::Storage {
                path: path.to_path_buf(),
                error: e.into(),
            })?;
        appended += count;
        progress(ImportProgress {
            storing: true,
            bytes_done: offset,
            bytes_total,
            committed_size: ledger.head().size,
        });
        Ok(())
    };
    // The restored entries are indexed when the index is next used, by
    // reading them back: nothing here needs to look them up.
    for_each_line(path, |line, bytes, offset| {
        fingerprint.check(path, line, bytes)?;
        if let Line::Entry(entry) = parse_entries_line(bytes).map_err(|m| bad(line, m))?
            && entry.header.seq >= start.size
        {
            Event::decode(&entry.payload)
                .map_err(|e| bad(line, format!("entry {}: {e}", entry.header.seq)))?;
            batch.push((entry, Vec::new()));
            if batch.len() >= RESTORE_BATCH {
                flush(&mut batch, offset)?;
            }
        }
        Ok(())
    })?;
    if !batch.is_empty() {
        flush(&mut batch, bytes_total)?;
    }
    fingerprint.check_complete(path)?;
    Ok(ImportReport {
        verbatim: true,
        read: expected_seq,
        appended,
        unchanged: expected_seq - appended,
        head: ledger.head(),
    })
}
