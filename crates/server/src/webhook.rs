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
//! `http://` and `https://`: the client is hyper's own HTTP/1.1 connection (already built for
//! the server), over rustls for `https://` (cargo feature `tls`, on by default). The
//! receiver's certificate is verified against the system's root store plus the PEM file of
//! [`WebhookConfig::ca_file`] (`--webhook-ca`, for a private CA), for the URL's host name
//! or IP address, which is also the SNI; there is deliberately no way to turn verification
//! off. A certificate that fails is a failed attempt like any other: logged with the URL
//! and rustls' reason, retried with backoff, never delivered.

use crate::core::OutboundEvent;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

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
    /// `http://` or `https://host[:port][/path]`.
    pub url: String,
    /// The HMAC key shared with the receiver.
    pub secret: Vec<u8>,
    /// The outbox (`DIR/outbound.jsonl`).
    pub outbox: PathBuf,
    /// The cursor file (`DIR/outbound.cursor`).
    pub cursor: PathBuf,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Per attempt: connect, TLS handshake, send, and read the status, all together.
    pub timeout: Duration,
    /// A PEM file of CA certificates trusted for an `https://` receiver besides the system's
    /// root store: how a receiver with a private CA's (or a self-signed) certificate is
    /// reached without ever switching verification off.
    pub ca_file: Option<PathBuf>,
}

/// Why the webhook cannot start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(
        "webhook URL {0:?}: give an http:// or https:// URL such as https://hooks.example.com/clawback"
    )]
    BadUrl(String),
    #[error(
        "webhook URL {0:?}: this clawback was built without TLS (cargo feature `tls` of clawback-server, on by default): rebuild with default features, or give an http:// URL (for example a TLS-terminating proxy on this host)"
    )]
    TlsNotBuilt(String),
    #[error(
        "--webhook-ca {0}: the webhook URL is http://, which uses no certificates: give an https:// URL, or drop --webhook-ca"
    )]
    CaWithoutTls(String),
    #[error(
        "reading the webhook CA file {path} (--webhook-ca): {error}: give a readable PEM file of the certificate(s) of the CA that signed the receiver's certificate"
    )]
    CaRead {
        path: String,
        // Not `#[source]`: the message already says it, and anyhow would print it twice.
        error: std::io::Error,
    },
    #[error(
        "the webhook CA file {path} (--webhook-ca) {what}: give the CA's certificate(s) in PEM, each between -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----"
    )]
    CaInvalid { path: String, what: String },
    #[error(
        "no root certificates for the https:// webhook: the system store has none{detail} and no --webhook-ca FILE was given: install the ca-certificates package, point SSL_CERT_FILE at a PEM bundle, or give the receiver's CA with --webhook-ca"
    )]
    NoRoots { detail: String },
    #[error("setting up TLS for the webhook: {0}")]
    Tls(String),
    #[error("the webhook secret is empty: put at least 16 random bytes in the secret file")]
    EmptySecret,
    #[error("reading the webhook cursor {path}: {source}")]
    Cursor {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A parsed webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `https://`: the connection is TLS.
    pub tls: bool,
    /// The host as certificates name it: a DNS name or an IP address without brackets. Also
    /// the SNI (rustls sends none for an IP address, as RFC 6066 says).
    pub host: String,
    /// `host:port` to connect to (the scheme's port when the URL gives none).
    pub authority: String,
    /// The `Host` header: the URL's host, with its port only when the URL gives one.
    pub host_header: String,
    /// Path and query, `/` when absent.
    pub path: String,
}

/// Parses an `http://` or `https://` URL; `https://` needs the `tls` feature.
pub fn parse_url(url: &str) -> Result<Target, WebhookError> {
    let bad = || WebhookError::BadUrl(url.to_string());
    let uri: axum::http::Uri = url.parse().map_err(|_| bad())?;
    let tls = match uri.scheme_str() {
        Some("http") => false,
        Some("https") if cfg!(feature = "tls") => true,
        Some("https") => return Err(WebhookError::TlsNotBuilt(url.to_string())),
        _ => return Err(bad()),
    };
    let host = uri
        .host()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .filter(|h| !h.is_empty())
        .ok_or_else(bad)?;
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let bracketed = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Ok(Target {
        tls,
        host: host.to_string(),
        authority: format!("{bracketed}:{port}"),
        host_header: match uri.port_u16() {
            Some(p) => format!("{bracketed}:{p}"),
            None => bracketed,
        },
        path: uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
    })
}

