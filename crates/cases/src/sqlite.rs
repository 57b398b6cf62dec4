//! The embedded case store: one SQLite file (WAL, synchronous=FULL so an acknowledged
//! audit record survives power loss).

use crate::case::{
    MAX_NOTE_CHARS, assign_change, case_id_of, case_number, check_text, status_change,
};
use crate::{
    ActionKind, AlertLink, ApiKey, AuditEntry, AuditRecord, Case, CaseAction, CaseChange,
    CaseDetail, CaseError, CaseFilter, CaseKind, CaseStatus, CaseStore, GENESIS_HASH, NewAction,
    Note, Result, Role, chain_hash, check_assignee, check_key_name,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// Schema versions, applied in order; `PRAGMA user_version` holds how many were applied.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
CREATE TABLE cases (
    num INTEGER PRIMARY KEY NOT NULL,
    group_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('ring', 'insider', 'campaign', 'ban_evasion', 'other')),
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'actioned', 'closed')),
    assignee TEXT,
    money_cents INTEGER NOT NULL,
    score REAL NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX cases_queue ON cases (money_cents DESC, score DESC, num);
CREATE TABLE case_alerts (
    alert_id TEXT PRIMARY KEY NOT NULL,
    case_num INTEGER NOT NULL REFERENCES cases (num),
    score REAL NOT NULL,
    money_cents INTEGER NOT NULL,
    ts TEXT NOT NULL
);
CREATE INDEX case_alerts_by_case ON case_alerts (case_num);
CREATE TABLE case_notes (
    id INTEGER PRIMARY KEY NOT NULL,
    case_num INTEGER NOT NULL REFERENCES cases (num),
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    ts TEXT NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_num, id);
CREATE TABLE case_actions (
    action_id INTEGER PRIMARY KEY NOT NULL,
    case_num INTEGER NOT NULL REFERENCES cases (num),
    action TEXT NOT NULL CHECK (action IN ('close_account', 'ban_identity', 'hold_refunds',
        'alert_customer', 'mark_legit', 'escalate')),
    target TEXT NOT NULL,
    who TEXT NOT NULL,
    ts TEXT NOT NULL,
    note TEXT
);
CREATE INDEX case_actions_by_case ON case_actions (case_num, action_id);
CREATE TABLE case_history (
    id INTEGER PRIMARY KEY NOT NULL,
    case_num INTEGER NOT NULL REFERENCES cases (num),
    who TEXT NOT NULL,
    ts TEXT NOT NULL,
    change TEXT NOT NULL
);
CREATE INDEX case_history_by_case ON case_history (case_num, id);
CREATE TRIGGER case_history_no_update BEFORE UPDATE ON case_history
BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END;
CREATE TRIGGER case_history_no_delete BEFORE DELETE ON case_history
BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END;
-- Notes and actions are a record: never changed or removed.
CREATE TRIGGER case_notes_no_update BEFORE UPDATE ON case_notes
BEGIN SELECT RAISE(ABORT, 'case notes are append-only'); END;
CREATE TRIGGER case_notes_no_delete BEFORE DELETE ON case_notes
BEGIN SELECT RAISE(ABORT, 'case notes are append-only'); END;
CREATE TRIGGER case_actions_no_update BEFORE UPDATE ON case_actions
BEGIN SELECT RAISE(ABORT, 'case actions are append-only'); END;
CREATE TRIGGER case_actions_no_delete BEFORE DELETE ON case_actions
BEGIN SELECT RAISE(ABORT, 'case actions are append-only'); END;
"#,
    // Version 3: the `intel` kind. SQLite cannot change a CHECK constraint in place, so
    // the table is rebuilt (SQLite's documented procedure: new table, copy, drop, rename,
    // with foreign keys off, see `SqliteStore::open`), keeping every row and its `num`
    // (the case id). Cases an `intel_match` alert opened were filed as `other`; the store
    // keeps no alert kinds, but every alert id the engine raises starts with its kind
    // (`intel_match:POST:ORDER`), so the kind of a case's first alert is read from it.
    r#"
