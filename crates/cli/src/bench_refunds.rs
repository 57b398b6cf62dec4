//! `clawback bench-refunds`: what a refund decision and a signup decision cost in-process
//! (p50/p99 of `Engine::apply` on `refund_requested` and `account_created`, baseline and
//! with the model, measured in the same run), and how long training takes on a large
//! labelled matrix.
//!
//! Latency is measured around `Engine::apply` alone, with events parsed beforehand, so it
//! is the engine's cost per decision, not I/O. The training matrix is the world's own
//! labelled feature vectors resampled with replacement (seeded) up to `--train-rows`: the
//! trainer's cost depends on rows × features and the data's shape, which resampling keeps.

use crate::lines::{Line, Lines};
use crate::setup::EngineSetup;
use crate::train::{collect_rows, read_labels};
use anyhow::{Context, Result};
use clawback_engine::features::N_REFUND_FEATURES;
use clawback_engine::{Engine, Sequencer};
use clawback_events::{Body, Event, parse_line};
use clawback_model::{Dataset, TrainParams};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BenchRefundsArgs {
    /// Events to replay (JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,
    /// A model file; decisions are timed without and with it.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Labels, to also time training on `--train-rows` resampled labelled requests.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    #[arg(long, default_value_t = 1_000_000)]
    pub train_rows: usize,
    /// Training threads (default: the machine's cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Latency percentiles of refund decisions, microseconds.
#[derive(Debug, Serialize)]
pub struct Latency {
    pub engine: &'static str,
    pub point: &'static str,
    pub decisions: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

#[derive(Debug, Serialize)]
pub struct TrainBench {
    pub rows: usize,
    pub features: usize,
    pub threads: usize,
    pub trees: usize,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct BenchRefundsReport {
    pub events: usize,
    pub latency: Vec<Latency>,
    /// Refund p99 with the model / refund p99 of the baseline rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_ratio_model_over_baseline: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainBench>,
}

fn load_events(path: &Path) -> Result<Vec<Event>> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("cannot open the events file {}", path.display()))?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 20, f));
    let mut seq = Sequencer::new(clawback_engine::DEFAULT_SLACK_MS);
    let mut out = Vec::new();
    while let Some((_, line)) = lines.next_line()? {
        if let Line::Data(d) = line
            && let Ok(ev) = parse_line(d)
        {
            seq.push(Box::new(ev));
            while let Some(ev) = seq.pop_ready() {
                out.push(*ev);
            }
        }
    }
    while let Some(ev) = seq.pop() {
        out.push(*ev);
    }
    Ok(out)
}

/// Times every refund decision and every signup decision of one replay.
fn time_decisions(name: &'static str, mut engine: Engine, events: &[Event]) -> [Latency; 2] {
    let mut refund: Vec<u64> = Vec::with_capacity(events.len() / 50);
    let mut signup: Vec<u64> = Vec::with_capacity(events.len() / 100);
    for ev in events {
        let slot = match ev.body {
            Body::RefundRequested(_) => Some(&mut refund),
            Body::AccountCreated(_) => Some(&mut signup),
            _ => None,
        };
        match slot {
            Some(v) => {
                let t = Instant::now();
                let out = engine.apply(ev);
                v.push(t.elapsed().as_nanos() as u64);
                std::hint::black_box(out);
            }
            None => {
                std::hint::black_box(engine.apply(ev));
            }
        }
    }
    [
        percentiles(name, "refund", refund),
        percentiles(name, "signup", signup),
    ]
}

fn percentiles(engine: &'static str, point: &'static str, mut ns: Vec<u64>) -> Latency {
    ns.sort_unstable();
    let q = |p: f64| -> f64 {
        if ns.is_empty() {
            return 0.0;
        }
        let i = ((ns.len() as f64 - 1.0) * p).round() as usize;
        ns[i.min(ns.len() - 1)] as f64 / 1000.0
    };
    Latency {
        engine,
        point,
        decisions: ns.len(),
        p50_us: q(0.5),
        p90_us: q(0.9),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: q(1.0),
    }
}

