//! `clawback train`: replays events through the same engine that serves, captures each
//! labelled refund request's feature vector exactly as the decision saw it, trains the
//! gradient-boosted model on the earliest 80% (in time), validates on the latest 20%,
//! chooses the policy's costs and bars on the validation part, and writes the model file.

use crate::lines::Lines;
use crate::progress;
use crate::replay;
use anyhow::{Context, Result, bail};
use clawback_engine::features::{F, N_REFUND_FEATURES, REFUND_FEATURES, RefundFeatures};
use clawback_engine::{Engine, RefundCosts};
use clawback_events::output::Outcome;
use clawback_events::{Body, Id, LabelEntity, Verdict, parse_line};
use clawback_model::metrics::{average_precision, log_loss, roc_auc};
use clawback_model::{
    Dataset, FeatureSpec, ModelFile, TrainParams, TrainingInfo, TreeModel, ValidationMetrics,
};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `clawback train` arguments.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The events to learn from (JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,
    /// Ground truth: contract `label` lines. Labels of other entities are ignored.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Where to write the model file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the labelled feature matrix as CSV (with the train/valid split), for
    /// comparing trainers (bench/lightgbm_compare.py).
    #[arg(long, value_name = "CSV")]
    pub export: Option<PathBuf>,
    /// Share of the labelled requests, the latest in time, held out for validation.
    #[arg(long, default_value_t = 0.2)]
    pub valid_share: f64,
    /// The policy chooses the cheapest hold cost that keeps at most this share of honest
    /// validation refunds delayed.
    #[arg(long, default_value_t = 0.025)]
    pub max_delayed: f64,
    #[arg(long, default_value_t = TrainParams::default().max_trees)]
    pub max_trees: usize,
    #[arg(long, default_value_t = TrainParams::default().learning_rate)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = TrainParams::default().max_leaves)]
    pub max_leaves: usize,
    /// Training threads (default: the machine's cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Do not add the masked copies of training rows (see `augment`).
    #[arg(long)]
    pub no_augment: bool,
}

/// Families of evidence a world may simply not have (no support contacts recorded, no
/// employee ids, no carrier weights…), by feature-name prefix.
const EVIDENCE_FAMILIES: &[&[&str]] = &[
    &["contact_", "account_unverified_contacts"],
    &["agent_", "raised_by_agent"],
    &["return_", "receipt_", "receiver_"],
    &[
        "delivered",
        "days_since_delivery",
        "delivery_",
        "shipped_weight_g",
    ],
    &["account_", "days_since_last_refund"],
    &["amount_", "order_"],
];

