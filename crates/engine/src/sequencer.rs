//! Puts a slightly disordered stream back into event-time order.
//!
//! The contract lets events arrive out of order "by up to a few minutes", and a decision may
//! use only events with an earlier or equal `ts`. The sequencer holds events for `slack`
//! of event time and releases them ordered by `(ts, arrival)`; the engine applies them in
//! that order. Release depends only on the input order, never on the clock, so replays are
//! byte-identical. An event later than the slack is released at once and counted as late.

use clawback_events::Event;
use std::collections::VecDeque;

/// See the module documentation.
///
/// Held events sit in a deque sorted by `(ts, arrival)`. Events mostly arrive in order, so
/// the common push is an append and the common pop takes the front. Events are boxed, so
/// reordering moves pointers, not the few hundred bytes of an event (moves of events were
/// the top item of a replay profile with a binary heap of unboxed events).
#[derive(Debug)]
pub struct Sequencer {
    slack_ms: i64,
    held: VecDeque<(i64, Box<Event>)>,
    max_ts: i64,
    released_ts: i64,
    late: u64,
}

/// The default slack: "a few minutes" of disorder.
pub const DEFAULT_SLACK_MS: i64 = 5 * 60 * 1000;

impl Sequencer {
    pub fn new(slack_ms: i64) -> Self {
        Self {
            slack_ms: slack_ms.max(0),
            held: VecDeque::new(),
            max_ts: i64::MIN,
            released_ts: i64::MIN,
            late: 0,
        }
    }

    /// Takes one event in arrival order.
    pub fn push(&mut self, event: Box<Event>) {
        let ts = event.ts.unix_ms;
        if ts < self.released_ts {
            self.late += 1;
        }
        self.max_ts = self.max_ts.max(ts);
        // Arrival order breaks ties, so an event goes after every held event with ts <= its own.
        if self.held.back().is_none_or(|(t, _)| *t <= ts) {
            self.held.push_back((ts, event));
        } else {
            let at = self.held.partition_point(|(t, _)| *t <= ts);
            self.held.insert(at, (ts, event));
        }
    }

    /// The next event whose place in time order can no longer change.
    pub fn pop_ready(&mut self) -> Option<Box<Event>> {
        let horizon = self.max_ts.saturating_sub(self.slack_ms);
        if self.held.front().is_some_and(|(t, _)| *t <= horizon) {
            self.pop()
        } else {
            None
        }
    }

    /// The next held event regardless of slack (at the end of the input).
    pub fn pop(&mut self) -> Option<Box<Event>> {
        let (ts, event) = self.held.pop_front()?;
        self.released_ts = self.released_ts.max(ts);
        Some(event)
    }

    /// Events that arrived after later events had already been released.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Events currently held.
    pub fn held(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clawback_events::parse_line;

    fn ev(id: &str, ts: &str) -> Box<Event> {
        Box::new(parse_line(
            format!(r#"{{"event_id":"{id}","type":"login","ts":"{ts}","account_id":"a","success":true}}"#)
                .as_bytes(),
        )
        .unwrap())
    }

    fn drain(s: &mut Sequencer, out: &mut Vec<String>) {
        while let Some(e) = s.pop_ready() {
            out.push(e.event_id.to_string());
        }
    }

    #[test]
    fn restores_time_order_within_the_slack_and_keeps_arrival_order_for_ties() {
        let mut s = Sequencer::new(DEFAULT_SLACK_MS);
        let mut out = vec![];
        for (id, ts) in [
            ("a", "2026-11-02T10:00:00Z"),
            ("c", "2026-11-02T10:02:00Z"),
            ("b", "2026-11-02T10:01:00Z"),
            ("b2", "2026-11-02T10:01:00Z"),
            ("d", "2026-11-02T10:10:00Z"),
        ] {
            s.push(ev(id, ts));
            drain(&mut s, &mut out);
        }
        assert_eq!(
            out,
            ["a", "b", "b2", "c"],
            "released once 5 minutes behind the newest"
        );
        while let Some(e) = s.pop() {
            out.push(e.event_id.to_string());
        }
        assert_eq!(out, ["a", "b", "b2", "c", "d"]);
        assert_eq!(s.late(), 0);
    }

    #[test]
    fn an_event_later_than_the_slack_is_released_and_counted() {
        let mut s = Sequencer::new(60_000);
        let mut out = vec![];
        s.push(ev("a", "2026-11-02T10:00:00Z"));
        s.push(ev("b", "2026-11-02T11:00:00Z"));
        drain(&mut s, &mut out);
        s.push(ev("late", "2026-11-02T09:30:00Z"));
        drain(&mut s, &mut out);
        assert_eq!(out, ["a", "late"]);
        assert_eq!(s.late(), 1);
    }
}
