//! Helpers shared by this crate's integration tests: tree builders and the `git` oracle.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

/// Write a file with content and mode, creating parents.
pub fn file(root: &Path, rel: &str, content: &[u8], mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, content).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

/// Create a symlink `rel` → `target`, creating parents.
pub fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, &p).unwrap();
}

/// Create a directory (and parents).
pub fn dir(root: &Path, rel: &str) {
    fs::create_dir_all(root.join(rel)).unwrap();
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.fileMode=true", "-c", "core.symlinks=true", "-c", "core.autocrlf=false"])
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", repo)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `git write-tree` of `root`, using a separate git dir so the tree itself stays untouched.
pub fn git_oracle(root: &Path) -> String {
    let gitdir = tempfile::tempdir().unwrap();
    let gd = gitdir.path().to_str().unwrap().to_owned();
    let wt = root.to_str().unwrap().to_owned();
    git(root, &["--git-dir", &gd, "--work-tree", &wt, "init", "-q"]);
    git(root, &["--git-dir", &gd, "--work-tree", &wt, "config", "core.fileMode", "true"]);
    git(root, &["--git-dir", &gd, "--work-tree", &wt, "config", "core.symlinks", "true"]);
    git(root, &["--git-dir", &gd, "--work-tree", &wt, "config", "core.autocrlf", "false"]);
    git(root, &["--git-dir", &gd, "--work-tree", &wt, "add", "-A", "-f"]);
    git(root, &["--git-dir", &gd, "--work-tree", &wt, "write-tree"])
}

/// `git mktree` with the given `ls-tree`-format lines, in a scratch repository.
pub fn git_mktree(lines: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q"]);
    let mut child = Command::new("git")
        .arg("-C")
        .arg(d.path())
        .args(["mktree", "--missing"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `git hash-object --stdin` of bytes.
pub fn git_blob(data: &[u8]) -> String {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("blob");
    fs::write(&p, data).unwrap();
    git(d.path(), &["hash-object", "--no-filters", p.to_str().unwrap()])
}

/// The main vector of docs/tree-hash.md: root 088b4530….
pub fn main_vector(root: &Path) {
    file(root, "a/f.txt", b"hello\n", 0o644);
    link(root, "a/link", "f.txt");
    dir(root, "a/emptydir");
    file(root, "b/run", b"#!/bin/sh\n", 0o755);
}
