//! Any bytes as the last segment of a log: opening either repairs a torn tail or reports
//! damage, never panics, and what it keeps reads back cleanly.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let log = dir.path().join("log");
    if std::fs::create_dir_all(&log).is_err() {
        return;
    }
    if std::fs::write(log.join("00000000000000000001.seg"), data).is_err() {
        return;
    }
    if let Ok((writer, _)) = clawback_store::Log::open(dir.path(), Default::default()) {
        drop(writer);
        let mut reader = clawback_store::LogReader::open(dir.path()).expect("a repaired log opens");
        while let Some(_) = reader.next_record().expect("a repaired log reads") {}
        assert!(!reader.torn_tail);
    }
});
