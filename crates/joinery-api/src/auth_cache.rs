//! A short-lived memory of verified credentials, by the keyed hash of the credential: which
//! organization an API key belongs to, which linked account an account token opens. The hot path
//! then does not query the database on every request. Entries live for at most [`TTL`], which
//! bounds how long a revoked key or token (or a changed account) keeps being served from memory.
//! Unknown credentials are never cached.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use joinery_domain::tokens::TokenHash;
use uuid::Uuid;

pub const TTL: Duration = Duration::from_secs(1);
/// Beyond this many keys the cache is pruned; it only ever holds keys used in the last second.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
pub struct AuthCache<V = Uuid> {
    entries: RwLock<HashMap<TokenHash, (V, Instant)>>,
    /// Moves on every [`AuthCache::clear`], so a lookup that began before a clear cannot put back
    /// what the clear removed.
    generation: AtomicU64,
}

impl<V> Default for AuthCache<V> {
    fn default() -> Self {
        AuthCache { entries: RwLock::new(HashMap::new()), generation: AtomicU64::new(0) }
    }
}

impl<V: Clone> AuthCache<V> {
    pub fn get(&self, hash: &TokenHash) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(hash).filter(|(_, at)| at.elapsed() < TTL).map(|(value, _)| value.clone())
    }

    /// Forgets everything (this process changed what some entry says).
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    /// Where the cache is: pass it to [`AuthCache::insert_since`] after looking a value up.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn insert(&self, hash: TokenHash, value: V) {
        let generation = self.generation();
        self.insert_since(generation, hash, value);
    }

    /// Remembers a value looked up after [`AuthCache::generation`] returned `generation`, unless
    /// the cache was cleared since (the lookup may have read what the clear was about).
    pub fn insert_since(&self, generation: u64, hash: TokenHash, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(hash, (value, Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_for_a_moment_then_forgets() {
        let cache = AuthCache::<Uuid>::default();
        let org = Uuid::new_v4();
        assert_eq!(cache.get(&[1; 32]), None);
        cache.insert([1; 32], org);
        assert_eq!(cache.get(&[1; 32]), Some(org));
        assert_eq!(cache.get(&[2; 32]), None);
        // Age the entry past the TTL instead of sleeping.
        cache.entries.write().unwrap().get_mut(&[1; 32]).unwrap().1 = Instant::now() - TTL;
        assert_eq!(cache.get(&[1; 32]), None);
    }

    #[test]
    fn a_lookup_from_before_a_clear_is_not_remembered() {
        let cache = AuthCache::<Uuid>::default();
        let before = cache.generation();
        cache.clear();
        cache.insert_since(before, [1; 32], Uuid::nil());
        assert_eq!(cache.get(&[1; 32]), None);
        cache.insert_since(cache.generation(), [1; 32], Uuid::nil());
        assert_eq!(cache.get(&[1; 32]), Some(Uuid::nil()));
    }

    #[test]
    fn stays_bounded() {
        let cache = AuthCache::<Uuid>::default();
        for i in 0..(MAX_ENTRIES + 10) {
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&(i as u64).to_le_bytes());
            cache.insert(hash, Uuid::nil());
        }
        assert!(cache.entries.read().unwrap().len() <= MAX_ENTRIES);
    }
}
