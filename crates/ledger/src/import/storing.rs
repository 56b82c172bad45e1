//! Storing an import's checked events, batch after batch, on three
//! threads.
//!
//! Every batch of an import is known before the first is stored, so the
//! work of an append that needs no storage (headers, the hash chain,
//! compressed chunks, Merkle nodes: most of it) is done by a
//! [`docket_log::Preparer`] on one thread, ahead of this one, which writes
//! each batch and waits for it to be durable; a third thread indexes each
//! batch once stored. The log stores a prepared batch only if it continues
//! exactly the head the log has, so the entries and their bytes are those
//! that appending the batches one by one would make.

use std::sync::mpsc::sync_channel;
use std::sync::{Mutex, PoisonError};

use docket_log::{Appended, NewEntry, Prepared};
use docket_model::EventId;

use super::{ImportOptions, ImportProgress, Plan};
use crate::{AppendError, ImportError, Ledger};

/// An entry's index terms and id, for [`Ledger::index_appended`].
type Indexed = (Vec<Vec<u8>>, Option<EventId>);

/// A batch ready to store.
struct Ready {
    prepared: Prepared,
    indexed: Vec<Indexed>,
    /// Bytes of the file read once the batch's last line is.
    offset: u64,
}

impl Ledger {
    /// Appends the planned entries in atomic, durable batches; the number
    /// appended. A batch that fails leaves the ones before it in place;
    /// importing the file again resumes.
    pub(super) fn store_batches(
        &self,
        path: &std::path::Path,
        plans: Vec<Plan>,
        options: &ImportOptions,
        bytes_total: u64,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<u64, ImportError> {
        let storage = |error: AppendError| ImportError::Storage {
            path: path.to_path_buf(),
            error,
        };
        let failed = |what: &str| ImportError::Io {
            path: path.to_path_buf(),
            error: std::io::Error::other(format!("the {what} thread failed")),
        };
        let batch_size = options.batch_size.max(1);
        let preparer = self.log.preparer().map_err(|e| storage(e.into()))?;
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
                    indexed.push((plan.terms, Some(plan.id)));
                    NewEntry {
                        index_keys: Vec::new(),
                        payload: plan.payload,
                    }
                })
                .collect();
            let prepared = match options.recorded_at {
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
        std::thread::scope(|scope| {
            let (to_store, ready) = sync_channel::<Result<Ready, ImportError>>(2);
            let preparing = std::thread::Builder::new()
                .name("docket-prepare".to_owned())
                .spawn_scoped(scope, || {
                    while let Some(next) = prepare_next() {
                        let refused = next.is_err();
                        // A closed channel means storing stopped at an
                        // error, which is the one reported.
                        if to_store.send(next).is_err() || refused {
                            break;
                        }
                    }
                    drop(to_store);
                });
            let (sender, stored) = sync_channel::<(Vec<Appended>, Vec<Indexed>)>(4);
            let indexer = std::thread::Builder::new()
                .name("docket-index".to_owned())
                .spawn_scoped(scope, move || {
                    for (done, indexed) in stored {
                        self.index_appended(&done, &indexed, false);
                    }
                });
            // Out of threads: batches are prepared, and indexed, here.
            let (preparing, mut batches): (_, Box<dyn Iterator<Item = _>>) = match preparing {
                Ok(handle) => (Some(handle), Box::new(ready.into_iter())),
                Err(_) => (None, Box::new(std::iter::from_fn(prepare_next))),
            };
            let (indexer, mut to_indexer) = match indexer {
                Ok(handle) => (Some(handle), Some(sender)),
                Err(_) => (None, None),
            };
            let mut appended = 0u64;
            let mut stored = Ok(());
            for next in batches.by_ref() {
                let ready = match next {
                    Ok(ready) => ready,
                    Err(e) => {
                        stored = Err(e);
                        break;
                    }
                };
                let done = match self.log.store(ready.prepared) {
                    Ok(done) => done,
                    Err(e) => {
                        stored = Err(storage(e.into()));
                        break;
                    }
                };
                appended += done.len() as u64;
                match &to_indexer {
                    Some(channel) => {
                        // The indexer only hangs up by panicking; what it
                        // would have indexed is indexed here.
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
                    bytes_total,
                    committed_size: self.head().size,
                });
            }
            // Hanging up stops the preparing thread at its next batch, and
            // ends the indexer once it has indexed every batch sent.
            drop(batches);
            drop(to_indexer);
            // A preparing thread that panicked left batches unstored: the
            // import must not end as if the file had. An indexer's panic is
            // not passed on (the entries are stored, and the next open
            // indexes what it missed).
            if let Some(preparing) = preparing
                && preparing.join().is_err()
                && stored.is_ok()
            {
                stored = Err(failed("preparing"));
            }
            if let Some(indexer) = indexer {
                let _ = indexer.join();
            }
            stored.map(|()| appended)
        })
    }
}
