//! `clawback replay`: events in, decisions, alerts, quarantine and a summary out.

use crate::intake::{Intake, Parsed, classify};
use crate::lines::{Line, Lines};
use crate::progress;
use crate::setup::EngineSetup;
use anyhow::{Context, Result};
use clawback_engine::{Engine, FactSizes, Outputs, Sequencer};
use clawback_events::output::{Alert, Decision, JsonlWriter};
use clawback_events::{CONTRACT_VERSION, Event};
use clawback_rules::{Action, Mode};
use clawback_store::LogReader;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::Instant;

/// Where events come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A JSON Lines file, or standard input for `-`.
    Events(PathBuf),
    /// The stored log of a data directory.
    Data(PathBuf),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Events(p) if p.as_os_str() == "-" => "stdin".into(),
            Source::Events(p) => p.display().to_string(),
            Source::Data(p) => format!("log:{}", p.display()),
        }
    }
}

/// `summary.json`.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub contract_version: u32,
    pub source: String,
    /// Non-blank input lines (or stored records).
    pub lines: u64,
    /// Accepted events.
    pub events: u64,
    pub quarantined: u64,
    pub duplicates: u64,
    /// Events that arrived after later events had already been applied (beyond the
    /// reorder slack).
    pub late_events: u64,
    pub decisions: u64,
    pub alerts: u64,
    pub decisions_by_outcome: BTreeMap<String, u64>,
    pub alerts_by_kind: BTreeMap<String, u64>,
    pub entities: FactSizes,
    /// The stored log ended in a torn record (a crash mid-write; the next ingest repairs it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torn_tail: Option<bool>,
    /// Threads that parsed input (1: parsed on the reader thread).
    pub parse_threads: usize,
    pub seconds: f64,
    pub events_per_second: f64,
    pub peak_rss_bytes: Option<u64>,
    /// The refund model in use, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Per analyst rule: how often it fired and how often it changed the decision.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RuleTally>,
}

/// How one analyst rule behaved in a run.
#[derive(Debug, Default, Serialize)]
pub struct RuleTally {
    pub mode: &'static str,
    pub fired: u64,
    pub applied: u64,
}

/// Output sinks of a replay.
pub struct Sinks<'a> {
    pub decisions: JsonlWriter<&'a mut dyn Write>,
    pub alerts: JsonlWriter<&'a mut dyn Write>,
}

struct Tally {
    by_outcome: BTreeMap<String, u64>,
    by_kind: BTreeMap<String, u64>,
}

fn emit(
    sinks: &mut Sinks<'_>,
    tally: &mut Tally,
    decisions: &[Decision],
    alerts: &[Alert],
) -> std::io::Result<()> {
    for d in decisions {
        sinks.decisions.write(d)?;
        let key = format!("{}:{}", d.point.as_str(), d.decision.as_str());
        *tally.by_outcome.entry(key).or_default() += 1;
    }
    for a in alerts {
        sinks.alerts.write(a)?;
        *tally.by_kind.entry(a.kind.to_string()).or_default() += 1;
    }
    Ok(())
}

/// Lines per batch handed between threads.
const BATCH_LINES: usize = 1024;
/// Batches in flight per channel (bounds memory to a few thousand events).
const BATCHES_IN_FLIGHT: usize = 8;

/// Spare batch buffers, handed back by whichever thread emptied them. Batches are a few
/// hundred kilobytes; allocating them on one thread and freeing them on another made the
/// allocator fault in fresh pages for every batch (12% of the engine thread's time).
struct Pool<T> {
    spare: std::sync::Mutex<Vec<T>>,
}

