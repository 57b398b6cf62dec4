//! The synchronous heart of the service: the log, the engine and the read model, changed
//! only under one lock so that events are applied in exactly the order they were made
//! durable — the log's order, which is what a restart replays.

use crate::index::Index;
use clawback_cases::{AuditEntry, AuditRecord, CaseStore};
use clawback_engine::{Engine, Sequencer};
use clawback_events::output::{
    Decision, JsonlWriter, QUARANTINE_RAW_MAX, QuarantineRecord, excerpt,
};
use clawback_events::{Event, parse_line};
use clawback_store::{Appended, Log};
use std::io::Write;

/// Longest single event accepted, the same bar as a line of `clawback ingest`.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Prefix of the `event_id`s of the `data_access` events the service writes for its own
/// unmasked reads (`clawback-audit-<seq>`, one per audit record).
pub const AUDIT_EVENT_PREFIX: &str = "clawback-audit-";

/// Where an item of a request body was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 0-based index in a JSON array (a single object is index 0).
    Index(u64),
    /// 1-based line of a JSON Lines body.
    Line(u64),
}

/// A rejected item: where, which field, why (the same text as replay's quarantine).
#[derive(Debug, Clone)]
pub struct Rejection {
    pub position: Position,
    pub field: Option<String>,
    pub error: String,
}

/// What one ingest did.
#[derive(Debug, Default)]
pub struct IngestOutcome {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: Vec<Rejection>,
    pub decisions: Vec<Decision>,
}

/// Why the core could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(
        "the event log failed: {0}; the service stopped accepting writes, restart it after fixing the disk"
    )]
    Store(#[from] clawback_store::StoreError),
    #[error(
        "the event log failed earlier; the service accepts no more writes until it is restarted"
    )]
    Poisoned,
    #[error("the case store failed: {0}")]
    Cases(#[from] clawback_cases::CaseError),
    #[error("writing the quarantine file: {0}")]
    Quarantine(std::io::Error),
    #[error("building the data_access event for audit record {seq}: {reason}")]
    AuditEvent { seq: u64, reason: String },
}

