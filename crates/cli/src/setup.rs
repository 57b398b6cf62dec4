//! Builds the engine a command runs: the baseline detectors plus, when given, a trained
//! model, analyst rules and a refund policy file. Every file problem is reported with the
//! file's name and what to do.

use anyhow::{Context, Result, bail};
use clawback_engine::{Engine, RefundCosts, rules_schema};
use clawback_model::{ModelFile, TreeModel};
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
    /// Refund costs and bars (TOML; see docs/policy.toml), overriding the model's.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// Reads a model file and returns its refund model.
pub fn load_model(path: &Path) -> Result<TreeModel> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the model file {}", path.display()))?;
    let mut file = ModelFile::from_bytes(&bytes)
        .with_context(|| format!("{} is not a usable model file", path.display()))?;
    match file.models.remove("refund") {
        Some(m) => Ok(m),
        None => bail!(
            "{} holds no refund model (it has: {}); train one with `clawback train`",
            path.display(),
            file.models.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
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

/// Reads a refund policy file.
pub fn load_policy(path: &Path) -> Result<RefundCosts> {
    let src = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the policy file {}", path.display()))?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct PolicyFile {
        #[serde(default)]
        refund: RefundCosts,
    }
    let file: PolicyFile = toml::from_str(&src).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}\nvalid fields under [refund]: hold_cost_usd, review_cost_usd, min_hold_score, review_bar, deny_bar",
            path.display()
        )
    })?;
    file.refund
        .validate()
        .map_err(|e| anyhow::anyhow!("{}: [refund] {e}", path.display()))?;
    Ok(file.refund)
}

impl EngineSetup {
    /// The engine with everything the files ask for.
    pub fn build(&self) -> Result<Engine> {
        let mut engine = Engine::baseline();
        if let Some(p) = &self.model {
            engine.refund_mut().set_model(Some(load_model(p)?));
        }
        if let Some(p) = &self.rules {
            engine.refund_mut().set_rules(Some(load_rules(p)?));
        }
        if let Some(p) = &self.policy {
            engine.refund_mut().set_costs(Some(load_policy(p)?));
        }
        Ok(engine)
    }
}
