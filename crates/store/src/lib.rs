//! Clawback's durable event log: append-only segment files with length + CRC32C framing,
//! group-commit fsync, torn-tail recovery and de-duplication by `event_id` across runs.
//!
//! # On-disk format, version 1
//! ```text
//! DIR/LOCK                      advisory lock: one writer per data directory
//! DIR/log/NNNNNNNNNNNNNNNNNNNN.seg
//!   header  : b"CLAWSEG\0" | u32 LE format version (1) | u32 LE reserved (0)
//!   record* : u32 LE payload length | u32 LE CRC32C(payload) | payload
//!   payload : u16 LE id length | event_id bytes | event JSON bytes (the line as received)
//! ```
//! The event is stored as the retailer sent it (unknown fields included), so a later
//! Clawback with a richer contract can re-read history it did not understand at the time.
//!
//! # Durability
//! An appended record is *pending* until [`Log::commit`] has flushed and fsync'd it; only
//! then may a caller acknowledge it. A crash (even `kill -9` mid-write) can leave a torn
//! record at the end of the last segment; [`Log::open`] truncates the last segment at its
//! first bad record. Damage anywhere else is not a torn write and is reported, never
//! silently dropped.

use clawback_table::GrowSet;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The segment format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"CLAWSEG\0";
const HEADER_LEN: u64 = 16;
const FRAME_LEN: usize = 8;
/// Largest accepted payload; anything larger in a length field is damage, not data.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// Errors from the log, each saying what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot use the data directory {path}: {source} (check that the path is right and writable)"
    )]
    Dir { path: PathBuf, source: io::Error },
    #[error(
        "another clawback process is using {path} (its lock is held); wait for it to finish or stop it"
    )]
    Locked { path: PathBuf },
    #[error("{path} is not a Clawback log segment (bad header); move it out of the log directory")]
    BadMagic { path: PathBuf },
    #[error(
        "{path} uses log format {found}, this build reads up to {FORMAT_VERSION}; upgrade clawback"
    )]
    UnsupportedVersion { path: PathBuf, found: u32 },
    #[error(
        "{path} is damaged at byte {offset} ({what}); it is not the last segment, so this is not a torn write: restore it from a backup, or move it and the segments after it aside"
    )]
    Corrupt {
        path: PathBuf,
        offset: u64,
        what: &'static str,
    },
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("event_id of {0} bytes is too long to store (limit 65535)")]
    IdTooLong(usize),
    #[error("event of {0} bytes is larger than the {MAX_RECORD_BYTES}-byte record limit")]
    TooLarge(usize),
    #[error(
        "an earlier fsync of the log failed, so nothing more is written (check the disk and its free space, then restart; the log is repaired on open)"
    )]
    SyncFailed,
}

type Result<T> = std::result::Result<T, StoreError>;

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// When to group-commit and when to start a new segment.
#[derive(Debug, Clone, Copy)]
pub struct LogOptions {
    /// Commit once this many records are pending.
    pub commit_records: usize,
    /// Commit once this many payload bytes are pending.
    pub commit_bytes: usize,
    /// Start a new segment once the current one reaches this size.
    pub segment_bytes: u64,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            commit_records: 16_384,
            commit_bytes: 8 << 20,
            segment_bytes: 128 << 20,
        }
    }
}

/// What [`Log::open`] found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Durable records found.
    pub records: u64,
    pub segments: usize,
    /// Bytes cut from the end of the last segment (a torn write from a crash).
    pub truncated_bytes: u64,
}

/// The outcome of [`Log::append`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Buffered; durable after the next [`Log::commit`].
    Pending,
    /// The `event_id` is already in the log (or pending): nothing was written.
    Duplicate,
}

/// The writable log of one data directory.
#[derive(Debug)]
pub struct Log {
    log_dir: PathBuf,
    _lock: File,
    opts: LogOptions,
    /// 128-bit hashes of every stored or pending `event_id`. 16 bytes per event: the one
    /// structure here that grows with history rather than with entities.
    ids: GrowSet<u128>,
    seg_no: u64,
    seg_path: PathBuf,
    writer: BufWriter<SegWriter>,
    seg_len: u64,
    /// Numbers the writes of [`Log::write_pending`] and of commits.
    generation: u64,
    sync: Arc<SyncState>,
    pending_records: usize,
    pending_bytes: usize,
    durable: u64,
    /// Records made durable (by a rotation's commit) not yet reported by [`Log::commit`].
    unreported: u64,
}

