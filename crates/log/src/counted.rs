//! [`Counted`]: a sled scan whose reads sled's cache counts.
//!
//! sled's scan reads a page once for all the records it holds, and its
//! cache counts an access only in blocks of 64 per shard of 256, so a
//! scan's pages were seldom counted and almost never dropped: a walk over
//! a log kept nearly all of it in memory (900 MiB at ten million entries),
//! whatever the cache's capacity. Each record a counted scan yields is
//! also looked up by its key, which sled counts: the cache drops what the
//! walk no longer needs, and the walk's memory stops growing with the log
//! but for sled's bookkeeping of each page it has seen. The lookups cost
//! less than the fresh memory they spare (docs/benchmarks.md).

/// A scan of `db` whose records are also looked up by key, one by one.
pub(crate) struct Counted<'d> {
    db: &'d sled::Db,
    scan: sled::Iter,
}

impl<'d> Counted<'d> {
    /// `scan`, a scan of `db`, counted.
    pub(crate) fn new(db: &'d sled::Db, scan: sled::Iter) -> Self {
        Counted { db, scan }
    }
}

impl Iterator for Counted<'_> {
    type Item = sled::Result<(sled::IVec, sled::IVec)>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.scan.next()?;
        if let Ok((key, _)) = &item {
            // Only the access matters: what it finds is the value in
            // hand, or a later write the scan does not judge.
            let _ = self.db.get(key);
        }
        Some(item)
    }
}
