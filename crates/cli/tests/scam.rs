//! End-to-end behaviour of scam reports through the CLI: training the report classifier
//! from `report` labels alone, replay using it, the protected list from the policy file,
//! and raw e-mails turned into reports (`bench-spam`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{bin, read_jsonl, run_ok};

use serde_json::Value;
use std::path::Path;

/// Reports and labels: scams in words no cue list has, and honest notices.
fn write_reports(dir: &Path, n: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let scams = [
        "Good news: your parcel voucher is waiting, collect it at voucher-desk.example",
        "Your loyalty voucher expires, collect it today at points-desk.example",
    ];
    let honest = [
        "Your order has shipped and will arrive on Tuesday",
        "Thanks for your return, the refund has been issued",
    ];
    let (mut ev, mut lb) = (String::new(), String::new());
    for i in 0..n {
        let fraud = i % 2 == 0;
        let text = if fraud {
            scams[i / 2 % 2]
        } else {
            honest[i / 2 % 2]
        };
        let ts = format!("2026-11-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24);
        ev.push_str(&format!(
            r#"{{"event_id":"e{i}","type":"message_reported","ts":"{ts}","report_id":"rep-{i}","channel":"sms","text":"{text}","sender":"+4477009{i:05}"}}"#
        ));
        ev.push('\n');
        lb.push_str(&format!(
            r#"{{"event_id":"l{i}","type":"label","ts":"2027-01-01T00:00:00Z","entity":"report","id":"rep-{i}","label":"{}"}}"#,
            if fraud { "fraud" } else { "legit" }
        ));
        lb.push('\n');
    }
    let (e, l) = (dir.join("events.jsonl"), dir.join("labels.jsonl"));
    std::fs::write(&e, ev).unwrap();
    std::fs::write(&l, lb).unwrap();
    (e, l)
}

#[test]
fn train_learns_a_report_classifier_from_report_labels_alone_and_replay_uses_it() {
    let dir = tempfile::tempdir().unwrap();
    let (events, labels) = write_reports(dir.path(), 200);
    let model = dir.path().join("m.model");
    let out = run_ok(
        bin()
            .arg("train")
            .arg("--events")
            .arg(&events)
            .arg("--labels")
            .arg(&labels)
            .arg("--out")
            .arg(&model),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &report["report_classifier"];
    assert_eq!(c["labelled_reports"], 200, "{report}");
    assert!(c["auc"].as_f64().unwrap() > 0.99, "{report}");
    assert!(
        report.get("trees").is_none(),
        "no refund model without refund labels"
    );
    let file: Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(file["version"], 2);
    assert_eq!(file["classifiers"]["report"]["features"], "scam-text-1");
    // Two trainings give the same bytes (the wall-clock seconds aside).
    let again = dir.path().join("m2.model");
    run_ok(
        bin()
            .arg("train")
            .arg("--events")
            .arg(&events)
            .arg("--labels")
            .arg(&labels)
            .arg("--out")
            .arg(&again),
    );
    let strip = |p: &Path| {
        let mut v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v["classifiers"]["report"]["trained"]["seconds"] = 0.into();
        v
    };
    assert_eq!(strip(&model), strip(&again));

    let o = dir.path().join("o");
    run_ok(
        bin()
            .arg("replay")
            .arg("--events")
            .arg(&events)
            .arg("--out")
            .arg(&o)
            .arg("--model")
            .arg(&model),
    );
    let decisions = read_jsonl(&o.join("decisions.jsonl"));
    assert_eq!(decisions.len(), 200);
    let scam = &decisions[0];
    assert_eq!(scam["decision"], "phishing", "{scam}");
    assert_eq!(scam["reasons"][0]["code"], "text_model", "{scam}");
    assert_eq!(decisions[1]["decision"], "benign", "{}", decisions[1]);
}

#[test]
fn the_protected_list_comes_from_the_policy_file_and_a_bad_entry_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("e.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"event_id":"e1","type":"message_reported","ts":"2026-11-01T10:00:00Z","report_id":"rep-1","channel":"email","text":"Your order has shipped","sender":"orders@examp1e-shop.co.uk","urls":["https://examp1e-shop.co.uk/track"]}"#,
            "\n"
        ),
    )
    .unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[scam]\nprotected = [\"example-shop.co.uk\", \"example-shop.fr\"]\n",
    )
    .unwrap();
    let o = dir.path().join("o");
    run_ok(
        bin()
            .arg("replay")
            .arg("--events")
            .arg(&events)
            .arg("--out")
            .arg(&o)
            .arg("--policy")
            .arg(&policy),
    );
    let d = &read_jsonl(&o.join("decisions.jsonl"))[0];
    assert_eq!(d["decision"], "phishing", "{d}");
    assert!(
        d["reasons"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("imitates example-shop.co.uk"),
        "{d}"
    );

    std::fs::write(
        &policy,
        "# shop\n[scam]\nprotected = [\n  \"example-shop.co.uk\",\n  \"https://example-shop.fr/\",\n]\n",
    )
    .unwrap();
    let out = bin()
        .arg("replay")
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(&o)
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("p.toml:5: [scam] protected: entry 2") && err.contains("not a domain name"),
        "{err}"
    );
    std::fs::write(&policy, "[scam]\nprotect = []\n").unwrap();
    let out = bin()
        .arg("replay")
        .arg("--events")
        .arg(&events)
        .arg("--out")
        .arg(&o)
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("protected"), "{err}");
}

#[test]
fn bench_spam_turns_raw_mails_into_a_seeded_split_of_reports() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    for (folder, n) in [("spam-1", 6), ("easy-ham-1", 10), ("other", 3)] {
        std::fs::create_dir_all(corpus.join(folder)).unwrap();
        for i in 0..n {
            std::fs::write(
                corpus.join(folder).join(format!("{i:05}.eml")),
                format!(
                    "From: Someone <s{i}@mail.example>\r\nSubject: {folder} {i}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello =C3=A9 {i}\r\n"
                ),
            )
            .unwrap();
        }
        std::fs::write(corpus.join(folder).join("00001.json"), "{}").unwrap();
    }
    let out_dir = dir.path().join("out");
    let run = |seed: &str| {
        let out = run_ok(
            bin()
                .arg("bench-spam")
                .arg("--corpus")
                .arg(&corpus)
                .arg("--out")
                .arg(&out_dir)
                .args(["--seed", seed]),
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        (r, std::fs::read(out_dir.join("test.jsonl")).unwrap())
    };
    let (r, test_a) = run("8");
    assert_eq!(r["messages"], 16);
    assert_eq!(r["spam"], 6);
    assert_eq!(r["train"], 8);
    assert_eq!(r["test"], 8);
    let (_, test_b) = run("8");
    assert_eq!(test_a, test_b, "the split is fixed by the seed");
    let (_, test_c) = run("9");
    assert_ne!(test_a, test_c);
    let e = &read_jsonl(&out_dir.join("train.jsonl"))[0];
    assert_eq!(e["type"], "message_reported");
    assert_eq!(e["channel"], "email");
    assert!(e["text"].as_str().unwrap().contains("Hello é"), "{e}");
    assert!(e["sender"].as_str().unwrap().ends_with("@mail.example"));
}
