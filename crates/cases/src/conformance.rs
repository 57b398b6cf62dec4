//! Checks every [`CaseStore`] implementation must pass. An implementation's tests call
//! [`run_all`] with a function that opens its store on one empty backing database (each
//! call opens it again, so persistence is checked too):
//!
//! ```ignore
//! conformance::run_all(&mut || Box::new(SqliteStore::open(&path)?)).unwrap();
//! ```
//!
//! The checks return a message instead of panicking so that they can live outside
//! `#[cfg(test)]` and be reused by other crates.

use crate::{
    ActionKind, AlertLink, AuditEntry, CaseError, CaseFilter, CaseKind, CaseStatus, CaseStore,
    GENESIS_HASH, NewAction, Note, Role, chain_hash, key_digest,
};

type Open<'a> = &'a mut dyn FnMut() -> Box<dyn CaseStore>;

fn check(cond: bool, what: &str) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_string()) }
}

fn store_err(what: &str) -> impl Fn(CaseError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Runs every check on a store that starts empty.
pub fn run_all(open: Open<'_>) -> Result<(), String> {
    keys(open)?;
    audit_chain(open)?;
    cases(open)?;
    Ok(())
}

/// Keys: stored by digest, found by digest only, names unique, kept across reopen.
pub fn keys(open: Open<'_>) -> Result<(), String> {
    let mut s = open();
    let d1 = key_digest("cbk_one");
    let d2 = key_digest("cbk_two");
    s.create_key("alice", Role::Investigator, &d1, "2026-11-23T00:00:00Z")
        .map_err(store_err("create alice"))?;
    s.create_key("bob", Role::Viewer, &d2, "2026-11-23T00:00:01Z")
        .map_err(store_err("create bob"))?;
    let dup = s.create_key("alice", Role::Admin, &key_digest("cbk_three"), "x");
    check(
        matches!(dup, Err(CaseError::DuplicateKeyName(_))),
        "a second key named alice must be refused with DuplicateKeyName",
    )?;
    drop(s);
    let mut s = open();
    let a = s.key_by_digest(&d1).map_err(store_err("find alice"))?;
    check(
        a.as_ref().map(|k| (k.name.as_str(), k.role)) == Some(("alice", Role::Investigator)),
        "alice's key must be found by its digest after reopening",
    )?;
    let none = s
        .key_by_digest(&key_digest("cbk_unknown"))
        .map_err(store_err("find unknown"))?;
    check(none.is_none(), "an unknown digest must find no key")?;
    let names: Vec<String> = s
        .list_keys()
        .map_err(store_err("list keys"))?
        .into_iter()
        .map(|k| k.name)
        .collect();
    check(
        names == ["alice", "bob"],
        "list_keys must return keys by name",
    )?;
    Ok(())
}

fn entry(i: u32) -> AuditEntry {
    AuditEntry {
        ts: format!("2026-11-23T10:00:{:02}Z", i % 60),
        key_name: "alice".into(),
        role: Role::Investigator,
        justification: format!("case-{i}"),
        resource: "customer_profile".into(),
        entity_ids: vec![format!("acct-{i}"), "acct-0".into()],
    }
}

/// Audit: numbered from 1, chained from the genesis hash, paged, kept across reopen, and
/// verified.
pub fn audit_chain(open: Open<'_>) -> Result<(), String> {
    let mut s = open();
    let first = s.append_audit(&entry(1)).map_err(store_err("append 1"))?;
    check(first.seq == 1, "the first audit record is number 1")?;
    check(
        first.prev_hash == GENESIS_HASH,
        "the first record chains from the genesis hash",
    )?;
    let want = chain_hash(GENESIS_HASH, 1, &entry(1)).map_err(store_err("hash"))?;
    check(
        first.hash == want,
        "the record's hash is chain_hash(prev, seq, entry)",
    )?;
    drop(s);
    let mut s = open();
    for i in 2..=25 {
        s.append_audit(&entry(i)).map_err(store_err("append"))?;
    }
    let page = s.audit_page(10, 5).map_err(store_err("page"))?;
    check(
        page.iter().map(|r| r.seq).collect::<Vec<_>>() == [11, 12, 13, 14, 15],
        "audit_page(10, 5) returns records 11..=15",
    )?;
    check(
        page.first().map(|r| &r.entry) == Some(&entry(11)),
        "a record reads back as written",
    )?;
    let all = s.audit_page(0, 1000).map_err(store_err("page all"))?;
    for w in all.windows(2) {
        check(
            w[1].prev_hash == w[0].hash,
            "each record chains to the previous",
        )?;
    }
    let verified = s.verify_audit().map_err(store_err("verify"))?;
    check(verified == Ok(25), "an intact chain of 25 records verifies")?;
    Ok(())
}

fn link(alert: &str, group: &str, kind: CaseKind, score: f64, cents: i64) -> AlertLink {
    AlertLink {
        alert_id: alert.into(),
        group_key: group.into(),
        kind,
        title: format!("case for {group}"),
        score,
        money_at_risk_usd_cents: cents,
        ts: "2026-11-02T10:00:00Z".into(),
    }
}

/// Cases: grouping by alert id and group key, queue order, filters, the status machine
/// (invalid moves refused with `InvalidTransition`), assignee, notes and actions, all kept
/// across reopen; re-filing the same emissions changes nothing.
pub fn cases(open: Open<'_>) -> Result<(), String> {
    let t0 = "2026-11-23T09:00:00Z";
    let mut s = open();
    let ids = s
        .attach_alerts(
            &[
                link(
                    "fraud_ring:p1",
                    "fraud_ring:p1",
                    CaseKind::Ring,
                    0.7,
                    10_000,
                ),
                link(
                    "insider_collusion:e1",
                    "employee:e1",
                    CaseKind::Insider,
                    0.9,
                    5_000,
                ),
                link(
                    "credential_misuse:e1",
                    "employee:e1",
                    CaseKind::Insider,
                    0.95,
                    2_000,
                ),
                link(
                    "return_anomaly:r1",
                    "alert:return_anomaly:r1",
                    CaseKind::Other,
                    0.5,
                    0,
                ),
            ],
            t0,
        )
        .map_err(store_err("attach"))?;
    check(
        ids == ["case-1", "case-2", "case-2", "case-3"],
        "alerts with one group key share a case; cases are numbered case-1, case-2, …",
    )?;
    // Re-emitted ring alert: same case, its score and money replaced.
    let again = s
        .attach_alerts(
            &[link(
                "fraud_ring:p1",
                "ignored-for-known-alerts",
                CaseKind::Ring,
                0.8,
                30_000,
            )],
            "2026-11-23T09:01:00Z",
        )
        .map_err(store_err("re-attach"))?;
    check(again == ["case-1"], "a re-emitted alert goes to its case")?;
    drop(s);
    let mut s = open();
    let all = s
        .list_cases(&CaseFilter::default())
        .map_err(store_err("list"))?;
    check(
        all.iter().map(|c| c.case_id.as_str()).collect::<Vec<_>>()
            == ["case-1", "case-2", "case-3"],
        "the queue is ordered by money at risk, then score",
    )?;
    let ring = &all[0];
    check(
        ring.money_at_risk_usd_cents == 30_000 && (ring.score - 0.8).abs() < 1e-12,
        "a re-emission replaces the alert's money and score",
    )?;
    check(
        ring.updated == "2026-11-23T09:01:00Z",
        "a changed case is updated",
    )?;
    let insider = &all[1];
    check(
        insider.kind == CaseKind::Insider
            && insider.alert_ids == ["insider_collusion:e1", "credential_misuse:e1"]
            && insider.money_at_risk_usd_cents == 7_000
            && (insider.score - 0.95).abs() < 1e-12
            && insider.status == CaseStatus::Open
            && insider.title == "case for employee:e1",
        "a case sums its alerts' money, takes the highest score and keeps the first title",
    )?;
    // Re-filing the same emissions (a restart's reconcile) changes nothing.
    s.attach_alerts(
        &[link(
            "insider_collusion:e1",
            "employee:e1",
            CaseKind::Insider,
            0.9,
            5_000,
        )],
        "2026-11-23T11:00:00Z",
    )
    .map_err(store_err("re-file"))?;
    let same = s
        .list_cases(&CaseFilter::default())
        .map_err(store_err("list"))?;
    check(
        same == all,
        "re-filing unchanged emissions leaves cases as they were",
    )?;
    let only = s
        .list_cases(&CaseFilter {
            kind: Some(CaseKind::Insider),
            status: None,
        })
        .map_err(store_err("filter"))?;
    check(
        only.len() == 1 && only[0].case_id == "case-2",
        "kind filters",
    )?;

    // The status machine.
    let bad = s.set_status(
        "case-2",
        CaseStatus::Actioned,
        "alice",
        "2026-11-23T12:00:00Z",
    );
    check(
        matches!(
            bad,
            Err(CaseError::InvalidTransition {
                from: CaseStatus::Open,
                to: CaseStatus::Actioned,
                ..
            })
        ),
        "open → actioned must be refused with InvalidTransition",
    )?;
    let c = s
        .set_status(
            "case-2",
            CaseStatus::Investigating,
            "alice",
            "2026-11-23T12:00:01Z",
        )
        .map_err(store_err("investigate"))?;
    check(
        c.status == CaseStatus::Investigating,
        "open → investigating",
    )?;
    let same = s.set_status("case-2", CaseStatus::Investigating, "alice", "x");
    check(
        matches!(same, Err(CaseError::InvalidTransition { .. })),
        "moving to the current status is refused",
    )?;
    check(
        matches!(
            s.set_status("case-99", CaseStatus::Closed, "alice", "x"),
            Err(CaseError::CaseNotFound(_))
        ) && matches!(
            s.set_status("nonsense", CaseStatus::Closed, "alice", "x"),
            Err(CaseError::CaseNotFound(_))
        ),
        "an unknown case is CaseNotFound",
    )?;
    s.assign("case-2", Some("alice"), "bob", "2026-11-23T12:00:02Z")
        .map_err(store_err("assign"))?;
    check(
        matches!(
            s.assign("case-2", Some("has space"), "bob", "x"),
            Err(CaseError::BadText { .. })
        ),
        "an assignee must be a key name",
    )?;
    s.add_note(
        "case-2",
        &Note {
            author: "alice".into(),
            text: "same operator on 12 contacts".into(),
            ts: "2026-11-23T12:00:03Z".into(),
        },
    )
    .map_err(store_err("note"))?;
    check(
        matches!(
            s.add_note(
                "case-2",
                &Note {
                    author: "alice".into(),
                    text: "  ".into(),
                    ts: "x".into()
                }
            ),
            Err(CaseError::BadText { .. })
        ),
        "a blank note is refused",
    )?;
    let act = s
        .add_action(
            "case-2",
            &NewAction {
                action: ActionKind::HoldRefunds,
                target: "acct-9".into(),
                who: "alice".into(),
                ts: "2026-11-23T12:00:04Z".into(),
                note: Some("until the review".into()),
            },
        )
        .map_err(store_err("action"))?;
    check(
        act.action_id == 1 && act.case_id == "case-2",
        "actions are numbered from 1",
    )?;
    s.set_status(
        "case-2",
        CaseStatus::Actioned,
        "alice",
        "2026-11-23T12:00:05Z",
    )
    .map_err(store_err("action status"))?;
    s.add_action(
        "case-1",
        &NewAction {
            action: ActionKind::Escalate,
            target: "fraud_ring:p1".into(),
            who: "bob".into(),
            ts: "2026-11-23T12:00:06Z".into(),
            note: None,
        },
    )
    .map_err(store_err("action 2"))?;
    drop(s);
    let mut s = open();
    let d = s
        .get_case("case-2")
        .map_err(store_err("get"))?
        .ok_or("case-2 must exist after reopening")?;
    check(
        d.case.status == CaseStatus::Actioned
            && d.case.assignee.as_deref() == Some("alice")
            && d.case.updated == "2026-11-23T12:00:05Z",
        "status, assignee and update time are kept",
    )?;
    check(
        d.notes.len() == 1 && d.notes[0].text == "same operator on 12 contacts",
        "notes are kept",
    )?;
    let history: Vec<(&str, &str)> = d
        .history
        .iter()
        .map(|h| (h.who.as_str(), h.change.as_str()))
        .collect();
    check(
        history
            == [
                ("alice", "status open → investigating"),
                ("bob", "assignee alice"),
                ("alice", "status investigating → actioned"),
            ],
        "status and assignee changes are kept in order with who made them (refused ones are not)",
    )?;
    check(
        d.actions == [act],
        "a case's actions are its own, as recorded",
    )?;
    check(
        s.get_case("case-42")
            .map_err(store_err("get 42"))?
            .is_none(),
        "an unknown case reads as None",
    )?;
    let after = s.actions_after(1, 10).map_err(store_err("after"))?;
    check(
        after.len() == 1 && after[0].action_id == 2 && after[0].action == ActionKind::Escalate,
        "actions_after pages all actions in order",
    )?;
    let actioned = s
        .list_cases(&CaseFilter {
            status: Some(CaseStatus::Actioned),
            kind: None,
        })
        .map_err(store_err("filter status"))?;
    check(
        actioned.len() == 1 && actioned[0].case_id == "case-2",
        "status filters",
    )?;

    // A case a gang's post opened is `intel`, kept as such and filtered apart from `other`.
    let intel = s
        .attach_alerts(
            &[link(
                "intel_match:post-1:111-0000001-0000001",
                "alert:intel_match:post-1:111-0000001-0000001",
                CaseKind::Intel,
                0.97,
                100,
            )],
            "2026-11-23T12:00:07Z",
        )
        .map_err(store_err("attach intel"))?;
    check(intel == ["case-4"], "an intel alert opens its own case")?;
    drop(s);
    let mut s = open();
    let intel = s
        .list_cases(&CaseFilter {
            kind: Some(CaseKind::Intel),
            status: None,
        })
        .map_err(store_err("filter intel"))?;
    check(
        intel.len() == 1 && intel[0].case_id == "case-4" && intel[0].kind == CaseKind::Intel,
        "an intel case keeps its kind across reopen and filters by it",
    )?;
    let other = s
        .list_cases(&CaseFilter {
            kind: Some(CaseKind::Other),
            status: None,
        })
        .map_err(store_err("filter other"))?;
    check(
        other.iter().map(|c| c.case_id.as_str()).collect::<Vec<_>>() == ["case-3"],
        "intel cases are not other",
    )?;
    Ok(())
}
