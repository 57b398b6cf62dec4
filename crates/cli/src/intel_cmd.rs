//! `clawback intel import --telegram result.json`: a Telegram Desktop chat export as
//! `intel_post` events, appended to a data directory's log (like `clawback ingest`) or
//! written as JSON Lines.
//!
//! One text message is one post: `post_id` `tg-CHAT-MESSAGE` (stable, so importing the same
//! export twice stores nothing new), `source` telegram, `channel` the chat's name, `author`
//! the sender, `ts` the message's time. The chat id, the sender's id, the message id and a
//! forward's origin are kept as extra fields (the contract keeps unknown fields in the
//! log). Service messages (joins, pins) and media-only messages (no caption) carry no text
//! to match and are counted, not imported.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use clawback_intel::telegram::{ExportError, MessageKind, parse_export};
use clawback_store::{Appended, Log, LogOptions};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Import a Telegram Desktop chat export (JSON) as intel_post events.
    ///
    /// In Telegram Desktop: the channel's menu, "Export chat history", format
    /// "Machine-readable JSON"; give the result.json it writes. Prints a JSON report.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export's result.json.
    #[arg(long, value_name = "FILE")]
    pub telegram: PathBuf,
    /// Append the posts to this data directory's log (created if missing).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "out",
        conflicts_with = "out"
    )]
    pub data: Option<PathBuf>,
    /// Write the posts as JSON Lines to this file, or - for standard output.
    #[arg(long, value_name = "FILE|-")]
    pub out: Option<PathBuf>,
}

/// What `intel import` prints.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub chats: Vec<ChatReport>,
    pub messages: u64,
    /// Text messages turned into posts.
    pub posts: u64,
    pub service_messages: u64,
    pub media_only_messages: u64,
    pub empty_messages: u64,
    /// Posts whose time came from the export's local `date` (no `date_unixtime`): read as
    /// UTC, so off by the exporting computer's offset.
    pub local_time_dates: u64,
    /// Posts newly stored (with --data).
    pub accepted: u64,
    /// Posts already in the log from an earlier import (with --data).
    pub duplicates: u64,
}

#[derive(Debug, Serialize)]
pub struct ChatReport {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub id: String,
    pub messages: usize,
}

/// `2026-11-02T14:03:11Z` from seconds since 1970.
fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = clawback_intel::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn json(s: &str) -> Result<String> {
    serde_json::to_string(s).context("encoding a string as JSON")
}

/// An id part for `tg-CHAT-MESSAGE`: letters, digits, `_`, `-` (a chat without a numeric id
/// is named by its title).
fn id_part(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    if out.is_empty() { "chat".into() } else { out }
}

/// What to do about a file that is not a usable export, in words.
fn advice(e: &ExportError) -> &'static str {
    match e {
        ExportError::Syntax { .. } => {
            "the file is not valid JSON of the Telegram Desktop export format; re-export the chat (Export chat history, format: Machine-readable JSON) or fix the file at that position"
        }
        ExportError::NoMessages => {
            "give the result.json that Telegram Desktop's \"Export chat history\" (format JSON) writes"
        }
        ExportError::BadMessage { .. } => {
            "fix or remove that message, or re-export the chat with Telegram Desktop"
        }
    }
}

