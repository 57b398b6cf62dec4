//! `clawback graph-model`: a link-aware node classifier for any graph given as CSV.
//!
//! Inputs: `nodes.csv` (`node_id,label,f0,...`; label `1`, `0` or empty = unknown;
//! features numeric, empty = missing), one or more edge files (`src,dst`, one relation
//! per file, undirected) and optionally `split.csv` (`node_id,split` with
//! `train`/`val`/`test`). Output: `node_id,score` for every node, and a JSON report.
//!
//! Each node's row is its own features plus blocks computed from the graph, per relation:
//! - `nbr`: neighbour count and, per feature, the mean, max and standard deviation over
//!   the neighbours that have the value (1 hop);
//! - `hop2`: per feature, the mean of the neighbours' 1-hop means (2 hops);
//! - `labels`: how many neighbours have a *known* label, how many of those are fraud, the
//!   fraud share, and the fraud share over 2-hop paths `v - u - w` with `w != v`.
//!
//! Leakage rules (tested in `tests/graph_model.rs`):
//! - Only labels in the *label pool* ever enter features: the training nodes' labels.
//!   Validation and test labels never do, so validation measures what test will see.
//! - A node's own label never enters its own row: self-loops are dropped, 1-hop label
//!   aggregates skip the node itself, and 2-hop label aggregates subtract the node's own
//!   contribution from each neighbour's counts (paths `v - u - v` are removed exactly).
//!   So a training row sees the labels of *other* training nodes only.
//!
//! Which nodes train: with `--split`, labelled `train` nodes train, labelled `val` nodes
//! early-stop and select the feature set; `test` labels (if any) are ignored entirely.
//! Without `--split`, the labelled nodes are split at random, stratified by label, 80%
//! train / 20% val, with a seeded shuffle (`--seed`, splitmix64 + Fisher-Yates over the
//! file order), so the same files and seed give the same split on any machine.
//!
//! With `--features auto` (the default) every candidate feature set is trained and the
//! one with the best validation AUROC (then average precision) is kept; that is a choice
//! made on validation, so its validation figures are slightly optimistic.
//!
//! CSV parsing is a hand-written split on `,`: these formats are plain numbers and ids
//! with no quoting, and the workspace has no CSV crate. A field that starts with a quote
//! is rejected with a message instead of being misread.

use anyhow::{Context, Result, bail};
use clawback_model::metrics::{average_precision, roc_auc};
use clawback_model::{Dataset, TrainParams};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `clawback graph-model` arguments.
#[derive(Debug, clap::Args)]
pub struct GraphModelArgs {
    /// Nodes: `node_id,label,f0,...` (label 1, 0 or empty; features numeric, empty = missing).
    #[arg(long, value_name = "CSV")]
    pub nodes: PathBuf,
    /// Edges of one relation: `src,dst`, undirected. Repeat for more relations.
    #[arg(long, value_name = "CSV", required = true)]
    pub edges: Vec<PathBuf>,
    /// Where to write `node_id,score` for every node.
    #[arg(long, value_name = "CSV")]
    pub out: PathBuf,
    /// `node_id,split` with train/val/test; without it, labelled nodes are split 80/20 at
    /// random (seeded).
    #[arg(long, value_name = "CSV")]
    pub split: Option<PathBuf>,
    /// Feature set: auto (try all, keep the best on val), or one of node, node+nbr,
    /// node+nbr+hop2, node+labels, node+nbr+labels, node+nbr+hop2+labels.
    #[arg(long, default_value = "auto")]
    pub features: String,
    /// Also write every node's full feature row (all blocks) as CSV, for inspection.
    #[arg(long, value_name = "CSV")]
    pub features_out: Option<PathBuf>,
    #[arg(long, default_value_t = 1000)]
    pub max_trees: usize,
    #[arg(long, default_value_t = 0.05)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 15)]
    pub max_leaves: usize,
    #[arg(long, default_value_t = 1.0)]
    pub min_child_weight: f64,
    #[arg(long, default_value_t = 1.0)]
    pub lambda: f64,
    /// Rounds without validation improvement before stopping.
    #[arg(long, default_value_t = 50)]
    pub early_stopping_rounds: usize,
    /// Training threads (default: all cores; the model does not depend on it).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Seed of the internal 80/20 split (without --split) and of the trainer's binning.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Feature blocks a candidate may use (the node's own features are always in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Blocks {
    nbr: bool,
    hop2: bool,
    labels: bool,
}

