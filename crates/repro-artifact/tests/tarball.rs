//! `tree_hash_tarball` equals `tree_hash_dir` of the same content, for tarballs made by GNU tar
//! in every compression, and `open_decompressed` detects formats by content.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use common::*;
use repro_artifact::{
    Compression, Sha256, UnpackLimits, open_decompressed, sha256_file, sniff_tarball,
    tree_hash_dir, tree_hash_tarball, tree_hash_tarball_with,
};

/// A tree with every interesting case (no hardlinks: GNU tar would pair them on its own).
fn rich_tree(r: &Path) {
    main_vector(r);
    file(r, "x/exec744", b"e", 0o744);
    file(r, "x/ro640", b"r", 0o640);
    link(r, "x/dangling", "nowhere");
    link(r, "x/dir-link", "../a");
    dir(r, "empty/inner");
    file(r, ".git/HEAD", b"ref: x\n", 0o644);
    file(r, "sub/.git", b"gitdir\n", 0o644);
    file(r, "ünï/ç", b"u\n", 0o644);
    file(r, &format!("long/{}/{}", "d".repeat(120), "f".repeat(150)), b"long\n", 0o644);
    link(r, "long/link", &"t".repeat(300));
    file(r, "big", &vec![3u8; 1 << 20], 0o644);
}

fn gnu_tar(src: &Path, out: &Path, format: &str) {
    let st = Command::new("tar")
        .args(["--format", format, "-cf"])
        .arg(out)
        .arg("-C")
        .arg(src)
        .arg(".")
        .status()
        .unwrap();
    assert!(st.success());
}

fn compress(input: &Path, out: &Path, c: Compression) {
    let data = fs::read(input).unwrap();
    let bytes = match c {
        Compression::None => data,
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        }
        Compression::Zstd => zstd::encode_all(&data[..], 3).unwrap(),
        Compression::Xz => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        }
        Compression::Bzip2 => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        }
    };
    fs::write(out, bytes).unwrap();
}

#[test]
fn tarball_hash_equals_dir_hash_in_every_compression() {
    let src = tempfile::tempdir().unwrap();
    rich_tree(src.path());
    let want = tree_hash_dir(src.path()).unwrap();
    let work = tempfile::tempdir().unwrap();
    for format in ["gnu", "pax", "ustar"] {
        let tar = work.path().join(format!("t-{format}.tar"));
        if format == "ustar" {
            // ustar cannot hold the long names: use the rest of the tree only.
            let small = tempfile::tempdir().unwrap();
            main_vector(small.path());
            gnu_tar(small.path(), &tar, format);
            assert_eq!(
                tree_hash_tarball(&tar).unwrap().git_tree_sha1,
                tree_hash_dir(small.path()).unwrap()
            );
            continue;
        }
        gnu_tar(src.path(), &tar, format);
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Zstd,
            Compression::Xz,
            Compression::Bzip2,
        ] {
            // Misleading extension on purpose: detection is by content.
            let f = work.path().join(format!("t-{format}-{}.bin", c.name()));
            compress(&tar, &f, c);
            assert_eq!(sniff_tarball(&f).unwrap(), Some(c));
            let h = tree_hash_tarball(&f).unwrap();
            assert_eq!(h.git_tree_sha1, want, "{format} {c:?}");
            assert_eq!(h.sha256, Sha256::of_bytes(&fs::read(&f).unwrap()));
            assert_eq!(h.sha256, sha256_file(&f).unwrap());
            assert_ne!(
                h.tar_git_tree_sha1, h.git_tree_sha1,
                "empty dirs and .git count in Tar style"
            );
            let mut back = Vec::new();
            open_decompressed(&f).unwrap().read_to_end(&mut back).unwrap();
            assert_eq!(back, fs::read(&tar).unwrap());
        }
    }
}

#[test]
fn main_vector_tarball_both_flavours() {
    let src = tempfile::tempdir().unwrap();
    main_vector(src.path());
    let work = tempfile::tempdir().unwrap();
    let tar = work.path().join("v.tar");
    gnu_tar(src.path(), &tar, "gnu");
    let h = tree_hash_tarball(&tar).unwrap();
    assert_eq!(h.git_tree_sha1.to_string(), "088b4530ae65287434e90e2b77ef32735f8b2017");
    assert_eq!(h.tar_git_tree_sha1.to_string(), "350f2be3b7dc05baae123ce6dce2977ff5f3f915");
}

#[test]
fn hardlinks_hash_as_their_target() {
    let src = tempfile::tempdir().unwrap();
    file(src.path(), "d/one", b"shared content\n", 0o755);
    fs::hard_link(src.path().join("d/one"), src.path().join("two")).unwrap();
    file(src.path(), "three", b"other\n", 0o644);
    let want = tree_hash_dir(src.path()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let tar = work.path().join("h.tar");
    gnu_tar(src.path(), &tar, "gnu");
    // GNU tar stored `two` (or `d/one`) as a hardlink entry.
    let listing = Command::new("tar").arg("-tvf").arg(&tar).output().unwrap();
    assert!(String::from_utf8_lossy(&listing.stdout).contains(" link to "));
    assert_eq!(tree_hash_tarball(&tar).unwrap().git_tree_sha1, want);
}

#[test]
fn not_a_tarball_and_corrupt_streams() {
    let work = tempfile::tempdir().unwrap();
    let txt = work.path().join("notes.tar.gz");
    fs::write(&txt, b"just some text, not a tarball at all, even if the name says so").unwrap();
    assert_eq!(sniff_tarball(&txt).unwrap(), None);
    let e = tree_hash_tarball(&txt).unwrap_err().to_string();
    assert!(e.contains("notes.tar.gz"), "{e}");

    // A truncated gzip tarball is an error naming the file, not a wrong hash.
    let src = tempfile::tempdir().unwrap();
    file(src.path(), "f", &vec![9u8; 200_000], 0o644);
    let tar = work.path().join("t.tar");
    gnu_tar(src.path(), &tar, "gnu");
    let gz = work.path().join("t.tar.gz");
    compress(&tar, &gz, Compression::Gzip);
    let bytes = fs::read(&gz).unwrap();
    let cut = work.path().join("cut.tar.gz");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = tree_hash_tarball(&cut).unwrap_err();
    assert!(format!("{e}").contains("cut.tar.gz"), "{e}");
}

#[test]
fn hashing_respects_limits() {
    let src = tempfile::tempdir().unwrap();
    for i in 0..10 {
        file(src.path(), &format!("f{i}"), &vec![1u8; 1000], 0o644);
    }
    let work = tempfile::tempdir().unwrap();
    let tar = work.path().join("t.tar");
    gnu_tar(src.path(), &tar, "gnu");
    let e = tree_hash_tarball_with(&tar, &UnpackLimits { max_entries: 5, ..Default::default() })
        .unwrap_err();
    assert!(e.to_string().contains("max_entries"), "{e}");
    let e =
        tree_hash_tarball_with(&tar, &UnpackLimits { max_total_bytes: 5000, ..Default::default() })
            .unwrap_err();
    assert!(e.to_string().contains("max_total_bytes"), "{e}");
}
