//! Data exfiltration: employees who sell reviewers' contact details to sellers (seed 002,
//! the 2018 WSJ case in `shared/docs/domain.md`).
//!
//! The scheme leaves a sequence in the events, and no single step of it is evidence:
//!
//! 1. an employee looks up contact details (`data_access` of `contact_details` or
//!    `reviewer_contact`) **without a ticket** — honest agents do that too;
//! 2. the looked-up accounts are, more often than chance, reviewers of **one seller**,
//!    mostly unhappy ones (1–2 stars), often exported — a large seller's reviewers are
//!    looked up often by chance, so the count is compared with what the seller's share of
//!    all reviews predicts, the unhappy ones with the seller's share of unhappy reviews, the
//!    exports with the peers' export rate;
//! 3. **that seller** then messages the same accounts (`seller_message`) — honest sellers
//!    write to buyers and reviewers too, so the count is compared with how often the seller
//!    writes to its other reviewers;
//! 4. the reviews then change: a raised rating or a removal (`review_changed`).
//!
//! Each step is scored as Poisson surprise, `k·ln(k/e) − (k − e)` nats for `k` observed
//! against `e` expected, and the steps add up per employee–seller pair. The employee's own
//! rate of ticketless contact look-ups, shrunk toward the peers' pooled rate, adds at most
//! half the alert threshold. A `data_exfiltration` alert names the employee and the seller
//! once the pair's evidence reaches [`ALERT_NATS`], the clustering (step 2) and the
//! follow-up (step 3) carry at least [`CLUSTER_NATS`] and [`STEP_NATS`] on their own, **and** at least
//! [`MIN_MESSAGED`] looked-up reviewers were messaged by the seller afterwards: one
//! coincidence is not a case. The alert is re-emitted (same id) as messages and changed reviews accumulate.
//!
//! State is bounded: per review its account, seller and rating; per account its last few
//! reviews and its last few ticketless look-ups within [`WINDOW_MS`]; per employee counts
//! and at most [`PAIRS_PER_EMPLOYEE`] seller pairs; per seller counts. Every event touches
//! one account's and one employee's entries, never all of them.

use crate::detector::{AlertSink, Detector};
use crate::facts::Facts;
use clawback_events::output::{EntityRef, EntityType, Reason};
use clawback_events::*;
use clawback_table::GrowMap;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// How long a look-up stays linked to later messages and review changes.
pub const WINDOW_MS: i64 = 30 * DAY_MS;
/// Look-ups remembered per account (the most recent, within the window).
const LOOKUPS_PER_ACCOUNT: usize = 4;
/// Reviews remembered per account (the most recent).
const REVIEWS_PER_ACCOUNT: usize = 4;
/// Employee–seller pairs kept per employee; the weakest is forgotten when full.
pub const PAIRS_PER_EMPLOYEE: usize = 32;
/// Example accounts an alert lists.
const EXAMPLES: usize = 5;
/// Evidence, in nats, for an alert.
pub const ALERT_NATS: f64 = 6.0;
/// Evidence each of the two necessary steps must carry on its own: the look-ups cluster on
/// the seller's (unhappy) reviewers ([`CLUSTER_NATS`]: two look-ups of a small seller's
/// unhappy reviewers are not yet a cluster, three are), and the seller followed up on them
/// ([`STEP_NATS`]). Either alone is what honest agents and honest sellers do.
pub const CLUSTER_NATS: f64 = ALERT_NATS / 2.0;
pub const STEP_NATS: f64 = ALERT_NATS / 3.0;
/// Looked-up reviewers the seller must have messaged afterwards.
pub const MIN_MESSAGED: u32 = 2;
/// Prior pseudo-look-ups for an employee's ticketless rate (shrinkage toward peers).
const PRIOR_LOOKUPS: f64 = 20.0;
/// Prior pseudo-reviews for a seller's rate of writing to its reviewers.
const PRIOR_REVIEWS: f64 = 10.0;
/// Expected look-ups of a seller's reviewers are never taken below half a look-up: one
/// look-up of a small seller's reviewer is not a cluster.
const MIN_EXPECTED_LOOKUPS: f64 = 0.5;
/// A rating at or below this is an unhappy reviewer.
const UNHAPPY: u8 = 2;

/// Poisson surprise of `k` events against `e` expected, in nats; 0 when `k ≤ e`.
fn surprise(k: f64, e: f64) -> f64 {
    let e = e.max(1e-6);
    if k <= e {
        0.0
    } else {
        k * (k / e).ln() - (k - e)
    }
}