/// The open segment file, shared with [`SyncTicket`]s so that a caller can fsync it
/// without holding the log.
#[derive(Debug)]
struct Segment {
    file: File,
    path: PathBuf,
    /// The latest generation whose records were written (not necessarily synced) here.
    written: AtomicU64,
}

/// Writes through to a shared [`Segment`] (`&File` is `Write`).
#[derive(Debug)]
struct SegWriter(Arc<Segment>);

impl Write for SegWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.0.file).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&self.0.file).flush()
    }
}

impl SegWriter {
    fn new(file: File, path: PathBuf) -> BufWriter<Self> {
        BufWriter::with_capacity(
            1 << 20,
            Self(Arc::new(Segment {
                file,
                path,
                written: AtomicU64::new(0),
            })),
        )
    }
}

/// What every ticket of one log shares: the latest generation known durable, held while an
/// fsync runs so that concurrent tickets wait for it and then find themselves covered.
#[derive(Debug, Default)]
struct SyncState {
    synced: Mutex<u64>,
    failed: AtomicBool,
}

/// Records written by [`Log::write_pending`] and not yet durable: [`SyncTicket::sync`]
/// makes them so. Send it to another thread to fsync without holding the log.
#[derive(Debug, Clone)]
#[must_use = "the records are not durable until the ticket is synced"]
pub struct SyncTicket {
    segment: Arc<Segment>,
    generation: u64,
    sync: Arc<SyncState>,
}

impl SyncTicket {
    /// Returns once this ticket's records are durable. If an fsync that started after they
    /// were written has finished, at once; otherwise it fsyncs the segment, which covers
    /// every generation written to it so far (other threads' tickets included, which then
    /// return at once). A failure poisons the log: it writes nothing more.
    pub fn sync(&self) -> Result<()> {
        let mut synced = self
            .sync
            .synced
            .lock()
            .map_err(|_| StoreError::SyncFailed)?;
        if self.sync.failed.load(Ordering::Acquire) {
            return Err(StoreError::SyncFailed);
        }
        if *synced >= self.generation {
            return Ok(());
        }
        // Read before the fsync: every generation up to here was written before it.
        let covered = self.segment.written.load(Ordering::Acquire);
        if let Err(e) = self.segment.file.sync_data() {
            self.sync.failed.store(true, Ordering::Release);
            return Err(io_err(&self.segment.path)(e));
        }
        *synced = (*synced).max(covered).max(self.generation);
        Ok(())
    }
}

fn segment_name(n: u64) -> String {
    format!("{n:020}.seg")
}

