//! Secret tokens: how they are generated, recognised and hashed.
//!
//! Every secret Joinery hands out (API keys now; link, public and account tokens) is random, shown
//! once, and stored only as `HMAC-SHA256(hashing key, kind || token)`. The keyed hash means a copy
//! of the database alone does not let anyone confirm a guessed token, and the kind tag keeps a
//! token of one kind from ever matching a row of another.
//!
//! API keys are found by their hash. Tokens minted at high rates (link tokens) are *split
//! tokens*: a public selector, the row's time-ordered UUID, followed by 256 secret bits. The row
//! is found by its id (an append-only index, where a random hash would dirty a random index page
//! per insert), then the stored hash is compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Prefix of every API key, so secret scanners and people recognise one at a glance.
pub const API_KEY_PREFIX: &str = "jny_sk_";
/// 43 base62 characters carry 256 bits of randomness.
const API_KEY_RANDOM_LEN: usize = 43;
/// CRC32 of the random part, base62, fixed width: lets a malformed key be refused without a
/// database lookup (GitHub's token checksum pattern).
const API_KEY_CHECKSUM_LEN: usize = 6;
pub const API_KEY_LEN: usize = API_KEY_PREFIX.len() + API_KEY_RANDOM_LEN + API_KEY_CHECKSUM_LEN;

/// What a hashed token is; part of the hash input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    ApiKey,
    LinkToken,
    PublicToken,
    AccountToken,
    /// The `state` of an OAuth attempt in Link.
    OAuthState,
}

impl TokenKind {
    const fn tag(self) -> &'static [u8] {
        match self {
            TokenKind::ApiKey => b"api-key",
            TokenKind::LinkToken => b"link-token",
            TokenKind::PublicToken => b"public-token",
            TokenKind::AccountToken => b"account-token",
            TokenKind::OAuthState => b"oauth-state",
        }
    }
}

/// A token hash as stored in the database.
pub type TokenHash = [u8; 32];

/// Computes keyed token hashes. Cheap to clone; holds only the derived key.
#[derive(Clone)]
pub struct TokenHasher {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHasher([REDACTED])")
    }
}

impl TokenHasher {
    /// Derives the hashing key from the server secret. The derivation label lets the same
    /// secret feed other keys later without them ever being equal.
    pub fn new(server_secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(server_secret).expect("HMAC takes keys of any length");
        mac.update(b"joinery/token-hashing/v1");
        Self { key: mac.finalize().into_bytes().into() }
    }

    fn mac(&self, kind: TokenKind, token: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(kind.tag());
        mac.update(&[0]);
        mac.update(token.as_bytes());
        mac
    }

    pub fn hash(&self, kind: TokenKind, token: &str) -> TokenHash {
        self.mac(kind, token).finalize().into_bytes().into()
    }

    /// Whether `token` hashes to `stored`, compared in constant time.
    pub fn verify(&self, kind: TokenKind, token: &str, stored: &[u8]) -> bool {
        self.mac(kind, token).verify_slice(stored).is_ok()
    }
}

fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| BASE62[rng.random_range(0..62)] as char).collect()
}

fn checksum(random_part: &str) -> String {
    let mut n = crc32fast::hash(random_part.as_bytes());
    let mut out = [b'0'; API_KEY_CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

/// A new API key: `jny_sk_` + 43 random base62 characters + a 6-character checksum.
pub fn generate_api_key() -> String {
    let random = random_base62(API_KEY_RANDOM_LEN);
    let check = checksum(&random);
    format!("{API_KEY_PREFIX}{random}{check}")
}

/// Whether `key` has the shape and checksum of a Joinery API key. Keys that fail this are refused
/// without touching the database.
pub fn api_key_is_well_formed(key: &str) -> bool {
    let Some(rest) = key.strip_prefix(API_KEY_PREFIX) else {
        return false;
    };
    if rest.len() != API_KEY_RANDOM_LEN + API_KEY_CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = rest.split_at(API_KEY_RANDOM_LEN);
    checksum(random) == check
}

/// The part of a key that may be shown later to tell keys apart (`jny_sk_…` + last 4).
pub fn api_key_hint(key: &str) -> String {
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{API_KEY_PREFIX}…{tail}")
}

/// A split token: `id` selects the row, the whole `token` is the secret handed out.
#[derive(Clone, PartialEq, Eq)]
pub struct SplitToken {
    pub id: uuid::Uuid,
    pub token: String,
}

impl std::fmt::Debug for SplitToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplitToken").field("id", &self.id).finish_non_exhaustive()
    }
}

