//! Integration tests for `repro hash`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use predicates::prelude::*;
use sha2::Digest as _;

use crate::support::{data, repro};

const MAIN: &str = "088b4530ae65287434e90e2b77ef32735f8b2017";
const MAIN_TAR_STYLE: &str = "350f2be3b7dc05baae123ce6dce2977ff5f3f915";

fn main_vector(r: &Path) {
    fs::create_dir_all(r.join("a/emptydir")).unwrap();
    fs::create_dir_all(r.join("b")).unwrap();
    fs::write(r.join("a/f.txt"), "hello\n").unwrap();
    std::os::unix::fs::symlink("f.txt", r.join("a/link")).unwrap();
    fs::write(r.join("b/run"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(r.join("b/run"), fs::Permissions::from_mode(0o755)).unwrap();
}

fn sha256_hex(p: &Path) -> String {
    hex::encode(sha2::Sha256::digest(fs::read(p).unwrap()))
}

#[test]
fn directory_prints_tree_hash() {
    let d = tempfile::tempdir().unwrap();
    main_vector(d.path());
    let out = repro().arg("hash").arg(d.path()).assert().success().get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out, format!("git-tree-sha1 {MAIN}  {}\n", d.path().display()));
}

#[test]
fn tarballs_in_every_fixture_compression() {
    for name in ["main-vector.tgz", "main-vector.tar.xz", "main-vector.tar.zst"] {
        let p = data(&format!("hash/{name}"));
        let out = repro().arg("hash").arg(&p).assert().success().get_output().clone();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            stdout,
            format!("git-tree-sha1 {MAIN}  sha256 {}  {}\n", sha256_hex(&p), p.display())
        );
        // The fixture keeps an empty directory: the Tar-style hash differs and a note says so.
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(MAIN_TAR_STYLE), "{stderr}");
    }
}

#[test]
fn json_shape() {
    let d = tempfile::tempdir().unwrap();
    main_vector(d.path());
    let tgz = data("hash/main-vector.tgz");
    let out = repro()
        .arg("hash")
        .arg("--json")
        .arg(d.path())
        .arg(&tgz)
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().expect("a JSON array");
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["path"], d.path().display().to_string());
    assert_eq!(arr[0]["kind"], "directory");
    assert_eq!(arr[0]["git_tree_sha1"], MAIN);
    assert!(arr[0].get("sha256").is_none());
    assert_eq!(arr[1]["kind"], "tarball");
    assert_eq!(arr[1]["git_tree_sha1"], MAIN);
    assert_eq!(arr[1]["sha256"], sha256_hex(&tgz));
    assert_eq!(arr[1]["compression"], "gzip");
    assert_eq!(arr[1]["tar_git_tree_sha1"], MAIN_TAR_STYLE);
}

#[test]
fn tarball_and_directory_agree_for_a_packed_tree() {
    // Repack a generated tree with plain `tar` under a misleading name: detection is by content.
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    fs::create_dir_all(src.join("lib")).unwrap();
    fs::write(src.join("lib/libz.so.1"), vec![0x7fu8; 5000]).unwrap();
    std::os::unix::fs::symlink("libz.so.1", src.join("lib/libz.so")).unwrap();
    let tarball = d.path().join("artifact.dat");
    let st = std::process::Command::new("tar")
        .arg("-cJf")
        .arg(&tarball)
        .arg("-C")
        .arg(&src)
        .arg(".")
        .status()
        .unwrap();
    assert!(st.success());
    let a = repro()
        .arg("hash")
        .arg("--json")
        .arg(&src)
        .arg(&tarball)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(v[0]["git_tree_sha1"], v[1]["git_tree_sha1"]);
    assert_eq!(v[1]["compression"], "xz");
}

#[test]
fn missing_and_unsupported_paths_exit_2() {
    let d = tempfile::tempdir().unwrap();
    main_vector(d.path());
    let missing = d.path().join("no-such-thing");
    repro()
        .arg("hash")
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-thing"))
        .stdout(predicate::str::is_empty());
    let other = tempfile::tempdir().unwrap();
    let txt = other.path().join("readme.tar.gz");
    fs::write(&txt, "not a tarball").unwrap();
    repro().arg("hash").arg(&txt).assert().code(2).stderr(
        predicate::str::contains("readme.tar.gz")
            .and(predicate::str::contains("not a directory or a tarball")),
    );
    // Good paths are still hashed; the exit code reports the failure.
    repro()
        .arg("hash")
        .arg(d.path())
        .arg(&missing)
        .assert()
        .code(2)
        .stdout(predicate::str::contains(MAIN))
        .stderr(predicate::str::contains("no-such-thing"));
    // No path at all is a usage error.
    repro().arg("hash").assert().code(2);
}

#[test]
fn hostile_tarball_is_an_error_not_a_hash() {
    let d = tempfile::tempdir().unwrap();
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..9].copy_from_slice(b"../escape");
    h.set_size(1);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut bytes = h.as_bytes().to_vec();
    bytes.push(b'x');
    bytes.resize(512 * 2 + 1024, 0);
    let p = d.path().join("evil.tar");
    fs::write(&p, bytes).unwrap();
    repro().arg("hash").arg(&p).assert().code(2).stderr(predicate::str::contains("../escape"));
}
