//! The serving form of a model: a forest of binary trees in flat arrays.
//!
//! Why flat arrays: scoring runs on the engine thread for every refund request, so it
//! must not allocate or chase pointers. All trees live in one set of per-node arrays;
//! a tree is the nodes from its root up to the next tree's root. A node whose `left`
//! is 0 is a leaf (0 can never be a child: children always come after their parent,
//! which is also what rules out cycles).

use serde::{Deserialize, Serialize};

/// Why a forest's arrays cannot be used; a decoded model file is untrusted input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForestError {
    /// The per-node arrays have different lengths.
    #[error("node arrays have different lengths ({0})")]
    ArrayLengths(String),
    /// A tree root is out of range or the roots are not strictly increasing.
    #[error(
        "tree {tree} has root {root}, which is not a valid, increasing node index (nodes: {nodes})"
    )]
    BadRoot {
        tree: usize,
        root: u32,
        nodes: usize,
    },
    /// A child index points outside its tree, or backwards (which could make a cycle).
    #[error(
        "node {node} has child {child} outside its tree (nodes {start}..{end}); children must follow their parent"
    )]
    BadChild {
        node: usize,
        child: u32,
        start: usize,
        end: usize,
    },
    /// A node splits on a feature the model does not have.
    #[error("node {node} splits on feature {feature}, but the model has {n_features} features")]
    BadFeature {
        node: usize,
        feature: u32,
        n_features: usize,
    },
    /// A node is the child of two parents (or of one parent twice).
    #[error("node {node} is reachable from more than one parent")]
    SharedNode { node: usize },
    /// A value or threshold is NaN or infinite, or the bias is.
    #[error("node {node} has a non-finite value or threshold")]
    NonFinite { node: usize },
    /// A leaf marker is inconsistent (one child set, the other not).
    #[error("node {node} has exactly one child; internal nodes need two, leaves none")]
    HalfLeaf { node: usize },
}

/// A gradient-boosted forest for binary classification, in log-odds.
///
/// Split rule at an internal node: `x[feature] <= threshold` goes left, a larger value
/// goes right, NaN (missing) goes left if `default_left` else right. Each node's `value`
/// is, for a leaf, its contribution to the log-odds; for an internal node, the value the
/// node would have had as a leaf (used for per-feature attributions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    n_features: u32,
    /// Log-odds before any tree (the training prior).
    base_score: f64,
    /// Index of each tree's root node, strictly increasing; `roots[0] == 0`.
    roots: Vec<u32>,
    feature: Vec<u32>,
    threshold: Vec<f32>,
    left: Vec<u32>,
    right: Vec<u32>,
    default_left: Vec<bool>,
    value: Vec<f32>,
}

/// One node as the trainer hands it over, before it is laid out in a [`Forest`].
#[cfg_attr(not(feature = "train"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NodeSpec {
    pub feature: u32,
    pub threshold: f32,
    /// Child indices relative to the tree's first node; `0` (with `right == 0`) = leaf.
    pub left: u32,
    pub right: u32,
    pub default_left: bool,
    pub value: f32,
}

