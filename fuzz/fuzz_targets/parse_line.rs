//! Any bytes: `parse_line` returns an event or a reason, never panics, and an accepted
//! event serialises back to a line that parses to the same event.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = clawback_events::parse_line(data) {
        let again = clawback_events::parse_line(ev.to_json_line().as_bytes());
        assert_eq!(again.ok().as_ref(), Some(&ev));
    }
});
