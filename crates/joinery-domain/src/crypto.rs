//! Encryption at rest of provider credentials (API keys, passwords, OAuth tokens) and of account
//! tokens, with AES-256-GCM.
//!
//! A sealed value is `0x01 ‖ key id (8 bytes) ‖ nonce (12 bytes) ‖ ciphertext and tag`. The key id
//! names the key that sealed it, so a keyring holding the current key and retired ones can open
//! every value while new values use the current key (key rotation). Callers pass associated data
//! binding a value to its row and purpose, so a sealed value copied to another row does not open.

use std::fmt;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use rand::Rng;
use sha2::{Digest, Sha256};

pub const KEY_BYTES: usize = 32;
const VERSION: u8 = 1;
const KEY_ID_BYTES: usize = 8;
const NONCE_BYTES: usize = 12;
const HEADER_BYTES: usize = 1 + KEY_ID_BYTES + NONCE_BYTES;

/// Fingerprint of a key: public, stored beside every value it seals.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; KEY_ID_BYTES]);

impl KeyId {
    fn of(key: &[u8; KEY_BYTES]) -> Self {
        let digest = Sha256::new().chain_update(b"joinery encryption key id\0").chain_update(key).finalize();
        let mut id = [0; KEY_ID_BYTES];
        id.copy_from_slice(&digest[..KEY_ID_BYTES]);
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value was made with key {0}, which is not configured")]
    UnknownKey(KeyId),
    #[error("the sealed value does not authenticate (wrong key, wrong row, or tampered)")]
    Forged,
}

struct Key {
    id: KeyId,
    cipher: Aes256Gcm,
}

/// The current key (seals) and retired keys (only open).
pub struct Keyring {
    current: Key,
    retired: Vec<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let retired: Vec<_> = self.retired.iter().map(|k| k.id).collect();
        f.debug_struct("Keyring").field("current", &self.current.id).field("retired", &retired).finish()
    }
}

impl Keyring {
    pub fn new(current: &[u8; KEY_BYTES], retired: &[[u8; KEY_BYTES]]) -> Self {
        let key = |bytes: &[u8; KEY_BYTES]| Key { id: KeyId::of(bytes), cipher: Aes256Gcm::new(bytes.into()) };
        Keyring { current: key(current), retired: retired.iter().map(key).collect() }
    }

    pub fn current_key_id(&self) -> KeyId {
        self.current.id
    }

    /// Seals `plaintext` under the current key, bound to `context`.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_BYTES] = rand::rng().random();
        let ciphertext = self
            .current
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context })
            .expect("AES-GCM encrypts any message shorter than 64 GiB");
        let mut sealed = Vec::with_capacity(HEADER_BYTES + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&self.current.id.0);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens a value sealed by any key of the ring, with the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key_id = sealed_key_id(sealed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.retired)
            .find(|k| k.id == key_id)
            .ok_or(CryptoError::UnknownKey(key_id))?;
        let nonce = Nonce::from_slice(&sealed[1 + KEY_ID_BYTES..HEADER_BYTES]);
        key.cipher
            .decrypt(nonce, Payload { msg: &sealed[HEADER_BYTES..], aad: context })
            .map_err(|_| CryptoError::Forged)
    }

    /// Whether `sealed` was made with a retired key (and should be sealed again).
    pub fn is_stale(&self, sealed: &[u8]) -> bool {
        sealed_key_id(sealed).is_ok_and(|id| id != self.current.id)
    }
}

/// What sealed values are bound to (their associated data), so one copied to another row or
/// purpose does not open.
pub mod context {
    use uuid::Uuid;

    pub fn credentials(account: Uuid) -> Vec<u8> {
        format!("linked_account:{account}:credentials").into_bytes()
    }
    pub fn account_token(account: Uuid) -> Vec<u8> {
        format!("linked_account:{account}:account_token").into_bytes()
    }
    pub fn oauth_fields(attempt: Uuid) -> Vec<u8> {
        format!("oauth_attempt:{attempt}:fields").into_bytes()
    }
    pub fn oauth_result(attempt: Uuid) -> Vec<u8> {
        format!("oauth_attempt:{attempt}:result").into_bytes()
    }
}

/// The id of the key that sealed `sealed`.
pub fn sealed_key_id(sealed: &[u8]) -> Result<KeyId, CryptoError> {
    if sealed.len() < HEADER_BYTES + 16 || sealed[0] != VERSION {
        return Err(CryptoError::Malformed);
    }
    let mut id = [0; KEY_ID_BYTES];
    id.copy_from_slice(&sealed[1..1 + KEY_ID_BYTES]);
    Ok(KeyId(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_with_the_same_context_only() {
        let ring = Keyring::new(&[7; 32], &[]);
        let sealed = ring.seal(b"api-key-123", b"linked_account:1");
        assert!(!sealed.windows(11).any(|w| w == b"api-key-123"), "plaintext visible in the sealed value");
        assert_eq!(ring.open(&sealed, b"linked_account:1").unwrap(), b"api-key-123");
        assert_eq!(ring.open(&sealed, b"linked_account:2"), Err(CryptoError::Forged));
        // Two seals of one value differ (random nonce).
        assert_ne!(sealed, ring.seal(b"api-key-123", b"linked_account:1"));
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::new(&[7; 32], &[]);
        let sealed = ring.seal(b"secret", b"c");
        for i in HEADER_BYTES..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(ring.open(&bad, b"c"), Err(CryptoError::Forged), "byte {i}");
        }
        assert_eq!(ring.open(&sealed[..10], b"c"), Err(CryptoError::Malformed));
        let mut other_version = sealed.clone();
        other_version[0] = 2;
        assert_eq!(ring.open(&other_version, b"c"), Err(CryptoError::Malformed));
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_flags_them() {
        let old = Keyring::new(&[1; 32], &[]);
        let sealed_before = old.seal(b"v", b"c");
        let rotated = Keyring::new(&[2; 32], &[[1; 32]]);
        assert_eq!(rotated.open(&sealed_before, b"c").unwrap(), b"v");
        assert!(rotated.is_stale(&sealed_before));
        let resealed = rotated.seal(b"v", b"c");
        assert!(!rotated.is_stale(&resealed));
        assert_eq!(sealed_key_id(&resealed).unwrap(), rotated.current_key_id());
        // Without the old key, old values name the missing key.
        let forgetful = Keyring::new(&[2; 32], &[]);
        assert_eq!(forgetful.open(&sealed_before, b"c"), Err(CryptoError::UnknownKey(old.current_key_id())));
    }

    #[test]
    fn debug_never_shows_key_material() {
        let ring = Keyring::new(&[0xAB; 32], &[]);
        let text = format!("{ring:?}");
        assert!(!text.to_lowercase().contains("abab"), "{text}");
    }
}
