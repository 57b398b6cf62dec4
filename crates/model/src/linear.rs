//! Logistic regression over hashed sparse features: the text classifier's model.
//!
//! Why linear and hashed: a reported message is a bag of word and character n-grams, far
//! too many and too open-ended for a fixed feature list; hashing them into `2^bits` buckets
//! gives a fixed-size model whose every weight can be read back, that scores a message in
//! microseconds and that trains in a second on tens of thousands of messages. Why logistic
//! regression: its output is a log-odds, which is what the engine's signals already are, so
//! it adds to the rules' weights directly.
//!
//! Training is stochastic gradient descent with L2 regularisation in a fixed, seeded order,
//! sequential and in `f64`: two trainings on the same rows give the same bytes.

use serde::{Deserialize, Serialize};

/// One example: `(bucket, value)` pairs. Buckets are masked to the model's size when
/// scoring, so any index is safe.
pub type Sparse = [(u32, f32)];

/// Smallest and largest number of hash bits a model may have (256 to 16M weights).
pub const MIN_BITS: u8 = 8;
pub const MAX_BITS: u8 = 24;

/// A trained linear model: `logit(x) = bias + Σ weights[i] · x_i`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LinearWire", into = "LinearWire")]
pub struct LinearModel {
    bits: u8,
    bias: f64,
    weights: Vec<f32>,
}

/// How a [`LinearModel`] is written: the weights as base64 of little-endian `f32`s (a
/// quarter of the size of JSON numbers, and exact).
#[derive(Serialize, Deserialize)]
struct LinearWire {
    bits: u8,
    bias: f64,
    weights: String,
}

