//! End to end: `clawback intel import` of a Telegram Desktop export (written by hand to the
//! documented format: entity arrays, service and media-only messages), its posts matched to
//! orders by `replay`, and malformed files refused with a message that says where and what
//! to do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{bin, read_jsonl, run_ok};

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("tests/fixtures/intel")
    .join(name)
}

const ADDR: &str =
    r#"{"line1":"1 Main St","city":"Austin","region":"TX","postal_code":"78701","country":"US"}"#;

fn order(n: u32, id: &str, acct: &str, ts: &str, cat: &str, minor: i64, cur: &str) -> String {
    format!(
        r#"{{"event_id":"o{n}","type":"order_placed","ts":"{ts}","order_id":"{id}","account_id":"{acct}","items":[{{"sku":"s{n}","category":"{cat}","unit_price_minor":{minor},"quantity":1}}],"amount_minor":{minor},"currency":"{cur}","shipping_address":{ADDR}}}"#
    )
}

fn refund(n: u32, id: &str, acct: &str, ts: &str, minor: i64, cur: &str) -> String {
    format!(
        r#"{{"event_id":"r{n}","type":"refund_requested","ts":"{ts}","refund_id":"ref-{n}","order_id":"{id}","account_id":"{acct}","amount_minor":{minor},"currency":"{cur}","reason":"not_received","channel":"web"}}"#
    )
}

/// The retailer's side: the orders the channel shows, and a look-alike.
fn retailer_events(dir: &Path) -> PathBuf {
    let lines = [
        order(
            1,
            "113-4829175-0038261",
            "acct-1",
            "2026-11-01T10:00:00Z",
            "computers",
            239_900,
            "EUR",
        ),
        order(
            2,
            "114-5542991-7731994",
            "acct-2",
            "2026-11-01T11:00:00Z",
            "phones",
            119_900,
            "USD",
        ),
        order(
            3,
            "114-5598812-7731994",
            "acct-3",
            "2026-11-01T12:00:00Z",
            "apparel",
            4_999,
            "USD",
        ),
        refund(
            1,
            "113-4829175-0038261",
            "acct-1",
            "2026-11-04T10:00:00Z",
            239_900,
            "EUR",
        ),
        refund(
            2,
            "114-5542991-7731994",
            "acct-2",
            "2026-11-04T11:00:00Z",
            119_900,
            "USD",
        ),
    ];
    let p = dir.join("retailer.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_telegram_export_becomes_posts_that_name_our_orders() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    run_ok(
        bin()
            .arg("ingest")
            .arg("--data")
            .arg(&data)
            .arg(retailer_events(tmp.path())),
    );

    let out = run_ok(
        bin()
            .args(["intel", "import", "--telegram"])
            .arg(fixture("telegram-result.json"))
            .arg("--data")
            .arg(&data),
    );
    let r = report(&out);
    assert_eq!(r["messages"], 7);
    assert_eq!(r["posts"], 3, "{r}");
    assert_eq!(r["service_messages"], 2);
    assert_eq!(r["media_only_messages"], 2);
    assert_eq!(r["accepted"], 3);
    assert_eq!(r["chats"][0]["name"], "Refund Kings ✅");
    assert_eq!(r["chats"][0]["id"], "1987654321");

    // Importing the same export again stores nothing new.
    let again = report(&run_ok(
        bin()
            .args(["intel", "import", "--telegram"])
            .arg(fixture("telegram-result.json"))
            .arg("--data")
            .arg(&data),
    ));
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 3);

    let outdir = tmp.path().join("out");
    run_ok(
        bin()
            .arg("replay")
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&outdir),
    );
    let alerts: Vec<Value> = read_jsonl(&outdir.join("alerts.jsonl"))
        .into_iter()
        .filter(|a| a["kind"] == "intel_match")
        .collect();
    let named: BTreeSet<String> = alerts
        .iter()
        .flat_map(|a| a["entities"].as_array().unwrap().clone())
        .filter(|e| e["type"] == "order")
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["113-4829175-0038261", "114-5542991-7731994"]
    );
    let full = alerts
        .iter()
        .find(|a| a["alert_id"] == "intel_match:tg-1987654321-2:113-4829175-0038261")
        .unwrap();
    let types: Vec<&str> = full["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["post", "order", "account", "refund"]);
    let text = full.to_string();
    assert!(text.contains("telegram Refund Kings ✅"), "{text}");
    let masked = alerts
        .iter()
        .find(|a| a["alert_id"] == "intel_match:tg-1987654321-3:114-5542991-7731994")
        .unwrap();
    assert_eq!(masked["reasons"][0]["code"], "masked_order_id_in_post");
    assert!(
        masked["reasons"][2]["detail"]
            .as_str()
            .unwrap()
            .contains("2 of our orders in 2 posts")
    );
}

