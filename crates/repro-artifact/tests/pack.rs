//! Deterministic packing: byte-identical output across machines' incidental state, contents
//! that round-trip to the same tree hash, the top-level filter, atomic output.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;
use repro_artifact::{
    PackOptions, UnpackLimits, pack_dir, pack_dir_with, tree_hash_dir, tree_hash_tarball,
    unpack_tarball, write_deterministic_tar,
};

/// Build the same logical tree; `variant` changes creation order, group/other bits, mtimes and
/// (as root) owners.
fn build(r: &Path, variant: u32) {
    let (rw, rx) = if variant == 0 { (0o644, 0o755) } else { (0o600, 0o700) };
    let mut files: Vec<(String, Vec<u8>, u32)> = vec![
        ("bin/tool".into(), b"#!/bin/sh\necho tool\n".to_vec(), rx),
        ("lib/libfoo.so.1.2".into(), (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect(), rx),
        ("include/foo.h".into(), b"int foo(void);\n".to_vec(), rw),
        ("share/licenses/Foo/LICENSE".into(), b"MIT\n".to_vec(), rw),
        ("logs/Foo/Foo.log.gz".into(), b"log".to_vec(), rw),
        (format!("share/{}/{}", "deep".repeat(30), "name".repeat(40)), b"long path\n".to_vec(), rw),
        ("a.b".into(), b"x".to_vec(), rw),
        ("a/b".into(), b"y".to_vec(), rw),
        (
            "big.bin".into(),
            (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect(),
            rw,
        ),
    ];
    if variant != 0 {
        files.reverse();
    }
    for (rel, content, mode) in &files {
        file(r, rel, content, *mode);
    }
    link(r, "lib/libfoo.so", "libfoo.so.1.2");
    link(r, "lib/long-link", &format!("{}target", "sub/".repeat(40)));
    dir(r, "share/empty");
    // mtimes and owners differ between variants.
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + u64::from(variant) * 12345);
    for (rel, _, _) in &files {
        let f = fs::File::options().write(true).open(r.join(rel)).unwrap();
        f.set_modified(t).unwrap();
        if variant != 0 && nix_is_root() {
            std::os::unix::fs::chown(r.join(rel), Some(1234), Some(4321)).unwrap();
        }
    }
    if variant != 0 {
        for d in ["bin", "lib", "share", "logs"] {
            fs::set_permissions(r.join(d), fs::Permissions::from_mode(0o700)).unwrap();
        }
    }
}

fn nix_is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

#[test]
fn byte_identical_across_incidental_state_and_round_trips() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build(a.path(), 0);
    build(b.path(), 1);
    let out = tempfile::tempdir().unwrap();
    let pa = pack_dir(a.path(), &out.path().join("a.tar.gz"), |n| n != "logs").unwrap();
    let pb = pack_dir(b.path(), &out.path().join("b.tar.gz"), |n| n != "logs").unwrap();
    let (ba, bb) = (fs::read(&pa.path).unwrap(), fs::read(&pb.path).unwrap());
    assert_eq!(ba, bb, "packing must not depend on mtimes, umask, owners or creation order");
    assert_eq!(pa.sha256, pb.sha256);
    assert_eq!(pa.size, ba.len() as u64);
    assert_eq!(fs::metadata(&pa.path).unwrap().permissions().mode() & 0o777, 0o644);

    // Tree hash recorded while packing = hash of the tarball = hash of the source without logs.
    let th = tree_hash_tarball(&pa.path).unwrap();
    assert_eq!(th.git_tree_sha1, pa.git_tree_sha1);
    assert_eq!(th.sha256, pa.sha256);
    fs::remove_dir_all(a.path().join("logs")).unwrap();
    assert_eq!(tree_hash_dir(a.path()).unwrap(), pa.git_tree_sha1);

    // Our unpacker and GNU tar both give back the same tree.
    let u = tempfile::tempdir().unwrap();
    unpack_tarball(&pa.path, u.path(), &UnpackLimits::default()).unwrap();
    assert_eq!(tree_hash_dir(u.path()).unwrap(), pa.git_tree_sha1);
    let g = tempfile::tempdir().unwrap();
    let st =
        Command::new("tar").arg("-xzf").arg(&pa.path).arg("-C").arg(g.path()).status().unwrap();
    assert!(st.success());
    assert_eq!(tree_hash_dir(g.path()).unwrap(), pa.git_tree_sha1);
    assert!(g.path().join("share/empty").is_dir(), "directories are emitted explicitly");

    // gzip agrees the stream is valid; headers carry no machine state.
    assert!(Command::new("gzip").arg("-t").arg(&pa.path).status().unwrap().success());
    let listing = Command::new("tar")
        .args(["--numeric-owner", "--full-time", "-tvzf"])
        .arg(&pa.path)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    for line in listing.lines() {
        assert!(line.contains(" 0/0 "), "owner not 0/0: {line}");
        assert!(line.contains("1970-01-01 00:00:00"), "mtime not 0: {line}");
        let perms = &line[..10];
        assert!(
            ["-rw-r--r--", "-rwxr-xr-x", "drwxr-xr-x", "lrwxr-xr-x"].contains(&perms),
            "{line}"
        );
    }
    // Sorted bytewise by path.
    let names: Vec<&str> = listing.lines().map(|l| l.split_whitespace().nth(5).unwrap()).collect();
    let mut sorted = names.clone();
    sorted
        .sort_by(|x, y| x.trim_end_matches('/').as_bytes().cmp(y.trim_end_matches('/').as_bytes()));
    assert_eq!(names, sorted);
    assert!(!listing.contains("logs"));
}