const CANDIDATES: [(&str, Blocks); 6] = [
    (
        "node",
        Blocks {
            nbr: false,
            hop2: false,
            labels: false,
        },
    ),
    (
        "node+nbr",
        Blocks {
            nbr: true,
            hop2: false,
            labels: false,
        },
    ),
    (
        "node+nbr+hop2",
        Blocks {
            nbr: true,
            hop2: true,
            labels: false,
        },
    ),
    (
        "node+labels",
        Blocks {
            nbr: false,
            hop2: false,
            labels: true,
        },
    ),
    (
        "node+nbr+labels",
        Blocks {
            nbr: true,
            hop2: false,
            labels: true,
        },
    ),
    (
        "node+nbr+hop2+labels",
        Blocks {
            nbr: true,
            hop2: true,
            labels: true,
        },
    ),
];

/// Which block a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Node,
    Nbr,
    Hop2,
    Labels,
}

impl Block {
    fn used_by(self, b: Blocks) -> bool {
        match self {
            Block::Node => true,
            Block::Nbr => b.nbr,
            Block::Hop2 => b.hop2,
            Block::Labels => b.labels,
        }
    }
}

/// The parsed nodes file.
#[derive(Debug)]
pub struct Nodes {
    pub ids: Vec<String>,
    pub labels: Vec<Option<bool>>,
    pub feature_names: Vec<String>,
    /// Row-major, `ids.len() * feature_names.len()`, NaN = missing.
    pub features: Vec<f32>,
}

/// One relation as a symmetric adjacency list (CSR), without self-loops or duplicates.
#[derive(Debug)]
pub struct Relation {
    pub name: String,
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// Edges as read (data lines).
    pub edges: usize,
    pub self_loops: usize,
    pub duplicates: usize,
}

impl Relation {
    fn neighbours(&self, v: usize) -> &[u32] {
        match (self.offsets.get(v), self.offsets.get(v + 1)) {
            (Some(&a), Some(&b)) => self.targets.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Builds the adjacency of `n` nodes from undirected pairs.
    pub fn from_pairs(name: String, n: usize, pairs: &[(u32, u32)]) -> Relation {
        let mut deg = vec![0usize; n + 1];
        let mut self_loops = 0;
        for &(a, b) in pairs {
            if a == b {
                self_loops += 1;
                continue;
            }
            deg[a as usize] += 1;
            deg[b as usize] += 1;
        }
        let mut offsets = vec![0usize; n + 1];
        for v in 0..n {
            offsets[v + 1] = offsets[v] + deg[v];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; offsets[n]];
        for &(a, b) in pairs {
            if a == b {
                continue;
            }
            targets[fill[a as usize]] = b;
            fill[a as usize] += 1;
            targets[fill[b as usize]] = a;
            fill[b as usize] += 1;
        }
        // Sort and de-duplicate each list, compacting in place.
        let mut out = Vec::with_capacity(targets.len());
        let mut new_offsets = vec![0usize; n + 1];
        for v in 0..n {
            let list = &mut targets[offsets[v]..offsets[v + 1]];
            list.sort_unstable();
            let mut prev = None;
            for &t in list.iter() {
                if prev != Some(t) {
                    out.push(t);
                    prev = Some(t);
                }
            }
            new_offsets[v + 1] = out.len();
        }
        let kept_pairs = out.len() / 2;
        let duplicates = pairs.len() - self_loops - kept_pairs;
        Relation {
            name,
            offsets: new_offsets,
            targets: out,
            edges: pairs.len(),
            self_loops,
            duplicates,
        }
    }
}

/// Splits a data line into fields, rejecting quoted fields (see the module docs).
fn fields<'a>(line: &'a str, file: &Path, lineno: usize) -> Result<Vec<&'a str>> {
    let parts: Vec<&str> = line.split(',').map(str::trim).collect();
    for (i, p) in parts.iter().enumerate() {
        if p.starts_with('"') || p.starts_with('\'') {
            bail!(
                "{}:{lineno}: column {}: quoted fields are not supported; write plain values \
                 without quotes or commas",
                file.display(),
                i + 1
            );
        }
    }
    Ok(parts)
}

