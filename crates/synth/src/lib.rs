//! A small, fast, seeded generator of contract-valid Clawback event streams.
//!
//! Replay throughput has to be measured on files of millions of lines, and tests and the
//! `demo` command need a world that exercises every event type of the contract
//! (`shared/spec/events.md`) with realistic shapes: people who type their email and
//! address differently each time, parcels that are scanned (or not), returns that are
//! received days later, employees who log in and look customers up, phishing texts next to
//! genuine ones, refund-service posts that quote real order ids.
//!
//! It is deliberately *not* a fraud simulator: the traffic is honest, nothing is planted
//! and no `label` events are written. The marketplace simulator (with rings, bribed
//! insiders, ban evasion and ground truth) will supersede it; until then this crate is the
//! cheapest source of valid, deterministic input.
//!
//! The stream is a pure function of [`Config`]: same config, byte-identical lines. Memory
//! is the customer table, the work in flight (parcels, returns, a few pre-rendered
//! follow-ups due within a day) and one bucket of about an hour of lines, never the whole
//! stream: a ten-million-event file peaks at about 170 MB resident.

mod clock;
mod json;
mod rng;
mod sim;
mod world;

#[cfg(test)]
mod tests;

/// Parameters of a synthetic stream.
///
/// Everything that shapes the output is here, so a config (and its seed) is enough to
/// reproduce a benchmark input or a failing test exactly.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seeds the one PCG stream all choices come from.
    pub seed: u64,
    /// Customers who sign up during the period (most in the first two days).
    pub customers: u32,
    /// Length of the period; events fall in `[start_unix, start_unix + days × 86 400)`.
    pub days: u32,
    /// Support agents and warehouse staff (at least one is used).
    pub employees: u32,
    /// Third-party sellers in the catalogue (at least one is used).
    pub sellers: u32,
    /// Start of the period, in Unix seconds.
    pub start_unix: i64,
    /// Max amount an event may be emitted out of time order: real feeds are only roughly
    /// ordered, and consumers must cope.
    pub disorder_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0,
            customers: 2_000,
            days: 30,
            employees: 40,
            sellers: 50,
            start_unix: 1_793_491_200, // 2026-11-01T00:00:00Z
            disorder_secs: 90,
        }
    }
}

/// Measured average events per customer over 30 days with one employee per 50 customers
/// and one seller per 40 (the default proportions), used to size benchmark inputs.
const EVENTS_PER_CUSTOMER: f64 = 67.0;

/// Streams events as JSON lines (each WITHOUT trailing newline) to the callback, in roughly
/// time order.
///
/// A callback rather than an iterator so that lines can be written or parsed straight from
/// the generator's reused buffers. Returns the number of events produced.
pub fn generate(cfg: &Config, emit: &mut dyn FnMut(&str)) -> u64 {
    sim::Sim::new(cfg).run(&mut |line| {
        emit(line);
        true
    })
}

/// Convenience: write the stream to a writer, one line each with '\n'.
///
/// Stops generating at the first write error (a closed pipe should not cost the rest of a
/// ten-million-line run) and returns that error.
pub fn write_jsonl(cfg: &Config, w: &mut dyn std::io::Write) -> std::io::Result<u64> {
    const CHUNK: usize = 1 << 16;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 1_024);
    let mut failed: Option<std::io::Error> = None;
    let n = sim::Sim::new(cfg).run(&mut |line| {
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        if buf.len() >= CHUNK {
            if let Err(e) = w.write_all(&buf) {
                failed = Some(e);
                return false;
            }
            buf.clear();
        }
        true
    });
    if let Some(e) = failed {
        return Err(e);
    }
    w.write_all(&buf)?;
    Ok(n)
}

/// Generate about `target_events` events by choosing `customers` accordingly (days fixed at
/// cfg.days); used by the benchmark.
///
/// Employees and sellers scale with customers in the default proportions, so the mix of
/// event types (and the per-event cost a benchmark measures) does not drift with size.
pub fn config_for_events(seed: u64, target_events: u64) -> Config {
    let base = Config::default();
    let per_customer = EVENTS_PER_CUSTOMER * f64::from(base.days) / 30.0;
    let customers =
        ((target_events as f64 / per_customer).round() as u64).clamp(1, u64::from(u32::MAX)) as u32;
    Config {
        seed,
        customers,
        employees: (customers / 50).max(1),
        sellers: (customers / 40).max(1),
        ..base
    }
}