/// Runs the import; `stdout` receives the JSON Lines when `--out -`.
pub fn run(args: &ImportArgs, stdout: &mut dyn Write) -> Result<ImportReport> {
    let path = &args.telegram;
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the Telegram export {}", path.display()))?;
    let export = match parse_export(&bytes) {
        Ok(e) => e,
        Err(e) => bail!("{}: {e}\n  what to do: {}", path.display(), advice(&e)),
    };
    let mut report = ImportReport {
        file: path.display().to_string(),
        chats: export
            .chats
            .iter()
            .map(|c| ChatReport {
                name: c.name.clone(),
                kind: c.kind.clone(),
                id: c.id.clone(),
                messages: c.messages,
            })
            .collect(),
        messages: export.messages.len() as u64,
        posts: 0,
        service_messages: 0,
        media_only_messages: 0,
        empty_messages: 0,
        local_time_dates: 0,
        accepted: 0,
        duplicates: 0,
    };
    let mut lines: Vec<(String, String)> = Vec::new();
    for m in &export.messages {
        match m.kind {
            MessageKind::Service => {
                report.service_messages += 1;
                continue;
            }
            MessageKind::MediaOnly => {
                report.media_only_messages += 1;
                continue;
            }
            MessageKind::Empty => {
                report.empty_messages += 1;
                continue;
            }
            MessageKind::Text => {}
        }
        report.posts += 1;
        report.local_time_dates += u64::from(m.local_time);
        let chat = id_part(&m.chat_id);
        let event_id = format!("intel-tg-{chat}-{}", m.id);
        let mut line = format!(
            r#"{{"event_id":{},"type":"intel_post","ts":"{}","post_id":{},"source":"telegram","text":{}"#,
            json(&event_id)?,
            rfc3339(m.unix),
            json(&format!("tg-{chat}-{}", m.id))?,
            json(&m.text)?
        );
        if let Some(name) = m.chat_name.as_deref().filter(|n| !n.is_empty()) {
            line.push_str(&format!(r#","channel":{}"#, json(name)?));
        }
        if let Some(a) = m.author.as_deref().filter(|n| !n.is_empty()) {
            line.push_str(&format!(r#","author":{}"#, json(a)?));
        }
        line.push_str(&format!(
            r#","channel_id":{},"message_id":{}"#,
            json(&m.chat_id)?,
            m.id
        ));
        if let Some(a) = &m.author_id {
            line.push_str(&format!(r#","author_id":{}"#, json(a)?));
        }
        if let Some(f) = &m.forwarded_from {
            line.push_str(&format!(r#","forwarded_from":{}"#, json(f)?));
        }
        line.push('}');
        // Everything written must parse as the contract says.
        if let Err(e) = clawback_events::parse_line(line.as_bytes()) {
            bail!(
                "{}: message {} of chat {} gives an invalid intel_post ({e}); this is a bug in the importer, please report it with the message",
                path.display(),
                m.id,
                m.chat_id
            );
        }
        lines.push((event_id, line));
    }
    match (&args.data, &args.out) {
        (Some(dir), _) => store(dir, &lines, &mut report)?,
        (None, Some(out)) => write_lines(out, &lines, stdout)?,
        (None, None) => bail!("give --data DIR (the log) or --out FILE|- (JSON Lines)"),
    }
    Ok(report)
}

fn store(dir: &Path, lines: &[(String, String)], report: &mut ImportReport) -> Result<()> {
    let (mut log, _) = Log::open(dir, LogOptions::default())
        .with_context(|| format!("opening the event log in {}", dir.display()))?;
    for (id, line) in lines {
        match log
            .append(id, line.as_bytes())
            .context("appending to the event log")?
        {
            Appended::Pending => {}
            Appended::Duplicate => report.duplicates += 1,
        }
        if log.should_commit() {
            report.accepted += log.commit().context("committing the event log")?;
        }
    }
    report.accepted += log.commit().context("committing the event log")?;
    Ok(())
}

fn write_lines(out: &Path, lines: &[(String, String)], stdout: &mut dyn Write) -> Result<()> {
    if out.as_os_str() == "-" {
        for (_, l) in lines {
            writeln!(stdout, "{l}").context("writing to standard output")?;
        }
        return Ok(());
    }
    let f =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = std::io::BufWriter::new(f);
    for (_, l) in lines {
        writeln!(w, "{l}").with_context(|| format!("writing {}", out.display()))?;
    }
    w.flush()
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ids() {
        assert_eq!(rfc3339(1_793_613_600), "2026-11-02T10:00:00Z");
        assert_eq!(id_part("-1001987654321"), "-1001987654321");
        assert_eq!(id_part("Refund Kings ✅"), "Refund_Kings__");
    }
}
