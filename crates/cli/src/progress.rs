//! Progress bars on a terminal, nothing at all when stderr is piped or in CI.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A byte-counting bar (or a spinner when the total is unknown) on stderr, hidden unless
/// stderr is a terminal.
pub fn bar(total_bytes: Option<u64>, what: &str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = match total_bytes {
        Some(n) => {
            let pb = ProgressBar::with_draw_target(Some(n), target);
            if let Ok(style) = ProgressStyle::with_template(
                "{msg:>10} [{bar:40}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
            ) {
                pb.set_style(style.progress_chars("=> "));
            }
            pb
        }
        None => {
            let pb = ProgressBar::with_draw_target(None, target);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} {msg} {binary_bytes} {binary_bytes_per_sec}",
            ) {
                pb.set_style(style);
            }
            pb
        }
    };
    pb.set_message(what.to_string());
    pb
}

/// A bar counting rounds (boosting rounds, benchmark iterations), hidden unless stderr is
/// a terminal.
pub fn rounds_bar(total: u64, what: &str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let pb = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} eta {eta}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Peak resident memory of this process (Linux `VmHWM`), for summaries and benchmarks.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