impl<T> Pool<T> {
    fn new() -> Self {
        Self {
            spare: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<T> {
        self.spare.lock().ok().and_then(|mut v| v.pop())
    }

    fn give(&self, item: T) {
        if let Ok(mut v) = self.spare.lock()
            && v.len() < 4 * BATCHES_IN_FLIGHT
        {
            v.push(item);
        }
    }
}

/// The buffers recycled between the reader, the parsers and the engine thread.
struct Pools {
    raw: Pool<RawBatch>,
    parsed: Pool<Vec<(u64, Parsed)>>,
}

/// Raw lines read from the input: one buffer, and per line its number and byte range (or,
/// for an over-long line, its length and the kept head).
struct RawBatch {
    no: u64,
    buf: Vec<u8>,
    lines: Vec<(u64, usize, usize, Option<usize>)>,
    position: u64,
}

impl RawBatch {
    fn new(no: u64, pools: &Pools) -> Self {
        match pools.raw.take() {
            Some(mut b) => {
                b.no = no;
                b.buf.clear();
                b.lines.clear();
                b.position = 0;
                b
            }
            None => Self {
                no,
                buf: Vec::with_capacity(BATCH_LINES * 256),
                lines: Vec::with_capacity(BATCH_LINES),
                position: 0,
            },
        }
    }

    fn push(&mut self, line_no: u64, line: Line<'_>) {
        let (bytes, too_long) = match line {
            Line::Data(d) => (d, None),
            Line::TooLong { len, head } => (head, Some(len)),
        };
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.lines.push((line_no, start, self.buf.len(), too_long));
    }

    fn parse(self, pools: &Pools) -> ParsedBatch {
        let mut items = pools
            .parsed
            .take()
            .unwrap_or_else(|| Vec::with_capacity(BATCH_LINES));
        items.extend(self.lines.iter().map(|&(line_no, a, b, too_long)| {
            let bytes = &self.buf[a..b];
            let line = match too_long {
                None => Line::Data(bytes),
                Some(len) => Line::TooLong { len, head: bytes },
            };
            (line_no, classify(line))
        }));
        let batch = ParsedBatch {
            no: self.no,
            items,
            position: self.position,
        };
        pools.raw.give(self);
        batch
    }
}

/// Parsed lines of one batch, in input order.
struct ParsedBatch {
    no: u64,
    items: Vec<(u64, Parsed)>,
    position: u64,
}

/// Messages to the engine thread.
enum Msg {
    Batch(ParsedBatch),
    /// The input ended after `batches` batches.
    Done {
        batches: u64,
        torn_tail: Option<bool>,
    },
    Failed(anyhow::Error),
}

/// Where the reader sends raw batches: parsed inline (one thread) or to parse workers.
enum RawSink {
    Inline(SyncSender<Msg>),
    Workers(SyncSender<RawBatch>, SyncSender<Msg>),
}

impl RawSink {
    /// False when the receiving side has stopped (it reports why).
    fn send(&self, batch: RawBatch, pools: &Pools) -> bool {
        match self {
            RawSink::Inline(tx) => tx.send(Msg::Batch(batch.parse(pools))).is_ok(),
            RawSink::Workers(tx, _) => tx.send(batch).is_ok(),
        }
    }

    fn finish(self, msg: Msg) {
        let tx = match self {
            RawSink::Inline(tx) => tx,
            RawSink::Workers(raw, tx) => {
                drop(raw); // lets the workers finish
                tx
            }
        };
        let _ = tx.send(msg);
    }
}

/// The input of a replay, opened before any thread starts so that a missing file or log
/// fails early with its own message.
enum Input {
    Lines(Box<dyn BufRead + Send>, String),
    Log(LogReader, PathBuf),
}

/// Reads the input into raw batches. Batches are numbered so the engine thread can apply
/// them in input order whichever worker parsed them.
fn read_input(input: Input, sink: RawSink, pools: &Pools) {
    let mut batch = RawBatch::new(0, pools);
    let mut no = 0u64;
    let mut next = |batch: &mut RawBatch, position: u64| -> bool {
        batch.position = position;
        no += 1;
        let full = std::mem::replace(batch, RawBatch::new(no, pools));
        sink.send(full, pools)
    };
    let (result, torn_tail) = match input {
        Input::Lines(reader, what) => {
            let mut lines = Lines::new(reader);
            let result = loop {
                match lines.next_line() {
                    Ok(Some((line_no, line))) => {
                        batch.push(line_no, line);
                        if batch.lines.len() == BATCH_LINES && !next(&mut batch, lines.bytes_read())
                        {
                            return;
                        }
                    }
                    Ok(None) => break Ok(lines.bytes_read()),
                    Err(e) => break Err(anyhow::Error::new(e).context(format!("reading {what}"))),
                }
            };
            (result, None)
        }
        Input::Log(mut log, dir) => {
            let mut record_no = 0u64;
            let result = loop {
                match log.next_record() {
                    Ok(Some(rec)) => {
                        record_no += 1;
                        batch.push(record_no, Line::Data(rec.event_json));
                        if batch.lines.len() == BATCH_LINES && !next(&mut batch, log.position()) {
                            return;
                        }
                    }
                    Ok(None) => break Ok(log.position()),
                    Err(e) => {
                        break Err(anyhow::Error::new(e)
                            .context(format!("reading the event log in {}", dir.display())));
                    }
                }
            };
            (result, Some(log.torn_tail))
        }
    };
    match result {
        Ok(position) => {
            if !batch.lines.is_empty() && !next(&mut batch, position) {
                return;
            }
            sink.finish(Msg::Done {
                batches: no,
                torn_tail,
            });
        }
        Err(e) => sink.finish(Msg::Failed(e)),
    }
}

/// Sees every applied event and its outputs before they are written (training export, rule
/// tallies, the service's read model).
pub type Tap<'t> = &'t mut dyn FnMut(&Event, &Outputs) -> Result<()>;

/// Replays `source` through `engine` (fresh, or configured by the caller) into `sinks`;
/// rejected lines go to `quarantine`.
pub fn replay_into(
    source: &Source,
    engine: &mut Engine,
    slack_ms: i64,
    parse_threads: usize,
    sinks: &mut Sinks<'_>,
    quarantine: &mut dyn Write,
    tap: Tap<'_>,
) -> Result<Summary> {
    let started = Instant::now();
    let mut seq = Sequencer::new(slack_ms);
    let mut tally = Tally {
        by_outcome: BTreeMap::new(),
        by_kind: BTreeMap::new(),
    };
    let mut torn_tail = None;

    let (input, total) = match source {
        Source::Events(path) => {
            let (reader, total) = crate::lines::open_input(path)?;
            (Input::Lines(reader, source.describe()), total)
        }
        Source::Data(dir) => {
            let log = LogReader::open(dir)
                .with_context(|| format!("opening the event log in {}", dir.display()))?;
            let total = log.total_bytes();
            (Input::Log(log, dir.clone()), Some(total))
        }
    };
    let pb = progress::bar(total, "replay");
    // About 200 bytes per event line; capped so a huge file cannot reserve absurd memory.
    let expected = match source {
        Source::Events(_) => total.map_or(0, |bytes| (bytes / 200).min(50_000_000) as usize),
        Source::Data(_) => 0,
    };
    let mut intake =
        Intake::with_expected(quarantine, matches!(source, Source::Events(_)), expected);

    let pools = Pools {
        raw: Pool::new(),
        parsed: Pool::new(),
    };
    let pools = &pools;
    // The last event applied: its time stamps what `Engine::finish` raises at the end.
    let mut last = None;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = sync_channel::<Msg>(BATCHES_IN_FLIGHT);
        if parse_threads <= 1 {
            let sink = RawSink::Inline(tx);
            scope.spawn(move || read_input(input, sink, pools));
        } else {
            let (raw_tx, raw_rx) = sync_channel::<RawBatch>(BATCHES_IN_FLIGHT);
            // Shared by the workers; when the last one stops, the receiver is dropped and a
            // reader blocked on a full channel wakes up with an error instead of hanging.
            let raw_rx = std::sync::Arc::new(std::sync::Mutex::new(raw_rx));
            for _ in 0..parse_threads {
                let tx = tx.clone();
                let raw_rx = std::sync::Arc::clone(&raw_rx);
                scope.spawn(move || {
                    loop {
                        let next = match raw_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(batch) = next else { return };
                        if tx.send(Msg::Batch(batch.parse(pools))).is_err() {
                            return;
                        }
                    }
                });
            }
            let sink = RawSink::Workers(raw_tx, tx);
            scope.spawn(move || read_input(input, sink, pools));
        }
        // Batches may arrive out of order from several workers: hold them until their turn.
        let mut waiting: BTreeMap<u64, ParsedBatch> = BTreeMap::new();
        let mut next_no = 0u64;
        let mut end: Option<u64> = None;
        for msg in rx {
            match msg {
                Msg::Batch(b) => {
                    waiting.insert(b.no, b);
                }
                Msg::Done {
                    batches,
                    torn_tail: t,
                } => {
                    torn_tail = t;
                    end = Some(batches);
                }
                Msg::Failed(e) => return Err(e),
            }
            while let Some(mut batch) = waiting.remove(&next_no) {
                next_no += 1;
                for (line_no, parsed) in batch.items.drain(..) {
                    if let Some(ev) = intake
                        .record(line_no, parsed)
                        .context("writing the quarantine")?
                    {
                        seq.push(ev);
                        while let Some(ev) = seq.pop_ready() {
                            let out = engine.apply(&ev);
                            tap(&ev, &out)?;
                            emit(sinks, &mut tally, &out.decisions, &out.alerts)
                                .context("writing outputs")?;
                            last = Some(ev);
                        }
                    }
                }
                pb.set_position(batch.position);
                pools.parsed.give(batch.items);
            }
            if end == Some(next_no) {
                break;
            }
        }
        Ok(())
    })?;
    pb.finish_and_clear();
    intake.flush().context("writing the quarantine")?;
    let counts = intake.counts;
    while let Some(ev) = seq.pop() {
        let out = engine.apply(&ev);
        tap(&ev, &out)?;
        emit(sinks, &mut tally, &out.decisions, &out.alerts).context("writing outputs")?;
        last = Some(ev);
    }
    // The input has ended: what detectors hold for later events (campaign reports waiting
    // for their digest) is raised now.
    if let Some(last) = last {
        let out = engine.finish(&last);
        emit(sinks, &mut tally, &out.decisions, &out.alerts).context("writing outputs")?;
    }
    sinks.decisions.flush().context("writing decisions")?;
    sinks.alerts.flush().context("writing alerts")?;
    let seconds = started.elapsed().as_secs_f64();
    let stats = engine.stats();
    Ok(Summary {
        contract_version: CONTRACT_VERSION,
        source: source.describe(),
        lines: counts.lines,
        events: counts.events,
        quarantined: counts.quarantined,
        duplicates: counts.duplicates,
        late_events: seq.late(),
        decisions: stats.decisions,
        alerts: stats.alerts,
        decisions_by_outcome: tally.by_outcome,
        alerts_by_kind: tally.by_kind,
        entities: engine.facts().sizes(),
        torn_tail,
        parse_threads,
        seconds,
        events_per_second: if seconds > 0.0 {
            counts.events as f64 / seconds
        } else {
            0.0
        },
        peak_rss_bytes: progress::peak_rss_bytes(),
        model: engine.refund().model().map(|m| {
            format!(
                "{} trees on {} features, trained on {} .. {}, validation AUC {:.4}",
                m.forest.n_trees(),
                m.features.len(),
                m.trained.first_ts,
                m.trained.last_ts,
                m.metrics.auc
            )
        }),
        rules: BTreeMap::new(),
    })
}