/// Contact data: the two contract resources, and unlisted resources that name contacts.
fn is_contact(r: &Resource) -> bool {
    match r {
        Resource::ContactDetails | Resource::ReviewerContact => true,
        Resource::Other(s) => {
            let s = s.to_ascii_lowercase();
            s.contains("contact") || s.contains("email") || s.contains("phone")
        }
        _ => false,
    }
}

#[derive(Debug, Clone)]
struct ReviewRec {
    account: Id,
    seller: u32,
    rating: u8,
}

#[derive(Debug, Clone, Copy)]
struct AccountReview {
    seller: u32,
    rating: u8,
    posted_ms: i64,
}

/// One ticketless contact look-up of an account by an employee.
#[derive(Debug, Clone, Copy)]
struct Lookup {
    employee: u32,
    ms: i64,
    /// The seller that messaged the account afterwards, and when.
    messaged: Option<(u32, i64)>,
    changed: bool,
}

#[derive(Debug, Default)]
struct AccountState {
    reviews: Vec<AccountReview>,
    lookups: Vec<Lookup>,
}

/// The evidence linking one employee to one seller.
#[derive(Debug, Clone, Default)]
struct Pair {
    seller: u32,
    /// Distinct ticketless look-ups of the seller's reviewers.
    looked: u32,
    /// … of which unhappy reviewers, and exports; counts per rating 1..=5.
    unhappy: u32,
    exported: u32,
    ratings: [u32; 5],
    /// Looked-up reviewers the seller messaged afterwards, and the delays.
    messaged: u32,
    delay_sum_ms: i64,
    delay_min_ms: i64,
    /// Messaged reviewers whose review then rose or was removed.
    changed: u32,
    last_ms: i64,
    examples: Vec<Id>,
    /// `messaged + changed` at the last emission; 0 before the first.
    emitted: u32,
}

#[derive(Debug, Default)]
struct Employee {
    id: Id,
    /// Accounts looked up, any resource, with or without a ticket.
    lookups: u64,
    /// Accounts whose contact details were looked up without a ticket.
    ticketless: u64,
    /// … of which reviewers (of anyone) at the time.
    reviewers: u64,
    pairs: Vec<Pair>,
}

#[derive(Debug, Default)]
struct Seller {
    id: Id,
    reviews: u64,
    unhappy_reviews: u64,
    /// Messages to the seller's own reviewers that no look-up preceded.
    other_messages: u64,
}

/// The detector: see the module documentation.
#[derive(Debug, Default)]
pub struct Exfiltration {
    employee_ix: GrowMap<Id, u32>,
    employees: Vec<Employee>,
    seller_ix: GrowMap<Id, u32>,
    sellers: Vec<Seller>,
    accounts: GrowMap<Id, AccountState>,
    reviews: GrowMap<Id, ReviewRec>,
    /// Pooled peer figures: all account look-ups and ticketless contact ones.
    all_lookups: u64,
    all_ticketless: u64,
    /// Ticketless contact look-ups made as exports (bulk copies leave the system).
    all_exports: u64,
    all_reviews: u64,
    all_other_messages: u64,
    /// Reviews raised or removed, any reason.
    all_raised: u64,
}

fn intern<T: Default>(
    ix: &mut GrowMap<Id, u32>,
    list: &mut Vec<T>,
    id: &Id,
    init: impl FnOnce(Id) -> T,
) -> u32 {
    if let Some(&i) = ix.get(id) {
        return i;
    }
    let i = list.len() as u32;
    list.push(init(id.clone()));
    ix.insert(id.clone(), i);
    i
}

impl Exfiltration {
    fn seller(&mut self, id: &Id) -> u32 {
        intern(&mut self.seller_ix, &mut self.sellers, id, |id| Seller {
            id,
            ..Seller::default()
        })
    }

    fn review_posted(&mut self, r: &ReviewPosted, now: i64) {
        let seller = self.seller(&r.seller_id);
        let rating = r.rating.clamp(1, 5) as u8;
        if let Some(s) = self.sellers.get_mut(seller as usize) {
            s.reviews += 1;
            if rating <= UNHAPPY {
                s.unhappy_reviews += 1;
            }
        }
        self.all_reviews += 1;
        self.reviews.insert(
            r.review_id.clone(),
            ReviewRec {
                account: r.account_id.clone(),
                seller,
                rating,
            },
        );
        let acct = self.accounts.entry(r.account_id.clone()).or_default();
        if acct.reviews.len() >= REVIEWS_PER_ACCOUNT {
            acct.reviews.remove(0);
        }
        acct.reviews.push(AccountReview {
            seller,
            rating,
            posted_ms: now,
        });
    }

