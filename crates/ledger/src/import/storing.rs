//! Storing an import's checked events, batch after batch, on several
//! threads.
//!
//! Every batch of an import is known before the first is stored, so the
//! work of an append that needs no storage (headers, the hash chain,
//! compressed chunks, Merkle nodes: most of it) is done by a
//! [`docket_log::Preparer`] on a thread of its own. It starts while the
//! events are still being validated against the history (preparing writes
//! nothing, and what it prepared is dropped if validation refuses the
//! file), and keeps ahead of this thread, which writes each batch and waits
//! for it to be durable; another thread indexes each batch once stored. The
//! log stores a prepared batch only if it continues exactly the head the
//! log has, so the entries and their bytes are those that appending the
//! batches one by one would make.

use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Mutex, PoisonError};

use docket_log::{Appended, NewEntry, Prepared};

use super::{ImportOptions, ImportProgress, Plan};
use crate::{AppendError, ImportError, Ledger};

/// An entry's index terms and id hash, for [`Ledger::index_appended`].
type Indexed = (crate::index::Terms, Option<u64>);

/// A batch ready to store.
struct Ready {
    prepared: Prepared,
    indexed: Vec<Indexed>,
    /// Bytes of the file read once the batch's last line is.
    offset: u64,
}

/// Batches prepared at most this far ahead of storing: with the default
/// batches, 524 288 entries, about 60 MB of compressed chunks and hashes
/// (the file's events are held anyway, until they are stored). Preparing
/// uses the CPU that validation leaves idle: at 1M, with batches of 8 192,
/// 64 000 entries ahead instead of 524 288 made the import about 9 %
/// slower (medians of three interleaved runs); with batches of 1 000,
/// 512 000 entries ahead instead of 64 000 was 4 % faster, within the
/// noise.
const AHEAD: usize = 64;

/// How an import stores its events once checked.
pub(super) struct Storing<'a> {
    pub path: &'a std::path::Path,
    pub options: &'a ImportOptions,
    pub bytes_total: u64,
}

impl Ledger {
    /// Appends the planned entries in atomic, durable batches, once `first`
    /// (validation) has passed, while `alongside` (encoding the state)
    /// runs on another thread; the number appended, and what `first` and
    /// `alongside` returned. If `first` fails, nothing is written. A batch
    /// that fails leaves the ones before it in place; importing the file
    /// again resumes.
    pub(super) fn store_batches<T: Sync, S: Send>(
        &self,
        how: Storing<'_>,
        plans: Vec<Plan>,
        progress: &mut dyn FnMut(ImportProgress),
        first: impl FnOnce() -> Result<T, ImportError>,
        alongside: impl FnOnce(&T) -> Option<S> + Send,
    ) -> Result<(u64, T, Option<S>), ImportError> {
        let path = how.path;
        let storage = |error: AppendError| ImportError::Storage {
            path: path.to_path_buf(),
            error,
        };
        let failed = |what: &str| super::thread_failed(path, what);
        if plans.is_empty() {
            // Nothing to store: nothing to prepare, whatever the log's tail.
            return first().map(|checked| (0, checked, None));
        }
        let preparer = match self.log.preparer() {
            Ok(preparer) => preparer,
            // Validation's verdict comes first, as when storing followed it.
            Err(e) => {
                first()?;
                return Err(storage(e.into()));
            }
        };
        let batch_size = how.options.batch_size.max(1);
        // Shared by reference, so that the plans stay here if the
        // preparing thread cannot be started.
        let work = Mutex::new((plans.into_iter(), preparer));
        let prepare_next = || -> Option<Result<Ready, ImportError>> {
            let mut work = work.lock().unwrap_or_else(PoisonError::into_inner);
            let (plans, preparer) = &mut *work;
            let batch: Vec<Plan> = plans.by_ref().take(batch_size).collect();
            let offset = batch.last()?.offset;
            let mut indexed = Vec::with_capacity(batch.len());
            let entries = batch
                .into_iter()
                .map(|plan| {
                    indexed.push((plan.terms, Some(plan.id_hash)));
                    NewEntry {
                        index_keys: Vec::new(),
                        payload: plan.payload,
                    }
                })
                .collect();
            let prepared = match how.options.recorded_at {
                Some(at) => preparer.prepare(entries, at),
                None => preparer.prepare_now(entries),
            };
            Some(
                prepared
                    .map(|prepared| Ready {
                        prepared,
                        indexed,
                        offset,
                    })
                    .map_err(|e| storage(e.into())),
            )
        };
        std::thread::scope(|outer| {
            let (to_store, ready) = sync_channel::<Result<Ready, ImportError>>(AHEAD);
            let preparing = std::thread::Builder::new()
                .name("docket-prepare".to_owned())
                .spawn_scoped(outer, || {
                    while let Some(next) = prepare_next() {
                        let refused = next.is_err();
                        // A closed channel means validation refused the
                        // file or storing stopped at an error, which is the
                        // one reported.
                        if to_store.send(next).is_err() || refused {
                            break;
                        }
                    }
                    drop(to_store);
                });
            // Out of threads: batches are prepared here, as they are stored.
            let (preparing, batches): (_, Box<dyn Iterator<Item = _>>) = match preparing {
                Ok(handle) => (Some(handle), Box::new(ready.into_iter())),
                Err(_) => (None, Box::new(std::iter::from_fn(&prepare_next))),
            };
            let checked = first();
            let (stored, side) = match &checked {
                Ok(checked) => std::thread::scope(|inner| {
                    let side = std::thread::Builder::new()
                        .name("docket-snapshot".to_owned())
                        .spawn_scoped(inner, || alongside(checked))
                        .ok();
                    let stored = self.store_each(&how, batches, progress, inner);
                    let side = side.and_then(|handle| handle.join().ok().flatten());
                    (stored, side)
                }),
                // Hanging up stops the preparing thread at its next batch.
                Err(_) => {
                    drop(batches);
                    (Ok(0), None)
                }
            };
            // A preparing thread that panicked left batches unstored: the
            // import must not end as if the file had.
            let mut stored = stored;
            if let Some(preparing) = preparing
                && preparing.join().is_err()
                && stored.is_ok()
            {
                stored = Err(failed("preparing"));
            }
            let checked = checked?;
            stored.map(|appended| (appended, checked, side))
        })
    }