const SPLIT_TOKEN_BYTES: usize = 16 + 32;

/// A new split token: base64url of a UUIDv7 and 256 random bits (64 URL-safe characters).
pub fn generate_split_token() -> SplitToken {
    let id = uuid::Uuid::now_v7();
    let secret: [u8; 32] = rand::rng().random();
    let mut raw = [0u8; SPLIT_TOKEN_BYTES];
    raw[..16].copy_from_slice(id.as_bytes());
    raw[16..].copy_from_slice(&secret);
    SplitToken { id, token: URL_SAFE_NO_PAD.encode(raw) }
}

/// The row id a split token selects, if `token` has a split token's shape. The token is genuine
/// only if its hash also matches the row's ([`TokenHasher::verify`]).
pub fn split_token_id(token: &str) -> Option<uuid::Uuid> {
    let mut raw = [0u8; SPLIT_TOKEN_BYTES];
    match URL_SAFE_NO_PAD.decode_slice(token.as_bytes(), &mut raw) {
        Ok(SPLIT_TOKEN_BYTES) => uuid::Uuid::from_slice(&raw[..16]).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), API_KEY_LEN);
        assert!(api_key_is_well_formed(&a), "{a}");
        assert!(api_key_is_well_formed(&b), "{b}");
    }

    #[test]
    fn a_changed_character_breaks_the_checksum() {
        let key = generate_api_key();
        let mut bytes = key.clone().into_bytes();
        let i = API_KEY_PREFIX.len() + 5;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(!api_key_is_well_formed(&tampered));
        assert!(!api_key_is_well_formed(&key[..key.len() - 1]));
        assert!(!api_key_is_well_formed(&key.replace("jny_sk_", "jny_pk_")));
        assert!(!api_key_is_well_formed(""));
    }

    #[test]
    fn hashes_are_keyed_and_kind_separated() {
        let h1 = TokenHasher::new(b"secret one");
        let h2 = TokenHasher::new(b"secret two");
        let token = generate_split_token().token;
        assert_eq!(h1.hash(TokenKind::LinkToken, &token), h1.hash(TokenKind::LinkToken, &token));
        assert_ne!(h1.hash(TokenKind::LinkToken, &token), h2.hash(TokenKind::LinkToken, &token));
        assert_ne!(h1.hash(TokenKind::LinkToken, &token), h1.hash(TokenKind::PublicToken, &token));
        assert!(!format!("{h1:?}").contains("secret"));
        let stored = h1.hash(TokenKind::LinkToken, &token);
        assert!(h1.verify(TokenKind::LinkToken, &token, &stored));
        assert!(!h1.verify(TokenKind::PublicToken, &token, &stored));
        assert!(!h2.verify(TokenKind::LinkToken, &token, &stored));
        assert!(!h1.verify(TokenKind::LinkToken, &token, &stored[..31]));
    }

    #[test]
    fn split_tokens_are_url_safe_and_carry_their_id() {
        let a = generate_split_token();
        let b = generate_split_token();
        assert_ne!(a, b);
        assert_eq!(a.token.len(), 64);
        assert!(a.token.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(split_token_id(&a.token), Some(a.id));
        assert_eq!(a.id.get_version_num(), 7);
        assert_eq!(split_token_id(&a.token[..63]), None);
        assert_eq!(split_token_id(&format!("{}A", a.token)), None);
        assert_eq!(split_token_id("not a token"), None);
        assert_eq!(split_token_id(""), None);
    }

    #[test]
    fn hint_shows_only_the_tail() {
        let key = generate_api_key();
        let hint = api_key_hint(&key);
        assert!(hint.ends_with(&key[key.len() - 4..]));
        assert!(hint.chars().count() < 16);
    }
}
