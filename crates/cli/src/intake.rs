//! The one place where input lines become events: validation, quarantine, de-duplication.
//! `ingest` and `replay` both go through it, so "valid" and "duplicate" mean the same in
//! both.

use crate::lines::Line;
use clawback_events::output::{JsonlWriter, QUARANTINE_RAW_MAX, QuarantineRecord, excerpt};
use clawback_events::{Event, Invalid, parse_line};
use rustc_hash::FxHashSet;
use std::io::{self, Write};

/// What happened to the input so far.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Counts {
    /// Non-blank lines read.
    pub lines: u64,
    /// Valid, first-seen events.
    pub events: u64,
    pub duplicates: u64,
    pub quarantined: u64,
}

/// A line after parsing, before de-duplication and quarantine bookkeeping. Parsing is
/// pure, so it can run on another thread; the bookkeeping stays in input order.
#[derive(Debug)]
// Events travel unboxed in batches on purpose: boxing on the parse thread and freeing on
// the engine thread was measurably slower (see `record`).
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    Blank,
    /// A valid event and the digest of its `event_id` (computed here, off the engine's
    /// thread).
    Event(Event, u128),
    /// Rejected, with the printable excerpt of the line for the quarantine.
    Invalid {
        invalid: Invalid,
        raw: String,
    },
}

/// Parses and validates one line.
pub fn classify(line: Line<'_>) -> Parsed {
    match line {
        Line::Data(d) if d.iter().all(u8::is_ascii_whitespace) => Parsed::Blank,
        Line::Data(d) => match parse_line(d) {
            Ok(ev) => {
                let digest = id_digest(ev.event_id.as_bytes());
                Parsed::Event(ev, digest)
            }
            Err(invalid) => Parsed::Invalid {
                invalid,
                raw: excerpt(d, QUARANTINE_RAW_MAX),
            },
        },
        Line::TooLong { len, head } => Parsed::Invalid {
            invalid: Invalid {
                field: None,
                reason: format!(
                    "line of {len} bytes is longer than the {} byte limit",
                    crate::lines::MAX_LINE_BYTES
                ),
            },
            raw: excerpt(head, QUARANTINE_RAW_MAX),
        },
    }
}

/// Validates lines, writes rejects to the quarantine, drops repeated `event_id`s.
pub struct Intake<'w> {
    seen: Option<FxHashSet<u128>>,
    quarantine: JsonlWriter<&'w mut dyn Write>,
    source: Option<String>,
    pub counts: Counts,
}

impl std::fmt::Debug for Intake<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

/// A 128-bit digest of an `event_id`: 16 bytes per remembered event, collisions negligible.
pub fn id_digest(id: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(id)
}

impl<'w> Intake<'w> {
    /// `dedupe`: remember event ids and drop repeats (off when the source is already
    /// de-duplicated, like the stored log, or when the store does it).
    pub fn new(quarantine: &'w mut dyn Write, dedupe: bool) -> Self {
        Self::with_expected(quarantine, dedupe, 0)
    }

    /// Like [`Intake::new`], sizing the de-duplication set for about `expected_events`
    /// up front (growing it by rehashing showed up in replay profiles).
    pub fn with_expected(
        quarantine: &'w mut dyn Write,
        dedupe: bool,
        expected_events: usize,
    ) -> Self {
        let seen = dedupe.then(|| {
            let mut set = FxHashSet::default();
            set.reserve(expected_events);
            set
        });
        Self {
            seen,
            quarantine: JsonlWriter::new(quarantine),
            source: None,
            counts: Counts::default(),
        }
    }

    /// Admits one line: `Ok(Some(event))` for a new valid event, `Ok(None)` for a blank,
    /// rejected or duplicate line. Errors only when the quarantine cannot be written.
    pub fn admit(&mut self, line_no: u64, line: Line<'_>) -> io::Result<Option<Box<Event>>> {
        self.record(line_no, classify(line))
    }

    /// Books a line already classified (possibly on another thread).
    pub fn record(&mut self, line_no: u64, parsed: Parsed) -> io::Result<Option<Box<Event>>> {
        match parsed {
            Parsed::Blank => Ok(None),
            Parsed::Invalid { invalid, raw } => {
                self.counts.lines += 1;
                self.counts.quarantined += 1;
                let error = invalid.to_string();
                self.quarantine.write(&QuarantineRecord {
                    line: line_no,
                    field: invalid.field,
                    error,
                    raw,
                    source: self.source.clone(),
                })?;
                Ok(None)
            }
            Parsed::Event(ev, digest) => {
                self.counts.lines += 1;
                if let Some(seen) = &mut self.seen
                    && !seen.insert(digest)
                {
                    self.counts.duplicates += 1;
                    return Ok(None);
                }
                self.counts.events += 1;
                // Boxed here, on the thread that will free it: allocating on a parse thread
                // and freeing on the engine thread kept the allocator faulting in fresh pages.
                Ok(Some(Box::new(ev)))
            }
        }
    }

    /// Names the input in every quarantine record (for quarantine files shared by runs).
    pub fn with_source(mut self, source: String) -> Self {
        self.source = Some(source);
        self
    }

    /// Counts a duplicate found downstream (by the store).
    pub fn note_duplicate(&mut self) {
        self.counts.events -= 1;
        self.counts.duplicates += 1;
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.quarantine.flush()
    }
}
