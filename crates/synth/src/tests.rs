//! Contract-level properties of the generated stream.

use super::*;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

type Res = Result<(), String>;

/// Every type of the contract except `label`, which an honest generator never writes.
const TYPES: &[&str] = &[
    "account_created",
    "account_updated",
    "login",
    "payment_method_added",
    "account_closed",
    "order_placed",
    "shipment_delivered",
    "return_requested",
    "return_label_created",
    "carrier_scan",
    "return_received",
    "refund_requested",
    "refund_issued",
    "chargeback",
    "support_contact",
    "employee_login",
    "employee_action",
    "data_access",
    "review_posted",
    "review_changed",
    "seller_message",
    "message_reported",
    "intel_post",
];

fn lines(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    generate(cfg, &mut |l| out.push(l.to_string()));
    out
}

/// One default run shared by the tests that only read it.
fn default_run() -> &'static [String] {
    static RUN: OnceLock<Vec<String>> = OnceLock::new();
    RUN.get_or_init(|| lines(&Config::default()))
}

fn object(line: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("not an object: {line}")),
        Err(e) => Err(format!("{e}: {line}")),
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses exactly the `YYYY-MM-DDTHH:MM:SSZ` shape the generator promises.
fn parse_ts(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, mo, d, h, mi, se) = (
        n(0..4)?,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + se)
}

#[test]
fn timestamps_round_trip_through_the_civil_calendar() -> Res {
    for t in (0..4_102_444_800i64).step_by(86_400 * 7 + 3_601) {
        let mut s = String::new();
        clock::push_ts(&mut s, t);
        if parse_ts(&s) != Some(t) {
            return Err(format!("{t} -> {s}"));
        }
    }
    Ok(())
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() -> Res {
    let cfg = Config {
        customers: 150,
        days: 10,
        employees: 6,
        ..Config::default()
    };
    let mut a = Vec::new();
    let mut b = Vec::new();
    write_jsonl(&cfg, &mut a).map_err(|e| e.to_string())?;
    write_jsonl(&cfg, &mut b).map_err(|e| e.to_string())?;
    assert!(!a.is_empty());
    assert!(a == b, "same config gave different output");
    let mut c = Vec::new();
    write_jsonl(&Config { seed: 1, ..cfg }, &mut c).map_err(|e| e.to_string())?;
    assert!(a != c, "different seeds gave the same output");
    Ok(())
}

#[test]
fn write_jsonl_is_generate_with_newlines() -> Res {
    let cfg = Config {
        customers: 60,
        days: 5,
        ..Config::default()
    };
    let mut bytes = Vec::new();
    let n = write_jsonl(&cfg, &mut bytes).map_err(|e| e.to_string())?;
    let mut expected = String::new();
    let m = generate(&cfg, &mut |l| {
        expected.push_str(l);
        expected.push('\n');
    });
    assert_eq!(n, m);
    assert!(bytes == expected.as_bytes());
    assert_eq!(expected.lines().count() as u64, n);
    Ok(())
}

#[test]
fn every_contract_type_appears_except_label() -> Res {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for l in default_run() {
        let o = object(l)?;
        let ty = o.get("type").and_then(Value::as_str).ok_or("no type")?;
        *counts.entry(ty.to_string()).or_default() += 1;
    }
    for ty in TYPES {
        assert!(
            counts.contains_key(*ty),
            "no {ty} in a default run: {counts:?}"
        );
    }
    assert!(!counts.contains_key("label"));
    assert_eq!(counts.len(), TYPES.len(), "unexpected types: {counts:?}");
    // Every customer signs up; the stream is dominated by shopping, not by employees.
    assert_eq!(counts.get("account_created"), Some(&2_000));
    let per_customer = default_run().len() as f64 / 2_000.0;
    assert!(
        (60.0..=120.0).contains(&per_customer),
        "{per_customer} events per customer"
    );
    Ok(())
}

#[test]
fn lines_have_the_envelope_and_unique_ids() -> Res {
    let cfg = Config::default();
    let end = cfg.start_unix + i64::from(cfg.days) * 86_400;
    let mut ids = BTreeSet::new();
    for l in default_run() {
        if l.contains('\n') {
            return Err(format!("embedded newline: {l}"));
        }
        let o = object(l)?;
        let id = o
            .get("event_id")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no event_id: {l}"))?;
        let ty = o
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no type: {l}"))?;
        assert!(TYPES.contains(&ty), "unknown type {ty}");
        let ts = o
            .get("ts")
            .and_then(Value::as_str)
            .and_then(parse_ts)
            .ok_or_else(|| format!("bad ts: {l}"))?;
        assert!(
            (cfg.start_unix..end).contains(&ts),
            "ts outside the period: {l}"
        );
        assert!(ids.insert(id.to_string()), "duplicate event_id {id}");
    }
    Ok(())
}

#[test]
fn disorder_is_bounded() -> Res {
    for (cfg, run) in [
        (Config::default(), default_run().to_vec()),
        (
            Config {
                customers: 300,
                disorder_secs: 0,
                seed: 5,
                ..Config::default()
            },
            Vec::new(),
        ),
        (
            Config {
                customers: 300,
                disorder_secs: 7_200,
                seed: 6,
                ..Config::default()
            },
            Vec::new(),
        ),
    ] {
        let run = if run.is_empty() { lines(&cfg) } else { run };
        let mut max_seen = i64::MIN;
        let mut late = 0usize;
        for l in &run {
            let o = object(l)?;
            let ts = o
                .get("ts")
                .and_then(Value::as_str)
                .and_then(parse_ts)
                .ok_or("bad ts")?;
            if ts < max_seen {
                late += 1;
                assert!(
                    max_seen - ts <= cfg.disorder_secs,
                    "{}s late (limit {}): {l}",
                    max_seen - ts,
                    cfg.disorder_secs
                );
            }
            max_seen = max_seen.max(ts);
        }
        if cfg.disorder_secs == 0 {
            assert_eq!(late, 0);
        } else {
            // Some disorder actually happens, but it is light.
            assert!(
                late > 0 && late < run.len() / 10,
                "{late} late lines of {}",
                run.len()
            );
        }
    }
    Ok(())
}

fn check_money(path: &str, v: &Value) -> Res {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "amount_minor" || k == "unit_price_minor" {
                    if x.as_u64().is_none() {
                        return Err(format!("{path}.{k} = {x} is not a non-negative integer"));
                    }
                } else {
                    check_money(&format!("{path}.{k}"), x)?;
                }
            }
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(|x| check_money(path, x)),
        _ => Ok(()),
    }
}

