//! Any bytes as a model file: decoded or refused with a typed error, never a panic; a
//! decoded forest scores any row (including NaN and short rows) without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = clawback_model::ModelFile::from_bytes(data) {
        for m in file.models.values() {
            let n = m.forest.n_features();
            let mut out = vec![0.0; n];
            for x in [vec![0.0f32; n], vec![f32::NAN; n], vec![1e30; n / 2]] {
                let _ = m.forest.predict_logit(&x);
                let _ = m.forest.contributions(&x, &mut out);
            }
        }
    }
});
