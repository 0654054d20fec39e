//! The file-tree model shared by the differ and normalizer, and a fast parallel scanner.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::Digest as _;

use crate::dirhash::{self, DEFAULT_MAX_DEPTH, MAX_DEPTH_CAP};
use crate::error::{Error, Result};
use crate::hashes::Sha256;

/// What a tree entry is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file (`executable`: owner-x bit).
    File { size: u64, executable: bool },
    /// A directory.
    Dir,
    /// A symlink (never followed) and its target.
    Symlink { target: String },
}

/// One entry of a [`Tree`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// `/`-separated path relative to the tree root (no leading `./`).
    pub path: String,
    pub kind: EntryKind,
    /// SHA-256 of the content (files only, when hashing was requested).
    pub sha256: Option<Sha256>,
}

/// A scanned directory tree: every file, directory and symlink below `root` (the root itself
/// is not an entry), sorted by relative path (byte order). Each path is stored once (in its
/// entry), so a tree costs one `Entry` and one path per entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub root: PathBuf,
    entries: Vec<Entry>,
}

impl Tree {
    /// A tree of `entries` (sorted here, in place; a path given twice keeps one of its
    /// entries).
    pub fn new(root: PathBuf, mut entries: Vec<Entry>) -> Tree {
        entries.sort_unstable_by(|x, y| x.path.cmp(&y.path));
        entries.dedup_by(|x, y| x.path == y.path);
        entries.shrink_to_fit();
        Tree { root, entries }
    }

    /// Every entry, sorted by path.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry of `path`, if any.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.index_of(path).map(|i| &self.entries[i])
    }

    /// The position of `path` in [`Tree::entries`], if present.
    pub fn index_of(&self, path: &str) -> Option<usize> {
        self.entries.binary_search_by(|e| e.path.as_str().cmp(path)).ok()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tree has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Absolute path of an entry.
    pub fn abs_path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Total size of all regular files.
    pub fn total_file_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e.kind {
                EntryKind::File { size, .. } => size,
                _ => 0,
            })
            .sum()
    }
}

/// Options for [`scan_dir`].
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Maximum directory nesting (capped at 4096); deeper trees are an error naming the path.
    pub max_depth: usize,
    /// Maximum number of entries; more is an error.
    pub max_entries: u64,
    /// Compute the SHA-256 of every file (in parallel).
    pub hash_files: bool,
    /// Checked for every entry listed and every file hashed; a cancelled scan fails with
    /// [`Error::Cancelled`].
    pub cancel: crate::Cancel,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_depth: DEFAULT_MAX_DEPTH,
            max_entries: 10_000_000,
            hash_files: true,
            cancel: crate::Cancel::never(),
        }
    }
}

/// Walk `root` without following symlinks and return every entry; with `opts.hash_files`,
/// every regular file's SHA-256 is computed in parallel (rayon), streamed. Names and symlink
/// targets must be UTF-8; fifos, sockets and devices are errors naming the path.
pub fn scan_dir(root: &Path, opts: &ScanOptions) -> Result<Tree> {
    let meta = fs::metadata(root).map_err(|e| Error::io("read", root, e))?;
    if !meta.is_dir() {
        return Err(Error::Unsupported { path: root.to_owned(), reason: "not a directory".into() });
    }
    let mut entries = Vec::new();
    let max_depth = opts.max_depth.min(MAX_DEPTH_CAP);
    walk(root, "", 0, max_depth, opts, &mut entries)?;
    let stat_and_hash = |e: &mut Entry| -> Result<()> {
        if opts.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if let EntryKind::File { size, executable } = &mut e.kind {
            let path = root.join(&e.path);
            if opts.hash_files {
                let (f, m) = dirhash::open_nofollow(&path)?;
                *size = m.size();
                *executable = m.permissions().mode() & 0o100 != 0;
                e.sha256 = Some(sha256_stream(&f, &path, m.size())?);
            } else {
                let m = fs::symlink_metadata(&path).map_err(|e| Error::io("stat", &path, e))?;
                *size = m.size();
                *executable = m.permissions().mode() & 0o100 != 0;
            }
        }
        Ok(())
    };
    entries.par_iter_mut().with_min_len(8).try_for_each(stat_and_hash)?;
    Ok(Tree::new(root.to_owned(), entries))
}

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    max_depth: usize,
    opts: &ScanOptions,
    out: &mut Vec<Entry>,
) -> Result<()> {
    let max_entries = opts.max_entries;
    let rd = fs::read_dir(dir).map_err(|e| Error::io("list directory", dir, e))?;
    for ent in rd {
        if opts.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let ent = ent.map_err(|e| Error::io("list directory", dir, e))?;
        let path = ent.path();
        let name =
            ent.file_name().into_string().map_err(|_| Error::NonUtf8 { path: path.clone() })?;
        // Exactly as long as needed: a tree holds one of these per entry.
        let rel = if prefix.is_empty() {
            name
        } else {
            let mut r = String::with_capacity(prefix.len() + 1 + name.len());
            r.push_str(prefix);
            r.push('/');
            r.push_str(&name);
            r
        };
        let ft = ent.file_type().map_err(|e| Error::io("stat", &path, e))?;
        if out.len() as u64 >= max_entries {
            return Err(Error::Unsupported {
                path: path.clone(),
                reason: format!("more than {max_entries} entries in the tree"),
            });
        }
        if ft.is_symlink() {
            let t = fs::read_link(&path).map_err(|e| Error::io("read symlink", &path, e))?;
            let target = t
                .into_os_string()
                .into_string()
                .map_err(|_| Error::NonUtf8 { path: path.clone() })?;
            out.push(Entry { path: rel, kind: EntryKind::Symlink { target }, sha256: None });
        } else if ft.is_dir() {
            if depth + 1 > max_depth {
                return Err(Error::TooDeep { path, max: max_depth });
            }
            out.push(Entry { path: rel.clone(), kind: EntryKind::Dir, sha256: None });
            walk(&path, &rel, depth + 1, max_depth, opts, out)?;
        } else if ft.is_file() {
            out.push(Entry {
                path: rel,
                kind: EntryKind::File { size: 0, executable: false },
                sha256: None,
            });
        } else {
            return Err(Error::SpecialFile { path, kind: dirhash::special_kind(&ft) });
        }
    }
    Ok(())
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; crate::hashes::BUF_SIZE]);
}

fn sha256_stream(mut f: &fs::File, path: &Path, expected: u64) -> Result<Sha256> {
    BUF.with(|b| {
        let buf = &mut b.borrow_mut()[..];
        let mut h = sha2::Sha256::new();
        let mut n_total = 0u64;
        loop {
            let n = match f.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("read", path, e)),
            };
            n_total += n as u64;
            h.update(&buf[..n]);
        }
        if n_total != expected {
            return Err(Error::Changed { path: path.to_owned(), expected, actual: n_total });
        }
        Ok(Sha256(h.finalize().into()))
    })
}