    fn data_access(&mut self, d: &DataAccess, now: i64) {
        let emp = intern(
            &mut self.employee_ix,
            &mut self.employees,
            &d.employee_id,
            |id| Employee {
                id,
                ..Employee::default()
            },
        );
        let n = d.account_ids.len() as u64;
        self.all_lookups += n;
        let Some(e) = self.employees.get_mut(emp as usize) else {
            return;
        };
        e.lookups += n;
        if d.ticket_id.is_some() || !is_contact(&d.resource) {
            return;
        }
        let export = d.export.unwrap_or(false);
        for account in &d.account_ids {
            let acct = self.accounts.entry(account.clone()).or_default();
            acct.lookups.retain(|l| now - l.ms < WINDOW_MS);
            if acct.lookups.iter().any(|l| l.employee == emp) {
                continue; // the same employee again: one account, one look-up
            }
            if acct.lookups.len() >= LOOKUPS_PER_ACCOUNT {
                acct.lookups.remove(0);
            }
            acct.lookups.push(Lookup {
                employee: emp,
                ms: now,
                messaged: None,
                changed: false,
            });
            e.ticketless += 1;
            self.all_ticketless += 1;
            if export {
                self.all_exports += 1;
            }
            // Each seller the account reviewed counts once, with its worst rating.
            let mut seen: Vec<(u32, u8)> = Vec::with_capacity(acct.reviews.len());
            for r in acct.reviews.iter().filter(|r| r.posted_ms <= now) {
                match seen.iter_mut().find(|(s, _)| *s == r.seller) {
                    Some((_, worst)) => *worst = (*worst).min(r.rating),
                    None => seen.push((r.seller, r.rating)),
                }
            }
            if seen.is_empty() {
                continue;
            }
            e.reviewers += 1;
            for (seller, rating) in seen {
                let Some(p) = pair_mut(&mut e.pairs, seller) else {
                    continue;
                };
                p.looked += 1;
                if rating <= UNHAPPY {
                    p.unhappy += 1;
                }
                if export {
                    p.exported += 1;
                }
                if let Some(c) = p.ratings.get_mut(usize::from(rating.saturating_sub(1))) {
                    *c += 1;
                }
                p.last_ms = now;
            }
        }
    }

    /// A seller wrote to an account: links to earlier look-ups of the seller's reviewer.
    fn seller_message(&mut self, m: &SellerMessage, now: i64) -> Vec<(u32, usize)> {
        let mut hits = Vec::new();
        let Some(&seller) = self.seller_ix.get(&m.seller_id) else {
            return hits;
        };
        let Some(acct) = self.accounts.get_mut(&m.account_id) else {
            return hits;
        };
        let Some(reviewed_at) = acct
            .reviews
            .iter()
            .filter(|r| r.seller == seller && r.posted_ms <= now)
            .map(|r| r.posted_ms)
            .min()
        else {
            return hits;
        };
        for l in &mut acct.lookups {
            if l.messaged.is_some() || l.ms > now || now - l.ms >= WINDOW_MS || l.ms < reviewed_at {
                continue;
            }
            l.messaged = Some((seller, now));
            let Some(e) = self.employees.get_mut(l.employee as usize) else {
                continue;
            };
            let Some(p) = pair_mut(&mut e.pairs, seller) else {
                continue;
            };
            p.looked = p.looked.max(1);
            let delay = now - l.ms;
            p.delay_min_ms = if p.messaged == 0 {
                delay
            } else {
                p.delay_min_ms.min(delay)
            };
            p.messaged += 1;
            p.delay_sum_ms += delay;
            p.last_ms = now;
            if p.examples.len() < EXAMPLES {
                p.examples.push(m.account_id.clone());
            }
            if let Some(ix) = e.pairs.iter().position(|p| p.seller == seller) {
                hits.push((l.employee, ix));
            }
        }
        // A message no look-up explains is the seller's ordinary contact with a reviewer
        // (a second message to an account already linked is neither).
        let linked = acct
            .lookups
            .iter()
            .any(|l| l.messaged.is_some_and(|(s, _)| s == seller));
        if !linked {
            self.all_other_messages += 1;
            if let Some(s) = self.sellers.get_mut(seller as usize) {
                s.other_messages += 1;
            }
        }
        hits
    }