    /// Stores `batches` in turn, each indexed on a thread of `scope` once
    /// stored; the number of entries stored.
    fn store_each<'scope>(
        &'scope self,
        how: &Storing<'_>,
        mut batches: Box<dyn Iterator<Item = Result<Ready, ImportError>> + '_>,
        progress: &mut dyn FnMut(ImportProgress),
        scope: &'scope std::thread::Scope<'scope, '_>,
    ) -> Result<u64, ImportError> {
        let (sender, stored) = sync_channel::<(Vec<Appended>, Vec<Indexed>)>(4);
        let indexer = std::thread::Builder::new()
            .name("docket-index".to_owned())
            .spawn_scoped(scope, move || index_each(self, stored));
        // Out of threads: each batch is indexed here once stored.
        let (indexer, mut to_indexer) = match indexer {
            Ok(handle) => (Some(handle), Some(sender)),
            Err(_) => (None, None),
        };
        let mut appended = 0u64;
        let mut outcome = Ok(());
        for next in batches.by_ref() {
            let ready = match next {
                Ok(ready) => ready,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            let done = match self.log.store(ready.prepared) {
                Ok(done) => done,
                Err(e) => {
                    outcome = Err(ImportError::Storage {
                        path: how.path.to_path_buf(),
                        error: e.into(),
                    });
                    break;
                }
            };
            appended += done.len() as u64;
            match &to_indexer {
                Some(channel) => {
                    // The indexer only hangs up by panicking; what it would
                    // have indexed is indexed here.
                    if let Err(returned) = channel.send((done, ready.indexed)) {
                        let (done, indexed) = returned.0;
                        self.index_appended(&done, &indexed, false);
                        to_indexer = None;
                    }
                }
                None => self.index_appended(&done, &ready.indexed, false),
            }
            progress(ImportProgress {
                storing: true,
                bytes_done: ready.offset,
                bytes_total: how.bytes_total,
                committed_size: self.head().size,
            });
        }
        // Hanging up stops the preparing thread at its next batch, and ends
        // the indexer once it has indexed every batch sent. An indexer's
        // panic is not passed on (the entries are stored, and the next open
        // indexes what it missed).
        drop(batches);
        drop(to_indexer);
        if let Some(indexer) = indexer {
            let _ = indexer.join();
        }
        outcome.map(|()| appended)
    }
}

/// The indexing thread: indexes each stored batch, in order.
fn index_each(ledger: &Ledger, stored: Receiver<(Vec<Appended>, Vec<Indexed>)>) {
    for (done, indexed) in stored {
        ledger.index_appended(&done, &indexed, false);
    }
}