/// Segment files of a log directory, in order.
fn list_segments(log_dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut segs = Vec::new();
    let entries = fs::read_dir(log_dir).map_err(io_err(log_dir))?;
    for entry in entries {
        let entry = entry.map_err(io_err(log_dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = name
            .strip_suffix(".seg")
            .and_then(|s| s.parse::<u64>().ok())
        {
            segs.push((n, entry.path()));
        }
    }
    segs.sort();
    Ok(segs)
}

fn id_hash(id: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(id)
}

/// Why scanning a segment stopped before its end.
#[derive(Debug, Clone, Copy)]
struct Damage {
    offset: u64,
    what: &'static str,
}

/// Reads records from one segment file.
struct SegmentReader {
    path: PathBuf,
    r: BufReader<File>,
    offset: u64,
}

impl SegmentReader {
    /// Opens a segment and checks its header. `Ok(None)` means the file is shorter than a
    /// header (a crash right after creating it).
    fn open(path: &Path) -> Result<Option<Self>> {
        let f = File::open(path).map_err(io_err(path))?;
        let mut r = BufReader::with_capacity(1 << 20, f);
        let mut header = [0u8; HEADER_LEN as usize];
        match r.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(io_err(path)(e)),
        }
        if &header[..8] != MAGIC {
            return Err(StoreError::BadMagic {
                path: path.to_path_buf(),
            });
        }
        let version = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
        if version == 0 || version > FORMAT_VERSION {
            return Err(StoreError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
            });
        }
        Ok(Some(Self {
            path: path.to_path_buf(),
            r,
            offset: HEADER_LEN,
        }))
    }

    /// Reads the next record's payload into `buf`. `Ok(Ok(false))` at a clean end,
    /// `Ok(Err(damage))` at a torn or corrupt record.
    fn next(&mut self, buf: &mut Vec<u8>) -> Result<std::result::Result<bool, Damage>> {
        let at = self.offset;
        let mut frame = [0u8; FRAME_LEN];
        let mut got = 0;
        while got < FRAME_LEN {
            match self.r.read(&mut frame[got..]) {
                Ok(0) if got == 0 => return Ok(Ok(false)),
                Ok(0) => {
                    return Ok(Err(Damage {
                        offset: at,
                        what: "truncated record header",
                    }));
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(&self.path)(e)),
            }
        }
        let len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        let crc = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
        if !(2..=MAX_RECORD_BYTES).contains(&len) {
            return Ok(Err(Damage {
                offset: at,
                what: "implausible record length",
            }));
        }
        buf.clear();
        buf.resize(len, 0);
        match self.r.read_exact(buf) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Ok(Err(Damage {
                    offset: at,
                    what: "truncated record",
                }));
            }
            Err(e) => return Err(io_err(&self.path)(e)),
        }
        if crc32c::crc32c(buf) != crc {
            return Ok(Err(Damage {
                offset: at,
                what: "checksum mismatch",
            }));
        }
        let id_len = u16::from_le_bytes([buf[0], buf[1]]) as usize;
        if 2 + id_len > len {
            return Ok(Err(Damage {
                offset: at,
                what: "id longer than record",
            }));
        }
        self.offset += (FRAME_LEN + len) as u64;
        Ok(Ok(true))
    }
}

/// Splits a payload into `(event_id, event JSON)`.
fn split_payload(buf: &[u8]) -> (&[u8], &[u8]) {
    let id_len = u16::from_le_bytes([buf[0], buf[1]]) as usize;
    (&buf[2..2 + id_len], &buf[2 + id_len..])
}

