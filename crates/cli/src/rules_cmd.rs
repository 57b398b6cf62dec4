//! `clawback rules check` and `clawback rules test`: load analyst rules (reporting the
//! first problem with file, line and column) and backtest them on labelled history.

use crate::replay;
use crate::setup::{self, EngineSetup};
use anyhow::Result;
use clawback_engine::features::F;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Check a rules file and list its rules; exits non-zero on the first problem.
    Check {
        #[arg(long, value_name = "FILE")]
        rules: PathBuf,
    },
    /// Backtest rules on labelled history: per rule, how often it fires, its precision,
    /// the fraud value it catches and the honest refunds it touches.
    Test {
        #[arg(long, value_name = "FILE")]
        rules: PathBuf,
        #[arg(long, value_name = "FILE")]
        events: PathBuf,
        #[arg(long, value_name = "FILE")]
        labels: PathBuf,
        /// A model file, so rules that read `score` see the model's.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
}

/// One rule's backtest.
#[derive(Debug, Default, Serialize)]
pub struct RuleBacktest {
    pub rule: String,
    pub action: String,
    pub mode: &'static str,
    pub fired: u64,
    /// Fired on refunds labelled fraud / legit / not labelled.
    pub fired_fraud: u64,
    pub fired_legit: u64,
    pub fired_unlabelled: u64,
    /// Share of labelled firings that were fraud.
    pub precision: Option<f64>,
    /// Fraud refund value it fired on, US dollars, and its share of all fraud value.
    pub fraud_value_usd: f64,
    pub fraud_value_share: f64,
    /// Honest refunds it touched, and their share of all honest refunds.
    pub honest_touched: u64,
    pub honest_touched_share: f64,
}

#[derive(Debug, Serialize)]
pub struct BacktestReport {
    pub refunds: u64,
    pub fraud: u64,
    pub legit: u64,
    pub fraud_value_usd: f64,
    pub rules: Vec<RuleBacktest>,
    /// Evaluations that failed at run time (e.g. comparing a missing value); such a rule
    /// does not fire.
    pub evaluation_errors: u64,
}

pub fn run(cmd: &RulesCommand, out: &mut dyn Write) -> Result<()> {
    match cmd {
        RulesCommand::Check { rules } => {
            let set = setup::load_rules(rules)?;
            for r in set.rules() {
                writeln!(
                    out,
                    "{}:{}: {} -> {} ({}, reason {})",
                    rules.display(),
                    r.line,
                    r.id,
                    replay::action_str(&r.action),
                    replay::mode_str(r.mode),
                    r.reason
                )?;
            }
            writeln!(out, "{} rules OK", set.rules().len())?;
            Ok(())
        }
        RulesCommand::Test {
            rules,
            events,
            labels,
            model,
        } => {
            let report = backtest(rules, events, labels, model.as_deref())?;
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
            Ok(())
        }
    }
}

pub fn backtest(
    rules: &Path,
    events: &Path,
    labels: &Path,
    model: Option<&Path>,
) -> Result<BacktestReport> {
    let labels = crate::train::read_labels(labels)?;
    let setup = EngineSetup {
        model: model.map(Path::to_path_buf),
        rules: Some(rules.to_path_buf()),
        policy: None,
    };
    let mut engine = setup.build()?;
    engine.capture_features(true);
    let Some(set) = engine.refund().rules() else {
        anyhow::bail!("no rules were loaded from {}", rules.display())
    };
    let mut per: Vec<RuleBacktest> = set
        .rules()
        .iter()
        .map(|r| RuleBacktest {
            rule: r.id.clone(),
            action: replay::action_str(&r.action),
            mode: replay::mode_str(r.mode),
            ..RuleBacktest::default()
        })
        .collect();
    let (mut refunds, mut fraud, mut legit, mut fraud_value) = (0u64, 0u64, 0u64, 0.0f64);
    {
        let mut tap = |_: &clawback_events::Event, o: &clawback_engine::Outputs| -> Result<()> {
            let (Some(x), Some(d)) = (&o.features, o.decisions.first()) else {
                return Ok(());
            };
            refunds += 1;
            let amount = f64::from(x[F::AmountUsd as usize]);
            let label = labels.get(&d.id).copied();
            match label {
                Some(true) => {
                    fraud += 1;
                    fraud_value += amount;
                }
                Some(false) => legit += 1,
                None => {}
            }
            for h in &o.rule_hits {
                let Some(p) = per.get_mut(h.rule) else {
                    continue;
                };
                p.fired += 1;
                match label {
                    Some(true) => {
                        p.fired_fraud += 1;
                        p.fraud_value_usd += amount;
                    }
                    Some(false) => {
                        p.fired_legit += 1;
                        p.honest_touched += 1;
                    }
                    None => p.fired_unlabelled += 1,
                }
            }
            Ok(())
        };
        replay::replay_for_tap(events, &mut engine, &mut tap)?;
    }
    for p in &mut per {
        let labelled = p.fired_fraud + p.fired_legit;
        p.precision = (labelled > 0).then(|| p.fired_fraud as f64 / labelled as f64);
        p.fraud_value_share = if fraud_value > 0.0 {
            p.fraud_value_usd / fraud_value
        } else {
            0.0
        };
        p.honest_touched_share = if legit > 0 {
            p.honest_touched as f64 / legit as f64
        } else {
            0.0
        };
        p.fraud_value_usd = (p.fraud_value_usd * 100.0).round() / 100.0;
    }
    Ok(BacktestReport {
        refunds,
        fraud,
        legit,
        fraud_value_usd: (fraud_value * 100.0).round() / 100.0,
        rules: per,
        evaluation_errors: engine.refund().rule_errors(),
    })
}
