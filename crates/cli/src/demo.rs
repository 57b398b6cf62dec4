//! `clawback demo`: the whole pipeline on an embedded synthetic world, end to end.
//!
//! Generates a stream (with a few corrupt lines, as real exports have), ingests it into a
//! fresh data directory, replays the stored log and shows what came out. Until the
//! marketplace simulator lands, the world is the small synthetic generator's: honest
//! traffic of every event type, no planted fraud rings, no labels.

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

/// Runs the demo into `out`, printing a report to `w`.
pub fn run(out: &Path, seed: u64, customers: u32, w: &mut dyn Write) -> Result<Summary> {
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
        customers,
        ..clawback_synth::Config::default()
    };
    let mut f = BufWriter::new(
        File::create(&events_path)
            .with_context(|| format!("creating {}", events_path.display()))?,
    );
    let generated =
        clawback_synth::write_jsonl(&cfg, &mut f).context("generating the demo world")?;
    for line in BAD_LINES {
        writeln!(f, "{line}")?;
    }
    f.flush()?;
    drop(f);
    writeln!(
        w,
        "clawback demo: {generated} synthetic events from {customers} customers over {} days (seed {seed}), plus {} corrupt lines",
        cfg.days,
        BAD_LINES.len()
    )?;

    let report = ingest::run(&data, &events_path, clawback_store::LogOptions::default())?;
    writeln!(
        w,
        "ingest:  {} events stored durably in {}, {} quarantined, {} duplicates",
        report.accepted,
        data.display(),
        report.quarantined,
        report.duplicates
    )?;

    let summary = replay::run(
        &Source::Data(data.clone()),
        out,
        clawback_engine::DEFAULT_SLACK_MS,
        replay::default_parse_threads(),
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
    writeln!(
        w,
        "\noutputs: {}/{{decisions,alerts,quarantine}}.jsonl and summary.json; quarantined lines of the ingest: {}",
        out.display(),
        report.quarantine
    )?;
    Ok(summary)
}
