//! `clawback ingest`: validate, de-duplicate and durably append events to a data directory.

use crate::intake::{Counts, Intake};
use crate::lines::Lines;
use crate::progress;
use anyhow::{Context, Result};
use clawback_store::{Appended, Log, LogOptions};
use serde::Serialize;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

/// What `ingest` prints on standard output.
#[derive(Debug, Serialize)]
pub struct IngestReport {
    /// Events made durable by this run (fsync'd before this report was printed).
    pub accepted: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub lines: u64,
    /// Bytes of a torn record cut from the log on open (a crash of an earlier run).
    pub recovered_torn_bytes: u64,
    /// Events in the log after this run.
    pub stored: u64,
    /// Where rejected lines were written.
    pub quarantine: String,
}

/// Ingests `input` (a path or `-` for stdin) into the log under `data`.
pub fn run(data: &Path, input: &Path, opts: LogOptions) -> Result<IngestReport> {
    let (mut log, recovery) = Log::open(data, opts)
        .with_context(|| format!("opening the event log in {}", data.display()))?;
    let qpath = data.join("quarantine.jsonl");
    let qfile = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&qpath)
        .with_context(|| format!("cannot open {} for appending", qpath.display()))?;
    let mut quarantine = BufWriter::new(qfile);

    let (reader, total) = crate::lines::open_input(input)?;
    let pb = progress::bar(total, "ingest");
    let mut lines = Lines::new(reader);
    let mut accepted = 0u64;
    let counts: Counts;
    {
        // The store de-duplicates against everything ever stored, so intake does not.
        let source = if input.as_os_str() == "-" {
            "stdin".to_string()
        } else {
            input.display().to_string()
        };
        let mut intake = Intake::new(&mut quarantine, false).with_source(source);
        let mut n = 0u64;
        while let Some((line_no, line)) = lines
            .next_line()
            .with_context(|| format!("reading {}", input.display()))?
        {
            if let Some(ev) = intake
                .admit(line_no, line)
                .context("writing the quarantine")?
            {
                // Only whole lines parse, so an admitted event always has its bytes.
                let crate::lines::Line::Data(raw) = line else {
                    continue;
                };
                // The line is stored as received, unknown fields and all.
                match log
                    .append(&ev.event_id, raw)
                    .context("appending to the event log")?
                {
                    Appended::Pending => {}
                    Appended::Duplicate => intake.note_duplicate(),
                }
                if log.should_commit() {
                    accepted += log.commit().context("committing the event log")?;
                }
            }
            n += 1;
            if n.is_multiple_of(16_384) {
                pb.set_position(lines.bytes_read());
            }
        }
        accepted += log.commit().context("committing the event log")?;
        intake.flush().context("writing the quarantine")?;
        counts = intake.counts;
    }
    pb.finish_and_clear();
    quarantine
        .flush()
        .with_context(|| format!("writing {}", qpath.display()))?;
    Ok(IngestReport {
        accepted,
        duplicates: counts.duplicates,
        quarantined: counts.quarantined,
        lines: counts.lines,
        recovered_torn_bytes: recovery.truncated_bytes,
        stored: log.durable_records(),
        quarantine: qpath.display().to_string(),
    })
}