CREATE TABLE cases_v3 (
    num INTEGER PRIMARY KEY NOT NULL,
    group_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('ring', 'insider', 'campaign', 'ban_evasion', 'intel', 'other')),
    title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'investigating', 'actioned', 'closed')),
    assignee TEXT,
    money_cents INTEGER NOT NULL,
    score REAL NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
INSERT INTO cases_v3 (num, group_key, kind, title, status, assignee, money_cents, score, created, updated)
SELECT c.num, c.group_key,
    CASE WHEN c.kind = 'other' AND (
        SELECT a.alert_id FROM case_alerts a WHERE a.case_num = c.num ORDER BY a.rowid LIMIT 1
    ) LIKE 'intel\_%:%' ESCAPE '\' THEN 'intel' ELSE c.kind END,
    c.title, c.status, c.assignee, c.money_cents, c.score, c.created, c.updated
FROM cases c ORDER BY c.num;
DROP TABLE cases;
ALTER TABLE cases_v3 RENAME TO cases;
CREATE INDEX cases_queue ON cases (money_cents DESC, score DESC, num);
"#,
];

/// The DDL of schema version 1 (keys and audit only), for tests of the migration.
#[cfg(test)]
pub(crate) const SCHEMA_V1: &str = MIGRATIONS[0];

const CASE_COLUMNS: &str =
    "num, kind, title, status, assignee, money_cents, score, created, updated";

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
        if version < known {
            migrate(&mut conn, version.max(0) as usize, &shown)?;
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

/// Applies the migrations after `from`, each in its own transaction with the version it
/// reaches. A migration that rebuilds a table drops the old one, which foreign keys (on in
/// this build of SQLite) would refuse while other tables point at it; so, as SQLite's
/// documentation prescribes, they are off while migrating (the pragma is ignored inside a
/// transaction), each migration must leave `PRAGMA foreign_key_check` empty before it
/// commits, and they are restored afterwards.
fn migrate(conn: &mut Connection, from: usize, shown: &str) -> Result<()> {
    let err = |source| CaseError::Sqlite {
        path: shown.to_string(),
        source,
    };
    let fk: bool = conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", false)
        .map_err(err)?;
    let mut result = Ok(());
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from) {
        let version = (i + 1) as i64;
        let step = (|| -> Result<()> {
            let tx = conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            let broken: Option<String> = tx
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .optional()
                .map_err(err)?;
            if let Some(table) = broken {
                return Err(CaseError::Migration {
                    path: shown.to_string(),
                    version,
                    reason: format!("a row of table {table} points at a row that is gone"),
                });
            }
            tx.pragma_update(None, "user_version", version)
                .map_err(err)?;
            tx.commit().map_err(err)
        })();
        if step.is_err() {
            result = step;
            break;
        }
    }
    // Restored whatever happened, so a failed migration leaves the connection as it was.
    conn.pragma_update(None, "foreign_keys", fk).map_err(err)?;
    result
}

fn role_of(s: &str) -> Role {
    // The CHECK constraint admits only the three names; anything else reads as the least
    // privileged role.
    Role::parse(s).unwrap_or(Role::Viewer)
}

type CaseRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    f64,
    String,
    String,
);

fn case_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRow> {
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
}

fn case_of(row: CaseRow, alert_ids: Vec<String>) -> Case {
    let (num, kind, title, status, assignee, money, score, created, updated) = row;
    Case {
        case_id: case_id_of(u64::try_from(num).unwrap_or(0)),
        // The CHECK constraints admit only known names.
        kind: CaseKind::parse(&kind).unwrap_or(CaseKind::Other),
        title,
        status: CaseStatus::parse(&status).unwrap_or(CaseStatus::Open),
        assignee,
        money_at_risk_usd_cents: money,
        score,
        created,
        updated,
        alert_ids,
    }
}

