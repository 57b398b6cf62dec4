//! `clawback serve` with an `https://` webhook, through the binary: the flags, the errors a
//! user acts on at start, and a delivery whose TLS handshake fails being logged and retried
//! while the service keeps serving. The HTTPS delivery itself (a self-signed receiver that
//! refuses twice then accepts, an untrusted certificate, a wrong host name, a handshake
//! timeout) is tested in-process in `crates/server/src/webhook.rs`, which has the TLS
//! server side as a dev-dependency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::bin;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// A CA certificate (its key was thrown away) valid for 100 years from 2026: any parsable CA
/// will do where the test only needs the service to start with `--webhook-ca`.
fn test_ca() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhook-test-ca.pem")
}

/// `serve` that should refuse to start: its standard error.
fn refused_start(data: &Path, args: &[&str]) -> String {
    let out = bin()
        .args(["serve", "--data"])
        .arg(data)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--webhook-secret-env",
            "CLAWBACK_TEST_SECRET",
        ])
        .args(args)
        .env("CLAWBACK_TEST_SECRET", "0123456789abcdef")
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve started with {args:?}");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn webhook_ca_problems_stop_the_start_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let missing = tmp.path().join("no-such-ca.pem");
    let https = "https://127.0.0.1:9/hook";

    let e = refused_start(
        &data,
        &[
            "--webhook-url",
            https,
            "--webhook-ca",
            missing.to_str().unwrap(),
        ],
    );
    assert!(
        e.contains(&missing.display().to_string())
            && e.contains("--webhook-ca")
            && e.contains("readable PEM file"),
        "{e}"
    );
    // Checked before anything is created.
    assert!(!data.exists());

    let junk = tmp.path().join("junk.pem");
    std::fs::write(&junk, "hello\n").unwrap();
    let e = refused_start(
        &data,
        &[
            "--webhook-url",
            https,
            "--webhook-ca",
            junk.to_str().unwrap(),
        ],
    );
    assert!(
        e.contains(&junk.display().to_string()) && e.contains("holds no PEM certificate"),
        "{e}"
    );

    let ca = test_ca();
    let e = refused_start(
        &data,
        &[
            "--webhook-url",
            "http://127.0.0.1:9/hook",
            "--webhook-ca",
            ca.to_str().unwrap(),
        ],
    );
    assert!(e.contains("drop --webhook-ca"), "{e}");

    let e = refused_start(&data, &["--webhook-url", "ftp://127.0.0.1/hook"]);
    assert!(e.contains("http:// or https://"), "{e}");

    // --webhook-ca alone means nothing.
    let out = bin()
        .args(["serve", "--data"])
        .arg(&data)
        .args(["--webhook-ca", ca.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--webhook-url"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A TCP listener that answers plain HTTP to anything: a TLS client's handshake fails on it.
fn plain_http_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    port
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_failed_tls_handshake_is_logged_retried_and_the_service_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // An action already in the outbox, as if taken before a restart.
    std::fs::write(
        data.join("outbound.jsonl"),
        "{\"type\":\"case_action\",\"action_id\":1,\"case_id\":\"case-1\",\"action\":\"hold_refunds\",\"target\":\"acct-1\",\"who\":\"ivy\",\"ts\":\"2026-01-01T00:00:00Z\"}\n",
    )
    .unwrap();
    let port = plain_http_listener();
    let url = format!("https://127.0.0.1:{port}/hook");
    let log_path = tmp.path().join("serve.log");
    let ca = test_ca();
    let mut child = bin()
        .args(["serve", "--data"])
        .arg(&data)
        .args(["--listen", "127.0.0.1:0"])
        .args([
            "--webhook-url",
            &url,
            "--webhook-secret-env",
            "CLAWBACK_TEST_SECRET",
        ])
        .args([
            "--webhook-ca",
            ca.to_str().unwrap(),
            "--webhook-backoff-ms",
            "20",
        ])
        .env("CLAWBACK_TEST_SECRET", "0123456789abcdef")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let served = Served(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();

    let failure = format!(
        "webhook: delivering clawback-action-1 to {url} failed (TLS handshake with 127.0.0.1:{port}: "
    );
    let mut log = String::new();
    for _ in 0..400 {
        log = std::fs::read_to_string(&log_path).unwrap();
        if log.matches(&failure).count() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(log.matches(&failure).count() >= 2, "{log}");
    assert!(log.contains("is that port serving HTTPS"), "{log}");
    assert!(
        log.contains(&format!("webhook: delivering to {url} (")) && log.contains(" and 1 from "),
        "{log}"
    );
    assert!(!data.join("outbound.cursor").exists());

    // Still serving.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    drop(served);
}
