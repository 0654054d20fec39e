//! `scan_dir`: the tree model the differ works on.

mod common;

use std::fs;

use common::*;
use repro_artifact::{
    ContentFilter, Entry, EntryKind, Error, ScanOptions, Sha256, SpillDir, Tree, scan_dir,
};

/// A scanned tree's entries, read back in path order.
struct Listed(Vec<Entry>);

impl Listed {
    fn of(t: Tree) -> Listed {
        Listed(t.into_entries().unwrap())
    }
    fn get(&self, path: &str) -> Option<&Entry> {
        self.0.iter().find(|e| e.path == path)
    }
    fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.0.iter()
    }
    fn paths(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.path.as_str()).collect()
    }
}

#[test]
fn entries_kinds_hashes() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    file(r, "bin/tool", b"#!/bin/sh\n", 0o744);
    file(r, "lib/libx.so.1", &vec![5u8; 1_000_000], 0o644);
    link(r, "lib/libx.so", "libx.so.1");
    link(r, "dangling", "../nowhere");
    link(r, "dirlink", "lib");
    dir(r, "empty/inner");
    file(r, "ünï.txt", b"u", 0o600);
    let t = scan_dir(r, &ScanOptions::default()).unwrap();
    assert_eq!(t.total_file_bytes(), 10 + 1_000_000 + 1);
    let t = Listed::of(t);
    let keys = t.paths();
    assert_eq!(
        keys,
        [
            "bin",
            "bin/tool",
            "dangling",
            "dirlink",
            "empty",
            "empty/inner",
            "lib",
            "lib/libx.so",
            "lib/libx.so.1",
            "ünï.txt"
        ]
    );
    let e = &t.get("bin/tool").unwrap();
    assert_eq!(e.kind, EntryKind::File { size: 10, executable: true });
    assert_eq!(e.sha256, Some(Sha256::of_bytes(b"#!/bin/sh\n")));
    assert_eq!(
        t.get("lib/libx.so.1").unwrap().sha256,
        Some(Sha256::of_bytes(&vec![5u8; 1_000_000]))
    );
    assert_eq!(
        t.get("lib/libx.so").unwrap().kind,
        EntryKind::Symlink { target: "libx.so.1".into() }
    );
    assert_eq!(t.get("dirlink").unwrap().kind, EntryKind::Symlink { target: "lib".into() });
    assert_eq!(t.get("empty/inner").unwrap().kind, EntryKind::Dir);
    assert_eq!(t.get("ünï.txt").unwrap().kind, EntryKind::File { size: 1, executable: false });
    assert!(t.iter().all(|e| e.sha256.is_some() == matches!(e.kind, EntryKind::File { .. })));
    // Symlinked directories are not followed.
    assert!(t.get("dirlink/libx.so.1").is_none());

    let no_hash =
        Listed::of(scan_dir(r, &ScanOptions { hash_files: false, ..Default::default() }).unwrap());
    assert!(no_hash.iter().all(|e| e.sha256.is_none()));
    assert_eq!(
        no_hash.get("bin/tool").unwrap().kind,
        EntryKind::File { size: 10, executable: true }
    );
}

#[test]
fn many_files_in_parallel() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..2000 {
        file(d.path(), &format!("d{}/f{i}", i % 17), format!("content {i}").as_bytes(), 0o644);
    }
    let t = scan_dir(d.path(), &ScanOptions::default()).unwrap();
    assert_eq!(t.len(), 2000 + 17);
    let t = Listed::of(t);
    for i in (0..2000).step_by(97) {
        let e = &t.get(&format!("d{}/f{i}", i % 17)).unwrap();
        assert_eq!(e.sha256, Some(Sha256::of_bytes(format!("content {i}").as_bytes())));
    }
}

#[test]
fn limits_and_bad_input() {
    let d = tempfile::tempdir().unwrap();
    file(d.path(), "a/b/c/d/e/f", b"x", 0o644);
    let e = scan_dir(d.path(), &ScanOptions { max_depth: 3, ..Default::default() }).unwrap_err();
    assert!(matches!(e, Error::TooDeep { .. }) && e.to_string().contains("a/b/c/d"), "{e}");
    let e = scan_dir(d.path(), &ScanOptions { max_entries: 3, ..Default::default() }).unwrap_err();
    assert!(e.to_string().contains("more than 3 entries"), "{e}");
    let e = scan_dir(&d.path().join("a/b/c/d/e/f"), &ScanOptions::default()).unwrap_err();
    assert!(e.to_string().contains("not a directory"), "{e}");

    use std::os::unix::ffi::OsStrExt;
    let bad = d.path().join(std::ffi::OsStr::from_bytes(b"bad\xffname"));
    fs::write(&bad, b"x").unwrap();
    let e = scan_dir(d.path(), &ScanOptions::default()).unwrap_err();
    assert!(matches!(e, Error::NonUtf8 { .. }), "{e}");
}

/// A tree larger than the memory bound is spilled in sorted runs and read back in the same
/// order, with the same entries and empty-directory flags, as one held in memory; the spill
/// files go when the cursor does.
#[test]
fn spilled_tree_reads_back_like_one_in_memory() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path().join("tree");
    for i in 0..500 {
        // Names where byte order and directory order disagree (`a.b` sorts before `a/`).
        file(&r, &format!("d{}/f{i}", i % 13), format!("c{i}").as_bytes(), 0o644);
        file(&r, &format!("d{}.x/g{i}", i % 7), b"x", 0o755);
    }
    dir(&r, "empty/inner");
    file(&r, "logs/only.log", b"l", 0o644);
    link(&r, "d0/link", "../d1");
    let spill = d.path().join("spill");
    fs::create_dir(&spill).unwrap();
    let filter = ContentFilter(std::sync::Arc::new(|p: &str| !p.starts_with("logs/")));
    let scan = |max_in_memory| {
        let opts = ScanOptions {
            max_in_memory,
            spill: SpillDir::new(Some(spill.clone())),
            counts_as_content: Some(filter.clone()),
            ..ScanOptions::default()
        };
        let t = scan_dir(&r, &opts).unwrap();
        let runs = t.spilled_runs();
        let mut c = t.into_cursor().unwrap();
        let mut v = Vec::new();
        while let Some(s) = c.next_entry().unwrap() {
            v.push(s);
        }
        assert_eq!(c.peek_path(), None);
        (v, runs)
    };
    let (mem, runs) = scan(1_000_000);
    assert_eq!(runs, 0);
    let (spilled, runs) = scan(50);
    assert!(runs >= 20, "{runs} runs");
    assert_eq!(fs::read_dir(&spill).unwrap().count(), 0, "spill files removed");
    assert_eq!(mem.len(), 500 * 2 + 13 + 7 + 2 + 2 + 1);
    assert_eq!(mem, spilled);
    let paths: Vec<&str> = mem.iter().map(|s| s.entry.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "byte order of the paths");
    let content = |p: &str| mem.iter().find(|s| s.entry.path == p).unwrap().has_content;
    assert!(content("d0") && content("d0.x"));
    assert!(!content("empty") && !content("empty/inner"));
    assert!(!content("logs"), "only filtered-out files below");
    assert!(!content("d0/f0"), "files are never flagged");
}
