//! The model file: versioned, self-describing JSON.
//!
//! Why JSON: an operator can read feature names, metrics and thresholds with `jq`, and
//! the file is small (tens of thousands of nodes). Why versioned: a file outlives the
//! binary that wrote it; an older clawback must refuse a newer file with a clear
//! message instead of misreading it. A model file is untrusted input: decoding checks
//! every array before anything scores with it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::linear::{LinearModel, LinearParams};
use crate::{Forest, ModelError, TrainParams};

/// The value of the top-level `format` field.
pub const FORMAT: &str = "clawback-model";
/// The newest file version this build reads and the one it writes. Version 2 added
/// `classifiers` (text models); version 1 files are still read (they have none).
pub const VERSION: u32 = 2;

/// One input of the model: its name (as the engine computes it) and what it means,
/// so that an attribution can be shown to an analyst.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    pub name: String,
    pub meaning: String,
}

/// What data the model was trained on, for audits and for deciding when to retrain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Event time of the first and last training example (RFC 3339).
    pub first_ts: String,
    pub last_ts: String,
    pub train_rows: u64,
    pub train_positives: u64,
    pub valid_rows: u64,
    pub valid_positives: u64,
    /// Event time from which rows went to validation (out-of-time split).
    pub valid_from_ts: String,
    /// Wall-clock training time.
    pub seconds: f64,
}

/// How the model did on the held-out validation rows. A metric that is undefined (NaN,
/// e.g. no fraud in the validation rows) is written as JSON `null` and read back as NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationMetrics {
    #[serde(deserialize_with = "nan_from_null")]
    pub auc: f64,
    #[serde(deserialize_with = "nan_from_null")]
    pub average_precision: f64,
    #[serde(deserialize_with = "nan_from_null")]
    pub log_loss: f64,
}

fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// One decision point's model with everything needed to use and audit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeModel {
    /// The inputs, in the order of the feature vector; `features.len() == forest.n_features()`.
    pub features: Vec<FeatureSpec>,
    pub trained: TrainingInfo,
    pub metrics: ValidationMetrics,
    /// Named probability thresholds chosen at training time (e.g. "review", "deny").
    pub thresholds: BTreeMap<String, f64>,
    pub params: TrainParams,
    pub forest: Forest,
}

/// A text classifier of one decision point (key `"report"`: reported messages), with
/// what is needed to use and audit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextModel {
    /// The feature extractor the weights were trained with (e.g. `"scam-text-1"`). A reader
    /// that does not have that extractor must refuse the classifier: the same words would
    /// land in other buckets.
    pub features: String,
    pub trained: TrainingInfo,
    pub metrics: ValidationMetrics,
    /// Named probability thresholds chosen at training time.
    pub thresholds: BTreeMap<String, f64>,
    pub params: LinearParams,
    pub model: LinearModel,
}

/// The model file: trees per decision point (key `"refund"`) and text classifiers per
/// decision point (key `"report"`); either may be empty.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub models: BTreeMap<String, TreeModel>,
    pub classifiers: BTreeMap<String, TextModel>,
    /// Which program wrote the file, e.g. `"clawback 0.1.0"`.
    pub created_by: String,
}

#[derive(Serialize)]
struct WireOut<'a> {
    format: &'static str,
    version: u32,
    created_by: &'a str,
    models: &'a BTreeMap<String, TreeModel>,
    classifiers: &'a BTreeMap<String, TextModel>,
}

/// Just enough to decide whether the rest can be read.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u64>,
}

/// Versions 1 and 2: version 1 has no `classifiers`.
#[derive(Deserialize)]
struct WireV2 {
    created_by: String,
    models: BTreeMap<String, TreeModel>,
    #[serde(default)]
    classifiers: BTreeMap<String, TextModel>,
}

