//! A [`CaseStore`] in memory: for tests, and the second implementation that keeps the
//! trait honest (it runs the same [`conformance`](crate::conformance) checks). Nothing is
//! durable; clones share one store, so "reopening" a clone sees what was written.

use crate::{
    ApiKey, AuditEntry, AuditRecord, CaseError, CaseStore, GENESIS_HASH, Result, Role, chain_hash,
    check_key_name,
};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Inner {
    keys: Vec<(ApiKey, [u8; 32])>,
    audit: Vec<AuditRecord>,
}

/// See the module documentation.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> Result<T>) -> Result<T> {
        let mut g = self.inner.lock().map_err(|_| CaseError::Poisoned)?;
        f(&mut g)
    }
}

impl CaseStore for MemoryStore {
    fn create_key(
        &mut self,
        name: &str,
        role: Role,
        digest: &[u8; 32],
        created: &str,
    ) -> Result<()> {
        check_key_name(name)?;
        self.with(|s| {
            if s.keys.iter().any(|(k, d)| k.name == name || d == digest) {
                return Err(CaseError::DuplicateKeyName(name.to_string()));
            }
            s.keys.push((
                ApiKey {
                    name: name.to_string(),
                    role,
                    created: created.to_string(),
                },
                *digest,
            ));
            s.keys.sort_by(|a, b| a.0.name.cmp(&b.0.name));
            Ok(())
        })
    }

    fn key_by_digest(&mut self, digest: &[u8; 32]) -> Result<Option<ApiKey>> {
        self.with(|s| {
            Ok(s.keys
                .iter()
                .find(|(_, d)| d == digest)
                .map(|(k, _)| k.clone()))
        })
    }

    fn list_keys(&mut self) -> Result<Vec<ApiKey>> {
        self.with(|s| Ok(s.keys.iter().map(|(k, _)| k.clone()).collect()))
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord> {
        self.with(|s| {
            let (seq, prev_hash) = match s.audit.last() {
                Some(r) => (r.seq + 1, r.hash.clone()),
                None => (1, GENESIS_HASH.to_string()),
            };
            let hash = chain_hash(&prev_hash, seq, entry)?;
            let rec = AuditRecord {
                seq,
                entry: entry.clone(),
                prev_hash,
                hash,
            };
            s.audit.push(rec.clone());
            Ok(rec)
        })
    }

    fn audit_page(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        self.with(|s| {
            Ok(s.audit
                .iter()
                .filter(|r| r.seq > after)
                .take(limit)
                .cloned()
                .collect())
        })
    }
}
