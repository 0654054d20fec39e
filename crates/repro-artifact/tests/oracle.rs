//! `tree_hash_dir` against `git write-tree` on generated trees, and the Pkg-only rules
//! (`.git` skipping, empty directories) against hand-built trees via `git mktree`.

mod common;

use std::fs;

use common::*;
use repro_artifact::{Error, GitTreeHash, HashOptions, tree_hash_dir, tree_hash_dir_with};

fn check(root: &std::path::Path) {
    let ours = tree_hash_dir(root).unwrap().to_string();
    let git = git_oracle(root);
    assert_eq!(ours, git, "tree hash differs from git write-tree for {}", root.display());
}

#[test]
fn modes_only_owner_x_counts() {
    let d = tempfile::tempdir().unwrap();
    for (name, mode) in [
        ("x744", 0o744),
        ("x700", 0o700),
        ("x755", 0o755),
        ("r640", 0o640),
        ("r644", 0o644),
        ("r600", 0o600),
        ("g-x", 0o654),
    ] {
        file(d.path(), name, name.as_bytes(), mode);
    }
    check(d.path());
    // 0744, 0700 and 0755 all hash alike; 0640 and 0644 alike; group-x alone is not executable.
    let one = |mode| {
        let d = tempfile::tempdir().unwrap();
        file(d.path(), "f", b"same", mode);
        tree_hash_dir(d.path()).unwrap()
    };
    assert_eq!(one(0o744), one(0o755));
    assert_eq!(one(0o700), one(0o755));
    assert_eq!(one(0o640), one(0o644));
    assert_eq!(one(0o654), one(0o644));
    assert_ne!(one(0o744), one(0o644));
}

#[test]
fn names_that_sort_differently_as_dirs() {
    let d = tempfile::tempdir().unwrap();
    file(d.path(), "a/inner", b"1", 0o644);
    file(d.path(), "a.b", b"2", 0o644);
    file(d.path(), "a-b", b"3", 0o644);
    file(d.path(), "a0", b"4", 0o644);
    file(d.path(), "a/b/c", b"5", 0o644);
    file(d.path(), "a/b.c", b"6", 0o644);
    file(d.path(), "ab", b"7", 0o644);
    check(d.path());
    // Same names, `a` a file instead of a directory: order changes, git still agrees.
    let e = tempfile::tempdir().unwrap();
    file(e.path(), "a", b"1", 0o644);
    file(e.path(), "a.b", b"2", 0o644);
    file(e.path(), "a-b", b"3", 0o644);
    file(e.path(), "a0", b"4", 0o644);
    check(e.path());
}

#[test]
fn symlinks_empty_dirs_and_unicode() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    file(r, "bin/tool", b"#!/bin/sh\necho hi\n", 0o755);
    link(r, "bin/tool-link", "tool");
    link(r, "dangling", "does/not/exist");
    link(r, "to-dir", "bin");
    link(r, "abs", "/usr/lib/libc.so.6");
    link(r, "only-link/l", "../bin/tool");
    dir(r, "empty");
    dir(r, "nested/empty/deeper");
    file(r, "nested/file", b"", 0o644);
    file(r, "ünïcödé/文件.txt", "héllo wörld\n".as_bytes(), 0o644);
    file(r, "ünïcödé/Zeta", b"z", 0o644);
    file(r, "ünïcödé/zeta", b"z", 0o644);
    file(r, "crlf.txt", b"a\r\nb\r\n", 0o644);
    file(r, "binary.bin", &(0..=255u8).cycle().take(70_000).collect::<Vec<_>>(), 0o644);
    check(r);
}

#[test]
fn generated_trees_match_git() {
    // A small deterministic generator: random shapes, names, modes, symlinks, empty dirs.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let names =
        ["a", "a.b", "a-b", "a_b", "b", "B", "é", "z", "lib", "lib.so", "lib.so.1", "x y", "0"];
    for round in 0..12 {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        let mut dirs = vec![String::new()];
        for _ in 0..(10 + rnd(40)) {
            let parent = dirs[rnd(dirs.len() as u64) as usize].clone();
            let name = names[rnd(names.len() as u64) as usize];
            let rel = if parent.is_empty() { name.to_owned() } else { format!("{parent}/{name}") };
            if fs::symlink_metadata(r.join(&rel)).is_ok() {
                continue;
            }
            match rnd(6) {
                0 | 1 => {
                    let mode = [0o644, 0o755, 0o744, 0o700, 0o640, 0o600][rnd(6) as usize];
                    let len = rnd(3000) as usize;
                    let content: Vec<u8> =
                        (0..len).map(|i| (i as u8).wrapping_mul(round as u8 + 7)).collect();
                    file(r, &rel, &content, mode);
                }
                2 => link(r, &rel, ["a", "../b", "/abs", "x/y", "lib.so.1"][rnd(5) as usize]),
                _ => {
                    dir(r, &rel);
                    dirs.push(rel);
                }
            }
        }
        check(r);
    }
}

