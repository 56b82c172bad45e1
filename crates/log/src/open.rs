//! Opening sled for a log: its settings, waiting for a lock a dropped
//! handle is releasing, and clearing what older builds left.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::OpenError;

/// Whether another handle holds sled's exclusive lock on the database at
/// `path`: used to explain a failed open.
fn lock_is_held(path: &Path) -> bool {
    let Ok(file) = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path.join("db"))
    else {
        return false;
    };
    // On success the probe holds the lock until `file` is dropped below.
    matches!(file.try_lock(), Err(fs::TryLockError::WouldBlock))
}

/// How long an opener waits for sled's lock before reporting the log in
/// use: sled's background threads release the lock of a just-dropped
/// handle a few milliseconds after the drop, so an immediate reopen in the
/// same process would otherwise fail spuriously.
const LOCK_WAIT: Duration = Duration::from_millis(1_000);

/// The sled tree holding derived data (format.md §4.5).
pub(crate) const DERIVED_TREE: &[u8] = b"derived";

/// Removes derived blobs that older builds kept in the default tree under
/// `"D"` (they are derived data, rebuilt where they now live).
pub(crate) fn drop_legacy_derived(db: &sled::Db) -> Result<(), sled::Error> {
    let mut batch = sled::Batch::default();
    let mut any = false;
    for key in db.scan_prefix(b"D").keys() {
        batch.remove(key?);
        any = true;
    }
    if any {
        db.apply_batch(batch)?;
    }
    Ok(())
}

/// The most sled keeps of the database in memory, as sled counts it (the
/// on-disk size of each page read or written, rounded up to a power of
/// two). Under sled's default, 1 GiB, a walk over a log of ten million
/// entries kept 740 MiB of it in memory; under this cap `verify
/// --skip-derived` holds about 90 MiB there (docs/benchmarks.md), and a
/// page sled drops is still in the operating system's cache of the file.
pub(crate) const CACHE_CAPACITY: u64 = 64 << 20;

/// zstd level for the logs that use sled's compression: the fastest, since
/// most of what it saves (repeated ids, slugs and headers) it finds at any
/// level.
const COMPRESSION_LEVEL: i32 = 1;

/// The settings sled recorded in the `conf` file of the database at
/// `path` when it was created: sled refuses to open a database with other
/// ones. `None` for a database not created yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// Layout-1 logs were created with sled's compression (except the
    /// earliest, written before it was used); a new database is created
    /// without it, because layout 2 compresses its chunks itself
    /// (`codec.rs`).
    pub(crate) compression: bool,
    /// Databases created before `SEGMENT_SIZE` have sled's default.
    pub(crate) segment_size: usize,
}

impl Recorded {
    /// What a new database is created with.
    pub(crate) const NEW: Recorded = Recorded {
        compression: false,
        segment_size: SEGMENT_SIZE,
    };
}

/// sled's default segment size, recorded by databases created before
/// `SEGMENT_SIZE`.
#[cfg(test)]
pub(crate) const SLED_DEFAULT_SEGMENT_SIZE: usize = 512 << 10;

/// The segment size of new databases: sled's default is 512 KiB. sled 0.34
/// writes each full segment (its "io buffer") on a thread of a global pool
/// of seven that does not grow while they are busy. A writer that needs a
/// new segment while the end of the file is being cut off waits, holding
/// sled's segment lock, for the cut to run on that pool; if seven written
/// segments are waiting for that same lock, the process hangs (sled issue
/// 1412; fixed after 0.34 by a thread of its own for the cut). Segments
/// four times as large make that queue four times shorter for the same
/// bytes written, and a small file's end falls free less often; they cost
/// about 5 % of disk and of an import's speed. docs/ARCHITECTURE.md,
/// "sled's hang".
pub(crate) const SEGMENT_SIZE: usize = 2 << 20;