pub fn run(args: &BenchRefundsArgs) -> Result<BenchRefundsReport> {
    let events = load_events(&args.events)?;
    let mut latency: Vec<Latency> = time_decisions("baseline", Engine::baseline(), &events).into();
    if let Some(m) = &args.model {
        let setup = EngineSetup {
            model: Some(m.clone()),
            ..EngineSetup::default()
        };
        latency.extend(time_decisions("model", setup.build()?, &events));
    }
    let ratio = (latency.len() == 4 && latency[0].p99_us > 0.0)
        .then(|| latency[2].p99_us / latency[0].p99_us);
    // The same baseline with its account tables sized up front (what a deployment that
    // knows its customer base does): the difference is the cost of growing tables inside
    // decisions.
    let accounts = events
        .iter()
        .filter(|e| matches!(e.body, Body::AccountCreated(_)))
        .count();
    let mut reserved = Engine::baseline();
    reserved.reserve_accounts(accounts);
    latency.extend(time_decisions("baseline_reserved", reserved, &events));
    let training = match &args.labels {
        None => None,
        Some(labels) => {
            let labels = read_labels(labels)?;
            let (rows, _) = collect_rows(&args.events, &labels)?;
            anyhow::ensure!(!rows.is_empty(), "no labelled refund requests to resample");
            let mut rng = rand_pcg::Pcg64::seed_from_u64(0);
            let n = args.train_rows.max(1);
            let mut x = Vec::with_capacity(n * N_REFUND_FEATURES);
            let mut y = Vec::with_capacity(n);
            for _ in 0..n {
                let r = &rows[rng.random_range(0..rows.len())];
                x.extend_from_slice(&r.x[..]);
                y.push(labels.get(&r.refund_id).copied().unwrap_or(false));
            }
            let cut = n * 4 / 5;
            let threads = args
                .threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let params = TrainParams {
                threads,
                ..TrainParams::default()
            };
            let train = Dataset {
                n_features: N_REFUND_FEATURES,
                rows: &x[..cut * N_REFUND_FEATURES],
                labels: &y[..cut],
            };
            let valid = Dataset {
                n_features: N_REFUND_FEATURES,
                rows: &x[cut * N_REFUND_FEATURES..],
                labels: &y[cut..],
            };
            let t = Instant::now();
            let forest = clawback_model::train(&train, Some(&valid), &params, &mut |_| {})
                .context("training")?;
            Some(TrainBench {
                rows: n,
                features: N_REFUND_FEATURES,
                threads,
                trees: forest.n_trees(),
                seconds: t.elapsed().as_secs_f64(),
            })
        }
    };
    Ok(BenchRefundsReport {
        events: events.len(),
        latency,
        p99_ratio_model_over_baseline: ratio,
        training,
    })
}

/// `clawback bench-graph`: building the identity graph from scratch.
#[derive(Debug, clap::Args)]
pub struct BenchGraphArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub accounts: u32,
    /// Holder links in total (signups bring five each: e-mail, phone, device, place,
    /// building; the rest are cards and devices added later).
    #[arg(long, default_value_t = 10_000_000)]
    pub links: u64,
}

#[derive(Debug, Serialize)]
pub struct BenchGraphReport {
    pub accounts: usize,
    pub links: u64,
    pub events: u64,
    /// Time inside `IdentityGraph::observe` only (event generation and parsing excluded).
    pub graph_seconds: f64,
    pub total_seconds: f64,
    pub peak_rss_bytes: Option<u64>,
    /// Peak RSS over accounts and over links (an upper bound: it includes the process).
    pub bytes_per_account: Option<f64>,
    pub bytes_per_link: Option<f64>,
}