#[test]
fn money_is_non_negative_integers_and_orders_add_up() -> Res {
    for l in default_run() {
        let v: Value = serde_json::from_str(l).map_err(|e| e.to_string())?;
        check_money("", &v)?;
        if v["type"] == "order_placed" {
            let items = v["items"].as_array().ok_or("items")?;
            assert!((1..=5).contains(&items.len()));
            let sum: u64 = items
                .iter()
                .map(|it| {
                    it["unit_price_minor"].as_u64().unwrap_or(0)
                        * it["quantity"].as_u64().unwrap_or(0)
                })
                .sum();
            assert_eq!(Some(sum), v["amount_minor"].as_u64(), "{l}");
            let currency = v["currency"].as_str().ok_or("currency")?;
            let country = v["shipping_address"]["country"].as_str().ok_or("country")?;
            let expected = match country {
                "US" => "USD",
                "GB" => "GBP",
                "DE" | "FR" => "EUR",
                "CA" => "CAD",
                other => return Err(format!("unexpected country {other}")),
            };
            assert_eq!(currency, expected);
        }
    }
    Ok(())
}

#[test]
fn references_point_to_earlier_facts() -> Res {
    let parsed: Vec<Value> = default_run()
        .iter()
        .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    check_references(&parsed)?;
    // The gangs' claims obey the same causality.
    check_references(&labelled_run().0)
}

/// Returns, refunds and scans refer to orders, returns and refunds whose event time is
/// not later than theirs (emission order may differ by the bounded disorder).
fn check_references(parsed: &[Value]) -> Res {
    let ts = |v: &Value| v["ts"].as_str().and_then(parse_ts).unwrap_or(i64::MAX);
    let key = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let mut orders: BTreeMap<String, i64> = BTreeMap::new();
    let mut returns: BTreeMap<String, i64> = BTreeMap::new();
    let mut refunds: BTreeMap<String, i64> = BTreeMap::new();
    let mut return_parcels: BTreeSet<String> = BTreeSet::new();
    for v in parsed {
        match v["type"].as_str().unwrap_or_default() {
            "order_placed" => assert!(
                orders.insert(key(v, "order_id"), ts(v)).is_none(),
                "order id reused"
            ),
            "return_requested" => assert!(returns.insert(key(v, "return_id"), ts(v)).is_none()),
            "refund_requested" => assert!(refunds.insert(key(v, "refund_id"), ts(v)).is_none()),
            "return_label_created" => assert!(return_parcels.insert(key(v, "tracking_number"))),
            _ => {}
        }
    }
    let before = |m: &BTreeMap<String, i64>, v: &Value, k: &str| {
        m.get(&key(v, k)).is_some_and(|&t| t <= ts(v))
    };
    let mut outbound_scans = 0;
    for v in parsed {
        let ok = match v["type"].as_str().unwrap_or_default() {
            "shipment_delivered" | "chargeback" | "return_requested" | "refund_requested" => {
                before(&orders, v, "order_id")
            }
            "return_label_created" | "return_received" => before(&returns, v, "return_id"),
            "refund_issued" => before(&refunds, v, "refund_id"),
            "carrier_scan" => {
                if !return_parcels.contains(&key(v, "tracking_number")) {
                    outbound_scans += 1;
                }
                true
            }
            _ => true,
        };
        assert!(ok, "dangling or premature reference: {v}");
    }
    assert!(outbound_scans > 0, "outbound parcels are scanned too");
    Ok(())
}

#[test]
fn config_for_events_lands_near_the_target() {
    for target in [100_000u64, 20_000] {
        let cfg = config_for_events(3, target);
        assert_eq!(cfg.days, Config::default().days);
        let n = generate(&cfg, &mut |_| {});
        let ratio = n as f64 / target as f64;
        assert!((0.8..=1.2).contains(&ratio), "asked for {target}, got {n}");
    }
}

#[test]
fn tiny_and_empty_configs_work() {
    let none = Config {
        customers: 0,
        employees: 0,
        sellers: 0,
        days: 2,
        ..Config::default()
    };
    let n = generate(&none, &mut |l| assert!(l.contains("employee_")));
    assert!(n > 0);
    let zero_days = Config {
        days: 0,
        ..Config::default()
    };
    assert_eq!(generate(&zero_days, &mut |_| {}), 0);
    let one = Config {
        customers: 1,
        employees: 1,
        sellers: 1,
        days: 3,
        ..Config::default()
    };
    assert!(generate(&one, &mut |_| {}) > 0);
    for cfg in [none, zero_days, one] {
        let cfg = Config {
            refund_gangs: 2,
            ban_evasion: 2,
            phishing_campaigns: 2,
            data_selling: 2,
            stolen_credentials: 2,
            ..cfg
        };
        let (n, _) = generate_labelled(&cfg, &mut |_| {}, &mut |_| {});
        assert_eq!(n == 0, cfg.days == 0);
    }
    let few = Config {
        customers: 12,
        employees: 2,
        sellers: 1,
        days: 9,
        ..Config::default()
    }
    .with_schemes();
    assert_eq!(few.refund_gangs, 1);
    assert_eq!(
        (
            few.ban_evasion,
            few.phishing_campaigns,
            few.data_selling,
            few.stolen_credentials
        ),
        (1, 3, 1, 1)
    );
    assert!(generate_labelled(&few, &mut |_| {}, &mut |_| {}).1 > 12);
}

