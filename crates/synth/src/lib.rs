//! A small, fast, seeded generator of contract-valid Clawback event streams, with planted
//! fraud and its ground truth when asked for.
//!
//! Replay throughput has to be measured on files of millions of lines, and tests and the
//! `demo` command need a world that exercises every event type of the contract
//! (`shared/spec/events.md`) with realistic shapes: people who type their email and
//! address differently each time, parcels that are scanned (or not), returns that are
//! received days later, employees who log in and look customers up, phishing texts next to
//! genuine ones, refund-service posts that quote real order ids.
//!
//! By default ([`generate`], [`write_jsonl`], `Config::default()`) the traffic is honest
//! and no `label` events are written, exactly as before schemes existed: the same config
//! gives the same bytes. Training and evaluation need fraud with known answers, so a
//! config can also plant fraud schemes, each with its own count in [`Config`] (0 by
//! default); [`Config::with_schemes`] switches them all on at a default strength that
//! scales with the world (for 2,000 customers: three gangs, two of them holding stolen
//! credentials, 30 bans, five phishing campaigns, one data-selling ring). Each scheme draws
//! from the random stream only when enabled.
//!
//! **Refund-service gangs** ([`Config::refund_gangs`]), modelled on REKK-style services
//! (`shared/docs/domain.md`):
//!
//! - each gang has 2–4 operators with their own few devices, IPs (some in proxy ranges)
//!   and phones, shared within the gang, and usually one bribed support agent and/or one
//!   bribed warehouse worker drawn from the employees (who keep doing honest work too);
//! - its clients are ordinary customers (some with clean histories, some new) who place
//!   high-value, retailer-fulfilled electronics / computers / phones / video-game orders
//!   (at most 5 items, at most $10,000) and get them delivered, usually with proof;
//! - an operator then contacts support by chat or phone from the *operator's* device, IP
//!   or phone, mostly without passing verification, and claims a refund: "never arrived"
//!   despite the delivery evidence; a return whose parcel is never scanned; an empty (far
//!   too light) box; a return keyed in by hand by the bribed warehouse worker though the
//!   carrier never saw it; or a refund raised and approved (sometimes as an override) by
//!   the bribed agent;
//! - a few days later the gang posts vouches (mostly Telegram) showing 1–3 of its refunded
//!   orders, ids often masked (`114-55•••••-7731994`, `114-55XXXXX-7731994`).
//!
//! **Stolen employee credentials** ([`Config::stolen_credentials`]): the first gangs hold
//! an honest support agent's login. Off the agent's shift, from one of the gang's operator
//! devices and IPs (never used by the agent), the gang fails to log in a few times, then
//! succeeds, marks its never-sent returns received, overrides holds and approves its own
//! fraudulent refunds, which are issued under the agent's name.
//!
//! **Ban evasion** ([`Config::ban_evasion`]): the retailer closes abusive accounts
//! (`account_closed`, `by: "retailer"`) — gang clients or honest-looking customers. About
//! two thirds of the people come back days later under a new account that shares one or
//! more identifiers with the banned one: the same mailbox written differently (dots,
//! `+tag`, case, `googlemail.com`), the same phone in another format, the same device,
//! the same card (`payment_method_added`) or the same address restyled — and shop. About a
//! third of bans are followed by an honest household member signing up at the same
//! address, sometimes on the family's device or card.
//!
//! **Data selling** ([`Config::data_selling`]): a ring is a third-party seller and one or
//! two support agents. Buyers of the seller's products post 1–2 star reviews; the agents
//! look up their `reviewer_contact` / `contact_details` without a ticket, a few accounts
//! at a time, some as exports; days later the seller writes to those accounts offering
//! refunds or gifts, and some reviews are raised or removed (`review_changed`).
//!
//! **Phishing campaigns** ([`Config::phishing_campaigns`]): each campaign has its own
//! look-alike domains (homoglyphs, brand-plus-word hyphenations, one punycode `xn--`
//! label, one behind a URL shortener), sender numbers and addresses and text templates
//! with placeholders, in English, French or German, by SMS, email or call; volume spikes
//! ×5–16 over a sales event four fifths into the period. Customers report them as
//! `message_reported`; with campaigns on, every phishing text reported belongs to one.
//!
//! The honest look-alikes stay: genuine high-value "not received" claims, hand-keyed
//! receipts, chat refunds, returns lost in the post, ticketless look-ups, sellers writing
//! to buyers, genuine retailer messages reported as suspicious, households sharing an
//! address, a device or a card.
//!
//! [`generate_labelled`] and [`write_labelled`] also write the **ground truth** as contract
//! `label` lines, dated at the end of the period (truth comes late) and kept apart from the
//! events so they never leak into a run being evaluated. Each entity gets exactly one
//! label:
//!
//! - every refund: `fraud` kind `refund_service` group `gang-N`, or `legit`;
//! - every account: gang clients `fraud` kind `refund_service` group `gang-N`; an evader's
//!   new account `fraud` kind `ban_evasion` group the banned original's account id (the
//!   banned account keeps its own label); everyone else `legit`;
//! - every employee: bribed ones `fraud` kind `insider_collusion` group `gang-N`; agents
//!   whose credentials a gang uses `fraud` kind `credential_misuse` group `gang-N` (a
//!   victim: the label marks the account as abused); data sellers `fraud` kind
//!   `data_selling` group `ds-N`; the rest `legit`;
//! - every seller: a ring's seller `fraud` kind `data_selling` group `ds-N`, the rest
//!   `legit`;
//! - every reported message: `fraud` kind `phishing` group `campaign-N` (or, with no
//!   campaigns configured, a one-off group `oneoff-rep-NNNNNNN` of its own), or `legit`;
//! - every order an intel post shows: kind `intel_mentioned`, group the `post_id`; `fraud`
//!   for gang vouches, `legit` for the honest world's reposts of ordinary refunds.
//!
//! The stream is a pure function of [`Config`]: same config, byte-identical lines. Memory
//! is the customer table, the work in flight (parcels, returns, a few pre-rendered
//! follow-ups due within a day) and one bucket of about an hour of lines, never the whole
//! stream: a ten-million-event file peaks at about 170 MB resident. A labelled run also
//! keeps the ids of refunds, reports and vouched orders until the labels are written, and
//! evaders' new accounts join the customer table.

