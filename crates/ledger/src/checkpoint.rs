//! Checkpoints: the C2SP `tlog-checkpoint` signed-note format.
//!
//! ```text
//! docket:3f9a…            origin: names the ledger
//! 45                      tree size
//! 2Kf8…=                  Merkle root (BLAKE3 mode), base64
//! head 9c1e…              extension: the chain head hash, hex
//!                         (blank line)
//! — docket 3q2+7…=        one line per signature
//! ```
//!
//! Each signature line is an em dash, a space, the key name, a space, and
//! base64 of the 4-byte key ID followed by the 64-byte Ed25519 signature of
//! the note's text (every line before the blank one, each with its `\n`).
//! The key ID is the first four bytes of SHA-256(name ‖ `\n` ‖ 0x01 ‖ the
//! 32-byte public key), as C2SP `signed-note` specifies for Ed25519.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use docket_log::Hash;
use docket_model::PublicKey;
use sha2::{Digest as _, Sha256};

use crate::keys::usable_key;

/// The default key name on signature lines.
pub const DEFAULT_KEY_NAME: &str = "docket";

const DASH: &str = "\u{2014} ";

/// A checkpoint: a commitment to the first `size` entries of a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The ledger's name.
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// Merkle root over their entry hashes.
    pub root: Hash,
    /// The hash of entry `size - 1` (zeros when empty).
    pub head: Hash,
    /// Signature lines: key name, key ID, signature.
    pub signatures: Vec<NoteSignature>,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key's name.
    pub name: String,
    /// The 4-byte key ID.
    pub key_id: [u8; 4],
    /// The Ed25519 signature.
    pub signature: [u8; 64],
}

/// Why a checkpoint could not be read or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The text is not a checkpoint note.
    #[error("not a checkpoint: line {line}: {message}")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No signature line is by the given key.
    #[error("the checkpoint is not signed by {key} (its signatures are by {names})")]
    NotSignedBy {
        /// The key expected.
        key: String,
        /// The names on its signature lines.
        names: String,
    },
    /// A signature line by the key does not verify.
    #[error(
        "the signature by {key} on the checkpoint does not verify: the checkpoint was altered or signed by another key"
    )]
    BadSignature {
        /// The key.
        key: String,
    },
}

/// The C2SP key ID of an Ed25519 key under a name.
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n\x01");
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

