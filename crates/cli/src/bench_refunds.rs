//! `clawback bench-refunds`: what a refund decision costs in-process (p50/p99 of
//! `Engine::apply` on `refund_requested`, baseline and with the model, measured in the same
//! run), and how long training takes on a large labelled matrix.
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
    /// p99 with the model / p99 of the baseline rules.
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

fn time_decisions(name: &'static str, mut engine: Engine, events: &[Event]) -> Latency {
    let mut ns: Vec<u64> = Vec::with_capacity(events.len() / 50);
    for ev in events {
        if matches!(ev.body, Body::RefundRequested(_)) {
            let t = Instant::now();
            let out = engine.apply(ev);
            ns.push(t.elapsed().as_nanos() as u64);
            std::hint::black_box(out);
        } else {
            std::hint::black_box(engine.apply(ev));
        }
    }
    ns.sort_unstable();
    let q = |p: f64| -> f64 {
        if ns.is_empty() {
            return 0.0;
        }
        let i = ((ns.len() as f64 - 1.0) * p).round() as usize;
        ns[i.min(ns.len() - 1)] as f64 / 1000.0
    };
    Latency {
        engine: name,
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
    let mut latency = vec![time_decisions("baseline", Engine::baseline(), &events)];
    if let Some(m) = &args.model {
        let setup = EngineSetup {
            model: Some(m.clone()),
            ..EngineSetup::default()
        };
        latency.push(time_decisions("model", setup.build()?, &events));
    }
    let ratio = (latency.len() == 2 && latency[0].p99_us > 0.0)
        .then(|| latency[1].p99_us / latency[0].p99_us);
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