/// Replays an events file through `engine` for its taps alone (training export, rule
/// backtests): decisions, alerts and quarantine go nowhere.
pub fn replay_for_tap(events: &Path, engine: &mut Engine, tap: Tap<'_>) -> Result<Summary> {
    let mut sink_d = std::io::sink();
    let mut sink_a = std::io::sink();
    let mut sinks = Sinks {
        decisions: JsonlWriter::new(&mut sink_d as &mut dyn Write),
        alerts: JsonlWriter::new(&mut sink_a as &mut dyn Write),
    };
    replay_into(
        &Source::Events(events.to_path_buf()),
        engine,
        clawback_engine::DEFAULT_SLACK_MS,
        default_parse_threads(),
        &mut sinks,
        &mut std::io::sink(),
        tap,
    )
    .with_context(|| format!("replaying {}", events.display()))
}

#[derive(Serialize)]
struct RuleHitLine<'a> {
    refund_id: &'a str,
    rule: &'a str,
    action: String,
    mode: &'static str,
    applied: bool,
}

pub fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Enforce => "enforce",
        Mode::Shadow => "shadow",
    }
}

pub fn action_str(a: &Action) -> String {
    match a {
        Action::Approve => "approve".into(),
        Action::Hold => "hold".into(),
        Action::Review => "review".into(),
        Action::Deny => "deny".into(),
        Action::Tag(t) => format!("tag:{t}"),
    }
}

