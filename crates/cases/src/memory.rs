//! A [`CaseStore`] in memory: for tests, and the second implementation that keeps the
//! trait honest (it runs the same [`conformance`](crate::conformance) checks). Nothing is
//! durable; clones share one store, so "reopening" a clone sees what was written.

use crate::case::{
    MAX_NOTE_CHARS, assign_change, case_id_of, case_number, check_text, queue_order, status_change,
};
use crate::sqlite::allowed;
use crate::{
    AlertLink, ApiKey, AuditEntry, AuditRecord, Case, CaseAction, CaseChange, CaseDetail,
    CaseError, CaseFilter, CaseStatus, CaseStore, GENESIS_HASH, NewAction, Note, Result, Role,
    chain_hash, check_assignee, check_key_name,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct Inner {
    keys: Vec<(ApiKey, [u8; 32])>,
    audit: Vec<AuditRecord>,
    /// `cases[n - 1]` is `case-n`.
    cases: Vec<MemCase>,
    by_alert: HashMap<String, usize>,
    by_group: HashMap<String, usize>,
    actions: Vec<CaseAction>,
}

#[derive(Debug)]
struct MemCase {
    case: Case,
    /// `(score, money)` of each alert, in `case.alert_ids` order.
    alerts: Vec<(f64, i64)>,
    notes: Vec<Note>,
    history: Vec<CaseChange>,
}

impl Inner {
    fn case_mut(&mut self, case_id: &str) -> Result<&mut MemCase> {
        case_number(case_id)
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| self.cases.get_mut(n - 1))
            .ok_or_else(|| CaseError::CaseNotFound(case_id.to_string()))
    }
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

    fn attach_alerts(&mut self, links: &[AlertLink], now: &str) -> Result<Vec<String>> {
        self.with(|s| {
            let mut out = Vec::with_capacity(links.len());
            for l in links {
                let known = s.by_alert.get(&l.alert_id).copied();
                let i = match known.or_else(|| s.by_group.get(&l.group_key).copied()) {
                    Some(i) => i,
                    None => {
                        let i = s.cases.len();
                        s.cases.push(MemCase {
                            case: Case {
                                case_id: case_id_of(i as u64 + 1),
                                kind: l.kind,
                                title: l.title.clone(),
                                status: CaseStatus::Open,
                                assignee: None,
                                money_at_risk_usd_cents: 0,
                                score: 0.0,
                                created: now.to_string(),
                                updated: now.to_string(),
                                alert_ids: Vec::new(),
                            },
                            alerts: Vec::new(),
                            notes: Vec::new(),
                            history: Vec::new(),
                        });
                        s.by_group.insert(l.group_key.clone(), i);
                        i
                    }
                };
                s.by_alert.insert(l.alert_id.clone(), i);
                let Some(m) = s.cases.get_mut(i) else {
                    return Err(CaseError::CaseNotFound(case_id_of(i as u64 + 1)));
                };
                let entry = (l.score, l.money_at_risk_usd_cents);
                match m.case.alert_ids.iter().position(|a| *a == l.alert_id) {
                    Some(p) => m.alerts[p] = entry,
                    None => {
                        m.case.alert_ids.push(l.alert_id.clone());
                        m.alerts.push(entry);
                    }
                }
                if m.case.alert_ids.first() == Some(&l.alert_id) {
                    m.case.title.clone_from(&l.title);
                }
                let score = m.alerts.iter().map(|a| a.0).fold(f64::MIN, f64::max);
                let money: i64 = m.alerts.iter().map(|a| a.1).sum();
                if known.is_none()
                    || score.to_bits() != m.case.score.to_bits()
                    || money != m.case.money_at_risk_usd_cents
                {
                    m.case.score = score;
                    m.case.money_at_risk_usd_cents = money;
                    m.case.updated = now.to_string();
                }
                out.push(m.case.case_id.clone());
            }
            Ok(out)
        })
    }

    fn list_cases(&mut self, filter: &CaseFilter) -> Result<Vec<Case>> {
        self.with(|s| {
            let mut v: Vec<Case> = s
                .cases
                .iter()
                .filter(|m| filter.admits(&m.case))
                .map(|m| m.case.clone())
                .collect();
            v.sort_by(queue_order);
            Ok(v)
        })
    }

    fn get_case(&mut self, case_id: &str) -> Result<Option<CaseDetail>> {
        self.with(|s| {
            let actions: Vec<CaseAction> = s
                .actions
                .iter()
                .filter(|a| a.case_id == case_id)
                .cloned()
                .collect();
            Ok(s.case_mut(case_id).ok().map(|m| CaseDetail {
                case: m.case.clone(),
                notes: m.notes.clone(),
                actions,
                history: m.history.clone(),
            }))
        })
    }

    fn set_status(&mut self, case_id: &str, to: CaseStatus, who: &str, now: &str) -> Result<Case> {
        self.with(|s| {
            let m = s.case_mut(case_id)?;
            let from = m.case.status;
            if !from.can_move_to(to) {
                return Err(CaseError::InvalidTransition {
                    case_id: m.case.case_id.clone(),
                    from,
                    to,
                    allowed: allowed(from),
                });
            }
            m.case.status = to;
            m.case.updated = now.to_string();
            m.history.push(CaseChange {
                who: who.to_string(),
                ts: now.to_string(),
                change: status_change(from, to),
            });
            Ok(m.case.clone())
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
        self.with(|s| {
            let m = s.case_mut(case_id)?;
            m.case.assignee = assignee.map(str::to_string);
            m.case.updated = now.to_string();
            m.history.push(CaseChange {
                who: who.to_string(),
                ts: now.to_string(),
                change: assign_change(assignee),
            });
            Ok(m.case.clone())
        })
    }

    fn add_note(&mut self, case_id: &str, note: &Note) -> Result<()> {
        check_text("text", &note.text, MAX_NOTE_CHARS)?;
        self.with(|s| {
            s.case_mut(case_id)?.notes.push(note.clone());
            Ok(())
        })
    }

    fn add_action(&mut self, case_id: &str, a: &NewAction) -> Result<CaseAction> {
        check_text("target", &a.target, 256)?;
        if let Some(n) = &a.note {
            check_text("note", n, MAX_NOTE_CHARS)?;
        }
        self.with(|s| {
            let case_id = s.case_mut(case_id)?.case.case_id.clone();
            let rec = CaseAction {
                action_id: s.actions.len() as u64 + 1,
                case_id,
                action: a.action,
                target: a.target.clone(),
                who: a.who.clone(),
                ts: a.ts.clone(),
                note: a.note.clone(),
            };
            s.actions.push(rec.clone());
            Ok(rec)
        })
    }

    fn actions_after(&mut self, after: u64, limit: usize) -> Result<Vec<CaseAction>> {
        self.with(|s| {
            Ok(s.actions
                .iter()
                .filter(|a| a.action_id > after)
                .take(limit)
                .cloned()
                .collect())
        })
    }
}