impl Checkpoint {
    /// The signed text: origin, size, root, extension lines.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\nhead {}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root),
            docket_log::hex(&self.head)
        )
    }

    /// The whole note, with its signature lines.
    pub fn to_note(&self) -> String {
        let mut note = self.text();
        note.push('\n');
        for s in &self.signatures {
            let mut blob = s.key_id.to_vec();
            blob.extend_from_slice(&s.signature);
            note.push_str(&format!("{DASH}{} {}\n", s.name, BASE64.encode(blob)));
        }
        note
    }

    /// Adds a signature line by `key` under `name`.
    pub fn sign(&mut self, key: &crate::SecretKey, name: &str) {
        let signature = key.sign_bytes(self.text().as_bytes());
        self.signatures.push(NoteSignature {
            name: name.to_string(),
            key_id: key_id(name, &key.public()),
            signature,
        });
    }

    /// Checks that some signature line is a valid signature by `key`.
    pub fn verify_signature(&self, key: &PublicKey) -> Result<(), CheckpointError> {
        let mine: Vec<&NoteSignature> = self
            .signatures
            .iter()
            .filter(|s| s.key_id == key_id(&s.name, key))
            .collect();
        if mine.is_empty() {
            let names: Vec<&str> = self.signatures.iter().map(|s| s.name.as_str()).collect();
            let names = if names.is_empty() {
                "nobody: it is unsigned".to_string()
            } else {
                names.join(", ")
            };
            return Err(CheckpointError::NotSignedBy {
                key: key.to_string(),
                names,
            });
        }
        let verifying = usable_key(key).map_err(|_| CheckpointError::BadSignature {
            key: key.to_string(),
        })?;
        let text = self.text();
        let valid = mine.iter().any(|s| {
            verifying
                .verify_strict(
                    text.as_bytes(),
                    &ed25519_dalek::Signature::from_bytes(&s.signature),
                )
                .is_ok()
        });
        if valid {
            Ok(())
        } else {
            Err(CheckpointError::BadSignature {
                key: key.to_string(),
            })
        }
    }

    /// Reads a note.
    pub fn parse(note: &str) -> Result<Checkpoint, CheckpointError> {
        let bad = |line: usize, message: &str| CheckpointError::Malformed {
            line,
            message: message.to_string(),
        };
        let (text, signatures) = note
            .split_once("\n\n")
            .ok_or_else(|| bad(1, "no blank line before the signatures"))?;
        let lines: Vec<&str> = text.split('\n').collect();
        if lines.len() < 4 {
            return Err(bad(
                lines.len(),
                "expected origin, size, root and head lines",
            ));
        }
        let origin = lines[0].to_string();
        if origin.is_empty() {
            return Err(bad(1, "empty origin"));
        }
        let size_text = lines[1];
        if size_text.is_empty()
            || !size_text.bytes().all(|b| b.is_ascii_digit())
            || (size_text.len() > 1 && size_text.starts_with('0'))
        {
            return Err(bad(
                2,
                "the size must be a decimal number without leading zeros",
            ));
        }
        let size: u64 = size_text
            .parse()
            .map_err(|_| bad(2, "the size does not fit 64 bits"))?;
        let root_bytes = BASE64
            .decode(lines[2])
            .map_err(|_| bad(3, "the root is not base64"))?;
        let root: Hash = root_bytes
            .try_into()
            .map_err(|_| bad(3, "the root is not 32 bytes"))?;
        let head = lines[3..]
            .iter()
            .find_map(|l| l.strip_prefix("head "))
            .and_then(docket_log::parse_hex_hash)
            .ok_or_else(|| bad(4, "no `head <64 hex digits>` extension line"))?;
        let mut parsed = Vec::new();
        let first_signature_line = lines.len() + 2;
        for (i, line) in signatures.lines().enumerate() {
            let at = first_signature_line + i;
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| bad(at, "a signature line starts with an em dash and a space"))?;
            let (name, blob) = rest
                .split_once(' ')
                .ok_or_else(|| bad(at, "a signature line is `— name base64`"))?;
            let blob = BASE64
                .decode(blob)
                .map_err(|_| bad(at, "the signature is not base64"))?;
            if blob.len() != 68 || name.is_empty() || name.contains('+') {
                return Err(bad(
                    at,
                    "an Ed25519 signature line holds a name and 4 + 64 bytes",
                ));
            }
            let mut key_id = [0u8; 4];
            key_id.copy_from_slice(&blob[..4]);
            let mut signature = [0u8; 64];
            signature.copy_from_slice(&blob[4..]);
            parsed.push(NoteSignature {
                name: name.to_string(),
                key_id,
                signature,
            });
        }
        let checkpoint = Checkpoint {
            origin,
            size,
            root,
            head,
            signatures: parsed,
        };
        // Only the canonical form is accepted, so that what was signed is
        // exactly what is read.
        if checkpoint.text() != format!("{text}\n") {
            return Err(bad(1, "not in canonical form (extra lines or spacing)"));
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: &str) -> crate::SecretKey {
        crate::SecretKey::from_text(&format!(
            "docket ed25519 secret key v1\n{}\n",
            byte.repeat(32)
        ))
        .unwrap()
    }

    #[test]
    fn a_signed_note_round_trips_and_verifies() {
        let mut checkpoint = Checkpoint {
            origin: "docket:test".into(),
            size: 45,
            root: [3; 32],
            head: [9; 32],
            signatures: vec![],
        };
        checkpoint.sign(&key("01"), DEFAULT_KEY_NAME);
        let note = checkpoint.to_note();
        assert!(note.contains("\n\n\u{2014} docket "), "{note}");
        let parsed = Checkpoint::parse(&note).unwrap();
        assert_eq!(parsed, checkpoint);
        parsed.verify_signature(&key("01").public()).unwrap();
        assert!(matches!(
            parsed.verify_signature(&key("02").public()),
            Err(CheckpointError::NotSignedBy { .. })
        ));
        let altered = note.replace("\n45\n", "\n44\n");
        let altered = Checkpoint::parse(&altered).unwrap();
        assert!(matches!(
            altered.verify_signature(&key("01").public()),
            Err(CheckpointError::BadSignature { .. })
        ));
    }

    #[test]
    fn malformed_notes_are_refused_with_their_line() {
        for (note, line) in [
            ("", 1),
            ("o\n1\n\n", 2),
            ("o\n01\nAA==\nhead 00\n\n", 2),
            ("o\n1\n!!\nhead x\n\n", 3),
        ] {
            match Checkpoint::parse(note) {
                Err(CheckpointError::Malformed { line: l, .. }) => assert_eq!(l, line, "{note:?}"),
                other => panic!("{note:?}: {other:?}"),
            }
        }
    }
}
