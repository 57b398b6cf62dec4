//! The text classifier's features: hashed word and character n-grams of a message.
//!
//! Why these: word unigrams and bigrams carry what a message asks for ("bank details",
//! "verify your account") in any language without a phrase list; character 3- to 5-grams
//! carry the same through misspellings, inflections, glued words and scripts without
//! spaces; the link hosts' labels and the sender's kind carry how the message reaches
//! people. Everything comes from the [`Analysis`] the rules use (the normalised text has
//! numbers and URLs masked, so amounts, order numbers and links do not become words).
//!
//! Each feature is hashed (xxh3, one seed per family) into `2^bits` buckets. Values are
//! `1 + ln(count)`, and each family (words, characters, structure) is scaled to unit length
//! so a 10 KB e-mail and a one-line SMS weigh alike. The output is sorted by bucket with
//! duplicates merged: the same message always gives the same vector.

use crate::{Analysis, Message, Sender};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The name of this extractor, stored with a trained classifier: a classifier trained
/// with other features must be refused. Change it whenever the features change.
pub const TEXT_FEATURES: &str = "scam-text-1";

/// Characters of normalised text that character n-grams are taken from (the rest of a
/// long message adds words only).
pub const MAX_CHAR_NGRAM_TEXT: usize = 4_096;

const SEED_WORD: u64 = 0x5717_0001;
const SEED_BIGRAM: u64 = 0x5717_0002;
const SEED_CHAR: u64 = 0x5717_0003;
const SEED_HOST: u64 = 0x5717_0004;
const SEED_SHAPE: u64 = 0x5717_0005;

fn bucket(bytes: &[u8], seed: u64, bits: u8) -> u32 {
    let h = xxh3_64_with_seed(bytes, seed);
    (h >> (64 - u32::from(bits.clamp(1, 32)))) as u32
}

/// Buckets with counts → `(bucket, 1 + ln(count))`, scaled to unit length.
fn family(mut hits: Vec<u32>) -> Vec<(u32, f32)> {
    hits.sort_unstable();
    let mut out: Vec<(u32, f64)> = Vec::new();
    for h in hits {
        match out.last_mut() {
            Some((b, c)) if *b == h => *c += 1.0,
            _ => out.push((h, 1.0)),
        }
    }
    let mut norm = 0.0;
    for (_, c) in &mut out {
        *c = 1.0 + c.ln();
        norm += *c * *c;
    }
    let norm = norm.sqrt().max(1e-12);
    out.into_iter()
        .map(|(b, c)| (b, (c / norm) as f32))
        .collect()
}

