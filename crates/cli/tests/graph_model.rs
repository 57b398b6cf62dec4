//! `clawback graph-model` end to end: graph aggregates help where fraud clusters, no
//! node's own label (or any val/test label) leaks into features, and malformed input is
//! reported with file and line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_clawback"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn run_ok(cmd: &mut Command) -> Value {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// splitmix64, so the synthetic graph is the same on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// 2,000 nodes, 10% fraud in rings of 10 that link mostly among themselves; one weak
/// node feature (fraud shifted by 0.4 sd) and one pure-noise feature.
struct Graph {
    labels: Vec<bool>,
    features: Vec<[f64; 2]>,
    edges: Vec<(usize, usize)>,
    /// "train" / "val" / "test" per node.
    split: Vec<&'static str>,
}

fn synthetic() -> Graph {
    let n = 2000;
    let mut rng = Rng(42);
    let labels: Vec<bool> = (0..n).map(|i| i % 10 == 0).collect();
    let fraud: Vec<usize> = (0..n).filter(|&i| labels[i]).collect();
    let features = labels
        .iter()
        .map(|&y| [rng.normal() + if y { 0.7 } else { 0.0 }, rng.normal()])
        .collect();
    let mut edges = Vec::new();
    for (k, &v) in fraud.iter().enumerate() {
        let ring = &fraud[(k / 10) * 10..((k / 10) * 10 + 10).min(fraud.len())];
        for _ in 0..2 {
            let u = ring[rng.below(ring.len())];
            if u != v {
                edges.push((v, u));
            }
        }
        edges.push((v, rng.below(n)));
    }
    for (v, &y) in labels.iter().enumerate() {
        if !y {
            for _ in 0..2 {
                let u = rng.below(n);
                if u != v {
                    edges.push((v, u));
                }
            }
        }
    }
    let split = (0..n)
        .map(|_| match rng.below(4) {
            0 | 1 => "train",
            2 => "val",
            _ => "test",
        })
        .collect();
    Graph {
        labels,
        features,
        edges,
        split,
    }
}

/// Writes the graph; `test_labels` keeps the labels of test nodes in nodes.csv (they
/// must be ignored), `flip` flips one node's label.
fn write_graph(dir: &Path, g: &Graph, test_labels: bool, flip: Option<usize>) -> [PathBuf; 3] {
    let mut nodes = String::from("node_id,label,f0,f1\n");
    for (i, f) in g.features.iter().enumerate() {
        let y = g.labels[i] != (flip == Some(i));
        let label = if g.split[i] == "test" && !test_labels {
            ""
        } else if y {
            "1"
        } else {
            "0"
        };
        writeln!(nodes, "n{i},{label},{},{}", f[0], f[1]).unwrap();
    }
    let mut edges = String::from("src,dst\n");
    for (a, b) in &g.edges {
        writeln!(edges, "n{a},n{b}").unwrap();
    }
    let mut split = String::from("node_id,split\n");
    for (i, s) in g.split.iter().enumerate() {
        writeln!(split, "n{i},{s}").unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    let paths = [
        dir.join("nodes.csv"),
        dir.join("edges.csv"),
        dir.join("split.csv"),
    ];
    for (p, text) in paths.iter().zip([nodes, edges, split]) {
        std::fs::write(p, text).unwrap();
    }
    paths
}

fn graph_model(paths: &[PathBuf; 3], out: &Path, features: &str) -> Command {
    let mut cmd = bin();
    cmd.arg("graph-model")
        .arg("--nodes")
        .arg(&paths[0])
        .arg("--edges")
        .arg(&paths[1])
        .arg("--split")
        .arg(&paths[2])
        .arg("--out")
        .arg(out)
        .args(["--features", features, "--threads", "2"]);
    cmd
}

#[test]
fn graph_aggregates_beat_node_features_where_fraud_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let g = synthetic();
    let paths = write_graph(dir.path(), &g, false, None);
    let out = dir.path().join("scores.csv");
    let node = run_ok(&mut graph_model(&paths, &out, "node"));
    let auto = run_ok(&mut graph_model(&paths, &out, "auto"));
    let (a_node, a_graph) = (
        node["val_auc"].as_f64().unwrap(),
        auto["val_auc"].as_f64().unwrap(),
    );
    assert!(
        a_graph > a_node + 0.1,
        "graph {a_graph} vs node-only {a_node}: {auto:#}"
    );
    assert_ne!(auto["chosen"], "node");
    assert_eq!(auto["nodes"], 2000);
    assert_eq!(auto["candidates"].as_array().unwrap().len(), 6);
    // Every node is scored, in file order, with a header.
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "node_id,score");
    assert_eq!(lines.len(), 2001);
    assert!(lines[1].starts_with("n0,"));
}