    fn review_changed(&mut self, c: &ReviewChanged, now: i64) -> Vec<(u32, usize)> {
        let mut hits = Vec::new();
        let Some(rec) = self.reviews.get_mut(&c.review_id) else {
            return hits;
        };
        let raised = c.removed || c.rating.is_some_and(|r| r > i64::from(rec.rating));
        if let Some(r) = c.rating {
            rec.rating = r.clamp(1, 5) as u8;
        }
        if !raised {
            return hits;
        }
        self.all_raised += 1;
        let seller = rec.seller;
        let Some(acct) = self.accounts.get_mut(&rec.account) else {
            return hits;
        };
        for l in &mut acct.lookups {
            let Some((s, at)) = l.messaged else {
                continue;
            };
            if s != seller || l.changed || at > now {
                continue;
            }
            l.changed = true;
            let Some(e) = self.employees.get_mut(l.employee as usize) else {
                continue;
            };
            if let Some(ix) = e.pairs.iter().position(|p| p.seller == seller)
                && let Some(p) = e.pairs.get_mut(ix)
            {
                p.changed += 1;
                p.last_ms = now;
                hits.push((l.employee, ix));
            }
        }
        hits
    }

    /// The peers' pooled rate of ticketless contact look-ups per account looked up.
    fn peer_rate(&self) -> f64 {
        (self.all_ticketless as f64 + 1.0) / (self.all_lookups as f64 + 100.0)
    }