/// The deliverer's connection set-up, checked once at start: the target and, for
/// `https://`, the TLS client with its roots.
#[derive(Clone)]
pub struct Client {
    target: Target,
    #[cfg(feature = "tls")]
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
    /// Where the trusted roots came from, for the start-up log line.
    roots: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("target", &self.target)
            .field("roots", &self.roots)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Parses the URL and, for `https://`, loads the roots (system store and
    /// [`WebhookConfig::ca_file`]): `serve` calls it before it starts, so a bad URL or CA
    /// file stops the start with a message instead of failing every delivery.
    pub fn new(cfg: &WebhookConfig) -> Result<Client, WebhookError> {
        let target = parse_url(&cfg.url)?;
        if !target.tls {
            if let Some(ca) = &cfg.ca_file {
                return Err(WebhookError::CaWithoutTls(ca.display().to_string()));
            }
            return Ok(Client {
                target,
                #[cfg(feature = "tls")]
                tls: None,
                roots: "plain http".to_string(),
            });
        }
        #[cfg(feature = "tls")]
        {
            let (connector, roots) = tls::connector(cfg.ca_file.as_deref())?;
            let name = rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|_| WebhookError::BadUrl(cfg.url.clone()))?;
            Ok(Client {
                target,
                tls: Some((connector, name)),
                roots,
            })
        }
        #[cfg(not(feature = "tls"))]
        Err(WebhookError::TlsNotBuilt(cfg.url.clone()))
    }

    /// Where the trusted roots came from ("plain http" for an `http://` URL).
    pub fn roots(&self) -> &str {
        &self.roots
    }
}

/// The TLS client: rustls with the `ring` provider, chosen explicitly so another crate
/// turning on a second provider cannot change (or break) which one is used.
#[cfg(feature = "tls")]
mod tls {
    use super::WebhookError;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use std::path::Path;
    use std::sync::Arc;

