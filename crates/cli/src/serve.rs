//! `clawback serve`, `clawback keys create`, `clawback audit verify`: the service's data
//! directory is the event log of `ingest` plus `cases.sqlite` (API keys, audit log, cases) and
//! `outbound.jsonl` (case actions for the retailer's systems).

use crate::replay::{self, Sinks, Source};
use crate::setup::EngineSetup;
use anyhow::{Context, Result, bail};
use clawback_cases::{CaseStore, Role, SqliteStore};
use clawback_events::output::JsonlWriter;
use clawback_server::{Core, Index, Limits};
use clawback_store::{Log, LogOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The case store's file in a data directory.
pub fn cases_path(data: &Path) -> PathBuf {
    data.join("cases.sqlite")
}

/// The outbound events file (one JSON line per case action) in a data directory.
pub fn outbound_path(data: &Path) -> PathBuf {
    data.join("outbound.jsonl")
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The data directory (created if missing): the event log and cases.sqlite.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Address to listen on (port 0: any free port; the bound address is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Largest request body in MiB (larger bodies get 413).
    #[arg(long, value_name = "MIB", default_value_t = 16)]
    pub max_body_mib: usize,
    /// Requests per second each API key may send, sustained.
    #[arg(long, value_name = "N", default_value_t = 1000.0)]
    pub rate_limit: f64,
    /// Requests each API key may send at once, above the sustained rate.
    #[arg(long, value_name = "N", default_value_t = 2000.0)]
    pub burst: f64,
    /// POST each case action's outbound event to this https:// (or http://) URL, signed with
    /// HMAC-SHA256 (`X-Clawback-Signature: sha256=HEX`), retried with backoff until
    /// acknowledged. The receiver's certificate is always verified, against the system's root
    /// store and `--webhook-ca`.
    #[arg(long, value_name = "URL", requires = "webhook_secret_source")]
    pub webhook_url: Option<String>,
    /// PEM file of CA certificates to trust for an https:// webhook receiver, besides the
    /// system's root store (a private CA, or the receiver's own self-signed certificate).
    #[arg(long, value_name = "FILE", requires = "webhook_url")]
    pub webhook_ca: Option<PathBuf>,
    /// File holding the webhook's HMAC secret (trailing newline ignored).
    #[arg(long, value_name = "FILE", group = "webhook_secret_source")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Name of an environment variable holding the webhook's HMAC secret.
    #[arg(long, value_name = "VAR", group = "webhook_secret_source")]
    pub webhook_secret_env: Option<String>,
    /// First retry delay of a failed webhook delivery, in milliseconds (doubles up to 60 s).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub webhook_backoff_ms: u64,
    /// Keep no entity detail (orders with their lines, timelines, the entity graph): less
    /// memory, but `GET /v1/graph`, the console's entity pages and the export's timeline
    /// are then empty.
    #[arg(long)]
    pub no_entity_detail: bool,
    #[command(flatten)]
    pub setup: EngineSetup,
}

/// The webhook's configuration from the flags, if one is asked for.
fn webhook_config(args: &ServeArgs) -> Result<Option<clawback_server::webhook::WebhookConfig>> {
    let Some(url) = &args.webhook_url else {
        return Ok(None);
    };
    clawback_server::webhook::parse_url(url).context("--webhook-url")?;
    let secret = match (&args.webhook_secret_file, &args.webhook_secret_env) {
        (Some(f), _) => {
            let mut s = std::fs::read(f).with_context(|| {
                format!(
                    "reading the webhook secret file {} (--webhook-secret-file)",
                    f.display()
                )
            })?;
            while s.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                s.pop();
            }
            s
        }
        (None, Some(var)) => std::env::var(var)
            .with_context(|| format!("--webhook-secret-env {var}: the variable is not set"))?
            .into_bytes(),
        (None, None) => {
            bail!("--webhook-url needs --webhook-secret-file FILE or --webhook-secret-env VAR")
        }
    };
    if secret.is_empty() {
        bail!("{}", clawback_server::webhook::WebhookError::EmptySecret);
    }
    let cfg = clawback_server::webhook::WebhookConfig {
        url: url.clone(),
        secret,
        outbox: outbound_path(&args.data),
        cursor: args.data.join("outbound.cursor"),
        initial_backoff: std::time::Duration::from_millis(args.webhook_backoff_ms.max(1)),
        max_backoff: std::time::Duration::from_secs(60),
        timeout: std::time::Duration::from_secs(10),
        ca_file: args.webhook_ca.clone(),
    };
    // The URL and, for https://, the roots and the CA file, checked before anything starts.
    clawback_server::webhook::Client::new(&cfg).context("--webhook-url / --webhook-ca")?;
    Ok(Some(cfg))
}

/// Opens the data directory, replays its log into the engine and serves until SIGINT or
/// SIGTERM.
pub fn serve(args: &ServeArgs) -> Result<()> {
    let data = &args.data;
    let webhook = webhook_config(args)?;
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    // The writable log first: it takes the directory's lock and cuts a torn tail, so the
    // replay below reads exactly what is acknowledged.
    let (log, recovery) = Log::open(data, LogOptions::default())
        .with_context(|| format!("opening the event log in {}", data.display()))?;
    let cases_file = cases_path(data);
    let cases = SqliteStore::open(&cases_file)
        .with_context(|| format!("opening the case store {}", cases_file.display()))?;
    let mut engine = args.setup.build()?;
    let mut index = Index {
        detail_off: args.no_entity_detail,
        ..Index::default()
    };
    // Same path as `replay --data`, with no reorder slack: the live service applies events
    // in the order they became durable, so a restart must too.
    let summary = {
        let mut d = std::io::sink();
        let mut a = std::io::sink();
        let mut sinks = Sinks {
            decisions: JsonlWriter::new(&mut d as &mut dyn Write),
            alerts: JsonlWriter::new(&mut a as &mut dyn Write),
        };
        replay::replay_into(
            &Source::Data(data.clone()),
            &mut engine,
            0,
            replay::default_parse_threads(),
            &mut sinks,
            &mut std::io::sink(),
            &mut |ev, out| {
                index.observe(ev, out);
                Ok(())
            },
        )
        .with_context(|| format!("replaying the event log in {}", data.display()))?
    };
    let qpath = data.join("quarantine.jsonl");
    let quarantine = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&qpath)
        .with_context(|| format!("cannot open {} for appending", qpath.display()))?;
    let opath = outbound_path(data);
    let outbound = clawback_server::core::OutboundFile::open(&opath)
        .with_context(|| format!("cannot open {} for appending", opath.display()))?;
    let mut core = Core::new(
        engine,
        index,
        log,
        Box::new(cases),
        Box::new(quarantine),
        Box::new(outbound),
    );
    let fed = core
        .reconcile_audit()
        .context("feeding audit records whose data_access event was not logged")?;
    let filed = core
        .reconcile_cases()
        .context("filing the replayed alerts into cases")?;
    let fed_back = core
        .reconcile_feedback()
        .context("feeding back case actions whose events were not logged")?;
    let emitted = core
        .reconcile_outbound()
        .with_context(|| format!("writing missing case actions to {}", opath.display()))?;
    writeln!(
        std::io::stderr().lock(),
        "replayed {} events ({} decisions, {} alerts) from {} in {:.2}s; repaired {} torn bytes; re-fed {fed} audit events and {fed_back} case-action events; filed {filed} alert emissions into cases; re-emitted {emitted} outbound actions",
        summary.events,
        summary.decisions,
        summary.alerts,
        data.display(),
        summary.seconds,
        recovery.truncated_bytes
    )?;
    let limits = Limits {
        max_body_bytes: args.max_body_mib.saturating_mul(1 << 20),
        rate_per_sec: args.rate_limit,
        burst: args.burst,
    };
    clawback_server::serve_with(core, args.listen, limits, webhook, |addr| {
        // Tests and scripts read this line to find the port.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
    })
    .context("the HTTP service failed")?;
    Ok(())
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// `keys create`: prints the new key, alone, on standard output; only its hash is kept.
pub fn create_key(data: &Path, role: &str, name: Option<&str>) -> Result<()> {
    let Some(role) = Role::parse(role) else {
        bail!("--role {role:?}: give viewer, investigator or admin");
    };
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let path = cases_path(data);
    let mut store = SqliteStore::open(&path)
        .with_context(|| format!("opening the case store {}", path.display()))?;
    let name = match name {
        Some(n) => n.to_string(),
        None => clawback_cases::default_key_name(role)?,
    };
    clawback_cases::check_key_name(&name)?;
    let key = clawback_cases::generate_key()?;
    store
        .create_key(&name, role, &key.digest, &now_rfc3339())
        .with_context(|| format!("storing the key in {}", path.display()))?;
    writeln!(std::io::stdout().lock(), "{}", key.secret).context("writing to standard output")?;
    writeln!(
        std::io::stderr().lock(),
        "created API key {name:?} with role {role}; it is shown only this once (only its SHA-256 is stored)"
    )?;
    Ok(())
}

/// `audit verify`: checks the audit log's hash chain; fails naming the first bad record.
pub fn verify_audit(data: &Path) -> Result<()> {
    let path = cases_path(data);
    if !path.exists() {
        bail!(
            "{} does not exist: {} is not a data directory of `clawback serve`",
            path.display(),
            data.display()
        );
    }
    let mut store = SqliteStore::open(&path)
        .with_context(|| format!("opening the case store {}", path.display()))?;
    match store
        .verify_audit()
        .with_context(|| format!("reading the audit log in {}", path.display()))?
    {
        Ok(n) => {
            writeln!(
                std::io::stdout().lock(),
                "audit log intact: {n} records, every hash chains"
            )?;
            Ok(())
        }
        Err(b) => bail!(
            "the audit log in {} is broken at record {}: {}",
            path.display(),
            b.seq,
            b.reason
        ),
    }
}
