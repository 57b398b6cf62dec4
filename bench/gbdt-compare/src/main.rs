//! Trains on the synthetic fraud matrix (`clawback_model::synth`) with our trainer and,
//! with `--features perpetual`, with perpetual; prints wall time and validation AUC.
//! `--dump DIR` writes the matrices as raw little-endian f32/u8 for `lightgbm_ref.py`.
//!
//! Usage: gbdt-compare [--rows N] [--threads T] [--perpetual-budget B] [--dump DIR]
use std::time::Instant;

use clawback_model::{Dataset, TrainParams, metrics, synth, train};

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter().position(|x| x == name).and_then(|i| a.get(i + 1).cloned())
}

fn main() {
    let n: usize = arg("--rows").map_or(1_000_000, |s| s.parse().unwrap());
    let threads: usize = arg("--threads").map_or(2, |s| s.parse().unwrap());
    let nv = 200_000;
    let nf = synth::N_FEATURES;
    let t = Instant::now();
    let (x, y) = synth::make(n, 1);
    let (vx, vy) = synth::make(nv, 2);
    let pos = y.iter().filter(|&&b| b).count();
    println!("data: {n} x {nf}, positives {:.2}%, generated in {:.1}s", 100.0 * pos as f64 / n as f64, t.elapsed().as_secs_f64());
    if let Some(dir) = arg("--dump") {
        let f32s = |v: &[f32]| v.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>();
        let u8s = |v: &[bool]| v.iter().map(|&b| b as u8).collect::<Vec<u8>>();
        std::fs::write(format!("{dir}/train_x.f32"), f32s(&x)).unwrap();
        std::fs::write(format!("{dir}/train_y.u8"), u8s(&y)).unwrap();
        std::fs::write(format!("{dir}/valid_x.f32"), f32s(&vx)).unwrap();
        std::fs::write(format!("{dir}/valid_y.u8"), u8s(&vy)).unwrap();
        println!("dumped to {dir}");
        return;
    }
    let oracle_free = Dataset { n_features: nf, rows: &x, labels: &y };
    let valid = Dataset { n_features: nf, rows: &vx, labels: &vy };
    let params = TrainParams { threads, ..TrainParams::default() };
    let t = Instant::now();
    let forest = train(&oracle_free, Some(&valid), &params, &mut |_| {}).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let scores: Vec<f64> = vx.chunks_exact(nf).map(|r| forest.predict_logit(r)).collect();
    let probs: Vec<f64> = vx.chunks_exact(nf).map(|r| forest.predict_proba(r)).collect();
    println!(
        "clawback-model: {secs:.1}s, {} trees, {} nodes, valid AUC {:.4}, AP {:.4}, logloss {:.4}",
        forest.n_trees(),
        forest.n_nodes(),
        metrics::roc_auc(&scores, &vy),
        metrics::average_precision(&scores, &vy),
        metrics::log_loss(&probs, &vy)
    );
    // Scoring latency, one row at a time, with attributions.
    let mut out = vec![0.0; nf];
    let mut lat: Vec<f64> = Vec::with_capacity(20_000);
    let mut sink = 0.0;
    for r in vx.chunks_exact(nf).take(20_000) {
        let t = Instant::now();
        sink += forest.predict_logit(r);
        sink += forest.contributions(r, &mut out);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(f64::total_cmp);
    println!("score+contributions per row: p50 {:.1} µs, p99 {:.1} µs (sink {sink:.0})", lat[lat.len() / 2], lat[lat.len() * 99 / 100]);
    #[cfg(feature = "perpetual")]
    run_perpetual(&x, &y, &vx, &vy, n, nv, threads);
}

#[cfg(feature = "perpetual")]
fn run_perpetual(x: &[f32], y: &[bool], vx: &[f32], vy: &[bool], n: usize, nv: usize, threads: usize) {
    use perpetual::objective::Objective;
    use perpetual::{Matrix, PerpetualBooster};
    let nf = synth::N_FEATURES;
    let budget: f32 = arg("--perpetual-budget").map_or(0.5, |s| s.parse().unwrap());
    let colmajor = |x: &[f32], n: usize| {
        let mut c = vec![0f64; x.len()];
        for i in 0..n {
            for j in 0..nf {
                c[j * n + i] = x[i * nf + j] as f64;
            }
        }
        c
    };
    let (cx, cvx) = (colmajor(x, n), colmajor(vx, nv));
    let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
    let t = Instant::now();
    let mut model = PerpetualBooster::default()
        .set_objective(Objective::LogLoss)
        .set_budget(budget)
        .set_num_threads(Some(threads));
    model.fit(&Matrix::new(&cx, n, nf), &yf, None, None).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let p = model.predict(&Matrix::new(&cvx, nv, nf), true);
    let trees = model.get_prediction_trees();
    let nodes: usize = trees.iter().map(|t| t.nodes.len()).sum();
    println!("perpetual budget {budget}: {secs:.1}s, {} trees, {nodes} nodes, valid AUC {:.4}", trees.len(), metrics::roc_auc(&p, vy));
}
