//! What a replay caught, judged against ground-truth labels: the numbers a fraud team asks
//! first (how much fraud money was stopped, how many honest customers were delayed).
//!
//! This is the demo's short summary, not the judge: `shared/tools/evaluate.py` remains the
//! reference for every metric. Both read the same files, so they agree on what they share.

use anyhow::{Context, Result};
use clawback_engine::usd_cents;
use clawback_events::output::{Decision, EntityType, Outcome, Point};
use clawback_events::{Body, LabelEntity, Verdict, parse_line};
use rustc_hash::{FxHashMap, FxHashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// The refund side of what was caught.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct Caught {
    pub fraud_refunds: u64,
    /// Fraud refunds not approved (held, reviewed or denied).
    pub fraud_refunds_stopped: u64,
    pub fraud_value_usd: f64,
    pub fraud_value_stopped_usd: f64,
    pub legit_refunds: u64,
    /// Honest refunds not approved at once.
    pub legit_delayed: u64,
    pub legit_denied: u64,
    /// Accounts labelled as part of a refund service, and how many groups they form.
    pub ring_accounts: u64,
    pub rings: u64,
    /// Accounts named by `fraud_ring` alerts, and how many of them are ring members.
    pub ring_accounts_named: u64,
    pub ring_accounts_named_right: u64,
    /// Ban evaders' new accounts, and how many were reviewed or blocked at signup or named
    /// by a `ban_evasion` alert; honest signups reviewed or blocked.
    pub evaders: u64,
    pub evaders_caught: u64,
    pub honest_signups: u64,
    pub honest_signups_flagged: u64,
    /// Employees labelled as insiders, and how many of them an alert named.
    pub insiders: u64,
    pub insiders_alerted: u64,
    /// Honest employees named by an `insider_collusion`, `credential_misuse` or
    /// `data_exfiltration` alert: the accusations a fair detector must keep near zero.
    pub honest_employees: u64,
    pub honest_employees_accused: u64,
    /// Employees and sellers labelled as selling customer data, and how many an alert named.
    pub data_sellers: u64,
    pub data_sellers_alerted: u64,
    /// Phishing reports (labelled) and how many the decisions called phishing; campaigns
    /// by label group.
    pub phishing_reports: u64,
    pub phishing_caught: u64,
    pub campaigns: u64,
    /// Distinct `phishing_campaign` alerts raised.
    pub campaign_alerts: u64,
    /// Orders shown in refund services' posts (labelled `intel_mentioned`), orders named by
    /// `intel_match` alerts, and how many of those were shown.
    pub intel_orders_shown: u64,
    pub intel_orders_named: u64,
    pub intel_orders_named_right: u64,
}

fn lines(path: &Path) -> Result<impl Iterator<Item = std::io::Result<String>>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::new(f).lines())
}

