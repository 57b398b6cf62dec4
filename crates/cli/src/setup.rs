//! Builds the engine a command runs: the baseline detectors plus, when given, a trained
//! model, analyst rules and a refund policy file. Every file problem is reported with the
//! file's name and what to do.

use anyhow::{Context, Result, bail};
use clawback_engine::{Engine, Protected, RefundCosts, ScamReports, rules_schema};
use clawback_model::ModelFile;
use clawback_rules::RuleSet;
use std::path::{Path, PathBuf};

/// Optional files that change how refunds are decided.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EngineSetup {
    /// A model file written by `clawback train`; without one the baseline rules decide.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Analyst rules (TOML; see crates/rules/examples/rules.toml).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Refund costs and bars, and the retailer's own domains for scam checks (TOML; see
    /// docs/policy.toml); refund costs override the model's.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// Reads a model file: its refund model and its report classifier, either of which may be
/// missing (not both).
pub fn load_model(path: &Path) -> Result<ModelFile> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the model file {}", path.display()))?;
    let file = ModelFile::from_bytes(&bytes)
        .with_context(|| format!("{} is not a usable model file", path.display()))?;
    if !file.models.contains_key("refund") && !file.classifiers.contains_key("report") {
        bail!(
            "{} holds neither a refund model nor a report classifier (it has: {}); train one with `clawback train`",
            path.display(),
            file.models
                .keys()
                .chain(file.classifiers.keys())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(file)
}

/// Reads and checks an analyst rules file.
pub fn load_rules(path: &Path) -> Result<RuleSet> {
    let src = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the rules file {}", path.display()))?;
    // The error already names the file, line and column.
    RuleSet::parse(&src, &path.display().to_string(), &rules_schema())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the rules file was rejected; nothing was run")
}

/// What a policy file sets: refund costs and bars, and the scam checks' protected domains.
/// A section that is absent changes nothing.
#[derive(Debug, Default)]
pub struct PolicyFile {
    pub refund: Option<RefundCosts>,
    pub protected: Option<Protected>,
}

/// Reads a policy file (`[refund]`, `[scam]`; see docs/policy.toml).
pub fn load_policy(path: &Path) -> Result<PolicyFile> {
    let src = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the policy file {}", path.display()))?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Scam {
        protected: Option<Vec<toml::Spanned<String>>>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Wire {
        refund: Option<RefundCosts>,
        scam: Option<Scam>,
    }
    let file: Wire = toml::from_str(&src).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}\nvalid fields under [refund]: hold_cost_usd, review_cost_usd, min_hold_score, review_bar, deny_bar; under [scam]: protected (a list of domains)",
            path.display()
        )
    })?;
    if let Some(r) = &file.refund {
        r.validate()
            .map_err(|e| anyhow::anyhow!("{}: [refund] {e}", path.display()))?;
    }
    let protected = match file.scam.and_then(|s| s.protected) {
        None => None,
        Some(list) => Some(
            Protected::parse(list.iter().map(|s| s.get_ref().as_str())).map_err(|e| {
                let at = list.get(e.index).map(|s| s.span().start).unwrap_or(0);
                let line = src
                    .get(..at)
                    .map_or(1, |p| p.bytes().filter(|&b| b == b'\n').count() + 1);
                anyhow::anyhow!("{}:{line}: [scam] protected: {e}", path.display())
            })?,
        ),
    };
    Ok(PolicyFile {
        refund: file.refund,
        protected,
    })
}

impl EngineSetup {
    /// The engine with everything the files ask for.
    pub fn build(&self) -> Result<Engine> {
        let mut engine = Engine::baseline();
        let mut classifier = None;
        if let Some(p) = &self.model {
            let mut file = load_model(p)?;
            if let Some(m) = file.models.remove("refund") {
                engine.refund_mut().set_model(Some(m));
            }
            classifier = file.classifiers.remove("report");
        }
        if let Some(p) = &self.rules {
            engine.refund_mut().set_rules(Some(load_rules(p)?));
        }
        let mut protected = None;
        if let Some(p) = &self.policy {
            let policy = load_policy(p)?;
            if let Some(costs) = policy.refund {
                engine.refund_mut().set_costs(Some(costs));
            }
            protected = policy.protected;
        }
        if classifier.is_some() || protected.is_some() {
            let mut scam = ScamReports::new(protected.unwrap_or_default());
            if let Some(c) = &classifier {
                scam = scam.with_text_model(c).with_context(|| {
                    format!(
                        "{} has a report classifier this clawback cannot use",
                        self.model
                            .as_deref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    )
                })?;
            }
            engine.set_scam_reports(scam);
        }
        Ok(engine)
    }
}
