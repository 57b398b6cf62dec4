use super::*;
use proptest::prelude::*;

fn schema() -> Schema {
    let v = |n: &str, t: VarType| (n.to_string(), t, format!("{n} (test)"));
    Schema::new(vec![
        v("amount_usd", VarType::Number),
        v("score", VarType::Number),
        v("account_age_days", VarType::Number),
        v("return_label_age_days", VarType::Number),
        v("return_carrier_scanned", VarType::Bool),
        v("reason", VarType::String),
        v("channel", VarType::String),
    ])
}

/// One rule with `when` written as the TOML value `when_toml` (quotes included), on line 3.
fn one(when_toml: &str) -> String {
    format!(
        "[[rule]]\nid = \"r1\"\nwhen = {when_toml}\naction = \"hold\"\nreason = \"r1_reason\"\n"
    )
}

fn err(src: &str) -> RulesError {
    match RuleSet::parse(src, "rules.toml", &schema()) {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => e,
    }
}

fn ok(src: &str) -> RuleSet {
    match RuleSet::parse(src, "rules.toml", &schema()) {
        Ok(r) => r,
        Err(e) => panic!("unexpected error: {e}\n{src}"),
    }
}

fn at(e: &RulesError) -> (usize, usize) {
    (e.line(), e.column())
}