#[test]
fn posts_can_be_written_as_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_ok(
        bin()
            .args(["intel", "import", "--telegram"])
            .arg(fixture("telegram-result.json"))
            .args(["--out", "-"]),
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["type"], "intel_post");
    assert_eq!(lines[0]["post_id"], "tg-1987654321-2");
    assert_eq!(lines[0]["ts"], "2026-11-06T12:00:00Z");
    assert_eq!(lines[0]["channel"], "Refund Kings ✅");
    assert_eq!(lines[0]["author_id"], "channel1987654321");
    assert_eq!(
        lines[1]["text"],
        "Another one 💸 114-55•••••-7731994 — iPhone 15 Pro $1,199.00 refunded 2 days ago. Proof: screenshot #vouch"
    );
    // A deleted sender has no author; the forward's origin is kept.
    assert!(lines[2].get("author").is_none());
    assert_eq!(lines[2]["forwarded_from"], "Some Customer");
    let file = tmp.path().join("posts.jsonl");
    run_ok(
        bin()
            .args(["intel", "import", "--telegram"])
            .arg(fixture("telegram-result.json"))
            .arg("--out")
            .arg(&file),
    );
    assert_eq!(read_jsonl(&file).len(), 3);
}

fn refused(file: &Path) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["intel", "import", "--telegram"])
        .arg(file)
        .arg("--data")
        .arg(tmp.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{file:?} was accepted");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_malformed_export_is_refused_saying_where_and_what_to_do() {
    let bad = fixture("telegram-malformed.json");
    let err = refused(&bad);
    assert!(err.contains("telegram-malformed.json"), "{err}");
    assert!(err.contains("line 35, column"), "{err}");
    assert!(err.contains("what to do: "), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("array.json", "[]", "not a Telegram Desktop chat export"),
        (
            "other.json",
            r#"{"name": "notes", "items": []}"#,
            "not a Telegram Desktop chat export",
        ),
        (
            "text.json",
            r#"{"name": "c", "id": 1, "messages": [{"id": 1, "type": "message", "date": "2026-11-06T12:00:00", "text": 5}]}"#,
            "messages[0].text",
        ),
        (
            "date.json",
            r#"{"name": "c", "id": 1, "messages": [{"id": 7, "type": "message", "date": "yesterday", "text": "x"}]}"#,
            "messages[0] (id 7): \"date\" \"yesterday\" is not a date",
        ),
    ];
    for (name, body, want) in cases {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        let err = refused(&p);
        assert!(err.contains(name), "{err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(err.contains("what to do: "), "{err}");
    }
    let missing = refused(&tmp.path().join("nope.json"));
    assert!(
        missing.contains("cannot read the Telegram export"),
        "{missing}"
    );
}

/// The intel matcher's cost per event on a real world (not run by default):
/// `CLAWBACK_INTEL_BENCH=W/events.jsonl cargo test --release -p clawback --test intel -- --ignored --nocapture`
#[test]
#[ignore = "needs a simulated world; a measurement, not a check"]
#[allow(clippy::print_stderr)]
fn intel_cost_per_event() {
    use clawback_engine::{AlertSink, Facts, Intel};
    use std::io::BufRead;
    use std::time::{Duration, Instant};
    let Ok(path) = std::env::var("CLAWBACK_INTEL_BENCH") else {
        return;
    };
    let f = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let (mut facts, mut intel, mut sink) =
        (Facts::default(), Intel::default(), AlertSink::default());
    let (mut n, mut posts, mut spent, mut post_time) = (0u64, 0u64, Duration::ZERO, Duration::ZERO);
    for line in f.lines() {
        let line = line.unwrap();
        let Ok(ev) = clawback_events::parse_line(line.as_bytes()) else {
            continue;
        };
        facts.absorb(&ev);
        let is_post = matches!(ev.body, clawback_events::Body::IntelPost(_));
        let t = Instant::now();
        intel.observe(&facts, &ev, &mut sink);
        let d = t.elapsed();
        spent += d;
        if is_post {
            posts += 1;
            post_time += d;
        }
        n += 1;
        if n.is_multiple_of(100_000) {
            sink.clear();
        }
    }
    eprintln!(
        "{n} events, {posts} posts: intel {:.1} ns/event on average ({:.2} s in all), {:.1} µs per post; {:?}",
        spent.as_nanos() as f64 / n as f64,
        spent.as_secs_f64(),
        post_time.as_nanos() as f64 / posts.max(1) as f64 / 1000.0,
        intel.stats()
    );
}
