use super::*;
use std::path::Path;

fn opts() -> LogOptions {
    LogOptions {
        commit_records: 4,
        commit_bytes: 1 << 20,
        segment_bytes: 1 << 20,
    }
}

fn event(i: usize) -> (String, Vec<u8>) {
    let id = format!("e-{i}");
    let json = format!(
        r#"{{"event_id":"{id}","type":"login","ts":"2026-11-02T14:06:00Z","account_id":"a-{i}","success":true}}"#
    );
    (id, json.into_bytes())
}

fn read_all(dir: &Path) -> (Vec<String>, bool) {
    let mut r = LogReader::open(dir).unwrap();
    let mut ids = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        let (id, json) = (
            String::from_utf8(rec.event_id.to_vec()).unwrap(),
            rec.event_json,
        );
        assert!(
            std::str::from_utf8(json)
                .unwrap()
                .contains(&format!(r#""event_id":"{id}""#))
        );
        ids.push(id);
    }
    (ids, r.torn_tail)
}

fn write_events(dir: &Path, range: std::ops::Range<usize>, o: LogOptions) -> u64 {
    let (mut log, _) = Log::open(dir, o).unwrap();
    for i in range {
        let (id, json) = event(i);
        log.append(&id, &json).unwrap();
        if log.should_commit() {
            log.commit().unwrap();
        }
    }
    log.commit().unwrap();
    log.durable_records()
}

#[test]
fn appended_events_read_back_in_order_and_duplicates_are_ignored_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(write_events(dir.path(), 0..10, opts()), 10);
    let (mut log, rec) = Log::open(dir.path(), opts()).unwrap();
    assert_eq!(rec.records, 10);
    assert_eq!(rec.truncated_bytes, 0);
    let (id, json) = event(3);
    assert_eq!(log.append(&id, &json).unwrap(), Appended::Duplicate);
    let (id, json) = event(10);
    assert_eq!(log.append(&id, &json).unwrap(), Appended::Pending);
    assert_eq!(
        log.append(&id, &json).unwrap(),
        Appended::Duplicate,
        "pending ids count too"
    );
    assert_eq!(log.commit().unwrap(), 1);
    drop(log);
    let (ids, torn) = read_all(dir.path());
    assert_eq!(ids, (0..11).map(|i| format!("e-{i}")).collect::<Vec<_>>());
    assert!(!torn);
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let (_log, _) = Log::open(dir.path(), opts()).unwrap();
    let err = Log::open(dir.path(), opts()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("wait for it"), "{err}");
}

#[test]
fn a_torn_tail_is_cut_at_every_possible_byte_and_nothing_durable_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 0..3, opts());
    let seg = dir.path().join("log").join(segment_name(1));
    let full = fs::read(&seg).unwrap();
    let (_, last) = event(2);
    let last_start = full.len() - (FRAME_LEN + 2 + 3 + last.len());
    for cut in last_start..full.len() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("log")).unwrap();
        fs::write(d.path().join("log").join(segment_name(1)), &full[..cut]).unwrap();
        let (ids, torn) = read_all(d.path());
        assert_eq!(ids.len(), 2, "cut at {cut}");
        assert_eq!(torn, cut > last_start, "cut at {cut}");
        let (mut log, rec) = Log::open(d.path(), opts()).unwrap();
        assert_eq!(rec.records, 2);
        assert_eq!(rec.truncated_bytes, (cut - last_start) as u64);
        // the torn event can be ingested again, exactly once
        let (id, json) = event(2);
        assert_eq!(log.append(&id, &json).unwrap(), Appended::Pending);
        log.commit().unwrap();
        drop(log);
        assert_eq!(
            fs::read(d.path().join("log").join(segment_name(1))).unwrap(),
            full
        );
    }
}

#[test]
fn garbage_after_the_last_record_is_dropped_but_damage_in_an_older_segment_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let small = LogOptions {
        segment_bytes: 300,
        ..opts()
    };
    write_events(dir.path(), 0..12, small);
    let segs = list_segments(&dir.path().join("log")).unwrap();
    assert!(segs.len() >= 3, "rotation happened: {segs:?}");
    assert_eq!(read_all(dir.path()).0.len(), 12);

    // garbage at the end of the last segment: a torn tail
    let last = &segs.last().unwrap().1;
    let mut bytes = fs::read(last).unwrap();
    bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    fs::write(last, &bytes).unwrap();
    let (_, rec) = Log::open(dir.path(), small).unwrap();
    assert_eq!(rec.records, 12);
    assert_eq!(rec.truncated_bytes, 13);

    // a flipped byte in the first segment: reported, not dropped
    let first = &segs[0].1;
    let mut bytes = fs::read(first).unwrap();
    let at = bytes.len() - 3;
    bytes[at] ^= 0xff;
    fs::write(first, &bytes).unwrap();
    let err = Log::open(dir.path(), small).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("not a torn write"), "{err}");
    let mut r = LogReader::open(dir.path()).unwrap();
    let mut res = Ok(None);
    for _ in 0..20 {
        res = r.next_record().map(|o| o.map(|_| ()));
        if !matches!(res, Ok(Some(()))) {
            break;
        }
    }
    assert!(res.is_err(), "the reader reports the damage too");
}

