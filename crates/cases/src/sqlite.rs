//! The embedded case store: one SQLite file (WAL, synchronous=FULL so an acknowledged
//! audit record survives power loss).

use crate::{
    ApiKey, AuditEntry, AuditRecord, CaseError, CaseStore, GENESIS_HASH, Result, Role, chain_hash,
    check_key_name,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Schema versions, applied in order; `PRAGMA user_version` holds how many were applied.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE api_keys (
    name TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'investigator', 'admin')),
    key_sha256 BLOB NOT NULL UNIQUE,
    created TEXT NOT NULL
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY NOT NULL,
    ts TEXT NOT NULL,
    key_name TEXT NOT NULL,
    role TEXT NOT NULL,
    justification TEXT NOT NULL,
    resource TEXT NOT NULL,
    entity_ids TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
-- Append-only: the service never changes or removes a record. The hash chain makes a
-- change made behind SQLite's back (or after dropping these triggers) detectable.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#];

/// See the module documentation.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (or creates) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let err = |source| CaseError::Sqlite {
            path: shown.clone(),
            source,
        };
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(CaseError::SchemaTooNew {
                path: shown,
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let tx = conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> CaseError + '_ {
        move |source| CaseError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }
}

fn role_of(s: &str) -> Role {
    // The CHECK constraint admits only the three names; anything else reads as the least
    // privileged role.
    Role::parse(s).unwrap_or(Role::Viewer)
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn record_of(row: Row) -> Result<AuditRecord> {
    let (seq, ts, key_name, role, justification, resource, ids, prev_hash, hash) = row;
    Ok(AuditRecord {
        seq: u64::try_from(seq).unwrap_or(0),
        entry: AuditEntry {
            ts,
            key_name,
            role: role_of(&role),
            justification,
            resource,
            // A damaged list still reads, so that verification names this record.
            entity_ids: serde_json::from_str(&ids).unwrap_or_else(|_| vec![ids]),
        },
        prev_hash,
        hash,
    })
}

impl CaseStore for SqliteStore {
    fn create_key(
        &mut self,
        name: &str,
        role: Role,
        digest: &[u8; 32],
        created: &str,
    ) -> Result<()> {
        check_key_name(name)?;
        let r = self.conn.execute(
            "INSERT INTO api_keys (name, role, key_sha256, created) VALUES (?1, ?2, ?3, ?4)",
            params![name, role.as_str(), &digest[..], created],
        );
        match r {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(CaseError::DuplicateKeyName(name.to_string()))
            }
            Err(e) => Err(self.err()(e)),
        }
    }

    fn key_by_digest(&mut self, digest: &[u8; 32]) -> Result<Option<ApiKey>> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT name, role, created FROM api_keys WHERE key_sha256 = ?1",
                params![&digest[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.err())?;
        Ok(row.map(|(name, role, created)| ApiKey {
            name,
            role: role_of(&role),
            created,
        }))
    }

    fn list_keys(&mut self) -> Result<Vec<ApiKey>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare("SELECT name, role, created FROM api_keys ORDER BY name")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ApiKey {
                    name: r.get(0)?,
                    role: role_of(&r.get::<_, String>(1)?),
                    created: r.get(2)?,
                })
            })
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord> {
        let path = self.path.display().to_string();
        let err = |source| CaseError::Sqlite {
            path: path.clone(),
            source,
        };
        // IMMEDIATE: takes the write lock before reading the chain's head, so two writers
        // (two processes on one file) cannot both chain onto the same record.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err)?;
        let (seq, prev_hash) = match last {
            Some((s, h)) => (u64::try_from(s).unwrap_or(0) + 1, h),
            None => (1, GENESIS_HASH.to_string()),
        };
        let hash = chain_hash(&prev_hash, seq, entry)?;
        let ids = serde_json::to_string(&entry.entity_ids)?;
        tx.execute(
            "INSERT INTO audit (seq, ts, key_name, role, justification, resource, entity_ids, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                i64::try_from(seq).unwrap_or(i64::MAX),
                entry.ts,
                entry.key_name,
                entry.role.as_str(),
                entry.justification,
                entry.resource,
                ids,
                prev_hash,
                hash
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(AuditRecord {
            seq,
            entry: entry.clone(),
            prev_hash,
            hash,
        })
    }

    fn audit_page(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, ts, key_name, role, justification, resource, entity_ids, prev_hash, hash \
                 FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(
                params![i64::try_from(after).unwrap_or(i64::MAX), limit as i64],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ))
                },
            )
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(record_of(row.map_err(&err)?)?);
        }
        Ok(out)
    }
}
