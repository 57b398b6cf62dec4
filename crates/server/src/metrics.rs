//! Prometheus text exposition, by hand: a few counters and one latency histogram do not
//! need a metrics library.

use crate::index::Index;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Counters of the live service (the decisions and alerts come from the read model).
#[derive(Debug, Default)]
pub struct Metrics {
    pub accepted: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    /// `(route, status)` → latency histogram.
    latency: Mutex<BTreeMap<(String, u16), Histogram>>,
    /// The webhook's counters, when one is configured.
    pub webhook: std::sync::OnceLock<std::sync::Arc<crate::webhook::WebhookStats>>,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        let Ok(mut map) = self.latency.lock() else {
            return;
        };
        let h = map.entry((route.to_string(), status)).or_default();
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// The exposition text.
    pub fn render(&self, index: &Index) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP clawback_events_total Events posted to the API since start, by result.\n# TYPE clawback_events_total counter"
        );
        for (result, c) in [
            ("accepted", &self.accepted),
            ("duplicate", &self.duplicates),
            ("rejected", &self.rejected),
        ] {
            let _ = writeln!(
                s,
                "clawback_events_total{{result=\"{result}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP clawback_events_applied_total Events the engine applied (the start-up replay included).\n# TYPE clawback_events_applied_total counter\nclawback_events_applied_total {}",
            index.events_applied
        );
        let _ = writeln!(
            s,
            "# HELP clawback_decisions_total Decisions made (the start-up replay included), by point and outcome.\n# TYPE clawback_decisions_total counter"
        );
        for ((point, outcome), n) in &index.decisions_by_outcome {
            let _ = writeln!(
                s,
                "clawback_decisions_total{{point=\"{point}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP clawback_alerts_total Alert emissions (the start-up replay included), by kind.\n# TYPE clawback_alerts_total counter"
        );
        for (kind, n) in &index.alerts_by_kind {
            let _ = writeln!(s, "clawback_alerts_total{{kind=\"{}\"}} {n}", escape(kind));
        }
        if let Some(w) = self.webhook.get() {
            let _ = writeln!(
                s,
                "# HELP clawback_webhook_deliveries_total Outbound events the webhook receiver acknowledged since start.\n# TYPE clawback_webhook_deliveries_total counter\nclawback_webhook_deliveries_total {}",
                w.delivered.load(Ordering::Relaxed)
            );
            let _ = writeln!(
                s,
                "# HELP clawback_webhook_failed_attempts_total Webhook attempts that failed (retried with backoff).\n# TYPE clawback_webhook_failed_attempts_total counter\nclawback_webhook_failed_attempts_total {}",
                w.failed_attempts.load(Ordering::Relaxed)
            );
            let _ = writeln!(
                s,
                "# HELP clawback_webhook_cursor_action_id The last action id the receiver acknowledged.\n# TYPE clawback_webhook_cursor_action_id gauge\nclawback_webhook_cursor_action_id {}",
                w.cursor.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP clawback_http_request_duration_seconds Time to answer a request, by route and status.\n# TYPE clawback_http_request_duration_seconds histogram"
        );
        if let Ok(map) = self.latency.lock() {
            for ((route, status), h) in map.iter() {
                let labels = format!("route=\"{}\",status=\"{status}\"", escape(route));
                for (le, c) in BUCKETS.iter().zip(&h.counts) {
                    let _ = writeln!(
                        s,
                        "clawback_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {c}"
                    );
                }
                let _ = writeln!(
                    s,
                    "clawback_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\nclawback_http_request_duration_seconds_sum{{{labels}}} {}\nclawback_http_request_duration_seconds_count{{{labels}}} {}",
                    h.count, h.sum, h.count
                );
            }
        }
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A token bucket per key: `burst` requests at once, refilled at `per_sec`.
#[derive(Debug)]
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<BTreeMap<String, (f64, std::time::Instant)>>,
}

impl RateLimiter {
    pub fn new(per_sec: f64, burst: f64) -> Self {
        Self {
            per_sec: per_sec.max(0.001),
            burst: burst.max(1.0),
            buckets: Mutex::new(BTreeMap::new()),
        }
    }

    /// Takes a token for `key`, or returns the seconds until one is available.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        self.take_at(key, std::time::Instant::now())
    }

    fn take_at(&self, key: &str, now: std::time::Instant) -> Result<(), u64> {
        let Ok(mut map) = self.buckets.lock() else {
            return Ok(());
        };
        let (tokens, last) = map.entry(key.to_string()).or_insert((self.burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * self.per_sec).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn bucket_allows_a_burst_then_refills() {
        let r = RateLimiter::new(2.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(r.take_at("k", t0).is_ok());
        }
        assert_eq!(r.take_at("k", t0), Err(1));
        assert!(r.take_at("other", t0).is_ok(), "buckets are per key");
        assert!(r.take_at("k", t0 + Duration::from_millis(600)).is_ok());
        assert!(r.take_at("k", t0 + Duration::from_millis(600)).is_err());
    }

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe("/v1/events", 200, 0.003);
        m.observe("/v1/events", 200, 0.0004);
        let text = m.render(&Index::default());
        assert!(text.contains(
            "clawback_http_request_duration_seconds_bucket{route=\"/v1/events\",status=\"200\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "clawback_http_request_duration_seconds_bucket{route=\"/v1/events\",status=\"200\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains("clawback_events_total{result=\"accepted\"} 0"));
    }
}
