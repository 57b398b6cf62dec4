//! The synchronous heart of the service: the log, the engine and the read model, changed
//! only under one lock so that events are applied in exactly the order they were made
//! durable — the log's order, which is what a restart replays.

use crate::index::Index;
use clawback_cases::case::is_insider_kind;
use clawback_cases::{AlertLink, AuditEntry, AuditRecord, CaseAction, CaseKind, CaseStore};
use clawback_engine::{Engine, Sequencer};
use clawback_events::output::{Alert, EntityType};
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

/// One request's items, appended to the log but not yet durable (see [`Core::stage`]).
#[derive(Debug)]
pub struct Staged {
    out: IngestOutcome,
    fresh: Vec<Event>,
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
    #[error(
        "writing the outbound events file: {0}; the action is recorded and will be written again on restart"
    )]
    Outbound(std::io::Error),
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
    /// `outbound.jsonl`: one line per case action, for the retailer's systems.
    outbound: Box<dyn Outbound>,
    /// Alerts applied but not yet filed into cases.
    unfiled: Vec<Alert>,
    /// Times filing alerts into cases failed after an ingest (they were kept for later).
    pub case_filing_failures: u64,
    /// Set when the log failed part-way: what is in memory may then differ from what is
    /// on disk, so nothing more is written until a restart replays the log.
    poisoned: bool,
    /// Woken after each outbound event (the webhook deliverer waits on it).
    outbound_notify: Option<std::sync::Arc<tokio::sync::Notify>>,
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
        outbound: Box<dyn Outbound>,
    ) -> Self {
        Self {
            engine,
            seq: Sequencer::new(0),
            log,
            index,
            cases,
            quarantine: JsonlWriter::new(quarantine),
            outbound,
            unfiled: Vec::new(),
            case_filing_failures: 0,
            poisoned: false,
            outbound_notify: None,
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
        let staged = self.stage(items)?;
        self.finish(vec![staged])?.pop().ok_or(CoreError::Poisoned)
    }

    /// The first half of [`Core::ingest`]: validates, de-duplicates and appends `items`
    /// to the log without making them durable. Several requests' items are staged one
    /// after the other and made durable by one [`Core::finish`] (group commit: one fsync
    /// for every request that arrived while the previous one was being written).
    pub fn stage(&mut self, items: &[(Position, &[u8])]) -> Result<Staged, CoreError> {
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
        Ok(Staged { out, fresh })
    }

    /// The second half of [`Core::ingest`]: everything staged is written to the log, the
    /// new events are applied in the order they were staged (the log's order, so a restart
    /// rebuilds the same state), one fsync makes them durable, and each request gets its
    /// own outcome, in order.
    pub fn finish(&mut self, staged: Vec<Staged>) -> Result<Vec<IngestOutcome>, CoreError> {
        let (outcomes, ticket) = self.finish_unsynced(staged)?;
        if let Some(t) = ticket
            && let Err(e) = t.sync()
        {
            self.poisoned = true;
            return Err(e.into());
        }
        Ok(outcomes)
    }

    /// [`Core::finish`] without waiting for the disk: the staged events are written to the
    /// log (not fsync'd), applied and their alerts filed; the outcomes may be answered only
    /// once the returned ticket's `sync` has returned Ok. Lets the service fsync without
    /// holding the core, so the next requests are appended and decided meanwhile and one
    /// fsync covers them all. Until then a reader can see decisions of events that are not
    /// durable yet; after a crash in that window neither the events nor their answers exist,
    /// and the client, never answered, sends them again.
    pub fn finish_unsynced(
        &mut self,
        staged: Vec<Staged>,
    ) -> Result<(Vec<IngestOutcome>, Option<clawback_store::SyncTicket>), CoreError> {
        let ticket = match self.log.write_pending() {
            Ok(t) => t,
            Err(e) => {
                self.poisoned = true;
                return Err(e.into());
            }
        };
        self.quarantine.flush().map_err(CoreError::Quarantine)?;
        let mut outcomes = Vec::with_capacity(staged.len());
        for Staged { mut out, fresh } in staged {
            out.accepted = fresh.len() as u64;
            for ev in fresh {
                out.decisions.extend(self.apply(ev));
            }
            outcomes.push(out);
        }
        // The events are durable and applied: a case store failure must not turn that into
        // an error (a retry would only find duplicates). The alerts stay unfiled and are
        // filed by the next request, or by the start-up reconcile.
        if self.file_alerts().is_err() {
            self.case_filing_failures += 1;
        }
        Ok((outcomes, ticket))
    }

    fn apply(&mut self, ev: Event) -> Vec<Decision> {
        self.seq.push(Box::new(ev));
        let mut decisions = Vec::new();
        while let Some(ev) = self.seq.pop_ready() {
            let out = self.engine.apply(&ev);
            self.index.observe(&ev, &out);
            self.unfiled.extend(out.alerts.iter().cloned());
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
        // The access may itself raise an insider alert.
        self.file_alerts()?;
        Ok(rec)
    }

    /// Appends (unless already there) and applies the `data_access` event of an audit
    /// record. Returns whether it was new.
    fn feed_access(&mut self, rec: &AuditRecord) -> Result<bool, CoreError> {
        let line = access_event(rec)?;
        Ok(self.feed_lines(&[line], rec.seq)? > 0)
    }

    /// Appends the service's own contract events (unless already in the log: their ids are
    /// derived from what caused them), commits, and applies the new ones. `seq` names the
    /// cause in errors. Returns how many were new.
    fn feed_lines(&mut self, lines: &[String], seq: u64) -> Result<u64, CoreError> {
        let mut fresh = Vec::new();
        for line in lines {
            let ev = parse_line(line.as_bytes()).map_err(|e| CoreError::AuditEvent {
                seq,
                reason: e.to_string(),
            })?;
            match self.log.append(&ev.event_id, line.as_bytes()) {
                Ok(Appended::Pending) => fresh.push(ev),
                Ok(Appended::Duplicate) => {}
                Err(e) => {
                    self.poisoned = true;
                    return Err(e.into());
                }
            }
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.log.commit() {
            self.poisoned = true;
            return Err(e.into());
        }
        let n = fresh.len() as u64;
        for ev in fresh {
            self.apply(ev);
        }
        Ok(n)
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
        self.file_alerts()?;
        Ok(fed)
    }

    /// Files the alerts applied since the last call into cases (one transaction).
    fn file_alerts(&mut self) -> Result<(), CoreError> {
        if self.unfiled.is_empty() {
            return Ok(());
        }
        let now = now_rfc3339();
        let links: Vec<AlertLink> = self.unfiled.iter().map(|a| self.link(a)).collect();
        self.cases.attach_alerts(&links, &now)?;
        self.unfiled.clear();
        Ok(())
    }

    /// After a start-up replay: files the alerts of the replayed log that no case holds
    /// (a crash between the log and the case store), each at its latest emission. Alerts
    /// already filed are left alone, so a restart changes no case. Returns how many.
    pub fn reconcile_cases(&mut self) -> Result<usize, CoreError> {
        let filed: std::collections::HashSet<String> = self
            .cases
            .list_cases(&clawback_cases::CaseFilter::default())?
            .into_iter()
            .flat_map(|c| c.alert_ids)
            .collect();
        let mut order: Vec<&str> = Vec::new();
        let mut latest: std::collections::HashMap<&str, &Alert> = Default::default();
        for a in &self.index.alerts {
            let id = a.alert.alert_id.as_str();
            if filed.contains(id) {
                continue;
            }
            if latest.insert(id, &a.alert).is_none() {
                order.push(id);
            }
        }
        let links: Vec<AlertLink> = order
            .iter()
            .filter_map(|id| latest.get(id))
            .map(|a| self.link(a))
            .collect();
        if !links.is_empty() {
            self.cases.attach_alerts(&links, &now_rfc3339())?;
        }
        Ok(links.len())
    }

    /// The case link of an alert: see [`group_key`] and [`case_title`]. Money at risk is
    /// the refund value the engine has seen requested by the accounts the alert names.
    fn link(&self, a: &Alert) -> AlertLink {
        let facts = &self.engine.facts().accounts;
        let money = a
            .entities
            .iter()
            .filter(|e| e.kind == EntityType::Account)
            .filter_map(|e| facts.get(&e.id))
            .map(|f| f.refund_value_usd_cents)
            .sum();
        AlertLink {
            alert_id: a.alert_id.to_string(),
            group_key: group_key(a),
            kind: CaseKind::of_alert_kind(&a.kind),
            title: case_title(a),
            score: a.score,
            money_at_risk_usd_cents: money,
            ts: a.ts.to_string(),
        }
    }

    /// Records a case action, feeds it back as contract events (see [`crate::feedback`]),
    /// then appends it to the outbound file and wakes the webhook. A crash between these is
    /// repaired on start by [`Core::reconcile_feedback`] and [`Core::reconcile_outbound`].
    /// Returns the action and the ids of the events it appended to the log.
    pub fn record_action(
        &mut self,
        case_id: &str,
        action: &clawback_cases::NewAction,
    ) -> Result<(CaseAction, Vec<String>), CoreError> {
        if self.poisoned {
            return Err(CoreError::Poisoned);
        }
        let rec = self.cases.add_action(case_id, action)?;
        let fed = self.feed_action(&rec)?;
        self.outbound.emit(&rec).map_err(CoreError::Outbound)?;
        if let Some(n) = &self.outbound_notify {
            n.notify_one();
        }
        Ok((rec, fed))
    }

    /// Appends and applies the contract events of an action (those not already in the
    /// log), then files any alert they raise. Returns their event ids.
    fn feed_action(&mut self, rec: &CaseAction) -> Result<Vec<String>, CoreError> {
        if !crate::feedback::feeds_back(rec.action) {
            return Ok(Vec::new());
        }
        let target = self.action_target(rec)?;
        let lines = crate::feedback::action_events(rec, &target);
        let ids = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["event_id"].as_str().map(str::to_string))
            .collect();
        self.feed_lines(&lines, rec.action_id)?;
        self.file_alerts()?;
        Ok(ids)
    }

    /// The label entity and scheme kind of an action's target: the type the case's alerts
    /// give the target id (the latest emission of each), else what the events know it as.
    fn action_target(&mut self, rec: &CaseAction) -> Result<crate::feedback::Target, CoreError> {
        use crate::feedback::{LABEL_ENTITIES, Target, label_kind};
        let alert_ids = self
            .cases
            .get_case(&rec.case_id)?
            .map(|d| d.case.alert_ids)
            .unwrap_or_default();
        let mut first_kind: Option<String> = None;
        let mut named: Option<(&'static str, String)> = None;
        for aid in &alert_ids {
            let Some(a) = self
                .index
                .alerts
                .iter()
                .rev()
                .find(|s| s.alert.alert_id == aid.as_str())
            else {
                continue;
            };
            if first_kind.is_none() {
                first_kind = Some(a.alert.kind.to_string());
            }
            if named.is_none()
                && let Some(e) = a.alert.entities.iter().find(|e| {
                    e.id == rec.target.as_str() && LABEL_ENTITIES.contains(&entity_type_str(e.kind))
                })
            {
                let kind = LABEL_ENTITIES
                    .iter()
                    .copied()
                    .find(|k| *k == entity_type_str(e.kind));
                if let Some(k) = kind {
                    named = Some((k, a.alert.kind.to_string()));
                }
            }
        }
        if let Some((entity, kind)) = named {
            return Ok(Target {
                entity: Some(entity),
                kind: Some(label_kind(&kind)),
            });
        }
        let id = clawback_events::Id::from(rec.target.as_str());
        use clawback_events::output::Point;
        let entity = if self.engine.facts().accounts.contains_key(&id)
            || self.index.accounts.contains_key(&id)
        {
            Some("account")
        } else if self.index.employees.contains_key(&id) {
            Some("employee")
        } else if self.index.detail.orders.contains_key(&id) {
            Some("order")
        } else if self
            .index
            .decisions
            .contains_key(&(Point::Refund, id.clone()))
        {
            Some("refund")
        } else if self
            .index
            .decisions
            .contains_key(&(Point::Report, id.clone()))
        {
            Some("report")
        } else if self
            .index
            .detail
            .graph
            .contains(crate::detail::NodeKind::Seller, &id)
        {
            Some("seller")
        } else {
            None
        };
        Ok(Target {
            entity,
            kind: first_kind.map(|k| label_kind(&k)),
        })
    }

    /// After a start: feeds back the recorded actions whose events are not in the log (a
    /// crash between the case store and the log). Returns how many events were appended.
    pub fn reconcile_feedback(&mut self) -> Result<u64, CoreError> {
        // Actions are fed back one at a time, in order, before the next is recorded, so
        // only those after the last one whose events the log holds can be missing.
        let mut after = self.index.detail.last_fed_action;
        let before = self.log.durable_records();
        loop {
            let page = self.cases.actions_after(after, 1000)?;
            let Some(last) = page.last() else { break };
            after = last.action_id;
            for a in &page {
                self.feed_action(a)?;
            }
        }
        Ok(self.log.durable_records() - before)
    }

    /// Wakes the webhook deliverer whenever an action is written to the outbound file.
    pub fn set_outbound_notify(&mut self, n: std::sync::Arc<tokio::sync::Notify>) {
        self.outbound_notify = Some(n);
    }

    /// After a start: writes the outbound events of actions after the last one the
    /// outbound file holds. Returns how many.
    pub fn reconcile_outbound(&mut self) -> Result<u64, CoreError> {
        let mut after = self
            .outbound
            .last_action_id()
            .map_err(CoreError::Outbound)?;
        let mut n = 0;
        loop {
            let page = self.cases.actions_after(after, 1000)?;
            let Some(last) = page.last() else { break };
            after = last.action_id;
            for a in &page {
                self.outbound.emit(a).map_err(CoreError::Outbound)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

/// The contract name of an entity type (`account`, `employee`, …).
pub fn entity_type_str(t: EntityType) -> &'static str {
    match t {
        EntityType::Account => "account",
        EntityType::Employee => "employee",
        EntityType::Seller => "seller",
        EntityType::Order => "order",
        EntityType::Refund => "refund",
        EntityType::Report => "report",
        EntityType::Device => "device",
        EntityType::Ip => "ip",
        EntityType::Phone => "phone",
        EntityType::Email => "email",
        EntityType::Address => "address",
        EntityType::Payment => "payment",
        EntityType::Post => "post",
        EntityType::Domain => "domain",
    }
}

/// The contract line of the `data_access` event for an audit record.
pub fn access_event(rec: &AuditRecord) -> Result<String, CoreError> {
    let e = &rec.entry;
    let mut v = serde_json::json!({
        "event_id": format!("{AUDIT_EVENT_PREFIX}{}", rec.seq),
        "type": "data_access",
        "ts": e.ts,
        "employee_id": e.key_name,
        "resource": e.resource,
        "account_ids": e.entity_ids,
        "ticket_id": e.justification,
    });
    // An evidence export takes the records away: the contract's `export` flag.
    if e.resource == crate::api::EXPORT_RESOURCE
        && let Some(o) = v.as_object_mut()
    {
        o.insert("export".into(), serde_json::Value::Bool(true));
    }
    serde_json::to_string(&v).map_err(|err| CoreError::AuditEvent {
        seq: rec.seq,
        reason: err.to_string(),
    })
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// The grouping rule. Alerts with the same key share a case (and an alert id seen before
/// always goes back to its case, whatever its key):
/// - alerts about an employee (`insider_*`, `credential_misuse`, `data_exfiltration`)
///   naming an employee: `employee:ID` of the first employee they name — everything one
///   employee is suspected of is one case;
/// - `fraud_ring` alerts: `fraud_ring:ALERT_ID` — a ring's alert id is derived from the
///   ring itself, so a ring that grows (re-emitted with the same id) stays one case;
/// - anything else: `alert:ALERT_ID`, one case per alert.
pub fn group_key(a: &Alert) -> String {
    if is_insider_kind(&a.kind)
        && let Some(e) = a.entities.iter().find(|e| e.kind == EntityType::Employee)
    {
        return format!("employee:{}", e.id);
    }
    if a.kind == "fraud_ring" {
        return format!("fraud_ring:{}", a.alert_id);
    }
    format!("alert:{}", a.alert_id)
}

/// A case's title, from the alert that opened it. It names only accounts, employees and
/// sellers (never a phone, e-mail or address), since viewers read it.
pub fn case_title(a: &Alert) -> String {
    let count = |t: EntityType| a.entities.iter().filter(|e| e.kind == t).count();
    let first = |t: EntityType| {
        a.entities
            .iter()
            .find(|e| e.kind == t)
            .map(|e| e.id.to_string())
    };
    let accounts = count(EntityType::Account);
    match CaseKind::of_alert_kind(&a.kind) {
        CaseKind::Ring => format!("Fraud ring of {accounts} accounts"),
        CaseKind::Insider => match first(EntityType::Employee) {
            Some(e) => format!("Insider: employee {e}"),
            None => format!("Insider: {}", a.kind),
        },
        CaseKind::BanEvasion => match first(EntityType::Account) {
            Some(acct) => format!("Ban evasion: account {acct}"),
            None => "Ban evasion".to_string(),
        },
        CaseKind::Campaign if a.kind == "phishing_campaign" => match first(EntityType::Domain) {
            Some(d) => format!("Phishing campaign: {d}"),
            None => "Phishing campaign".to_string(),
        },
        CaseKind::Intel => match (first(EntityType::Order), first(EntityType::Account)) {
            (Some(o), Some(acct)) => format!("Gang post shows order {o} of account {acct}"),
            (Some(o), None) => format!("Gang post shows order {o}"),
            _ => match first(EntityType::Post) {
                Some(p) => format!("Gang post {p}: order id fits several orders"),
                None => "Gang post".to_string(),
            },
        },
        CaseKind::Campaign | CaseKind::Other => {
            match first(EntityType::Account)
                .or_else(|| first(EntityType::Employee))
                .or_else(|| first(EntityType::Seller))
            {
                Some(x) => format!("{}: {x}", a.kind),
                None => a.kind.to_string(),
            }
        }
    }
}

/// Where case actions go out: one JSON line per action.
pub trait Outbound: Send {
    /// Writes one action's event durably.
    fn emit(&mut self, action: &CaseAction) -> std::io::Result<()>;
    /// The `action_id` of the last event written (0 for none).
    fn last_action_id(&mut self) -> std::io::Result<u64>;
}

/// The outbound event of an action.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct OutboundEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub action_id: u64,
    pub case_id: String,
    pub action: String,
    pub target: String,
    pub who: String,
    pub ts: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl From<&CaseAction> for OutboundEvent {
    fn from(a: &CaseAction) -> Self {
        Self {
            kind: "case_action".into(),
            action_id: a.action_id,
            case_id: a.case_id.clone(),
            action: a.action.as_str().into(),
            target: a.target.clone(),
            who: a.who.clone(),
            ts: a.ts.clone(),
            note: a.note.clone(),
        }
    }
}

/// `DIR/outbound.jsonl`, appended and fsync'd per action.
#[derive(Debug)]
pub struct OutboundFile {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl OutboundFile {
    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
        })
    }
}

impl Outbound for OutboundFile {
    fn emit(&mut self, action: &CaseAction) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(&OutboundEvent::from(action))?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }

    fn last_action_id(&mut self) -> std::io::Result<u64> {
        let text = std::fs::read(&self.path)?;
        if text.last().is_some_and(|b| *b != b'\n') {
            // End a torn line so the next event starts on a line of its own.
            self.file.write_all(b"\n")?;
        }
        // A torn last line (a crash mid-write) is skipped; its action is written again.
        Ok(text
            .split(|b| *b == b'\n')
            .filter_map(|l| serde_json::from_slice::<OutboundEvent>(l).ok())
            .map(|e| e.action_id)
            .max()
            .unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clawback_events::output::EntityRef;

    fn alert(id: &str, kind: &str, entities: Vec<EntityRef>) -> Alert {
        Alert {
            alert_id: id.into(),
            kind: kind.into(),
            score: 0.5,
            entities,
            reasons: Vec::new(),
            ts: "2026-11-02T10:00:00Z".into(),
        }
    }

    /// Intel and campaign cases say what they are about in the queue, without PII.
    #[test]
    fn intel_and_campaign_titles_name_the_order_or_the_domain() {
        let post = EntityRef::new(EntityType::Post, "post-9");
        let order = EntityRef::new(EntityType::Order, "114-5512345-7731994");
        let acct = EntityRef::new(EntityType::Account, "acct-1");
        let intel = alert(
            "intel_match:post-9",
            "intel_match",
            vec![post.clone(), order, acct],
        );
        assert_eq!(
            case_title(&intel),
            "Gang post shows order 114-5512345-7731994 of account acct-1"
        );
        let ambiguous = alert("intel_match:post-9:ambiguous:0", "intel_match", vec![post]);
        assert_eq!(
            case_title(&ambiguous),
            "Gang post post-9: order id fits several orders"
        );
        let campaign = alert(
            "phishing_campaign:rep-1",
            "phishing_campaign",
            vec![
                EntityRef::new(EntityType::Report, "rep-1"),
                EntityRef::new(EntityType::Domain, "amaz0n-billing.com"),
            ],
        );
        assert_eq!(
            case_title(&campaign),
            "Phishing campaign: amaz0n-billing.com"
        );
    }

    #[test]
    fn alerts_group_by_employee_ring_or_alert() {
        let emp = EntityRef::new(EntityType::Employee, "emp-7");
        let acct = EntityRef::new(EntityType::Account, "acct-1");
        let phone = EntityRef::new(EntityType::Phone, "+14155550142");
        for kind in [
            "insider_collusion",
            "credential_misuse",
            "data_exfiltration",
        ] {
            let a = alert(
                &format!("{kind}:emp-7"),
                kind,
                vec![acct.clone(), emp.clone()],
            );
            assert_eq!(group_key(&a), "employee:emp-7");
            assert_eq!(case_title(&a), "Insider: employee emp-7");
            assert_eq!(CaseKind::of_alert_kind(kind), CaseKind::Insider);
        }
        let ring = alert(
            "fraud_ring:+14155550142",
            "fraud_ring",
            vec![
                acct.clone(),
                EntityRef::new(EntityType::Account, "acct-2"),
                phone,
            ],
        );
        assert_eq!(group_key(&ring), "fraud_ring:fraud_ring:+14155550142");
        assert_eq!(case_title(&ring), "Fraud ring of 2 accounts");
        let other = alert("return_anomaly:r-1", "return_anomaly", vec![acct, emp]);
        assert_eq!(group_key(&other), "alert:return_anomaly:r-1");
        assert_eq!(case_title(&other), "return_anomaly: acct-1");
        assert_eq!(CaseKind::of_alert_kind("ban_evasion"), CaseKind::BanEvasion);
        assert_eq!(
            CaseKind::of_alert_kind("review_campaign"),
            CaseKind::Campaign
        );
    }

    #[derive(Default)]
    struct Memory(Vec<u64>);
    impl Outbound for Memory {
        fn emit(&mut self, action: &CaseAction) -> std::io::Result<()> {
            self.0.push(action.action_id);
            Ok(())
        }
        fn last_action_id(&mut self) -> std::io::Result<u64> {
            Ok(self.0.last().copied().unwrap_or(0))
        }
    }

    #[test]
    fn actions_are_fed_back_once_even_across_a_crash_before_feeding() {
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = Log::open(dir.path(), clawback_store::LogOptions::default()).unwrap();
        let mut core = Core::new(
            Engine::baseline(),
            Index::default(),
            log,
            Box::new(clawback_cases::MemoryStore::default()),
            Box::new(std::io::sink()),
            Box::new(Memory::default()),
        );
        let signup = br#"{"event_id":"e1","type":"account_created","ts":"2026-11-01T10:00:00Z","account_id":"acct-1","email":"a@example.org","device_id":"dev-1"}"#;
        core.ingest(&[(Position::Index(0), &signup[..])]).unwrap();
        let link = AlertLink {
            alert_id: "fraud_ring:x".into(),
            group_key: "fraud_ring:fraud_ring:x".into(),
            kind: CaseKind::Ring,
            title: "ring".into(),
            score: 0.9,
            money_at_risk_usd_cents: 0,
            ts: "2026-11-01T10:00:00Z".into(),
        };
        let case = core.cases.attach_alerts(&[link], "t").unwrap().remove(0);
        let new = |a: clawback_cases::ActionKind| clawback_cases::NewAction {
            action: a,
            target: "acct-1".into(),
            who: "ivy".into(),
            ts: "2026-11-23T10:00:00Z".into(),
            note: None,
        };
        let (_, ids) = core
            .record_action(&case, &new(clawback_cases::ActionKind::CloseAccount))
            .unwrap();
        assert_eq!(ids, ["clawback-action-1-closed", "clawback-action-1-label"]);
        assert_eq!(core.stored(), 3);
        assert!(core.engine().facts().accounts[&clawback_events::Id::from("acct-1")].banned);
        // A crash after the case store recorded an action but before it was fed back.
        core.cases
            .add_action(&case, &new(clawback_cases::ActionKind::MarkLegit))
            .unwrap();
        assert_eq!(core.reconcile_feedback().unwrap(), 1);
        assert_eq!(core.reconcile_feedback().unwrap(), 0, "fed once");
        assert_eq!(core.stored(), 4);
        assert_eq!(core.index.detail.last_fed_action, 2);
    }

    #[test]
    fn the_outbound_file_finds_its_last_action_past_a_torn_line() {
        let dir = std::env::temp_dir().join(format!("clawback-outbound-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("outbound.jsonl");
        let _ = std::fs::remove_file(&path);
        let action = |n: u64| CaseAction {
            action_id: n,
            case_id: "case-1".into(),
            action: clawback_cases::ActionKind::HoldRefunds,
            target: "acct-1".into(),
            who: "ivy".into(),
            ts: "2026-11-23T10:00:00Z".into(),
            note: None,
        };
        let mut f = OutboundFile::open(&path).unwrap();
        assert_eq!(f.last_action_id().unwrap(), 0);
        f.emit(&action(1)).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"type\":\"case_ac")
            .unwrap();
        let mut f = OutboundFile::open(&path).unwrap();
        assert_eq!(f.last_action_id().unwrap(), 1);
        f.emit(&action(2)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let last: OutboundEvent = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!((last.action_id, last.action.as_str()), (2, "hold_refunds"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
