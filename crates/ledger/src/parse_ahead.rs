//! Reading an events file for an import: lines are parsed and encoded on
//! worker threads, one per core, and handed to the checker in file order.
//!
//! Parsing a line (JSON, then the canonical encoding and the derived id)
//! is most of the cost of checking it and needs nothing from the ledger,
//! so it is the part that runs in parallel: one thread reads the file
//! into blocks of lines, the parsers take the blocks in turn, and the
//! checker takes their results in the same turn, so order is kept without
//! a reorder buffer (as verification's workers do, in docket-log). At most
//! a few blocks per parser are in flight, which bounds memory whatever the
//! file's size.

use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use docket_model::Event;

use crate::import::{Digest16, for_each_line, thread_failed};
use crate::index::{Terms, terms_for};
use crate::index_store::id_digest;
use crate::{AppendError, ImportError};

/// One line of an events file, parsed, with its derived id and payload,
/// and what the checker needs of them that the line alone decides (their
/// digest and the event's own index terms), so that it is computed here,
/// on every core, and not on the checker's thread.
pub(crate) struct Parsed {
    pub line: usize,
    /// Bytes of the file read once the line is.
    pub offset: u64,
    pub event: Event,
    pub id: docket_model::EventId,
    /// The unsigned (version 1) encoding.
    pub payload: Vec<u8>,
    /// [`id_digest`] of the id.
    pub id_digest: Digest16,
    /// The index terms of the event alone (`terms_for(&event, &[])`).
    pub own_terms: Terms,
}

/// Lines per block handed between threads: enough to amortise the
/// hand-over, few enough to keep memory flat.
const PARSE_BLOCK: usize = 512;

/// Blocks waiting in each channel: enough that no thread waits for
/// another while that one is busy with a block.
const DEPTH: usize = 4;

/// Lines as read from the file, for one parser: their bytes end to end,
/// and each line's number, place in `bytes` and end offset in the file.
#[derive(Default)]
struct RawBlock {
    bytes: Vec<u8>,
    lines: Vec<(usize, Range<usize>, u64)>,
}

type ParsedBlock = Vec<Result<Parsed, ImportError>>;

/// How many threads parse: one per core the process may use, at most 8.
fn parsers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Calls `f` with every line of the events file at `path`, in order,
/// parsed and encoded on other threads while `f` checks the previous
/// ones. Stops at the first error `f` returns.
pub(crate) fn parse_ahead(
    path: &Path,
    mut f: impl FnMut(Result<Parsed, ImportError>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let failed = |what: &str| thread_failed(path, what);
    std::thread::scope(|scope| {
        let mut inputs: Vec<SyncSender<RawBlock>> = Vec::new();
        let mut outputs: Vec<Receiver<ParsedBlock>> = Vec::new();
        let mut workers = Vec::new();
        for _ in 0..parsers() {
            let (input, blocks) = sync_channel::<RawBlock>(DEPTH);
            let (results, output) = sync_channel::<ParsedBlock>(DEPTH);
            let spawned = std::thread::Builder::new()
                .name("docket-parse".to_owned())
                .spawn_scoped(scope, move || {
                    for raw in blocks {
                        let parsed = raw
                            .lines
                            .iter()
                            .map(|(line, at, offset)| {
                                let bytes = raw.bytes.get(at.clone()).unwrap_or_default();
                                parse_and_encode(path, *line, bytes, *offset)
                            })
                            .collect();
                        // A closed channel means the checker stopped.
                        if results.send(parsed).is_err() {
                            break;
                        }
                    }
                });
            // Out of threads: do with those there are.
            let Ok(worker) = spawned else { break };
            workers.push(worker);
            inputs.push(input);
            outputs.push(output);
        }
        if workers.is_empty() {
            return parse_here(path, &mut f);
        }
        let reader = std::thread::Builder::new()
            .name("docket-read".to_owned())
            .spawn_scoped(scope, move || {
                let mut block = RawBlock::default();
                let mut sent = 0usize;
                let mut send = |block: RawBlock| {
                    let lane = &inputs[sent % inputs.len()];
                    sent += 1;
                    // A closed channel means the checker stopped at an error,
                    // which is the one reported: stop reading too.
                    lane.send(block).map_err(|_| ImportError::Io {
                        path: path.to_path_buf(),
                        error: std::io::Error::other("import stopped"),
                    })
                };
                let read = for_each_line(path, |line, bytes, offset| {
                    let start = block.bytes.len();
                    block.bytes.extend_from_slice(bytes);
                    block.lines.push((line, start..block.bytes.len(), offset));
                    if block.lines.len() >= PARSE_BLOCK {
                        send(std::mem::take(&mut block))?;
                    }
                    Ok(())
                });
                if !block.lines.is_empty() {
                    let _ = send(block);
                }
                read
                // Returning drops the inputs: each parser ends after its last
                // block.
            });
        // Without a reader, the parsers see their inputs close and end.
        let Ok(reader) = reader else {
            drop(outputs);
            return parse_here(path, &mut f);
        };
        let mut checked = Ok(());
        // Block `n` went to parser `n mod parsers`, and each parser's
        // results come out in the order it took its blocks.
        'blocks: for turn in 0.. {
            let Ok(block) = outputs[turn % outputs.len()].recv() else {
                break;
            };
            for parsed in block {
                checked = f(parsed);
                if checked.is_err() {
                    break 'blocks;
                }
            }
        }
        drop(outputs);
        // No thread here panics; if one did, its lines are missing and the
        // import must not go on as if the file had ended there.
        let read = reader.join().unwrap_or_else(|_| Err(failed("reading")));
        let parsed = workers
            .into_iter()
            .map(|worker| worker.join().map_err(|_| failed("parsing")))
            .collect::<Result<Vec<()>, ImportError>>();
        // A parser that failed made the reader stop ("import stopped"):
        // its own failure is the one to report.
        checked.and(parsed.map(|_| ())).and(read)
    })
}

