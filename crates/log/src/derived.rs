//! Derived data: named blobs that callers keep next to the log (snapshots
//! of projections, caches). They are *not* covered by the hash chain and may
//! be deleted at any time; whoever stores them must tie them to a head and
//! check that tie on load. Keys: `"D"` ‖ name.

use crate::error::{DerivedError, ReadError};
use crate::store::Log;

const DERIVED_PREFIX: u8 = b'D';

fn derived_key(name: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 1);
    key.push(DERIVED_PREFIX);
    key.extend_from_slice(name);
    key
}

impl Log {
    /// The derived blob stored under `name`, if any.
    pub fn derived_get(&self, name: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        self.db()
            .get(derived_key(name))
            .map(|value| value.map(|v| v.to_vec()))
            .map_err(|source| ReadError::Storage {
                path: self.path().to_path_buf(),
                source,
            })
    }

    /// Stores (or replaces) the derived blob `name`. Not flushed: derived
    /// data can always be rebuilt, so losing the last write in a crash is
    /// harmless.
    pub fn derived_put(&self, name: &[u8], value: &[u8]) -> Result<(), DerivedError> {
        self.db()
            .insert(derived_key(name), value)
            .map(|_| ())
            .map_err(|source| DerivedError::Storage {
                path: self.path().to_path_buf(),
                source,
            })
    }

    /// Removes the derived blob `name`, if present.
    pub fn derived_remove(&self, name: &[u8]) -> Result<(), DerivedError> {
        self.db()
            .remove(derived_key(name))
            .map(|_| ())
            .map_err(|source| DerivedError::Storage {
                path: self.path().to_path_buf(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::Log;

    #[test]
    fn derived_blobs_round_trip_and_stay_out_of_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::create(&dir.path().join("l")).unwrap();
        assert_eq!(log.derived_get(b"snapshot").unwrap(), None);
        log.derived_put(b"snapshot", b"state bytes").unwrap();
        assert_eq!(
            log.derived_get(b"snapshot").unwrap().as_deref(),
            Some(&b"state bytes"[..])
        );
        assert!(log.verify(&mut |_, _| {}).is_ok());
        log.derived_remove(b"snapshot").unwrap();
        assert_eq!(log.derived_get(b"snapshot").unwrap(), None);
    }
}