/// Reads a whole file and yields `(line number, line)` for non-blank lines.
fn read_lines(file: &Path) -> Result<Vec<(usize, String)>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {} (is the path right?)", file.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r').to_string()))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect())
}

fn check_header(file: &Path, lines: &[(usize, String)], expected: &[&str]) -> Result<Vec<String>> {
    let Some((lineno, header)) = lines.first() else {
        bail!(
            "{} is empty; it needs a header line starting with `{}`",
            file.display(),
            expected.join(",")
        )
    };
    let cols: Vec<String> = fields(header, file, *lineno)?
        .into_iter()
        .map(str::to_string)
        .collect();
    for (i, want) in expected.iter().enumerate() {
        if cols.get(i).map(String::as_str) != Some(*want) {
            bail!(
                "{}:{lineno}: header must start with `{}` (found `{}`); add or fix the header line",
                file.display(),
                expected.join(","),
                header
            );
        }
    }
    Ok(cols)
}

fn check_width(file: &Path, lineno: usize, got: usize, want: usize) -> Result<()> {
    if got != want {
        bail!(
            "{}:{lineno}: {got} fields but the header has {want}; every line needs one value \
             per header column (leave a field empty for missing)",
            file.display()
        );
    }
    Ok(())
}

/// Parses `nodes.csv`.
pub fn read_nodes(file: &Path) -> Result<Nodes> {
    let lines = read_lines(file)?;
    let header = check_header(file, &lines, &["node_id", "label"])?;
    let nf = header.len() - 2;
    let mut nodes = Nodes {
        ids: Vec::with_capacity(lines.len()),
        labels: Vec::with_capacity(lines.len()),
        feature_names: header[2..].to_vec(),
        features: Vec::with_capacity(lines.len() * nf),
    };
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    for (lineno, line) in lines.iter().skip(1) {
        let lineno = *lineno;
        let f = fields(line, file, lineno)?;
        check_width(file, lineno, f.len(), header.len())?;
        let id = f[0];
        if id.is_empty() {
            bail!(
                "{}:{lineno}: column 1 (node_id) is empty; give every node an id",
                file.display()
            );
        }
        if let Some(first) = seen.insert(id.to_string(), lineno) {
            bail!(
                "{}:{lineno}: column 1 (node_id): node `{id}` already appeared on line {first}; \
                 each node must be listed once",
                file.display()
            );
        }
        let label = match f[1] {
            "" => None,
            "1" => Some(true),
            "0" => Some(false),
            other => bail!(
                "{}:{lineno}: column 2 (label): `{other}` is not a label; use 1 (fraud), 0 \
                 (legit) or leave it empty (unknown)",
                file.display()
            ),
        };
        for (j, v) in f[2..].iter().enumerate() {
            let x = if v.is_empty() {
                f32::NAN
            } else {
                match v.parse::<f64>() {
                    Ok(x) if x.is_nan() => f32::NAN,
                    Ok(x) if x.is_finite() => x as f32,
                    _ => bail!(
                        "{}:{lineno}: column {} ({}): `{v}` is not a finite number; write a \
                         number, or leave it empty for missing",
                        file.display(),
                        j + 3,
                        header[j + 2]
                    ),
                }
            };
            nodes.features.push(x);
        }
        nodes.ids.push(id.to_string());
        nodes.labels.push(label);
    }
    if nodes.ids.is_empty() {
        bail!("{} has a header but no nodes", file.display());
    }
    Ok(nodes)
}