#[test]
fn unknown_variable_display_and_position() {
    let e = err(&one("\"amount_usdd >= 1000.0\""));
    assert!(matches!(e, RulesError::UnknownVariable { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 9));
    assert_eq!(e.rule_id(), Some("r1"));
    assert_eq!(
        e.to_string(),
        "rules.toml:3:9: rule `r1`: unknown variable `amount_usdd` (did you mean `amount_usd`?)"
    );
    // Later in the expression.
    let e = err(&one("\"score > 0.5 && chanel == 'web'\""));
    assert_eq!(at(&e), (3, 24));
    assert!(e.to_string().contains("did you mean `channel`"), "{e}");
}

#[test]
fn syntax_error_in_basic_string_with_escapes() {
    // when = "reason == \"x\" && )"  -> the `)` is at column 29.
    let e = err(&one(r#""reason == \"x\" && )""#));
    assert!(matches!(e, RulesError::Syntax { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 28));
    assert_eq!(
        e.to_string(),
        "rules.toml:3:28: rule `r1`: syntax error in `when`: mismatched input ')' \
         (check brackets, quotes and operators; see examples/rules.toml)"
    );
}

#[test]
fn syntax_error_in_literal_string() {
    let e = err(&one("'score > 0.5 & 1'"));
    assert!(matches!(e, RulesError::Syntax { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 21));
}

#[test]
fn syntax_error_in_multiline_string() {
    let src = one("\"\"\"\nscore > 0.5 &&\n  amount_usd >> 3\n\"\"\"");
    let e = err(&src);
    assert!(matches!(e, RulesError::Syntax { .. }), "{e:?}");
    assert_eq!(at(&e), (5, 15));
    // Unknown variable on the second line of a multi-line string.
    let e = err(&one("'''\nscore > 0.5 &&\n  amount > 3'''"));
    assert!(matches!(e, RulesError::UnknownVariable { .. }), "{e:?}");
    assert_eq!(at(&e), (5, 3));
}

#[test]
fn unicode_before_the_error_counts_characters() {
    let e = err(&one("\"reason == 'é' && nope\""));
    assert!(matches!(e, RulesError::UnknownVariable { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 26));
}

#[test]
fn toml_syntax_error() {
    let e = err("[[rule]]\nid = \"r1\"\nwhen = \"score > 1\naction = \"hold\"\n");
    assert!(matches!(e, RulesError::Toml { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 18));
    let e = err("[[rule]]\nid = 5\n");
    assert!(matches!(e, RulesError::Toml { .. }), "{e:?}");
    assert_eq!(at(&e), (2, 6));
}

#[test]
fn unknown_key_is_a_toml_error() {
    let e = err("[[rule]]\nid = \"r1\"\nmodee = \"shadow\"\n");
    assert!(matches!(e, RulesError::Toml { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 1));
}

#[test]
fn unknown_function() {
    let e = err(&one("\"lower(channel) == 'web'\""));
    assert!(matches!(e, RulesError::UnknownFunction { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 9));
    let e = err(&one("\"channel.startWith('w')\""));
    assert!(matches!(e, RulesError::UnknownFunction { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 17));
    assert!(e.to_string().contains("did you mean `startsWith`"), "{e}");
    // Macros are not expanded: no loops.
    let e = err(&one("\"[1, 2].exists(x, x > score)\""));
    assert_eq!(at(&e), (3, 16));
    // Conversions and other stdlib functions are not on the list.
    let e = err(&one("\"int(score) > 1\""));
    assert!(matches!(e, RulesError::UnknownFunction { .. }), "{e:?}");
}

#[test]
fn matches_and_field_access_are_not_allowed() {
    let e = err(&one("\"channel.matches('^w')\""));
    assert!(matches!(e, RulesError::NotAllowed { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 17));
    let e = err(&one("\"channel.x == 'a'\""));
    assert!(matches!(e, RulesError::NotAllowed { .. }), "{e:?}");
    let e = err(&one("\"{'a': 1}['a'] == 1\""));
    assert!(matches!(e, RulesError::NotAllowed { .. }), "{e:?}");
    let e = err(&one("\"amount_usd % 2 == 0\""));
    assert!(matches!(e, RulesError::NotAllowed { .. }), "{e:?}");
    let e = err(&one("\"channel in [reason]\""));
    assert!(matches!(e, RulesError::NotAllowed { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 21));
}

#[test]
fn type_errors() {
    let e = err(&one("\"channel > 5\""));
    assert!(matches!(e, RulesError::Type { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 17));
    let e = err(&one("\"amount_usd + 1\""));
    assert!(matches!(e, RulesError::Type { .. }), "{e:?}");
    assert!(e.to_string().contains("must be true or false"), "{e}");
    let e = err(&one("\"amount_usd > null\""));
    assert!(matches!(e, RulesError::Type { .. }), "{e:?}");
    let e = err(&one("\"score && true\""));
    assert!(matches!(e, RulesError::Type { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 9));
    let e = err(&one("\"channel in ['web', 1]\""));
    assert_eq!(at(&e), (3, 28));
}

#[test]
fn unknown_action_tag_and_mode() {
    let base = "[[rule]]\nid = \"r1\"\nwhen = \"score > 0.5\"\nreason = \"x\"\n";
    let e = err(&format!("{base}action = \"hodl\"\n"));
    assert!(matches!(e, RulesError::UnknownAction { .. }), "{e:?}");
    assert_eq!(at(&e), (5, 10));
    assert!(e.to_string().contains("did you mean `hold`"), "{e}");

    let e = err(&format!("{base}action = \"tag\"\n"));
    assert!(matches!(e, RulesError::TagMissing { .. }), "{e:?}");
    assert_eq!(at(&e), (5, 10));

    let e = err(&format!("{base}action = \"deny\"\ntag = \"t\"\n"));
    assert!(matches!(e, RulesError::TagNotAllowed { .. }), "{e:?}");
    assert_eq!(at(&e), (6, 7));

    let e = err(&format!("{base}action = \"deny\"\nmode = \"dry_run\"\n"));
    assert!(matches!(e, RulesError::BadMode { .. }), "{e:?}");
    assert_eq!(at(&e), (6, 8));
    assert_eq!(
        e.to_string(),
        "rules.toml:6:8: rule `r1`: unknown mode `dry_run` (use \"enforce\" or \"shadow\", or leave it out for enforce)"
    );
}

#[test]
fn duplicate_id_and_snake_case() {
    let r = |id: &str, reason: &str| {
        format!(
            "[[rule]]\nid = \"{id}\"\nwhen = \"true\"\naction = \"hold\"\nreason = \"{reason}\"\n"
        )
    };
    let e = err(&format!("{}{}", r("a", "x"), r("a", "y")));
    assert!(
        matches!(e, RulesError::DuplicateId { first_line: 1, .. }),
        "{e:?}"
    );
    assert_eq!(at(&e), (7, 6));

    let e = err(&r("a", "BigRefund"));
    assert!(matches!(e, RulesError::NotSnakeCase { .. }), "{e:?}");
    assert_eq!(at(&e), (5, 10));
    assert!(e.to_string().contains("e.g. `big_refund`"), "{e}");

    let e = err(&r("Bad-Id", "x"));
    assert!(matches!(e, RulesError::NotSnakeCase { .. }), "{e:?}");
    assert_eq!(at(&e), (2, 6));
    assert_eq!(e.rule_id(), None);
}

#[test]
fn missing_key() {
    let e = err("\n[[rule]]\nid = \"a\"\nwhen = \"true\"\naction = \"hold\"\n");
    assert!(
        matches!(e, RulesError::MissingKey { key: "reason", .. }),
        "{e:?}"
    );
    assert_eq!(at(&e), (2, 1));
}

#[test]
fn too_long_and_too_deep() {
    let long = format!("\"{}\"", vec!["score > 0.5"; 200].join(" && "));
    let e = err(&one(&long));
    assert!(matches!(e, RulesError::TooLong { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 8));

    let deep = format!("\"{}score > 1{}\"", "(".repeat(20), ")".repeat(20));
    let e = err(&one(&deep));
    assert!(matches!(e, RulesError::TooDeep { .. }), "{e:?}");
    assert_eq!(at(&e), (3, 9 + MAX_NESTING));

    let deep = format!("\"{}\"", vec!["score"; 60].join(" + ") + " > 1");
    let e = err(&one(&deep));
    assert!(matches!(e, RulesError::TooDeep { .. }), "{e:?}");

    // A long || chain is balanced by the parser and loads.
    let chain = format!("\"{}\"", vec!["score > 0.5"; 60].join(" || "));
    ok(&one(&chain));
    // Long runs of unary operators do not overflow anything.
    let bangs = format!("\"{}true\"", "!".repeat(1900));
    let _ = RuleSet::parse(&one(&bangs), "rules.toml", &schema());
    let minus = format!("\"{}1 > 0\"", "-".repeat(1900));
    let _ = RuleSet::parse(&one(&minus), "rules.toml", &schema());
}

#[test]
fn fields_parse_with_defaults() {
    let rs = ok(
        "# header\n\n[[rule]]\nid = \"a\"\nwhen = \"true\"\naction = \"tag\"\ntag = \"t1\"\nreason = \"x\"\ndetail = \"d\"\n\n[[rule]]\nid = \"b\"\nwhen = \"false\"\naction = \"deny\"\nreason = \"y\"\nmode = \"shadow\"\n",
    );
    let r = rs.rules();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].id, "a");
    assert_eq!(r[0].action, Action::Tag("t1".into()));
    assert_eq!(r[0].mode, Mode::Enforce);
    assert_eq!(r[0].detail.as_deref(), Some("d"));
    assert_eq!(r[0].line, 3);
    assert_eq!(r[1].mode, Mode::Shadow);
    assert_eq!(r[1].action, Action::Deny);
    assert_eq!(r[1].line, 11);
    assert_eq!(r[1].when, "false");
    assert!(ok("").rules().is_empty());
}

fn run(rs: &RuleSet, values: &[Value<'_>]) -> (Vec<usize>, u64) {
    let mut fired = vec![99];
    let mut errors = 0;
    rs.evaluate(values, &mut fired, &mut errors);
    (fired, errors)
}

/// Values in schema order.
fn vals<'a>(
    amount: Value<'a>,
    scanned: Value<'a>,
    reason: Value<'a>,
    channel: Value<'a>,
) -> [Value<'a>; 7] {
    [
        amount,
        Value::Number(0.9),
        Value::Number(3.0),
        Value::Number(10.0),
        scanned,
        reason,
        channel,
    ]
}

#[test]
fn evaluation_numbers_bools_strings_missing() {
    let src = [
        (
            "a",
            "amount_usd >= 1000 && return_label_age_days > 5.0 && !return_carrier_scanned",
        ),
        ("b", "amount_usd + 1 > 1000.5"),
        (
            "c",
            "channel in ['web', 'app'] && reason.startsWith('not_')",
        ),
        ("d", "amount_usd == null"),
        ("e", "!has(channel)"),
        (
            "f",
            "size(reason) > 3 && reason.size() < 100 && reason.contains('not')",
        ),
        (
            "g",
            "max(amount_usd, 5) - min(1, 2) >= abs(-4) && amount_usd / 2 > 0",
        ),
        ("h", "amount_usd in [1000, 20]"),
        ("i", "score > 0.5 ? amount_usd > 10 : false"),
    ]
    .iter()
    .map(|(id, w)| {
        format!("[[rule]]\nid = \"{id}\"\nwhen = \"{w}\"\naction = \"hold\"\nreason = \"{id}\"\n")
    })
    .collect::<String>();
    let rs = ok(&src);

    let v = vals(
        Value::Number(1000.0),
        Value::Bool(false),
        Value::Str("not_received"),
        Value::Str("web"),
    );
    assert_eq!(run(&rs, &v), (vec![0, 1, 2, 5, 6, 7, 8], 0));

    // Missing amount: rules comparing it error (not fired), `== null` fires.
    let v = vals(
        Value::Missing,
        Value::Bool(true),
        Value::Str("x"),
        Value::Missing,
    );
    let (fired, errors) = run(&rs, &v);
    assert_eq!(fired, vec![3, 4]);
    // a: `amount >= 1000` errors, but `!scanned` is false and CEL's && absorbs the error.
    // c, h: `null in [...]` is simply false. b, g, i: arithmetic/comparison on null errors.
    assert_eq!(errors, 3);

    // A short slice reads as missing instead of panicking.
    let (fired, _) = run(&rs, &[]);
    assert_eq!(fired, vec![3, 4]);
}

#[test]
fn only_referenced_vars() {
    let rs = ok(&one("\"channel == 'web' && score > 0.1\""));
    assert_eq!(rs.referenced_vars(), vec![1, 6]);
}

#[test]
fn example_file_parses() {
    let src = include_str!("../examples/rules.toml");
    let rs = ok(src);
    assert_eq!(rs.rules().len(), 4);
    assert_eq!(rs.rules()[1].mode, Mode::Shadow);
    assert_eq!(
        rs.rules()[2].action,
        Action::Tag("inr_large_new_account".into())
    );
    let v = vals(
        Value::Number(1500.0),
        Value::Bool(false),
        Value::Str("not_received"),
        Value::Str("web"),
    );
    let (fired, errors) = run(&rs, &v);
    assert_eq!((fired, errors), (vec![0, 1, 2], 0));
}

/// Per-evaluation cost, for quoting: `cargo test -p clawback-rules --release -- --ignored --nocapture`.
#[test]
#[ignore]
#[allow(clippy::print_stdout)]
fn bench_evaluate() {
    let mut vars: Vec<(String, VarType, String)> = (0..60)
        .map(|i| (format!("f{i:02}"), VarType::Number, String::new()))
        .collect();
    vars.extend(
        schema()
            .vars()
            .iter()
            .map(|v| (v.name.clone(), v.ty, v.meaning.clone())),
    );
    let schema = Schema::new(vars);
    let src = include_str!("../examples/rules.toml").repeat(5);
    // Give each copy unique ids.
    let mut n = 0;
    let src: String = src
        .lines()
        .map(|l| {
            if l.starts_with("id = ") {
                n += 1;
                format!("id = \"r{n}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let rs = match RuleSet::parse(&src, "bench.toml", &schema) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let mut values: Vec<Value<'_>> = (0..60).map(|i| Value::Number(i as f64)).collect();
    values.extend(vals(
        Value::Number(1500.0),
        Value::Bool(false),
        Value::Str("not_received"),
        Value::Str("web"),
    ));
    let mut fired = Vec::new();
    let mut errors = 0;
    let iters = 20_000;
    let start = std::time::Instant::now();
    for _ in 0..iters {
        rs.evaluate(std::hint::black_box(&values), &mut fired, &mut errors);
    }
    let per = start.elapsed() / iters;
    println!(
        "{} rules: {:?} per evaluation, {:?} per rule (fired {}, errors {})",
        rs.rules().len(),
        per,
        per / rs.rules().len() as u32,
        fired.len(),
        errors
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics(src in ".{0,400}") {
        let _ = RuleSet::parse(&src, "fuzz.toml", &schema());
    }

    #[test]
    fn when_never_panics(when in "[a-z_ ()!&|<>=+*/%.,'\"\\[\\]0-9-]{0,200}") {
        let src = one(&format!("'{}'", when.replace('\'', "")));
        let _ = RuleSet::parse(&src, "fuzz.toml", &schema());
    }
}
