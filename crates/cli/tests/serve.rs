//! The service end to end, through real HTTP on an ephemeral port: a simulated world
//! posted and read back, roles, masking, audit, a SIGKILL and a restart on the same data
//! directory, and the limits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{bin, read_jsonl, run_ok};

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// A running `clawback serve`; killed with SIGKILL when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(data: &Path, extra: &[&str]) -> Server {
        let mut child = bin()
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, addr }
    }

    /// SIGKILL: no chance to flush or clean up.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn req(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        http(&self.addr, method, path, headers, body)
    }

    fn get(&self, path: &str, key: &str) -> Resp {
        self.req(
            "GET",
            path,
            &[("Authorization", &format!("Bearer {key}"))],
            b"",
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

/// A minimal HTTP/1.1 client: one request per connection.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading a large body; a reset then is fine.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect::<HashMap<_, _>>();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t == "chunked")
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 4 + n..];
    }
}

fn create_key(data: &Path, role: &str, name: &str) -> String {
    let out = run_ok(
        bin()
            .args(["keys", "create", "--data"])
            .arg(data)
            .args(["--role", role, "--name", name]),
    );
    let key = String::from_utf8(out.stdout).unwrap();
    assert_eq!(key.lines().count(), 1, "the key alone on stdout: {key:?}");
    key.trim().to_string()
}

/// The world every test here posts (seed 11, 500 customers, 20 days): simulated once per
/// run of this file and shared read-only (its directory is gone once it is read).
fn world() -> &'static str {
    static WORLD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    WORLD.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::read_to_string(simulate(tmp.path())).unwrap()
    })
}

/// A data directory with the three keys the tests use: admin `ops`, viewer `val` and
/// investigator `ivy`. Keep `tmp` alive as long as the data is used.
struct Setup {
    tmp: tempfile::TempDir,
    data: PathBuf,
    admin: String,
    viewer: String,
    investigator: String,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    Setup {
        admin: create_key(&data, "admin", "ops"),
        viewer: create_key(&data, "viewer", "val"),
        investigator: create_key(&data, "investigator", "ivy"),
        data,
        tmp,
    }
}

fn simulate(dir: &Path) -> PathBuf {
    let world = dir.join("world");
    run_ok(
        bin()
            .args([
                "simulate",
                "--customers",
                "500",
                "--days",
                "20",
                "--seed",
                "11",
                "--out",
            ])
            .arg(&world),
    );
    world.join("events.jsonl")
}

fn post(server: &Server, key: &str, content_type: &str, body: &[u8]) -> Resp {
    server.req(
        "POST",
        "/v1/events",
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", content_type),
        ],
        body,
    )
}

