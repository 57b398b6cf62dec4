//! The outbound webhook: each case action's outbound event POSTed to the retailer's URL,
//! signed, retried, at least once.
//!
//! `DIR/outbound.jsonl` is the outbox (written and fsync'd before an action is
//! acknowledged); `DIR/outbound.cursor` holds the `action_id` of the last event the receiver
//! acknowledged with a 2xx, replaced atomically after each delivery. A restart re-delivers
//! exactly the events after the cursor, so a receiver sees each event at least once, and
//! more than once only if the service stopped between the receiver's 2xx and the cursor's
//! write: it de-duplicates by `X-Clawback-Delivery`.
//!
//! Each POST carries the outbound line's exact bytes as `application/json`, with
//! `X-Clawback-Signature: sha256=<hex HMAC-SHA256 of the body under the shared secret>`
//! and `X-Clawback-Delivery: clawback-action-<action_id>` (the same on every retry). A
//! failed delivery (no connection, a timeout, any status but 2xx) is retried with
//! exponential backoff from [`WebhookConfig::initial_backoff`] up to
//! [`WebhookConfig::max_backoff`], for ever, in order: later events wait behind it, so the
//! receiver sees actions in the order they were taken.
//!
//! Plain `http://` only: the client is hyper's own HTTP/1.1 connection (already built for
//! the server, so it costs no new stack); for HTTPS put a TLS-terminating proxy on the
//! service's host in front of the receiver.

use crate::core::OutboundEvent;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// A line on standard error (the service's log).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `http://host[:port][/path]`.
    pub url: String,
    /// The HMAC key shared with the receiver.
    pub secret: Vec<u8>,
    /// The outbox (`DIR/outbound.jsonl`).
    pub outbox: PathBuf,
    /// The cursor file (`DIR/outbound.cursor`).
    pub cursor: PathBuf,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Per attempt: connect, send, and read the status.
    pub timeout: Duration,
}

/// Why the webhook cannot start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(
        "webhook URL {0:?}: give an http:// URL such as http://127.0.0.1:9000/clawback (for HTTPS, put a TLS-terminating proxy in front of the receiver)"
    )]
    BadUrl(String),
    #[error("the webhook secret is empty: put at least 16 random bytes in the secret file")]
    EmptySecret,
    #[error("reading the webhook cursor {path}: {source}")]
    Cursor {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `host:port` to connect to.
    pub authority: String,
    /// Path and query, `/` when absent.
    pub path: String,
}

/// Parses an `http://` URL (no TLS: see the module documentation).
pub fn parse_url(url: &str) -> Result<Target, WebhookError> {
    let bad = || WebhookError::BadUrl(url.to_string());
    let uri: axum::http::Uri = url.parse().map_err(|_| bad())?;
    if uri.scheme_str() != Some("http") {
        return Err(bad());
    }
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(bad)?;
    let port = uri.port_u16().unwrap_or(80);
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Ok(Target {
        authority: format!("{host}:{port}"),
        path: uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
    })
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!(
        "sha256={}",
        clawback_cases::hex(&mac.finalize().into_bytes())
    )
}

/// The delivery id of an action's event: stable across retries and restarts.
pub fn delivery_id(action_id: u64) -> String {
    format!("clawback-action-{action_id}")
}