/// Synthetic identities: households share addresses, some people share a device, every
/// account gets cards and devices until the link budget is spent. Seeded.
pub fn bench_graph(args: &BenchGraphArgs) -> Result<BenchGraphReport> {
    use clawback_engine::IdentityGraph;
    let started = Instant::now();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(42);
    let mut graph = IdentityGraph::default();
    let mut sink = clawback_engine::AlertSink::default();
    let n = args.accounts.max(1);
    let extra = args.links.saturating_sub(u64::from(n) * 5);
    let per_account = extra.div_ceil(u64::from(n));
    let mut graph_ns: u128 = 0;
    let mut events = 0u64;
    let mut batch: Vec<Event> = Vec::with_capacity(4096);
    let mut flush = |batch: &mut Vec<Event>,
                     graph: &mut IdentityGraph,
                     sink: &mut clawback_engine::AlertSink| {
        let t = Instant::now();
        for ev in batch.iter() {
            graph.observe(ev, sink);
        }
        graph_ns += t.elapsed().as_nanos();
        events += batch.len() as u64;
        batch.clear();
        sink.clear();
    };
    let ts = |i: u64| {
        let secs = 1_790_000_000 + i;
        let t = time::OffsetDateTime::from_unix_timestamp(secs as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let mut seq = 0u64;
    for a in 0..n {
        let house = if rng.random_bool(0.1) {
            rng.random_range(0..n)
        } else {
            a
        };
        let device = if rng.random_bool(0.02) {
            rng.random_range(0..n)
        } else {
            a
        };
        let line = format!(
            r#"{{"event_id":"s{a}","type":"account_created","ts":"{}","account_id":"acct-{a}","email":"person.{a}@example.com","phone":"+1212{:07}","device_id":"dev-{device}","address":{{"line1":"{} Main Street","line2":"Apt {}","city":"Springfield","postal_code":"{:05}","country":"US"}}}}"#,
            ts(seq),
            a % 10_000_000,
            house % 9_000 + 1,
            house % 50,
            10_000 + house / 9_000 % 89_999,
        );
        seq += 1;
        batch.push(parse_line(line.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?);
        for k in 0..per_account {
            let line = if k % 2 == 0 {
                format!(
                    r#"{{"event_id":"p{a}-{k}","type":"payment_method_added","ts":"{}","account_id":"acct-{a}","payment_fingerprint":"pf-{a}-{k}"}}"#,
                    ts(seq)
                )
            } else {
                format!(
                    r#"{{"event_id":"l{a}-{k}","type":"login","ts":"{}","account_id":"acct-{a}","success":true,"device_id":"dev-{a}-{k}"}}"#,
                    ts(seq)
                )
            };
            seq += 1;
            batch.push(parse_line(line.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        if batch.len() >= 4096 {
            flush(&mut batch, &mut graph, &mut sink);
        }
    }
    flush(&mut batch, &mut graph, &mut sink);
    let (accounts, links, _) = graph.sizes();
    let rss = crate::progress::peak_rss_bytes();
    Ok(BenchGraphReport {
        accounts,
        links,
        events,
        graph_seconds: graph_ns as f64 / 1e9,
        total_seconds: started.elapsed().as_secs_f64(),
        peak_rss_bytes: rss,
        bytes_per_account: rss.map(|r| r as f64 / accounts.max(1) as f64),
        bytes_per_link: rss.map(|r| r as f64 / links.max(1) as f64),
    })
}

/// `clawback bench-insiders`: the insider detector's cost per event on worlds of growing
/// size, measured in one run.
#[derive(Debug, clap::Args)]
pub struct BenchInsidersArgs {
    /// World sizes in customers (staff scale with customers), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [2_000u32, 20_000])]
    pub customers: Vec<u32>,
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Alternating rounds with insiders on and off; the best of each is reported.
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    #[arg(
        long,
        value_name = "DIR",
        default_value = "target/clawback-bench-insiders"
    )]
    pub scratch: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct InsiderWorld {
    pub customers: u32,
    pub events: usize,
    /// Events about employees (logins, actions, contacts, receipts, refunds they raised or
    /// issued, look-ups).
    pub employee_events: usize,
    pub employees: usize,
    pub ns_per_event_insiders_on: f64,
    pub ns_per_event_insiders_off: f64,
    /// (on − off) over all events: what the insider detector adds per event.
    pub insider_ns_per_event: f64,
    /// (on − off) over employee events only.
    pub insider_ns_per_employee_event: f64,
}

#[derive(Debug, Serialize)]
pub struct BenchInsidersReport {
    pub days: u32,
    pub rounds: u32,
    pub worlds: Vec<InsiderWorld>,
    pub peak_rss_bytes: Option<u64>,
}

fn replay_ns(events: &[Event], insiders: bool) -> u128 {
    let mut engine = Engine::baseline();
    engine.set_insiders(insiders);
    let t = Instant::now();
    for ev in events {
        std::hint::black_box(engine.apply(ev));
    }
    t.elapsed().as_nanos()
}

fn about_employee(ev: &Event) -> bool {
    match &ev.body {
        Body::EmployeeLogin(_)
        | Body::EmployeeAction(_)
        | Body::SupportContact(_)
        | Body::ReturnReceived(_)
        | Body::DataAccess(_) => true,
        Body::RefundRequested(r) => r.employee_id.is_some(),
        Body::RefundIssued(r) => r.employee_id.is_some(),
        _ => false,
    }
}

pub fn bench_insiders(args: &BenchInsidersArgs) -> Result<BenchInsidersReport> {
    let mut worlds = Vec::new();
    for &customers in &args.customers {
        let dir = args
            .scratch
            .join(format!("world-{customers}-{}", args.days));
        if !dir.join("events.jsonl").exists() {
            // Simulated beside the cache and renamed when complete: an interrupted run must
            // not leave a truncated world that later runs would take for the real one.
            let partial = dir.with_extension("partial");
            let _ = std::fs::remove_dir_all(&partial);
            std::fs::create_dir_all(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            let cfg = clawback_synth::Config::default()
                .sized(customers, args.days)
                .with_schemes();
            crate::demo::simulate(&cfg, &partial)?;
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::rename(&partial, &dir)
                .with_context(|| format!("moving {} to {}", partial.display(), dir.display()))?;
        }
        let events = load_events(&dir.join("events.jsonl"))?;
        let employee_events = events.iter().filter(|e| about_employee(e)).count();
        let mut employees = std::collections::BTreeSet::new();
        for ev in &events {
            if let Body::EmployeeLogin(l) = &ev.body {
                employees.insert(l.employee_id.clone());
            }
        }
        let (mut on, mut off) = (u128::MAX, u128::MAX);
        for _ in 0..args.rounds.max(1) {
            off = off.min(replay_ns(&events, false));
            on = on.min(replay_ns(&events, true));
        }
        let n = events.len().max(1) as f64;
        let extra = on.saturating_sub(off) as f64;
        worlds.push(InsiderWorld {
            customers,
            events: events.len(),
            employee_events,
            employees: employees.len(),
            ns_per_event_insiders_on: on as f64 / n,
            ns_per_event_insiders_off: off as f64 / n,
            insider_ns_per_event: extra / n,
            insider_ns_per_employee_event: extra / employee_events.max(1) as f64,
        });
    }
    Ok(BenchInsidersReport {
        days: args.days,
        rounds: args.rounds.max(1),
        worlds,
        peak_rss_bytes: crate::progress::peak_rss_bytes(),
    })
}
