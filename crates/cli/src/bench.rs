//! `clawback bench`: whole-engine replay against a parse-only loop, on the same file, in
//! the same process, alternating rounds so that both see the same machine.
//!
//! The parse-only loop is the floor any replay pays: read each line and parse it into a
//! `serde_json::Value`. Replay does strictly more (typed parsing, validation,
//! de-duplication, reordering, every detector, writing outputs), so matching it means the
//! engine's own work is paid for by parsing into types instead of a tree.

use crate::lines::{Line, Lines};
use crate::replay::{self, Sinks, Source};
use anyhow::{Context, Result};
use clawback_events::output::JsonlWriter;
use serde::Serialize;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter};
use std::path::Path;
use std::time::Instant;

/// Results of one benchmark run.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub file: String,
    pub bytes: u64,
    pub events: u64,
    pub rounds: u32,
    /// Best round, events per second.
    pub parse_only_events_per_second: f64,
    /// `parse_line` alone: typed parsing and validation, no engine.
    pub typed_parse_events_per_second: f64,
    /// Whole replay with parsing on the reader thread: two threads, one parsing.
    pub replay_one_parser_events_per_second: f64,
    /// Whole replay with `parse_threads` parsers (the default of `clawback replay`).
    pub replay_events_per_second: f64,
    pub parse_threads: usize,
    /// replay / parse-only; >= 1 means replay is at least as fast as merely parsing.
    pub ratio: f64,
    /// replay with one parser / parse-only.
    pub ratio_one_parser: f64,
    pub parse_only_seconds: Vec<f64>,
    pub typed_parse_seconds: Vec<f64>,
    pub replay_one_parser_seconds: Vec<f64>,
    pub replay_seconds: Vec<f64>,
    pub accounts: usize,
    pub orders: usize,
    pub peak_rss_bytes: Option<u64>,
}

/// Typed parsing and validation alone (what replay pays before the engine).
fn typed_parse(path: &Path) -> Result<(u64, f64)> {
    let started = Instant::now();
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 20, f));
    let mut events = 0u64;
    while let Some((_, line)) = lines.next_line()? {
        if let Line::Data(d) = line
            && let Ok(ev) = clawback_events::parse_line(d)
        {
            events += 1;
            black_box(ev);
        }
    }
    Ok((events, started.elapsed().as_secs_f64()))
}

fn parse_only(path: &Path) -> Result<(u64, f64)> {
    let started = Instant::now();
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 20, f));
    let mut objects = 0u64;
    while let Some((_, line)) = lines.next_line()? {
        if let Line::Data(d) = line
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(d)
        {
            objects += u64::from(v.is_object());
            black_box(v);
        }
    }
    Ok((objects, started.elapsed().as_secs_f64()))
}

/// Runs `rounds` alternating rounds of both loops over `path`; replay outputs go to
/// `scratch`.
pub fn run(path: &Path, rounds: u32, scratch: &Path) -> Result<BenchReport> {
    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let bytes = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let (mut parse_s, mut typed_s, mut one_s, mut replay_s) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let threads = crate::replay::default_parse_threads();
    let mut events = 0;
    let mut entities = None;
    for _ in 0..rounds.max(1) {
        let (n, s) = parse_only(path)?;
        parse_s.push(s);
        events = n;
        typed_s.push(typed_parse(path)?.1);
        for (parsers, times) in [(1, &mut one_s), (threads, &mut replay_s)] {
            let mut d =
                BufWriter::with_capacity(1 << 20, File::create(scratch.join("decisions.jsonl"))?);
            let mut a =
                BufWriter::with_capacity(1 << 20, File::create(scratch.join("alerts.jsonl"))?);
            let mut q = BufWriter::new(File::create(scratch.join("quarantine.jsonl"))?);
            let mut sinks = Sinks {
                decisions: JsonlWriter::new(&mut d),
                alerts: JsonlWriter::new(&mut a),
            };
            let summary = replay::replay_into(
                &Source::Events(path.to_path_buf()),
                &mut clawback_engine::Engine::baseline(),
                clawback_engine::DEFAULT_SLACK_MS,
                parsers,
                &mut sinks,
                &mut q,
                &mut |_, _| Ok(()),
            )?;
            times.push(summary.seconds);
            entities = Some(summary.entities);
        }
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let parse_eps = events as f64 / best(&parse_s);
    let replay_eps = events as f64 / best(&replay_s);
    let one_eps = events as f64 / best(&one_s);
    Ok(BenchReport {
        file: path.display().to_string(),
        bytes,
        events,
        rounds: rounds.max(1),
        parse_only_events_per_second: parse_eps.round(),
        typed_parse_events_per_second: (events as f64 / best(&typed_s)).round(),
        replay_one_parser_events_per_second: one_eps.round(),
        replay_events_per_second: replay_eps.round(),
        parse_threads: threads,
        ratio_one_parser: (one_eps / parse_eps * 1000.0).round() / 1000.0,
        ratio: (replay_eps / parse_eps * 1000.0).round() / 1000.0,
        parse_only_seconds: parse_s,
        typed_parse_seconds: typed_s,
        replay_one_parser_seconds: one_s,
        replay_seconds: replay_s,
        accounts: entities.map_or(0, |e| e.accounts),
        orders: entities.map_or(0, |e| e.orders),
        peak_rss_bytes: crate::progress::peak_rss_bytes(),
    })
}

/// Results of a simulator benchmark.
#[derive(Debug, Serialize)]
pub struct SimulateReport {
    pub customers: u32,
    pub days: u32,
    pub events: u64,
    pub labels: u64,
    pub bytes: u64,
    pub rounds: u32,
    /// Best round: events (plus labels) written per second, to files in `scratch`.
    pub events_per_second: f64,
    pub seconds: Vec<f64>,
    pub peak_rss_bytes: Option<u64>,
}

/// Times `rounds` simulations of the default world at the given size, written to `scratch`.
pub fn simulate(customers: u32, days: u32, rounds: u32, scratch: &Path) -> Result<SimulateReport> {
    std::fs::create_dir_all(scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let cfg = clawback_synth::Config::default()
        .sized(customers, days)
        .with_schemes();
    let mut seconds = Vec::new();
    let (mut events, mut labels) = (0, 0);
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        (events, labels) = crate::demo::simulate(&cfg, scratch)?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    let bytes = ["events.jsonl", "labels.jsonl"]
        .iter()
        .filter_map(|f| std::fs::metadata(scratch.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    Ok(SimulateReport {
        customers,
        days,
        events,
        labels,
        bytes,
        rounds: rounds.max(1),
        events_per_second: ((events + labels) as f64 / best).round(),
        seconds,
        peak_rss_bytes: crate::progress::peak_rss_bytes(),
    })
}