/// Parses an edges file against the node index.
pub fn read_edges(file: &Path, index: &FxHashMap<&str, u32>) -> Result<Relation> {
    let lines = read_lines(file)?;
    check_header(file, &lines, &["src", "dst"])?;
    let mut pairs = Vec::with_capacity(lines.len());
    for (lineno, line) in lines.iter().skip(1) {
        let lineno = *lineno;
        let f = fields(line, file, lineno)?;
        check_width(file, lineno, f.len(), 2)?;
        let mut ends = [0u32; 2];
        for (k, name) in ["src", "dst"].iter().enumerate() {
            let Some(&v) = index.get(f[k]) else {
                bail!(
                    "{}:{lineno}: column {} ({name}): node `{}` is not in the nodes file; add it \
                     there or remove the edge",
                    file.display(),
                    k + 1,
                    f[k]
                )
            };
            ends[k] = v;
        }
        pairs.push((ends[0], ends[1]));
    }
    let name = file.file_stem().map_or_else(
        || file.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    Ok(Relation::from_pairs(name, index.len(), &pairs))
}

/// Where a node falls in the split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Train,
    Val,
    /// Test, or not in the split file: scored, never trained on, label ignored.
    Other,
}

/// Parses `split.csv`; nodes it does not list are `Other`.
pub fn read_split(file: &Path, index: &FxHashMap<&str, u32>) -> Result<Vec<Part>> {
    let lines = read_lines(file)?;
    check_header(file, &lines, &["node_id", "split"])?;
    let mut parts = vec![Part::Other; index.len()];
    for (lineno, line) in lines.iter().skip(1) {
        let lineno = *lineno;
        let f = fields(line, file, lineno)?;
        check_width(file, lineno, f.len(), 2)?;
        let Some(&v) = index.get(f[0]) else {
            bail!(
                "{}:{lineno}: column 1 (node_id): node `{}` is not in the nodes file; fix the id \
                 or drop the line",
                file.display(),
                f[0]
            )
        };
        parts[v as usize] = match f[1] {
            "train" => Part::Train,
            "val" => Part::Val,
            "test" => Part::Other,
            other => bail!(
                "{}:{lineno}: column 2 (split): `{other}` is not train, val or test",
                file.display()
            ),
        };
    }
    Ok(parts)
}

/// splitmix64: a tiny, portable, seeded generator for the internal split.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The internal split: per class, a seeded Fisher-Yates shuffle of the labelled nodes
/// (in file order), the first 20% (rounded) going to val.
pub fn random_split(labels: &[Option<bool>], seed: u64) -> Vec<Part> {
    let mut parts = vec![Part::Other; labels.len()];
    let mut state = seed;
    for class in [false, true] {
        let mut idx: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] == Some(class))
            .collect();
        for i in (1..idx.len()).rev() {
            let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
        let n_val = (idx.len() as f64 * 0.2).round() as usize;
        for (k, &i) in idx.iter().enumerate() {
            parts[i] = if k < n_val { Part::Val } else { Part::Train };
        }
    }
    parts
}

/// The full feature matrix: all blocks, row-major, with each column's name and block.
#[derive(Debug)]
pub struct Matrix {
    pub names: Vec<String>,
    blocks: Vec<Block>,
    pub values: Vec<f32>,
}

impl Matrix {
    pub fn n_cols(&self) -> usize {
        self.names.len()
    }
}