/// A node's feature row must not depend on its own label. Flip one training node's label
/// and compare the dumped feature rows: its own row is bit-identical, while a neighbour's
/// label features change (so the test can see a leak if there were one).
#[test]
fn own_label_never_enters_own_features() {
    let dir = tempfile::tempdir().unwrap();
    let g = synthetic();
    // A fraud training node with a training neighbour.
    let v = (0..g.labels.len())
        .find(|&v| {
            g.labels[v]
                && g.split[v] == "train"
                && g.edges.iter().any(|&(a, b)| {
                    (a == v && g.split[b] == "train") || (b == v && g.split[a] == "train")
                })
        })
        .unwrap();
    let dump = |flip: Option<usize>, name: &str| {
        let paths = write_graph(&dir.path().join(name), &g, false, flip);
        let feats = dir.path().join(name).join("features.csv");
        run_ok(
            graph_model(&paths, &dir.path().join(name).join("s.csv"), "node")
                .arg("--features-out")
                .arg(&feats),
        );
        std::fs::read_to_string(feats).unwrap()
    };
    let (a, b) = (dump(None, "a"), dump(Some(v), "b"));
    let row = |text: &str, i: usize| text.lines().nth(i + 1).unwrap().to_string();
    assert_eq!(
        row(&a, v),
        row(&b, v),
        "node n{v}'s row changed with its own label"
    );
    let header = a.lines().next().unwrap();
    assert!(header.contains("edges:fraud_share") && header.contains("edges:hop2_fraud_share"));
    let changed = (0..g.labels.len())
        .filter(|&i| row(&a, i) != row(&b, i))
        .count();
    assert!(
        changed > 0,
        "flipping a training label changed no other row"
    );
}

/// Labels of test nodes (and nodes outside the split) must not matter at all: scores are
/// byte-identical with and without them, and with one of them flipped.
#[test]
fn test_labels_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let g = synthetic();
    let scores = |test_labels: bool, flip: Option<usize>, name: &str| {
        let paths = write_graph(&dir.path().join(name), &g, test_labels, flip);
        let out = dir.path().join(name).join("scores.csv");
        run_ok(&mut graph_model(&paths, &out, "node+nbr+hop2+labels"));
        std::fs::read_to_string(out).unwrap()
    };
    let t = (0..g.labels.len())
        .find(|&i| g.split[i] == "test" && g.labels[i])
        .unwrap();
    let base = scores(false, None, "a");
    assert_eq!(base, scores(true, None, "b"));
    assert_eq!(base, scores(true, Some(t), "c"));
}

/// Without --split, labelled nodes are split 80/20 (seeded): same seed, same scores.
#[test]
fn internal_split_is_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let g = synthetic();
    let paths = write_graph(dir.path(), &g, false, None);
    let go = |out: &str| {
        let out = dir.path().join(out);
        let r = run_ok(
            bin()
                .arg("graph-model")
                .arg("--nodes")
                .arg(&paths[0])
                .arg("--edges")
                .arg(&paths[1])
                .arg("--out")
                .arg(&out)
                .args(["--features", "node+labels"]),
        );
        (r, std::fs::read_to_string(out).unwrap())
    };
    let (r1, s1) = go("a.csv");
    let (_, s2) = go("b.csv");
    assert_eq!(s1, s2);
    let labelled = r1["labelled"].as_u64().unwrap();
    assert_eq!(
        r1["train_rows"].as_u64().unwrap() + r1["val_rows"].as_u64().unwrap(),
        labelled
    );
    assert!(r1["val_rows"].as_u64().unwrap().abs_diff(labelled / 5) <= 2);
}

#[test]
fn malformed_input_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let g = synthetic();
    let paths = write_graph(dir.path(), &g, false, None);
    let out = dir.path().join("s.csv");
    let err = |paths: &[PathBuf; 3]| {
        let o = run(&mut graph_model(paths, &out, "node"));
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let edit = |file: &Path, line: usize, text: &str| {
        let mut lines: Vec<String> = std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        lines[line - 1] = text.to_string();
        std::fs::write(file, lines.join("\n") + "\n").unwrap();
    };

    edit(&paths[0], 5, "n3,0,abc,1");
    let e = err(&paths);
    assert!(
        e.contains("nodes.csv:5") && e.contains("column 3 (f0)"),
        "{e}"
    );

    edit(&paths[0], 5, "n3,0,1");
    let e = err(&paths);
    assert!(e.contains("nodes.csv:5") && e.contains("3 fields"), "{e}");

    edit(&paths[0], 5, "n3,yes,1,1");
    let e = err(&paths);
    assert!(e.contains("nodes.csv:5") && e.contains("label"), "{e}");

    edit(&paths[0], 5, "\"n3\",0,1,1");
    let e = err(&paths);
    assert!(e.contains("nodes.csv:5") && e.contains("quoted"), "{e}");

    edit(&paths[0], 5, "n3,0,1,1");
    edit(&paths[1], 7, "n1,nobody");
    let e = err(&paths);
    assert!(
        e.contains("edges.csv:7") && e.contains("column 2 (dst)") && e.contains("nobody"),
        "{e}"
    );

    edit(&paths[1], 7, "n1,n2");
    edit(&paths[2], 3, "n1,holdout");
    let e = err(&paths);
    assert!(e.contains("split.csv:3") && e.contains("holdout"), "{e}");
}
