//! Times the trainer on an exported feature matrix (CSV: `refund_id,ts,split,label,<features>`,
//! empty = missing). Training rows are the `train` split, resampled with replacement to
//! `--rows N` when given; `valid` rows are the validation set unless `--no-valid`.
//!
//! Usage: cargo run --release -p clawback-model --example train_csv -- FILE
//!        [--rows N] [--threads T] [--trees K] [--no-valid] [--out forest.json]
#![allow(clippy::print_stdout)]

use std::time::Instant;

use clawback_model::{Dataset, TrainParams, metrics, train};

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1).cloned())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: train_csv FILE [options]")?;
    let text = std::fs::read_to_string(&path)?;
    let mut lines = text.lines();
    let nf = lines.next().ok_or("empty file")?.split(',').count() - 4;
    let (mut tx, mut ty, mut vx, mut vy) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for line in lines {
        let mut it = line.split(',');
        let split = it.nth(2).ok_or("short row")?;
        let label = it.next().ok_or("short row")? == "1";
        let (x, y) = if split == "train" {
            (&mut tx, &mut ty)
        } else {
            (&mut vx, &mut vy)
        };
        for v in it {
            x.push(if v.is_empty() { f32::NAN } else { v.parse()? });
        }
        y.push(label);
    }
    if let Some(n) = arg("--rows").map(|s| s.parse::<usize>()).transpose()? {
        let m = ty.len();
        let mut s = 0x1234_5678_9abc_def0u64;
        let (mut x, mut y) = (Vec::with_capacity(n * nf), Vec::with_capacity(n));
        for _ in 0..n {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let r = (s % m as u64) as usize;
            x.extend_from_slice(tx.get(r * nf..(r + 1) * nf).ok_or("bad row")?);
            y.push(ty.get(r).copied().unwrap_or(false));
        }
        (tx, ty) = (x, y);
    }
    let d = Dataset {
        n_features: nf,
        rows: &tx,
        labels: &ty,
    };
    let v = Dataset {
        n_features: nf,
        rows: &vx,
        labels: &vy,
    };
    let mut p = TrainParams {
        threads: 2,
        ..TrainParams::default()
    };
    if let Some(t) = arg("--threads") {
        p.threads = t.parse()?;
    }
    if let Some(t) = arg("--trees") {
        p.max_trees = t.parse()?;
    }
    let use_valid = !std::env::args().any(|a| a == "--no-valid");
    let t = Instant::now();
    let f = train(&d, use_valid.then_some(&v), &p, &mut |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    let scores: Vec<f64> = vx.chunks_exact(nf).map(|r| f.predict_logit(r)).collect();
    println!(
        "{} x {nf}: {secs:.2}s, {} trees, valid AUC {:.4}",
        ty.len(),
        f.n_trees(),
        metrics::roc_auc(&scores, &vy)
    );
    if let Some(out) = arg("--out") {
        std::fs::write(out, serde_json::to_vec(&f)?)?;
    }
    Ok(())
}
