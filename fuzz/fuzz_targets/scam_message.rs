//! Any bytes as a reported message (sender, subject, text and URLs cut at 0xFF bytes,
//! decoded lossily as broken UTF-8 would be by a lenient reader): the URL, sender, lookalike
//! and text paths give an analysis, never a panic, and the normaliser is idempotent.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF).map(String::from_utf8_lossy);
    let sender = parts.next().unwrap_or_default().into_owned();
    let subject = parts.next().unwrap_or_default().into_owned();
    let text = parts.next().unwrap_or_default().into_owned();
    let urls: Vec<String> = parts.map(|p| p.into_owned()).collect();
    let protected = clawback_scam::Protected::default();
    let m = clawback_scam::Message {
        channel: "sms",
        sender: Some(&sender),
        subject: Some(&subject),
        text: &text,
        urls: &urls,
    };
    let a = clawback_scam::analyse(&m, &protected);
    let _ = a.campaign_domains();
    for u in &urls {
        if let Some(p) = clawback_scam::url::parse_url(u) {
            let _ = clawback_scam::lookalike::check(&p, &protected);
        }
    }
    let once = clawback_scam::text::normalise(&text);
    assert_eq!(clawback_scam::text::normalise(&once), once);
});