mod clock;
mod json;
mod rates;
mod rng;
mod sim;
mod world;

#[cfg(test)]
mod tests;

pub use rates::Rates;

/// Parameters of a synthetic stream.
///
/// Everything that shapes the output is here, so a config (and its seed) is enough to
/// reproduce a benchmark input or a failing test exactly. A scenario file can describe
/// one: the config (de)serializes with serde, every field optional (absent fields take
/// their defaults) and unknown fields rejected, e.g. in TOML
///
/// ```toml
/// seed = 3
/// customers = 5000
/// refund_gangs = 8
/// [rates]
/// return_share = 0.15
/// ```
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
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
    /// Refund-service gangs to plant (REKK-style: operators who social-engineer support
    /// for client accounts, helped by bribed employees). 0, the default, keeps the stream
    /// honest and byte-identical to what this config produced before gangs existed;
    /// [`Config::with_schemes`] picks a count that scales with the world.
    pub refund_gangs: u32,
    /// Abusive accounts the retailer bans during the period; about two thirds of the
    /// people behind them come back under a new account that shares an identifier (a
    /// variant of the email, the phone written differently, the device, the card or the
    /// restyled address) with the banned one. 0, the default, plants none.
    pub ban_evasion: u32,
    /// Phishing campaigns to run (each with its own look-alike domains, senders and
    /// templates, spiking over a sales event); when set, every phishing text customers
    /// report belongs to one. 0, the default, keeps the honest world's one-off texts.
    pub phishing_campaigns: u32,
    /// Data-selling rings to plant: a third-party seller and one or two support agents
    /// who look up (and export) the contact details of the seller's unhappy reviewers
    /// without a ticket, after which the seller writes to them and reviews change. 0, the
    /// default, plants none.
    pub data_selling: u32,
    /// Refund gangs (the first ones, at most [`Config::refund_gangs`]) that hold an
    /// honest support agent's stolen credentials and use them off shift, from their own
    /// devices, to approve their fraudulent refunds. 0, the default, plants none.
    pub stolen_credentials: u32,
    /// Behavioural rates and sizes (return share, gang sizes, ban-return share, phishing
    /// spike, …); the defaults are the world this generator always produced.
    pub rates: Rates,
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
            refund_gangs: 0,
            ban_evasion: 0,
            phishing_campaigns: 0,
            data_selling: 0,
            stolen_credentials: 0,
            rates: Rates::default(),
        }
    }
}

