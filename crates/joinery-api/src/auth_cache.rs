//! A short-lived memory of which API-key hashes belong to which organization, so the hot path
//! does not query the database on every request. Entries live for at most [`TTL`], which bounds
//! how long a revoked key keeps working. Unknown keys are never cached.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use joinery_domain::tokens::TokenHash;
use uuid::Uuid;

pub const TTL: Duration = Duration::from_secs(1);
/// Beyond this many keys the cache is pruned; it only ever holds keys used in the last second.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub struct AuthCache {
    entries: RwLock<HashMap<TokenHash, (Uuid, Instant)>>,
}

impl AuthCache {
    pub fn get(&self, hash: &TokenHash) -> Option<Uuid> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(hash).filter(|(_, at)| at.elapsed() < TTL).map(|(org, _)| *org)
    }

    pub fn insert(&self, hash: TokenHash, organization_id: Uuid) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(hash, (organization_id, Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_for_a_moment_then_forgets() {
        let cache = AuthCache::default();
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
    fn stays_bounded() {
        let cache = AuthCache::default();
        for i in 0..(MAX_ENTRIES + 10) {
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&(i as u64).to_le_bytes());
            cache.insert(hash, Uuid::nil());
        }
        assert!(cache.entries.read().unwrap().len() <= MAX_ENTRIES);
    }
}