/// See the module documentation.
pub struct Core {
    engine: Engine,
    seq: Sequencer,
    log: Log,
    pub index: Index,
    pub cases: Box<dyn CaseStore>,
    quarantine: JsonlWriter<Box<dyn Write + Send>>,
    /// Set when the log failed part-way: what is in memory may then differ from what is
    /// on disk, so nothing more is written until a restart replays the log.
    poisoned: bool,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("stored", &self.log.durable_records())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// A core over an engine and read model that already hold the replayed log. Events are
    /// applied as soon as they are durable (a sequencer with no slack: an answer cannot wait
    /// minutes for stragglers), and the start-up replay must use no slack either, so that
    /// it applies the log in the same order the live service did.
    pub fn new(
        engine: Engine,
        index: Index,
        log: Log,
        cases: Box<dyn CaseStore>,
        quarantine: Box<dyn Write + Send>,
    ) -> Self {
        Self {
            engine,
            seq: Sequencer::new(0),
            log,
            index,
            cases,
            quarantine: JsonlWriter::new(quarantine),
            poisoned: false,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Events in the log.
    pub fn stored(&self) -> u64 {
        self.log.durable_records()
    }

    /// Validates, de-duplicates and durably appends `items` (raw JSON of one event each),
    /// then applies the new events. Returns once everything accepted is fsync'd.
    pub fn ingest(&mut self, items: &[(Position, &[u8])]) -> Result<IngestOutcome, CoreError> {
        if self.poisoned {
            return Err(CoreError::Poisoned);
        }
        let mut out = IngestOutcome::default();
        let mut fresh: Vec<Event> = Vec::new();
        for &(position, raw) in items {
            let parsed = if raw.len() > MAX_EVENT_BYTES {
                Err(clawback_events::Invalid {
                    field: None,
                    reason: format!(
                        "event of {} bytes is longer than the {MAX_EVENT_BYTES} byte limit",
                        raw.len()
                    ),
                })
            } else {
                parse_line(raw)
            };
            match parsed {
                Ok(ev) => match self.log.append(&ev.event_id, raw) {
                    Ok(Appended::Pending) => fresh.push(ev),
                    Ok(Appended::Duplicate) => out.duplicates += 1,
                    Err(e) => {
                        self.poisoned = true;
                        return Err(e.into());
                    }
                },
                Err(invalid) => {
                    let error = invalid.to_string();
                    let line = match position {
                        Position::Index(i) => i,
                        Position::Line(l) => l,
                    };
                    self.quarantine
                        .write(&QuarantineRecord {
                            line,
                            field: invalid.field.clone(),
                            error: error.clone(),
                            raw: excerpt(raw, QUARANTINE_RAW_MAX),
                            source: Some("http".into()),
                        })
                        .map_err(CoreError::Quarantine)?;
                    out.rejected.push(Rejection {
                        position,
                        field: invalid.field,
                        error,
                    });
                }
            }
        }
        if let Err(e) = self.log.commit() {
            self.poisoned = true;
            return Err(e.into());
        }
        self.quarantine.flush().map_err(CoreError::Quarantine)?;
        out.accepted = fresh.len() as u64;
        for ev in fresh {
            out.decisions.extend(self.apply(ev));
        }
        Ok(out)
    }

    fn apply(&mut self, ev: Event) -> Vec<Decision> {
        self.seq.push(Box::new(ev));
        let mut decisions = Vec::new();
        while let Some(ev) = self.seq.pop_ready() {
            let out = self.engine.apply(&ev);
            self.index.observe(&ev, &out);
            decisions.extend(out.decisions);
        }
        decisions
    }

    /// Records an unmasked read: an audit record first (the tamper-evident trail), then
    /// the same read as a contract `data_access` event in the log and the engine, so the
    /// insider detectors watch the service's own users.
    pub fn record_access(&mut self, entry: &AuditEntry) -> Result<AuditRecord, CoreError> {
        if self.poisoned {
            return Err(CoreError::Poisoned);
        }
        let rec = self.cases.append_audit(entry)?;
        self.feed_access(&rec)?;
        Ok(rec)
    }

    /// Appends (unless already there) and applies the `data_access` event of an audit
    /// record. Returns whether it was new.
    fn feed_access(&mut self, rec: &AuditRecord) -> Result<bool, CoreError> {
        let line = access_event(rec)?;
        let ev = parse_line(line.as_bytes()).map_err(|e| CoreError::AuditEvent {
            seq: rec.seq,
            reason: e.to_string(),
        })?;
        let appended = self
            .log
            .append(&ev.event_id, line.as_bytes())
            .and_then(|a| self.log.commit().map(|_| a));
        match appended {
            Ok(Appended::Pending) => {
                self.apply(ev);
                Ok(true)
            }
            Ok(Appended::Duplicate) => Ok(false),
            Err(e) => {
                self.poisoned = true;
                Err(e.into())
            }
        }
    }

    /// After a start-up replay: feeds the `data_access` events of audit records whose
    /// event did not reach the log (a crash between the two writes). Returns how many.
    pub fn reconcile_audit(&mut self) -> Result<u64, CoreError> {
        let mut after = 0;
        let mut fed = 0;
        loop {
            let page = self.cases.audit_page(after, 1000)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for rec in &page {
                fed += u64::from(self.feed_access(rec)?);
            }
        }
        Ok(fed)
    }
}

/// The contract line of the `data_access` event for an audit record.
pub fn access_event(rec: &AuditRecord) -> Result<String, CoreError> {
    let e = &rec.entry;
    let v = serde_json::json!({
        "event_id": format!("{AUDIT_EVENT_PREFIX}{}", rec.seq),
        "type": "data_access",
        "ts": e.ts,
        "employee_id": e.key_name,
        "resource": e.resource,
        "account_ids": e.entity_ids,
        "ticket_id": e.justification,
    });
    serde_json::to_string(&v).map_err(|err| CoreError::AuditEvent {
        seq: rec.seq,
        reason: err.to_string(),
    })
}