impl Config {
    /// A world of `customers` over `days`, with staff and sellers in the default
    /// proportions (one employee per 50 customers, one seller per 40). Setting `customers`
    /// alone keeps 40 employees, and at 20,000 customers the schemes' corrupt employees
    /// would then be every employee there is.
    #[must_use]
    pub fn sized(self, customers: u32, days: u32) -> Self {
        Self {
            customers,
            days,
            employees: (customers / 50).max(1),
            sellers: (customers / 40).max(1),
            ..self
        }
    }

    /// The same world with the fraud schemes switched on at their default strength, so a
    /// labelled run has fraud to find without drowning the honest traffic. Per 2,000
    /// customers (at least one of each): three refund-service gangs, two of which (at
    /// most all) hold stolen employee credentials, 30 bans, one data-selling ring, and
    /// five phishing campaigns (always 3–6).
    #[must_use]
    pub fn with_schemes(self) -> Self {
        let gangs = (u64::from(self.customers) * 3)
            .div_ceil(2_000)
            .clamp(1, 1_000) as u32;
        let per_2000 = |k: u64| {
            if self.customers == 0 {
                0
            } else {
                (u64::from(self.customers) * k)
                    .div_ceil(2_000)
                    .clamp(1, 100_000) as u32
            }
        };
        Config {
            refund_gangs: if self.customers == 0 { 0 } else { gangs },
            ban_evasion: per_2000(30),
            data_selling: per_2000(1),
            stolen_credentials: per_2000(2).min(if self.customers == 0 { 0 } else { gangs }),
            phishing_campaigns: if self.customers == 0 {
                0
            } else {
                per_2000(5).clamp(3, 6)
            },
            ..self
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

/// Streams events to `emit` and ground-truth `label` lines to `label` (one JSON object per
/// call, no newline); returns (events, labels).
///
/// Labels are what training and evaluation need and what a run being evaluated must never
/// see, hence a separate sink. They are written after the last event, dated at the end of
/// the period (in real life truth arrives late). The events are exactly those
/// [`generate`] writes for the same config; to get fraud to label, enable the schemes
/// (e.g. [`Config::with_schemes`]).
pub fn generate_labelled(
    cfg: &Config,
    emit: &mut dyn FnMut(&str),
    label: &mut dyn FnMut(&str),
) -> (u64, u64) {
    sim::Sim::labelled(cfg).run_labelled(
        &mut |line| {
            emit(line);
            true
        },
        &mut |line| {
            label(line);
            true
        },
    )
}

/// Convenience: write events and labels to two writers, one line each with '\n'.
///
/// Stops at the first write error on either writer and returns it, as [`write_jsonl`]
/// does.
pub fn write_labelled(
    cfg: &Config,
    events: &mut dyn std::io::Write,
    labels: &mut dyn std::io::Write,
) -> std::io::Result<(u64, u64)> {
    const CHUNK: usize = 1 << 16;
    let mut ebuf: Vec<u8> = Vec::with_capacity(CHUNK + 1_024);
    let mut lbuf: Vec<u8> = Vec::with_capacity(CHUNK + 1_024);
    let failed: std::cell::Cell<Option<std::io::Error>> = std::cell::Cell::new(None);
    let put = |buf: &mut Vec<u8>, w: &mut dyn std::io::Write, line: &str| {
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        if buf.len() >= CHUNK {
            w.write_all(buf)?;
            buf.clear();
        }
        Ok(())
    };
    let counts = sim::Sim::labelled(cfg).run_labelled(
        &mut |line| match put(&mut ebuf, events, line) {
            Ok(()) => true,
            Err(e) => {
                failed.set(Some(e));
                false
            }
        },
        &mut |line| match put(&mut lbuf, labels, line) {
            Ok(()) => true,
            Err(e) => {
                failed.set(Some(e));
                false
            }
        },
    );
    if let Some(e) = failed.take() {
        return Err(e);
    }
    events.write_all(&ebuf)?;
    labels.write_all(&lbuf)?;
    Ok(counts)
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
    let days = base.days;
    Config {
        seed,
        ..base.sized(customers, days)
    }
}