    /// The connector and a description of its roots.
    pub(super) fn connector(
        ca_file: Option<&Path>,
    ) -> Result<(tokio_rustls::TlsConnector, String), WebhookError> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (system, _ignored) = roots.add_parsable_certificates(native.certs);
        let mut described = format!("{system} roots from the system store");
        if !native.errors.is_empty() {
            described.push_str(&format!(
                " ({} unreadable: {})",
                native.errors.len(),
                native
                    .errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        if let Some(path) = ca_file {
            let n = add_ca_file(&mut roots, path)?;
            described.push_str(&format!(" and {n} from {}", path.display()));
        }
        if roots.is_empty() {
            let detail = native
                .errors
                .first()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            return Err(WebhookError::NoRoots { detail });
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| WebhookError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok((
            tokio_rustls::TlsConnector::from(Arc::new(config)),
            described,
        ))
    }

    /// Adds every certificate of a PEM file as a trust anchor; how many.
    fn add_ca_file(roots: &mut rustls::RootCertStore, path: &Path) -> Result<usize, WebhookError> {
        let shown = path.display().to_string();
        let text = std::fs::read(path).map_err(|error| WebhookError::CaRead {
            path: shown.clone(),
            error,
        })?;
        let invalid = |what: String| WebhookError::CaInvalid {
            path: shown.clone(),
            what,
        };
        // Line of the n-th (1-based) certificate's BEGIN marker, to point at it.
        let line_of = |n: usize| {
            let marker = b"-----BEGIN CERTIFICATE-----";
            let at = text
                .windows(marker.len())
                .enumerate()
                .filter(|(_, w)| *w == marker)
                .nth(n.saturating_sub(1))
                .map(|(i, _)| i);
            at.map(|i| 1 + text[..i].iter().filter(|b| **b == b'\n').count())
        };
        let mut added = 0;
        for (i, cert) in CertificateDer::pem_slice_iter(&text).enumerate() {
            let n = i + 1;
            let at = line_of(n)
                .map(|l| format!(" at line {l}"))
                .unwrap_or_default();
            let cert = cert.map_err(|e| {
                invalid(format!("has a bad PEM section ({e}) after certificate {i}"))
            })?;
            roots.add(cert).map_err(|e| {
                invalid(format!(
                    "certificate {n}{at} is not a usable CA certificate ({e})"
                ))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid("holds no PEM certificate".to_string()));
        }
        Ok(added)
    }
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
    /// The log line of the last failed attempt (URL and reason), so a status page or a test
    /// can say why deliveries are stuck without reading the log.
    pub last_failure: std::sync::Mutex<Option<String>>,
}

/// `fut`, or `Err(what ... within …)` once the attempt's deadline has passed.
async fn by<T>(
    deadline: Instant,
    budget: Duration,
    what: impl FnOnce() -> String,
    fut: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout_at(deadline, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "{}: not done within the attempt's {:?}",
            what(),
            budget
        )),
    }
}

/// One POST, connect to status within `budget`; `Ok(status)` when the receiver answered.
async fn post(
    client: &Client,
    budget: Duration,
    body: Vec<u8>,
    sig: &str,
    delivery: &str,
) -> Result<u16, String> {
    let target = &client.target;
    let deadline = Instant::now() + budget;
    let stream = by(
        deadline,
        budget,
        || format!("connecting to {}", target.authority),
        async {
            tokio::net::TcpStream::connect(&target.authority)
                .await
                .map_err(|e| format!("connecting to {}: {e}", target.authority))
        },
    )
    .await?;
    let _ = stream.set_nodelay(true);
    #[cfg(feature = "tls")]
    if let Some((connector, name)) = &client.tls {
        let stream = by(
            deadline,
            budget,
            || format!("TLS handshake with {}", target.authority),
            async {
                connector
                    .connect(name.clone(), stream)
                    .await
                    .map_err(|e| handshake_failure(target, &e))
            },
        )
        .await?;
        return exchange(stream, target, deadline, budget, body, sig, delivery).await;
    }
    exchange(stream, target, deadline, budget, body, sig, delivery).await
}

/// Why a TLS handshake failed, with what to do when it is the certificate.
#[cfg(feature = "tls")]
fn handshake_failure(target: &Target, e: &std::io::Error) -> String {
    use rustls::{CertificateError, Error};
    let hint = match e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        Some(Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            "; if the receiver's certificate comes from a private CA (or is self-signed), give that CA's certificate with --webhook-ca FILE"
        }
        Some(Error::InvalidCertificate(CertificateError::NotValidForName))
        | Some(Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })) => {
            "; the URL's host must be one of the names (or IP addresses) the certificate lists"
        }
        // rustls passes webpki's reason on as an opaque `Other`; only its name is stable.
        Some(Error::InvalidCertificate(CertificateError::Other(o)))
            if format!("{o:?}").contains("CaUsedAsEndEntity") =>
        {
            "; the receiver's own certificate is marked as a CA (basicConstraints CA:TRUE, as `openssl req -x509` makes by default): re-issue it with CA:FALSE, or sign it with a separate CA and give that CA with --webhook-ca FILE"
        }
        Some(Error::InvalidCertificate(_)) => "; the receiver must present a valid certificate",
        Some(Error::InvalidMessage(_)) => "; is that port serving HTTPS (and not plain HTTP)?",
        _ => "",
    };
    format!("TLS handshake with {}: {e}{hint}", target.authority)
}

