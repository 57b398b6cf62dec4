//! End-to-end behaviour of refund decisions through the CLI: training, the model file,
//! point-in-time correctness, analyst rules and the policy file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{bin, read_jsonl, run_ok};

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A small labelled world with every scheme, and a model trained on it; shared by the
/// tests of this file (training once keeps the suite quick).
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl World {
    fn events(&self) -> PathBuf {
        self.root.join("w/events.jsonl")
    }
    fn labels(&self) -> PathBuf {
        self.root.join("w/labels.jsonl")
    }
    fn model(&self) -> PathBuf {
        self.root.join("refund.model")
    }
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        run_ok(
            bin()
                .args([
                    "simulate",
                    "--customers",
                    "2500",
                    "--days",
                    "30",
                    "--seed",
                    "5",
                    "--out",
                ])
                .arg(root.join("w")),
        );
        let out = run_ok(
            bin()
                .arg("train")
                .arg("--events")
                .arg(root.join("w/events.jsonl"))
                .arg("--labels")
                .arg(root.join("w/labels.jsonl"))
                .arg("--out")
                .arg(root.join("refund.model"))
                .args(["--max-trees", "120"]),
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(report["auc"].as_f64().unwrap() > 0.8, "{report}");
        World { _dir: dir, root }
    })
}

fn replay(events: &Path, out: &Path, extra: &[&str]) -> Vec<Value> {
    run_ok(
        bin()
            .arg("replay")
            .arg("--events")
            .arg(events)
            .arg("--out")
            .arg(out)
            .args(extra),
    );
    read_jsonl(&out.join("decisions.jsonl"))
}

#[test]
fn train_writes_a_self_describing_model_that_replay_uses_with_reasons_in_words() {
    let w = world();
    let file: Value = serde_json::from_slice(&std::fs::read(w.model()).unwrap()).unwrap();
    assert_eq!(file["format"], "clawback-model");
    let refund = &file["models"]["refund"];
    assert!(refund["features"].as_array().unwrap().len() > 40);
    assert!(refund["features"][0]["meaning"].as_str().unwrap().len() > 5);
    assert!(refund["metrics"]["auc"].as_f64().unwrap() > 0.8);
    assert!(refund["thresholds"]["hold_cost_usd"].as_f64().is_some());
    assert!(
        refund["trained"]["first_ts"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );

    let out = w.root.join("with-model");
    let model = w.model();
    let decisions = replay(&w.events(), &out, &["--model", model.to_str().unwrap()]);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["model"].as_str().unwrap().contains("trees"));
    let refunds: Vec<&Value> = decisions
        .iter()
        .filter(|d| d["point"] == "refund")
        .collect();
    let flagged: Vec<&&Value> = refunds
        .iter()
        .filter(|d| d["decision"] != "approve")
        .collect();
    assert!(!flagged.is_empty());
    for d in &flagged {
        let reasons = d["reasons"].as_array().unwrap();
        assert!(!reasons.is_empty(), "{d}");
        for r in reasons {
            let detail = r["detail"].as_str().unwrap();
            assert!(!detail.is_empty() && !detail.contains("{}"), "{d}");
        }
    }
}