impl ModelFile {
    /// The JSON encoding (pretty-printed header, one model per decision point).
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = WireOut {
            format: FORMAT,
            version: VERSION,
            created_by: &self.created_by,
            models: &self.models,
            classifiers: &self.classifiers,
        };
        // Serialising these types cannot fail (string keys, no custom serialisers);
        // non-finite floats become `null`, which decoding then rejects.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Decodes and checks a model file. Every way a file can be wrong gives a
    /// [`ModelError`] that says what to do; nothing here panics.
    pub fn from_bytes(b: &[u8]) -> Result<ModelFile, ModelError> {
        let header: Header = serde_json::from_slice(b).map_err(ModelError::Json)?;
        match header.format.as_deref() {
            Some(FORMAT) => {}
            other => {
                return Err(ModelError::NotAModelFile {
                    found: other.map(str::to_owned),
                });
            }
        }
        let version = header.version.ok_or(ModelError::MissingVersion)?;
        if version > u64::from(VERSION) {
            return Err(ModelError::NewerVersion {
                found: version,
                supported: VERSION,
            });
        }
        if version < 1 {
            return Err(ModelError::UnsupportedVersion { found: version });
        }
        let wire: WireV2 = serde_json::from_slice(b).map_err(ModelError::Json)?;
        if version < 2 && !wire.classifiers.is_empty() {
            return Err(ModelError::InvalidData(
                "a version 1 model file cannot hold classifiers; retrain".into(),
            ));
        }
        for (name, m) in &wire.models {
            m.forest
                .validate()
                .map_err(|source| ModelError::InvalidForest {
                    model: name.clone(),
                    source,
                })?;
            if m.features.len() != m.forest.n_features() {
                return Err(ModelError::FeatureCountMismatch {
                    model: name.clone(),
                    names: m.features.len(),
                    forest: m.forest.n_features(),
                });
            }
        }
        Ok(ModelFile {
            models: wire.models,
            classifiers: wire.classifiers,
            created_by: wire.created_by,
        })
    }
}

#[cfg(test)]
#[cfg(feature = "train")]
mod tests {
    use super::*;
    use crate::{ForestError, synth};
    use proptest::prelude::*;

    fn model_file() -> ModelFile {
        let (x, y) = synth::make(3_000, 7);
        let d = crate::Dataset {
            n_features: synth::N_FEATURES,
            rows: &x,
            labels: &y,
        };
        let params = TrainParams {
            max_trees: 5,
            max_leaves: 4,
            threads: 1,
            ..TrainParams::default()
        };
        let forest = crate::train(&d, None, &params, &mut |_| {}).unwrap();
        let features = (0..synth::N_FEATURES)
            .map(|i| FeatureSpec {
                name: format!("f{i}"),
                meaning: format!("synthetic feature {i}"),
            })
            .collect();
        let model = TreeModel {
            features,
            trained: TrainingInfo {
                first_ts: "2026-01-01T00:00:00Z".into(),
                last_ts: "2026-02-01T00:00:00Z".into(),
                train_rows: 3_000,
                train_positives: y.iter().filter(|&&b| b).count() as u64,
                valid_rows: 0,
                valid_positives: 0,
                valid_from_ts: "2026-02-01T00:00:00Z".into(),
                seconds: 0.5,
            },
            metrics: ValidationMetrics {
                auc: 0.9,
                average_precision: 0.5,
                log_loss: 0.2,
            },
            thresholds: BTreeMap::from([("deny".to_string(), 0.9), ("review".to_string(), 0.5)]),
            params,
            forest,
        };
        ModelFile {
            models: BTreeMap::from([("refund".to_string(), model)]),
            classifiers: BTreeMap::new(),
            created_by: "clawback test".into(),
        }
    }

    /// Sparse rows for a toy text classifier: bucket `i % 17` and `(i * 7) % 256`.
    fn text_rows(n: usize) -> (Vec<Vec<(u32, f32)>>, Vec<bool>) {
        let rows: Vec<Vec<(u32, f32)>> = (0..n)
            .map(|i| {
                let mut r = vec![((i % 17) as u32, 1.0), (((i * 7) % 256) as u32, 0.5)];
                r.sort_by_key(|p| p.0);
                r.dedup_by_key(|p| p.0);
                r
            })
            .collect();
        let y = (0..n).map(|i| i % 17 < 6).collect();
        (rows, y)
    }

    /// The file with a refund model and a report classifier (version 2).
    fn model_file_v2() -> ModelFile {
        let mut m = model_file();
        let (rows, y) = text_rows(400);
        let params = LinearParams {
            bits: 8,
            epochs: 3,
            ..LinearParams::default()
        };
        let model = crate::linear::train_linear(&rows, &y, &params).unwrap();
        m.classifiers.insert(
            "report".into(),
            TextModel {
                features: "test-features-1".into(),
                trained: m.models["refund"].trained.clone(),
                metrics: m.models["refund"].metrics.clone(),
                thresholds: BTreeMap::from([("phishing".to_string(), 0.9)]),
                params,
                model,
            },
        );
        m
    }