/// Builds every node's row. `pool[v]` is the label node `v` contributes to *other*
/// nodes' label aggregates (None = not in the pool). Pure: the same inputs give the same
/// matrix, and row `v` never depends on `pool[v]`.
pub fn build_features(nodes: &Nodes, relations: &[Relation], pool: &[Option<bool>]) -> Matrix {
    let n = nodes.ids.len();
    let nf = nodes.feature_names.len();
    let mut names: Vec<String> = nodes.feature_names.clone();
    let mut blocks = vec![Block::Node; nf];
    // Columns are appended block by block into `cols` (column-major), then transposed.
    let mut cols: Vec<Vec<f32>> = (0..nf)
        .map(|j| (0..n).map(|v| nodes.features[v * nf + j]).collect())
        .collect();
    let feat = |v: usize, j: usize| nodes.features[v * nf + j];
    for rel in relations {
        let r = &rel.name;
        // 1-hop: count, and per feature mean / max / std over neighbours with the value.
        names.push(format!("{r}:degree"));
        blocks.push(Block::Nbr);
        cols.push((0..n).map(|v| rel.neighbours(v).len() as f32).collect());
        let mut means: Vec<Vec<f32>> = Vec::with_capacity(nf);
        for j in 0..nf {
            let (mut mean, mut max, mut std) =
                (vec![f32::NAN; n], vec![f32::NAN; n], vec![f32::NAN; n]);
            for v in 0..n {
                let (mut c, mut s, mut s2, mut m) = (0u32, 0f64, 0f64, f64::NEG_INFINITY);
                for &u in rel.neighbours(v) {
                    let x = feat(u as usize, j);
                    if !x.is_nan() {
                        let x = f64::from(x);
                        c += 1;
                        s += x;
                        s2 += x * x;
                        m = m.max(x);
                    }
                }
                if c > 0 {
                    let mu = s / f64::from(c);
                    mean[v] = mu as f32;
                    max[v] = m as f32;
                    std[v] = (s2 / f64::from(c) - mu * mu).max(0.0).sqrt() as f32;
                }
            }
            let fname = &nodes.feature_names[j];
            names.push(format!("{r}:mean:{fname}"));
            names.push(format!("{r}:max:{fname}"));
            names.push(format!("{r}:std:{fname}"));
            blocks.extend([Block::Nbr; 3]);
            cols.push(mean.clone());
            cols.push(max);
            cols.push(std);
            means.push(mean);
        }
        // 2-hop: mean over neighbours of their 1-hop means.
        for (j, mean) in means.iter().enumerate() {
            let col: Vec<f32> = (0..n)
                .map(|v| {
                    let (mut c, mut s) = (0u32, 0f64);
                    for &u in rel.neighbours(v) {
                        let x = mean[u as usize];
                        if !x.is_nan() {
                            c += 1;
                            s += f64::from(x);
                        }
                    }
                    if c > 0 {
                        (s / f64::from(c)) as f32
                    } else {
                        f32::NAN
                    }
                })
                .collect();
            names.push(format!("{r}:hop2mean:{}", nodes.feature_names[j]));
            blocks.push(Block::Hop2);
            cols.push(col);
        }
        // Labels: 1-hop counts (the node itself is never its own neighbour: self-loops
        // are dropped) and 2-hop shares over paths v - u - w with w != v.
        let mut known = vec![0u32; n];
        let mut fraud = vec![0u32; n];
        for v in 0..n {
            for &u in rel.neighbours(v) {
                if let Some(y) = pool[u as usize] {
                    known[v] += 1;
                    fraud[v] += u32::from(y);
                }
            }
        }
        let (mut c1, mut f1, mut s1, mut c2, mut s2) = (
            vec![0f32; n],
            vec![0f32; n],
            vec![f32::NAN; n],
            vec![0f32; n],
            vec![f32::NAN; n],
        );
        for v in 0..n {
            c1[v] = known[v] as f32;
            f1[v] = fraud[v] as f32;
            if known[v] > 0 {
                s1[v] = fraud[v] as f32 / known[v] as f32;
            }
            // Remove v's own contribution to each neighbour's counts.
            let (own_k, own_f) = match pool[v] {
                Some(y) => (1u64, u64::from(y)),
                None => (0, 0),
            };
            let (mut k2, mut f2) = (0u64, 0u64);
            for &u in rel.neighbours(v) {
                k2 += u64::from(known[u as usize]) - own_k;
                f2 += u64::from(fraud[u as usize]) - own_f;
            }
            c2[v] = k2 as f32;
            if k2 > 0 {
                s2[v] = (f2 as f64 / k2 as f64) as f32;
            }
        }
        for (suffix, col) in [
            ("labelled", c1),
            ("fraud", f1),
            ("fraud_share", s1),
            ("hop2_labelled", c2),
            ("hop2_fraud_share", s2),
        ] {
            names.push(format!("{r}:{suffix}"));
            blocks.push(Block::Labels);
            cols.push(col);
        }
    }
    let nc = cols.len();
    let mut values = vec![0f32; n * nc];
    for (j, col) in cols.iter().enumerate() {
        for (v, &x) in col.iter().enumerate() {
            values[v * nc + j] = x;
        }
    }
    Matrix {
        names,
        blocks,
        values,
    }
}

