//! Communities in a bipartite graph of accounts and the identifiers that tie them, by
//! weighted label propagation (Raghavan, Albert and Kumara, 2007).
//!
//! Written here rather than taken from a crate: the graph crates that offer community
//! detection (`petgraph` has none; `graphrs` and `rustworkx-core` bring Louvain with
//! randomised order) either do not fit a bipartite view without projecting it — an
//! identifier shared by 2,000 accounts projects to two million edges — or are not
//! deterministic, and the engine must give the same rings on every run. The algorithm is
//! forty lines; what matters is that it is deterministic and linear in the links.
//!
//! Rounds alternate: every identifier takes the label carrying the most weight among its
//! holders, then every account takes the label carrying the most weight among its
//! identifiers. Ties go to the smaller label, so the outcome depends only on the input.

/// One account's identifiers, as indices into the identifier list, with their weights.
pub type Incidence = Vec<(u32, f32)>;

/// Labels for `accounts.len()` accounts tied by `keys` identifiers: `accounts[i]` lists the
/// identifiers account `i` holds (index, weight). Returns one label per account; accounts
/// with the same label are one community. Labels are account indices.
pub fn label_propagation(accounts: &[Incidence], keys: usize, max_rounds: usize) -> Vec<u32> {
    let n = accounts.len();
    let mut label: Vec<u32> = (0..n as u32).collect();
    // Holders per identifier, built once.
    let mut holders: Vec<Vec<(u32, f32)>> = vec![Vec::new(); keys];
    for (a, inc) in accounts.iter().enumerate() {
        for &(k, w) in inc {
            if let Some(h) = holders.get_mut(k as usize) {
                h.push((a as u32, w));
            }
        }
    }
    let mut key_label: Vec<Option<u32>> = vec![None; keys];
    let mut tally: Vec<(u32, f32)> = Vec::new();
    for _ in 0..max_rounds {
        for (k, h) in holders.iter().enumerate() {
            tally.clear();
            tally.extend(h.iter().map(|&(a, w)| (label[a as usize], w)));
            key_label[k] = heaviest(&mut tally);
        }
        let mut changed = false;
        for (a, inc) in accounts.iter().enumerate() {
            tally.clear();
            tally.extend(inc.iter().filter_map(|&(k, w)| {
                key_label.get(k as usize).copied().flatten().map(|l| (l, w))
            }));
            if let Some(best) = heaviest(&mut tally)
                && best != label[a]
            {
                label[a] = best;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    label
}

/// The label with the most total weight; ties to the smaller label.
fn heaviest(tally: &mut [(u32, f32)]) -> Option<u32> {
    tally.sort_unstable_by_key(|t| t.0);
    let mut best: Option<(u32, f32)> = None;
    let mut i = 0;
    while i < tally.len() {
        let l = tally[i].0;
        let mut w = 0.0;
        while i < tally.len() && tally[i].0 == l {
            w += tally[i].1;
            i += 1;
        }
        if best.is_none_or(|(_, bw)| w > bw) {
            best = Some((l, w));
        }
    }
    best.map(|b| b.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups of five accounts, each around its own identifiers, bridged by one
    /// identifier that one member of each holds.
    #[test]
    fn a_bridge_does_not_merge_two_groups() {
        let w = 1.0;
        let mut accounts: Vec<Incidence> = Vec::new();
        for _ in 0..5 {
            accounts.push(vec![(0, w), (1, w)]);
        }
        for _ in 0..5 {
            accounts.push(vec![(2, w), (3, w)]);
        }
        accounts[4].push((4, 0.5));
        accounts[5].push((4, 0.5));
        let l = label_propagation(&accounts, 5, 20);
        assert!(l[..5].iter().all(|&x| x == l[0]), "{l:?}");
        assert!(l[5..].iter().all(|&x| x == l[5]), "{l:?}");
        assert_ne!(l[0], l[5]);
    }

    #[test]
    fn the_same_input_gives_the_same_labels() {
        let accounts: Vec<Incidence> = (0..50)
            .map(|i| vec![((i % 7) as u32, 1.0), ((i % 3) as u32 + 7, 0.5)])
            .collect();
        let a = label_propagation(&accounts, 10, 20);
        let b = label_propagation(&accounts, 10, 20);
        assert_eq!(a, b);
    }

    #[test]
    fn accounts_without_identifiers_keep_their_own_label() {
        let accounts: Vec<Incidence> = vec![vec![], vec![(0, 1.0)], vec![(0, 1.0)]];
        let l = label_propagation(&accounts, 1, 10);
        assert_eq!(l[0], 0);
        assert_eq!(l[1], l[2]);
    }
}
