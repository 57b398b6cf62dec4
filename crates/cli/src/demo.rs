//! `clawback demo`: the whole pipeline on an embedded simulated world, end to end.
//!
//! Simulates a marketplace with refund-service gangs and ground-truth labels, trains the
//! refund model on a second, separate world (the history), ingests the events (and a file
//! of corrupt lines, as real exports have) into a fresh data directory, replays the stored
//! log with the model, and shows what came out and what it caught against the labels.

use crate::ingest;
use crate::replay::{self, Source, Summary};
use anyhow::{Context, Result};
use clawback_events::output::Decision;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

/// Lines a real export gets wrong, appended to the demo stream to show the quarantine.
const BAD_LINES: &[&str] = &[
    r#"{"event_id":"bad-1","type":"refund_requested","ts":"2026-11-20T10:00:00Z","refund_id":"x","order_id":"o","account_id":"a","amount_minor":-500,"currency":"USD","reason":"damaged","channel":"web"}"#,
    r#"{"event_id":"bad-2","type":"refund_teleported","ts":"2026-11-20T10:00:00Z"}"#,
    r#"{"event_id":"bad-3","type":"login","ts":"20/11/2026 10:00","account_id":"a","success":true}"#,
    "this line is not JSON",
];

/// Writes a simulated world to `out/events.jsonl` and `out/labels.jsonl`.
pub fn simulate(cfg: &clawback_synth::Config, out: &Path) -> Result<(u64, u64)> {
    let events_path = out.join("events.jsonl");
    let labels_path = out.join("labels.jsonl");
    let create = |p: &Path| -> Result<BufWriter<File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ))
    };
    let (mut ev, mut lb) = (create(&events_path)?, create(&labels_path)?);
    let counts =
        clawback_synth::write_labelled(cfg, &mut ev, &mut lb).context("simulating the world")?;
    ev.flush()
        .with_context(|| format!("writing {}", events_path.display()))?;
    lb.flush()
        .with_context(|| format!("writing {}", labels_path.display()))?;
    Ok(counts)
}