impl From<LinearModel> for LinearWire {
    fn from(m: LinearModel) -> Self {
        use base64::Engine as _;
        let mut bytes = Vec::with_capacity(m.weights.len() * 4);
        for w in &m.weights {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        LinearWire {
            bits: m.bits,
            bias: m.bias,
            weights: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

impl TryFrom<LinearWire> for LinearModel {
    type Error = String;

    fn try_from(w: LinearWire) -> Result<Self, String> {
        use base64::Engine as _;
        if !(MIN_BITS..=MAX_BITS).contains(&w.bits) {
            return Err(format!(
                "classifier bits is {}, must be {MIN_BITS}..={MAX_BITS}",
                w.bits
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(w.weights.as_bytes())
            .map_err(|e| format!("classifier weights are not base64 ({e})"))?;
        let want = 4usize << w.bits;
        if bytes.len() != want {
            return Err(format!(
                "classifier weights hold {} bytes, {want} expected for {} bits",
                bytes.len(),
                w.bits
            ));
        }
        let weights: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        LinearModel::new(w.bits, w.bias, weights)
    }
}

impl LinearModel {
    /// A model from its parts; refuses a size that does not match `bits` and non-finite
    /// numbers.
    pub fn new(bits: u8, bias: f64, weights: Vec<f32>) -> Result<Self, String> {
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return Err(format!(
                "classifier bits is {bits}, must be {MIN_BITS}..={MAX_BITS}"
            ));
        }
        if weights.len() != 1usize << bits {
            return Err(format!(
                "classifier has {} weights, {} expected for {bits} bits",
                weights.len(),
                1usize << bits
            ));
        }
        if !bias.is_finite() {
            return Err("classifier bias is not a finite number".into());
        }
        if let Some(i) = weights.iter().position(|w| !w.is_finite()) {
            return Err(format!("classifier weight {i} is not a finite number"));
        }
        Ok(Self {
            bits,
            bias,
            weights,
        })
    }

    /// Hash bits: the model has `2^bits` weights.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    pub fn bias(&self) -> f64 {
        self.bias
    }

    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The log-odds of the positive class.
    pub fn logit(&self, x: &Sparse) -> f64 {
        let mask = (1usize << self.bits) - 1;
        let mut z = self.bias;
        for &(i, v) in x {
            if let Some(w) = self.weights.get(i as usize & mask) {
                z += f64::from(*w) * f64::from(v);
            }
        }
        z
    }

    /// The probability of the positive class.
    pub fn predict_proba(&self, x: &Sparse) -> f64 {
        sigmoid(self.logit(x))
    }
}

/// The logistic function, stable at both ends.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Training parameters of a [`LinearModel`]; recorded in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinearParams {
    /// Hash bits (the feature extractor hashes into `2^bits` buckets).
    pub bits: u8,
    /// Passes over the training rows.
    pub epochs: usize,
    /// L2 regularisation strength (per example).
    pub l2: f64,
    /// Initial step size; it decays as `1 / (1 + t / n)` with `t` steps over `n` rows.
    pub learning_rate: f64,
    /// Seed of the order in which rows are visited.
    pub seed: u64,
}

impl Default for LinearParams {
    fn default() -> Self {
        Self {
            bits: 18,
            epochs: 30,
            l2: 1e-5,
            learning_rate: 0.5,
            seed: 0,
        }
    }
}

/// SplitMix64: a tiny seeded generator for the visiting order.
#[cfg(feature = "train")]
struct SplitMix(u64);

#[cfg(feature = "train")]
impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Fits logistic regression with L2 by SGD. `rows[i]` is example `i`, `labels[i]` its
/// class. Deterministic: the same rows, labels and parameters give the same model, bit
/// for bit. Rows may have any bucket (masked to `bits`).
#[cfg(feature = "train")]
pub fn train_linear(
    rows: &[Vec<(u32, f32)>],
    labels: &[bool],
    params: &LinearParams,
) -> Result<LinearModel, crate::ModelError> {
    use crate::ModelError;
    if !(MIN_BITS..=MAX_BITS).contains(&params.bits) {
        return Err(ModelError::InvalidParams(format!(
            "bits must be {MIN_BITS}..={MAX_BITS} (got {})",
            params.bits
        )));
    }
    if params.epochs == 0 || params.epochs > 1000 {
        return Err(ModelError::InvalidParams(format!(
            "epochs must be 1..=1000 (got {})",
            params.epochs
        )));
    }
    if !(params.l2.is_finite() && params.l2 >= 0.0 && params.l2 < 1.0) {
        return Err(ModelError::InvalidParams(format!(
            "l2 must be in [0, 1) (got {})",
            params.l2
        )));
    }
    if !(params.learning_rate.is_finite() && params.learning_rate > 0.0) {
        return Err(ModelError::InvalidParams(format!(
            "learning_rate must be positive (got {})",
            params.learning_rate
        )));
    }
    if rows.len() != labels.len() {
        return Err(ModelError::InvalidData(format!(
            "{} rows for {} labels",
            rows.len(),
            labels.len()
        )));
    }
    if rows.is_empty() {
        return Err(ModelError::InvalidData("no rows to train on".into()));
    }
    if let Some(i) = rows
        .iter()
        .position(|r| r.iter().any(|(_, v)| !v.is_finite()))
    {
        return Err(ModelError::InvalidData(format!(
            "row {i} has a non-finite value"
        )));
    }
    let n = rows.len();
    let mask = (1usize << params.bits) - 1;
    // w = scale · v, so that the L2 shrinkage of every weight is one multiplication.
    let mut v = vec![0f64; 1usize << params.bits];
    let mut scale = 1.0f64;
    // Start the bias at the training prior.
    let pos = labels.iter().filter(|&&y| y).count() as f64;
    let prior = ((pos + 0.5) / (n as f64 - pos + 0.5)).ln();
    let mut bias = prior;
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix(params.seed ^ 0x5EED_C1A5_51F1_E500);
    let mut t = 0u64;
    // The weights averaged over the ends of the second half of the epochs (Polyak
    // averaging by epoch): steadier than the last iterate, which follows the last rows.
    let mut avg = vec![0f64; 1usize << params.bits];
    let mut avg_bias = 0.0;
    let mut averaged = 0u32;
    let first_avg = params.epochs / 2;
    for epoch in 0..params.epochs {
        // Fisher–Yates with the seeded generator.
        for i in (1..n).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for &k in &order {
            let eta = params.learning_rate / (1.0 + t as f64 / n as f64);
            t += 1;
            let x = &rows[k];
            let mut z = bias;
            for &(i, val) in x {
                z += scale * v[i as usize & mask] * f64::from(val);
            }
            let y = if labels[k] { 1.0 } else { 0.0 };
            let g = sigmoid(z) - y;
            scale *= 1.0 - eta * params.l2;
            if scale < 1e-9 {
                for w in &mut v {
                    *w *= scale;
                }
                scale = 1.0;
            }
            let step = eta * g / scale;
            for &(i, val) in x {
                v[i as usize & mask] -= step * f64::from(val);
            }
            bias -= eta * g * 0.1;
        }
        if epoch >= first_avg {
            for (a, w) in avg.iter_mut().zip(&v) {
                *a += w * scale;
            }
            avg_bias += bias;
            averaged += 1;
        }
    }
    let k = f64::from(averaged.max(1));
    let weights: Vec<f32> = avg.iter().map(|w| (w / k) as f32).collect();
    LinearModel::new(params.bits, avg_bias / k, weights).map_err(ModelError::InvalidData)
}

#[cfg(test)]
#[cfg(feature = "train")]
mod tests {
    use super::*;

    /// Two "words" per class plus shared noise: separable.
    fn toy(n: usize) -> (Vec<Vec<(u32, f32)>>, Vec<bool>) {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let pos = i % 3 == 0;
            let mut r = vec![((i % 7) as u32 + 100, 0.5), (if pos { 5 } else { 9 }, 1.0)];
            if i % 2 == 0 {
                r.push((if pos { 6 } else { 10 }, 0.7));
            }
            r.sort_by_key(|p| p.0);
            rows.push(r);
            y.push(pos);
        }
        (rows, y)
    }

    #[test]
    fn learns_a_separable_toy_and_is_deterministic() {
        let (rows, y) = toy(300);
        let p = LinearParams {
            bits: 10,
            ..LinearParams::default()
        };
        let m = train_linear(&rows, &y, &p).unwrap();
        for (r, &label) in rows.iter().zip(&y) {
            assert_eq!(m.predict_proba(r) > 0.5, label);
        }
        let again = train_linear(&rows, &y, &p).unwrap();
        assert_eq!(m, again);
        let other_seed = train_linear(&rows, &y, &LinearParams { seed: 9, ..p }).unwrap();
        assert_ne!(m.weights(), other_seed.weights());
    }

    #[test]
    fn wire_round_trip_is_exact_and_bad_wires_are_refused() {
        let (rows, y) = toy(60);
        let m = train_linear(
            &rows,
            &y,
            &LinearParams {
                bits: 8,
                ..LinearParams::default()
            },
        )
        .unwrap();
        let json = serde_json::to_string(&m).unwrap();
        let back: LinearModel = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let bad_bits = json.replacen("\"bits\":8", "\"bits\":30", 1);
        let e = serde_json::from_str::<LinearModel>(&bad_bits).unwrap_err();
        assert!(e.to_string().contains("bits is 30"), "{e}");
        let short = r#"{"bits":8,"bias":0.0,"weights":"AAAA"}"#;
        let e = serde_json::from_str::<LinearModel>(short).unwrap_err();
        assert!(e.to_string().contains("1024 expected"), "{e}");
        let junk = r#"{"bits":8,"bias":0.0,"weights":"@@@"}"#;
        assert!(serde_json::from_str::<LinearModel>(junk).is_err());
        // A NaN weight (0x7fc00000 little-endian) is refused.
        let mut nan = vec![0u8; 4 << 8];
        nan[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
        use base64::Engine as _;
        let s = base64::engine::general_purpose::STANDARD.encode(nan);
        let e = serde_json::from_str::<LinearModel>(&format!(
            r#"{{"bits":8,"bias":0.0,"weights":"{s}"}}"#
        ))
        .unwrap_err();
        assert!(e.to_string().contains("weight 1 is not a finite"), "{e}");
    }

    #[test]
    fn bad_parameters_and_data_are_typed_errors() {
        let (rows, y) = toy(10);
        assert!(train_linear(&rows, &y[..5], &LinearParams::default()).is_err());
        assert!(
            train_linear(
                &rows,
                &y,
                &LinearParams {
                    bits: 40,
                    ..LinearParams::default()
                }
            )
            .is_err()
        );
        assert!(train_linear(&[], &[], &LinearParams::default()).is_err());
        let nan = vec![vec![(1u32, f32::NAN)]];
        assert!(train_linear(&nan, &[true], &LinearParams::default()).is_err());
    }

    #[test]
    fn any_index_scores_without_panicking() {
        let m = LinearModel::new(8, 0.1, vec![0.5; 256]).unwrap();
        let z = m.logit(&[(u32::MAX, 1.0), (3, 2.0)]);
        assert!((z - (0.1 + 0.5 + 1.0)).abs() < 1e-12);
    }
}
