//! End-to-end behaviour of the `clawback` binary, as a user or a retailer's job sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{bin, read_jsonl, run_ok};

use clawback_events::samples::SAMPLE_EVENTS;
use serde_json::Value;
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn summary(out: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// A sample line made unique for copy `i`.
fn unique_sample(k: usize, i: usize) -> String {
    let (_, line) = SAMPLE_EVENTS[k % SAMPLE_EVENTS.len()];
    let eid = format!(r#""event_id":"e-{}""#, k % SAMPLE_EVENTS.len() + 1);
    line.replacen(&eid, &format!(r#""event_id":"x-{i}""#), 1)
        .replace("\"ref-1\"", &format!("\"ref-{i}\""))
        .replace("\"acct-1\"", &format!("\"acct-{i}\""))
        .replace("\"rep-3\"", &format!("\"rep-{i}\""))
}

/// Every kind of bad line the contract names, with the line's field and reason.
fn bad_lines() -> Vec<(Vec<u8>, Option<&'static str>, &'static str)> {
    let refund = SAMPLE_EVENTS[11].1;
    vec![
        (
            refund
                .replace("refund_requested", "refund_teleported")
                .into_bytes(),
            Some("type"),
            "unknown event type",
        ),
        (
            refund.replace(r#""refund_id":"ref-1","#, "").into_bytes(),
            Some("refund_requested.refund_id"),
            "missing required field",
        ),
        (
            refund.replace("199900", r#""a lot""#).into_bytes(),
            Some("refund_requested.amount_minor"),
            "expected an integer",
        ),
        (
            refund
                .replace("2026-11-05T10:02:00Z", "yesterday")
                .into_bytes(),
            Some("refund_requested.ts"),
            "RFC 3339",
        ),
        (
            refund.replace("199900", "-199900").into_bytes(),
            Some("refund_requested.amount_minor"),
            "must be >= 0",
        ),
        (b"{this is not json".to_vec(), None, "not valid JSON"),
        (
            b"\x00\x01\xff\xfe junk \x00 with NULs".to_vec(),
            None,
            "not UTF-8 JSON",
        ),
    ]
}

fn write_file(path: &Path, lines: &[Vec<u8>]) {
    let mut f = fs::File::create(path).unwrap();
    for l in lines {
        f.write_all(l).unwrap();
        f.write_all(b"\n").unwrap();
    }
}

/// A quarantined line as a test expects it: line number, field, part of the reason.
type ExpectedReject = (u64, Option<&'static str>, &'static str);

/// All samples, bad lines interleaved, one duplicate, one blank line.
fn mixed_file(dir: &Path) -> (PathBuf, Vec<ExpectedReject>) {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut expected_bad = Vec::new();
    let bad = bad_lines();
    for (k, (_, l)) in SAMPLE_EVENTS.iter().enumerate() {
        lines.push(l.as_bytes().to_vec());
        if let Some((b, field, reason)) = bad.get(k) {
            lines.push(b.clone());
            expected_bad.push((lines.len() as u64, *field, *reason));
        }
    }
    lines.push(SAMPLE_EVENTS[3].1.as_bytes().to_vec()); // a duplicate event_id
    lines.push(Vec::new()); // a blank line
    let path = dir.join("mixed.jsonl");
    write_file(&path, &lines);
    (path, expected_bad)
}

fn shared_tools() -> Option<PathBuf> {
    let p = Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("../../../shared/tools/evaluate.py");
    p.exists().then_some(p)
}

#[test]
fn replay_quarantines_each_bad_line_with_its_line_and_field_and_processes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (file, expected_bad) = mixed_file(dir.path());
    let out = dir.path().join("out");
    run_ok(
        bin()
            .args(["replay", "--events"])
            .arg(&file)
            .arg("--out")
            .arg(&out),
    );

    let q = read_jsonl(&out.join("quarantine.jsonl"));
    assert_eq!(q.len(), expected_bad.len());
    for (rec, (line, field, reason)) in q.iter().zip(&expected_bad) {
        assert_eq!(rec["line"], *line, "{rec}");
        assert_eq!(rec["field"].as_str(), *field, "{rec}");
        assert!(
            rec["error"].as_str().unwrap().contains(reason),
            "{rec} should say {reason}"
        );
        assert!(rec["raw"].is_string());
    }
    assert!(
        q.last().unwrap()["raw"].as_str().unwrap().contains('\u{0}'),
        "NUL bytes survive in raw"
    );

    let s = summary(&out);
    assert_eq!(s["events"], SAMPLE_EVENTS.len());
    assert_eq!(s["quarantined"], expected_bad.len());
    assert_eq!(s["duplicates"], 1);
    assert_eq!(s["decisions"], 3, "one per decision point");
    for key in ["seconds", "events_per_second", "alerts"] {
        assert!(s[key].is_number(), "summary.{key}");
    }
    let decided: Vec<(String, String)> = read_jsonl(&out.join("decisions.jsonl"))
        .iter()
        .map(|d| {
            (
                d["point"].as_str().unwrap().to_string(),
                d["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(decided.len(), 3);
    for want in [
        ("signup", "acct-1"),
        ("refund", "ref-1"),
        ("report", "rep-3"),
    ] {
        assert!(
            decided.contains(&(want.0.to_string(), want.1.to_string())),
            "{decided:?}"
        );
    }
}

#[test]
fn the_judge_accepts_replay_outputs() {
    let Some(evaluate) = shared_tools() else {
        eprintln!("shared/tools/evaluate.py not beside the checkout; skipping the judge check");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<Vec<u8>> = (0..600).map(|i| unique_sample(i, i).into_bytes()).collect();
    let file = dir.path().join("events.jsonl");
    write_file(&file, &lines);
    let labels = dir.path().join("labels.jsonl");
    fs::write(&labels, "").unwrap();
    let out = dir.path().join("out");
    run_ok(
        bin()
            .args(["replay", "--events"])
            .arg(&file)
            .arg("--out")
            .arg(&out),
    );
    let judged = run_ok(
        Command::new("python3")
            .arg(evaluate)
            .arg(&file)
            .arg(&labels)
            .arg(out.join("decisions.jsonl"))
            .arg(out.join("alerts.jsonl")),
    );
    let metrics: Value = serde_json::from_slice(&judged.stdout).unwrap();
    assert_eq!(metrics["contract"]["ok"], true, "{}", metrics["contract"]);
}

#[test]
fn replays_are_byte_identical_across_runs_thread_counts_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    // several parse batches, so that parse threads really interleave
    let mut lines: Vec<Vec<u8>> = (0..5000)
        .map(|i| unique_sample(i, i).into_bytes())
        .collect();
    lines.swap(10, 40);
    lines.swap(100, 90);
    lines.swap(1500, 3000);
    let file = dir.path().join("events.jsonl");
    write_file(&file, &lines);
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    run_ok(
        bin()
            .args(["replay", "--events"])
            .arg(&file)
            .arg("--out")
            .arg(&a),
    );
    run_ok(
        bin()
            .args(["replay", "--events"])
            .arg(&file)
            .arg("--out")
            .arg(&b),
    );
    let mut child = bin()
        .args(["replay", "--events", "-", "--out"])
        .arg(&c)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&fs::read(&file).unwrap())
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    for name in ["decisions.jsonl", "alerts.jsonl", "quarantine.jsonl"] {
        let first = fs::read(a.join(name)).unwrap();
        assert_eq!(
            first,
            fs::read(b.join(name)).unwrap(),
            "{name} differs between runs"
        );
        assert_eq!(
            first,
            fs::read(c.join(name)).unwrap(),
            "{name} differs from stdin"
        );
    }
}

#[test]
fn ingest_deduplicates_across_runs_and_replay_of_the_log_matches_replay_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (file, expected_bad) = mixed_file(dir.path());
    let data = dir.path().join("data");
    let first: Value = serde_json::from_slice(
        &run_ok(bin().args(["ingest", "--data"]).arg(&data).arg(&file)).stdout,
    )
    .unwrap();
    assert_eq!(first["accepted"], SAMPLE_EVENTS.len());
    assert_eq!(first["duplicates"], 1);
    assert_eq!(first["quarantined"], expected_bad.len());
    let q = read_jsonl(&data.join("quarantine.jsonl"));
    assert_eq!(q.len(), expected_bad.len());
    assert!(
        q[0]["source"].as_str().unwrap().ends_with("mixed.jsonl"),
        "names the input: {}",
        q[0]
    );
    let again: Value = serde_json::from_slice(
        &run_ok(bin().args(["ingest", "--data"]).arg(&data).arg(&file)).stdout,
    )
    .unwrap();
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], SAMPLE_EVENTS.len() + 1);
    assert_eq!(again["stored"], SAMPLE_EVENTS.len());

    let (from_log, from_file) = (dir.path().join("log-out"), dir.path().join("file-out"));
    run_ok(
        bin()
            .args(["replay", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&from_log),
    );
    run_ok(
        bin()
            .args(["replay", "--events"])
            .arg(&file)
            .arg("--out")
            .arg(&from_file),
    );
    for name in ["decisions.jsonl", "alerts.jsonl"] {
        assert_eq!(
            fs::read(from_log.join(name)).unwrap(),
            fs::read(from_file.join(name)).unwrap(),
            "{name}"
        );
    }
    assert_eq!(summary(&from_log)["events"], SAMPLE_EVENTS.len());
}

#[test]
fn kill_9_during_ingest_loses_nothing_and_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let n = 150_000;
    let mut lines: Vec<Vec<u8>> = (0..n).map(|i| unique_sample(i, i).into_bytes()).collect();
    // repeats inside the file too
    for i in (0..n).step_by(997) {
        lines.push(unique_sample(i, i).into_bytes());
    }
    let file = dir.path().join("big.jsonl");
    write_file(&file, &lines);
    let data = dir.path().join("data");

    let mut killed_with_data = 0;
    for delay_ms in [150u64, 400, 900, 1600] {
        let mut child = bin()
            .args(["ingest", "--data"])
            .arg(&data)
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL on Unix: no chance to flush or clean up
        child.wait().unwrap();
        if !finished && data.join("log").exists() {
            killed_with_data += 1;
        }
    }
    assert!(
        killed_with_data > 0,
        "at least one ingest was killed mid-run"
    );

    let last: Value = serde_json::from_slice(
        &run_ok(bin().args(["ingest", "--data"]).arg(&data).arg(&file)).stdout,
    )
    .unwrap();
    assert_eq!(last["stored"], n, "{last}");

    let out = dir.path().join("out");
    run_ok(
        bin()
            .args(["replay", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&out),
    );
    let s = summary(&out);
    assert_eq!(s["events"], n, "every event exactly once: {s}");
    assert_eq!(s["duplicates"], 0);
    assert_eq!(s["torn_tail"], false);
    let decisions = read_jsonl(&out.join("decisions.jsonl"));
    let ids: HashSet<String> = decisions
        .iter()
        .map(|d| format!("{}:{}", d["point"], d["id"]))
        .collect();
    assert_eq!(ids.len(), decisions.len(), "no decision point stored twice");
}

#[test]
fn unusable_arguments_fail_with_a_message_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["replay", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--events"));

    let missing = dir.path().join("nope.jsonl");
    let out = bin()
        .args(["replay", "--events"])
        .arg(&missing)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.contains("cannot open the events file") && msg.contains("nope.jsonl"),
        "{msg}"
    );

    let out = bin()
        .args(["replay", "--data"])
        .arg(dir.path().join("empty"))
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("clawback ingest"),
        "points at the fix"
    );

    // a data directory that is a file cannot be opened
    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let out = bin()
        .args(["ingest", "--data"])
        .arg(&file)
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a-file"));
}

#[test]
fn simulate_writes_a_labelled_world_that_replays_cleanly_and_the_demo_reports_what_it_caught() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    run_ok(
        bin()
            .args(["simulate", "--customers", "2000", "--days", "15", "--out"])
            .arg(&world),
    );
    let labels = read_jsonl(&world.join("labels.jsonl"));
    let fraud_refunds = labels
        .iter()
        .filter(|l| l["entity"] == "refund" && l["label"] == "fraud")
        .count();
    assert!(fraud_refunds > 0, "the world has refund-service fraud");
    let kinds: HashSet<&str> = labels.iter().filter_map(|l| l["kind"].as_str()).collect();
    for kind in [
        "refund_service",
        "insider_collusion",
        "credential_misuse",
        "data_selling",
        "ban_evasion",
        "phishing",
        "intel_mentioned",
    ] {
        assert!(kinds.contains(kind), "no {kind} label in {kinds:?}");
    }
    // staff scale with customers: corrupt employees must have honest peers to stand out from
    let employees = |verdict: &str| {
        labels
            .iter()
            .filter(|l| l["entity"] == "employee" && l["label"] == verdict)
            .count()
    };
    assert!(
        employees("legit") > 2 * employees("fraud"),
        "{} honest, {} corrupt",
        employees("legit"),
        employees("fraud")
    );
    let out = dir.path().join("out");
    run_ok(
        bin()
            .args(["replay", "--events"])
            .arg(world.join("events.jsonl"))
            .arg("--out")
            .arg(&out),
    );
    assert_eq!(
        summary(&out)["quarantined"],
        0,
        "the simulator writes only valid events"
    );
    let refunds = summary(&out)["decisions_by_outcome"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("refund:"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum::<u64>();
    let refund_labels = labels.iter().filter(|l| l["entity"] == "refund").count() as u64;
    assert_eq!(
        refunds, refund_labels,
        "every refund decided and labelled once"
    );

    let demo = dir.path().join("demo");
    let shown = run_ok(
        bin()
            .args(["demo", "--customers", "300", "--out"])
            .arg(&demo),
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    for want in [
        "fraud refunds stopped",
        "honest refunds delayed",
        "corrupt lines quarantined",
        "evaluate.py",
    ] {
        assert!(text.contains(want), "demo output lacks {want:?}:\n{text}");
    }
    for f in [
        "events.jsonl",
        "labels.jsonl",
        "decisions.jsonl",
        "alerts.jsonl",
        "summary.json",
    ] {
        assert!(demo.join(f).exists(), "{f}");
    }
}