#[test]
fn logs_filter_and_deterministic_plain_tar() {
    let a = tempfile::tempdir().unwrap();
    build(a.path(), 0);
    let out = tempfile::tempdir().unwrap();
    let logs = pack_dir(a.path(), &out.path().join("logs.tar.gz"), |n| n == "logs").unwrap();
    let u = tempfile::tempdir().unwrap();
    unpack_tarball(&logs.path, u.path(), &UnpackLimits::default()).unwrap();
    let top: Vec<String> = fs::read_dir(u.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(top, vec!["logs".to_owned()]);
    assert_eq!(fs::read(u.path().join("logs/Foo/Foo.log.gz")).unwrap(), b"log");

    let mut t1 = Vec::new();
    write_deterministic_tar(a.path(), &mut t1, |_| true).unwrap();
    let mut t2 = Vec::new();
    write_deterministic_tar(a.path(), &mut t2, |_| true).unwrap();
    assert_eq!(t1, t2);
    assert_eq!(t1.len() % 512, 0);
    let u2 = tempfile::tempdir().unwrap();
    repro_artifact::unpack_tar_reader(&t1[..], u2.path(), &UnpackLimits::default()).unwrap();
    assert_eq!(tree_hash_dir(u2.path()).unwrap(), tree_hash_dir(a.path()).unwrap());
}

#[test]
fn levels_change_bytes_not_content() {
    let a = tempfile::tempdir().unwrap();
    build(a.path(), 0);
    let out = tempfile::tempdir().unwrap();
    let p1 = pack_dir_with(
        a.path(),
        &out.path().join("1.tgz"),
        |_| true,
        &PackOptions { level: 1, ..Default::default() },
    )
    .unwrap();
    let p9 = pack_dir_with(
        a.path(),
        &out.path().join("9.tgz"),
        |_| true,
        &PackOptions { level: 9, ..Default::default() },
    )
    .unwrap();
    assert_eq!(p1.git_tree_sha1, p9.git_tree_sha1);
    assert!(p9.size < p1.size);
    assert_eq!(tree_hash_tarball(&p1.path).unwrap().git_tree_sha1, p9.git_tree_sha1);
}

#[test]
fn failed_pack_leaves_nothing_behind() {
    let a = tempfile::tempdir().unwrap();
    file(a.path(), "ok", b"fine", 0o644);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("art.tar.gz");
    fs::write(&target, b"previous artifact").unwrap();
    // A fifo cannot be packed: the error names it and the old output stays untouched.
    let fifo = a.path().join("zz-fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let e = pack_dir(a.path(), &target, |_| true).unwrap_err().to_string();
    assert!(e.contains("zz-fifo"), "{e}");
    assert_eq!(fs::read(&target).unwrap(), b"previous artifact");
    let left: Vec<_> = fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 1, "temporary files left behind: {left:?}");
    // Missing output directory: clear error.
    fs::remove_file(&fifo).unwrap();
    let e =
        pack_dir(a.path(), &out.path().join("nope/x.tar.gz"), |_| true).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
}