/// Rows `which` of `m`, keeping the columns in `keep`.
fn select(m: &Matrix, which: &[usize], keep: &[usize]) -> Vec<f32> {
    let nc = m.n_cols();
    let mut out = Vec::with_capacity(which.len() * keep.len());
    for &v in which {
        let row = &m.values[v * nc..(v + 1) * nc];
        out.extend(keep.iter().map(|&j| row[j]));
    }
    out
}

#[derive(Debug, Serialize)]
pub struct RelationReport {
    pub file: String,
    pub name: String,
    pub edges: usize,
    pub self_loops_dropped: usize,
    pub duplicates_dropped: usize,
}

#[derive(Debug, Serialize)]
pub struct CandidateReport {
    pub features: String,
    pub n_features: usize,
    pub val_auc: f64,
    pub val_ap: f64,
    pub trees: usize,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub nodes: usize,
    pub labelled: usize,
    pub relations: Vec<RelationReport>,
    pub split: String,
    pub train_rows: usize,
    pub train_fraud: usize,
    pub val_rows: usize,
    pub val_fraud: usize,
    pub candidates: Vec<CandidateReport>,
    pub chosen: String,
    pub n_features: usize,
    pub features_used: Vec<String>,
    pub val_auc: f64,
    pub val_ap: f64,
    pub trees: usize,
    pub params: TrainParams,
    pub out: String,
    pub seconds: f64,
}