/// [`parse_ahead`] on the calling thread alone, for when no thread can be
/// started.
fn parse_here(
    path: &Path,
    f: &mut impl FnMut(Result<Parsed, ImportError>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    for_each_line(path, |line, bytes, offset| {
        f(parse_and_encode(path, line, bytes, offset))
    })
}

fn parse_and_encode(
    path: &Path,
    line: usize,
    bytes: &[u8],
    offset: u64,
) -> Result<Parsed, ImportError> {
    let rejected = |error| ImportError::Rejected {
        path: path.to_path_buf(),
        line,
        error,
    };
    let event = Event::from_json_bytes(bytes)
        .map_err(|error| ImportError::Invalid {
            path: path.to_path_buf(),
            line,
            error,
        })?
        .with_derived_id();
    let id = event
        .id
        .clone()
        .ok_or_else(|| rejected(AppendError::Empty))?;
    let payload = event.encode().map_err(|e| {
        rejected(AppendError::Encode {
            id: id.clone(),
            message: e.to_string(),
        })
    })?;
    Ok(Parsed {
        line,
        offset,
        id_digest: id_digest(&id),
        own_terms: terms_for(&event, &[]),
        event,
        id,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `n` lines, each an entity registration numbered by its
    /// line, except the lines in `bad` (not JSON) and every 100th (blank).
    fn file(n: usize, bad: &[usize]) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut file = tempfile::NamedTempFile::new().unwrap();
        for line in 1..=n {
            if bad.contains(&line) {
                writeln!(file, "{{ not json").unwrap();
            } else if line % 100 == 0 {
                writeln!(file).unwrap();
            } else {
                writeln!(
                    file,
                    r#"{{"kind":"entity.registered","effective":"2020-01-01","entity":"e-{line}","name":"E {line}"}}"#
                )
                .unwrap();
            }
        }
        file
    }

    #[test]
    fn every_line_arrives_once_in_file_order() {
        let n = 5 * PARSE_BLOCK + 17;
        let file = file(n, &[]);
        let mut seen = Vec::new();
        parse_ahead(file.path(), |parsed| {
            let parsed = parsed?;
            assert_eq!(
                parsed.event.entities()[0].as_str(),
                format!("e-{}", parsed.line)
            );
            seen.push(parsed.line);
            Ok(())
        })
        .unwrap();
        let expected: Vec<usize> = (1..=n).filter(|line| line % 100 != 0).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn without_threads_the_same_lines_arrive() {
        let file = file(3 * PARSE_BLOCK, &[2 * PARSE_BLOCK + 1]);
        type Run<'a> = &'a dyn Fn(&mut dyn FnMut(usize)) -> Result<(), ImportError>;
        let lines = |run: Run<'_>| {
            let mut seen = Vec::new();
            let error = run(&mut |line| seen.push(line)).unwrap_err();
            (seen, error.to_string())
        };
        let parallel = lines(&|push| {
            parse_ahead(file.path(), |parsed| {
                push(parsed?.line);
                Ok(())
            })
        });
        let alone = lines(&|push| {
            parse_here(file.path(), &mut |parsed: Result<Parsed, ImportError>| {
                push(parsed?.line);
                Ok(())
            })
        });
        assert_eq!(parallel, alone);
        assert_eq!(parallel.0.len(), 2 * PARSE_BLOCK - 10);
    }

    #[test]
    fn the_first_bad_line_in_the_file_is_the_one_reported() {
        let file = file(4 * PARSE_BLOCK, &[3 * PARSE_BLOCK + 5, PARSE_BLOCK + 3]);
        let mut last_good = 0;
        let error = parse_ahead(file.path(), |parsed| {
            last_good = parsed?.line;
            Ok(())
        })
        .unwrap_err();
        assert!(
            matches!(error, ImportError::Invalid { line, .. } if line == PARSE_BLOCK + 3),
            "{error}"
        );
        assert_eq!(last_good, PARSE_BLOCK + 2);
    }

    #[test]
    fn a_checker_that_stops_early_stops_the_reading() {
        let file = file(20 * PARSE_BLOCK, &[]);
        let mut calls = 0;
        let error = parse_ahead(file.path(), |_| {
            calls += 1;
            if calls == 10 {
                return Err(ImportError::NotAFile {
                    path: "stop here".into(),
                });
            }
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(error, ImportError::NotAFile { .. }), "{error}");
        assert_eq!(calls, 10);
    }
}