#[test]
fn a_segment_from_a_newer_build_or_a_foreign_file_is_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 0..2, opts());
    let seg = dir.path().join("log").join(segment_name(1));
    let mut bytes = fs::read(&seg).unwrap();
    bytes[8] = 9;
    fs::write(&seg, &bytes).unwrap();
    let err = Log::open(dir.path(), opts()).unwrap_err();
    assert!(err.to_string().contains("upgrade clawback"), "{err}");
    bytes[0] = b'X';
    fs::write(&seg, &bytes).unwrap();
    let err = Log::open(dir.path(), opts()).unwrap_err();
    assert!(matches!(err, StoreError::BadMagic { .. }), "{err}");
}

/// The v1 fixture was written by the first version of this crate. Old logs must keep
/// decoding, and this build must still write v1 byte for byte; a format change needs a new
/// version number and a new fixture beside this one.
#[test]
fn the_v1_fixture_still_decodes_and_is_still_what_we_write() {
    // Read at run time, not compile time: test binaries are reused from a shared target
    // directory by other checkouts of the same tree, where a compiled-in path may be gone.
    let fixture = Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("fixtures/log-v1");
    let fixture_seg = fixture.join("log").join(segment_name(1));
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 0..5, opts());
    let written = fs::read(dir.path().join("log").join(segment_name(1))).unwrap();
    if std::env::var_os("CLAWBACK_BLESS").is_some() {
        fs::create_dir_all(fixture_seg.parent().unwrap()).unwrap();
        fs::write(&fixture_seg, &written).unwrap();
    }
    let (ids, torn) = read_all(&fixture);
    assert_eq!(ids, (0..5).map(|i| format!("e-{i}")).collect::<Vec<_>>());
    assert!(!torn);
    assert_eq!(fs::read(&fixture_seg).unwrap(), written);
}

#[test]
fn every_durable_record_is_reported_by_commit_even_across_segment_rotations() {
    let dir = tempfile::tempdir().unwrap();
    // segments of ~300 bytes rotate every few records, and commits are rare
    let o = LogOptions {
        commit_records: 1000,
        commit_bytes: 1 << 20,
        segment_bytes: 300,
    };
    let (mut log, _) = Log::open(dir.path(), o).unwrap();
    let mut reported = 0;
    for i in 0..50 {
        let (id, json) = event(i);
        log.append(&id, &json).unwrap();
        if i % 7 == 0 {
            reported += log.commit().unwrap();
        }
    }
    reported += log.commit().unwrap();
    assert_eq!(reported, 50);
    assert_eq!(log.durable_records(), 50);
    assert!(list_segments(&dir.path().join("log")).unwrap().len() > 3);
}

/// Group commit across threads: groups are written under the log and synced outside it, in
/// any order and across segment rotations; a ticket whose records a later fsync covered
/// returns at once; everything written is in the log on reopen, in order.
#[test]
fn tickets_synced_out_of_order_and_across_rotations_keep_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let small = LogOptions {
        commit_records: usize::MAX,
        commit_bytes: usize::MAX,
        segment_bytes: 600,
    };
    let (mut log, _) = Log::open(dir.path(), small).unwrap();
    let mut tickets = Vec::new();
    for g in 0..30 {
        for i in g * 3..g * 3 + 3 {
            let (id, json) = event(i);
            assert_eq!(log.append(&id, &json).unwrap(), Appended::Pending);
        }
        tickets.push(log.write_pending().unwrap().expect("records were pending"));
    }
    assert!(log.write_pending().unwrap().is_none(), "nothing pending");
    let segments = std::fs::read_dir(dir.path().join("log")).unwrap().count();
    assert!(segments > 3, "rotated: {segments} segments");
    // The newest first: it covers its segment; older segments were synced on rotation.
    std::thread::scope(|s| {
        for t in tickets.iter().rev() {
            s.spawn(move || t.sync().unwrap());
        }
    });
    assert_eq!(*log.sync.synced.lock().unwrap(), 30);
    drop(log);
    let (ids, torn) = read_all(dir.path());
    assert!(!torn);
    let want: Vec<String> = (0..90).map(|i| format!("e-{i}")).collect();
    assert_eq!(ids, want);
}