fn load_case(conn: &Connection, num: i64) -> rusqlite::Result<Option<Case>> {
    let row = conn
        .query_row(
            &format!("SELECT {CASE_COLUMNS} FROM cases WHERE num = ?1"),
            params![num],
            case_row,
        )
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let mut stmt =
        conn.prepare_cached("SELECT alert_id FROM case_alerts WHERE case_num = ?1 ORDER BY rowid")?;
    let ids = stmt
        .query_map(params![num], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(Some(case_of(row, ids)))
}

type ActionRow = (i64, i64, String, String, String, String, Option<String>);

fn action_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActionRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn case_action((id, num, action, target, who, ts, note): ActionRow) -> CaseAction {
    CaseAction {
        action_id: u64::try_from(id).unwrap_or(0),
        case_id: case_id_of(u64::try_from(num).unwrap_or(0)),
        action: ActionKind::parse(&action).unwrap_or(ActionKind::Escalate),
        target,
        who,
        ts,
        note,
    }
}

/// The row number of `case-N`, or `CaseNotFound`.
fn num_of(case_id: &str) -> Result<i64> {
    case_number(case_id)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| CaseError::CaseNotFound(case_id.to_string()))
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

impl SqliteStore {
    fn create_key_impl(
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

    fn key_by_digest_impl(&mut self, digest: &[u8; 32]) -> Result<Option<ApiKey>> {
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

    fn list_keys_impl(&mut self) -> Result<Vec<ApiKey>> {
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

    fn append_audit_impl(&mut self, entry: &AuditEntry) -> Result<AuditRecord> {
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

    fn audit_page_impl(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
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

impl SqliteStore {
    /// A case that must exist, inside a transaction.
    fn existing(
        tx: &Connection,
        case_id: &str,
    ) -> std::result::Result<Case, Option<rusqlite::Error>> {
        let num = num_of(case_id).map_err(|_| None)?;
        load_case(tx, num).map_err(Some)?.ok_or(None)
    }

    fn update_case(
        &mut self,
        case_id: &str,
        who: &str,
        now: &str,
        change: impl FnOnce(&Case) -> Result<(&'static str, Option<String>, String)>,
    ) -> Result<Case> {
        let path = self.path.display().to_string();
        let err = |source| CaseError::Sqlite {
            path: path.clone(),
            source,
        };
        let num = num_of(case_id)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let case = Self::existing(&tx, case_id).map_err(|e| match e {
            Some(e) => err(e),
            None => CaseError::CaseNotFound(case_id.to_string()),
        })?;
        let (column, value, text) = change(&case)?;
        tx.execute(
            &format!("UPDATE cases SET {column} = ?1, updated = ?2 WHERE num = ?3"),
            params![value, now, num],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO case_history (case_num, who, ts, change) VALUES (?1, ?2, ?3, ?4)",
            params![num, who, now, text],
        )
        .map_err(err)?;
        let case = load_case(&tx, num)
            .map_err(err)?
            .ok_or_else(|| CaseError::CaseNotFound(case_id.to_string()))?;
        tx.commit().map_err(err)?;
        Ok(case)
    }

    /// Checks that a case exists, for notes and actions.
    fn case_num(&self, case_id: &str) -> Result<i64> {
        let num = num_of(case_id)?;
        let found: Option<i64> = self
            .conn
            .query_row("SELECT num FROM cases WHERE num = ?1", params![num], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err())?;
        found.ok_or_else(|| CaseError::CaseNotFound(case_id.to_string()))
    }
}

impl SqliteStore {
    pub(crate) fn attach(&mut self, links: &[AlertLink], now: &str) -> Result<Vec<String>> {
        let path = self.path.display().to_string();
        let err = |source| CaseError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut out = Vec::with_capacity(links.len());
        for l in links {
            let known: Option<i64> = tx
                .query_row(
                    "SELECT case_num FROM case_alerts WHERE alert_id = ?1",
                    params![l.alert_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(err)?;
            let num = match known {
                Some(n) => n,
                None => {
                    let grouped: Option<i64> = tx
                        .query_row(
                            "SELECT num FROM cases WHERE group_key = ?1",
                            params![l.group_key],
                            |r| r.get(0),
                        )
                        .optional()
                        .map_err(err)?;
                    match grouped {
                        Some(n) => n,
                        None => {
                            tx.execute(
                                "INSERT INTO cases (group_key, kind, title, status, assignee, money_cents, score, created, updated) \
                                 VALUES (?1, ?2, ?3, 'open', NULL, 0, 0, ?4, ?4)",
                                params![l.group_key, l.kind.as_str(), l.title, now],
                            )
                            .map_err(err)?;
                            tx.last_insert_rowid()
                        }
                    }
                }
            };
            tx.execute(
                "INSERT INTO case_alerts (alert_id, case_num, score, money_cents, ts) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (alert_id) DO UPDATE SET score = excluded.score, money_cents = excluded.money_cents, ts = excluded.ts",
                params![l.alert_id, num, l.score, l.money_at_risk_usd_cents, l.ts],
            )
            .map_err(err)?;
            tx.execute(
                "UPDATE cases SET title = ?1 WHERE num = ?2 AND title <> ?1 AND ?3 = \
                 (SELECT alert_id FROM case_alerts WHERE case_num = ?2 ORDER BY rowid LIMIT 1)",
                params![l.title, num, l.alert_id],
            )
            .map_err(err)?;
            let (old_score, old_money): (f64, i64) = tx
                .query_row(
                    "SELECT score, money_cents FROM cases WHERE num = ?1",
                    params![num],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(err)?;
            let (score, money): (f64, i64) = tx
                .query_row(
                    "SELECT MAX(score), SUM(money_cents) FROM case_alerts WHERE case_num = ?1",
                    params![num],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(err)?;
            // `updated` moves only when something changed, so re-filing the same
            // emissions (the start-up reconcile) leaves cases as they were.
            if known.is_none() || score.to_bits() != old_score.to_bits() || money != old_money {
                tx.execute(
                    "UPDATE cases SET score = ?1, money_cents = ?2, updated = ?3 WHERE num = ?4",
                    params![score, money, now, num],
                )
                .map_err(err)?;
            }
            out.push(case_id_of(u64::try_from(num).unwrap_or(0)));
        }
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

impl CaseStore for SqliteStore {
    fn create_key(
        &mut self,
        name: &str,
        role: Role,
        digest: &[u8; 32],
        created: &str,
    ) -> Result<()> {
        self.create_key_impl(name, role, digest, created)
    }
    fn key_by_digest(&mut self, digest: &[u8; 32]) -> Result<Option<ApiKey>> {
        self.key_by_digest_impl(digest)
    }
    fn list_keys(&mut self) -> Result<Vec<ApiKey>> {
        self.list_keys_impl()
    }
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<AuditRecord> {
        self.append_audit_impl(entry)
    }
    fn audit_page(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        self.audit_page_impl(after, limit)
    }

    fn attach_alerts(&mut self, links: &[AlertLink], now: &str) -> Result<Vec<String>> {
        self.attach(links, now)
    }

    fn list_cases(&mut self, filter: &CaseFilter) -> Result<Vec<Case>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR kind = ?2) \
                 ORDER BY money_cents DESC, score DESC, num"
            ))
            .map_err(&err)?;
        let rows = stmt
            .query_map(
                params![
                    filter.status.map(|s| s.as_str()),
                    filter.kind.map(|k| k.as_str())
                ],
                case_row,
            )
            .map_err(&err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&err)?;
        let mut alerts = self
            .conn
            .prepare("SELECT case_num, alert_id FROM case_alerts ORDER BY rowid")
            .map_err(&err)?;
        let mut by_case: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for r in alerts
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(&err)?
        {
            let (n, id) = r.map_err(&err)?;
            by_case.entry(n).or_default().push(id);
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let ids = by_case.remove(&row.0).unwrap_or_default();
                case_of(row, ids)
            })
            .collect())
    }

    fn get_case(&mut self, case_id: &str) -> Result<Option<CaseDetail>> {
        let Some(num) = case_number(case_id).and_then(|n| i64::try_from(n).ok()) else {
            return Ok(None);
        };
        let err = self.err();
        let Some(case) = load_case(&self.conn, num).map_err(&err)? else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT author, text, ts FROM case_notes WHERE case_num = ?1 ORDER BY id")
            .map_err(&err)?;
        let notes = stmt
            .query_map(params![num], |r| {
                Ok(Note {
                    author: r.get(0)?,
                    text: r.get(1)?,
                    ts: r.get(2)?,
                })
            })
            .map_err(&err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&err)?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT action_id, case_num, action, target, who, ts, note FROM case_actions \
                 WHERE case_num = ?1 ORDER BY action_id",
            )
            .map_err(&err)?;
        let actions = stmt
            .query_map(params![num], action_of)
            .map_err(&err)?
            .map(|r| r.map(case_action))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&err)?;
        let mut stmt = self
            .conn
            .prepare("SELECT who, ts, change FROM case_history WHERE case_num = ?1 ORDER BY id")
            .map_err(&err)?;
        let history = stmt
            .query_map(params![num], |r| {
                Ok(CaseChange {
                    who: r.get(0)?,
                    ts: r.get(1)?,
                    change: r.get(2)?,
                })
            })
            .map_err(&err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&err)?;
        Ok(Some(CaseDetail {
            case,
            notes,
            actions,
            history,
        }))
    }

    fn set_status(&mut self, case_id: &str, to: CaseStatus, who: &str, now: &str) -> Result<Case> {
        self.update_case(case_id, who, now, |c| {
            if !c.status.can_move_to(to) {
                return Err(CaseError::InvalidTransition {
                    case_id: c.case_id.clone(),
                    from: c.status,
                    to,
                    allowed: allowed(c.status),
                });
            }
            Ok((
                "status",
                Some(to.as_str().to_string()),
                status_change(c.status, to),
            ))
        })
    }

    fn assign(
        &mut self,
        case_id: &str,
        assignee: Option<&str>,
        who: &str,
        now: &str,
    ) -> Result<Case> {
        if let Some(a) = assignee {
            check_assignee(a)?;
        }
        self.update_case(case_id, who, now, |_| {
            Ok((
                "assignee",
                assignee.map(str::to_string),
                assign_change(assignee),
            ))
        })
    }

    fn add_note(&mut self, case_id: &str, note: &Note) -> Result<()> {
        check_text("text", &note.text, MAX_NOTE_CHARS)?;
        let num = self.case_num(case_id)?;
        self.conn
            .execute(
                "INSERT INTO case_notes (case_num, author, text, ts) VALUES (?1, ?2, ?3, ?4)",
                params![num, note.author, note.text, note.ts],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn add_action(&mut self, case_id: &str, a: &NewAction) -> Result<CaseAction> {
        check_text("target", &a.target, 256)?;
        if let Some(n) = &a.note {
            check_text("note", n, MAX_NOTE_CHARS)?;
        }
        let num = self.case_num(case_id)?;
        self.conn
            .execute(
                "INSERT INTO case_actions (case_num, action, target, who, ts, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![num, a.action.as_str(), a.target, a.who, a.ts, a.note],
            )
            .map_err(self.err())?;
        let id = self.conn.last_insert_rowid();
        Ok(CaseAction {
            action_id: u64::try_from(id).unwrap_or(0),
            case_id: case_id_of(u64::try_from(num).unwrap_or(0)),
            action: a.action,
            target: a.target.clone(),
            who: a.who.clone(),
            ts: a.ts.clone(),
            note: a.note.clone(),
        })
    }

    fn actions_after(&mut self, after: u64, limit: usize) -> Result<Vec<CaseAction>> {
        let err = self.err();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT action_id, case_num, action, target, who, ts, note FROM case_actions \
                 WHERE action_id > ?1 ORDER BY action_id LIMIT ?2",
            )
            .map_err(&err)?;
        let out = stmt
            .query_map(
                params![i64::try_from(after).unwrap_or(i64::MAX), limit as i64],
                action_of,
            )
            .map_err(&err)?
            .map(|r| r.map(case_action))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&err)?;
        Ok(out)
    }
}

/// The statuses a case may move to, for messages.
pub(crate) fn allowed(from: CaseStatus) -> String {
    from.next()
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CaseStore;

    /// `fixtures/cases-v2.sqlite`: written by `clawback serve` at schema version 2 (see
    /// `fixtures/README.md`): 16 cases (5 opened by `intel_match` alerts, filed as
    /// `other`), worked (statuses, an assignee, a note, two actions), 3 keys, 2 audit
    /// records.
    const FIXTURE_V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cases-v2.sqlite");

    const TABLES: [&str; 7] = [
        "api_keys",
        "audit",
        "cases",
        "case_alerts",
        "case_notes",
        "case_actions",
        "case_history",
    ];

    type Row = (
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
        f64,
        String,
        String,
    );

    fn rows(conn: &Connection) -> Vec<Row> {
        let mut stmt = conn
            .prepare(
                "SELECT num, group_key, kind, title, status, assignee, money_cents, score, created, updated \
                 FROM cases ORDER BY num",
            )
            .unwrap();
        stmt.query_map([], |r| {
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
                r.get(9)?,
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    fn counts(conn: &Connection) -> Vec<i64> {
        TABLES
            .iter()
            .map(|t| {
                conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                    .unwrap()
            })
            .collect()
    }

    fn user_version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_version_2_file_migrates_keeping_every_row_and_intel_cases_become_intel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.sqlite");
        std::fs::copy(FIXTURE_V2, &path).unwrap();
        let (before, mut before_counts) = {
            let conn = Connection::open(&path).unwrap();
            assert_eq!(user_version(&conn), 2, "the fixture is a version-2 file");
            // Version 2 filed every alert that was not a ring, an insider, a campaign or a
            // ban evasion as `other`: a return anomaly must stay `other`.
            conn.execute(
                "INSERT INTO cases (group_key, kind, title, status, assignee, money_cents, score, created, updated) \
                 VALUES ('alert:return_anomaly:ret-1', 'other', 'return_anomaly: acct-1', 'open', NULL, 0, 0.5, 't', 't')",
                [],
            )
            .unwrap();
            let num = conn.last_insert_rowid();
            conn.execute(
                "INSERT INTO case_alerts (alert_id, case_num, score, money_cents, ts) VALUES ('return_anomaly:ret-1', ?1, 0.5, 0, 't')",
                params![num],
            )
            .unwrap();
            (rows(&conn), counts(&conn))
        };
        assert_eq!(before.len(), 17);
        let intel_before = before
            .iter()
            .filter(|r| r.1.starts_with("alert:intel_match:"))
            .count();
        assert_eq!(intel_before, 5);

        let mut s = SqliteStore::open(&path).unwrap();
        let fk: bool = s
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(fk, "foreign keys are back on after the migration");
        assert_eq!(user_version(&s.conn), 3);
        assert_eq!(
            counts(&s.conn),
            before_counts,
            "every row of every table kept"
        );
        let after = rows(&s.conn);
        assert_eq!(after.len(), before.len());
        for (b, a) in before.iter().zip(&after) {
            let want = if b.1.starts_with("alert:intel_match:") {
                "intel"
            } else {
                b.2.as_str()
            };
            assert_eq!(a.2, want, "case {}", a.0);
            let mut same = b.clone();
            same.2 = a.2.clone();
            assert_eq!(&same, a, "case {} otherwise unchanged", a.0);
        }
        assert_eq!(after[16].2, "other", "a return anomaly stays other");

        // Through the store's own API: filters, a worked intel case, its record.
        let intel = s
            .list_cases(&CaseFilter {
                kind: Some(CaseKind::Intel),
                status: None,
            })
            .unwrap();
        assert_eq!(intel.len(), 5);
        assert!(
            intel
                .iter()
                .all(|c| c.title.starts_with("Gang post shows order"))
        );
        let d = s.get_case("case-14").unwrap().unwrap();
        assert_eq!(d.case.kind, CaseKind::Intel);
        assert_eq!(d.case.status, CaseStatus::Investigating);
        assert_eq!(d.case.assignee.as_deref(), Some("alice"));
        assert_eq!(d.notes.len(), 1);
        assert_eq!(d.actions.len(), 1);
        assert_eq!(d.actions[0].action, ActionKind::HoldRefunds);
        assert_eq!(
            d.history
                .iter()
                .map(|h| h.change.as_str())
                .collect::<Vec<_>>(),
            ["status open → investigating", "assignee alice"]
        );
        let ring = s.get_case("case-6").unwrap().unwrap();
        assert_eq!(
            (ring.case.kind, ring.case.status),
            (CaseKind::Ring, CaseStatus::Actioned)
        );
        assert_eq!(s.actions_after(0, 10).unwrap().len(), 2);
        assert_eq!(s.verify_audit().unwrap(), Ok(2));
        assert_eq!(
            s.list_keys()
                .unwrap()
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>(),
            ["admin-1", "alice", "vic"]
        );
        // The alerts' references to cases survived the table's rebuild: still enforced.
        let orphan = s.conn.execute(
            "INSERT INTO case_alerts (alert_id, case_num, score, money_cents, ts) VALUES ('x', 999, 0, 0, 't')",
            [],
        );
        assert!(orphan.is_err(), "a case_alerts row must point at a case");
        // And it works as a version-3 store: a new intel alert, a status move, a reopen.
        let ids = s
            .attach_alerts(
                &[AlertLink {
                    alert_id: "intel_match:post-99:111-0000001-0000001".into(),
                    group_key: "alert:intel_match:post-99:111-0000001-0000001".into(),
                    kind: CaseKind::Intel,
                    title: "Gang post shows order 111-0000001-0000001".into(),
                    score: 0.9,
                    money_at_risk_usd_cents: 5,
                    ts: "2026-11-24T00:00:00Z".into(),
                }],
                "2026-11-24T00:00:01Z",
            )
            .unwrap();
        assert_eq!(ids, ["case-18"]);
        s.set_status(
            "case-14",
            CaseStatus::Actioned,
            "bob",
            "2026-11-24T00:00:02Z",
        )
        .unwrap();
        drop(s);
        before_counts[2] += 1;
        before_counts[3] += 1;
        before_counts[6] += 1;
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(user_version(&s.conn), 3);
        assert_eq!(counts(&s.conn), before_counts);
    }

    #[test]
    fn a_migration_that_would_break_a_reference_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.sqlite");
        std::fs::copy(FIXTURE_V2, &path).unwrap();
        {
            // A dangling alert row, as only a file written with foreign keys off can hold.
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "foreign_keys", false).unwrap();
            conn.execute(
                "INSERT INTO case_alerts (alert_id, case_num, score, money_cents, ts) VALUES ('x', 999, 0, 0, 't')",
                [],
            )
            .unwrap();
        }
        let e = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(e, CaseError::Migration { version: 3, .. }), "{e}");
        assert!(e.to_string().contains("case_alerts"), "{e}");
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn), 2, "left at version 2");
        let kinds: Vec<String> = conn
            .prepare("SELECT kind FROM cases ORDER BY num")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(kinds.len(), 16);
        assert!(!kinds.iter().any(|k| k == "intel"), "nothing re-kinded");
    }
}