/// What sled recorded for the database at `path`, or `None` if its `conf`
/// file is missing or does not say both settings: the database is about
/// to be created, or (for a database that exists) its settings are lost.
/// sled itself takes a `conf` of eight bytes or fewer for none at all and
/// writes its defaults over it; it does not force the file to disk.
pub(crate) fn recorded(path: &Path) -> Option<Recorded> {
    let conf = fs::read(path.join("conf")).ok()?;
    // The file ends in a binary checksum: search its bytes, not its text.
    let value = |key: &[u8]| {
        conf.split(|&b| b == b'\n').find_map(|line| {
            let rest = line.trim_ascii().strip_prefix(key)?;
            Some(rest.strip_prefix(b":")?.trim_ascii())
        })
    };
    let segment_size = std::str::from_utf8(value(b"segment_size")?)
        .ok()?
        .parse()
        .ok()?;
    let compression = match value(b"use_compression")? {
        b"true" => true,
        b"false" => false,
        _ => return None,
    };
    Some(Recorded {
        compression,
        segment_size,
    })
}

/// Forces the `conf` file sled wrote for a new database at `path` to disk,
/// with the directory's entry for it: sled does not, and a database whose
/// `conf` is lost cannot be opened again (`Log::open`).
pub(crate) fn sync_conf(path: &Path) -> std::io::Result<()> {
    fs::File::open(path.join("conf"))?.sync_all()?;
    fs::File::open(path)?.sync_all()
}

/// Opens (or creates) the sled database at `path` with `settings`: the
/// [`recorded`] ones of an existing database, [`Recorded::NEW`] for a new
/// one.
pub(crate) fn open_sled(path: &Path, settings: Recorded) -> Result<sled::Db, OpenError> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    let mut retried_unlocked = false;
    loop {
        let config = sled::Config::new()
            .path(path)
            .use_compression(settings.compression)
            .segment_size(settings.segment_size)
            .compression_factor(COMPRESSION_LEVEL)
            .cache_capacity(CACHE_CAPACITY);
        let source = match config.open() {
            Ok(db) => return Ok(db),
            Err(source) => source,
        };
        if !lock_is_held(path) {
            // The handle that held the lock may have let it go between the
            // failed open and the probe: one more try tells that apart
            // from a database that does not open for another reason.
            if !retried_unlocked {
                retried_unlocked = true;
                continue;
            }
            return Err(OpenError::Storage {
                path: path.to_path_buf(),
                source,
            });
        }
        if started.elapsed() >= LOCK_WAIT {
            return Err(OpenError::InUse {
                path: path.to_path_buf(),
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use crate::Log;
    use crate::codec::ChunkEncoding;
    use crate::entry::{Head, NewEntry};
    use crate::layout::{HEAD_KEY, MARKER_KEY, encode_head, marker_value};

    /// A log as builds before compression and the `derived` tree made it:
    /// an uncompressed database, with a derived blob in the default tree.
    #[test]
    fn logs_of_older_builds_open_and_grow() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old");
        {
            let db = sled::Config::new()
                .path(&path)
                .use_compression(false)
                .open()
                .unwrap();
            db.insert(MARKER_KEY, &marker_value(ChunkEncoding::Plain)[..])
                .unwrap();
            db.insert(HEAD_KEY, &encode_head(&Head::EMPTY)[..]).unwrap();
            db.insert(b"Dsnapshot", &b"an old snapshot"[..]).unwrap();
            db.flush().unwrap();
        }
        let recorded = super::recorded(&path).unwrap();
        assert!(!recorded.compression);
        assert_eq!(recorded.segment_size, super::SLED_DEFAULT_SEGMENT_SIZE);
        let log = Log::open(&path).unwrap();
        let entry = NewEntry {
            payload: b"payload".to_vec(),
            index_keys: vec![],
        };
        log.append(vec![entry]).unwrap();
        assert!(log.verify(&mut |_, _| {}).is_ok());
        assert!(log.db().get(b"Dsnapshot").unwrap().is_none());
        drop(log);
        let log = Log::open(&path).unwrap();
        assert_eq!(log.head().size, 1);
        assert_eq!(log.encoding(), ChunkEncoding::Plain);
        drop(log);
        // Reopened with the settings it was created with, not a new log's.
        assert_eq!(super::recorded(&path), Some(recorded));

        let new = dir.path().join("new");
        assert_eq!(super::recorded(&new), None);
        drop(Log::create(&new).unwrap());
        let recorded = super::recorded(&new).unwrap();
        assert!(!recorded.compression);
        assert_eq!(recorded.segment_size, super::SEGMENT_SIZE);
        assert_eq!(Log::open(&new).unwrap().encoding(), ChunkEncoding::Zstd);
    }
}
