//! Reads JSON Lines from untrusted input without trusting its line lengths.
//!
//! A file of binary junk may have no newline for gigabytes; reading "a line" must not mean
//! "allocate all of it". Lines longer than the limit are reported with their first bytes
//! and skipped.

use anyhow::Context;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// Longest line kept whole; longer lines are quarantined.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Opens an events file, or standard input for `-`, with its size when known (for
/// progress bars).
pub fn open_input(path: &Path) -> anyhow::Result<(Box<dyn BufRead + Send>, Option<u64>)> {
    if path.as_os_str() == "-" {
        return Ok((
            Box::new(BufReader::with_capacity(1 << 20, io::stdin())),
            None,
        ));
    }
    let f = std::fs::File::open(path).with_context(|| {
        format!(
            "cannot open the events file {} (check the path)",
            path.display()
        )
    })?;
    let len = f.metadata().ok().map(|m| m.len());
    Ok((Box::new(BufReader::with_capacity(1 << 20, f)), len))
}

/// One input line.
#[derive(Debug, Clone, Copy)]
pub enum Line<'a> {
    /// The line without its terminator (`\n` or `\r\n`).
    Data(&'a [u8]),
    /// The line was longer than the limit: its length and first bytes.
    TooLong { len: usize, head: &'a [u8] },
}

/// Splits a reader into numbered lines.
#[derive(Debug)]
pub struct Lines<R> {
    r: R,
    buf: Vec<u8>,
    line_no: u64,
    max: usize,
    bytes: u64,
}

impl<R: BufRead> Lines<R> {
    pub fn new(r: R) -> Self {
        Self::with_limit(r, MAX_LINE_BYTES)
    }

    pub fn with_limit(r: R, max: usize) -> Self {
        Self {
            r,
            buf: Vec::with_capacity(4096),
            line_no: 0,
            max,
            bytes: 0,
        }
    }

    /// Bytes consumed so far, for progress bars.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The next line and its 1-based number, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let mut total = 0usize;
        let mut any = false;
        loop {
            let avail = match self.r.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (chunk, used, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            total += chunk.len();
            let room = self.max.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.r.consume(used);
            self.bytes += used as u64;
            if done {
                break;
            }
        }
        self.line_no += 1;
        if self.line_no == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.buf.drain(..3);
            total -= 3;
        }
        if total > self.max {
            return Ok(Some((
                self.line_no,
                Line::TooLong {
                    len: total,
                    head: &self.buf,
                },
            )));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some((self.line_no, Line::Data(&self.buf))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], max: usize) -> Vec<String> {
        let mut l = Lines::with_limit(std::io::BufReader::with_capacity(4, input), max);
        let mut out = vec![];
        while let Some((n, line)) = l.next_line().unwrap() {
            out.push(match line {
                Line::Data(d) => format!("{n}:{}", String::from_utf8_lossy(d)),
                Line::TooLong { len, head } => {
                    format!("{n}:long {len} {}", String::from_utf8_lossy(head))
                }
            });
        }
        out
    }

    #[test]
    fn splits_numbers_and_strips_terminators_and_bom() {
        assert_eq!(
            collect(b"\xEF\xBB\xBFab\r\n\ncd", 100),
            ["1:ab", "2:", "3:cd"]
        );
        assert_eq!(collect(b"", 100), Vec::<String>::new());
        assert_eq!(collect(b"x\n", 100), ["1:x"]);
    }

    #[test]
    fn a_line_over_the_limit_is_reported_not_kept() {
        assert_eq!(
            collect(b"ok\n0123456789abc\nok2\n", 8),
            ["1:ok", "2:long 13 01234567", "3:ok2"]
        );
    }
}