/// Every alert, paging with `limit`.
fn all_alerts(server: &Server, key: &str, query: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/alerts?limit={limit}{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = server.get(&path, key);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.json();
        out.extend(page["alerts"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

#[test]
fn serve_posts_a_world_reads_it_back_audits_pii_and_survives_sigkill() {
    let Setup {
        tmp,
        data,
        admin,
        viewer,
        investigator,
    } = setup();
    let text = world();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();

    let server = Server::start(&data, &[]);

    // Keys and roles.
    let r = server.req("GET", "/v1/alerts", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (401, "missing_api_key"));
    let r = server.get("/v1/alerts", "cbk_not-a-key");
    assert_eq!((r.status, r.code().as_str()), (401, "invalid_api_key"));
    let r = post(&server, &viewer, "application/json", lines[0].as_bytes());
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = server.get("/v1/audit", &investigator);
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    assert_eq!(server.req("GET", "/healthz", &[], b"").status, 200);

    // The world, in four requests: a JSON array, then JSON Lines (typed, then sniffed).
    let mut served_decisions: Vec<Value> = Vec::new();
    let mut accepted = 0;
    let chunks: Vec<&[&str]> = lines.chunks(lines.len() / 4 + 1).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let (ct, body) = match i {
            0 => ("application/json", format!("[{}]", chunk.join(","))),
            1 => ("application/x-ndjson", chunk.join("\n")),
            _ => ("application/json", chunk.join("\n") + "\n"),
        };
        let r = post(&server, &admin, ct, body.as_bytes());
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        assert_eq!(v["rejected"], json!([]));
        assert_eq!(v["duplicates"], 0);
        accepted += v["accepted"].as_u64().unwrap();
        served_decisions.extend(v["decisions"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(accepted, lines.len() as u64);
    assert!(served_decisions.len() > 100, "{}", served_decisions.len());

    // A retry is a duplicate; a bad item is rejected by name, the rest still taken.
    let bad = r#"{"event_id":"bad-1","type":"refund_requested","ts":"2026-11-02T10:00:00Z","order_id":"o","account_id":"a","amount_minor":-5,"currency":"USD","reason":"damaged","channel":"web"}"#;
    let r = post(
        &server,
        &admin,
        "application/json",
        format!("[{},{bad}]", lines[0]).as_bytes(),
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        (v["accepted"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(v["rejected"][0]["index"], 1);
    let field = v["rejected"][0]["field"].as_str().unwrap();
    assert!(field.starts_with("refund_requested."), "{v}");
    // Nothing valid at all: a 4xx that names the field.
    let r = post(&server, &admin, "application/json", bad.as_bytes());
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_event"));
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("refund_requested.")
    );
    let r = post(&server, &admin, "application/json", b"[{\"event_id\": ");
    assert_eq!((r.status, r.code().as_str()), (400, "malformed_body"));
    let r = post(&server, &admin, "application/json", b"  \n");
    assert_eq!((r.status, r.code().as_str()), (400, "empty_body"));

    // The decisions the service answered are those `replay --data` makes of its log.
    let out = tmp.path().join("replayed");
    run_ok(
        bin()
            .args(["replay", "--slack-secs", "0", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&out),
    );
    let replayed = read_jsonl(&out.join("decisions.jsonl"));
    assert_eq!(replayed, served_decisions);
    let replayed_alerts = read_jsonl(&out.join("alerts.jsonl"));
    assert!(!replayed_alerts.is_empty(), "the world should raise alerts");

    // Decisions read back one by one; an unknown one is a 404, a bad point a 400.
    for d in served_decisions.iter().step_by(7) {
        let r = server.get(
            &format!(
                "/v1/decisions/{}/{}",
                d["point"].as_str().unwrap(),
                d["id"].as_str().unwrap()
            ),
            &viewer,
        );
        assert_eq!(r.status, 200);
        assert_eq!(&r.json(), d);
    }
    let r = server.get("/v1/decisions/refund/no-such-refund", &viewer);
    assert_eq!((r.status, r.code().as_str()), (404, "decision_not_found"));
    let r = server.get("/v1/decisions/bogus/x", &viewer);
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));

    // Alerts: all of them across pages, and the filters.
    let alerts = all_alerts(&server, &viewer, "", 3);
    assert_eq!(alerts.len(), replayed_alerts.len());
    // No PII identifier of any alert reaches a viewer, in entities or in reasons.
    let shown = serde_json::to_string(&alerts).unwrap();
    for a in &replayed_alerts {
        for e in a["entities"].as_array().unwrap() {
            if ["phone", "email", "address"].contains(&e["type"].as_str().unwrap()) {
                let id = e["id"].as_str().unwrap();
                assert!(!shown.contains(id), "{id} shown to a viewer");
            }
        }
    }
    let kind = replayed_alerts[0]["kind"].as_str().unwrap();
    let of_kind = all_alerts(&server, &viewer, &format!("&kind={kind}"), 100);
    assert_eq!(
        of_kind.len(),
        replayed_alerts.iter().filter(|a| a["kind"] == kind).count()
    );
    let e = &replayed_alerts[0]["entities"][0];
    let ent = format!(
        "{}:{}",
        e["type"].as_str().unwrap(),
        e["id"].as_str().unwrap()
    );
    let naming = all_alerts(&server, &viewer, &format!("&entity={ent}"), 100);
    assert!(!naming.is_empty());
    let last_ts = replayed_alerts.last().unwrap()["ts"].as_str().unwrap();
    let since = all_alerts(&server, &viewer, &format!("&since={last_ts}"), 100);
    assert!(!since.is_empty() && since.len() < alerts.len());
    let r = server.get("/v1/alerts?since=yesterday", &viewer);
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));

    // PII: masked for a viewer (justified or not) and for an unjustified investigator;
    // unmasked for a justified investigator, and that read is audited.
    let signup: Value = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["type"] == "account_created")
        .unwrap();
    let acct = signup["account_id"].as_str().unwrap();
    let email = signup["email"].as_str().unwrap();
    let path = format!("/v1/accounts/{acct}");
    for (key, justified) in [(&viewer, false), (&viewer, true), (&investigator, false)] {
        let mut h = vec![("Authorization".to_string(), format!("Bearer {key}"))];
        if justified {
            h.push(("X-Justification".into(), "case-17".into()));
        }
        let h: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let v = server.req("GET", &path, &h, b"").json();
        assert_eq!(v["masked"], true);
        let shown = v["email"].as_str().unwrap();
        assert_ne!(shown, email);
        assert!(shown.contains("***@"), "{shown}");
    }
    let r = server.req(
        "GET",
        &path,
        &[
            ("Authorization", &format!("Bearer {investigator}")),
            ("X-Justification", "case-17"),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        (v["masked"].as_bool(), v["email"].as_str()),
        (Some(false), Some(email))
    );
    let audit = server.get("/v1/audit", &admin).json();
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["key_name"], "ivy");
    assert_eq!(records[0]["role"], "investigator");
    assert_eq!(records[0]["justification"], "case-17");
    assert_eq!(records[0]["entity_ids"], json!([acct]));
    // ... and the read reached the engine as a data_access event by "ivy".
    let emp = server.get("/v1/employees/ivy", &viewer).json();
    assert_eq!(
        (
            emp["data_accesses"].as_u64(),
            emp["records_viewed"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let r = server.get("/v1/employees/nobody", &viewer);
    assert_eq!((r.status, r.code().as_str()), (404, "employee_not_found"));

    // Metrics and the OpenAPI document.
    let m = String::from_utf8(server.get("/metrics", &viewer).body).unwrap();
    assert!(
        m.contains(&format!(
            "clawback_events_total{{result=\"accepted\"}} {accepted}"
        )),
        "{m}"
    );
    assert!(m.contains("clawback_decisions_total{point=\"signup\",outcome=\"allow\"}"));
    assert!(m.contains("clawback_alerts_total{kind="));
    assert!(m.contains("clawback_http_request_duration_seconds_bucket{route=\"/v1/events\",status=\"200\",le=\"+Inf\"}"));
    let doc = server.req("GET", "/openapi.json", &[], b"").json();
    for p in [
        "/v1/events",
        "/v1/decisions/{point}/{id}",
        "/v1/alerts",
        "/v1/accounts/{id}",
        "/v1/employees/{id}",
        "/v1/orders/{id}",
        "/v1/audit",
        "/v1/cases",
        "/v1/cases/{id}",
        "/v1/cases/{id}/status",
        "/v1/cases/{id}/assign",
        "/v1/cases/{id}/notes",
        "/v1/cases/{id}/actions",
        "/v1/cases/{id}/export",
        "/v1/graph/{type}/{id}",
        "/v1/advisories",
        "/healthz",
        "/metrics",
    ] {
        assert!(
            doc["paths"][p].is_object(),
            "{p} missing from /openapi.json"
        );
    }
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap();
    assert!(codes.contains(&json!("rate_limited")));
    assert!(codes.contains(&json!("invalid_transition")));
    let r = server.get("/v1/nowhere", &viewer);
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));

    // SIGKILL, restart on the same directory: everything acknowledged is there.
    let stored_before = server.req("GET", "/healthz", &[], b"").json()["stored_events"]
        .as_u64()
        .unwrap();
    assert_eq!(
        stored_before,
        accepted + 1,
        "the world and one data_access event"
    );
    server.kill();
    let server = Server::start(&data, &[]);
    let h = server.req("GET", "/healthz", &[], b"").json();
    assert_eq!(h["stored_events"].as_u64(), Some(stored_before));
    for d in &served_decisions {
        let r = server.get(
            &format!(
                "/v1/decisions/{}/{}",
                d["point"].as_str().unwrap(),
                d["id"].as_str().unwrap()
            ),
            &viewer,
        );
        assert_eq!(&r.json(), d);
    }
    assert_eq!(all_alerts(&server, &viewer, "", 1000).len(), alerts.len());
    let emp = server.get("/v1/employees/ivy", &viewer).json();
    assert_eq!(
        emp["data_accesses"].as_u64(),
        Some(1),
        "restart must not feed the read twice"
    );
    assert_eq!(
        server.get("/v1/audit", &admin).json()["records"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Everything posted again is a duplicate.
    let r = post(&server, &admin, "application/x-ndjson", text.as_bytes());
    let v = r.json();
    assert_eq!(
        (v["accepted"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(accepted))
    );
    drop(server);

    // The audit chain verifies, and stops verifying once a record is altered.
    run_ok(bin().args(["audit", "verify", "--data"]).arg(&data));
    {
        let db = rusqlite::Connection::open(data.join("cases.sqlite")).unwrap();
        db.execute_batch(
            "DROP TRIGGER audit_no_update; UPDATE audit SET justification = 'nothing to see' WHERE seq = 1;",
        )
        .unwrap();
    }
    let out = bin()
        .args(["audit", "verify", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record 1") && err.contains("altered"), "{err}");
}

#[test]
fn serve_caps_bodies_and_rate_limits_each_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let admin = create_key(&data, "admin", "ops");
    let viewer = create_key(&data, "viewer", "val");
    let server = Server::start(
        &data,
        &["--max-body-mib", "1", "--rate-limit", "1", "--burst", "3"],
    );
    let big = vec![b' '; (1 << 20) + 10];
    let r = post(&server, &admin, "application/json", &big);
    assert_eq!((r.status, r.code().as_str()), (413, "payload_too_large"));
    // The admin key used one token; the viewer's bucket is its own.
    for _ in 0..3 {
        assert_eq!(server.get("/v1/alerts", &viewer).status, 200);
    }
    let r = server.get("/v1/alerts", &viewer);
    assert_eq!((r.status, r.code().as_str()), (429, "rate_limited"));
    let retry: u64 = r.headers["retry-after"].parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(server.get("/v1/alerts", &admin).status, 200);
}

/// Many single-event posts at once (group commit: requests that arrive while another's
/// fsync runs share the next one): each gets its own answer with its own decision, an
/// event posted by several requests at once is accepted once, and everything answered is
/// there after SIGKILL.
#[test]
fn concurrent_posts_each_get_their_own_decision_and_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let admin = create_key(&data, "admin", "ops");
    let limits = ["--rate-limit", "100000", "--burst", "100000"];
    let server = Server::start(&data, &limits);
    let signup = |id: &str| {
        format!(
            r#"{{"event_id":"e-{id}","type":"account_created","ts":"2026-11-01T10:00:00Z","account_id":"a-{id}","email":"{id}@example.com"}}"#
        )
    };
    let (threads, each) = (12, 8);
    let results: Vec<(u64, u64)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (server, admin, signup) = (&server, &admin, &signup);
                sc.spawn(move || {
                    for i in 0..each {
                        let id = format!("{t}-{i}");
                        let r = post(server, admin, "application/json", signup(&id).as_bytes());
                        assert_eq!(r.status, 200, "{}", text(&r));
                        let v = r.json();
                        assert_eq!(v["accepted"], 1, "{v}");
                        assert_eq!(v["decisions"].as_array().unwrap().len(), 1, "{v}");
                        assert_eq!(v["decisions"][0]["id"], format!("a-{id}"), "{v}");
                    }
                    // The same event from every thread at once.
                    let v = post(
                        server,
                        admin,
                        "application/json",
                        signup("shared").as_bytes(),
                    )
                    .json();
                    (
                        v["accepted"].as_u64().unwrap(),
                        v["duplicates"].as_u64().unwrap(),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted: u64 = results.iter().map(|r| r.0).sum();
    let duplicates: u64 = results.iter().map(|r| r.1).sum();
    assert_eq!((accepted, duplicates), (1, threads as u64 - 1));
    server.kill();
    assert_eq!(log_events(&data).len(), threads * each + 1);
    let server = Server::start(&data, &limits);
    for t in 0..threads {
        let r = server.get(&format!("/v1/decisions/signup/a-{t}-{}", each - 1), &admin);
        assert_eq!(r.status, 200, "{}", text(&r));
    }
}

fn post_json(server: &Server, key: &str, path: &str, body: &Value) -> Resp {
    server.req(
        "POST",
        path,
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
}

#[test]
fn serve_groups_alerts_into_cases_works_one_to_actioned_and_keeps_it_across_sigkill() {
    let Setup {
        tmp: _tmp,
        data,
        admin,
        viewer,
        investigator,
    } = setup();
    let text = world();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let server = Server::start(&data, &[]);
    for chunk in lines.chunks(lines.len() / 3 + 1) {
        let r = post(
            &server,
            &admin,
            "application/x-ndjson",
            chunk.join("\n").as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }

    // Every alert is in exactly one case; insider alerts are one case per employee.
    let alerts = all_alerts(&server, &viewer, "", 1000);
    let mut alert_ids: Vec<&str> = alerts
        .iter()
        .map(|a| a["alert_id"].as_str().unwrap())
        .collect();
    alert_ids.sort_unstable();
    alert_ids.dedup();
    let r = server.get("/v1/cases", &viewer);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let cases = r.json()["cases"].as_array().unwrap().clone();
    assert!(!cases.is_empty(), "the world should open cases");
    let grouped: u64 = cases.iter().map(|c| c["alerts"].as_u64().unwrap()).sum();
    assert_eq!(grouped, alert_ids.len() as u64, "each alert id in one case");
    for w in cases.windows(2) {
        let key = |c: &Value| {
            (
                c["money_at_risk_usd"].as_f64().unwrap(),
                c["score"].as_f64().unwrap(),
            )
        };
        let (a, b) = (key(&w[0]), key(&w[1]));
        assert!(
            a.0 > b.0 || (a.0 == b.0 && a.1 >= b.1),
            "queue order: {a:?} then {b:?}"
        );
    }
    let insider_titles: Vec<&str> = cases
        .iter()
        .filter(|c| c["kind"] == "insider")
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    let mut distinct = insider_titles.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        insider_titles.len(),
        "one case per employee"
    );
    let r = server.get("/v1/cases?kind=ring&status=open", &viewer);
    assert_eq!(r.status, 200);
    for c in r.json()["cases"].as_array().unwrap() {
        assert_eq!(
            (c["kind"].as_str(), c["status"].as_str()),
            (Some("ring"), Some("open"))
        );
    }
    // No PII of any alert reaches a viewer through a case (ids, reasons, titles).
    let r = server.req(
        "GET",
        "/v1/alerts?limit=1000",
        &[
            ("Authorization", &format!("Bearer {investigator}")),
            ("X-Justification", "case-review"),
        ],
        b"",
    );
    let mut pii: Vec<String> = Vec::new();
    for a in r.json()["alerts"].as_array().unwrap() {
        for e in a["entities"].as_array().unwrap() {
            if ["phone", "email", "address"].contains(&e["type"].as_str().unwrap()) {
                pii.push(e["id"].as_str().unwrap().to_string());
            }
        }
    }
    for c in &cases {
        let body = server
            .get(
                &format!("/v1/cases/{}", c["case_id"].as_str().unwrap()),
                &viewer,
            )
            .body;
        let text = String::from_utf8(body).unwrap();
        for p in &pii {
            assert!(!text.contains(p.as_str()), "{p} reached a viewer: {text}");
        }
    }
    let r = server.get("/v1/cases?status=pending", &viewer);
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    let r = server.get("/v1/cases/case-999999", &viewer);
    assert_eq!((r.status, r.code().as_str()), (404, "case_not_found"));

    // Work the top case.
    let id = cases[0]["case_id"].as_str().unwrap().to_string();
    let base = format!("/v1/cases/{id}");
    let r = server.get(&base, &viewer);
    assert_eq!(r.status, 200);
    let detail = r.json();
    assert!(!detail["alerts"].as_array().unwrap().is_empty());
    assert_eq!(detail["masked"], true);
    let target = detail["alerts"][0]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "account" || e["type"] == "employee")
        .map_or("acct-unknown".to_string(), |e| {
            e["id"].as_str().unwrap().to_string()
        });

    // Viewers read, never write.
    for (path, body) in [
        ("status", json!({"status": "investigating"})),
        ("assign", json!({"assignee": "val"})),
        ("notes", json!({"text": "hi"})),
        ("actions", json!({"action": "escalate", "target": target})),
    ] {
        let r = post_json(&server, &viewer, &format!("{base}/{path}"), &body);
        assert_eq!((r.status, r.code().as_str()), (403, "forbidden"), "{path}");
    }
    // open → actioned skips a step: refused with a stable code, naming the allowed moves.
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/status"),
        &json!({"status": "actioned"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "invalid_transition"));
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("investigating")
    );
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/status"),
        &json!({"status": "nope"}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/notes"),
        &json!({"txt": 1}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "malformed_body"));

    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/status"),
        &json!({"status": "investigating"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["status"], "investigating");
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/assign"),
        &json!({"assignee": "ivy"}),
    );
    assert_eq!(r.status, 200);
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/notes"),
        &json!({"text": "refunds cluster on one support operator"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["author"], "ivy");
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/actions"),
        &json!({"action": "hold_refunds", "target": target, "note": "pending review"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/actions"),
        &json!({"action": "nuke", "target": target}),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    let r = post_json(
        &server,
        &investigator,
        &format!("{base}/status"),
        &json!({"status": "actioned"}),
    );
    assert_eq!(r.status, 200);

    let before = server.get(&base, &viewer).json();
    assert_eq!(before["case"]["status"], "actioned");
    assert_eq!(before["case"]["assignee"], "ivy");
    assert_eq!(
        before["notes"][0]["text"],
        "refunds cluster on one support operator"
    );
    assert_eq!(before["actions"][0]["action"], "hold_refunds");
    assert_eq!(before["actions"][0]["who"], "ivy");
    let history: Vec<(&str, &str)> = before["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["who"].as_str().unwrap(), h["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        history,
        [
            ("ivy", "status open → investigating"),
            ("ivy", "assignee ivy"),
            ("ivy", "status investigating → actioned"),
        ]
    );
    // Justified, an investigator sees the case unmasked; a case naming PII is audited.
    let r = server.req(
        "GET",
        &base,
        &[
            ("Authorization", &format!("Bearer {investigator}")),
            ("X-Justification", &id),
        ],
        b"",
    );
    assert_eq!(r.json()["masked"], false);
    let names_pii = r.json()["alerts"].as_array().unwrap().iter().any(|a| {
        a["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| ["phone", "email", "address"].contains(&e["type"].as_str().unwrap()))
    });
    let audit = server.get("/v1/audit?limit=1000", &admin).json();
    let audited = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|rec| rec["resource"] == "case" && rec["justification"] == id.as_str());
    assert_eq!(audited, names_pii);
    let queue_before = server.get("/v1/cases", &viewer).json();

    // The action went out as one outbound event.
    let outbound = read_jsonl(&data.join("outbound.jsonl"));
    assert_eq!(outbound.len(), 1);
    assert_eq!(outbound[0]["case_id"], id.as_str());
    assert_eq!(outbound[0]["action"], "hold_refunds");
    assert_eq!(outbound[0]["target"], target.as_str());
    assert_eq!(outbound[0]["who"], "ivy");
    assert!(outbound[0]["ts"].is_string());

    // SIGKILL and restart: the case, its status, notes and actions are all there, the
    // queue is unchanged and no action is emitted twice.
    server.kill();
    let server = Server::start(&data, &[]);
    assert_eq!(server.get(&base, &viewer).json(), before);
    assert_eq!(server.get("/v1/cases", &viewer).json(), queue_before);
    assert_eq!(read_jsonl(&data.join("outbound.jsonl")).len(), 1);
    // And it can be closed from there.
    let r = post_json(
        &server,
        &admin,
        &format!("{base}/status"),
        &json!({"status": "closed"}),
    );
    assert_eq!(r.status, 200);
}

// ---------------------------------------------------------------- the console

/// Logs in to the console; the session cookie (`name=value`).
fn console_login(server: &Server, key: &str) -> String {
    let r = server.req(
        "POST",
        "/console/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("key={key}").as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.headers["location"], "/console/");
    let set = &r.headers["set-cookie"];
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(
        !set.contains(key),
        "the key itself never goes to the browser"
    );
    set.split(';').next().unwrap().to_string()
}

fn console_get(server: &Server, cookie: &str, path: &str) -> Resp {
    server.req("GET", path, &[("Cookie", cookie)], b"")
}

fn console_post(server: &Server, cookie: &str, path: &str, form: &str) -> Resp {
    server.req(
        "POST",
        path,
        &[
            ("Cookie", cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
}

fn text(r: &Resp) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

/// The session's CSRF token, from any page's forms.
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..].split('"').next().unwrap().to_string()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn console_logs_in_lists_the_queue_draws_a_case_masks_for_viewers_and_works_a_case_with_csrf() {
    let Setup {
        tmp: _tmp,
        data,
        admin,
        viewer,
        investigator,
    } = setup();
    let body = world();
    let server = Server::start(&data, &[]);
    let r = post(&server, &admin, "application/x-ndjson", body.as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // No session: to the login page; a bad key is refused and gets no cookie.
    let r = server.req("GET", "/console/", &[], b"");
    assert_eq!(
        (r.status, r.headers["location"].as_str()),
        (303, "/console/login")
    );
    let r = server.req("GET", "/console/login", &[], b"");
    assert_eq!(r.status, 200);
    assert!(text(&r).contains("name=\"key\""));
    let r = server.req(
        "POST",
        "/console/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"key=cbk_not-a-key",
    );
    assert_eq!(r.status, 401);
    assert!(text(&r).contains("not known"));
    assert!(!r.headers.contains_key("set-cookie"));
    let r = server.req(
        "POST",
        "/console/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        format!("key={viewer}").as_bytes(),
    );
    assert_eq!(r.status, 403, "a login posted from another site");
    assert!(!r.headers.contains_key("set-cookie"));
    let r = console_get(&server, "cb_session=forged", "/console/");
    assert_eq!(r.status, 303);

    let ivy = console_login(&server, &investigator);
    let val = console_login(&server, &viewer);

    // The queue: the API's order, filters applied, each row a link.
    let api_ids = |q: &str| -> Vec<String> {
        server.get(&format!("/v1/cases{q}"), &viewer).json()["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["case_id"].as_str().unwrap().to_string())
            .collect()
    };
    let page_ids = |html: &str| -> Vec<String> {
        html.split("<tr data-href=\"/console/cases/")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect()
    };
    let r = console_get(&server, &ivy, "/console/");
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].starts_with("text/html"));
    let queue = text(&r);
    let ids = api_ids("");
    assert!(!ids.is_empty());
    assert_eq!(page_ids(&queue), ids, "the queue in the API's order");
    assert!(
        !queue.contains("http://") && !queue.contains("https://"),
        "nothing fetched from elsewhere"
    );
    let r = console_get(&server, &ivy, "/console/?status=open&kind=ring");
    assert_eq!(page_ids(&text(&r)), api_ids("?status=open&kind=ring"));
    let r = console_get(&server, &ivy, "/console/?status=pending");
    assert_eq!(r.status, 400);

    // A case page: the graph, every alert's reasons, the evidence timeline, the forms.
    let id = ids[0].clone();
    let page = format!("/console/cases/{id}");
    let detail = server.get(&format!("/v1/cases/{id}"), &viewer).json();
    let r = console_get(&server, &ivy, &page);
    assert_eq!(r.status, 200);
    let html = text(&r);
    assert!(
        html.contains("<svg") && html.contains("id=\"graph\""),
        "{html}"
    );
    assert!(html.contains("id=\"timeline\""));
    for a in detail["alerts"].as_array().unwrap() {
        for reason in a["reasons"].as_array().unwrap() {
            assert!(html.contains(&esc(reason["code"].as_str().unwrap())));
            assert!(html.contains(&esc(reason["detail"].as_str().unwrap())));
        }
    }
    assert!(html.contains(&format!("action=\"/console/cases/{id}/status\"")));
    let csrf = csrf_of(&html);

    // A viewer: masked PII on every case page, and no action forms.
    let r = server.req(
        "GET",
        "/v1/alerts?limit=1000",
        &[
            ("Authorization", &format!("Bearer {investigator}")),
            ("X-Justification", "case-review"),
        ],
        b"",
    );
    let mut pii: Vec<String> = Vec::new();
    for a in r.json()["alerts"].as_array().unwrap() {
        for e in a["entities"].as_array().unwrap() {
            if ["phone", "email", "address"].contains(&e["type"].as_str().unwrap()) {
                pii.push(e["id"].as_str().unwrap().to_string());
            }
        }
    }
    for c in &ids {
        let html = text(&console_get(&server, &val, &format!("/console/cases/{c}")));
        assert!(html.contains("<svg"));
        assert!(
            !html.contains("method=\"post\" action=\"/console/cases/"),
            "{c}: forms for a viewer"
        );
        for p in &pii {
            assert!(
                !html.contains(p.as_str()) && !html.contains(&esc(p)),
                "{p} reached a viewer in {c}"
            );
        }
    }
    // Some case of this world ties accounts through a shared identifier, highlighted.
    let shared = ids.iter().any(|c| {
        text(&console_get(&server, &ivy, &format!("/console/cases/{c}")))
            .contains("class=\"node shared\"")
    });
    assert!(
        shared,
        "a shared identifier should be highlighted on some case"
    );
    // A viewer's justification changes nothing; an investigator's unmasks and is audited.
    for c in &ids {
        let r = console_get(
            &server,
            &val,
            &format!("/console/cases/{c}?justification={c}"),
        );
        assert_eq!(r.status, 200);
        for p in &pii {
            assert!(
                !text(&r).contains(p.as_str()),
                "{p} reached a viewer in {c}"
            );
        }
    }
    let with_pii = ids.iter().find(|c| {
        let d = server.get(&format!("/v1/cases/{c}"), &viewer).json();
        d["alerts"].as_array().unwrap().iter().any(|a| {
            a["entities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| ["phone", "email", "address"].contains(&e["type"].as_str().unwrap()))
        })
    });
    let c = with_pii.expect("this world has a case naming PII");
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("/console/cases/{c}?justification=console-{c}"),
    ));
    assert!(
        pii.iter().any(|p| html.contains(&esc(p))),
        "unmasked for ivy"
    );
    let audit = server.get("/v1/audit?limit=1000", &admin).json();
    assert!(
        audit["records"].as_array().unwrap().iter().any(|rec| {
            rec["key_name"] == "ivy" && rec["justification"] == format!("console-{c}").as_str()
        }),
        "the console's unmasked read is audited"
    );

    // A viewer with its own valid token still may not write.
    let val_csrf = csrf_of(&text(&console_get(&server, &val, "/console/")));
    let r = console_post(
        &server,
        &val,
        &format!("{page}/status"),
        &format!("csrf={val_csrf}&status=investigating"),
    );
    assert_eq!(r.status, 403);

    // Writes need the session's CSRF token: missing or foreign, refused and nothing changes.
    let r = console_post(
        &server,
        &ivy,
        &format!("{page}/status"),
        "status=investigating",
    );
    assert_eq!(r.status, 403, "{}", text(&r));
    let r = console_post(
        &server,
        &ivy,
        &format!("{page}/status"),
        &format!("csrf={val_csrf}&status=investigating"),
    );
    assert_eq!(r.status, 403);
    let r = server.req(
        "POST",
        &format!("{page}/status"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("csrf={csrf}&status=investigating").as_bytes(),
    );
    assert_eq!(r.status, 303, "no cookie: to the login page");
    assert_eq!(r.headers["location"], "/console/login");
    assert_eq!(
        server.get(&format!("/v1/cases/{id}"), &viewer).json()["case"]["status"],
        "open"
    );

    // With it, the investigator works the case through the API's own logic.
    let r = console_post(
        &server,
        &ivy,
        &format!("{page}/status"),
        &format!("csrf={csrf}&status=investigating"),
    );
    assert_eq!(
        (r.status, r.headers["location"].as_str()),
        (303, page.as_str())
    );
    let r = console_post(
        &server,
        &ivy,
        &format!("{page}/status"),
        &format!("csrf={csrf}&status=investigating"),
    );
    assert_eq!(r.status, 409, "the API's transition rules");
    let r = console_post(
        &server,
        &ivy,
        &format!("{page}/notes"),
        &format!("csrf={csrf}&text=seen+%3Cb%3Ehere%3C%2Fb%3E"),
    );
    assert_eq!(r.status, 303);
    let r = console_post(
        &server,
        &ivy,
        &format!("{page}/assign"),
        &format!("csrf={csrf}&assignee=ivy"),
    );
    assert_eq!(r.status, 303);
    let after = server.get(&format!("/v1/cases/{id}"), &viewer).json();
    assert_eq!(after["case"]["status"], "investigating");
    assert_eq!(after["case"]["assignee"], "ivy");
    assert_eq!(after["history"][0]["who"], "ivy");
    assert_eq!(after["notes"][0]["text"], "seen <b>here</b>");
    let html = text(&console_get(&server, &ivy, &page));
    assert!(
        html.contains("seen &lt;b&gt;here&lt;/b&gt;"),
        "notes are escaped"
    );
    // The status control shows where the case is (it once preselected the first move).
    assert!(
        html.contains(
            "<select name=\"status\" required><option value=\"\" selected disabled>investigating (current)</option>\
             <option value=\"actioned\">actioned</option>"
        ),
        "the status select preselects the current status"
    );

    // Search: a case id, an entity its alerts name, nothing.
    let r = console_get(&server, &ivy, &format!("/console/search?q={id}"));
    assert_eq!(
        (r.status, r.headers["location"].as_str()),
        (303, page.as_str())
    );
    let account = detail["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["entities"].as_array().unwrap().iter())
        .find(|e| e["type"] == "account")
        .map(|e| e["id"].as_str().unwrap().to_string());
    if let Some(acct) = account {
        let r = console_get(&server, &ivy, &format!("/console/search?q={acct}"));
        assert_eq!(r.status, 303);
        assert_eq!(r.headers["location"], format!("/console/accounts/{acct}"));
        // The account page lists the case among the alerts naming it.
        let html = text(&console_get(
            &server,
            &ivy,
            &format!("/console/accounts/{acct}"),
        ));
        assert!(
            html.contains(&format!("/console/cases/{id}")) || html.contains("/console/cases/case-")
        );
    }
    let r = console_get(&server, &ivy, "/console/search?q=no-such-thing");
    assert_eq!(r.status, 404);

    // Logout ends the session.
    let r = console_post(&server, &ivy, "/console/logout", &format!("csrf={csrf}"));
    assert_eq!(r.status, 303);
    assert_eq!(console_get(&server, &ivy, "/console/").status, 303);
}

// ---------------------------------------------------------------- actions fed back, webhook, export

/// One request a test receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    answered: u16,
}

/// A webhook receiver on an ephemeral port: answers 500 to its first `fail_first` requests,
/// then 200; records every request.
fn receiver(fail_first: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Received>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Received>::new()));
    let log = std::sync::Arc::clone(&got);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let head_end = loop {
                let n = s.read(&mut buf).unwrap_or(0);
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
            let headers: HashMap<String, String> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = raw[head_end + 4..].to_vec();
            while body.len() < len {
                let n = s.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..n]);
            }
            let mut g = log.lock().unwrap();
            let status = if g.len() < fail_first { 500 } else { 200 };
            g.push(Received {
                headers,
                body,
                answered: status,
            });
            drop(g);
            let _ = s.write_all(
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    (addr, got)
}

fn hmac_hex(secret: &[u8], body: &[u8]) -> String {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    m.update(body);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every event in the data directory's log.
fn log_events(data: &Path) -> Vec<Value> {
    let mut r = clawback_store::LogReader::open(data).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        out.push(serde_json::from_slice(rec.event_json).unwrap());
    }
    out
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..400 {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn actions_are_fed_back_delivered_signed_to_a_webhook_and_cases_export_as_evidence() {
    let Setup {
        tmp,
        data,
        admin,
        viewer,
        investigator,
    } = setup();
    let body = world();
    let lines: Vec<Value> = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let secret_file = tmp.path().join("webhook.secret");
    let secret = b"test-secret-0123456789abcdef";
    std::fs::write(&secret_file, [&secret[..], b"\n"].concat()).unwrap();
    let (hook, got) = receiver(2);
    let url = format!("http://{hook}/clawback/hook");
    let secret_arg = secret_file.to_str().unwrap().to_string();
    let webhook_args = [
        "--webhook-url",
        url.as_str(),
        "--webhook-secret-file",
        secret_arg.as_str(),
        "--webhook-backoff-ms",
        "50",
    ];
    let server = Server::start(&data, &webhook_args);
    let r = post(&server, &admin, "application/x-ndjson", body.as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    // A ring case and two of its accounts, the first with a device at signup.
    let cases = server.get("/v1/cases?kind=ring", &viewer).json();
    let id = cases["cases"][0]["case_id"].as_str().unwrap().to_string();
    let base = format!("/v1/cases/{id}");
    let detail = server.get(&base, &viewer).json();
    let mut accounts: Vec<String> = Vec::new();
    for a in detail["alerts"].as_array().unwrap() {
        for e in a["entities"].as_array().unwrap() {
            let acct = e["id"].as_str().unwrap().to_string();
            if e["type"] == "account" && !accounts.contains(&acct) {
                accounts.push(acct);
            }
        }
    }
    let signup_of = |acct: &str| {
        lines
            .iter()
            .find(|v| v["type"] == "account_created" && v["account_id"] == acct)
            .cloned()
    };
    let closed = accounts
        .iter()
        .find(|a| signup_of(a).is_some_and(|s| s["device_id"].is_string()))
        .expect("a ring account with a device at signup")
        .clone();
    let legit = accounts.iter().find(|a| **a != closed).unwrap().clone();
    let signup = signup_of(&closed).unwrap();

    // close_account: an account_closed by the retailer and a fraud label, in the log and
    // applied by the engine.
    let act = |action: &str, target: &str| {
        post_json(
            &server,
            &investigator,
            &format!("{base}/actions"),
            &json!({"action": action, "target": target}),
        )
    };
    let stored = |s: &Server| {
        s.req("GET", "/healthz", &[], b"").json()["stored_events"]
            .as_u64()
            .unwrap()
    };
    let before = stored(&server);
    let r = act("close_account", &closed);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json()["events"],
        json!(["clawback-action-1-closed", "clawback-action-1-label"])
    );
    assert_eq!(stored(&server), before + 2);
    let acct = server
        .get(&format!("/v1/accounts/{closed}"), &viewer)
        .json();
    assert_eq!(
        (acct["closed"].as_bool(), acct["banned"].as_bool()),
        (Some(true), Some(true))
    );
    let r = act("mark_legit", &legit);
    assert_eq!(r.json()["events"], json!(["clawback-action-2-label"]));
    let r = act("hold_refunds", &legit);
    assert_eq!(r.json()["events"], json!([]));
    let log = log_events(&data);
    let find = |eid: &str| {
        log.iter()
            .find(|v| v["event_id"] == eid)
            .unwrap_or_else(|| panic!("{eid} not in the log"))
            .clone()
    };
    let c = find("clawback-action-1-closed");
    assert_eq!(
        (
            c["type"].as_str(),
            c["account_id"].as_str(),
            c["by"].as_str()
        ),
        (
            Some("account_closed"),
            Some(closed.as_str()),
            Some("retailer")
        )
    );
    let l = find("clawback-action-1-label");
    assert_eq!(l["type"], "label");
    assert_eq!(l["entity"], "account");
    assert_eq!(l["id"], closed.as_str());
    assert_eq!(l["label"], "fraud");
    assert_eq!(l["kind"], "refund_service");
    assert_eq!(l["group"], id.as_str());
    let l = find("clawback-action-2-label");
    assert_eq!(
        (l["id"].as_str(), l["label"].as_str()),
        (Some(legit.as_str()), Some("legit"))
    );

    // The ban is what the signup checks look for: a new account on the closed one's device.
    let evader = json!({
        "event_id": "evader-signup-1", "type": "account_created", "ts": "2027-01-05T10:00:00Z",
        "account_id": "acct-evader-1", "email": "someone.new@example.org",
        "device_id": signup["device_id"],
    });
    let r = post(
        &server,
        &admin,
        "application/json",
        evader.to_string().as_bytes(),
    );
    let d = &r.json()["decisions"][0];
    assert_eq!(d["point"], "signup");
    assert!(
        d["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "linked_to_banned_account"
                && r["detail"].as_str().unwrap().contains(closed.as_str())),
        "{d}"
    );

    // The webhook: three actions, the first after two refusals; every request signed.
    wait_for("three deliveries", || {
        got.lock()
            .unwrap()
            .iter()
            .filter(|x| x.answered == 200)
            .count()
            == 3
    });
    let reqs = got.lock().unwrap().clone();
    assert_eq!(reqs.len(), 5);
    for (i, q) in reqs.iter().enumerate() {
        let want_id = format!("clawback-action-{}", i.saturating_sub(2) + 1);
        assert_eq!(q.headers["x-clawback-delivery"], want_id, "request {i}");
        assert_eq!(
            q.headers["x-clawback-signature"],
            format!("sha256={}", hmac_hex(secret, &q.body))
        );
        assert_eq!(q.headers["content-type"], "application/json");
    }
    assert_eq!(reqs[0].body, reqs[2].body, "a retry sends the same bytes");
    let outbox = std::fs::read_to_string(data.join("outbound.jsonl")).unwrap();
    let delivered: Vec<String> = reqs
        .iter()
        .filter(|x| x.answered == 200)
        .map(|x| String::from_utf8(x.body.clone()).unwrap())
        .collect();
    assert_eq!(delivered, outbox.lines().collect::<Vec<_>>());
    wait_for("the cursor", || {
        std::fs::read_to_string(data.join("outbound.cursor")).is_ok_and(|c| c.trim() == "3")
    });
    let m = String::from_utf8(server.get("/metrics", &viewer).body).unwrap();
    assert!(m.contains("clawback_webhook_deliveries_total 3"), "{m}");
    assert!(
        m.contains("clawback_webhook_failed_attempts_total 2"),
        "{m}"
    );

    // Evidence export: investigators and admins, justified; audited; hashes that check.
    let export = format!("{base}/export");
    let r = server.get(&export, &viewer);
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = server.get(&export, &investigator);
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "invalid_justification")
    );
    let r = server.get("/v1/cases/case-999999/export", &admin);
    assert_eq!(r.status, 400, "justification is checked first");
    let r = server.req(
        "GET",
        "/v1/cases/case-999999/export",
        &[
            ("Authorization", &format!("Bearer {admin}")),
            ("X-Justification", "warrant-42"),
        ],
        b"",
    );
    assert_eq!((r.status, r.code().as_str()), (404, "case_not_found"));
    let r = server.req(
        "GET",
        &export,
        &[
            ("Authorization", &format!("Bearer {investigator}")),
            ("X-Justification", "warrant-42"),
        ],
        b"",
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.headers["content-type"], "application/x-tar");
    assert!(r.headers["content-disposition"].contains(&format!("{id}-evidence.tar")));
    assert_eq!(r.headers["x-clawback-bundle-sha256"], sha256_hex(&r.body));
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    let mut ar = tar::Archive::new(r.body.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().to_string();
        let mut b = Vec::new();
        e.read_to_end(&mut b).unwrap();
        files.insert(name, b);
    }
    let file = |n: &str| files[&format!("{id}/{n}")].clone();
    let manifest: Value = serde_json::from_slice(&file("manifest.json")).unwrap();
    assert_eq!(manifest["case_id"], id.as_str());
    assert_eq!(manifest["exported_by"], "ivy");
    assert_eq!(manifest["justification"], "warrant-42");
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for f in listed {
        let b = file(f["name"].as_str().unwrap());
        assert_eq!(f["sha256"].as_str().unwrap(), sha256_hex(&b), "{f}");
        assert_eq!(f["bytes"].as_u64().unwrap(), b.len() as u64);
    }
    assert_eq!(files.len(), 4, "{:?}", files.keys());
    let audit = server.get("/v1/audit?limit=1000", &admin).json();
    let rec = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "case_export")
        .expect("the export is audited")
        .clone();
    assert_eq!(manifest["audit_seq"], rec["seq"]);
    assert_eq!(manifest["audit_hash"], rec["hash"]);
    assert_eq!(rec["justification"], "warrant-42");
    let case_json: Value = serde_json::from_slice(&file("case.json")).unwrap();
    assert_eq!(case_json["case"]["case_id"], id.as_str());
    assert_eq!(case_json["actions"].as_array().unwrap().len(), 3);
    assert!(
        case_json["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["seq"] == rec["seq"])
    );
    let entities = String::from_utf8(file("entities.csv")).unwrap();
    assert!(entities.starts_with("type,id,email,"));
    assert!(
        entities.contains(signup["email"].as_str().unwrap()),
        "the export is unmasked"
    );
    let timeline = String::from_utf8(file("timeline.csv")).unwrap();
    assert!(
        timeline.starts_with("ts,type,account_id,order_id,ids,amount_minor,currency,detail\r\n")
    );
    assert!(timeline.contains(",order_placed,") && timeline.contains(",alert:fraud_ring,"));
    // ... and fed to the insider detectors as an export by ivy.
    let emp = server.get("/v1/employees/ivy", &viewer).json();
    assert_eq!(emp["exports"].as_u64(), Some(1), "{emp}");
    // The console exports the same way (and a viewer cannot).
    let ivy = console_login(&server, &investigator);
    let html = text(&console_get(&server, &ivy, &format!("/console/cases/{id}")));
    assert!(html.contains("id=\"export-form\""));
    let r = console_get(
        &server,
        &ivy,
        &format!("/console/cases/{id}/export?justification=warrant-43"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/x-tar");
    let val = console_login(&server, &viewer);
    let r = console_get(
        &server,
        &val,
        &format!("/console/cases/{id}/export?justification=x"),
    );
    assert_eq!(r.status, 403);

    // SIGKILL and restart: nothing is fed back or delivered twice; new actions go on.
    let stored_before = stored(&server);
    server.kill();
    let server = Server::start(&data, &webhook_args);
    assert_eq!(stored(&server), stored_before, "no action fed back twice");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        got.lock().unwrap().len(),
        5,
        "nothing redelivered after the cursor"
    );
    let r = post_json(
        &server,
        &admin,
        &format!("{base}/actions"),
        &json!({"action": "escalate", "target": closed}),
    );
    assert_eq!(r.json()["events"], json!(["clawback-action-4-label"]));
    wait_for("the fourth delivery", || got.lock().unwrap().len() == 6);
    let last = got.lock().unwrap()[5].clone();
    assert_eq!(last.headers["x-clawback-delivery"], "clawback-action-4");
    let ev: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(
        (ev["action"].as_str(), ev["who"].as_str()),
        (Some("escalate"), Some("ops"))
    );
}

// ---------------------------------------------------------------- graph, entity pages, advisories

#[test]
fn graph_entity_pages_search_and_advisories() {
    let Setup {
        tmp: _tmp,
        data,
        admin,
        viewer,
        investigator,
    } = setup();
    let body = world();
    let lines: Vec<Value> = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let server = Server::start(&data, &[]);
    let r = post(&server, &admin, "application/x-ndjson", body.as_bytes());
    assert_eq!(r.status, 200);

    // An account with an e-mail, a device and orders.
    let signup = lines
        .iter()
        .find(|v| {
            v["type"] == "account_created"
                && v["device_id"].is_string()
                && lines
                    .iter()
                    .any(|o| o["type"] == "order_placed" && o["account_id"] == v["account_id"])
        })
        .unwrap()
        .clone();
    let acct = signup["account_id"].as_str().unwrap();
    let email = signup["email"].as_str().unwrap().to_lowercase();
    let device = signup["device_id"].as_str().unwrap();
    let order = lines
        .iter()
        .find(|o| o["type"] == "order_placed" && o["account_id"] == acct)
        .unwrap()
        .clone();
    let order_id = order["order_id"].as_str().unwrap();

    // The graph: masked for a viewer, well formed, depth and size capped.
    let r = server.get(&format!("/v1/graph/account/{acct}?depth=2"), &viewer);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let g = r.json();
    assert_eq!(g["masked"], true);
    let nodes = g["nodes"].as_array().unwrap();
    assert_eq!(
        (nodes[0]["type"].as_str(), nodes[0]["id"].as_str()),
        (Some("account"), Some(acct))
    );
    assert!(nodes.iter().all(|n| n["depth"].as_u64().unwrap() <= 2));
    for want in [("device", device), ("order", order_id)] {
        assert!(
            nodes
                .iter()
                .any(|n| n["type"] == want.0 && n["id"] == want.1),
            "{want:?} next to {acct}"
        );
    }
    assert!(nodes.iter().any(|n| n["type"] == "email"));
    assert!(
        !String::from_utf8_lossy(&r.body).contains(&email),
        "email shown to a viewer"
    );
    for l in g["links"].as_array().unwrap() {
        let (a, b) = (l["source"].as_u64().unwrap(), l["target"].as_u64().unwrap());
        assert!(a < b && (b as usize) < nodes.len());
    }
    let small = server
        .get(
            &format!("/v1/graph/account/{acct}?depth=3&limit=3"),
            &viewer,
        )
        .json();
    assert_eq!(small["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(small["truncated"], true);
    let zero = server
        .get(&format!("/v1/graph/account/{acct}?depth=0"), &viewer)
        .json();
    assert_eq!(zero["nodes"].as_array().unwrap().len(), 1);
    let r = server.get(&format!("/v1/graph/account/{acct}?depth=4"), &viewer);
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    let r = server.get("/v1/graph/planet/earth", &viewer);
    assert_eq!((r.status, r.code().as_str()), (400, "invalid_parameter"));
    let r = server.get("/v1/graph/device/no-such-device", &viewer);
    assert_eq!((r.status, r.code().as_str()), (404, "entity_not_found"));
    let d = server
        .get(&format!("/v1/graph/device/{device}"), &viewer)
        .json();
    assert!(
        d["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == acct)
    );
    let o = server
        .get(&format!("/v1/graph/order/{order_id}"), &viewer)
        .json();
    assert!(
        o["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == acct)
    );
    // Justified, an investigator sees the e-mail, and the read is audited.
    let r = server.req(
        "GET",
        &format!("/v1/graph/account/{acct}?depth=1"),
        &[
            ("Authorization", &format!("Bearer {investigator}")),
            ("X-Justification", "ticket-9"),
        ],
        b"",
    );
    assert_eq!(r.json()["masked"], false);
    assert!(String::from_utf8_lossy(&r.body).contains(&email));
    let audit = server.get("/v1/audit?limit=1000", &admin).json();
    assert!(audit["records"].as_array().unwrap().iter().any(|rec| {
        rec["resource"] == "graph" && rec["justification"] == "ticket-9" && rec["key_name"] == "ivy"
    }));

    // Console: search lands on the order, account, employee and device pages.
    let ivy = console_login(&server, &investigator);
    let employee = lines
        .iter()
        .find(|v| v["type"] == "employee_login")
        .unwrap()["employee_id"]
        .as_str()
        .unwrap()
        .to_string();
    for (q, want) in [
        (order_id.to_string(), format!("/console/orders/{order_id}")),
        (acct.to_string(), format!("/console/accounts/{acct}")),
        (employee.clone(), format!("/console/employees/{employee}")),
        (
            device.to_string(),
            format!("/console/graph/device/{device}"),
        ),
    ] {
        let r = console_get(&server, &ivy, &format!("/console/search?q={q}"));
        assert_eq!(r.status, 303, "search {q}");
        assert_eq!(r.headers["location"], want, "search {q}");
        let r = console_get(&server, &ivy, &want);
        assert_eq!(r.status, 200, "{want}: {}", text(&r));
        let html = text(&r);
        assert!(
            html.contains("<svg") && html.contains("id=\"graph\""),
            "{want}: a picture"
        );
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "{want}: nothing fetched from elsewhere"
        );
    }
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("/console/orders/{order_id}"),
    ));
    assert!(html.contains("id=\"items\"") && html.contains("id=\"timeline\""));
    assert!(html.contains(order["items"][0]["sku"].as_str().unwrap()));
    assert!(html.contains(&format!("href=\"/console/accounts/{acct}\"")));
    // A refunded order shows its refund with the decision and its reasons.
    if let Some(refund) = lines.iter().find(|v| v["type"] == "refund_requested") {
        let oid = refund["order_id"].as_str().unwrap();
        let rid = refund["refund_id"].as_str().unwrap();
        let d = server
            .get(&format!("/v1/decisions/refund/{rid}"), &viewer)
            .json();
        let html = text(&console_get(
            &server,
            &ivy,
            &format!("/console/orders/{oid}"),
        ));
        assert!(html.contains(&format!("refund {rid}")), "{oid}");
        assert!(html.contains("id=\"refunds\""), "{oid}");
        assert!(
            html.contains(&format!("<b>{}</b>", d["decision"].as_str().unwrap())),
            "{oid}"
        );
    }
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("/console/accounts/{acct}"),
    ));
    assert!(html.contains("id=\"timeline\"") && html.contains("account_created"));
    assert!(
        html.contains(&format!("data-href=\"/console/orders/{order_id}\"")),
        "orders are rows to open"
    );
    assert!(!html.contains(&email), "masked without a justification");
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("/console/accounts/{acct}?justification=ticket-10"),
    ));
    assert!(
        html.contains(&esc(signup["email"].as_str().unwrap())),
        "unmasked for ivy"
    );
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("/console/employees/{employee}"),
    ));
    assert!(html.contains("id=\"timeline\"") && html.contains("employee"));
    let r = console_get(&server, &ivy, "/console/orders/no-such-order");
    assert_eq!(r.status, 404);

    // Advisories: every phishing campaign's latest draft, also on its case page with a copy button.
    let r = server.get("/v1/advisories", &viewer);
    assert_eq!(r.status, 200);
    let adv = r.json();
    let list = adv["advisories"].as_array().unwrap();
    assert!(
        !list.is_empty(),
        "this world has phishing campaigns with drafts"
    );
    for a in list {
        assert!(
            a["alert_id"]
                .as_str()
                .unwrap()
                .starts_with("phishing_campaign:")
        );
        assert!(
            ["en", "fr", "de", "es"].contains(&a["language"].as_str().unwrap()),
            "{a}"
        );
        assert!(
            ["sms", "email", "call", "other"].contains(&a["channel"].as_str().unwrap()),
            "{a}"
        );
        assert!(a["reports"].as_u64().unwrap() >= 2, "{a}");
        assert!(!a["text"].as_str().unwrap().is_empty());
    }
    let first = &list[0];
    let case = first["case_id"].as_str().unwrap();
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("/console/cases/{case}"),
    ));
    assert!(html.contains("Customer advisory"), "{case}");
    assert!(html.contains("data-copy=\"advisory-1\""));
    assert!(html.contains(&esc(first["text"].as_str().unwrap())));
}

// ---------------------------------------------------------------- orders

/// `GET /v1/orders/{id}`: the read model of a refunded order (masked for a viewer, unmasked
/// and audited for a justified investigator, fed to the engine as a `data_access`), an
/// order a gang's post showed (its post, alert and case), 404 and 401; the console's order
/// page reads the same model.
#[test]
fn orders_read_model_masks_audits_and_feeds_the_console() {
    let Setup {
        tmp: _tmp,
        data,
        admin,
        viewer,
        investigator,
    } = setup();
    let body = world();
    let lines: Vec<Value> = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let server = Server::start(&data, &[]);
    assert_eq!(
        post(&server, &admin, "application/x-ndjson", body.as_bytes()).status,
        200
    );
    let of_type = |t: &str, order: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|v| v["type"] == t && v["order_id"] == order)
            .collect()
    };
    // A delivered order with a return and a refund.
    let refund = lines
        .iter()
        .find(|v| {
            v["type"] == "refund_requested"
                && v["return_id"].is_string()
                && !of_type("shipment_delivered", v["order_id"].as_str().unwrap()).is_empty()
        })
        .expect("this world has a refund on a delivered order with a return");
    let oid = refund["order_id"].as_str().unwrap();
    let placed = of_type("order_placed", oid)[0].clone();
    let delivered = of_type("shipment_delivered", oid)[0].clone();
    let line1 = placed["shipping_address"]["line1"].as_str().unwrap();
    let acct = placed["account_id"].as_str().unwrap();

    // A viewer: everything but the address, which is masked.
    let r = server.get(&format!("/v1/orders/{oid}"), &viewer);
    assert_eq!(r.status, 200, "{}", text(&r));
    let v = r.json();
    assert_eq!(v["masked"], true);
    assert_eq!(v["order_id"], oid);
    assert_eq!(v["account_id"], acct);
    assert_eq!(v["amount_minor"], placed["amount_minor"]);
    assert_eq!(v["currency"], placed["currency"]);
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        placed["items"].as_array().unwrap().len()
    );
    assert_eq!(v["items"][0]["sku"], placed["items"][0]["sku"]);
    assert_eq!(v["payment_fingerprint"], placed["payment_fingerprint"]);
    assert_eq!(v["device_id"], placed["device_id"]);
    assert_eq!(v["ip"], placed["ip"]);
    assert_eq!(v["shipping_address"]["line1"], "***");
    assert_eq!(
        v["shipping_address"]["country"],
        placed["shipping_address"]["country"]
    );
    assert!(!text(&r).contains(line1), "the address shown to a viewer");
    assert_eq!(v["delivery"]["carrier"], delivered["carrier"]);
    assert_eq!(
        v["delivery"]["tracking_number"],
        delivered["tracking_number"]
    );
    assert!(
        v["returns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["return_id"] == refund["return_id"])
    );
    let rv = v["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["refund_id"] == refund["refund_id"])
        .unwrap()
        .clone();
    let rid = refund["refund_id"].as_str().unwrap();
    let decision = server
        .get(&format!("/v1/decisions/refund/{rid}"), &viewer)
        .json();
    assert_eq!(
        rv["decision"], decision,
        "the refund's decision, as decided"
    );
    assert_eq!(rv["amount_minor"], refund["amount_minor"]);
    let kinds: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for k in [
        "order_placed",
        "shipment_delivered",
        "return_requested",
        "refund_requested",
    ] {
        assert!(kinds.contains(&k), "{k} in the timeline {kinds:?}");
    }
    // A viewer's justification changes nothing and is not audited.
    let r = server.req(
        "GET",
        &format!("/v1/orders/{oid}"),
        &[
            ("Authorization", &format!("Bearer {viewer}")),
            ("X-Justification", "case-1"),
        ],
        b"",
    );
    assert_eq!(r.json()["masked"], true);
    let audit = server.get("/v1/audit?limit=1000", &admin).json();
    assert!(audit["records"].as_array().unwrap().is_empty(), "{audit}");

    // A justified investigator sees the address; the read is audited and reaches the
    // engine as a data_access event by "ivy".
    let r = server.req(
        "GET",
        &format!("/v1/orders/{oid}"),
        &[
            ("Authorization", &format!("Bearer {investigator}")),
            ("X-Justification", "case-77"),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["masked"], false);
    assert_eq!(v["shipping_address"]["line1"], line1);
    assert_eq!(
        v["shipping_address"]["postal_code"],
        placed["shipping_address"]["postal_code"]
    );
    let audit = server.get("/v1/audit?limit=1000", &admin).json();
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["resource"], "order_history");
    assert_eq!(records[0]["key_name"], "ivy");
    assert_eq!(records[0]["justification"], "case-77");
    assert_eq!(records[0]["entity_ids"][0], acct);
    let emp = server.get("/v1/employees/ivy", &viewer).json();
    assert_eq!(emp["data_accesses"].as_u64(), Some(1), "{emp}");

    // Unknown order, no key.
    let r = server.get("/v1/orders/no-such-order", &viewer);
    assert_eq!((r.status, r.code().as_str()), (404, "entity_not_found"));
    let r = server.req("GET", &format!("/v1/orders/{oid}"), &[], b"");
    assert_eq!((r.status, r.code().as_str()), (401, "missing_api_key"));

    // An order a gang's post showed: the post, the alert and the case holding it.
    let intel = all_alerts(&server, &viewer, "&kind=intel_match", 100);
    let (alert, named) = intel
        .iter()
        .find_map(|a| {
            a["entities"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["type"] == "order")
                .map(|e| (a.clone(), e["id"].as_str().unwrap().to_string()))
        })
        .expect("this world has an intel_match alert naming an order");
    let v = server.get(&format!("/v1/orders/{named}"), &viewer).json();
    let post = alert["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "post")
        .unwrap()["id"]
        .clone();
    assert!(
        v["intel_posts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["post_id"] == post && p["alert_id"] == alert["alert_id"]),
        "{}",
        v["intel_posts"]
    );
    assert!(
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["alert_id"] == alert["alert_id"])
    );
    let case = v["cases"][0]["case_id"].as_str().unwrap().to_string();
    assert_eq!(
        v["cases"][0]["kind"], "intel",
        "a gang's post opens an intel case"
    );
    let listed = server.get("/v1/cases?kind=intel", &viewer).json();
    assert!(
        listed["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] == "intel")
            && listed["cases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["case_id"] == case.as_str())
    );
    let c = server.get(&format!("/v1/cases/{case}"), &viewer).json();
    assert!(
        c["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["alert_id"] == alert["alert_id"])
    );

    // The console's order page reads the same model: masked, then justified and audited.
    let ivy = console_login(&server, &investigator);
    let page = format!("/console/orders/{oid}");
    let html = text(&console_get(&server, &ivy, &page));
    assert!(html.contains("id=\"refunds\"") && html.contains("id=\"returns\""));
    assert!(html.contains(&format!(
        "<b>{}</b>",
        decision["decision"].as_str().unwrap()
    )));
    assert!(html.contains(&esc(delivered["tracking_number"].as_str().unwrap())));
    assert!(
        !html.contains(&esc(line1)),
        "masked without a justification"
    );
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("{page}?justification=ticket-5"),
    ));
    assert!(html.contains(&esc(line1)), "unmasked with a justification");
    let audit = server.get("/v1/audit?limit=1000", &admin).json();
    assert!(audit["records"].as_array().unwrap().iter().any(|rec| {
        rec["resource"] == "order_history"
            && rec["justification"] == "ticket-5"
            && rec["key_name"] == "ivy"
    }));
    let html = text(&console_get(
        &server,
        &ivy,
        &format!("/console/orders/{named}"),
    ));
    assert!(html.contains("id=\"intel\"") && html.contains(post.as_str().unwrap()));
    assert!(html.contains(&format!("href=\"/console/cases/{case}\"")));
}
