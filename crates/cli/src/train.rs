//! `clawback train`: replays events through the same engine that serves, captures each
//! labelled refund request's feature vector exactly as the decision saw it, trains the
//! gradient-boosted model on the earliest 80% (in time), validates on the latest 20%,
//! chooses the policy's costs and bars on the validation part, and writes the model file.
//! Labelled reports (`message_reported` with `report` labels) train the text classifier
//! the same way (logistic regression over hashed n-grams, `clawback_model::linear`); the
//! file holds whichever of the two the labels allow.

use crate::lines::Lines;
use crate::progress;
use crate::replay;
use anyhow::{Context, Result, bail};
use clawback_engine::features::{F, N_REFUND_FEATURES, REFUND_FEATURES, RefundFeatures};
use clawback_engine::{
    Engine, MAX_CONFIDENT_LOGIT, MIN_CONFIDENT_LOGIT, RefundCosts, report_text_features,
};
use clawback_events::output::Outcome;
use clawback_events::{Body, Id, LabelEntity, Verdict, parse_line};
use clawback_model::linear::{LinearParams, train_linear};
use clawback_model::metrics::{average_precision, log_loss, roc_auc};
use clawback_model::{
    Dataset, FeatureSpec, ModelFile, TextModel, TrainParams, TrainingInfo, TreeModel,
    ValidationMetrics,
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
    #[command(flatten)]
    pub text: TextArgs,
}

/// The report text classifier's training parameters.
#[derive(Debug, Clone, clap::Args)]
pub struct TextArgs {
    /// Hash bits of the report classifier (2^bits weights).
    #[arg(long, default_value_t = LinearParams::default().bits)]
    pub text_bits: u8,
    /// Passes over the labelled reports.
    #[arg(long, default_value_t = LinearParams::default().epochs)]
    pub text_epochs: usize,
    /// L2 regularisation of the report classifier.
    #[arg(long, default_value_t = LinearParams::default().l2)]
    pub text_l2: f64,
}

