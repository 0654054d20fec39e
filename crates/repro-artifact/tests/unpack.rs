//! Every refusal of the safe unpacker, with hand-made hostile tar streams.

use std::fs;
use std::path::Path;

use repro_artifact::{
    Error, UnpackLimits, UnpackStats, tree_hash_dir, unpack_tar_reader, unpack_tarball,
};

/// One raw entry: type flag, path bytes (written verbatim), link target, content, mode.
struct E<'a> {
    kind: u8,
    path: &'a [u8],
    link: &'a [u8],
    data: &'a [u8],
    mode: u32,
}

fn f<'a>(path: &'a str, data: &'a [u8]) -> E<'a> {
    E { kind: b'0', path: path.as_bytes(), link: b"", data, mode: 0o644 }
}
fn d(path: &str) -> E<'_> {
    E { kind: b'5', path: path.as_bytes(), link: b"", data: b"", mode: 0o755 }
}
fn sl<'a>(path: &'a str, target: &'a str) -> E<'a> {
    E { kind: b'2', path: path.as_bytes(), link: target.as_bytes(), data: b"", mode: 0o777 }
}
fn hl<'a>(path: &'a str, target: &'a str) -> E<'a> {
    E { kind: b'1', path: path.as_bytes(), link: target.as_bytes(), data: b"", mode: 0o644 }
}

fn header(kind: u8, name: &[u8], link: &[u8], size: u64, mode: u32) -> [u8; 512] {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(1_600_000_000);
    h.set_cksum();
    *h.as_bytes()
}

fn raw_tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&header(e.kind, e.path, e.link, e.data.len() as u64, e.mode));
        out.extend_from_slice(e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Unpack into `<tmp>/dest`; returns the tmp dir (to check nothing escaped) and the result.
fn unpack(
    entries: &[E<'_>],
    limits: &UnpackLimits,
) -> (tempfile::TempDir, Result<UnpackStats, Error>) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("dest");
    let r = unpack_tar_reader(&raw_tar(entries)[..], &dest, limits);
    (tmp, r)
}

#[track_caller]
fn refused(entries: &[E<'_>], entry: &str, why: &str) {
    let (tmp, r) = unpack(entries, &UnpackLimits::default());
    match r {
        Err(Error::Refused { entry: e, reason, .. }) => {
            assert_eq!(e, entry, "wrong entry named (reason: {reason})");
            assert!(reason.contains(why), "reason `{reason}` does not mention `{why}`");
        }
        other => panic!("expected refusal of {entry}, got {other:?}"),
    }
    assert_no_escape(tmp.path());
}

/// Nothing but `dest` may exist next to it.
fn assert_no_escape(tmp: &Path) {
    let names: Vec<String> =
        fs::read_dir(tmp).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| n == "dest"), "something escaped: {names:?}");
}

#[test]
fn parent_dir_components() {
    refused(&[f("../evil", b"x")], "../evil", "`..`");
    refused(&[d("a"), f("a/../../evil", b"x")], "a/../../evil", "`..`");
    refused(&[f("./a/b/../c", b"x")], "./a/b/../c", "`..`");
}

#[test]
fn absolute_paths() {
    refused(&[f("/tmp/repro-evil", b"x")], "/tmp/repro-evil", "absolute");
    assert!(!Path::new("/tmp/repro-evil").exists());
}

#[test]
fn symlinks_escaping() {
    refused(&[sl("up", "..")], "up", "outside");
    refused(&[sl("a/b/up", "../../../x")], "a/b/up", "outside");
    refused(&[sl("abs", "/etc")], "abs", "absolute");
    // Each link alone stays inside; combined through the first one, the second escapes.
    refused(&[d("x"), sl("x/l", ".."), sl("t", "x/l/..")], "t", "outside");
    // Through a link that appears later in the archive.
    refused(&[sl("t", "y/.."), sl("y", "x/l"), d("x"), sl("x/l", "..")], "t", "outside");
    // Loops are refused, not followed forever.
    refused(&[sl("loop1", "loop2/x"), sl("loop2", "loop1/y")], "loop1", "too many levels");
}

#[test]
fn outside_symlinks_can_be_allowed_but_never_written_through() {
    let allow = UnpackLimits { allow_outside_symlinks: true, ..Default::default() };
    let (tmp, r) =
        unpack(&[sl("abs", "/usr/share/automake/config.guess"), sl("up", "../..")], &allow);
    r.unwrap();
    let dest = tmp.path().join("dest");
    assert_eq!(fs::read_link(dest.join("up")).unwrap().to_str(), Some("../.."));
    let (tmp, r) = unpack(&[sl("up", ".."), f("up/evil", b"x")], &allow);
    let e = r.unwrap_err();
    assert!(e.to_string().contains("goes through the symlink `up`"), "{e}");
    assert_no_escape(tmp.path());
}

#[test]
fn writing_through_symlinks() {
    refused(
        &[d("sub"), sl("l", "sub"), f("l/file", b"x")],
        "l/file",
        "goes through the symlink `l`",
    );
    refused(&[sl("l", "."), d("l/d")], "l/d", "goes through the symlink");
    // A symlink already in the destination counts too.
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("dest");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&dest).unwrap();
    fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, dest.join("pre")).unwrap();
    let e =
        unpack_tar_reader(&raw_tar(&[f("pre/file", b"x")])[..], &dest, &UnpackLimits::default())
            .unwrap_err();
    assert!(e.to_string().contains("goes through the symlink `pre`"), "{e}");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    // A regular file cannot be replaced by writing through a dangling link either: the link
    // is replaced, not followed.
    let (tmp, r) = unpack(&[sl("l", "target"), f("l", b"file now")], &UnpackLimits::default());
    r.unwrap();
    let l = tmp.path().join("dest/l");
    assert!(fs::symlink_metadata(&l).unwrap().is_file());
    assert!(!tmp.path().join("dest/target").exists());
}

