//! Hash tables for state that grows with the event stream: one entry per refund, order,
//! return, decision or account, for as long as the service runs.
//!
//! A `hashbrown` table (std's and `rustc_hash`'s maps) doubles all at once: the insert
//! that crosses the load factor moves every entry to a new table. At the sizes a service
//! reaches (millions of refunds and decisions) that one insert takes 50–130 ms, and the
//! engine is single-writer, so every request in flight waits behind it. `bench/load.sh`
//! showed exactly that: p99 latency of single refunds at 5,000/s set by two such stalls
//! (the decision index at one refund count; the insider, feature and entity tables keyed
//! by refund id, all crossing together, at another).
//!
//! [`GrowMap`] and [`GrowSet`] are `griddle`'s incrementally resizing tables (same API as
//! `hashbrown`'s): a resize allocates the new table and then moves a few entries on each
//! later insert, so no single insert pays for the whole table. Lookups during a resize
//! probe both tables. Use them for tables keyed by ids that arrive with events; small or
//! bounded tables keep the plain maps.
//!
//! Iteration order is as arbitrary as any hash map's (deterministic for the same inserts,
//! since the hasher is unseeded); outputs must still never be ordered by it.

pub use griddle;
use rustc_hash::FxBuildHasher;

/// A map that grows without stalls, hashed with Fx (ids are not attacker-chosen: they
/// come from the retailer's own systems).
pub type GrowMap<K, V> = griddle::HashMap<K, V, FxBuildHasher>;

/// A set that grows without stalls; see [`GrowMap`].
pub type GrowSet<K> = griddle::HashSet<K, FxBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole point: a lookup finds every entry while a resize is under way, and a
    /// resize never moves everything in one insert.
    #[test]
    fn entries_stay_visible_across_incremental_resizes() {
        let mut m: GrowMap<u64, u64> = GrowMap::default();
        for i in 0..200_000u64 {
            m.insert(i, i * 3);
            if i % 9_973 == 0 {
                for j in (0..=i).step_by(997) {
                    assert_eq!(m.get(&j), Some(&(j * 3)), "lost {j} after inserting {i}");
                }
            }
        }
        assert_eq!(m.len(), 200_000);
        *m.entry(5).or_default() += 1;
        assert_eq!(m[&5], 16);
        assert_eq!(m.remove(&7), Some(21));
        assert!(!m.contains_key(&7));
    }
}
