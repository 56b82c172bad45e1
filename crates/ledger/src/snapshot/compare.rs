//! Comparing a fresh state with a stored snapshot as the state is
//! encoded, without holding either whole.

use bincode::Encode;

use super::{StoredReader, config};

/// How the rest of a stored snapshot compares with an encoding.
#[derive(Debug, PartialEq)]
pub(super) enum Comparison {
    Same,
    Differs,
    /// It does not decompress to its end, or is larger than
    /// [`SNAPSHOT_LIMIT`]: damaged derived data, ignored like a snapshot
    /// that does not decode, whatever came before the damage.
    Unreadable,
}

/// Compares the encoding of `value` with the rest of `stored` as it is
/// written, without either held whole; then reads `stored` to its end, to
/// tell a damaged file from one that differs.
pub(super) fn compare_rest(value: impl Encode, mut stored: StoredReader<'_>) -> Comparison {
    let encoded = encodes_as(value, &mut stored);
    match std::io::copy(&mut stored, &mut std::io::sink()) {
        Err(_) => Comparison::Unreadable,
        Ok(_) if stored.get_ref().limit() == 0 => Comparison::Unreadable,
        Ok(0) if encoded => Comparison::Same,
        Ok(_) => Comparison::Differs,
    }
}

/// Bytes of an encoding compared at a time: bincode writes a few bytes at a
/// time, and compared one write at a time, the comparison took longer than
/// the encoding.
pub(super) const COMPARE_BLOCK: usize = 1 << 16;

/// Whether encoding `value` gives exactly the next bytes of `expected`,
/// compared with `expected` a block at a time as they are written. Reads
/// no further than the block of the first difference, or than the
/// encoding's end.
pub(super) fn encodes_as(value: impl Encode, expected: impl std::io::BufRead) -> bool {
    struct Compare<R> {
        expected: R,
        written: Vec<u8>,
    }
    impl<R: std::io::BufRead> Compare<R> {
        /// Compares what is written so far with the next bytes expected.
        fn settle(&mut self) -> bool {
            let mut rest = &self.written[..];
            while !rest.is_empty() {
                let Ok(available) = self.expected.fill_buf() else {
                    return false;
                };
                let n = available.len().min(rest.len());
                if n == 0 || available[..n] != rest[..n] {
                    return false;
                }
                self.expected.consume(n);
                rest = &rest[n..];
            }
            self.written.clear();
            true
        }
    }
    impl<R: std::io::BufRead> bincode::enc::write::Writer for Compare<R> {
        fn write(&mut self, bytes: &[u8]) -> Result<(), bincode::error::EncodeError> {
            self.written.extend_from_slice(bytes);
            if self.written.len() >= COMPARE_BLOCK && !self.settle() {
                return Err(bincode::error::EncodeError::Other("differs"));
            }
            Ok(())
        }
    }
    let mut compare = Compare {
        expected,
        written: Vec::with_capacity(2 * COMPARE_BLOCK),
    };
    bincode::encode_into_writer(value, &mut compare, config()).is_ok() && compare.settle()
}