/// The cursor: the last acknowledged `action_id` (0 when none or no file).
pub fn read_cursor(path: &std::path::Path) -> Result<u64, WebhookError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t.trim().parse().unwrap_or(0)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(WebhookError::Cursor {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Replaces the cursor atomically (write a temporary file, fsync, rename).
fn write_cursor(path: &std::path::Path, action_id: u64) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("cursor.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    writeln!(f, "{action_id}")?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The events of the outbox after `cursor`, in file order, with their exact bytes.
fn pending(outbox: &std::path::Path, cursor: u64) -> Vec<(u64, Vec<u8>)> {
    let Ok(text) = std::fs::read(outbox) else {
        return Vec::new();
    };
    let mut seen = cursor;
    let mut out = Vec::new();
    for line in text.split(|b| *b == b'\n') {
        // A torn last line (a crash mid-write) does not parse; it is written again.
        let Ok(ev) = serde_json::from_slice::<OutboundEvent>(line) else {
            continue;
        };
        if ev.action_id > seen {
            seen = ev.action_id;
            out.push((ev.action_id, line.to_vec()));
        }
    }
    out
}

/// Counters of the deliverer, for `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookStats {
    pub delivered: std::sync::atomic::AtomicU64,
    pub failed_attempts: std::sync::atomic::AtomicU64,
    /// The last acknowledged action id.
    pub cursor: std::sync::atomic::AtomicU64,
}

/// One POST; `Ok(status)` when the receiver answered.
async fn post(target: &Target, body: Vec<u8>, sig: &str, delivery: &str) -> Result<u16, String> {
    use http_body_util::Full;
    let stream = tokio::net::TcpStream::connect(&target.authority)
        .await
        .map_err(|e| format!("connecting to {}: {e}", target.authority))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = axum::http::Request::post(target.path.as_str())
        .header(axum::http::header::HOST, target.authority.as_str())
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header(axum::http::header::USER_AGENT, "clawback-webhook/1")
        .header("x-clawback-signature", sig)
        .header("x-clawback-delivery", delivery)
        .body(Full::new(bytes::Bytes::from(body)))
        .map_err(|e| format!("building the request: {e}"))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("sending: {e}"));
    driver.abort();
    Ok(resp?.status().as_u16())
}

/// Delivers the outbox for ever (see the module documentation). `notify` is woken when an
/// action is written; the outbox is also re-read every few seconds.
pub async fn run(cfg: WebhookConfig, notify: Arc<Notify>, stats: Arc<WebhookStats>) {
    use std::sync::atomic::Ordering;
    let target = match parse_url(&cfg.url) {
        Ok(t) => t,
        Err(e) => {
            say!("webhook disabled: {e}");
            return;
        }
    };
    let mut cursor = read_cursor(&cfg.cursor).unwrap_or(0);
    stats.cursor.store(cursor, Ordering::Relaxed);
    loop {
        let batch = pending(&cfg.outbox, cursor);
        for (action_id, body) in batch {
            let sig = signature(&cfg.secret, &body);
            let delivery = delivery_id(action_id);
            let mut backoff = cfg.initial_backoff;
            loop {
                let attempt =
                    tokio::time::timeout(cfg.timeout, post(&target, body.clone(), &sig, &delivery))
                        .await;
                let why = match attempt {
                    Ok(Ok(s)) if (200..300).contains(&s) => break,
                    Ok(Ok(s)) => format!("the receiver answered {s}"),
                    Ok(Err(e)) => e,
                    Err(_) => format!("no answer within {:?}", cfg.timeout),
                };
                stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                say!(
                    "webhook: delivering {delivery} to {} failed ({why}); retrying in {:.1}s",
                    cfg.url,
                    backoff.as_secs_f64()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(cfg.max_backoff);
            }
            if let Err(e) = write_cursor(&cfg.cursor, action_id) {
                // Delivered but not recorded: it will be delivered again after a restart
                // (at least once), which the receiver de-duplicates.
                say!("webhook: writing the cursor {}: {e}", cfg.cursor.display());
            }
            cursor = action_id;
            stats.cursor.store(cursor, Ordering::Relaxed);
            stats.delivered.fetch_add(1, Ordering::Relaxed);
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), notify.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn urls_are_http_only() {
        assert_eq!(
            parse_url("http://127.0.0.1:9000/hook?x=1").unwrap(),
            Target {
                authority: "127.0.0.1:9000".into(),
                path: "/hook?x=1".into()
            }
        );
        assert_eq!(
            parse_url("http://example.org").unwrap().authority,
            "example.org:80"
        );
        assert_eq!(parse_url("http://[::1]:81/").unwrap().authority, "[::1]:81");
        assert!(parse_url("https://example.org/").is_err());
        assert!(parse_url("example.org").is_err());
    }

    #[test]
    fn pending_skips_delivered_and_torn_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("outbound.jsonl");
        let line = |n: u64| {
            format!(
                "{{\"type\":\"case_action\",\"action_id\":{n},\"case_id\":\"case-1\",\"action\":\"hold_refunds\",\"target\":\"a\",\"who\":\"ivy\",\"ts\":\"t\"}}\n"
            )
        };
        let text = format!("{}{}{}{{\"type\":\"case_ac", line(1), line(2), line(3));
        std::fs::write(&p, text).unwrap();
        let got: Vec<u64> = pending(&p, 1).into_iter().map(|(n, _)| n).collect();
        assert_eq!(got, [2, 3]);
        let c = dir.path().join("outbound.cursor");
        assert_eq!(read_cursor(&c).unwrap(), 0);
        write_cursor(&c, 3).unwrap();
        assert_eq!(read_cursor(&c).unwrap(), 3);
    }
}
