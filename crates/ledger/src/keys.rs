//! Authorised writers: Ed25519 keys, and which of them may sign what at
//! each point of the chain.
//!
//! A ledger *requires signatures* when its entry 0 is a `key.authorized`
//! event with role `admin`: the root of trust, declared when the ledger was
//! created (`init --require-signatures --admin-key FILE`). From then on every
//! entry must carry a valid signature (payload format 2) by a key that the
//! ledger's own key events authorise *at that seq*: a key counts from the
//! entry after its `key.authorized` until its `key.revoked`. Writers sign
//! events; only admins sign key events. Key state follows the chain (seq
//! order), not valid time: authority is about who could write, when.
//!
//! In a ledger that does not require signatures, signed payloads are still
//! checked for a valid signature, and key events are refused (they would
//! have no effect).

use std::collections::HashMap;

use docket_model::{Body, Event, PublicKey, Role, Signature};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

/// The first line of a secret key file.
const SECRET_HEADER: &str = "docket ed25519 secret key v1";

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The system's random source failed.
    #[error("cannot generate a key: {0}")]
    Random(String),
    /// The text is not a secret key file.
    #[error("not a docket secret key: {0}")]
    BadSecret(String),
    /// The public key is not a usable Ed25519 key.
    #[error("{key} is not a usable Ed25519 public key")]
    BadPublic {
        /// The key as written.
        key: String,
    },
}

/// An Ed25519 signing key.
pub struct SecretKey(SigningKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "SecretKey({})", self.public())
    }
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// The public half, as docket writes it (`ed25519:<hex>`).
    pub fn public(&self) -> PublicKey {
        PublicKey::from_bytes(self.0.verifying_key().to_bytes())
    }

    /// The secret key file's text: a header line and the 32-byte seed in hex.
    pub fn to_text(&self) -> String {
        let seed: String = self
            .0
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{SECRET_HEADER}\n{seed}\n")
    }

    /// Reads a secret key file's text.
    pub fn from_text(text: &str) -> Result<SecretKey, KeyError> {
        let mut lines = text.lines();
        if lines.next().map(str::trim) != Some(SECRET_HEADER) {
            return Err(KeyError::BadSecret(format!(
                "the first line must be {SECRET_HEADER:?}"
            )));
        }
        let hex = lines.next().unwrap_or("").trim();
        if hex.len() != 64 || lines.any(|l| !l.trim().is_empty()) {
            return Err(KeyError::BadSecret(
                "the second line must be 64 hex digits, and nothing after it".into(),
            ));
        }
        let seed = docket_log::parse_hex_hash(hex)
            .ok_or_else(|| KeyError::BadSecret("the second line must be 64 hex digits".into()))?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// Signs arbitrary bytes (checkpoints, bundle manifests).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// Signs an event, which must already have its final id.
    pub fn sign(&self, event: &Event) -> Result<Signature, docket_model::EncodeError> {
        let message = event.signing_bytes()?;
        Ok(Signature {
            key: self.public(),
            bytes: self.0.sign(&message).to_bytes(),
        })
    }
}

/// A public key that Ed25519 accepts for strict verification.
pub fn usable_key(key: &PublicKey) -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(key.as_bytes())
        .ok()
        .filter(|k| !k.is_weak())
        .ok_or_else(|| KeyError::BadPublic {
            key: key.to_string(),
        })
}

/// Whether `signature` is a valid signature of `event` by its key.
pub fn signature_is_valid(event: &Event, signature: &Signature) -> bool {
    let Ok(key) = usable_key(&signature.key) else {
        return false;
    };
    let Ok(message) = event.signing_bytes() else {
        return false;
    };
    key.verify_strict(
        &message,
        &ed25519_dalek::Signature::from_bytes(&signature.bytes),
    )
    .is_ok()
}

/// Which keys may sign, at one point of the chain.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyState {
    /// Whether the ledger requires signatures (its entry 0 is an admin key).
    pub requires: bool,
    active: HashMap<PublicKey, Role>,
}