#[test]
fn dot_git_is_skipped_at_every_level() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    file(r, "keep", b"k\n", 0o644);
    file(r, ".git/config", b"[core]\n", 0o644);
    file(r, "sub/.git", b"gitdir: ../x\n", 0o644);
    file(r, "sub/f", b"f\n", 0o755);
    file(r, "only-git/.git/HEAD", b"ref\n", 0o644);
    file(r, ".gitignore", b"keep\n", 0o644);
    // Hand-computed expectation: the same tree without any `.git` (and `only-git` vanishes).
    let sub = git_mktree(&format!("100755 blob {}\tf\n", git_blob(b"f\n")));
    let root = git_mktree(&format!(
        "100644 blob {}\t.gitignore\n100644 blob {}\tkeep\n040000 tree {sub}\tsub\n",
        git_blob(b"keep\n"),
        git_blob(b"k\n")
    ));
    assert_eq!(tree_hash_dir(r).unwrap().to_string(), root);
}

#[test]
fn tar_style_keeps_empty_dirs_and_dot_git() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    file(r, "f", b"f\n", 0o644);
    dir(r, "e");
    file(r, ".git/x", b"x\n", 0o644);
    let empty = GitTreeHash::EMPTY_TREE.to_string();
    let git = git_mktree(&format!("100644 blob {}\tx\n", git_blob(b"x\n")));
    let expected = git_mktree(&format!(
        "040000 tree {git}\t.git\n040000 tree {empty}\te\n100644 blob {}\tf\n",
        git_blob(b"f\n")
    ));
    let tar =
        tree_hash_dir_with(r, &HashOptions { tar_style: true, ..Default::default() }).unwrap();
    assert_eq!(tar.to_string(), expected);
}

#[test]
fn hardlinks_hash_as_files() {
    let d = tempfile::tempdir().unwrap();
    file(d.path(), "one", b"shared\n", 0o755);
    fs::hard_link(d.path().join("one"), d.path().join("two")).unwrap();
    check(d.path());
}

#[test]
fn depth_limit_names_the_path() {
    let d = tempfile::tempdir().unwrap();
    let deep = (0..12).map(|i| format!("d{i}")).collect::<Vec<_>>().join("/");
    file(d.path(), &format!("{deep}/f"), b"x", 0o644);
    let opts = HashOptions { max_depth: 5, ..Default::default() };
    match tree_hash_dir_with(d.path(), &opts) {
        Err(e @ Error::TooDeep { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("d0/d1/d2/d3/d4/d5") && msg.contains("5 levels"), "{msg}");
        }
        other => panic!("expected TooDeep, got {other:?}"),
    }
    assert!(
        tree_hash_dir_with(d.path(), &HashOptions { max_depth: 13, ..Default::default() }).is_ok()
    );
}

#[test]
fn special_files_and_non_dirs_are_errors() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let e = tree_hash_dir(d.path()).unwrap_err().to_string();
    assert!(e.contains("fifo") && e.contains("unsupported file type"), "{e}");
    fs::remove_file(&fifo).unwrap();
    file(d.path(), "f", b"", 0o644);
    let e = tree_hash_dir(&d.path().join("f")).unwrap_err().to_string();
    assert!(e.contains("not a directory"), "{e}");
    let e = tree_hash_dir(&d.path().join("missing")).unwrap_err().to_string();
    assert!(e.contains("missing"), "{e}");
}

#[test]
fn large_tree_parallel_matches_git() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..600 {
        let content: Vec<u8> = (0..(i * 37 % 5000)).map(|j| (i ^ j) as u8).collect();
        file(
            d.path(),
            &format!("d{}/e{}/f{i}", i % 7, i % 13),
            &content,
            if i % 5 == 0 { 0o755 } else { 0o644 },
        );
    }
    // One file larger than the read buffer, to exercise streaming.
    file(d.path(), "big.bin", &vec![7u8; 3 * 1024 * 1024 + 17], 0o644);
    check(d.path());
}