pub fn run(args: &GraphModelArgs) -> Result<Report> {
    let t0 = Instant::now();
    let candidates: Vec<(&str, Blocks)> = if args.features == "auto" {
        CANDIDATES.to_vec()
    } else {
        match CANDIDATES.iter().find(|(name, _)| *name == args.features) {
            Some(c) => vec![*c],
            None => bail!(
                "--features {}: unknown feature set; use auto or one of {}",
                args.features,
                CANDIDATES.map(|c| c.0).join(", ")
            ),
        }
    };
    let nodes = read_nodes(&args.nodes)?;
    let n = nodes.ids.len();
    if u32::try_from(n).is_err() {
        bail!(
            "{}: more than 2^32 nodes are not supported",
            args.nodes.display()
        );
    }
    let index: FxHashMap<&str, u32> = nodes
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i as u32))
        .collect();
    let mut relations = Vec::with_capacity(args.edges.len());
    for file in &args.edges {
        let mut rel = read_edges(file, &index)?;
        if relations.iter().any(|r: &Relation| r.name == rel.name) {
            rel.name = format!("{}#{}", rel.name, relations.len() + 1);
        }
        relations.push(rel);
    }
    let (parts, split_desc) = match &args.split {
        Some(f) => (read_split(f, &index)?, f.display().to_string()),
        None => (
            random_split(&nodes.labels, args.seed),
            format!(
                "internal: labelled nodes, stratified seeded shuffle (seed {}), 80% train / 20% val",
                args.seed
            ),
        ),
    };
    // The label pool: training labels only.
    let pool: Vec<Option<bool>> = (0..n)
        .map(|v| {
            if parts[v] == Part::Train {
                nodes.labels[v]
            } else {
                None
            }
        })
        .collect();
    let rows_of = |p: Part| -> Vec<usize> {
        (0..n)
            .filter(|&v| parts[v] == p && nodes.labels[v].is_some())
            .collect()
    };
    let (train_idx, val_idx) = (rows_of(Part::Train), rows_of(Part::Val));
    let y_of = |idx: &[usize]| -> Vec<bool> {
        idx.iter().map(|&v| nodes.labels[v] == Some(true)).collect()
    };
    let (y_train, y_val) = (y_of(&train_idx), y_of(&val_idx));
    let count = |y: &[bool]| y.iter().filter(|&&b| b).count();
    let (train_fraud, val_fraud) = (count(&y_train), count(&y_val));
    if train_fraud == 0 || train_fraud == y_train.len() {
        bail!(
            "the training nodes need both fraud (1) and legit (0) labels ({train_fraud} of {} \
             labelled training nodes are fraud); label more nodes or fix the split",
            y_train.len()
        );
    }
    if val_fraud == 0 || val_fraud == y_val.len() {
        bail!(
            "the validation nodes need both fraud (1) and legit (0) labels ({val_fraud} of {} \
             labelled val nodes are fraud); label more nodes or fix the split",
            y_val.len()
        );
    }

    let matrix = build_features(&nodes, &relations, &pool);
    if let Some(f) = &args.features_out {
        write_matrix(f, &nodes.ids, &matrix)?;
    }

    let params = TrainParams {
        max_trees: args.max_trees,
        learning_rate: args.learning_rate,
        max_leaves: args.max_leaves,
        min_child_weight: args.min_child_weight,
        lambda: args.lambda,
        early_stopping_rounds: args.early_stopping_rounds,
        threads: args.threads,
        seed: args.seed,
        ..TrainParams::default()
    };
    let mut reports = Vec::new();
    let mut best: Option<(usize, Vec<usize>, clawback_model::Forest)> = None;
    for (name, blocks) in &candidates {
        let tc = Instant::now();
        let keep: Vec<usize> = (0..matrix.n_cols())
            .filter(|&j| matrix.blocks[j].used_by(*blocks))
            .collect();
        if keep.is_empty() {
            continue; // node-only with a nodes file that has no feature columns
        }
        let xt = select(&matrix, &train_idx, &keep);
        let xv = select(&matrix, &val_idx, &keep);
        let dt = Dataset {
            n_features: keep.len(),
            rows: &xt,
            labels: &y_train,
        };
        let dv = Dataset {
            n_features: keep.len(),
            rows: &xv,
            labels: &y_val,
        };
        let forest = clawback_model::train(&dt, Some(&dv), &params, &mut |_| {})
            .with_context(|| format!("training the {name} model"))?;
        let scores: Vec<f64> = xv
            .chunks(keep.len())
            .map(|r| forest.predict_proba(r))
            .collect();
        let rep = CandidateReport {
            features: (*name).to_string(),
            n_features: keep.len(),
            val_auc: roc_auc(&scores, &y_val),
            val_ap: average_precision(&scores, &y_val),
            trees: forest.n_trees(),
            seconds: tc.elapsed().as_secs_f64(),
        };
        let better = match &best {
            None => true,
            Some((b, _, _)) => {
                let cur: &CandidateReport = &reports[*b];
                (rep.val_auc, rep.val_ap) > (cur.val_auc, cur.val_ap)
            }
        };
        reports.push(rep);
        if better {
            best = Some((reports.len() - 1, keep, forest));
        }
    }
    let Some((bi, keep, forest)) = best else {
        bail!("no feature set was trained")
    };

    // Score every node.
    let nc = matrix.n_cols();
    let mut row = vec![0f32; keep.len()];
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let write_err = || format!("writing {}", args.out.display());
    writeln!(w, "node_id,score").with_context(write_err)?;
    for v in 0..n {
        let full = &matrix.values[v * nc..(v + 1) * nc];
        for (dst, &j) in row.iter_mut().zip(&keep) {
            *dst = full[j];
        }
        writeln!(w, "{},{}", nodes.ids[v], forest.predict_proba(&row)).with_context(write_err)?;
    }
    w.flush().with_context(write_err)?;

    let chosen = &reports[bi];
    Ok(Report {
        nodes: n,
        labelled: nodes.labels.iter().filter(|l| l.is_some()).count(),
        relations: relations
            .iter()
            .zip(&args.edges)
            .map(|(r, f)| RelationReport {
                file: f.display().to_string(),
                name: r.name.clone(),
                edges: r.edges,
                self_loops_dropped: r.self_loops,
                duplicates_dropped: r.duplicates,
            })
            .collect(),
        split: split_desc,
        train_rows: train_idx.len(),
        train_fraud,
        val_rows: val_idx.len(),
        val_fraud,
        chosen: chosen.features.clone(),
        n_features: keep.len(),
        features_used: keep.iter().map(|&j| matrix.names[j].clone()).collect(),
        val_auc: chosen.val_auc,
        val_ap: chosen.val_ap,
        trees: chosen.trees,
        candidates: reports,
        params,
        out: args.out.display().to_string(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Writes `node_id,<every column>` (NaN as empty) for inspection and tests.
fn write_matrix(file: &Path, ids: &[String], m: &Matrix) -> Result<()> {
    let f =
        std::fs::File::create(file).with_context(|| format!("cannot create {}", file.display()))?;
    let mut w = std::io::BufWriter::new(f);
    let err = || format!("writing {}", file.display());
    writeln!(w, "node_id,{}", m.names.join(",")).with_context(err)?;
    let nc = m.n_cols();
    for (v, id) in ids.iter().enumerate() {
        write!(w, "{id}").with_context(err)?;
        for &x in &m.values[v * nc..(v + 1) * nc] {
            if x.is_nan() {
                write!(w, ",").with_context(err)?;
            } else {
                write!(w, ",{x}").with_context(err)?;
            }
        }
        writeln!(w).with_context(err)?;
    }
    w.flush().with_context(err)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tiny() -> (Nodes, Vec<Relation>) {
        // 0 - 1 - 2, 1 - 3, plus a self-loop and a duplicate.
        let nodes = Nodes {
            ids: (0..4).map(|i| i.to_string()).collect(),
            labels: vec![Some(true), Some(false), Some(true), None],
            feature_names: vec!["a".into()],
            features: vec![1.0, 2.0, f32::NAN, 4.0],
        };
        let rel = Relation::from_pairs("r".into(), 4, &[(0, 1), (1, 2), (1, 3), (2, 2), (1, 0)]);
        (nodes, vec![rel])
    }

    #[test]
    fn adjacency_drops_self_loops_and_duplicates() {
        let (_, rels) = tiny();
        assert_eq!(rels[0].neighbours(1), &[0, 2, 3]);
        assert_eq!(rels[0].neighbours(2), &[1]);
        assert_eq!((rels[0].self_loops, rels[0].duplicates), (1, 1));
    }

    #[test]
    fn aggregates_and_own_label_never_in_own_row() {
        let (nodes, rels) = tiny();
        let m = build_features(&nodes, &rels, &nodes.labels);
        let col = |name: &str| m.names.iter().position(|n| n == name).unwrap();
        let at = |v: usize, name: &str| m.values[v * m.n_cols() + col(name)];
        assert_eq!(at(1, "r:mean:a"), 2.5); // neighbours 0 (1.0), 2 (missing), 3 (4.0)
        assert_eq!(at(1, "r:max:a"), 4.0);
        assert_eq!(at(1, "r:degree"), 3.0);
        assert_eq!(at(1, "r:labelled"), 2.0);
        assert_eq!(at(1, "r:fraud"), 2.0);
        // Node 0: 2-hop paths 0-1-2 and 0-1-3 (0-1-0 removed): one labelled, fraud.
        assert_eq!(at(0, "r:hop2_labelled"), 1.0);
        assert_eq!(at(0, "r:hop2_fraud_share"), 1.0);
        // Flipping any node's label leaves its own row unchanged.
        for v in 0..4 {
            let mut pool = nodes.labels.clone();
            pool[v] = match pool[v] {
                Some(y) => Some(!y),
                None => Some(true),
            };
            let m2 = build_features(&nodes, &rels, &pool);
            let nc = m.n_cols();
            let (a, b) = (
                &m.values[v * nc..(v + 1) * nc],
                &m2.values[v * nc..(v + 1) * nc],
            );
            assert!(
                a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "node {v}"
            );
        }
    }

    #[test]
    fn random_split_is_stratified_and_seeded() {
        let labels: Vec<Option<bool>> = (0..100)
            .map(|i| {
                if i % 5 == 0 {
                    Some(true)
                } else if i % 7 == 0 {
                    None
                } else {
                    Some(false)
                }
            })
            .collect();
        let a = random_split(&labels, 3);
        assert_eq!(a, random_split(&labels, 3));
        let val_fraud = (0..100)
            .filter(|&i| a[i] == Part::Val && labels[i] == Some(true))
            .count();
        assert_eq!(val_fraud, 4);
        assert!((0..100).all(|i| labels[i].is_some() || a[i] == Part::Other));
    }
}