impl Forest {
    /// An empty forest (only the bias), to which the trainer appends trees.
    #[cfg_attr(not(feature = "train"), allow(dead_code))]
    pub(crate) fn new(n_features: usize, base_score: f64) -> Forest {
        Forest {
            n_features: u32::try_from(n_features).unwrap_or(u32::MAX),
            base_score,
            roots: Vec::new(),
            feature: Vec::new(),
            threshold: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            default_left: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Appends one tree whose node 0 is the root and whose child indices are relative.
    #[cfg_attr(not(feature = "train"), allow(dead_code))]
    pub(crate) fn push_tree(&mut self, nodes: &[NodeSpec]) {
        let off = u32::try_from(self.feature.len()).unwrap_or(u32::MAX);
        self.roots.push(off);
        for n in nodes {
            let leaf = n.left == 0;
            self.feature.push(if leaf { 0 } else { n.feature });
            self.threshold.push(if leaf { 0.0 } else { n.threshold });
            self.left.push(if leaf { 0 } else { n.left + off });
            self.right.push(if leaf { 0 } else { n.right + off });
            self.default_left.push(n.default_left);
            self.value.push(n.value);
        }
    }

    /// Keeps only the first `n` trees (early stopping keeps the best round).
    #[cfg_attr(not(feature = "train"), allow(dead_code))]
    pub(crate) fn truncate_trees(&mut self, n: usize) {
        if n >= self.roots.len() {
            return;
        }
        let end = self.roots[n] as usize;
        self.roots.truncate(n);
        self.feature.truncate(end);
        self.threshold.truncate(end);
        self.left.truncate(end);
        self.right.truncate(end);
        self.default_left.truncate(end);
        self.value.truncate(end);
    }

    /// How many features a row must have (the length of `x` in [`Forest::predict_logit`]).
    pub fn n_features(&self) -> usize {
        self.n_features as usize
    }

    /// How many trees the forest has (after early stopping).
    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// Total number of nodes, leaves included (a size measure for logs).
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }

    /// The log-odds before any tree: the training set's prior.
    pub fn base_score(&self) -> f64 {
        self.base_score
    }

    /// Checks every invariant the scorer relies on, so that a model file from disk can
    /// be trusted to score in bounded time. Called by [`crate::ModelFile::from_bytes`].
    pub fn validate(&self) -> Result<(), ForestError> {
        let n = self.feature.len();
        let lens = [
            self.threshold.len(),
            self.left.len(),
            self.right.len(),
            self.default_left.len(),
            self.value.len(),
        ];
        if lens.iter().any(|&l| l != n) {
            return Err(ForestError::ArrayLengths(format!(
                "feature {n}, threshold {}, left {}, right {}, default_left {}, value {}",
                lens[0], lens[1], lens[2], lens[3], lens[4]
            )));
        }
        if !self.base_score.is_finite() {
            return Err(ForestError::NonFinite { node: 0 });
        }
        let mut has_parent = vec![false; n];
        for (t, &root) in self.roots.iter().enumerate() {
            let start = root as usize;
            let prev_ok = match t {
                0 => root == 0,
                _ => self.roots.get(t - 1).is_some_and(|&p| p < root),
            };
            if !prev_ok || start >= n {
                return Err(ForestError::BadRoot {
                    tree: t,
                    root,
                    nodes: n,
                });
            }
            let end = self.roots.get(t + 1).map_or(n, |&r| (r as usize).min(n));
            for i in start..end {
                let (l, r) = (self.left[i], self.right[i]);
                if !self.value[i].is_finite() {
                    return Err(ForestError::NonFinite { node: i });
                }
                if l == 0 && r == 0 {
                    continue;
                }
                if l == 0 || r == 0 {
                    return Err(ForestError::HalfLeaf { node: i });
                }
                for c in [l, r] {
                    let cu = c as usize;
                    if cu <= i || cu >= end {
                        return Err(ForestError::BadChild {
                            node: i,
                            child: c,
                            start,
                            end,
                        });
                    }
                    if std::mem::replace(&mut has_parent[cu], true) {
                        return Err(ForestError::SharedNode { node: cu });
                    }
                }
                if self.feature[i] >= self.n_features {
                    return Err(ForestError::BadFeature {
                        node: i,
                        feature: self.feature[i],
                        n_features: self.n_features as usize,
                    });
                }
                if self.threshold[i].is_nan() {
                    return Err(ForestError::NonFinite { node: i });
                }
            }
        }
        if self.roots.is_empty() && n != 0 {
            return Err(ForestError::BadRoot {
                tree: 0,
                root: 0,
                nodes: n,
            });
        }
        Ok(())
    }

    /// Which child row `x` goes to from internal node `i`, or `None` at a leaf.
    /// Never panics, even on a forest that was not validated: a child that does not
    /// come after its parent ends the walk as if `i` were a leaf.
    #[inline(always)]
    fn step(&self, i: usize, x: &[f32]) -> Option<usize> {
        let l = *self.left.get(i)? as usize;
        if l == 0 {
            return None;
        }
        let f = *self.feature.get(i)? as usize;
        let v = x.get(f).copied().unwrap_or(f32::NAN);
        let t = *self.threshold.get(i)?;
        let go_left = if v <= t {
            true
        } else if v > t {
            false
        } else {
            *self.default_left.get(i)?
        };
        let next = if go_left {
            l
        } else {
            *self.right.get(i)? as usize
        };
        (next > i).then_some(next)
    }

    #[inline(always)]
    fn node_value(&self, i: usize) -> f64 {
        self.value.get(i).copied().map_or(0.0, f64::from)
    }

    /// Index of the leaf that `x` reaches in the tree rooted at `root`.
    #[inline]
    fn leaf(&self, root: usize, x: &[f32]) -> usize {
        let mut i = root;
        while let Some(next) = self.step(i, x) {
            i = next;
        }
        i
    }

    /// The value that tree `t` gives row `x` (0 for a tree that does not exist).
    #[cfg_attr(not(feature = "train"), allow(dead_code))]
    pub(crate) fn tree_value(&self, t: usize, x: &[f32]) -> f64 {
        self.roots
            .get(t)
            .map_or(0.0, |&r| self.node_value(self.leaf(r as usize, x)))
    }

    /// The score in log-odds. `x` has [`Forest::n_features`] values, NaN for missing
    /// (which follows each split's learned default direction); a shorter `x` is treated
    /// as missing the rest. Allocation-free.
    pub fn predict_logit(&self, x: &[f32]) -> f64 {
        let mut s = self.base_score;
        for &root in &self.roots {
            s += self.node_value(self.leaf(root as usize, x));
        }
        s
    }

    /// The fraud probability, `sigmoid(predict_logit(x))`.
    pub fn predict_proba(&self, x: &[f32]) -> f64 {
        sigmoid(self.predict_logit(x))
    }

    /// Per-feature contributions in log-odds (Saabas path attribution): along the path
    /// `x` takes in each tree, the change in node value at each split is credited to the
    /// split's feature. Adds into `out` after zeroing it (`out.len()` should be
    /// [`Forest::n_features`]; extra entries stay 0, credits to missing entries are
    /// dropped) and returns the bias, so that `bias + sum(out) == predict_logit(x)` up to
    /// rounding. Why Saabas and not TreeSHAP: it is exact for the sum, O(depth) per
    /// tree and allocation-free, which keeps explanations inside the scoring budget.
    pub fn contributions(&self, x: &[f32], out: &mut [f64]) -> f64 {
        out.iter_mut().for_each(|o| *o = 0.0);
        let mut bias = self.base_score;
        for &root in &self.roots {
            let mut i = root as usize;
            bias += self.node_value(i);
            while let Some(next) = self.step(i, x) {
                let f = self.feature.get(i).copied().unwrap_or(0) as usize;
                if let Some(o) = out.get_mut(f) {
                    *o += self.node_value(next) - self.node_value(i);
                }
                i = next;
            }
        }
        bias
    }
}

/// The logistic function, stable for large |z|.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x0 <= 0.5 ? (x1 <= 2 ? 1 : 2) : 3, NaN on x0 goes right, on x1 left.
    pub(crate) fn tiny() -> Forest {
        let mut f = Forest::new(2, -1.0);
        let leaf = |v| NodeSpec {
            feature: 0,
            threshold: 0.0,
            left: 0,
            right: 0,
            default_left: false,
            value: v,
        };
        f.push_tree(&[
            NodeSpec {
                feature: 0,
                threshold: 0.5,
                left: 1,
                right: 2,
                default_left: false,
                value: 0.1,
            },
            NodeSpec {
                feature: 1,
                threshold: 2.0,
                left: 3,
                right: 4,
                default_left: true,
                value: 0.2,
            },
            leaf(3.0),
            leaf(1.0),
            leaf(2.0),
        ]);
        f.push_tree(&[leaf(0.5)]);
        f
    }