/// The text character n-grams are read from: subject and text as written (case and
/// punctuation kept: "FREE!!!" and "free" are different messages), digit runs as `0` and
/// whitespace runs as one space, at most [`MAX_CHAR_NGRAM_TEXT`] bytes.
fn shape_text(m: &Message<'_>) -> String {
    let mut out = String::with_capacity(MAX_CHAR_NGRAM_TEXT + 4);
    let subject = m.subject.unwrap_or("");
    for c in subject
        .chars()
        .chain(std::iter::once('\n'))
        .chain(m.text.chars())
    {
        if out.len() >= MAX_CHAR_NGRAM_TEXT {
            break;
        }
        if c.is_whitespace() || c.is_control() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if c.is_ascii_digit() {
            // A run of digits is one `0`: amounts and order numbers of any length alike.
            if !out.ends_with('0') {
                out.push('0');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The sparse feature vector of an analysed message, for a model of `bits` hash bits
/// (clamped to 1..=32). `m` is the message `a` was made from.
pub fn text_features(a: &Analysis, m: &Message<'_>, bits: u8) -> Vec<(u32, f32)> {
    let channel = m.channel;
    let text = a.normalised.as_str();
    // Words and word bigrams.
    let mut words_hits = Vec::new();
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    for w in &words {
        words_hits.push(bucket(w.as_bytes(), SEED_WORD, bits));
    }
    let mut buf = Vec::new();
    for pair in words.windows(2) {
        buf.clear();
        buf.extend_from_slice(pair[0].as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(pair[1].as_bytes());
        words_hits.push(bucket(&buf, SEED_BIGRAM, bits));
    }
    // Character 3- to 5-grams over the text as written (spaces included: word edges).
    let mut char_hits = Vec::new();
    let shaped = shape_text(m);
    let cut = shaped.as_str();
    let offsets: Vec<usize> = cut
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(cut.len()))
        .collect();
    for n in 3..=5usize {
        for i in 0..offsets.len().saturating_sub(n) {
            let (s, e) = (offsets[i], offsets[i + n]);
            char_hits.push(bucket(&cut.as_bytes()[s..e], SEED_CHAR, bits));
        }
    }
    // Structure: link hosts and their labels, how the message came.
    let mut shape_hits = Vec::new();
    for l in &a.links {
        let reg = l.registrable.as_deref().unwrap_or(&l.host);
        shape_hits.push(bucket(reg.as_bytes(), SEED_HOST, bits));
        for label in l.host_unicode.split(['.', '-']).filter(|s| !s.is_empty()) {
            let mut t = b"label:".to_vec();
            t.extend_from_slice(label.as_bytes());
            shape_hits.push(bucket(&t, SEED_HOST, bits));
        }
        if l.is_ip {
            shape_hits.push(bucket(b"link:ip", SEED_SHAPE, bits));
        }
        shape_hits.push(bucket(
            format!("scheme:{}", l.scheme).as_bytes(),
            SEED_SHAPE,
            bits,
        ));
    }
    let links = match a.links.len() {
        0 => "links:0",
        1 => "links:1",
        2..=3 => "links:2-3",
        _ => "links:4+",
    };
    shape_hits.push(bucket(links.as_bytes(), SEED_SHAPE, bits));
    let sender = match &a.sender {
        None => "sender:none",
        Some(Sender::Email { .. }) => "sender:email",
        Some(Sender::Phone(_)) => "sender:phone",
        Some(Sender::ShortCode(_)) => "sender:shortcode",
        Some(Sender::Name(_)) => "sender:name",
    };
    shape_hits.push(bucket(sender.as_bytes(), SEED_SHAPE, bits));
    if let Some(Sender::Email {
        domain: Some(u), ..
    }) = &a.sender
    {
        let reg = u.registrable.as_deref().unwrap_or(&u.host);
        let mut t = b"from:".to_vec();
        t.extend_from_slice(reg.as_bytes());
        shape_hits.push(bucket(&t, SEED_HOST, bits));
    }
    let mut t = b"channel:".to_vec();
    t.extend_from_slice(crate::url::cut_str(channel, 32).as_bytes());
    shape_hits.push(bucket(&t, SEED_SHAPE, bits));

    let mut out = family(words_hits);
    out.extend(family(char_hits));
    out.extend(family(shape_hits));
    // Merge families that hashed into the same bucket.
    out.sort_by_key(|p| p.0);
    let mut merged: Vec<(u32, f32)> = Vec::with_capacity(out.len());
    for (b, v) in out {
        match merged.last_mut() {
            Some((mb, mv)) if *mb == b => *mv += v,
            _ => merged.push((b, v)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, Protected, analyse};

    fn feats(text: &str, urls: &[String]) -> Vec<(u32, f32)> {
        let m = Message {
            channel: "sms",
            sender: Some("+447700900123"),
            subject: None,
            text,
            urls,
        };
        text_features(&analyse(&m, &Protected::default()), &m, 18)
    }

    #[test]
    fn same_message_same_vector_sorted_and_bounded() {
        let u = vec!["https://amaz0n-help.co/x".to_string()];
        let a = feats(
            "Confirm your bank details now: https://amaz0n-help.co/x",
            &u,
        );
        assert_eq!(
            a,
            feats(
                "Confirm your bank details now: https://amaz0n-help.co/x",
                &u
            )
        );
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(a.iter().all(|(b, v)| *b < (1 << 18) && v.is_finite()));
        // Three unit-length families.
        let norm: f32 = a.iter().map(|(_, v)| v * v).sum();
        assert!(norm > 2.0 && norm < 3.5, "{norm}");
    }

    #[test]
    fn amounts_and_order_numbers_do_not_change_the_words() {
        let a = feats("Your refund of 12.99 for order 111-2223334 is ready", &[]);
        let b = feats("Your refund of 531.99 for order 114-9999999 is ready", &[]);
        assert_eq!(a, b);
    }

    #[test]
    fn empty_and_huge_inputs_are_fine() {
        let e = feats("", &[]);
        assert!(!e.is_empty(), "structure features remain");
        let big = "é𝔸 x".repeat(100_000);
        let f = feats(&big, &[]);
        assert!(f.len() < 10_000);
    }
}
