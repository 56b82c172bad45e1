//! Writer keys: the Ed25519 [`PublicKey`] named by `key.authorized` and
//! `key.revoked` events, and the [`Signature`] carried by a signed payload
//! (format version 2, see the [`codec`](crate::codec) module docs).
//!
//! The model does no cryptography. A `PublicKey` is any 32 bytes — whether
//! they are a valid (and not weak) Ed25519 point is for whoever verifies —
//! and a `Signature` is carried, never checked, here.

use std::fmt;
use std::str::FromStr;

use crate::error::{ValueError, preview};
use crate::ids::{hex32, write_hex};

/// A 32-byte Ed25519 public key, written `ed25519:<64 lowercase hex>`.
///
/// In JSON it is the `key` field of `key.authorized` and `key.revoked`; in
/// a payload, 32 raw bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// The prefix of the written form.
    pub const PREFIX: &'static str = "ed25519:";

    /// Parses `ed25519:` followed by exactly 64 lowercase hex digits.
    pub fn new(s: &str) -> Result<Self, ValueError> {
        s.strip_prefix(Self::PREFIX)
            .and_then(hex32)
            .map(Self)
            .ok_or_else(|| ValueError::PublicKey { value: preview(s) })
    }

    /// Wraps 32 raw key bytes (as `ed25519_dalek::VerifyingKey::to_bytes`
    /// gives them).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::PREFIX)?;
        write_hex(f, &self.0)
    }
}

impl FromStr for PublicKey {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        Self::new(s)
    }
}

impl TryFrom<&str> for PublicKey {
    type Error = ValueError;
    fn try_from(s: &str) -> Result<Self, ValueError> {
        Self::new(s)
    }
}

/// An Ed25519 signature of an event, with the key that made it: the tail of
/// a signed payload.
///
/// `bytes` is meant to be the signature of
/// [`Event::signing_bytes`](crate::Event::signing_bytes) under `key`. The
/// model stores and reads it without checking that; the ledger verifies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    /// The signer's public key.
    pub key: PublicKey,
    /// The 64 signature bytes (`R ‖ s`, as `ed25519_dalek::Signature::to_bytes`
    /// gives them).
    pub bytes: [u8; 64],
}

impl Signature {
    /// Bytes a signature adds to a payload: the key, then the signature.
    pub const LEN: usize = 32 + 64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys() {
        let hex = "0123456789abcdef".repeat(4);
        let k = PublicKey::new(&format!("ed25519:{hex}")).unwrap();
        assert_eq!(k.to_string(), format!("ed25519:{hex}"));
        assert_eq!(k.as_bytes()[1], 0x23);
        assert_eq!(PublicKey::from_bytes(*k.as_bytes()), k);
        assert_eq!(k.to_string().parse::<PublicKey>(), Ok(k));
        assert_eq!(
            PublicKey::from_bytes([0xab; 32]).to_string(),
            format!("ed25519:{}", "ab".repeat(32))
        );
        for bad in [
            hex.clone(),
            format!("blake3:{hex}"),
            format!("ED25519:{hex}"),
            format!("ed25519:{}", hex.to_uppercase()),
            format!("ed25519:{}", &hex[2..]),
            format!("ed25519:{hex}00"),
            format!("ed25519:{}g", &hex[1..]),
            format!("ed25519: {}", &hex[1..]),
            format!("ed25519:{}é", &hex[2..]),
            "ed25519:".to_owned(),
            String::new(),
        ] {
            assert!(
                matches!(PublicKey::new(&bad), Err(ValueError::PublicKey { .. })),
                "{bad}"
            );
        }
        let message = PublicKey::new("ed25519:AB").unwrap_err().to_string();
        assert_eq!(
            message,
            "invalid public key \"ed25519:AB\": expected \"ed25519:\" followed by 64 lowercase hex digits"
        );
    }
}