    /// Scores a pair and raises (or re-raises) its alert when the evidence suffices.
    fn consider(&mut self, ev: &Event, emp: u32, ix: usize, sink: &mut AlertSink) {
        let peer = self.peer_rate();
        let all_reviews = self.all_reviews as f64;
        let export_rate = (self.all_exports as f64 + 1.0) / (self.all_ticketless as f64 + 20.0);
        let msg_rate_all = (self.all_other_messages as f64 + 1.0) / (all_reviews + 20.0);
        let raise_rate = (self.all_raised as f64 + 1.0) / (all_reviews + 20.0);
        let Some(e) = self.employees.get(emp as usize) else {
            return;
        };
        let Some(p) = e.pairs.get(ix) else {
            return;
        };
        if p.messaged < MIN_MESSAGED || p.messaged + p.changed <= p.emitted {
            return;
        }
        if p.emitted > 0 && p.messaged + p.changed < p.emitted + (p.emitted / 4).max(1) {
            return;
        }
        let Some(s) = self.sellers.get(p.seller as usize) else {
            return;
        };
        let share = ((s.reviews as f64 + 1.0) / (all_reviews + 1.0)).min(1.0);
        let unhappy_share = (s.unhappy_reviews as f64 + 1.0) / (s.reviews as f64 + 5.0);
        let msg_rate = (s.other_messages as f64 + PRIOR_REVIEWS * msg_rate_all)
            / (s.reviews as f64 + PRIOR_REVIEWS);
        let looked = f64::from(p.looked);
        let exp_looked = (e.reviewers as f64 * share).max(MIN_EXPECTED_LOOKUPS);
        let exp_unhappy = looked * unhappy_share;
        let exp_messaged = looked * msg_rate;
        let exp_changed = f64::from(p.messaged) * raise_rate;
        let s_looked = surprise(looked, exp_looked);
        let s_unhappy = surprise(f64::from(p.unhappy), exp_unhappy);
        let exp_exported = looked * export_rate;
        let s_exported = surprise(f64::from(p.exported), exp_exported);
        let s_messaged = surprise(f64::from(p.messaged), exp_messaged);
        let s_changed = surprise(f64::from(p.changed), exp_changed);
        let n = e.lookups as f64;
        let k = e.ticketless as f64;
        let shrunk = (k + PRIOR_LOOKUPS * peer) / (n + PRIOR_LOOKUPS);
        let s_employee = surprise(k, n * peer).min(ALERT_NATS / 2.0);
        let cluster = s_looked + s_unhappy + s_exported;
        let nats = cluster + s_messaged + s_changed + s_employee;
        if nats < ALERT_NATS || cluster < CLUSTER_NATS || s_messaged < STEP_NATS {
            return;
        }

        let seller_id = s.id.clone();
        let ratings = p
            .ratings
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| format!("{}★×{c}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let mean_delay_h = p.delay_sum_ms as f64 / f64::from(p.messaged.max(1)) / HOUR_MS as f64;
        let mut reasons = vec![
            Reason::new(
                "seller_contacted_looked_up_reviewers",
                format!(
                    "{seller_id} messaged {} of the reviewers {} looked up, {} on average after the look-up (fastest {}); {seller_id} writes to {:.2}% of its other reviewers, so {:.3} were expected",
                    p.messaged,
                    e.id,
                    hours(mean_delay_h),
                    hours(p.delay_min_ms as f64 / HOUR_MS as f64),
                    100.0 * msg_rate,
                    exp_messaged
                ),
            ),
            Reason::new(
                "ticketless_lookups_of_sellers_reviewers",
                format!(
                    "{} looked up the contact details of {} reviewers of {seller_id} without a ticket ({ratings}; {} unhappy where {:.1} were expected; {} in exports where peers' rate predicts {:.1}); at {seller_id}'s {:.2}% share of reviews {:.1} were expected",
                    e.id,
                    p.looked,
                    p.unhappy,
                    exp_unhappy,
                    p.exported,
                    exp_exported,
                    100.0 * share,
                    exp_looked
                ),
            ),
        ];
        if p.changed > 0 {
            reasons.push(Reason::new(
                "reviews_changed_after_contact",
                format!(
                    "{} of the messaged reviewers then raised their rating or removed the review; {:.1}% of all reviews are raised or removed",
                    p.changed,
                    100.0 * raise_rate
                ),
            ));
        }
        reasons.push(Reason::new(
            "ticketless_contact_lookups_vs_peers",
            format!(
                "{} ticketless contact look-ups in {} account look-ups ({:.1}%, {:.1}% after shrinkage toward peers); peers {:.1}%",
                e.ticketless,
                e.lookups,
                100.0 * k / n.max(1.0),
                100.0 * shrunk,
                100.0 * peer
            ),
        ));
        reasons.push(Reason::new(
            "example_accounts",
            format!("messaged after the look-up: {}", p.examples.join(", ")),
        ));
        let entities = vec![
            EntityRef::new(EntityType::Employee, e.id.clone()),
            EntityRef::new(EntityType::Seller, seller_id.clone()),
        ];
        let id = Id::from(format!("data_exfiltration:{}:{seller_id}", e.id));
        let score = 1.0 - (-nats / 8.0).exp();
        sink.raise(ev, id, "data_exfiltration", score, entities, reasons);
        let total = p.messaged + p.changed;
        if let Some(p) = self
            .employees
            .get_mut(emp as usize)
            .and_then(|e| e.pairs.get_mut(ix))
        {
            p.emitted = total;
        }
    }
}

fn hours(h: f64) -> String {
    if h < 48.0 {
        format!("{h:.0} h")
    } else {
        format!("{:.1} days", h / 24.0)
    }
}

/// The pair for `seller`, created when missing; when the list is full the weakest pair
/// that never alerted is forgotten. `None` when every pair has alerted.
fn pair_mut(pairs: &mut Vec<Pair>, seller: u32) -> Option<&mut Pair> {
    if let Some(i) = pairs.iter().position(|p| p.seller == seller) {
        return pairs.get_mut(i);
    }
    if pairs.len() >= PAIRS_PER_EMPLOYEE {
        let weakest = pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.emitted == 0)
            .min_by_key(|(_, p)| (p.messaged, p.changed, p.looked, p.last_ms))
            .map(|(i, _)| i)?;
        pairs.swap_remove(weakest);
    }
    pairs.push(Pair {
        seller,
        ..Pair::default()
    });
    pairs.last_mut()
}

impl Detector for Exfiltration {
    fn name(&self) -> &'static str {
        "exfiltration"
    }

    fn observe(&mut self, _facts: &Facts, ev: &Event, sink: &mut AlertSink) {
        let now = ev.ts.unix_ms;
        let hits = match &ev.body {
            Body::ReviewPosted(r) => {
                self.review_posted(r, now);
                return;
            }
            Body::DataAccess(d) => {
                self.data_access(d, now);
                return;
            }
            Body::SellerMessage(m) => self.seller_message(m, now),
            Body::ReviewChanged(c) => self.review_changed(c, now),
            _ => return,
        };
        for (emp, ix) in hits {
            self.consider(ev, emp, ix, sink);
        }
    }
}

#[cfg(test)]
mod tests;