#[test]
fn hardlinks() {
    refused(&[hl("h", "../../etc/passwd")], "h", "`..`");
    refused(&[hl("h", "/etc/passwd")], "h", "absolute");
    refused(&[hl("h", "missing")], "h", "does not exist");
    refused(&[f("t", b"x"), sl("s", "t"), hl("h", "s")], "h", "hardlink to a symlink");
    refused(&[d("dir"), hl("h", "dir")], "h", "hardlink to a directory");
    refused(
        &[d("sub"), f("sub/t", b"x"), sl("l", "sub"), hl("h", "l/t")],
        "h",
        "goes through the symlink",
    );
    // A fine hardlink.
    let (tmp, r) = unpack(&[f("t", b"same"), hl("h", "t")], &UnpackLimits::default());
    assert_eq!(r.unwrap().hardlinks, 1);
    assert_eq!(fs::read(tmp.path().join("dest/h")).unwrap(), b"same");
}

#[test]
fn devices_and_fifos() {
    for kind in [b'3', b'4', b'6'] {
        let e = E { kind, path: b"dev", link: b"", data: b"", mode: 0o644 };
        let why = if kind == b'6' { "fifo" } else { "device" };
        refused(&[e], "dev", why);
    }
}

#[test]
fn replacing_a_directory_is_refused() {
    refused(&[d("a"), f("a/x", b"1"), f("a", b"2")], "a", "would replace a directory");
    refused(&[f("a/x", b"1"), sl("a", "b")], "a", "would replace a directory");
    refused(&[f("file", b"1"), f("file/x", b"2")], "file/x", "not a directory");
}

#[test]
fn limits() {
    let many: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let entries: Vec<E<'_>> = many.iter().map(|n| f(n, b"0123456789")).collect();
    let (_t, r) = unpack(&entries, &UnpackLimits { max_entries: 10, ..Default::default() });
    let e = r.unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { limit: "max_entries", .. }), "{e}");
    assert!(e.to_string().contains("f10") && e.to_string().contains("max_entries = 10"), "{e}");
    let (_t, r) = unpack(&entries, &UnpackLimits { max_total_bytes: 55, ..Default::default() });
    let e = r.unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { limit: "max_total_bytes", .. }), "{e}");
    assert!(e.to_string().contains("f5"), "{e}");
    let (_t, r) =
        unpack(&[f("a/b/c/d/e", b"x")], &UnpackLimits { max_depth: 4, ..Default::default() });
    let e = r.unwrap_err();
    assert!(matches!(e, Error::LimitExceeded { limit: "max_depth", .. }), "{e}");
    let (_t, r) =
        unpack(&[f("a/b/c/d/e", b"x")], &UnpackLimits { max_depth: 5, ..Default::default() });
    r.unwrap();
}

#[test]
fn oversized_metadata_entries() {
    let mut t = Vec::new();
    let big = vec![b'a'; (1 << 20) + 10];
    t.extend_from_slice(&header(b'L', b"././@LongLink", b"", big.len() as u64, 0o644));
    t.extend_from_slice(&big);
    t.resize(t.len().div_ceil(512) * 512, 0);
    t.extend_from_slice(&header(b'0', b"x", b"", 0, 0o644));
    t.resize(t.len() + 1024, 0);
    let tmp = tempfile::tempdir().unwrap();
    let e = unpack_tar_reader(&t[..], tmp.path(), &UnpackLimits::default()).unwrap_err();
    assert!(e.to_string().contains("metadata entry"), "{e}");
}

#[test]
fn good_archive_unpacks_with_modes_mtimes_and_links() {
    let entries = [
        d("./"),
        d("bin"),
        E { kind: b'0', path: b"bin/tool", link: b"", data: b"#!/bin/sh\n", mode: 0o744 },
        E { kind: b'0', path: b"lib/libx.so.1", link: b"", data: b"elf", mode: 0o600 },
        sl("lib/libx.so", "libx.so.1"),
        sl("up-and-back", "lib/../bin/tool"),
        f("./dot/slash//file", b"normalized"),
    ];
    let (tmp, r) = unpack(&entries, &UnpackLimits::default());
    let st = r.unwrap();
    assert_eq!((st.files, st.symlinks, st.dirs), (3, 2, 1));
    let dest = tmp.path().join("dest");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| fs::metadata(dest.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("bin/tool"), 0o755);
    assert_eq!(mode("lib/libx.so.1"), 0o644);
    assert_eq!(fs::read_link(dest.join("lib/libx.so")).unwrap().to_str(), Some("libx.so.1"));
    assert_eq!(fs::read(dest.join("dot/slash/file")).unwrap(), b"normalized");
    let mtime = fs::metadata(dest.join("bin/tool")).unwrap().modified().unwrap();
    assert_eq!(mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(), 1_600_000_000);
    // The streamed tarball hash agrees with the unpacked tree.
    let tarball = tmp.path().join("x.tar");
    fs::write(&tarball, raw_tar(&entries)).unwrap();
    assert_eq!(
        repro_artifact::tree_hash_tarball(&tarball).unwrap().git_tree_sha1,
        tree_hash_dir(&dest).unwrap()
    );
    let again = tmp.path().join("again");
    unpack_tarball(&tarball, &again, &UnpackLimits::default()).unwrap();
    assert_eq!(tree_hash_dir(&again).unwrap(), tree_hash_dir(&dest).unwrap());
}
