//! git object hashing: blobs, tree objects in git order, and an in-memory tree model.
//!
//! This is the Pkg.GitTools object format (`../../docs/tree-hash.md`): a blob is SHA-1 over
//! `blob <len>\0<content>`, a tree is SHA-1 over `tree <len>\0` and its entries
//! `<mode> <name>\0<20 raw bytes>`, sorted with the key `name/` for trees and `name` otherwise.

use std::collections::BTreeMap;
use std::io::{self, Read};

use sha1::{Digest as _, Sha1};

use crate::hashes::{BUF_SIZE, GitTreeHash};

/// A git tree entry mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    File,
    Exec,
    Symlink,
    Tree,
}

impl Mode {
    fn bytes(self) -> &'static [u8] {
        match self {
            Mode::File => b"100644",
            Mode::Exec => b"100755",
            Mode::Symlink => b"120000",
            Mode::Tree => b"40000",
        }
    }
}

/// Hash a whole in-memory blob.
pub(crate) fn blob_hash(data: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    h.finalize().into()
}

/// Incremental blob hasher for content whose length is known up front.
pub(crate) struct BlobHasher {
    h: Sha1,
    expected: u64,
    seen: u64,
}

impl BlobHasher {
    pub(crate) fn new(len: u64) -> Self {
        let mut h = Sha1::new();
        h.update(format!("blob {len}\0").as_bytes());
        BlobHasher { h, expected: len, seen: 0 }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.seen += data.len() as u64;
        self.h.update(data);
    }

    /// The digest, or `Err((expected, seen))` when the length did not match.
    pub(crate) fn finish(self) -> Result<[u8; 20], (u64, u64)> {
        if self.seen != self.expected {
            return Err((self.expected, self.seen));
        }
        Ok(self.h.finalize().into())
    }
}

/// Stream `r` (exactly `len` bytes expected) into a blob hash. A length mismatch is an
/// `InvalidData` error whose message gives both numbers.
pub(crate) fn blob_hash_reader<R: Read>(
    mut r: R,
    len: u64,
    buf: &mut [u8],
) -> io::Result<[u8; 20]> {
    let mut b = BlobHasher::new(len);
    loop {
        let n = match r.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        b.update(&buf[..n]);
    }
    b.finish().map_err(|(e, s)| {
        io::Error::new(io::ErrorKind::InvalidData, LengthMismatch { expected: e, actual: s })
    })
}

/// Marker error for a content length that differs from the announced one.
#[derive(Debug)]
pub(crate) struct LengthMismatch {
    pub(crate) expected: u64,
    pub(crate) actual: u64,
}

impl std::fmt::Display for LengthMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "expected {} bytes, read {}", self.expected, self.actual)
    }
}

impl std::error::Error for LengthMismatch {}

/// A fresh read buffer for blob hashing.
pub(crate) fn new_buf() -> Vec<u8> {
    vec![0u8; BUF_SIZE]
}

/// Hash a tree object from its entries (any order; sorted here in git order).
pub(crate) fn tree_hash(entries: &mut [(Vec<u8>, Mode, [u8; 20])]) -> [u8; 20] {
    entries.sort_by(|a, b| sort_key_cmp(&a.0, a.1 == Mode::Tree, &b.0, b.1 == Mode::Tree));
    let len: usize = entries.iter().map(|(n, m, _)| m.bytes().len() + 1 + n.len() + 1 + 20).sum();
    let mut h = Sha1::new();
    h.update(format!("tree {len}\0").as_bytes());
    for (name, mode, digest) in entries.iter() {
        h.update(mode.bytes());
        h.update(b" ");
        h.update(name);
        h.update(b"\0");
        h.update(digest);
    }
    h.finalize().into()
}

/// Compare two names by git's key (`name/` for trees).
pub(crate) fn sort_key_cmp(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> std::cmp::Ordering {
    let ka = a.iter().copied().chain(a_tree.then_some(b'/'));
    let kb = b.iter().copied().chain(b_tree.then_some(b'/'));
    ka.cmp(kb)
}

/// An in-memory tree: what a tarball or a packed directory contains, with blob hashes.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A regular file (`exec`: owner-x bit) with its blob hash.
    File { exec: bool, blob: [u8; 20] },
    /// A symlink with the blob hash of its target string.
    Symlink { blob: [u8; 20] },
    /// A directory.
    Dir(BTreeMap<Vec<u8>, Node>),
}

/// Which hash flavour to compute over a [`Node`] tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// Pkg.GitTools: empty directories and `.git` skipped.
    Pkg,
    /// Tar.jl `tree_hash` default: empty directories kept as empty trees, `.git` not skipped.
    Tar,
}

impl Node {
    /// Tree hash of a directory node. `None` when the flavour drops it (Pkg: no files below).
    /// Recursion depth is bounded by the depth limits enforced when the model was built.
    pub(crate) fn dir_hash(
        children: &BTreeMap<Vec<u8>, Node>,
        flavour: Flavour,
    ) -> Option<[u8; 20]> {
        let mut entries = Vec::with_capacity(children.len());
        for (name, child) in children {
            if flavour == Flavour::Pkg && name.as_slice() == b".git" {
                continue;
            }
            match child {
                Node::File { exec, blob } => {
                    entries.push((name.clone(), if *exec { Mode::Exec } else { Mode::File }, *blob))
                }
                Node::Symlink { blob } => entries.push((name.clone(), Mode::Symlink, *blob)),
                Node::Dir(c) => {
                    if let Some(h) = Node::dir_hash(c, flavour) {
                        entries.push((name.clone(), Mode::Tree, h));
                    }
                }
            }
        }
        if entries.is_empty() && flavour == Flavour::Pkg {
            return None;
        }
        Some(tree_hash(&mut entries))
    }

    /// Root hash (an empty root is git's empty tree).
    pub(crate) fn root_hash(children: &BTreeMap<Vec<u8>, Node>, flavour: Flavour) -> GitTreeHash {
        GitTreeHash(Node::dir_hash(children, flavour).unwrap_or(GitTreeHash::EMPTY_TREE.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_blob_vectors() {
        assert_eq!(hex::encode(blob_hash(b"hello\n")), "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(hex::encode(blob_hash(b"f.txt")), "7f66e4fb948e0071a63a15b9a2373e19aa4a40ea");
        assert_eq!(
            hex::encode(blob_hash(b"#!/bin/sh\n")),
            "1a2485251c33a70432394c93fb89330ef214bfc9"
        );
        assert_eq!(hex::encode(blob_hash(b"")), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(tree_hash(&mut []), GitTreeHash::EMPTY_TREE.0);
    }

    #[test]
    fn streaming_blob_matches_and_detects_length_change() {
        let mut buf = vec![0u8; 3];
        let h = blob_hash_reader(&b"hello\n"[..], 6, &mut buf).unwrap();
        assert_eq!(h, blob_hash(b"hello\n"));
        let e = blob_hash_reader(&b"hello\n"[..], 7, &mut buf).unwrap_err();
        assert!(e.to_string().contains("expected 7 bytes, read 6"), "{e}");
    }

    #[test]
    fn git_sort_order() {
        use std::cmp::Ordering::*;
        assert_eq!(sort_key_cmp(b"foo", true, b"foo.txt", false), Greater);
        assert_eq!(sort_key_cmp(b"foo", false, b"foo.txt", false), Less);
        assert_eq!(sort_key_cmp(b"foo-bar", false, b"foo", true), Less);
        assert_eq!(sort_key_cmp(b"foo", true, b"foo0", false), Less);
    }
}
