//! Any bytes: as a post's text (lossily decoded) through every extractor and the per-id
//! contexts, and as a Telegram export. Nothing may panic; spans must be char boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let today = i64::from(data.first().copied().unwrap_or(0)) * 100;
    let x = clawback_intel::extract(&text, today);
    let _ = x.contexts(&text);
    for &(s, e) in &x.tokens {
        assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
    }
    let _ = clawback_intel::telegram::parse_export(data);
});