/// Throughput, for the record: `cargo test --release -p clawback-synth -- --ignored --nocapture`.
#[test]
#[ignore]
#[allow(clippy::print_stderr)]
fn throughput() {
    let cfg = config_for_events(1, 2_000_000);
    let t = std::time::Instant::now();
    let mut bytes = 0usize;
    let n = generate(&cfg, &mut |l| bytes += l.len());
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} events ({:.0} MB) from {} customers in {secs:.2}s: {:.0} events/s, {:.1} events/customer",
        bytes as f64 / 1e6,
        cfg.customers,
        n as f64 / secs,
        n as f64 / f64::from(cfg.customers)
    );
}

/// FNV-1a 64 over the bytes, with a newline after each line: a stable checksum that does
/// not depend on the standard library's hasher.
fn fnv1a(run: &[String]) -> (u64, u64) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut bytes = 0u64;
    for l in run {
        for &b in l.as_bytes().iter().chain(std::iter::once(&b'\n')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
            bytes += 1;
        }
    }
    (h, bytes)
}

#[test]
fn the_unlabelled_stream_is_unchanged_by_the_schemes() {
    // Checksums recorded from the generator before gangs and labels were added.
    let run = default_run();
    assert_eq!(run.len(), 140_059);
    assert_eq!(fnv1a(run), (0x853b_05a9_347f_d3a4, 33_630_230));
    let small = lines(&Config {
        seed: 7,
        customers: 300,
        days: 12,
        employees: 9,
        sellers: 8,
        disorder_secs: 600,
        ..Config::default()
    });
    assert_eq!(small.len(), 7_266);
    assert_eq!(fnv1a(&small), (0xa020_3acf_5520_5760, 1_768_332));
}

// ---------------------------------------------------------------------------------------
// Labelled runs

fn labelled(cfg: &Config) -> (Vec<String>, Vec<String>) {
    let mut events = Vec::new();
    let mut labels = Vec::new();
    let (n, m) = generate_labelled(cfg, &mut |l| events.push(l.to_string()), &mut |l| {
        labels.push(l.to_string())
    });
    assert_eq!(n as usize, events.len());
    assert_eq!(m as usize, labels.len());
    (events, labels)
}

/// One default labelled world (schemes on), shared by the tests that only read it.
fn labelled_run() -> &'static (Vec<Value>, Vec<Value>) {
    static RUN: OnceLock<(Vec<Value>, Vec<Value>)> = OnceLock::new();
    RUN.get_or_init(|| {
        let (e, l) = labelled(&Config::default().with_schemes());
        let parse = |v: Vec<String>| {
            v.iter()
                .map(|x| serde_json::from_str::<Value>(x).unwrap_or(Value::Null))
                .collect::<Vec<_>>()
        };
        (parse(e), parse(l))
    })
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

#[test]
fn labelled_output_is_deterministic_per_seed() -> Res {
    let cfg = Config {
        customers: 400,
        days: 20,
        employees: 10,
        ..Config::default()
    }
    .with_schemes();
    let a = labelled(&cfg);
    let b = labelled(&cfg);
    assert!(!a.0.is_empty() && !a.1.is_empty());
    assert!(a == b, "same config gave different labelled output");
    let c = labelled(&Config {
        seed: 9,
        ..cfg.clone()
    });
    assert!(
        a.0 != c.0 && a.1 != c.1,
        "different seeds gave the same output"
    );
    // The events of a labelled run are those of the plain run of the same config.
    assert!(lines(&cfg) == a.0);
    // And the writer form is the callback form with newlines.
    let (mut ev, mut lb) = (Vec::new(), Vec::new());
    let (n, m) = write_labelled(&cfg, &mut ev, &mut lb).map_err(|e| e.to_string())?;
    assert_eq!((n as usize, m as usize), (a.0.len(), a.1.len()));
    assert!(ev == (a.0.join("\n") + "\n").into_bytes());
    assert!(lb == (a.1.join("\n") + "\n").into_bytes());
    Ok(())
}

#[test]
fn label_lines_follow_the_contract() -> Res {
    let (events, labels) = labelled_run();
    let cfg = Config::default();
    let end = cfg.start_unix + i64::from(cfg.days) * 86_400;
    let mut ids: BTreeSet<&str> = events.iter().map(|e| s(e, "event_id")).collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    let mut seen = BTreeSet::new();
    for l in labels {
        let o = l.as_object().ok_or_else(|| format!("not an object: {l}"))?;
        let id = o
            .get("event_id")
            .and_then(Value::as_str)
            .ok_or("event_id")?;
        assert!(ids.insert(id), "label event_id {id} reused");
        assert_eq!(s(l, "type"), "label");
        let ts = o.get("ts").and_then(Value::as_str).and_then(parse_ts);
        assert!(
            ts.is_some_and(|t| (cfg.start_unix..=end).contains(&t)),
            "{l}"
        );
        let entity = s(l, "entity");
        assert!(
            ["refund", "account", "employee", "seller", "report", "order"].contains(&entity),
            "{l}"
        );
        let eid = o.get("id").and_then(Value::as_str).ok_or("id")?;
        assert!(!eid.is_empty() && eid.len() <= 128);
        assert!(["fraud", "legit"].contains(&s(l, "label")), "{l}");
        for k in ["kind", "group", "source"] {
            assert!(o.get(k).is_none_or(Value::is_string), "{l}");
        }
        assert!(seen.insert((entity, eid)), "two labels for {entity} {eid}");
    }
    // Every account, employee and reported message of the stream is labelled.
    let labelled: BTreeSet<(&str, &str)> = labels
        .iter()
        .map(|l| (s(l, "entity"), s(l, "id")))
        .collect();
    for e in events {
        let key = match s(e, "type") {
            "account_created" => ("account", s(e, "account_id")),
            "message_reported" => ("report", s(e, "report_id")),
            "employee_login" => ("employee", s(e, "employee_id")),
            _ => continue,
        };
        assert!(labelled.contains(&key), "no label for {key:?}");
    }
    Ok(())
}