impl Default for TextArgs {
    fn default() -> Self {
        let p = LinearParams::default();
        Self {
            text_bits: p.bits,
            text_epochs: p.epochs,
            text_l2: p.l2,
        }
    }
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

/// What `train` prints: the file, and what each model learnt (the refund model's fields at
/// the top level, as before the text classifier existed).
#[derive(Debug, Serialize)]
pub struct TrainReport {
    pub model: String,
    #[serde(flatten)]
    pub refund: Option<RefundReport>,
    /// The report text classifier, when the labels had reports.
    pub report_classifier: Option<ClassifierReport>,
}

/// What the text classifier learnt. Metrics are those of a fit on the earliest
/// `1 - valid_share` of the labelled reports, scored on the latest; the stored classifier
/// is then refit on all of them with the same parameters (the newest campaigns are in the
/// latest reports).
#[derive(Debug, Serialize)]
pub struct ClassifierReport {
    pub labelled_reports: usize,
    pub unlabelled_reports: usize,
    pub fraud_reports: usize,
    pub valid_reports: usize,
    pub valid_from: String,
    pub features: &'static str,
    pub auc: f64,
    pub average_precision: f64,
    pub log_loss: f64,
    /// Of the classifier alone at probability 0.5, on the validation reports.
    pub precision: f64,
    pub recall: f64,
    /// Log-odds from which the classifier may decide a report alone (99% precise on the
    /// validation reports; within 1..=12).
    pub confident_logit: f64,
    pub train_seconds: f64,
}

/// What the refund model learnt.
#[derive(Debug, Serialize)]
pub struct RefundReport {
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

/// One labelled report: its text features as the decision computes them.
pub struct ReportRow {
    pub ts: String,
    pub x: Vec<(u32, f32)>,
    pub fraud: bool,
}

/// Labelled reports (in event-time order) and how many had no label.
pub struct Reports {
    pub rows: Vec<ReportRow>,
    pub unlabelled: usize,
}

/// Replays `events` through a baseline engine with feature capture and returns the
/// requests that have a label, in event-time order, and how many had none.
pub fn collect_rows(events: &Path, labels: &FxHashMap<Id, bool>) -> Result<(Vec<Row>, usize)> {
    let (rows, unlabelled, _) = collect_all(events, labels, &FxHashMap::default(), 18)?;
    Ok((rows, unlabelled))
}

/// One replay for both models: labelled refund requests' feature vectors, and labelled
/// reports' text features for a classifier of `bits` hash bits.
pub fn collect_all(
    events: &Path,
    labels: &FxHashMap<Id, bool>,
    report_labels: &FxHashMap<Id, bool>,
    bits: u8,
) -> Result<(Vec<Row>, usize, Reports)> {
    let mut engine = Engine::baseline();
    engine.capture_features(!labels.is_empty());
    let mut rows: Vec<Row> = Vec::new();
    let mut unlabelled = 0usize;
    let mut reports = Reports {
        rows: Vec::new(),
        unlabelled: 0,
    };
    let mut tap = |ev: &clawback_events::Event, o: &clawback_engine::Outputs| -> Result<()> {
        if let Body::MessageReported(m) = &ev.body
            && !report_labels.is_empty()
        {
            match report_labels.get(&m.report_id) {
                Some(&fraud) => reports.rows.push(ReportRow {
                    ts: ev.ts.raw.to_string(),
                    x: report_text_features(m, bits),
                    fraud,
                }),
                None => reports.unlabelled += 1,
            }
        }
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
    Ok((rows, unlabelled, reports))
}

/// Reads refund labels (`fraud` → true); other entities are skipped, bad lines counted.
pub fn read_labels(path: &Path) -> Result<FxHashMap<Id, bool>> {
    let (labels, _) = read_label_sets(path)?;
    if labels.is_empty() {
        bail!(
            "{} holds no refund labels (label lines with \"entity\":\"refund\"); there is nothing to train on",
            path.display()
        );
    }
    Ok(labels)
}

/// Reads refund and report labels (`fraud` → true); other entities are skipped, bad lines
/// counted and the first one named.
pub fn read_label_sets(path: &Path) -> Result<(FxHashMap<Id, bool>, FxHashMap<Id, bool>)> {
    let (reader, _) = crate::lines::open_input(path)
        .with_context(|| format!("reading the labels file {}", path.display()))?;
    let mut lines = Lines::new(reader);
    let mut labels = FxHashMap::default();
    let mut reports = FxHashMap::default();
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
                if let Body::Label(l) = ev.body {
                    match l.entity {
                        LabelEntity::Refund => {
                            labels.insert(l.id, l.label == Verdict::Fraud);
                        }
                        LabelEntity::Report => {
                            reports.insert(l.id, l.label == Verdict::Fraud);
                        }
                        _ => {}
                    }
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
    Ok((labels, reports))
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

/// Fewest labelled reports (with both classes in the training part) to train a classifier.
pub const MIN_REPORTS: usize = 20;

pub fn run(args: &TrainArgs) -> Result<TrainReport> {
    let (labels, report_labels) = read_label_sets(&args.labels)?;
    if labels.is_empty() && report_labels.is_empty() {
        bail!(
            "{} holds no refund or report labels (label lines with \"entity\":\"refund\" or \"report\"); there is nothing to train on",
            args.labels.display()
        );
    }
    if !(0.01..=0.9).contains(&args.valid_share) {
        bail!(
            "--valid-share must be between 0.01 and 0.9 (got {})",
            args.valid_share
        );
    }

    // 1. Replay through the serving engine, capturing feature vectors.
    let started = Instant::now();
    let text_params = LinearParams {
        bits: args.text.text_bits,
        epochs: args.text.text_epochs,
        l2: args.text.text_l2,
        ..LinearParams::default()
    };
    let (rows, unlabelled, reports) =
        collect_all(&args.events, &labels, &report_labels, text_params.bits)?;
    let replay_seconds = started.elapsed().as_secs_f64();
    let mut models = BTreeMap::new();
    let mut classifiers = BTreeMap::new();
    let refund = if labels.is_empty() {
        None
    } else {
        let (model, report) = train_refund(args, &labels, &rows, unlabelled, replay_seconds)?;
        models.insert("refund".to_string(), model);
        Some(report)
    };
    let report_classifier = if report_labels.is_empty() {
        None
    } else {
        match train_classifier(args, reports, text_params)? {
            Some((model, report)) => {
                classifiers.insert("report".to_string(), model);
                Some(report)
            }
            None if refund.is_none() => bail!(
                "fewer than {MIN_REPORTS} reports in {} have labels in {}, or the earliest {:.0}% of them hold only one class; label both fraud and legit reports",
                args.events.display(),
                args.labels.display(),
                100.0 * (1.0 - args.valid_share)
            ),
            None => {
                writeln!(
                    std::io::stderr().lock(),
                    "warning: too few labelled reports (or only one class) to train the report classifier; the model file has the refund model only"
                )?;
                None
            }
        }
    };
    let file = ModelFile {
        models,
        classifiers,
        created_by: format!("clawback {}", env!("CARGO_PKG_VERSION")),
    };
    std::fs::write(&args.out, file.to_bytes())
        .with_context(|| format!("cannot write the model file {}", args.out.display()))?;
    Ok(TrainReport {
        model: args.out.display().to_string(),
        refund,
        report_classifier,
    })
}

/// Trains the report classifier on the labelled reports (event-time order): a fit on the
/// earliest part is scored on the latest for the metrics, then the stored model is refit
/// on all. `None` when there are too few reports or one class only.
fn train_classifier(
    args: &TrainArgs,
    reports: Reports,
    params: LinearParams,
) -> Result<Option<(TextModel, ClassifierReport)>> {
    let rows = reports.rows;
    let n = rows.len();
    let n_valid = ((n as f64) * args.valid_share).round().max(1.0) as usize;
    let n_train = n.saturating_sub(n_valid);
    let fraud = rows.iter().filter(|r| r.fraud).count();
    let train_fraud = rows.iter().take(n_train).filter(|r| r.fraud).count();
    if n < MIN_REPORTS || train_fraud == 0 || train_fraud == n_train {
        return Ok(None);
    }
    let t0 = Instant::now();
    let x: Vec<Vec<(u32, f32)>> = rows.iter().map(|r| r.x.clone()).collect();
    let y: Vec<bool> = rows.iter().map(|r| r.fraud).collect();
    let early = train_linear(&x[..n_train], &y[..n_train], &params)
        .context("training the report classifier")?;
    let scores: Vec<f64> = x[n_train..]
        .iter()
        .map(|r| early.predict_proba(r))
        .collect();
    let yv = &y[n_train..];
    let (mut tp, mut fp, mut fneg) = (0u64, 0u64, 0u64);
    for (s, &t) in scores.iter().zip(yv) {
        let hit = *s >= 0.5;
        tp += u64::from(hit && t);
        fp += u64::from(hit && !t);
        fneg += u64::from(!hit && t);
    }
    let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { f64::NAN };
    // The log-odds above which the classifier alone was 99% precise on validation: where
    // the engine lets it decide a report on its own (`clawback_engine::text_model_scale`).
    let bar = precision_bar(&scores, yv, 0.99, 10);
    let confident_logit = if bar < 1.0 && bar > 0.0 {
        (bar / (1.0 - bar))
            .ln()
            .clamp(MIN_CONFIDENT_LOGIT, MAX_CONFIDENT_LOGIT)
    } else {
        MAX_CONFIDENT_LOGIT
    };
    let model = train_linear(&x, &y, &params).context("training the report classifier")?;
    let train_seconds = t0.elapsed().as_secs_f64();
    let valid_from = rows.get(n_train).map(|r| r.ts.clone()).unwrap_or_default();
    let metrics = ValidationMetrics {
        auc: roc_auc(&scores, yv),
        average_precision: average_precision(&scores, yv),
        log_loss: log_loss(&scores, yv),
    };
    let report = ClassifierReport {
        labelled_reports: n,
        unlabelled_reports: reports.unlabelled,
        fraud_reports: fraud,
        valid_reports: n - n_train,
        valid_from: valid_from.clone(),
        features: clawback_scam::features::TEXT_FEATURES,
        auc: metrics.auc,
        average_precision: metrics.average_precision,
        log_loss: metrics.log_loss,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fneg),
        confident_logit,
        train_seconds,
    };
    let text = TextModel {
        features: clawback_scam::features::TEXT_FEATURES.to_string(),
        trained: TrainingInfo {
            first_ts: rows.first().map(|r| r.ts.clone()).unwrap_or_default(),
            last_ts: rows.last().map(|r| r.ts.clone()).unwrap_or_default(),
            train_rows: n as u64,
            train_positives: fraud as u64,
            valid_rows: (n - n_train) as u64,
            valid_positives: yv.iter().filter(|&&b| b).count() as u64,
            valid_from_ts: valid_from,
            seconds: train_seconds,
        },
        metrics,
        thresholds: BTreeMap::from([("confident_logit".to_string(), confident_logit)]),
        params,
        model,
    };
    Ok(Some((text, report)))
}

/// Trains the refund model on the labelled requests and chooses its policy.
fn train_refund(
    args: &TrainArgs,
    labels: &FxHashMap<Id, bool>,
    rows: &[Row],
    unlabelled: usize,
    replay_seconds: f64,
) -> Result<(TreeModel, RefundReport)> {
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
    let report = RefundReport {
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
    };
    Ok((model, report))
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