/// Scores `out/decisions.jsonl` and `out/alerts.jsonl` against `labels` for the refunds of
/// `events`.
pub fn measure(events: &Path, labels: &Path, out: &Path) -> Result<Caught> {
    let mut fraud_refund = FxHashMap::default();
    let mut ring_groups = FxHashSet::default();
    let mut ring_members = FxHashSet::default();
    let mut evaders = FxHashSet::default();
    let mut honest_accounts = FxHashSet::default();
    let mut insiders = FxHashSet::default();
    let mut honest_staff = FxHashSet::default();
    let mut sellers_of_data: FxHashSet<(bool, clawback_events::Id)> = FxHashSet::default();
    let mut phishing = FxHashSet::default();
    let mut campaigns: FxHashMap<clawback_events::Id, u64> = FxHashMap::default();
    let mut intel_shown = FxHashSet::default();
    let mut c = Caught::default();
    for line in lines(labels)? {
        let line = line.with_context(|| format!("reading {}", labels.display()))?;
        let Ok(ev) = parse_line(line.as_bytes()) else {
            continue;
        };
        let Body::Label(l) = ev.body else { continue };
        let fraud = l.label == Verdict::Fraud;
        match l.entity {
            LabelEntity::Refund => {
                fraud_refund.insert(l.id, fraud);
            }
            LabelEntity::Account if fraud && l.kind.as_deref() == Some("refund_service") => {
                c.ring_accounts += 1;
                if let Some(g) = l.group {
                    ring_groups.insert(g);
                }
                ring_members.insert(l.id);
            }
            LabelEntity::Account if fraud && l.kind.as_deref() == Some("ban_evasion") => {
                evaders.insert(l.id);
            }
            LabelEntity::Account if !fraud => {
                honest_accounts.insert(l.id);
            }
            LabelEntity::Report if fraud => {
                if let Some(g) = l.group {
                    *campaigns.entry(g).or_default() += 1;
                }
                phishing.insert(l.id);
            }
            LabelEntity::Employee
                if fraud
                    && matches!(
                        l.kind.as_deref(),
                        Some("insider_collusion" | "credential_misuse")
                    ) =>
            {
                insiders.insert(l.id);
            }
            LabelEntity::Employee | LabelEntity::Seller
                if fraud && l.kind.as_deref() == Some("data_selling") =>
            {
                sellers_of_data.insert((l.entity == LabelEntity::Employee, l.id));
            }
            LabelEntity::Employee if !fraud => {
                honest_staff.insert(l.id);
            }
            LabelEntity::Order if l.kind.as_deref() == Some("intel_mentioned") => {
                intel_shown.insert(l.id);
            }
            _ => {}
        }
    }
    c.rings = ring_groups.len() as u64;
    c.phishing_reports = phishing.len() as u64;
    // A campaign is a group of at least two reports; a lone message is not one.
    c.campaigns = campaigns.values().filter(|&&n| n >= 2).count() as u64;
    c.insiders = insiders.len() as u64;

    let mut amount = FxHashMap::default();
    let mut caught_evaders = FxHashSet::default();
    for line in lines(events)? {
        let line = line.with_context(|| format!("reading {}", events.display()))?;
        if !line.contains("refund_requested") {
            continue;
        }
        if let Ok(ev) = parse_line(line.as_bytes())
            && let Body::RefundRequested(r) = ev.body
        {
            amount.insert(
                r.refund_id,
                usd_cents(r.money.amount_minor, &r.money.currency),
            );
        }
    }

    for line in lines(&out.join("decisions.jsonl"))? {
        let d: Decision = serde_json::from_str(&line?).context("reading decisions.jsonl")?;
        if d.point == Point::Report && d.decision == Outcome::Phishing && phishing.contains(&d.id) {
            c.phishing_caught += 1;
        }
        if d.point == Point::Signup {
            let flagged = d.decision != Outcome::Allow;
            if evaders.contains(&d.id) {
                c.evaders += 1;
                if flagged {
                    caught_evaders.insert(d.id.clone());
                }
            } else if honest_accounts.contains(&d.id) {
                c.honest_signups += 1;
                c.honest_signups_flagged += u64::from(flagged);
            }
        }
        if d.point != Point::Refund {
            continue;
        }
        let Some(&fraud) = fraud_refund.get(&d.id) else {
            continue;
        };
        let usd = amount.get(&d.id).copied().unwrap_or(0) as f64 / 100.0;
        let stopped = d.decision != Outcome::Approve;
        if fraud {
            c.fraud_refunds += 1;
            c.fraud_value_usd += usd;
            if stopped {
                c.fraud_refunds_stopped += 1;
                c.fraud_value_stopped_usd += usd;
            }
        } else {
            c.legit_refunds += 1;
            c.legit_delayed += u64::from(stopped);
            c.legit_denied += u64::from(d.decision == Outcome::Deny);
        }
    }

    let mut alerted = FxHashSet::default();
    let mut accused = FxHashSet::default();
    let mut data_named = FxHashSet::default();
    let mut campaign_ids = FxHashSet::default();
    let mut named = FxHashSet::default();
    let mut intel_named = FxHashSet::default();
    for line in lines(&out.join("alerts.jsonl"))? {
        let a: clawback_events::output::Alert =
            serde_json::from_str(&line?).context("reading alerts.jsonl")?;
        if a.kind == "phishing_campaign" {
            campaign_ids.insert(a.alert_id.clone());
        }
        let accusing = matches!(
            a.kind.as_str(),
            "insider_collusion" | "credential_misuse" | "data_exfiltration"
        );
        for e in a.entities {
            if a.kind == "intel_match" && e.kind == EntityType::Order {
                intel_named.insert(e.id.clone());
            }
            let staff = e.kind == EntityType::Employee;
            if (staff || e.kind == EntityType::Seller)
                && sellers_of_data.contains(&(staff, e.id.clone()))
            {
                data_named.insert((staff, e.id.clone()));
            }
            if staff && accusing && honest_staff.contains(&e.id) {
                accused.insert(e.id.clone());
            }
            if e.kind == EntityType::Employee && insiders.contains(&e.id) {
                alerted.insert(e.id);
            } else if e.kind == EntityType::Account && a.kind == "fraud_ring" {
                named.insert(e.id);
            } else if e.kind == EntityType::Account
                && a.kind == "ban_evasion"
                && evaders.contains(&e.id)
            {
                caught_evaders.insert(e.id);
            }
        }
    }
    c.ring_accounts_named = named.len() as u64;
    c.ring_accounts_named_right = named.iter().filter(|a| ring_members.contains(*a)).count() as u64;
    c.evaders_caught = caught_evaders.len() as u64;
    c.insiders_alerted = alerted.len() as u64;
    c.honest_employees = honest_staff.len() as u64;
    c.honest_employees_accused = accused.len() as u64;
    c.data_sellers = sellers_of_data.len() as u64;
    c.data_sellers_alerted = data_named.len() as u64;
    c.campaign_alerts = campaign_ids.len() as u64;
    c.intel_orders_shown = intel_shown.len() as u64;
    c.intel_orders_named = intel_named.len() as u64;
    c.intel_orders_named_right = intel_named.intersection(&intel_shown).count() as u64;
    c.fraud_value_usd = c.fraud_value_usd.round();
    c.fraud_value_stopped_usd = c.fraud_value_stopped_usd.round();
    Ok(c)
}