#[test]
fn every_refund_has_exactly_one_label_and_some_are_fraud() {
    let (events, labels) = labelled_run();
    let refunds: Vec<&str> = events
        .iter()
        .filter(|e| s(e, "type") == "refund_requested")
        .map(|e| s(e, "refund_id"))
        .collect();
    let mut per: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for l in labels.iter().filter(|l| s(l, "entity") == "refund") {
        per.entry(s(l, "id")).or_default().push(l);
    }
    for r in &refunds {
        assert_eq!(per.get(r).map(Vec::len), Some(1), "refund {r}");
    }
    assert_eq!(
        per.len(),
        refunds.len(),
        "labels for refunds not in the stream"
    );
    let fraud: Vec<&&Value> = per
        .values()
        .flatten()
        .filter(|l| s(l, "label") == "fraud")
        .collect();
    let share = fraud.len() as f64 / refunds.len() as f64;
    assert!(
        (0.01..=0.25).contains(&share),
        "{} fraud refunds of {}",
        fraud.len(),
        refunds.len()
    );
    for l in &fraud {
        assert_eq!(s(l, "kind"), "refund_service");
        assert!(s(l, "group").starts_with("gang-"));
    }
    // Every gang's clients, insiders and vouched orders are labelled.
    let kinds: BTreeSet<(&str, &str, &str)> = labels
        .iter()
        .filter(|l| s(l, "label") == "fraud")
        .map(|l| (s(l, "entity"), s(l, "kind"), s(l, "group")))
        .collect();
    let gangs: BTreeSet<&str> = fraud.iter().map(|l| s(l, "group")).collect();
    assert_eq!(gangs.len(), 3, "{gangs:?}");
    for g in &gangs {
        assert!(kinds.contains(&("account", "refund_service", g)));
        assert!(kinds.contains(&("employee", "insider_collusion", g)));
    }
    assert!(kinds.iter().any(|k| k.0 == "report" && k.1 == "phishing"));
    assert!(
        labels
            .iter()
            .any(|l| s(l, "entity") == "report" && s(l, "label") == "legit")
    );
}

#[test]
fn gang_claims_come_from_operator_devices_not_the_clients() {
    let (events, labels) = labelled_run();
    let gang_of: BTreeMap<&str, &str> = labels
        .iter()
        .filter(|l| s(l, "entity") == "refund" && s(l, "label") == "fraud")
        .map(|l| (s(l, "id"), s(l, "group")))
        .collect();
    // Devices and phones each account used itself.
    let mut own: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut contacts: BTreeMap<&str, &Value> = BTreeMap::new();
    for e in events {
        match s(e, "type") {
            "account_created" | "login" | "order_placed" | "account_updated" => {
                let set = own.entry(s(e, "account_id")).or_default();
                for k in ["device_id", "phone"] {
                    if let Some(x) = e[k].as_str() {
                        set.insert(x);
                    }
                }
            }
            "support_contact" => {
                contacts.insert(s(e, "contact_id"), e);
            }
            _ => {}
        }
    }
    let mut per_gang: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut checked = 0;
    for e in events.iter().filter(|e| s(e, "type") == "refund_requested") {
        let Some(g) = gang_of.get(s(e, "refund_id")) else {
            continue;
        };
        let c = contacts
            .get(s(e, "contact_id"))
            .unwrap_or_else(|| panic!("gang refund without a contact: {e}"));
        let from = c["device_id"]
            .as_str()
            .or_else(|| c["caller_phone"].as_str())
            .unwrap_or_else(|| panic!("gang contact without device or phone: {c}"));
        let client = s(e, "account_id");
        assert!(
            !own.get(client).is_some_and(|set| set.contains(from)),
            "gang contact from the client's own {from}"
        );
        per_gang.entry(g).or_default().insert(from);
        checked += 1;
    }
    assert!(checked > 0);
    // A gang works from a handful of devices and phones, shared over many claims.
    for (g, from) in &per_gang {
        assert!((1..=10).contains(&from.len()), "{g}: {from:?}");
    }
}

#[test]
fn gang_orders_are_high_value_retailer_orders_and_vouches_show_them() {
    let (events, labels) = labelled_run();
    let fraud_orders: BTreeSet<&str> = {
        let fraud: BTreeSet<&str> = labels
            .iter()
            .filter(|l| s(l, "entity") == "refund" && s(l, "label") == "fraud")
            .map(|l| s(l, "id"))
            .collect();
        events
            .iter()
            .filter(|e| s(e, "type") == "refund_requested" && fraud.contains(s(e, "refund_id")))
            .map(|e| s(e, "order_id"))
            .collect()
    };
    for e in events
        .iter()
        .filter(|e| s(e, "type") == "order_placed" && fraud_orders.contains(s(e, "order_id")))
    {
        let items = e["items"].as_array().map(Vec::as_slice).unwrap_or_default();
        assert!((1..=5).contains(&items.len()));
        for it in items {
            assert_eq!(s(it, "fulfilled_by"), "retailer");
            assert!(
                ["electronics", "computers", "video_games", "phones"].contains(&s(it, "category"))
            );
        }
    }
    let posts: BTreeMap<&str, &str> = events
        .iter()
        .filter(|e| s(e, "type") == "intel_post")
        .map(|e| (s(e, "post_id"), s(e, "text")))
        .collect();
    let mut gang_mentions = 0;
    for l in labels.iter().filter(|l| s(l, "entity") == "order") {
        assert_eq!(s(l, "kind"), "intel_mentioned");
        let text = posts.get(s(l, "group")).copied().unwrap_or_default();
        let id = s(l, "id");
        let tail = id.get(11..).unwrap_or(id);
        assert!(
            text.contains(tail),
            "post {} does not show {id}",
            s(l, "group")
        );
        if s(l, "label") == "fraud" {
            assert!(
                fraud_orders.contains(id),
                "vouched order {id} was not a gang refund"
            );
            gang_mentions += 1;
        }
    }
    assert!(gang_mentions > 0);
}

