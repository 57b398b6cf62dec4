//! Any text as an analyst rules file: loaded or refused with a position, never a panic; a
//! loaded rule set evaluates on missing, zero and string values without panicking.
#![no_main]
use clawback_rules::{RuleSet, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let schema = clawback_engine::rules_schema();
    if let Ok(rules) = RuleSet::parse(src, "fuzz.toml", &schema) {
        let n = schema.vars().len();
        let mut fired = Vec::new();
        let mut errors = 0;
        for v in [Value::Missing, Value::Number(0.0), Value::Bool(true), Value::Str("x")] {
            rules.evaluate(&vec![v; n], &mut fired, &mut errors);
        }
    }
});
