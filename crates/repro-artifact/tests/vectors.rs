//! Published vectors from docs/tree-hash.md and the Pkg.GitTools rules, checked against git.

mod common;

use common::*;
use repro_artifact::{GitTreeHash, HashOptions, tree_hash_dir, tree_hash_dir_with};

#[test]
fn main_vector_pkg_and_tar_style() {
    let d = tempfile::tempdir().unwrap();
    main_vector(d.path());
    assert_eq!(
        tree_hash_dir(d.path()).unwrap().to_string(),
        "088b4530ae65287434e90e2b77ef32735f8b2017"
    );
    let tar = tree_hash_dir_with(d.path(), &HashOptions { tar_style: true, ..Default::default() })
        .unwrap();
    assert_eq!(tar.to_string(), "350f2be3b7dc05baae123ce6dce2977ff5f3f915");
    assert_eq!(git_oracle(d.path()), "088b4530ae65287434e90e2b77ef32735f8b2017");
}

#[test]
fn sort_order_vector() {
    let d = tempfile::tempdir().unwrap();
    file(d.path(), "foo/x", b"x\n", 0o644);
    file(d.path(), "foo.txt", b"", 0o644);
    file(d.path(), "foo-bar", b"", 0o644);
    assert_eq!(
        tree_hash_dir(d.path()).unwrap().to_string(),
        "5d52ee46a55f42ffbf3bded25f2188aca8a1d977"
    );
    assert_eq!(git_oracle(d.path()), "5d52ee46a55f42ffbf3bded25f2188aca8a1d977");
}

#[test]
fn empty_root_is_empty_tree() {
    let d = tempfile::tempdir().unwrap();
    dir(d.path(), "x/y/z");
    assert_eq!(tree_hash_dir(d.path()).unwrap(), GitTreeHash::EMPTY_TREE);
}