#[test]
fn a_decision_never_changes_when_later_events_are_appended() {
    let w = world();
    let text = std::fs::read_to_string(w.events()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines.len() * 3 / 5;
    let early = w.root.join("early.jsonl");
    std::fs::write(&early, lines[..cut].join("\n") + "\n").unwrap();
    let model = w.model();
    for extra in [vec![], vec!["--model", model.to_str().unwrap()]] {
        let full = replay(&w.events(), &w.root.join("full"), &extra);
        let part = replay(&early, &w.root.join("part"), &extra);
        let by_id: BTreeMap<(String, String), &Value> = full
            .iter()
            .map(|d| ((d["point"].to_string(), d["id"].to_string()), d))
            .collect();
        // Events may arrive a few minutes out of order, so the full run may apply an event
        // from beyond the cut before the last minutes of the cut file; decisions from hours
        // before the cut must be exactly the ones the full run made.
        let line_ts = |l: &str| -> String {
            let v: Value = serde_json::from_str(l).unwrap();
            v["ts"].as_str().unwrap().to_string()
        };
        let last_ts = line_ts(lines[cut - 2000]);
        let mut compared = 0;
        for d in &part {
            if d["ts"].as_str().unwrap() >= last_ts.as_str() {
                continue;
            }
            let twin = by_id[&(d["point"].to_string(), d["id"].to_string())];
            assert_eq!(
                d, twin,
                "decision changed when later events were appended ({extra:?})"
            );
            compared += 1;
        }
        assert!(compared > 1000, "only {compared} decisions compared");
    }
}

#[test]
fn shadow_rules_change_nothing_and_enforced_rules_do_with_their_reason_first() {
    let w = world();
    let rules = w.root.join("rules.toml");
    let write_rules = |mode: &str| {
        std::fs::write(
            &rules,
            format!(
                "[[rule]]\nid = \"deny_big\"\nwhen = \"amount_usd >= 500\"\naction = \"deny\"\nreason = \"big_refund_rule\"\ndetail = \"refunds of $500 or more are denied\"\nmode = \"{mode}\"\n"
            ),
        )
        .unwrap();
    };
    let plain = replay(&w.events(), &w.root.join("plain"), &[]);
    write_rules("shadow");
    let shadow = replay(
        &w.events(),
        &w.root.join("shadow"),
        &["--rules", rules.to_str().unwrap()],
    );
    assert_eq!(plain, shadow, "a shadow rule changed a decision");
    let hits = read_jsonl(&w.root.join("shadow/rules.jsonl"));
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h["mode"] == "shadow" && h["applied"] == false)
    );

    write_rules("enforce");
    let enforced = replay(
        &w.events(),
        &w.root.join("enforce"),
        &["--rules", rules.to_str().unwrap()],
    );
    let denied: Vec<&Value> = enforced
        .iter()
        .filter(|d| d["decision"] == "deny" && d["reasons"][0]["code"] == "big_refund_rule")
        .collect();
    assert_eq!(
        denied.len(),
        hits.len(),
        "every firing of the enforced rule denies"
    );
}

#[test]
fn a_broken_rule_is_rejected_at_load_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"ok\"\nwhen = \"amount_usd > 10\"\naction = \"hold\"\nreason = \"ok\"\n\n[[rule]]\nid = \"broken\"\nwhen = \"amount_usd >> 10\"\naction = \"hold\"\nreason = \"broken\"\n",
    )
    .unwrap();
    let out = bin()
        .args(["rules", "check", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules.toml:9:"), "{err}");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"typo\"\nwhen = \"amount_usdd > 10\"\naction = \"hold\"\nreason = \"typo\"\n",
    )
    .unwrap();
    let out = bin()
        .args(["rules", "check", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.toml:3:9") && err.contains("amount_usd"),
        "{err}"
    );
}

#[test]
fn rules_test_backtests_each_rule_against_labels() {
    let w = world();
    let rules = w.root.join("backtest.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"unscanned\"\nwhen = \"return_unscanned_days >= 3\"\naction = \"hold\"\nreason = \"unscanned\"\n\n[[rule]]\nid = \"everything\"\nwhen = \"amount_usd >= 0\"\naction = \"tag\"\ntag = \"all\"\nreason = \"all\"\nmode = \"shadow\"\n",
    )
    .unwrap();
    let out = run_ok(
        bin()
            .args(["rules", "test", "--rules"])
            .arg(&rules)
            .arg("--events")
            .arg(w.events())
            .arg("--labels")
            .arg(w.labels()),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = report["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    let all = &rules[1];
    assert_eq!(all["fired"], report["refunds"]);
    assert!((all["fraud_value_share"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    let unscanned = &rules[0];
    assert!(unscanned["precision"].as_f64().unwrap() > all["precision"].as_f64().unwrap());
}

#[test]
fn a_bad_model_or_policy_file_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("e.jsonl");
    std::fs::write(&events, "").unwrap();
    let model = dir.path().join("m.model");
    std::fs::write(&model, "{\"format\":\"clawback-model\",\"version\":99}").unwrap();
    let out = bin()
        .args(["replay", "--events"])
        .arg(&events)
        .arg("--out")
        .arg(dir.path().join("o"))
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m.model") && err.contains("99"), "{err}");

    let policy = dir.path().join("p.toml");
    std::fs::write(&policy, "[refund]\nhold_cost = 5\n").unwrap();
    let out = bin()
        .args(["replay", "--events"])
        .arg(&events)
        .arg("--out")
        .arg(dir.path().join("o"))
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("p.toml") && err.contains("hold_cost_usd"),
        "{err}"
    );
}

#[test]
fn docs_features_md_is_the_registry() {
    let out = run_ok(bin().arg("features"));
    let path = Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("../../docs/features.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &out.stdout).unwrap();
    }
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        doc,
        String::from_utf8(out.stdout).unwrap(),
        "docs/features.md is stale: run `UPDATE_DOCS=1 cargo test -p clawback --test refund docs_features`"
    );
}