fn create(out: &Path, name: &str) -> Result<BufWriter<File>> {
    let path = out.join(name);
    let f = File::create(&path).with_context(|| {
        format!(
            "cannot create {} (is the output directory writable?)",
            path.display()
        )
    })?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Parse threads to use by default: the machine's cores, at most 4 (beyond that the single
/// engine thread is the limit).
pub fn default_parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Replays `source` into `out/{decisions,alerts,quarantine}.jsonl` and `out/summary.json`.
/// With analyst rules, every rule that fires is also written to `out/rules.jsonl` (shadow
/// rules are only ever visible there).
pub fn run(
    source: &Source,
    out: &Path,
    slack_ms: i64,
    parse_threads: usize,
    setup: &EngineSetup,
) -> Result<Summary> {
    let mut engine = setup.build()?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output directory {}", out.display()))?;
    let mut decisions = create(out, "decisions.jsonl")?;
    let mut alerts = create(out, "alerts.jsonl")?;
    let mut quarantine = create(out, "quarantine.jsonl")?;
    let mut hits = create(out, "rules.jsonl")?;
    let mut tallies: BTreeMap<String, RuleTally> = BTreeMap::new();
    let mut summary = {
        let mut sinks = Sinks {
            decisions: JsonlWriter::new(&mut decisions),
            alerts: JsonlWriter::new(&mut alerts),
        };
        let mut hit_writer = JsonlWriter::new(&mut hits);
        let mut tap = |_: &Event, o: &Outputs| -> Result<()> {
            for h in &o.rule_hits {
                let t = tallies.entry(h.rule_id.clone()).or_default();
                t.mode = mode_str(h.mode);
                t.fired += 1;
                t.applied += u64::from(h.applied);
                let line = RuleHitLine {
                    refund_id: h.refund_id.as_str(),
                    rule: &h.rule_id,
                    action: action_str(&h.action),
                    mode: mode_str(h.mode),
                    applied: h.applied,
                };
                hit_writer.write(&line).context("writing rules.jsonl")?;
            }
            Ok(())
        };
        let s = replay_into(
            source,
            &mut engine,
            slack_ms,
            parse_threads,
            &mut sinks,
            &mut quarantine,
            &mut tap,
        )?;
        hit_writer.flush().context("writing rules.jsonl")?;
        s
    };
    if let Some(rules) = engine.refund().rules() {
        for r in rules.rules() {
            tallies.entry(r.id.clone()).or_default().mode = mode_str(r.mode);
        }
    }
    summary.rules = tallies;
    for (w, name) in [
        (&mut decisions, "decisions.jsonl"),
        (&mut alerts, "alerts.jsonl"),
        (&mut quarantine, "quarantine.jsonl"),
        (&mut hits, "rules.jsonl"),
    ] {
        w.flush()
            .with_context(|| format!("writing {}", out.join(name).display()))?;
    }
    let path = out.join("summary.json");
    let mut text = serde_json::to_string_pretty(&summary).context("encoding the summary")?;
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(summary)
}