    fn rows() -> Vec<f32> {
        synth::make(50, 99).0
    }

    #[test]
    fn nan_metrics_survive_the_file() {
        let mut m = model_file();
        if let Some(t) = m.models.get_mut("refund") {
            t.metrics.auc = f64::NAN;
        }
        let back = ModelFile::from_bytes(&m.to_bytes()).unwrap();
        assert!(back.models["refund"].metrics.auc.is_nan());
    }

    #[test]
    fn round_trip_is_identical() {
        let m = model_file();
        let bytes = m.to_bytes();
        let back = ModelFile::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
        let (a, b) = (&m.models["refund"].forest, &back.models["refund"].forest);
        for r in rows().chunks_exact(synth::N_FEATURES) {
            assert_eq!(a.predict_logit(r).to_bits(), b.predict_logit(r).to_bits());
        }
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["format"], "clawback-model");
        assert_eq!(v["version"], 2);
        assert_eq!(v["models"]["refund"]["features"][0]["name"], "f0");
    }

    // Fixture paths are read at run time, not compiled in: test binaries are reused from a
    // shared target directory by other checkouts of the same tree, where a compiled-in
    // path may be gone.
    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(
            &std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
        )
        .join("fixtures")
        .join(name)
    }
    const FIXTURE: &str = "model-v1.json";
    const FIXTURE_SCORES: &str = "model-v1.scores.json";
    const FIXTURE_V2: &str = "model-v2.json";
    const FIXTURE_V2_SCORES: &str = "model-v2.scores.json";

    /// Regenerates the committed v2 fixture:
    /// `cargo test -p clawback-model -- --ignored write_fixture`. Only do this when
    /// deliberately changing the format (and bump VERSION then, keeping the old fixtures).
    /// The v1 fixture was written by the version 1 writer and is never regenerated.
    #[test]
    #[ignore]
    fn write_fixture() {
        let m = model_file_v2();
        std::fs::write(fixture(FIXTURE_V2), m.to_bytes()).unwrap();
        let f = &m.models["refund"].forest;
        let mut scores: Vec<f64> = rows()
            .chunks_exact(synth::N_FEATURES)
            .map(|r| f.predict_logit(r))
            .collect();
        let c = &m.classifiers["report"].model;
        scores.extend(text_rows(50).0.iter().map(|r| c.logit(r)));
        std::fs::write(
            fixture(FIXTURE_V2_SCORES),
            serde_json::to_vec(&scores).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn v2_fixture_still_decodes_and_predicts_the_same() {
        let m = ModelFile::from_bytes(&std::fs::read(fixture(FIXTURE_V2)).unwrap()).unwrap();
        let expected: Vec<f64> =
            serde_json::from_slice(&std::fs::read(fixture(FIXTURE_V2_SCORES)).unwrap()).unwrap();
        let f = &m.models["refund"].forest;
        let c = &m.classifiers["report"];
        assert_eq!(c.features, "test-features-1");
        assert_eq!(c.model.bits(), 8);
        let got: Vec<f64> = rows()
            .chunks_exact(synth::N_FEATURES)
            .map(|r| f.predict_logit(r))
            .chain(text_rows(50).0.iter().map(|r| c.model.logit(r)))
            .collect();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g.to_bits(), e.to_bits());
        }
    }

    #[test]
    fn v2_round_trip_with_a_classifier_is_identical() {
        let m = model_file_v2();
        let bytes = m.to_bytes();
        assert_eq!(ModelFile::from_bytes(&bytes).unwrap(), m);
        assert_eq!(
            model_file_v2().to_bytes(),
            bytes,
            "training is deterministic"
        );
        // A version 1 file cannot carry a classifier.
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        v["version"] = 1.into();
        let e = ModelFile::from_bytes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(matches!(e, ModelError::InvalidData(_)), "{e}");
    }

    #[test]
    fn v1_fixture_still_decodes_and_predicts_the_same() {
        let m = ModelFile::from_bytes(&std::fs::read(fixture(FIXTURE)).unwrap()).unwrap();
        let expected: Vec<f64> =
            serde_json::from_slice(&std::fs::read(fixture(FIXTURE_SCORES)).unwrap()).unwrap();
        let f = &m.models["refund"].forest;
        assert_eq!(f.n_features(), synth::N_FEATURES);
        assert_eq!(m.models["refund"].thresholds["deny"], 0.9);
        assert!(m.classifiers.is_empty(), "version 1 has no classifiers");
        for (r, e) in rows().chunks_exact(synth::N_FEATURES).zip(&expected) {
            assert_eq!(f.predict_logit(r).to_bits(), e.to_bits());
        }
    }

    fn edit(f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let mut v: serde_json::Value = serde_json::from_slice(&model_file().to_bytes()).unwrap();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn malformed_files_give_typed_errors() {
        let bytes = model_file().to_bytes();
        assert!(matches!(
            ModelFile::from_bytes(&bytes[..bytes.len() / 2]),
            Err(ModelError::Json(_))
        ));
        assert!(matches!(
            ModelFile::from_bytes(b""),
            Err(ModelError::Json(_))
        ));
        let e = ModelFile::from_bytes(&edit(|v| v["version"] = 3.into())).unwrap_err();
        assert!(matches!(
            e,
            ModelError::NewerVersion {
                found: 3,
                supported: 2
            }
        ));
        assert_eq!(
            e.to_string(),
            "model file version 3 is newer than this clawback understands (2): upgrade clawback or retrain"
        );
        assert!(matches!(
            ModelFile::from_bytes(&edit(|v| v["version"] = 0.into())),
            Err(ModelError::UnsupportedVersion { found: 0 })
        ));
        assert!(matches!(
            ModelFile::from_bytes(&edit(|v| v["format"] = "onnx".into())),
            Err(ModelError::NotAModelFile { .. })
        ));
        assert!(matches!(
            ModelFile::from_bytes(br#"{"a":1}"#),
            Err(ModelError::NotAModelFile { found: None })
        ));
        assert!(matches!(
            ModelFile::from_bytes(&edit(|v| {
                v.as_object_mut().unwrap().remove("version");
            })),
            Err(ModelError::MissingVersion)
        ));
        let bad_child = edit(|v| v["models"]["refund"]["forest"]["left"][0] = 100_000.into());
        assert!(matches!(
            ModelFile::from_bytes(&bad_child),
            Err(ModelError::InvalidForest {
                source: ForestError::BadChild { .. },
                ..
            })
        ));
        let cycle = edit(|v| v["models"]["refund"]["forest"]["left"][1] = 0.into());
        let e = ModelFile::from_bytes(&cycle).unwrap_err();
        assert!(matches!(e, ModelError::InvalidForest { .. }), "{e}");
        let bad_feature = edit(|v| v["models"]["refund"]["forest"]["feature"][0] = 60.into());
        assert!(matches!(
            ModelFile::from_bytes(&bad_feature),
            Err(ModelError::InvalidForest {
                source: ForestError::BadFeature { feature: 60, .. },
                ..
            })
        ));
        let names = edit(|v| {
            v["models"]["refund"]["features"]
                .as_array_mut()
                .unwrap()
                .pop();
        });
        assert!(matches!(
            ModelFile::from_bytes(&names),
            Err(ModelError::FeatureCountMismatch { .. })
        ));
        let nan = edit(|v| v["models"]["refund"]["forest"]["value"][0] = serde_json::Value::Null);
        assert!(matches!(
            ModelFile::from_bytes(&nan),
            Err(ModelError::Json(_))
        ));
        let wrong_type = edit(|v| v["models"]["refund"]["forest"]["left"] = "x".into());
        assert!(matches!(
            ModelFile::from_bytes(&wrong_type),
            Err(ModelError::Json(_))
        ));
    }

    proptest! {
        #[test]
        fn from_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = ModelFile::from_bytes(&b);
        }

        #[test]
        fn from_bytes_never_panics_on_mutated_files(pos in 0usize..100_000, byte in any::<u8>(), cut in 0usize..100_000) {
            let mut b = model_file_bytes().clone();
            let p = pos % b.len();
            b[p] = byte;
            b.truncate(b.len() - cut % 64);
            if let Ok(m) = ModelFile::from_bytes(&b) {
                for r in rows().chunks_exact(synth::N_FEATURES).take(3) {
                    let _ = m.models.values().map(|t| t.forest.predict_logit(r)).sum::<f64>();
                }
            }
        }
    }

    fn model_file_bytes() -> &'static Vec<u8> {
        static B: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        B.get_or_init(|| model_file_v2().to_bytes())
    }
}