impl KeyState {
    /// Checks the entry at `seq` and applies it. `Err` says why the entry
    /// may not stand at that point.
    pub fn admit(
        &mut self,
        seq: u64,
        event: &Event,
        signature: Option<&Signature>,
    ) -> Result<(), String> {
        // Entry 0's admin key is the root of trust: `authorize` takes it as
        // it is, signed or not.
        let root =
            seq == 0 && matches!(&event.body, Body::KeyAuthorized(k) if k.role == Role::Admin);
        if !root
            && let Some(signature) = signature
            && !signature_is_valid(event, signature)
        {
            return Err(format!(
                "the signature by {} does not verify",
                signature.key
            ));
        }
        self.authorize(seq, event, signature.map(|s| &s.key))
    }

    /// [`KeyState::admit`] for an event whose signature by `signer` is
    /// known to be valid (the ledger has just made it): only whether that
    /// key may sign it here is checked, not the signature again.
    pub fn authorize(
        &mut self,
        seq: u64,
        event: &Event,
        signer: Option<&PublicKey>,
    ) -> Result<(), String> {
        if seq == 0
            && let Body::KeyAuthorized(k) = &event.body
            && k.role == Role::Admin
        {
            usable_key(&k.key).map_err(|e| e.to_string())?;
            self.requires = true;
            self.active.insert(k.key, Role::Admin);
            return Ok(());
        }
        if !self.requires {
            if event.kind().is_key() {
                return Err("key events need a ledger created with --require-signatures".into());
            }
            return Ok(());
        }
        let Some(signer) = signer else {
            return Err("the ledger requires signatures and this event is not signed".into());
        };
        let Some(&role) = self.active.get(signer) else {
            return Err(format!(
                "{} is not an authorised key at this point of the ledger",
                signer
            ));
        };
        match &event.body {
            Body::KeyAuthorized(k) => {
                if role != Role::Admin {
                    return Err(format!(
                        "only an admin key may authorise keys; {} is a writer",
                        signer
                    ));
                }
                usable_key(&k.key).map_err(|e| e.to_string())?;
                if self.active.contains_key(&k.key) {
                    return Err(format!("{} is already authorised", k.key));
                }
                self.active.insert(k.key, k.role);
            }
            Body::KeyRevoked(k) => {
                if role != Role::Admin {
                    return Err(format!(
                        "only an admin key may revoke keys; {} is a writer",
                        signer
                    ));
                }
                let Some(revoked_role) = self.active.get(&k.key).copied() else {
                    return Err(format!(
                        "{} is not an authorised key, so it cannot be revoked",
                        k.key
                    ));
                };
                let admins = self.active.values().filter(|r| **r == Role::Admin).count();
                if revoked_role == Role::Admin && admins == 1 {
                    return Err(
                        "revoking the last admin key would leave nobody able to authorise keys"
                            .into(),
                    );
                }
                self.active.remove(&k.key);
            }
            _ => {}
        }
        Ok(())
    }
}

impl crate::Ledger {
    /// The key state just before entry `upto`, from entry 0 and the key
    /// events (found through their index, not by scanning the log).
    pub(crate) fn key_state(&self, upto: u64) -> Result<KeyState, crate::ReadError> {
        let mut state = KeyState::default();
        let mut seqs =
            self.with_index(|index, log| index.postings(log, crate::index::KEY_EVENTS_TERM))?;
        seqs.retain(|&seq| seq < upto);
        seqs.sort_unstable();
        seqs.dedup();
        for seq in seqs {
            let Some(entry) = self.log.get(seq)? else {
                continue;
            };
            let (event, signature) =
                Event::decode_signed(&entry.payload).map_err(|e| crate::ReadError::Payload {
                    seq,
                    message: e.to_string(),
                })?;
            // Stored key events were admitted when appended; `verify` is
            // where a planted one is caught, so ignore refusals here.
            let _ = state.admit(seq, &event, signature.as_ref());
        }
        Ok(state)
    }
}