/// The HTTP/1.1 request and its status over an established connection.
async fn exchange<S>(
    stream: S,
    target: &Target,
    deadline: Instant,
    budget: Duration,
    body: Vec<u8>,
    sig: &str,
    delivery: &str,
) -> Result<u16, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use http_body_util::Full;
    let (mut sender, conn) = by(deadline, budget, || "HTTP handshake".to_string(), async {
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))
    })
    .await?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = axum::http::Request::post(target.path.as_str())
        .header(axum::http::header::HOST, target.host_header.as_str())
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header(axum::http::header::USER_AGENT, "clawback-webhook/1")
        .header("x-clawback-signature", sig)
        .header("x-clawback-delivery", delivery)
        .body(Full::new(bytes::Bytes::from(body)))
        .map_err(|e| format!("building the request: {e}"));
    let resp = match req {
        Ok(req) => {
            by(
                deadline,
                budget,
                || "waiting for the answer".to_string(),
                async {
                    sender
                        .send_request(req)
                        .await
                        .map_err(|e| format!("sending: {e}"))
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    driver.abort();
    Ok(resp?.status().as_u16())
}

/// Delivers the outbox for ever (see the module documentation). `notify` is woken when an
/// action is written; the outbox is also re-read every few seconds.
pub async fn run(cfg: WebhookConfig, notify: Arc<Notify>, stats: Arc<WebhookStats>) {
    use std::sync::atomic::Ordering;
    let client = match Client::new(&cfg) {
        Ok(c) => c,
        Err(e) => {
            say!("webhook disabled: {e}");
            return;
        }
    };
    say!("webhook: delivering to {} ({})", cfg.url, client.roots());
    let mut cursor = read_cursor(&cfg.cursor).unwrap_or(0);
    stats.cursor.store(cursor, Ordering::Relaxed);
    loop {
        let batch = pending(&cfg.outbox, cursor);
        for (action_id, body) in batch {
            let sig = signature(&cfg.secret, &body);
            let delivery = delivery_id(action_id);
            let mut backoff = cfg.initial_backoff;
            loop {
                let why = match post(&client, cfg.timeout, body.clone(), &sig, &delivery).await {
                    Ok(s) if (200..300).contains(&s) => break,
                    Ok(s) => format!("the receiver answered {s}"),
                    Err(e) => e,
                };
                stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                let line = format!(
                    "webhook: delivering {delivery} to {} failed ({why}); retrying in {:.1}s",
                    cfg.url,
                    backoff.as_secs_f64()
                );
                say!("{line}");
                if let Ok(mut last) = stats.last_failure.lock() {
                    *last = Some(line);
                }
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
    fn urls_are_http_or_https() {
        assert_eq!(
            parse_url("http://127.0.0.1:9000/hook?x=1").unwrap(),
            Target {
                tls: false,
                host: "127.0.0.1".into(),
                authority: "127.0.0.1:9000".into(),
                host_header: "127.0.0.1:9000".into(),
                path: "/hook?x=1".into()
            }
        );
        let t = parse_url("http://example.org").unwrap();
        assert_eq!(
            (
                t.authority.as_str(),
                t.host_header.as_str(),
                t.path.as_str()
            ),
            ("example.org:80", "example.org", "/")
        );
        let t = parse_url("http://[::1]:81/").unwrap();
        assert_eq!((t.host.as_str(), t.authority.as_str()), ("::1", "[::1]:81"));
        assert!(parse_url("example.org").is_err());
        assert!(parse_url("ftp://example.org/").is_err());
        assert!(parse_url("https:///x").is_err());
    }

    #[cfg(feature = "tls")]
    #[test]
    fn https_urls_default_to_443_and_keep_the_host_for_sni() {
        let t = parse_url("https://hooks.example.com/in").unwrap();
        assert!(t.tls);
        assert_eq!(t.host, "hooks.example.com");
        assert_eq!(t.authority, "hooks.example.com:443");
        assert_eq!(t.host_header, "hooks.example.com");
        let t = parse_url("https://[2001:db8::1]:8443/").unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.authority.as_str(),
                t.host_header.as_str()
            ),
            ("2001:db8::1", "[2001:db8::1]:8443", "[2001:db8::1]:8443")
        );
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_without_the_tls_feature_says_how_to_get_it() {
        let e = parse_url("https://example.org/").unwrap_err().to_string();
        assert!(
            e.contains("built without TLS") && e.contains("`tls`"),
            "{e}"
        );
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

    fn config(dir: &std::path::Path, url: String, ca_file: Option<PathBuf>) -> WebhookConfig {
        WebhookConfig {
            url,
            secret: b"0123456789abcdef-test".to_vec(),
            outbox: dir.join("outbound.jsonl"),
            cursor: dir.join("outbound.cursor"),
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
            timeout: Duration::from_secs(5),
            ca_file,
        }
    }

    #[test]
    fn ca_file_problems_name_the_file_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let https = "https://127.0.0.1:9/hook".to_string();
        let missing = dir.path().join("missing.pem");
        let e = Client::new(&config(dir.path(), https.clone(), Some(missing.clone())))
            .unwrap_err()
            .to_string();
        if cfg!(feature = "tls") {
            assert!(
                e.contains(&missing.display().to_string()) && e.contains("--webhook-ca"),
                "{e}"
            );
        } else {
            assert!(e.contains("built without TLS"), "{e}");
        }
        let http = config(dir.path(), "http://127.0.0.1:9/".into(), Some(missing));
        let e = Client::new(&http).unwrap_err().to_string();
        assert!(
            e.contains("http://") && e.contains("drop --webhook-ca"),
            "{e}"
        );
        let plain = Client::new(&config(dir.path(), "http://127.0.0.1:9/".into(), None));
        assert_eq!(plain.unwrap().roots(), "plain http");
    }

    #[cfg(feature = "tls")]
    mod https {
        use super::*;
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        use std::sync::Mutex;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        /// The outbound line of action `n`, as `Core` writes it.
        fn outbound_line(n: u64) -> String {
            format!(
                "{{\"type\":\"case_action\",\"action_id\":{n},\"case_id\":\"case-1\",\"action\":\"hold_refunds\",\"target\":\"a\",\"who\":\"ivy\",\"ts\":\"t\"}}"
            )
        }

        /// A CA made at test time: its PEM certificate and what signs with it.
        struct Ca {
            pem: String,
            der: CertificateDer<'static>,
            issuer: Issuer<'static, KeyPair>,
        }

        fn ca(name: &str) -> Ca {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let key = KeyPair::generate().unwrap();
            let cert = params.self_signed(&key).unwrap();
            Ca {
                pem: cert.pem(),
                der: cert.der().clone(),
                issuer: Issuer::new(params, key),
            }
        }

        /// A server certificate for `names` (DNS names or IP addresses) signed by `ca`.
        fn leaf(ca: &Ca, names: &[&str]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let params = CertificateParams::new(names).unwrap();
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &ca.issuer).unwrap();
            (
                vec![cert.der().clone(), ca.der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
        }

        /// One request the receiver read.
        #[derive(Debug, Clone)]
        struct Got {
            headers: Vec<(String, String)>,
            body: Vec<u8>,
            answered: u16,
            sni: Option<String>,
        }

        impl Got {
            fn header(&self, name: &str) -> &str {
                self.headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .map_or("", |(_, v)| v.as_str())
            }
        }

        #[derive(Debug, Default)]
        struct Seen {
            got: Vec<Got>,
            /// TLS handshakes that failed (the client refused the certificate).
            refused: Vec<String>,
        }

        /// An HTTPS receiver on 127.0.0.1: 500 to its first `fail_first` requests, then 200.
        async fn receiver(
            chain: Vec<CertificateDer<'static>>,
            key: PrivateKeyDer<'static>,
            fail_first: usize,
        ) -> (u16, Arc<Mutex<Seen>>) {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let seen = Arc::new(Mutex::new(Seen::default()));
            let log = Arc::clone(&seen);
            tokio::spawn(async move {
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let mut s = match acceptor.accept(tcp).await {
                        Ok(s) => s,
                        Err(e) => {
                            log.lock().unwrap().refused.push(e.to_string());
                            continue;
                        }
                    };
                    let sni = s.get_ref().1.server_name().map(str::to_string);
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 4096];
                    let head_end = loop {
                        let n = s.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            break None;
                        }
                        raw.extend_from_slice(&buf[..n]);
                        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                            break Some(p);
                        }
                    };
                    let Some(head_end) = head_end else { continue };
                    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
                    let headers: Vec<(String, String)> = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k == "content-length")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = raw[head_end + 4..].to_vec();
                    while body.len() < len {
                        let n = s.read(&mut buf).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&buf[..n]);
                    }
                    let answered = {
                        let mut g = log.lock().unwrap();
                        let status = if g.got.len() < fail_first { 500 } else { 200 };
                        g.got.push(Got {
                            headers,
                            body,
                            answered: status,
                            sni,
                        });
                        status
                    };
                    let reply = format!(
                        "HTTP/1.1 {answered} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = s.write_all(reply.as_bytes()).await;
                    let _ = s.shutdown().await;
                }
            });
            (port, seen)
        }

        async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
            for _ in 0..600 {
                if ok() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("timed out waiting for {what}");
        }

        fn hmac_hex(secret: &[u8], body: &[u8]) -> String {
            let mut m = Hmac::<Sha256>::new_from_slice(secret).unwrap();
            m.update(body);
            m.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }

        fn write_outbox(cfg: &WebhookConfig, n: u64) {
            let text: String = (1..=n).map(|i| outbound_line(i) + "\n").collect();
            std::fs::write(&cfg.outbox, text).unwrap();
        }

        fn last_failure(stats: &WebhookStats) -> String {
            stats
                .last_failure
                .lock()
                .unwrap()
                .clone()
                .unwrap_or_default()
        }

        /// A receiver with `chain` that answers 500 twice then 200, trusted through a CA
        /// file holding `trusted_pem`: both events arrive, signed, in order, once accepted.
        async fn delivers_after_two_refusals(
            trusted_pem: &str,
            chain: Vec<CertificateDer<'static>>,
            key: PrivateKeyDer<'static>,
        ) {
            use std::sync::atomic::Ordering;
            let dir = tempfile::tempdir().unwrap();
            let (port, seen) = receiver(chain, key, 2).await;
            let ca_file = dir.path().join("ca.pem");
            std::fs::write(&ca_file, trusted_pem).unwrap();
            // By name: the SNI is the URL's host, and the certificate is checked for it.
            let url = format!("https://localhost:{port}/hook?shop=1");
            let cfg = config(dir.path(), url, Some(ca_file.clone()));
            let client = Client::new(&cfg).unwrap();
            assert!(
                client
                    .roots()
                    .ends_with(&format!(" and 1 from {}", ca_file.display())),
                "{}",
                client.roots()
            );
            write_outbox(&cfg, 2);
            let stats = Arc::new(WebhookStats::default());
            let task = tokio::spawn(run(
                cfg.clone(),
                Arc::new(Notify::new()),
                Arc::clone(&stats),
            ));
            wait_for("two deliveries", || {
                stats.delivered.load(Ordering::Relaxed) == 2
            })
            .await;
            task.abort();
            let seen = seen.lock().unwrap();
            assert!(seen.refused.is_empty(), "{:?}", seen.refused);
            let answered: Vec<u16> = seen.got.iter().map(|g| g.answered).collect();
            assert_eq!(answered, [500, 500, 200, 200]);
            for (g, n) in seen.got.iter().zip([1u64, 1, 1, 2]) {
                assert_eq!(g.body, outbound_line(n).as_bytes());
                assert_eq!(
                    g.header("x-clawback-signature"),
                    format!("sha256={}", hmac_hex(&cfg.secret, &g.body))
                );
                assert_eq!(g.header("x-clawback-delivery"), delivery_id(n));
                assert_eq!(g.header("host"), format!("localhost:{port}"));
                assert_eq!(g.sni.as_deref(), Some("localhost"));
            }
            // Accepted once each: the cursor moved past both, the refusals were counted.
            assert_eq!(read_cursor(&cfg.cursor).unwrap(), 2);
            assert_eq!(stats.failed_attempts.load(Ordering::Relaxed), 2);
            assert!(
                last_failure(&stats).contains("the receiver answered 500"),
                "{}",
                last_failure(&stats)
            );
        }

        #[tokio::test]
        async fn a_self_signed_receiver_gets_each_event_once_signed_after_two_refusals() {
            let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            let rcgen::CertifiedKey { cert, signing_key } =
                rcgen::generate_simple_self_signed(names).unwrap();
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
            delivers_after_two_refusals(&cert.pem(), vec![cert.der().clone()], key).await;
        }

        #[tokio::test]
        async fn a_receiver_certified_by_a_private_ca_gets_each_event_once_signed() {
            let ca = ca("Clawback test CA");
            let (chain, key) = leaf(&ca, &["localhost", "127.0.0.1"]);
            delivers_after_two_refusals(&ca.pem, chain, key).await;
        }

        /// Runs the deliverer against `url` until it has failed three times; what it saw.
        async fn refused(cfg: WebhookConfig) -> (Arc<WebhookStats>, String) {
            use std::sync::atomic::Ordering;
            write_outbox(&cfg, 1);
            let stats = Arc::new(WebhookStats::default());
            let task = tokio::spawn(run(
                cfg.clone(),
                Arc::new(Notify::new()),
                Arc::clone(&stats),
            ));
            wait_for("three failed attempts", || {
                stats.failed_attempts.load(Ordering::Relaxed) >= 3
            })
            .await;
            task.abort();
            assert_eq!(stats.delivered.load(Ordering::Relaxed), 0);
            assert_eq!(read_cursor(&cfg.cursor).unwrap(), 0);
            assert!(!cfg.cursor.exists());
            let last = last_failure(&stats);
            assert!(last.contains(&cfg.url), "{last}");
            (stats, last)
        }

        #[tokio::test]
        async fn an_untrusted_certificate_is_refused_retried_and_reported() {
            let dir = tempfile::tempdir().unwrap();
            let trusted = ca("Trusted CA");
            let other = ca("Some other CA");
            let (chain, key) = leaf(&other, &["localhost", "127.0.0.1"]);
            let (port, seen) = receiver(chain, key, 0).await;
            let ca_file = dir.path().join("ca.pem");
            std::fs::write(&ca_file, &trusted.pem).unwrap();
            let url = format!("https://127.0.0.1:{port}/hook");
            let (_, last) = refused(config(dir.path(), url, Some(ca_file))).await;
            assert!(last.contains("UnknownIssuer"), "{last}");
            assert!(last.contains("--webhook-ca FILE"), "{last}");
            // The receiver notes a refused handshake after the client has already seen it
            // fail: wait for its side too.
            wait_for("the receiver to see three refused handshakes", || {
                seen.lock().unwrap().refused.len() >= 3
            })
            .await;
            let seen = seen.lock().unwrap();
            assert!(
                seen.got.is_empty(),
                "delivered over an untrusted connection"
            );
            assert!(seen.refused.len() >= 3, "{:?}", seen.refused);
        }

        #[tokio::test]
        async fn a_certificate_for_another_host_is_refused() {
            let dir = tempfile::tempdir().unwrap();
            let ca = ca("Clawback test CA");
            let (chain, key) = leaf(&ca, &["receiver.example"]);
            let (port, seen) = receiver(chain, key, 0).await;
            let ca_file = dir.path().join("ca.pem");
            std::fs::write(&ca_file, &ca.pem).unwrap();
            let url = format!("https://127.0.0.1:{port}/hook");
            let (_, last) = refused(config(dir.path(), url, Some(ca_file))).await;
            assert!(
                last.contains("not valid for name \"127.0.0.1\"")
                    && last.contains("the URL's host must be one of the names"),
                "{last}"
            );
            assert!(seen.lock().unwrap().got.is_empty());
        }

        #[tokio::test]
        async fn a_handshake_that_never_finishes_times_out_and_is_retried() {
            let dir = tempfile::tempdir().unwrap();
            let ca = ca("Clawback test CA");
            let ca_file = dir.path().join("ca.pem");
            std::fs::write(&ca_file, &ca.pem).unwrap();
            // Accepts TCP connections and never says a word.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let held = tokio::spawn(async move {
                let mut open = Vec::new();
                while let Ok((s, _)) = listener.accept().await {
                    open.push(s);
                }
            });
            let mut cfg = config(
                dir.path(),
                format!("https://127.0.0.1:{port}/hook"),
                Some(ca_file),
            );
            cfg.timeout = Duration::from_millis(200);
            let (_, last) = refused(cfg).await;
            held.abort();
            assert!(
                last.contains(&format!("TLS handshake with 127.0.0.1:{port}"))
                    && last.contains("not done within the attempt's 200ms"),
                "{last}"
            );
        }

        #[test]
        fn ca_files_that_hold_no_usable_certificate_are_refused_at_start() {
            let dir = tempfile::tempdir().unwrap();
            let https = "https://127.0.0.1:9/hook".to_string();
            let check = |text: &str| {
                let f = dir.path().join("ca.pem");
                std::fs::write(&f, text).unwrap();
                let e = Client::new(&config(dir.path(), https.clone(), Some(f.clone())))
                    .unwrap_err()
                    .to_string();
                assert!(e.contains(&f.display().to_string()), "{e}");
                e
            };
            let e = check("not a certificate\n");
            assert!(e.contains("holds no PEM certificate"), "{e}");
            let e = check(&format!(
                "{}\n# junk below\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                ca("A").pem.trim_end()
            ));
            assert!(
                e.contains("certificate 2 at line ") && e.contains("not a usable CA certificate"),
                "{e}"
            );
            let e = check("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
            assert!(e.contains("bad PEM section"), "{e}");
            // A good file: the system store's roots (if any) and the file's.
            let f = dir.path().join("ca.pem");
            std::fs::write(&f, ca("A").pem + &ca("B").pem).unwrap();
            let c = Client::new(&config(dir.path(), https.clone(), Some(f))).unwrap();
            assert!(c.roots().contains(" and 2 from "), "{}", c.roots());
        }
    }
}
