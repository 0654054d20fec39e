//! `scan_dir`: the tree model the differ works on.

mod common;

use std::fs;

use common::*;
use repro_artifact::{EntryKind, Error, ScanOptions, Sha256, scan_dir};

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
    let keys: Vec<&str> = (0..t.len()).map(|i| t.path(i)).collect();
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
    assert_eq!(t.total_file_bytes(), 10 + 1_000_000 + 1);
    // Symlinked directories are not followed.
    assert!(t.get("dirlink/libx.so.1").is_none());

    let no_hash = scan_dir(r, &ScanOptions { hash_files: false, ..Default::default() }).unwrap();
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