/// The scheme's size in a default labelled world:
/// `cargo test -p clawback-synth -- --ignored --nocapture scheme_stats`.
#[test]
#[ignore]
#[allow(clippy::print_stderr)]
fn scheme_stats() {
    let (events, labels) = labelled_run();
    let mut count: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for l in labels {
        *count
            .entry((
                s(l, "entity").into(),
                s(l, "label").into(),
                s(l, "kind").into(),
            ))
            .or_default() += 1;
    }
    let fraud: BTreeMap<&str, &str> = labels
        .iter()
        .filter(|l| s(l, "entity") == "refund" && s(l, "label") == "fraud")
        .map(|l| (s(l, "id"), s(l, "group")))
        .collect();
    let mut value: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for e in events.iter().filter(|e| s(e, "type") == "refund_requested") {
        if let Some(g) = fraud.get(s(e, "refund_id")) {
            *value.entry((g, s(e, "currency"))).or_default() +=
                e["amount_minor"].as_i64().unwrap_or(0);
        }
    }
    let mut posts = BTreeSet::new();
    for l in labels
        .iter()
        .filter(|l| s(l, "entity") == "order" && s(l, "label") == "fraud")
    {
        posts.insert(s(l, "group"));
    }
    eprintln!("events {} labels {}", events.len(), labels.len());
    for (k, n) in &count {
        eprintln!("{k:?}: {n}");
    }
    eprintln!("fraud value by gang and currency: {value:?}");
    eprintln!("gang vouch posts: {}", posts.len());
}