/// Adds, for every training row, a copy with one family of evidence masked as unknown
/// (the family cycles with the row). Why: in a world where one family separates fraud
/// almost perfectly (our simulator's operator footprint), trees stop looking at anything
/// else, and a retailer whose data lacks that family, or a gang that stops leaving it,
/// would get a model with nothing to fall back on. The masked copies teach the model the
/// other evidence too; validation rows are never masked, so the printed metrics are honest.
fn augment(x: &mut Vec<f32>, y: &mut Vec<bool>) {
    let families: Vec<Vec<usize>> = EVIDENCE_FAMILIES
        .iter()
        .map(|prefixes| {
            REFUND_FEATURES
                .iter()
                .enumerate()
                .filter(|(_, f)| prefixes.iter().any(|p| f.name.starts_with(p)))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let n = y.len();
    x.reserve(n * N_REFUND_FEATURES);
    y.reserve(n);
    for i in 0..n {
        let start = i * N_REFUND_FEATURES;
        let mut row: RefundFeatures = [f32::NAN; N_REFUND_FEATURES];
        row.copy_from_slice(&x[start..start + N_REFUND_FEATURES]);
        for &j in &families[i % families.len()] {
            row[j] = f32::NAN;
        }
        x.extend_from_slice(&row);
        y.push(y[i]);
    }
}

/// What `train` prints (and stores in the model file).
#[derive(Debug, Serialize)]
pub struct TrainReport {
    pub model: String,
    pub labelled_requests: usize,
    pub unlabelled_requests: usize,
    pub train_rows: usize,
    pub valid_rows: usize,
    pub valid_from: String,
    pub trees: usize,
    pub auc: f64,
    pub average_precision: f64,
    pub log_loss: f64,
    pub replay_seconds: f64,
    pub train_seconds: f64,
    pub chosen: BTreeMap<String, f64>,
    /// What the chosen policy does on the validation part.
    pub validation_policy: PolicyOutcome,
    pub candidates: Vec<PolicyOutcome>,
}

/// The effect of one set of costs on labelled requests.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PolicyOutcome {
    pub hold_cost_usd: f64,
    pub honest_delayed: f64,
    pub honest_denied: f64,
    pub fraud_value_stopped: f64,
    pub fraud_count_stopped: f64,
}

/// One labelled refund request as the decision saw it.
pub struct Row {
    pub refund_id: Id,
    pub ts: String,
    pub x: Box<RefundFeatures>,
}

/// Replays `events` through a baseline engine with feature capture and returns the
/// requests that have a label, in event-time order, and how many had none.
pub fn collect_rows(events: &Path, labels: &FxHashMap<Id, bool>) -> Result<(Vec<Row>, usize)> {
    let mut engine = Engine::baseline();
    engine.capture_features(true);
    let mut rows: Vec<Row> = Vec::new();
    let mut unlabelled = 0usize;
    let mut tap = |_: &clawback_events::Event, o: &clawback_engine::Outputs| -> Result<()> {
        if let (Some(x), Some(d)) = (&o.features, o.decisions.first()) {
            if labels.contains_key(&d.id) {
                rows.push(Row {
                    refund_id: d.id.clone(),
                    ts: d.ts.to_string(),
                    x: x.clone(),
                });
            } else {
                unlabelled += 1;
            }
        }
        Ok(())
    };
    replay::replay_for_tap(events, &mut engine, &mut tap)?;
    Ok((rows, unlabelled))
}

/// Reads refund labels (`fraud` → true); other entities are skipped, bad lines counted.
pub fn read_labels(path: &Path) -> Result<FxHashMap<Id, bool>> {
    let (reader, _) = crate::lines::open_input(path)
        .with_context(|| format!("reading the labels file {}", path.display()))?;
    let mut lines = Lines::new(reader);
    let mut labels = FxHashMap::default();
    let mut bad = 0u64;
    let mut first_bad = None;
    while let Some((no, line)) = lines
        .next_line()
        .with_context(|| format!("reading {}", path.display()))?
    {
        let crate::lines::Line::Data(bytes) = line else {
            bad += 1;
            continue;
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(bytes) {
            Ok(ev) => {
                if let Body::Label(l) = ev.body
                    && l.entity == LabelEntity::Refund
                {
                    labels.insert(l.id, l.label == Verdict::Fraud);
                }
            }
            Err(e) => {
                bad += 1;
                if first_bad.is_none() {
                    first_bad = Some(format!("{}:{no}: {e}", path.display()));
                }
            }
        }
    }
    if let Some(first) = first_bad {
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "warning: skipped {bad} unreadable label lines; the first: {first}"
        )?;
    }
    if labels.is_empty() {
        bail!(
            "{} holds no refund labels (label lines with \"entity\":\"refund\"); there is nothing to train on",
            path.display()
        );
    }
    Ok(labels)
}

fn outcome_of(costs: &RefundCosts, score: f64, x: &RefundFeatures) -> Outcome {
    let amount = x[F::AmountUsd as usize] as f64;
    let can_hold = x[F::HasReturn as usize] >= 0.5;
    let o = costs.outcome(score, amount, can_hold);
    if o == Outcome::Hold && !can_hold {
        Outcome::Review
    } else {
        o
    }
}

fn evaluate_policy(
    costs: &RefundCosts,
    scores: &[f64],
    rows: &[&Row],
    y: &[bool],
) -> PolicyOutcome {
    let (mut honest, mut delayed, mut denied) = (0u64, 0u64, 0u64);
    let (mut fraud_value, mut stopped_value, mut fraud, mut stopped) = (0.0, 0.0, 0u64, 0u64);
    for ((s, r), &is_fraud) in scores.iter().zip(rows).zip(y) {
        let o = outcome_of(costs, *s, &r.x);
        let amount = r.x[F::AmountUsd as usize] as f64;
        if is_fraud {
            fraud += 1;
            fraud_value += amount;
            if o != Outcome::Approve {
                stopped += 1;
                stopped_value += amount;
            }
        } else {
            honest += 1;
            delayed += u64::from(o != Outcome::Approve);
            denied += u64::from(o == Outcome::Deny);
        }
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    PolicyOutcome {
        hold_cost_usd: costs.hold_cost_usd,
        honest_delayed: ratio(delayed as f64, honest as f64),
        honest_denied: ratio(denied as f64, honest as f64),
        fraud_value_stopped: ratio(stopped_value, fraud_value),
        fraud_count_stopped: ratio(stopped as f64, fraud as f64),
    }
}

/// The lowest score bar above which the validation precision stays at least `target`
/// (over the whole set above the bar), with at least `min_pos` frauds above it; above 1
/// (never) when no bar reaches it.
fn precision_bar(scores: &[f64], y: &[bool], target: f64, min_pos: u64) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let (mut tp, mut n) = (0u64, 0u64);
    let mut bar = 1.01;
    let mut i = 0;
    while i < idx.len() {
        // Take ties together: a bar cannot split equal scores.
        let s = scores[idx[i]];
        while i < idx.len() && scores[idx[i]] == s {
            tp += u64::from(y[idx[i]]);
            n += 1;
            i += 1;
        }
        if tp >= min_pos && tp as f64 >= target * n as f64 {
            bar = s;
        }
    }
    bar
}

pub fn run(args: &TrainArgs) -> Result<TrainReport> {
    let labels = read_labels(&args.labels)?;
    if !(0.01..=0.9).contains(&args.valid_share) {
        bail!(
            "--valid-share must be between 0.01 and 0.9 (got {})",
            args.valid_share
        );
    }

    // 1. Replay through the serving engine, capturing feature vectors.
    let started = Instant::now();
    let (rows, unlabelled) = collect_rows(&args.events, &labels)?;
    let replay_seconds = started.elapsed().as_secs_f64();
    if rows.len() < 50 {
        bail!(
            "only {} refund requests in {} have labels in {}; at least 50 are needed to train and validate",
            rows.len(),
            args.events.display(),
            args.labels.display()
        );
    }

    // 2. Split by time: rows are in event-time order (the engine's order).
    let n_valid = ((rows.len() as f64) * args.valid_share).round().max(1.0) as usize;
    let n_train = rows.len() - n_valid;
    let (train_rows, valid_rows) = rows.split_at(n_train);
    let matrix = |rs: &[Row]| -> (Vec<f32>, Vec<bool>) {
        let mut m = Vec::with_capacity(rs.len() * N_REFUND_FEATURES);
        let mut y = Vec::with_capacity(rs.len());
        for r in rs {
            m.extend_from_slice(&r.x[..]);
            y.push(labels.get(&r.refund_id).copied().unwrap_or(false));
        }
        (m, y)
    };
    let (mut xt, mut yt) = matrix(train_rows);
    let (xv, yv) = matrix(valid_rows);
    if let Some(path) = &args.export {
        export_csv(path, train_rows, &yt, valid_rows, &yv)?;
    }
    if !args.no_augment {
        augment(&mut xt, &mut yt);
    }
    let pos_t = yt.iter().take(n_train).filter(|&&y| y).count();
    let pos_v = yv.iter().filter(|&&y| y).count();
    if pos_t == 0 || pos_t == n_train {
        bail!(
            "the training part ({} requests) has only one class ({} fraud); label both fraud and legit refunds",
            n_train,
            pos_t
        );
    }

    // 3. Train.
    let params = TrainParams {
        max_trees: args.max_trees,
        learning_rate: args.learning_rate,
        max_leaves: args.max_leaves,
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        ..TrainParams::default()
    };
    let pb = progress::rounds_bar(params.max_trees as u64, "train");
    let t0 = Instant::now();
    let train_set = Dataset {
        n_features: N_REFUND_FEATURES,
        rows: &xt,
        labels: &yt,
    };
    let valid_set = Dataset {
        n_features: N_REFUND_FEATURES,
        rows: &xv,
        labels: &yv,
    };
    let forest = clawback_model::train(&train_set, Some(&valid_set), &params, &mut |p| {
        pb.set_position(p.round as u64);
    })
    .context("training the refund model")?;
    pb.finish_and_clear();
    let train_seconds = t0.elapsed().as_secs_f64();

    // 4. Validate and choose the policy.
    let scores: Vec<f64> = xv
        .chunks_exact(N_REFUND_FEATURES)
        .map(|x| forest.predict_proba(x))
        .collect();
    let auc = roc_auc(&scores, &yv);
    let ap = average_precision(&scores, &yv);
    let ll = log_loss(&scores, &yv);
    let valid_refs: Vec<&Row> = valid_rows.iter().collect();
    let mut costs = RefundCosts {
        deny_bar: precision_bar(&scores, &yv, 0.995, 20).max(0.98),
        review_bar: precision_bar(&scores, &yv, 0.9, 10).max(0.5),
        ..RefundCosts::default()
    };
    if costs.review_bar > costs.deny_bar {
        costs.review_bar = costs.deny_bar;
    }
    let mut candidates = Vec::new();
    let mut chosen = None;
    for cost in [
        5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0, 2560.0, 5120.0,
    ] {
        let c = RefundCosts {
            hold_cost_usd: cost,
            review_cost_usd: cost * 2.0,
            ..costs
        };
        let o = evaluate_policy(&c, &scores, &valid_refs, &yv);
        candidates.push(o);
        if chosen.is_none() && o.honest_delayed <= args.max_delayed {
            chosen = Some((c, o));
        }
    }
    let (costs, outcome) = match chosen {
        Some(x) => x,
        None => {
            let c = RefundCosts {
                hold_cost_usd: 5120.0,
                review_cost_usd: 10240.0,
                ..costs
            };
            (c, evaluate_policy(&c, &scores, &valid_refs, &yv))
        }
    };
    let mut thresholds = BTreeMap::new();
    thresholds.insert("hold_cost_usd".to_string(), costs.hold_cost_usd);
    thresholds.insert("review_cost_usd".to_string(), costs.review_cost_usd);
    thresholds.insert("min_hold_score".to_string(), costs.min_hold_score);
    thresholds.insert("review_bar".to_string(), costs.review_bar);
    thresholds.insert("deny_bar".to_string(), costs.deny_bar);

    let first_ts = rows.first().map(|r| r.ts.clone()).unwrap_or_default();
    let last_ts = rows.last().map(|r| r.ts.clone()).unwrap_or_default();
    let valid_from = valid_rows.first().map(|r| r.ts.clone()).unwrap_or_default();
    let model = TreeModel {
        features: REFUND_FEATURES
            .iter()
            .map(|f| FeatureSpec {
                name: f.name.to_string(),
                meaning: f.meaning.to_string(),
            })
            .collect(),
        trained: TrainingInfo {
            first_ts,
            last_ts,
            train_rows: n_train as u64,
            train_positives: pos_t as u64,
            valid_rows: n_valid as u64,
            valid_positives: pos_v as u64,
            valid_from_ts: valid_from.clone(),
            seconds: train_seconds,
        },
        metrics: ValidationMetrics {
            auc,
            average_precision: ap,
            log_loss: ll,
        },
        thresholds: thresholds.clone(),
        params,
        forest,
    };
    let trees = model.forest.n_trees();
    let mut models = BTreeMap::new();
    models.insert("refund".to_string(), model);
    let file = ModelFile {
        models,
        created_by: format!("clawback {}", env!("CARGO_PKG_VERSION")),
    };
    std::fs::write(&args.out, file.to_bytes())
        .with_context(|| format!("cannot write the model file {}", args.out.display()))?;
    Ok(TrainReport {
        model: args.out.display().to_string(),
        labelled_requests: rows.len(),
        unlabelled_requests: unlabelled,
        train_rows: n_train,
        valid_rows: n_valid,
        valid_from,
        trees,
        auc,
        average_precision: ap,
        log_loss: ll,
        replay_seconds,
        train_seconds,
        chosen: thresholds,
        validation_policy: outcome,
        candidates,
    })
}

fn export_csv(path: &Path, train: &[Row], yt: &[bool], valid: &[Row], yv: &[bool]) -> Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let io = |e: std::io::Error| anyhow::anyhow!("writing {}: {e}", path.display());
    write!(w, "refund_id,ts,split,label").map_err(io)?;
    for def in REFUND_FEATURES {
        write!(w, ",{}", def.name).map_err(io)?;
    }
    writeln!(w).map_err(io)?;
    for (split, rows, ys) in [("train", train, yt), ("valid", valid, yv)] {
        for (r, y) in rows.iter().zip(ys) {
            write!(w, "{},{},{split},{}", r.refund_id, r.ts, u8::from(*y)).map_err(io)?;
            for v in r.x.iter() {
                if v.is_nan() {
                    write!(w, ",").map_err(io)?;
                } else {
                    write!(w, ",{v}").map_err(io)?;
                }
            }
            writeln!(w).map_err(io)?;
        }
    }
    w.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmentation_masks_one_family_per_copy_and_keeps_the_originals() {
        let n = 12;
        let mut x: Vec<f32> = (0..n * N_REFUND_FEATURES).map(|i| i as f32).collect();
        let mut y: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let original = x.clone();
        augment(&mut x, &mut y);
        assert_eq!(y.len(), 2 * n);
        assert_eq!(&x[..original.len()], &original[..], "originals untouched");
        let contact = REFUND_FEATURES
            .iter()
            .position(|f| f.name == "contact_verified")
            .unwrap();
        let copy0 = &x[n * N_REFUND_FEATURES..(n + 1) * N_REFUND_FEATURES];
        assert!(
            copy0[contact].is_nan(),
            "row 0's copy has no contact evidence"
        );
        assert_eq!(
            copy0[0], original[0],
            "the amount stays in the contact copy"
        );
        assert_eq!(y[n], y[0]);
        for fam in EVIDENCE_FAMILIES {
            for p in *fam {
                assert!(
                    REFUND_FEATURES.iter().any(|f| f.name.starts_with(p)),
                    "{p} matches no feature"
                );
            }
        }
    }

    #[test]
    fn precision_bar_keeps_ties_together_and_needs_enough_frauds() {
        let s = [0.9, 0.9, 0.8, 0.7, 0.1];
        let y = [true, true, true, false, false];
        assert_eq!(precision_bar(&s, &y, 1.0, 1), 0.8);
        assert_eq!(precision_bar(&s, &y, 1.0, 4), 1.01);
        let s = [0.9, 0.9];
        let y = [true, false];
        assert_eq!(precision_bar(&s, &y, 0.9, 1), 1.01, "a tie cannot be split");
    }
}
