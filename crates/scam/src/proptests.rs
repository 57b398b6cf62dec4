//! Property tests for the normalisers: total on any input, idempotent where they should be,
//! and insensitive to how a host is written.

use crate::lookalike::{Protected, check, fold};
use crate::text::normalise;
use crate::url::{normalise_host, parse_sender, parse_url, registrable_domain};
use crate::{Message, analyse};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn nothing_panics_on_any_string(s in any::<String>(), t in "\\PC{0,80}") {
        let p = Protected::default();
        let _ = parse_url(&s);
        let _ = parse_sender(&s);
        let _ = normalise_host(&s);
        let _ = registrable_domain(&s);
        let _ = normalise(&s);
        if let Some(u) = parse_url(&t) {
            let _ = check(&u, &p);
        }
        let urls = vec![s.clone(), t.clone()];
        let _ = analyse(&Message { channel: "sms", sender: Some(&t), subject: Some(&s), text: &s, urls: &urls }, &p);
    }

    #[test]
    fn hosts_are_case_and_dot_insensitive(label in "[a-z][a-z0-9-]{0,20}[a-z0-9]", tld in prop::sample::select(vec!["com", "co.uk", "fr", "de", "shop", "info"]), upper in any::<bool>(), dot in any::<bool>()) {
        let host = format!("{label}.{tld}");
        let mut written = if upper { host.to_uppercase() } else { host.clone() };
        if dot { written.push('.'); }
        let a = parse_url(&format!("https://{host}/x"));
        let b = parse_url(&format!("HTTPS://{written}/x"));
        prop_assert!(a.is_some());
        prop_assert_eq!(a.as_ref().map(|u| &u.host), b.as_ref().map(|u| &u.host));
        // Private suffixes of the list (za.com, co.com…) make some hosts suffixes themselves.
        prop_assert_eq!(a.as_ref().and_then(|u| u.registrable.clone()), b.and_then(|u| u.registrable));
    }

    #[test]
    fn subdomains_keep_the_registrable_domain(sub in "[a-z]{1,10}", label in "[a-z]{5,12}") {
        let u = parse_url(&format!("http://{sub}.{label}.co.uk/")).map(|u| u.registrable);
        prop_assert_eq!(u, Some(Some(format!("{label}.co.uk"))));
    }

    #[test]
    fn normalising_is_idempotent(s in "\\PC{0,120}") {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once.clone());
        prop_assert!(once.starts_with(' ') && once.ends_with(' '));
        prop_assert!(!once.contains("  "));
    }

    #[test]
    fn folding_is_idempotent(s in "\\PC{0,40}") {
        let f = fold(&s);
        prop_assert_eq!(fold(&f), f);
    }

    #[test]
    fn official_subdomains_are_never_lookalikes(sub in "[a-z][a-z0-9]{0,12}", d in prop::sample::select(crate::lookalike::DEFAULT_PROTECTED.to_vec())) {
        let p = Protected::default();
        let u = parse_url(&format!("https://{sub}.{d}/gp/x")).map(|u| check(&u, &p));
        prop_assert_eq!(u, Some(None));
    }
}
