//! Ranking and calibration metrics for binary labels (`true` = fraud).
//!
//! Why here: training reports them and the model file records them, and both must agree
//! with the usual definitions (scikit-learn's) so numbers compare with other tools.
//! Scores and labels are paired up to the shorter of the two slices. A metric that is
//! undefined (no positives, no negatives, no rows) is NaN.

/// Indices sorted by descending score (NaN scores last), ties kept in input order.
fn order_desc(scores: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    idx
}

/// Groups of tied scores in descending order, as `(positives, negatives)` counts.
fn tie_groups(scores: &[f64], labels: &[bool]) -> Vec<(u64, u64)> {
    let n = scores.len().min(labels.len());
    let (scores, labels) = (&scores[..n], &labels[..n]);
    let idx = order_desc(scores);
    let mut groups: Vec<(u64, u64)> = Vec::new();
    let mut prev: Option<f64> = None;
    for i in idx {
        let s = scores[i];
        let same = prev.is_some_and(|p| p.total_cmp(&s).is_eq());
        if !same {
            groups.push((0, 0));
            prev = Some(s);
        }
        if let Some(g) = groups.last_mut() {
            if labels[i] {
                g.0 += 1;
            } else {
                g.1 += 1;
            }
        }
    }
    groups
}

/// Area under the ROC curve: the probability that a random positive scores above a
/// random negative, a tie counting one half.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let groups = tie_groups(scores, labels);
    let pos: u64 = groups.iter().map(|g| g.0).sum();
    let neg: u64 = groups.iter().map(|g| g.1).sum();
    if pos == 0 || neg == 0 {
        return f64::NAN;
    }
    // Walk from the lowest scores up, counting negatives already passed.
    let mut neg_below = 0.0f64;
    let mut wins = 0.0f64;
    for &(p, n) in groups.iter().rev() {
        wins += p as f64 * (neg_below + 0.5 * n as f64);
        neg_below += n as f64;
    }
    wins / (pos as f64 * neg as f64)
}

/// Average precision as scikit-learn's `average_precision_score`: the sum over
/// thresholds (distinct scores, descending) of `(R_k - R_{k-1}) * P_k`. Why this and
/// not the area under a interpolated PR curve: it is the one operators will compare.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> f64 {
    let groups = tie_groups(scores, labels);
    let pos: u64 = groups.iter().map(|g| g.0).sum();
    if pos == 0 {
        return f64::NAN;
    }
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut ap = 0.0;
    for &(p, n) in &groups {
        tp += p;
        fp += n;
        if p > 0 {
            ap += (p as f64 / pos as f64) * (tp as f64 / (tp + fp) as f64);
        }
    }
    ap
}

/// Mean binary cross-entropy of probabilities `probs` (clipped to `[1e-15, 1 - 1e-15]`
/// so that one confident mistake gives a large but finite loss).
pub fn log_loss(probs: &[f64], labels: &[bool]) -> f64 {
    let n = probs.len().min(labels.len());
    if n == 0 {
        return f64::NAN;
    }
    let eps = 1e-15;
    let sum: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(eps, 1.0 - eps);
            if y { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    sum / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_hand_computed() {
        assert_eq!(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            0.75
        );
        assert_eq!(roc_auc(&[0.9, 0.1], &[true, false]), 1.0);
        assert_eq!(roc_auc(&[0.1, 0.9], &[true, false]), 0.0);
        // All tied: 0.5.
        assert_eq!(roc_auc(&[0.3; 4], &[true, false, true, false]), 0.5);
        // One tie between a positive and a negative: pairs (p1>n1, p1=n2, p2>n1, p2<n2)
        // scores: p1 0.5, p2 0.8, n1 0.2, n2 0.5 -> wins 1 + 0.5 + 1 + 1 = 3.5 of 4.
        assert_eq!(
            roc_auc(&[0.5, 0.8, 0.2, 0.5], &[true, true, false, false]),
            0.875
        );
        assert!(roc_auc(&[0.1, 0.2], &[true, true]).is_nan());
    }

    #[test]
    fn ap_matches_sklearn_examples() {
        // sklearn docs: average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.8333...
        let ap = average_precision(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
        assert!((ap - 0.833_333_333_333_333_3).abs() < 1e-12);
        // Ties: one threshold holding 1 pos + 1 neg after a sure positive:
        // thresholds 0.9 (P=1, R=.5), 0.5 (P=2/3, R=1) -> 0.5*1 + 0.5*2/3.
        let ap = average_precision(&[0.9, 0.5, 0.5], &[true, true, false]);
        assert!((ap - (0.5 + 0.5 * 2.0 / 3.0)).abs() < 1e-12);
        // All tied: precision = prevalence.
        let ap = average_precision(&[0.2; 4], &[true, false, false, false]);
        assert!((ap - 0.25).abs() < 1e-12);
        assert!(average_precision(&[0.2], &[false]).is_nan());
    }

    #[test]
    fn log_loss_hand_computed() {
        let ll = log_loss(&[0.9, 0.2], &[true, false]);
        assert!((ll - (-(0.9f64.ln()) - 0.8f64.ln()) / 2.0).abs() < 1e-12);
        assert!(log_loss(&[0.0], &[true]).is_finite());
        assert!(log_loss(&[], &[]).is_nan());
    }
}
