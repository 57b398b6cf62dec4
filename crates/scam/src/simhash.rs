//! SimHash fingerprints of normalised text, for near-duplicate grouping.
//!
//! Features are word 2-shingles of the normalised text (numbers and URLs already masked by
//! [`crate::text::normalise`]), each hashed with xxh3; the fingerprint's bit `i` is set when
//! the features with bit `i` set outweigh those without. Texts that differ in a name or an
//! amount differ in a few bits; unrelated texts differ in about half of them.

use xxhash_rust::xxh3::xxh3_64;

/// The 64-bit SimHash of normalised text. Empty text gives 0.
pub fn simhash(normalised: &str) -> u64 {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    let mut acc = [0i32; 64];
    let mut add = |h: u64| {
        for (i, a) in acc.iter_mut().enumerate() {
            if (h >> i) & 1 == 1 {
                *a += 1;
            } else {
                *a -= 1;
            }
        }
    };
    if words.len() < 2 {
        for w in &words {
            add(xxh3_64(w.as_bytes()));
        }
    } else {
        for pair in words.windows(2) {
            let mut buf = Vec::with_capacity(pair[0].len() + pair[1].len() + 1);
            buf.extend_from_slice(pair[0].as_bytes());
            buf.push(b' ');
            buf.extend_from_slice(pair[1].as_bytes());
            add(xxh3_64(&buf));
        }
    }
    if words.is_empty() {
        return 0;
    }
    acc.iter()
        .enumerate()
        .fold(0u64, |h, (i, &a)| if a > 0 { h | (1 << i) } else { h })
}

/// Bits that differ.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalise;
    use proptest::prelude::*;

    #[test]
    fn near_duplicates_are_close_and_unrelated_texts_are_far() {
        let a = simhash(&normalise(
            "Dear James, we detected a sign-in from a new device. If this wasn't you, secure your Amazon account: https://x.example/1",
        ));
        let b = simhash(&normalise(
            "Dear Patricia, we detected a sign-in from a new device. If this wasn't you, secure your Amazon account: https://y.example/2",
        ));
        let c = simhash(&normalise(
            "Hello Megan, your order 112-2195203-0865214 ($86.97) has shipped. Track your package: https://www.amazon.com/gp",
        ));
        assert!(hamming(a, b) <= 12, "{}", hamming(a, b));
        assert!(hamming(a, c) > 16, "{}", hamming(a, c));
    }

    proptest! {
        #[test]
        fn fingerprints_ignore_numbers_and_case(words in prop::collection::vec("[a-z]{1,8}", 1..20), n in 0u32..1_000_000) {
            let t = words.join(" ");
            let a = simhash(&normalise(&format!("{t} {n}")));
            let b = simhash(&normalise(&format!("{} 7", t.to_uppercase())));
            prop_assert_eq!(a, b);
        }
    }
}
