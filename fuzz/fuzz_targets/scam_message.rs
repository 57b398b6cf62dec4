//! Any bytes as a reported message (sender, subject, text and URLs cut at 0xFF bytes,
//! decoded lossily as broken UTF-8 would be by a lenient reader): the URL, sender, lookalike
//! and text paths give an analysis, never a panic, the normaliser is idempotent and the
//! classifier's features are sorted, in range and finite.
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
    // The text classifier's features: sorted, in range, finite.
    let f = clawback_scam::features::text_features(&a, &m, 12);
    assert!(f.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(f.iter().all(|(b, v)| *b < 4096 && v.is_finite()));
    // A configured protected list: parsed or refused, never a panic.
    let _ = clawback_scam::Protected::parse(urls.iter().map(String::as_str));
    for u in &urls {
        if let Some(p) = clawback_scam::url::parse_url(u) {
            let _ = clawback_scam::lookalike::check(&p, &protected);
        }
    }
    let once = clawback_scam::text::normalise(&text);
    assert_eq!(clawback_scam::text::normalise(&once), once);
});
