//! Derived data: what callers keep next to the log (indexes, snapshots of
//! projections). It is *not* covered by the hash chain and may be deleted
//! at any time; whoever stores it must tie it to a head and check that tie
//! on load (format.md §4.5). Two kinds:
//!
//! - **records**, small values changed several at a time atomically, in
//!   sled's tree `derived`;
//! - **files**, large values written whole, as files in the log's
//!   `derived/` directory. A value of a hundred megabytes inside sled is
//!   read back by sled's recovery on every open (it replays what was
//!   written since its last internal snapshot), and rewriting it leaves as
//!   much garbage for sled to clean; a file costs neither.

use std::io::{ErrorKind, Write};
use std::path::PathBuf;

use crate::error::{DerivedError, ReadError};
use crate::store::Log;

/// The directory of derived files, inside the log's directory.
const DERIVED_DIR: &str = "derived";

impl Log {
    /// The derived record stored under `name`, if any.
    pub fn derived_get(&self, name: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        self.derived_tree()
            .get(name)
            .map(|value| value.map(|v| v.to_vec()))
            .map_err(|source| ReadError::Storage {
                path: self.path().to_path_buf(),
                source,
            })
    }

    /// Writes and removes several derived blobs atomically: after a crash
    /// either all of `changes` are in effect or none is. `None` removes.
    /// Not flushed: derived data can always be rebuilt.
    pub fn derived_apply(
        &self,
        changes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<(), DerivedError> {
        let mut batch = sled::Batch::default();
        for (name, value) in changes {
            match value {
                Some(value) => batch.insert(name, value),
                None => batch.remove(name),
            }
        }
        self.derived_tree()
            .apply_batch(batch)
            .map_err(|source| DerivedError::Storage {
                path: self.path().to_path_buf(),
                source,
            })
    }

    /// The names of the derived blobs that start with `prefix`, in order.
    pub fn derived_names(&self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, ReadError> {
        self.derived_tree()
            .scan_prefix(prefix)
            .keys()
            .map(|key| key.map(|k| k.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|source| ReadError::Storage {
                path: self.path().to_path_buf(),
                source,
            })
    }

    /// The derived file `name`, if any.
    pub fn derived_file(&self, name: &str) -> Result<Option<Vec<u8>>, DerivedError> {
        let path = self.derived_file_path(name)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DerivedError::Io { path, source }),
        }
    }

    /// The derived file `name`, if any, open for reading: for a reader
    /// that wants only its start. A file stored meanwhile replaces it
    /// under its name, not under this reader.
    pub fn derived_file_reader(&self, name: &str) -> Result<Option<std::fs::File>, DerivedError> {
        let path = self.derived_file_path(name)?;
        match std::fs::File::open(&path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DerivedError::Io { path, source }),
        }
    }

    /// Stores (or replaces) the derived file `name`: written beside it and
    /// renamed over it, so a reader sees the old file or the new one, never
    /// a part. Not synced: derived data can always be rebuilt.
    pub fn put_derived_file(&self, name: &str, value: &[u8]) -> Result<(), DerivedError> {
        let path = self.derived_file_path(name)?;
        let io = |source| DerivedError::Io {
            path: path.clone(),
            source,
        };
        let dir = self.path().join(DERIVED_DIR);
        std::fs::create_dir_all(&dir).map_err(io)?;
        let partial = dir.join(format!("{name}.partial"));
        let mut file = std::fs::File::create(&partial).map_err(io)?;
        file.write_all(value).map_err(io)?;
        drop(file);
        std::fs::rename(&partial, &path).map_err(io)
    }

    /// Removes the derived file `name`, if present.
    pub fn remove_derived_file(&self, name: &str) -> Result<(), DerivedError> {
        let path = self.derived_file_path(name)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(source) => Err(DerivedError::Io { path, source }),
        }
    }

    fn derived_file_path(&self, name: &str) -> Result<PathBuf, DerivedError> {
        let plain = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !plain {
            return Err(DerivedError::Name {
                name: name.to_owned(),
            });
        }
        Ok(self.path().join(DERIVED_DIR).join(name))
    }
}

#[cfg(test)]
mod tests {
    use crate::Log;

    #[test]
    fn derived_blobs_round_trip_and_stay_out_of_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::create(&dir.path().join("l")).unwrap();
        assert_eq!(log.derived_file("snapshot").unwrap(), None);
        assert!(log.derived_file_reader("snapshot").unwrap().is_none());
        log.put_derived_file("snapshot", b"state bytes").unwrap();
        let mut older = log.derived_file_reader("snapshot").unwrap().unwrap();
        log.put_derived_file("snapshot", b"newer state").unwrap();
        assert_eq!(
            log.derived_file("snapshot").unwrap().as_deref(),
            Some(&b"newer state"[..])
        );
        let mut read = String::new();
        std::io::Read::read_to_string(&mut older, &mut read).unwrap();
        assert_eq!(read, "state bytes", "a reader keeps the file it opened");
        assert!(log.derived_file_reader("../escape").is_err());
        assert!(log.verify(&mut |_, _| {}).is_ok());
        drop(log);
        let log = Log::open(&dir.path().join("l")).unwrap();
        assert!(log.derived_file("snapshot").unwrap().is_some());
        log.remove_derived_file("snapshot").unwrap();
        assert_eq!(log.derived_file("snapshot").unwrap(), None);
        assert!(log.put_derived_file("../escape", b"x").is_err());
    }

    #[test]
    fn several_blobs_change_at_once_and_list_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::create(&dir.path().join("l")).unwrap();
        log.derived_apply(vec![(b"ix/gone".to_vec(), Some(b"old".to_vec()))])
            .unwrap();
        log.derived_apply(vec![
            (b"ix/a".to_vec(), Some(b"1".to_vec())),
            (b"ix/b".to_vec(), Some(b"2".to_vec())),
            (b"ix/gone".to_vec(), None),
            (b"other".to_vec(), Some(b"3".to_vec())),
        ])
        .unwrap();
        assert_eq!(
            log.derived_names(b"ix/").unwrap(),
            vec![b"ix/a".to_vec(), b"ix/b".to_vec()]
        );
        assert_eq!(log.derived_get(b"ix/gone").unwrap(), None);
        assert!(log.verify(&mut |_, _| {}).is_ok());
    }
}