fn write_header(f: &mut File) -> io::Result<()> {
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    f.write_all(&header)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

fn create_segment(log_dir: &Path, n: u64) -> Result<(PathBuf, File)> {
    let path = log_dir.join(segment_name(n));
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .map_err(io_err(&path))?;
    write_header(&mut f)
        .and_then(|()| f.sync_all())
        .map_err(io_err(&path))?;
    sync_dir(log_dir)?;
    Ok((path, f))
}

impl Log {
    /// Opens (creating if needed) the log under `data_dir`, takes the directory's lock,
    /// repairs a torn tail and loads the `event_id`s already stored.
    pub fn open(data_dir: &Path, opts: LogOptions) -> Result<(Self, Recovery)> {
        let log_dir = data_dir.join("log");
        fs::create_dir_all(&log_dir).map_err(|source| StoreError::Dir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let lock_path = data_dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: data_dir.to_path_buf(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }

        let segs = list_segments(&log_dir)?;
        let mut ids = GrowSet::default();
        let mut rec = Recovery {
            segments: segs.len(),
            ..Recovery::default()
        };
        let mut buf = Vec::new();
        let mut tail: Option<(u64, PathBuf, u64)> = None; // (number, path, valid length)
        for (i, (n, path)) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            let Some(mut reader) = SegmentReader::open(path)? else {
                if !last {
                    return Err(StoreError::Corrupt {
                        path: path.clone(),
                        offset: 0,
                        what: "missing header",
                    });
                }
                // Crashed while creating the segment: rewrite its header below.
                let (p, f) = create_segment(&log_dir, *n)?;
                drop(f);
                tail = Some((*n, p, HEADER_LEN));
                continue;
            };
            loop {
                match reader.next(&mut buf)? {
                    Ok(true) => {
                        ids.insert(id_hash(split_payload(&buf).0));
                        rec.records += 1;
                    }
                    Ok(false) => break,
                    Err(damage) if last => {
                        let size = fs::metadata(path).map_err(io_err(path))?.len();
                        rec.truncated_bytes = size - damage.offset;
                        let f = OpenOptions::new()
                            .write(true)
                            .open(path)
                            .map_err(io_err(path))?;
                        f.set_len(damage.offset)
                            .and_then(|()| f.sync_all())
                            .map_err(io_err(path))?;
                        break;
                    }
                    Err(damage) => {
                        return Err(StoreError::Corrupt {
                            path: path.clone(),
                            offset: damage.offset,
                            what: damage.what,
                        });
                    }
                }
            }
            if last {
                tail = Some((*n, path.clone(), reader.offset));
            }
        }
        let (seg_no, seg_path, seg_len) = match tail {
            Some(t) => t,
            None => {
                let (p, f) = create_segment(&log_dir, 1)?;
                drop(f);
                rec.segments = 1;
                (1, p, HEADER_LEN)
            }
        };
        let mut file = OpenOptions::new()
            .write(true)
            .open(&seg_path)
            .map_err(io_err(&seg_path))?;
        file.seek(SeekFrom::Start(seg_len))
            .map_err(io_err(&seg_path))?;
        let log = Self {
            log_dir,
            _lock: lock,
            opts,
            ids,
            seg_no,
            writer: SegWriter::new(file, seg_path.clone()),
            seg_path,
            seg_len,
            generation: 0,
            sync: Arc::new(SyncState::default()),
            pending_records: 0,
            pending_bytes: 0,
            durable: rec.records,
            unreported: 0,
        };
        Ok((log, rec))
    }

    /// Buffers one event unless its `event_id` is already stored or pending.
    pub fn append(&mut self, event_id: &str, event_json: &[u8]) -> Result<Appended> {
        if self.sync.failed.load(Ordering::Acquire) {
            return Err(StoreError::SyncFailed);
        }
        let id = event_id.as_bytes();
        let id_len = u16::try_from(id.len()).map_err(|_| StoreError::IdTooLong(id.len()))?;
        let len = 2 + id.len() + event_json.len();
        if len > MAX_RECORD_BYTES {
            return Err(StoreError::TooLarge(len));
        }
        if !self.ids.insert(id_hash(id)) {
            return Ok(Appended::Duplicate);
        }
        if self.seg_len >= self.opts.segment_bytes {
            self.rotate()?;
        }
        let mut crc = crc32c::crc32c(&id_len.to_le_bytes());
        crc = crc32c::crc32c_append(crc, id);
        crc = crc32c::crc32c_append(crc, event_json);
        let w = &mut self.writer;
        (|| {
            w.write_all(&(len as u32).to_le_bytes())?;
            w.write_all(&crc.to_le_bytes())?;
            w.write_all(&id_len.to_le_bytes())?;
            w.write_all(id)?;
            w.write_all(event_json)
        })()
        .map_err(io_err(&self.seg_path))?;
        self.seg_len += (FRAME_LEN + len) as u64;
        self.pending_records += 1;
        self.pending_bytes += len;
        Ok(Appended::Pending)
    }

    /// Whether enough is pending that the caller should [`commit`](Self::commit) now.
    pub fn should_commit(&self) -> bool {
        self.pending_records >= self.opts.commit_records
            || self.pending_bytes >= self.opts.commit_bytes
    }

    /// Makes every pending record durable (flush + fsync); returns how many records became
    /// durable since the last call, including any made durable when a segment rotated.
    pub fn commit(&mut self) -> Result<u64> {
        self.sync()?;
        Ok(std::mem::take(&mut self.unreported))
    }

    /// The first half of a commit: writes every pending record to the segment file
    /// without fsyncing it, and returns the ticket that makes them durable (`None` if
    /// nothing was pending). For a service that answers only durable requests: it fsyncs
    /// outside whatever serialises its appends, so the next group is appended and decided
    /// while the disk syncs, and one fsync covers every group written before it started.
    /// [`durable_records`](Self::durable_records) counts the records once written here;
    /// nothing may be acknowledged before the ticket's `sync` returned.
    pub fn write_pending(&mut self) -> Result<Option<SyncTicket>> {
        if self.sync.failed.load(Ordering::Acquire) {
            return Err(StoreError::SyncFailed);
        }
        if self.pending_records == 0 {
            return Ok(None);
        }
        self.writer.flush().map_err(io_err(&self.seg_path))?;
        self.generation += 1;
        let segment = Arc::clone(&self.writer.get_ref().0);
        segment.written.store(self.generation, Ordering::Release);
        let n = self.pending_records as u64;
        self.durable += n;
        self.unreported += n;
        self.pending_records = 0;
        self.pending_bytes = 0;
        Ok(Some(SyncTicket {
            segment,
            generation: self.generation,
            sync: Arc::clone(&self.sync),
        }))
    }

    fn sync(&mut self) -> Result<()> {
        match self.write_pending()? {
            Some(ticket) => ticket.sync(),
            None => Ok(()),
        }
    }

    fn rotate(&mut self) -> Result<()> {
        // Every generation written to the old segment must be durable before the first one
        // of the new segment can be (a ticket's fsync covers its own segment only), even
        // those whose tickets another thread has not synced yet: fsync it now, whatever
        // is pending. Those tickets then return at once.
        let _written = self.write_pending()?;
        SyncTicket {
            segment: Arc::clone(&self.writer.get_ref().0),
            generation: self.generation,
            sync: Arc::clone(&self.sync),
        }
        .sync()?;
        let (path, file) = create_segment(&self.log_dir, self.seg_no + 1)?;
        self.seg_no += 1;
        self.seg_path = path.clone();
        self.writer = SegWriter::new(file, path);
        self.seg_len = HEADER_LEN;
        Ok(())
    }

    /// Durable records in the log.
    pub fn durable_records(&self) -> u64 {
        self.durable
    }
}

/// One stored event.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub event_id: &'a [u8],
    pub event_json: &'a [u8],
}