/// Writes a labelled world for checks with the workspace's tools:
/// `CLAWBACK_SYNTH_OUT=/tmp/w cargo test -p clawback-synth -- --ignored write_labelled_world`
/// writes `/tmp/w.jsonl` and `/tmp/w.labels.jsonl`.
#[test]
#[ignore]
fn write_labelled_world() -> Res {
    let base = std::env::var("CLAWBACK_SYNTH_OUT").unwrap_or_else(|_| "/tmp/synth".into());
    let customers = std::env::var("CLAWBACK_SYNTH_CUSTOMERS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2_000);
    let cfg = Config {
        customers,
        employees: (customers / 50).max(1),
        sellers: (customers / 40).max(1),
        ..Config::default()
    }
    .with_schemes();
    let mut ev = std::io::BufWriter::new(
        std::fs::File::create(format!("{base}.jsonl")).map_err(|e| e.to_string())?,
    );
    let mut lb = std::io::BufWriter::new(
        std::fs::File::create(format!("{base}.labels.jsonl")).map_err(|e| e.to_string())?,
    );
    write_labelled(&cfg, &mut ev, &mut lb).map_err(|e| e.to_string())?;
    std::io::Write::flush(&mut ev).map_err(|e| e.to_string())?;
    std::io::Write::flush(&mut lb).map_err(|e| e.to_string())?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Ban evasion

fn norm_email(e: &str) -> String {
    let e = e.to_ascii_lowercase();
    let (local, domain) = e.split_once('@').unwrap_or((&e, ""));
    let local = local.split('+').next().unwrap_or(local);
    if domain == "gmail.com" || domain == "googlemail.com" {
        format!("{}@gmail.com", local.replace('.', ""))
    } else {
        format!("{local}@{domain}")
    }
}

fn norm_phone(p: &str) -> String {
    let d: String = p.chars().filter(char::is_ascii_digit).collect();
    d[d.len().saturating_sub(9)..].to_string()
}

/// Country, postal code (without spaces, case or ZIP+4) and house number.
fn norm_address(a: &Value) -> Option<String> {
    let postal = a["postal_code"]
        .as_str()?
        .to_ascii_lowercase()
        .replace(' ', "");
    let postal = postal.split('-').next().unwrap_or_default().to_string();
    let number: String = a["line1"]
        .as_str()?
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    Some(format!("{}|{postal}|{number}", s(a, "country")))
}

/// Identifiers each account showed: normalised email, phone, address, devices and cards.
fn identifiers(events: &[Value]) -> BTreeMap<&str, BTreeSet<String>> {
    let mut ids: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for e in events {
        let t = s(e, "type");
        if ![
            "account_created",
            "payment_method_added",
            "login",
            "order_placed",
        ]
        .contains(&t)
        {
            continue;
        }
        let set = ids.entry(s(e, "account_id")).or_default();
        if let Some(x) = e["email"].as_str() {
            set.insert(format!("email:{}", norm_email(x)));
        }
        if let Some(x) = e["phone"].as_str() {
            set.insert(format!("phone:{}", norm_phone(x)));
        }
        if let Some(x) = e["device_id"].as_str() {
            set.insert(format!("device:{x}"));
        }
        if let Some(x) = e["payment_fingerprint"].as_str() {
            set.insert(format!("card:{x}"));
        }
        if t == "account_created"
            && let Some(a) = norm_address(&e["address"])
        {
            set.insert(format!("address:{a}"));
        }
    }
    ids
}

#[test]
fn evaders_come_back_with_an_identifier_of_their_banned_account() {
    let (events, labels) = labelled_run();
    let ids = identifiers(events);
    let banned: BTreeMap<&str, i64> = events
        .iter()
        .filter(|e| s(e, "type") == "account_closed" && s(e, "by") == "retailer")
        .map(|e| (s(e, "account_id"), parse_ts(s(e, "ts")).unwrap_or(0)))
        .collect();
    let created: BTreeMap<&str, i64> = events
        .iter()
        .filter(|e| s(e, "type") == "account_created")
        .map(|e| (s(e, "account_id"), parse_ts(s(e, "ts")).unwrap_or(0)))
        .collect();
    let mut evaders = 0;
    let mut kinds = BTreeSet::new();
    for l in labels.iter().filter(|l| s(l, "kind") == "ban_evasion") {
        assert_eq!((s(l, "entity"), s(l, "label")), ("account", "fraud"));
        let (new, old) = (s(l, "id"), s(l, "group"));
        let closed = banned.get(old).copied();
        assert!(closed.is_some(), "{old} was not banned by the retailer");
        assert!(
            created.get(new).copied() > closed,
            "{new} opened before the ban"
        );
        let shared: Vec<&String> = ids[new].intersection(&ids[old]).collect();
        assert!(!shared.is_empty(), "{new} shares nothing with {old}");
        for x in shared {
            kinds.insert(x.split(':').next().unwrap_or_default().to_string());
        }
        evaders += 1;
    }
    assert!(evaders >= 5, "{evaders} evaders");
    assert!(kinds.len() >= 4, "{kinds:?}");
    // Honest look-alikes: legit accounts opened after a ban that share something with it.
    let legit: BTreeSet<&str> = labels
        .iter()
        .filter(|l| s(l, "entity") == "account" && s(l, "label") == "legit")
        .map(|l| s(l, "id"))
        .collect();
    let lookalikes = created
        .iter()
        .filter(|(a, t)| {
            legit.contains(*a)
                && banned.iter().any(|(b, bt)| {
                    *bt < **t
                        && ids
                            .get(b)
                            .zip(ids.get(*a))
                            .is_some_and(|(x, y)| !x.is_disjoint(y))
                })
        })
        .count();
    assert!(lookalikes >= 2, "{lookalikes} honest look-alikes");
}

// ---------------------------------------------------------------------------------------
// Phishing campaigns

#[test]
fn every_fraud_report_belongs_to_a_campaign() {
    let (events, labels) = labelled_run();
    let reports: BTreeMap<&str, &Value> = events
        .iter()
        .filter(|e| s(e, "type") == "message_reported")
        .map(|e| (s(e, "report_id"), e))
        .collect();
    let mut per: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    let mut legit = 0;
    for l in labels.iter().filter(|l| s(l, "entity") == "report") {
        assert!(reports.contains_key(s(l, "id")));
        if s(l, "label") == "legit" {
            legit += 1;
            continue;
        }
        assert_eq!(s(l, "kind"), "phishing");
        let g = s(l, "group");
        assert!(
            g.starts_with("campaign-"),
            "fraud report without a campaign: {l}"
        );
        per.entry(g).or_default().push(reports[s(l, "id")]);
    }
    assert!(legit > 0, "genuine messages reported anyway");
    assert!((3..=6).contains(&per.len()), "{} campaigns", per.len());
    let (mut punycode, mut shortened) = (false, false);
    let mut langs = BTreeSet::new();
    let mut domains_of: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (g, rs) in &per {
        assert!(rs.len() >= 5, "{g}: {} reports", rs.len());
        for r in rs {
            for u in r["urls"].as_array().into_iter().flatten() {
                let host = u
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("https://")
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                punycode |= host.starts_with("xn--");
                shortened |= ["bit.ly", "tinyurl.com", "t.ly", "cutt.ly"].contains(&host.as_str());
                domains_of.entry(g).or_default().insert(host);
            }
            let t = s(r, "text");
            if ["Ihr", "Ihre", "Bestellung", "Anrufer", "Hallo"]
                .iter()
                .any(|w| t.contains(w))
            {
                langs.insert("de");
            }
            if ["Votre", "votre", "Bonjour", "L'appelant"]
                .iter()
                .any(|w| t.contains(w))
            {
                langs.insert("fr");
            }
            if ["Your", "your", "Dear", "Caller"]
                .iter()
                .any(|w| t.contains(w))
            {
                langs.insert("en");
            }
        }
    }
    assert!(
        punycode && shortened,
        "punycode {punycode}, shortener {shortened}"
    );
    for l in ["en", "fr", "de"] {
        assert!(langs.contains(l), "no {l} texts: {langs:?}");
    }
    // Campaigns keep to their own domains.
    let all: Vec<&BTreeSet<String>> = domains_of.values().collect();
    for (a, x) in all.iter().enumerate() {
        for y in &all[a + 1..] {
            assert!(x.is_disjoint(y), "campaigns share a domain: {x:?} {y:?}");
        }
    }
    // Volume spikes over the sales event: the busiest day has several times the median.
    let mut per_day: BTreeMap<i64, u32> = BTreeMap::new();
    for rs in per.values() {
        for r in rs {
            *per_day
                .entry(parse_ts(s(r, "ts")).unwrap_or(0) / 86_400)
                .or_default() += 1;
        }
    }
    let mut counts: Vec<u32> = per_day.values().copied().collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    let max = counts[counts.len() - 1];
    assert!(max >= 4 * median.max(1), "max {max}, median {median}");
}

// ---------------------------------------------------------------------------------------
// Data selling

#[test]
fn data_selling_lookups_have_no_ticket_and_precede_the_sellers_messages() {
    let (events, labels) = labelled_run();
    let mut rings: BTreeMap<&str, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
    for l in labels.iter().filter(|l| s(l, "kind") == "data_selling") {
        assert_eq!(s(l, "label"), "fraud");
        let r = rings.entry(s(l, "group")).or_default();
        match s(l, "entity") {
            "employee" => r.0.insert(s(l, "id")),
            "seller" => r.1.insert(s(l, "id")),
            other => panic!("data_selling label on {other}"),
        };
    }
    assert!(!rings.is_empty());
    let ts = |e: &Value| parse_ts(s(e, "ts")).unwrap_or(0);
    for (g, (emps, sellers)) in &rings {
        assert!((1..=2).contains(&emps.len()), "{g}: {emps:?}");
        assert_eq!(sellers.len(), 1, "{g}: {sellers:?}");
        // Accounts that gave the seller 1-2 stars.
        let low: BTreeSet<&str> = events
            .iter()
            .filter(|e| {
                s(e, "type") == "review_posted"
                    && sellers.contains(s(e, "seller_id"))
                    && e["rating"].as_i64().is_some_and(|r| r <= 2)
            })
            .map(|e| s(e, "account_id"))
            .collect();
        // First ticketless contact look-up of each of those accounts by the ring's agents.
        let mut looked: BTreeMap<&str, i64> = BTreeMap::new();
        let mut exports = 0;
        for e in events.iter().filter(|e| {
            s(e, "type") == "data_access"
                && emps.contains(s(e, "employee_id"))
                && ["reviewer_contact", "contact_details"].contains(&s(e, "resource"))
        }) {
            let accts: Vec<&str> = e["account_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !accts.iter().all(|a| low.contains(a)) {
                continue; // honest work
            }
            assert!(e["ticket_id"].is_null(), "ring look-up with a ticket: {e}");
            exports += usize::from(e["export"] == Value::Bool(true));
            for a in accts {
                let t = looked.entry(a).or_insert(i64::MAX);
                *t = (*t).min(ts(e));
            }
        }
        assert!(
            looked.len() >= 5,
            "{g}: {} accounts looked up",
            looked.len()
        );
        assert!(exports > 0, "{g}: no exports");
        // The seller's messages to those accounts come after the look-up.
        let mut messaged = 0;
        for e in events.iter().filter(|e| {
            s(e, "type") == "seller_message"
                && sellers.contains(s(e, "seller_id"))
                && looked.contains_key(s(e, "account_id"))
        }) {
            let t = s(e, "text");
            if [
                "update or remove",
                "review is updated",
                "change your rating",
                "edit the review",
            ]
            .iter()
            .any(|w| t.contains(w))
            {
                assert!(
                    looked[s(e, "account_id")] < ts(e),
                    "message before look-up: {e}"
                );
                messaged += 1;
            }
        }
        assert!(messaged >= 3, "{g}: {messaged} messages");
    }
    assert!(
        events
            .iter()
            .any(|e| s(e, "type") == "review_changed" && e["rating"].as_i64() >= Some(4))
    );
}

// ---------------------------------------------------------------------------------------
// Stolen credentials, and all schemes together

#[test]
fn misused_credentials_log_in_from_devices_the_employee_never_used() {
    let (events, labels) = labelled_run();
    let victims: BTreeMap<&str, &str> = labels
        .iter()
        .filter(|l| s(l, "kind") == "credential_misuse")
        .map(|l| {
            assert_eq!((s(l, "entity"), s(l, "label")), ("employee", "fraud"));
            (s(l, "id"), s(l, "group"))
        })
        .collect();
    assert!(!victims.is_empty());
    let fraud_refunds: BTreeSet<&str> = labels
        .iter()
        .filter(|l| s(l, "entity") == "refund" && s(l, "label") == "fraud")
        .map(|l| s(l, "id"))
        .collect();
    let ts = |e: &Value| parse_ts(s(e, "ts")).unwrap_or(0);
    let mut sorted: Vec<&Value> = events.iter().collect();
    sorted.sort_by_key(|e| ts(e));
    for (emp, gang) in &victims {
        // Each device's first login by the employee: (time, success, devices used before).
        let mut first: BTreeMap<&str, (i64, bool, usize)> = BTreeMap::new();
        let mut own: Option<&str> = None;
        let mut session = "";
        let mut acts = 0;
        for e in sorted.iter().filter(|e| s(e, "employee_id") == *emp) {
            match s(e, "type") {
                "employee_login" => {
                    let dev = s(e, "device_id");
                    let known = first.len();
                    first
                        .entry(dev)
                        .or_insert((ts(e), e["success"] == Value::Bool(true), known));
                    own.get_or_insert(dev);
                    if e["success"] == Value::Bool(true) {
                        session = dev;
                    }
                }
                "employee_action" if fraud_refunds.contains(s(e, "refund_id")) => {
                    let (_, ok_first, known) = first.get(session).copied().unwrap_or_default();
                    assert!(
                        !session.is_empty() && Some(session) != own,
                        "{emp} ({gang}) approved {} from its own device {session}",
                        s(e, "refund_id")
                    );
                    assert!(known > 0, "{session} was the first device {emp} ever used");
                    assert!(
                        !ok_first,
                        "{session} first used by {emp} without failed attempts"
                    );
                    acts += 1;
                }
                _ => {}
            }
        }
        assert!(acts > 0, "{emp}: no illicit acts");
    }
}

#[test]
fn every_label_kind_is_present_with_the_schemes_on() {
    let (_, labels) = labelled_run();
    let kinds: BTreeSet<&str> = labels
        .iter()
        .filter(|l| s(l, "label") == "fraud")
        .map(|l| s(l, "kind"))
        .collect();
    for k in [
        "refund_service",
        "insider_collusion",
        "data_selling",
        "ban_evasion",
        "phishing",
        "intel_mentioned",
        "credential_misuse",
    ] {
        assert!(kinds.contains(k), "no {k} label: {kinds:?}");
    }
    // Every employee has one role at most: insiders, data sellers and victims differ.
    let mut seen = BTreeSet::new();
    for l in labels.iter().filter(|l| s(l, "entity") == "employee") {
        assert!(seen.insert(s(l, "id")));
    }
}

#[test]
fn the_labelled_world_is_unchanged_by_default_rates() {
    // Checksums recorded before the rates became configurable: default rates must keep
    // the labelled output byte for byte.
    let (e, l) = labelled(&Config::default().with_schemes());
    assert_eq!(e.len(), 142_778);
    assert_eq!(fnv1a(&e), (12_759_582_714_604_703_451, 34_348_621));
    assert_eq!(l.len(), 3_980);
    assert_eq!(fnv1a(&l), (12_880_417_155_120_327_954, 539_764));
    let cfg = Config {
        seed: 7,
        ..Config::default()
    }
    .sized(600, 20)
    .with_schemes();
    let (e, l) = labelled(&cfg);
    assert_eq!(e.len(), 25_044);
    assert_eq!(fnv1a(&e), (7_337_521_229_029_807_666, 6_053_637));
    assert_eq!(l.len(), 877);
    assert_eq!(fnv1a(&l), (14_145_239_350_511_812_836, 117_820));
}

// ---------------------------------------------------------------------------------------
// Configurable rates

#[test]
fn config_round_trips_through_serde() -> Res {
    let mut cfg = Config {
        seed: 3,
        ..Config::default()
    }
    .sized(5_000, 60)
    .with_schemes();
    cfg.refund_gangs = 8;
    cfg.rates.return_share = 0.15;
    cfg.rates.gang_claim_weights = [1, 2, 3, 4, 5];
    let json = serde_json::to_string(&cfg).map_err(|e| e.to_string())?;
    let back: Config = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if back != cfg {
        return Err(format!("{back:?} != {cfg:?}"));
    }
    // Absent fields take their defaults; unknown ones are refused.
    let partial: Config =
        serde_json::from_str(r#"{"seed": 3, "days": 60, "rates": {"return_share": 0.15}}"#)
            .map_err(|e| e.to_string())?;
    let want = Config {
        seed: 3,
        days: 60,
        rates: Rates {
            return_share: 0.15,
            ..Rates::default()
        },
        ..Config::default()
    };
    if partial != want {
        return Err(format!("{partial:?} != {want:?}"));
    }
    for bad in [r#"{"sed": 3}"#, r#"{"rates": {"return_shar": 0.1}}"#] {
        if serde_json::from_str::<Config>(bad).is_ok() {
            return Err(format!("accepted {bad}"));
        }
    }
    Ok(())
}

/// Share of placed orders that get a return request.
fn return_rate(events: &[Value]) -> f64 {
    let orders = events
        .iter()
        .filter(|e| s(e, "type") == "order_placed")
        .count();
    let returned: BTreeSet<&str> = events
        .iter()
        .filter(|e| s(e, "type") == "return_requested")
        .map(|e| s(e, "order_id"))
        .collect();
    returned.len() as f64 / orders.max(1) as f64
}

fn parsed(v: &[String]) -> Vec<Value> {
    v.iter()
        .map(|x| serde_json::from_str::<Value>(x).unwrap_or(Value::Null))
        .collect()
}

/// Fraud refunds and all refunds, from the labels.
fn fraud_refunds(labels: &[Value]) -> (usize, usize) {
    let refunds: Vec<&Value> = labels
        .iter()
        .filter(|l| s(l, "entity") == "refund")
        .collect();
    let fraud = refunds.iter().filter(|l| s(l, "label") == "fraud").count();
    (fraud, refunds.len())
}

#[test]
fn changing_a_rate_moves_the_world_the_expected_way() {
    let base = Config {
        seed: 11,
        ..Config::default()
    }
    .sized(800, 20);
    let plain = return_rate(&parsed(&lines(&base)));
    let mut doubled = base.clone();
    doubled.rates.return_share *= 2.0;
    let more = return_rate(&parsed(&lines(&doubled)));
    assert!(more > plain * 1.5, "return rate {plain} -> {more}");

    let few = Config {
        refund_gangs: 1,
        ..base.clone().with_schemes()
    };
    let many = Config {
        refund_gangs: 6,
        ..few.clone()
    };
    let (f1, _) = fraud_refunds(&parsed(&labelled(&few).1));
    let (f6, _) = fraud_refunds(&parsed(&labelled(&many).1));
    // The clients are shared out among the gangs (each gang's size scales with
    // customers / gangs), so more gangs add fraud only through more operators and insiders.
    assert!(f6 > f1, "fraud refunds {f1} -> {f6}");

    let mut bigger = few.clone();
    bigger.rates.gang_clients_min = 80;
    bigger.rates.gang_clients_max = 120;
    let (fb, _) = fraud_refunds(&parsed(&labelled(&bigger).1));
    assert!(fb > f1 * 2, "fraud refunds with bigger gangs {f1} -> {fb}");
}

#[test]
#[allow(clippy::print_stderr)]
fn basic_rates_of_the_default_labelled_world() {
    let (events, labels) = labelled_run();
    // Return rate of orders.
    let rr = return_rate(events);
    // Fraud share of refunds.
    let (fraud, refunds) = fraud_refunds(labels);
    let fraud_share = fraud as f64 / refunds.max(1) as f64;
    // A bribed insider's share of illicit acts among their own approvals.
    let bad: BTreeSet<&str> = labels
        .iter()
        .filter(|l| s(l, "entity") == "refund" && s(l, "label") == "fraud")
        .map(|l| s(l, "id"))
        .collect();
    let insiders: BTreeSet<&str> = labels
        .iter()
        .filter(|l| s(l, "entity") == "employee" && s(l, "kind") == "insider_collusion")
        .map(|l| s(l, "id"))
        .collect();
    let mut approvals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for e in events.iter().filter(|e| {
        s(e, "type") == "employee_action"
            && s(e, "action") == "approve_refund"
            && insiders.contains(s(e, "employee_id"))
    }) {
        let a = approvals.entry(s(e, "employee_id")).or_default();
        a.1 += 1;
        if bad.contains(s(e, "refund_id")) {
            a.0 += 1;
        }
    }
    let (ill, all) = approvals
        .values()
        .fold((0, 0), |(x, y), &(a, b)| (x + a, y + b));
    let insider_share = ill as f64 / all.max(1) as f64;
    eprintln!(
        "return rate {rr:.4}, fraud share of refunds {fraud_share:.4} ({fraud}/{refunds}), \
         insider illicit share {insider_share:.4} ({ill}/{all}) per insider {approvals:?}"
    );
    // Measured at the time of writing: 0.0869, 0.1250 (148 / 1,184) and 0.64 (21 / 33,
    // two bribed agents with 10 / 16 and 11 / 17).
    assert!((0.06..0.12).contains(&rr), "return rate {rr}");
    assert!(
        (0.05..0.25).contains(&fraud_share),
        "fraud share {fraud_share}"
    );
    assert!(all >= 10, "bribed insiders approved only {all} refunds");
    assert!(
        (0.4..0.9).contains(&insider_share),
        "insider share {insider_share}"
    );
    for (e, &(a, b)) in &approvals {
        let x = a as f64 / b as f64;
        assert!((0.25..0.95).contains(&x), "{e}: {a} / {b}");
    }
}