/// Runs the demo into `out`, printing a report to `w`.
pub fn run(out: &Path, seed: u64, customers: u32, days: u32, w: &mut dyn Write) -> Result<Summary> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let events_path = out.join("events.jsonl");
    let data = out.join("data");
    if data.join("log").is_dir() {
        // A previous demo's log: start clean so the demo shows a first ingest.
        std::fs::remove_dir_all(&data)
            .with_context(|| format!("cannot clear {}", data.display()))?;
    }

    let cfg = clawback_synth::Config {
        seed,
        ..clawback_synth::Config::default()
    }
    .sized(customers, days)
    .with_schemes();
    writeln!(
        w,
        "simulating {customers} customers over {} days (seed {seed}) with {} refund-service gangs ...",
        cfg.days, cfg.refund_gangs
    )?;
    let (generated, labels) = simulate(&cfg, out)?;
    let corrupt_path = out.join("corrupt.jsonl");
    let mut f = BufWriter::new(
        File::create(&corrupt_path)
            .with_context(|| format!("creating {}", corrupt_path.display()))?,
    );
    for line in BAD_LINES {
        writeln!(f, "{line}")?;
    }
    f.flush()?;
    drop(f);
    writeln!(
        w,
        "world:   {generated} events, {labels} ground-truth labels, and {} corrupt lines in a second file",
        BAD_LINES.len()
    )?;

    // Last quarter's history, a different world of the same kind, to train the refund model
    // on: the model never sees the labels of the world it then decides.
    let history = out.join("history");
    std::fs::create_dir_all(&history)
        .with_context(|| format!("cannot create {}", history.display()))?;
    let hist_cfg = clawback_synth::Config {
        seed: seed.wrapping_add(1000),
        ..clawback_synth::Config::default()
    }
    .sized((customers / 2).max(1000), days)
    .with_schemes();
    simulate(&hist_cfg, &history)?;
    let model_path = out.join("refund.model");
    let trained = crate::train::run(&crate::train::TrainArgs {
        events: history.join("events.jsonl"),
        labels: history.join("labels.jsonl"),
        out: model_path.clone(),
        export: None,
        valid_share: 0.2,
        max_delayed: 0.025,
        max_trees: clawback_model::TrainParams::default().max_trees,
        learning_rate: clawback_model::TrainParams::default().learning_rate,
        max_leaves: clawback_model::TrainParams::default().max_leaves,
        threads: None,
        no_augment: false,
        text: crate::train::TextArgs::default(),
    })?;
    if let Some(r) = &trained.refund {
        writeln!(
            w,
            "train:   refund model on a separate history world (seed {}): {} labelled requests, {} trees in {:.1}s, validation AUC {:.3}, AP {:.3} -> {}",
            hist_cfg.seed,
            r.labelled_requests,
            r.trees,
            r.train_seconds,
            r.auc,
            r.average_precision,
            model_path.display()
        )?;
    }
    if let Some(c) = &trained.report_classifier {
        writeln!(
            w,
            "train:   report text classifier on the same world: {} labelled reports in {:.1}s, validation AUC {:.3}, AP {:.3}",
            c.labelled_reports, c.train_seconds, c.auc, c.average_precision
        )?;
    }

    let report = ingest::run(&data, &events_path, clawback_store::LogOptions::default())?;
    let bad = ingest::run(&data, &corrupt_path, clawback_store::LogOptions::default())?;
    writeln!(
        w,
        "ingest:  {} events stored durably in {}, {} duplicates; {} corrupt lines quarantined",
        report.accepted,
        data.display(),
        report.duplicates,
        bad.quarantined
    )?;

    let summary = replay::run(
        &Source::Data(data.clone()),
        out,
        clawback_engine::DEFAULT_SLACK_MS,
        replay::default_parse_threads(),
        &crate::setup::EngineSetup {
            model: Some(model_path.clone()),
            ..crate::setup::EngineSetup::default()
        },
    )?;
    writeln!(
        w,
        "replay:  {} events in {:.2}s ({:.0} events/s), {} decisions, {} alerts",
        summary.events,
        summary.seconds,
        summary.events_per_second,
        summary.decisions,
        summary.alerts
    )?;
    writeln!(w, "\ndecisions by outcome:")?;
    for (k, v) in &summary.decisions_by_outcome {
        writeln!(w, "  {k:<20} {v:>8}")?;
    }
    writeln!(w, "alerts by kind:")?;
    if summary.alerts_by_kind.is_empty() {
        writeln!(w, "  (none)")?;
    }
    for (k, v) in &summary.alerts_by_kind {
        writeln!(w, "  {k:<20} {v:>8}")?;
    }

    // The riskiest refund decisions, with their reasons: what an investigator opens first.
    let mut refunds: Vec<Decision> = Vec::new();
    let decisions = BufReader::new(File::open(out.join("decisions.jsonl"))?);
    for line in decisions.lines() {
        let d: Decision = serde_json::from_str(&line?).context("reading back decisions.jsonl")?;
        if d.point == clawback_events::output::Point::Refund {
            refunds.push(d);
        }
    }
    refunds.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    writeln!(w, "\nriskiest refund requests:")?;
    for d in refunds.iter().take(5) {
        let why: Vec<String> = d
            .reasons
            .iter()
            .take(3)
            .map(|r| format!("{} ({})", r.code, r.detail))
            .collect();
        writeln!(
            w,
            "  {:<14} {:<7} {:.2}  {}",
            d.id,
            d.decision.as_str(),
            d.score,
            why.join("; ")
        )?;
    }
    let c = crate::caught::measure(&events_path, &out.join("labels.jsonl"), out)?;
    let pct = |a: f64, b: f64| if b > 0.0 { 100.0 * a / b } else { 0.0 };
    writeln!(
        w,
        "\nwhat the model and rules caught (against the simulator's labels):"
    )?;
    writeln!(
        w,
        "  fraud refunds stopped   {} of {} (${:.0} of ${:.0}, {:.0}% of the money)",
        c.fraud_refunds_stopped,
        c.fraud_refunds,
        c.fraud_value_stopped_usd,
        c.fraud_value_usd,
        pct(c.fraud_value_stopped_usd, c.fraud_value_usd)
    )?;
    writeln!(
        w,
        "  honest refunds delayed  {} of {} ({:.1}%), denied {}",
        c.legit_delayed,
        c.legit_refunds,
        pct(c.legit_delayed as f64, c.legit_refunds as f64),
        c.legit_denied
    )?;
    writeln!(
        w,
        "  refund-service rings   {} of {} ring accounts named by fraud_ring alerts ({} named in all; {} rings)",
        c.ring_accounts_named_right, c.ring_accounts, c.ring_accounts_named, c.rings
    )?;
    writeln!(
        w,
        "  ban evaders            {} of {} flagged at signup or alerted; honest signups flagged {} of {} ({:.2}%)",
        c.evaders_caught,
        c.evaders,
        c.honest_signups_flagged,
        c.honest_signups,
        pct(c.honest_signups_flagged as f64, c.honest_signups as f64)
    )?;
    writeln!(
        w,
        "  insiders and stolen employee logins  {} named by an alert, of {}; honest employees accused {} of {}",
        c.insiders_alerted, c.insiders, c.honest_employees_accused, c.honest_employees
    )?;
    writeln!(
        w,
        "  data selling           {} of {} selling employees and sellers named by an alert",
        c.data_sellers_alerted, c.data_sellers
    )?;
    writeln!(
        w,
        "  phishing reports       {} of {} called phishing; {} campaigns in the labels, {} phishing_campaign alerts",
        c.phishing_caught, c.phishing_reports, c.campaigns, c.campaign_alerts
    )?;
    writeln!(
        w,
        "  refund services' posts {} of {} orders shown in posts matched by intel_match alerts ({} named in all)",
        c.intel_orders_named_right, c.intel_orders_shown, c.intel_orders_named
    )?;
    writeln!(
        w,
        "\noutputs: {}/{{decisions,alerts,quarantine}}.jsonl and summary.json; quarantine of the ingest: {}",
        out.display(),
        report.quarantine
    )?;
    writeln!(
        w,
        "full metrics: python3 ../shared/tools/evaluate.py {0}/events.jsonl {0}/labels.jsonl {0}/decisions.jsonl {0}/alerts.jsonl --pretty",
        out.display()
    )?;
    Ok(summary)
}