/// Reads a log from its first record to its last, without taking the writer's lock: a
/// concurrent writer's uncommitted tail is simply not seen yet.
pub struct LogReader {
    segs: std::vec::IntoIter<(u64, PathBuf)>,
    current: Option<SegmentReader>,
    remaining: usize,
    buf: Vec<u8>,
    /// Whether the last segment ended in bytes that do not form a whole record.
    pub torn_tail: bool,
    total_bytes: u64,
    done_bytes: u64,
}

impl std::fmt::Debug for LogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader")
            .field("torn_tail", &self.torn_tail)
            .finish_non_exhaustive()
    }
}

impl LogReader {
    /// Opens the log under `data_dir` for reading.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let log_dir = data_dir.join("log");
        if !log_dir.is_dir() {
            return Err(StoreError::Dir {
                path: data_dir.to_path_buf(),
                source: io::Error::new(
                    io::ErrorKind::NotFound,
                    "no event log here (run `clawback ingest --data DIR FILE` first)",
                ),
            });
        }
        let segs = list_segments(&log_dir)?;
        let mut total_bytes = 0;
        for (_, p) in &segs {
            total_bytes += fs::metadata(p).map_err(io_err(p))?.len();
        }
        Ok(Self {
            remaining: segs.len(),
            segs: segs.into_iter(),
            current: None,
            buf: Vec::new(),
            torn_tail: false,
            total_bytes,
            done_bytes: 0,
        })
    }

    /// Total size of the segment files, for progress reporting.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The next record, or `None` after the last one.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>> {
        loop {
            if self.current.is_none() {
                let Some((_, path)) = self.segs.next() else {
                    return Ok(None);
                };
                self.remaining -= 1;
                self.current = SegmentReader::open(&path)?;
                if self.current.is_none() {
                    continue;
                }
            }
            let Some(reader) = self.current.as_mut() else {
                continue;
            };
            match reader.next(&mut self.buf)? {
                Ok(true) => {
                    let (event_id, event_json) = split_payload(&self.buf);
                    return Ok(Some(Record {
                        event_id,
                        event_json,
                    }));
                }
                Ok(false) => {
                    self.done_bytes += reader.offset;
                    self.current = None;
                }
                Err(_) if self.remaining == 0 => {
                    // A torn tail: a crash mid-write, repaired by the next writer's open.
                    self.done_bytes += reader.offset;
                    self.torn_tail = true;
                    self.current = None;
                }
                Err(damage) => {
                    return Err(StoreError::Corrupt {
                        path: reader.path.clone(),
                        offset: damage.offset,
                        what: damage.what,
                    });
                }
            }
        }
    }

    /// Bytes of segment data consumed so far, for progress bars.
    pub fn position(&self) -> u64 {
        self.done_bytes + self.current.as_ref().map_or(0, |r| r.offset)
    }
}

#[cfg(test)]
mod tests;
