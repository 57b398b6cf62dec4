//! Gradient-boosted trees for Clawback: training, flat-array serving, per-feature
//! attributions and the versioned model file. No I/O: callers hand in byte slices and
//! feature matrices.
//!
//! - [`train`] (cargo feature `train`, on by default) fits a [`Forest`] on a
//!   [`Dataset`] of point-in-time feature vectors with fraud/legit labels.
//! - [`Forest`] scores one row in microseconds without allocating and explains it
//!   with [`Forest::contributions`].
//! - [`linear`]: logistic regression over hashed sparse features, the text classifier.
//! - [`ModelFile`] is what `clawback train` writes and `clawback replay --model` reads.
//! - [`metrics`] are the validation numbers recorded in the file.

mod file;
mod forest;
pub mod linear;
pub mod metrics;
#[doc(hidden)]
pub mod synth;
#[cfg(feature = "train")]
mod train;

pub use file::{
    FORMAT, FeatureSpec, ModelFile, TextModel, TrainingInfo, TreeModel, VERSION, ValidationMetrics,
};
pub use forest::{Forest, ForestError};
#[cfg(feature = "train")]
pub use train::train;

use serde::{Deserialize, Serialize};

/// A row-major feature matrix with labels: row `i` is
/// `rows[i * n_features..(i + 1) * n_features]`, NaN = missing, `labels[i]` = fraud.
#[derive(Debug, Clone, Copy)]
pub struct Dataset<'a> {
    pub n_features: usize,
    pub rows: &'a [f32],
    pub labels: &'a [bool],
}

impl Dataset<'_> {
    /// Number of rows (examples).
    pub fn n_rows(&self) -> usize {
        self.labels.len()
    }

    /// Checks that the shape is consistent, so that training can index freely.
    pub fn check(&self, what: &'static str) -> Result<(), ModelError> {
        let expected = self.n_features.checked_mul(self.labels.len());
        if self.n_features == 0 || expected != Some(self.rows.len()) {
            return Err(ModelError::BadShape {
                what,
                n_features: self.n_features,
                values: self.rows.len(),
                labels: self.labels.len(),
            });
        }
        if u32::try_from(self.labels.len()).is_err() {
            return Err(ModelError::InvalidData(format!(
                "{what} has more than 2^32 - 1 rows"
            )));
        }
        Ok(())
    }
}

/// Training hyper-parameters. Recorded in the model file so a model can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainParams {
    /// Upper bound on boosting rounds (trees); early stopping may use fewer.
    pub max_trees: usize,
    /// Shrinkage applied to every tree.
    pub learning_rate: f64,
    /// Leaves per tree (trees grow best-gain-first, like LightGBM's `num_leaves`).
    pub max_leaves: usize,
    /// Depth limit per tree; 0 = no limit beyond `max_leaves`.
    pub max_depth: usize,
    /// Minimum sum of hessians in a child (LightGBM's `min_sum_hessian_in_leaf`).
    pub min_child_weight: f64,
    /// L2 regularisation of leaf values.
    pub lambda: f64,
    /// Histogram bins per feature for non-missing values (2..=255); missing has its own.
    pub max_bins: usize,
    /// Stop when validation log-loss has not improved for this many rounds (0 = never);
    /// needs a validation set.
    pub early_stopping_rounds: usize,
    /// Worker threads; 0 = all cores. The model does not depend on it.
    pub threads: usize,
    /// Seed for the row sample used to choose bin boundaries.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            max_trees: 400,
            learning_rate: 0.1,
            max_leaves: 31,
            max_depth: 0,
            min_child_weight: 1e-3,
            lambda: 1.0,
            max_bins: 255,
            early_stopping_rounds: 30,
            threads: 0,
            seed: 0,
        }
    }
}

/// What training reports after each round, e.g. to drive a progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainProgress {
    /// Rounds done so far (1-based).
    pub round: usize,
    pub max_rounds: usize,
    /// Log-loss on the validation set after this round, if there is one.
    pub valid_logloss: Option<f64>,
}

/// Everything that can go wrong in this crate; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "model file is not valid JSON or does not have the expected fields: {0}; re-export it with `clawback train`"
    )]
    Json(#[source] serde_json::Error),
    #[error(
        "not a clawback model file (format {found:?}, expected \"clawback-model\"); pass the file written by `clawback train`"
    )]
    NotAModelFile { found: Option<String> },
    #[error("model file has no version field; it was not written by clawback: retrain")]
    MissingVersion,
    #[error(
        "model file version {found} is newer than this clawback understands ({supported}): upgrade clawback or retrain"
    )]
    NewerVersion { found: u64, supported: u32 },
    #[error("model file version {found} is not supported: retrain with this clawback")]
    UnsupportedVersion { found: u64 },
    #[error(
        "model {model:?} in the model file is corrupt ({source}): retrain, or restore the file from its source"
    )]
    InvalidForest {
        model: String,
        #[source]
        source: ForestError,
    },
    #[error(
        "model {model:?} names {names} features but its trees use {forest}: the file is corrupt; retrain"
    )]
    FeatureCountMismatch {
        model: String,
        names: usize,
        forest: usize,
    },
    #[error(
        "{what}: {values} values for {labels} labels is not a whole number of rows of {n_features} features; check how the matrix is built"
    )]
    BadShape {
        what: &'static str,
        n_features: usize,
        values: usize,
        labels: usize,
    },
    #[error("invalid training data: {0}")]
    InvalidData(String),
    #[error("invalid training parameter: {0}")]
    InvalidParams(String),
}
