//! Reads domain names (one per line) on stdin and writes, for each, whether the scam
//! crate's lookalike check flags it against the default protected domains:
//! `domain<TAB>flagged|official|pass<TAB>imitates<TAB>technique`. Used by
//! `bench/phishing-domains.sh` (dnstwist lookalikes and a list of popular domains).
#![allow(clippy::print_stdout)]

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let p = clawback_scam::Protected::default();
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let line = line?;
        let d = line.trim();
        if d.is_empty() {
            continue;
        }
        let parsed = clawback_scam::url::parse_url(&format!("https://{d}/"));
        let verdict = match &parsed {
            None => ("pass", String::new(), ""),
            Some(u) if p.is_official(u.registrable.as_deref().unwrap_or(&u.host)) => {
                ("official", String::new(), "")
            }
            Some(u) => match clawback_scam::lookalike::check(u, &p) {
                Some(l) => ("flagged", l.imitates, l.technique.code()),
                None => ("pass", String::new(), ""),
            },
        };
        writeln!(out, "{d}\t{}\t{}\t{}", verdict.0, verdict.1, verdict.2)?;
    }
    out.flush()
}