    #[test]
    fn predicts_by_rules_and_missing_directions() {
        let f = tiny();
        f.validate().unwrap();
        assert_eq!(f.n_trees(), 2);
        assert_eq!(f.predict_logit(&[0.0, 0.0]), -1.0 + 1.0 + 0.5);
        assert_eq!(f.predict_logit(&[0.5, 3.0]), -1.0 + 2.0 + 0.5);
        assert_eq!(f.predict_logit(&[0.6, 3.0]), -1.0 + 3.0 + 0.5);
        assert_eq!(f.predict_logit(&[f32::NAN, 0.0]), -1.0 + 3.0 + 0.5);
        assert_eq!(f.predict_logit(&[0.0, f32::NAN]), -1.0 + 1.0 + 0.5);
        assert_eq!(f.predict_logit(&[0.0]), -1.0 + 1.0 + 0.5);
        assert!((f.predict_proba(&[0.0, 0.0]) - sigmoid(0.5)).abs() < 1e-15);
    }

    #[test]
    fn contributions_sum_to_logit() {
        let f = tiny();
        let mut out = [0.0; 2];
        for x in [[0.0, 0.0], [0.5, 3.0], [1.0, 0.0], [f32::NAN, f32::NAN]] {
            let bias = f.contributions(&x, &mut out);
            assert!((bias + out.iter().sum::<f64>() - f.predict_logit(&x)).abs() < 1e-12);
        }
        let bias = f.contributions(&[0.0, 0.0], &mut out);
        assert!((bias - (-1.0 + 0.1 + 0.5)).abs() < 1e-7);
        assert!((out[0] - (0.2 - 0.1)).abs() < 1e-7);
        assert!((out[1] - (1.0 - 0.2)).abs() < 1e-7);
    }

    #[test]
    fn truncate_keeps_first_trees() {
        let mut f = tiny();
        f.truncate_trees(1);
        assert_eq!(f.n_trees(), 1);
        assert_eq!(f.n_nodes(), 5);
        f.validate().unwrap();
    }

    #[test]
    fn validate_rejects_bad_arrays() {
        let mut f = tiny();
        f.left[0] = 9;
        assert!(matches!(f.validate(), Err(ForestError::BadChild { .. })));
        let mut f = tiny();
        f.left[1] = 1;
        assert!(matches!(f.validate(), Err(ForestError::BadChild { .. })));
        let mut f = tiny();
        f.feature[1] = 2;
        assert!(matches!(f.validate(), Err(ForestError::BadFeature { .. })));
        let mut f = tiny();
        f.right[1] = 3;
        assert!(matches!(f.validate(), Err(ForestError::SharedNode { .. })));
        let mut f = tiny();
        f.value.pop();
        assert!(matches!(f.validate(), Err(ForestError::ArrayLengths(_))));
        let mut f = tiny();
        f.roots[1] = 9;
        assert!(matches!(f.validate(), Err(ForestError::BadRoot { .. })));
        let mut f = tiny();
        f.right[0] = 0;
        assert!(matches!(f.validate(), Err(ForestError::HalfLeaf { .. })));
        // An unvalidated bad forest still scores without panicking or looping.
        let mut f = tiny();
        f.left[1] = 0;
        f.right[1] = 1;
        f.left[0] = 1;
        let _ = f.predict_logit(&[0.0, 0.0]);
    }
}
