//! The file-tree model shared by the differ and normalizer, and a fast parallel scanner.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::dirhash::{self, DEFAULT_MAX_DEPTH, MAX_DEPTH_CAP};
use crate::error::{Error, Result};
use crate::hashes::Sha256;
use crate::spill::{DEFAULT_MAX_IN_MEMORY, Keyed, Sorted, SortedReader, Sorter, SpillDir};

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
/// is not an entry), read back sorted by relative path (byte order) through a [`TreeCursor`].
/// Memory stays flat in the entry count: past [`ScanOptions::max_in_memory`] entries the scan
/// writes sorted runs to a spill directory and the cursor merges them.
#[derive(Debug)]
pub struct Tree {
    pub root: PathBuf,
    entries: Sorted<Rec>,
    /// More entries, sorted, merged with `entries` when read (the directories of a tarball
    /// read without unpacking, see `tartree`).
    extra: Vec<Rec>,
    file_bytes: u64,
}

/// One entry as scanned and spilled.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Rec {
    pub(crate) path: String,
    /// File size.
    pub(crate) size: u64,
    /// Symlink target.
    pub(crate) target: String,
    pub(crate) sha256: [u8; 32],
    pub(crate) kind: u8,
    /// `EXECUTABLE`, `HASHED`, `HAS_CONTENT`.
    pub(crate) flags: u8,
}

impl Keyed for Rec {
    fn key(&self) -> &str {
        &self.path
    }
}

pub(crate) const DIR: u8 = 0;
pub(crate) const FILE: u8 = 1;
pub(crate) const SYMLINK: u8 = 2;
pub(crate) const EXECUTABLE: u8 = 1;
pub(crate) const HASHED: u8 = 2;
pub(crate) const HAS_CONTENT: u8 = 4;

/// Files hashed in parallel at a time.
const HASH_BATCH: usize = 1024;

impl Rec {
    fn into_scanned(self) -> Scanned {
        let kind = match self.kind {
            DIR => EntryKind::Dir,
            FILE => EntryKind::File { size: self.size, executable: self.flags & EXECUTABLE != 0 },
            _ => EntryKind::Symlink { target: self.target },
        };
        Scanned {
            has_content: self.flags & HAS_CONTENT != 0,
            entry: Entry {
                path: self.path,
                kind,
                sha256: (self.flags & HASHED != 0).then_some(Sha256(self.sha256)),
            },
        }
    }
}

/// An entry read from a [`TreeCursor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub entry: Entry,
    /// Directories: a file or symlink that [`ScanOptions::counts_as_content`] accepts lies
    /// below (Pkg's `contains_files`). Always false for files and symlinks.
    pub has_content: bool,
}

impl Tree {
    /// A tree of `entries` and the sorted `extra` entries (no path in both).
    pub(crate) fn from_parts(
        root: PathBuf,
        entries: Sorted<Rec>,
        extra: Vec<Rec>,
        file_bytes: u64,
    ) -> Tree {
        debug_assert!(extra.windows(2).all(|w| w[0].path < w[1].path));
        Tree { root, entries, extra, file_bytes }
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.entries.len() + self.extra.len() as u64
    }

    /// Whether the tree has no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total size of all regular files.
    pub fn total_file_bytes(&self) -> u64 {
        self.file_bytes
    }

    /// Sorted runs written to disk while scanning (0: the tree is in memory).
    pub fn spilled_runs(&self) -> usize {
        self.entries.runs()
    }

    /// Read the entries in path order (consumes the tree; its spill files go with the cursor).
    pub fn into_cursor(self) -> Result<TreeCursor> {
        Ok(TreeCursor {
            reader: self.entries.into_reader()?,
            extra: self.extra.into_iter().peekable(),
        })
    }

    /// Every entry in path order (for small trees: they are all held in memory).
    pub fn into_entries(self) -> Result<Vec<Entry>> {
        let mut c = self.into_cursor()?;
        let mut v = Vec::new();
        while let Some(s) = c.next_entry()? {
            v.push(s.entry);
        }
        Ok(v)
    }

    /// Absolute path of an entry.
    pub fn abs_path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// The entries of a [`Tree`] in path order, one of lookahead.
pub struct TreeCursor {
    reader: SortedReader<Rec>,
    extra: std::iter::Peekable<std::vec::IntoIter<Rec>>,
}

impl TreeCursor {
    /// Whether the next entry comes from `extra`.
    fn extra_first(&mut self) -> bool {
        match (self.reader.peek(), self.extra.peek()) {
            (Some(r), Some(e)) => e.path < r.path,
            (None, Some(_)) => true,
            _ => false,
        }
    }

    /// The path of the next entry.
    pub fn peek_path(&mut self) -> Option<&str> {
        if self.extra_first() {
            self.extra.peek().map(|r| r.path.as_str())
        } else {
            self.reader.peek().map(|r| r.path.as_str())
        }
    }

    /// The next entry, consumed.
    pub fn next_entry(&mut self) -> Result<Option<Scanned>> {
        if self.extra_first() {
            return Ok(self.extra.next().map(Rec::into_scanned));
        }
        Ok(self.reader.next_record()?.map(Rec::into_scanned))
    }
}

/// Which file and symlink paths make their directories non-empty ([`Scanned::has_content`]).
#[derive(Clone)]
pub struct ContentFilter(pub Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl std::fmt::Debug for ContentFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentFilter(..)")
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
    /// Entries held in memory; past that, sorted runs go to `spill`.
    pub max_in_memory: usize,
    /// Where sorted runs go.
    pub spill: SpillDir,
    /// `None`: every file and symlink counts as content.
    pub counts_as_content: Option<ContentFilter>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_depth: DEFAULT_MAX_DEPTH,
            max_entries: 10_000_000,
            hash_files: true,
            cancel: crate::Cancel::never(),
            max_in_memory: DEFAULT_MAX_IN_MEMORY,
            spill: SpillDir::default(),
            counts_as_content: None,
        }
    }
}

/// Walk `root` without following symlinks and return every entry; with `opts.hash_files`,
/// every regular file's SHA-256 is computed in parallel (rayon, a batch at a time), streamed.
/// Names and symlink targets must be UTF-8; fifos, sockets and devices are errors naming the
/// path.
pub fn scan_dir(root: &Path, opts: &ScanOptions) -> Result<Tree> {
    let meta = fs::metadata(root).map_err(|e| Error::io("read", root, e))?;
    if !meta.is_dir() {
        return Err(Error::Unsupported { path: root.to_owned(), reason: "not a directory".into() });
    }
    let mut w = Walker {
        root,
        opts,
        max_depth: opts.max_depth.min(MAX_DEPTH_CAP),
        count: 0,
        file_bytes: 0,
        pending: Vec::with_capacity(HASH_BATCH),
        sorter: Sorter::new(opts.spill.clone(), opts.max_in_memory),
    };
    w.walk(root, "", 0)?;
    w.flush()?;
    Ok(Tree::from_parts(root.to_owned(), w.sorter.finish()?, Vec::new(), w.file_bytes))
}

struct Walker<'a> {
    root: &'a Path,
    opts: &'a ScanOptions,
    max_depth: usize,
    count: u64,
    file_bytes: u64,
    /// Files listed and not hashed yet.
    pending: Vec<Rec>,
    sorter: Sorter<Rec>,
}

impl Walker<'_> {
    /// Stat (and hash) the pending files in parallel, and sort them in.
    fn flush(&mut self) -> Result<()> {
        let (root, opts) = (self.root, self.opts);
        let stat_and_hash = |s: &mut Rec| -> Result<()> {
            if opts.cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let path = root.join(&s.path);
            let m = if opts.hash_files {
                let (f, m) = dirhash::open_nofollow(&path)?;
                s.sha256 = sha256_stream(&f, &path, m.size())?.0;
                s.flags |= HASHED;
                m
            } else {
                fs::symlink_metadata(&path).map_err(|e| Error::io("stat", &path, e))?
            };
            s.size = m.size();
            if m.permissions().mode() & 0o100 != 0 {
                s.flags |= EXECUTABLE;
            }
            Ok(())
        };
        self.pending.par_iter_mut().with_min_len(8).try_for_each(stat_and_hash)?;
        for r in self.pending.drain(..) {
            self.file_bytes += r.size;
            self.sorter.push(r)?;
        }
        Ok(())
    }

    fn counts(&self, path: &str) -> bool {
        self.opts.counts_as_content.as_ref().is_none_or(|f| (f.0)(path))
    }

    /// List `dir` (relative path `prefix`); returns whether content lies below it.
    fn walk(&mut self, dir: &Path, prefix: &str, depth: usize) -> Result<bool> {
        let max_entries = self.opts.max_entries;
        let rd = fs::read_dir(dir).map_err(|e| Error::io("list directory", dir, e))?;
        let mut content = false;
        for ent in rd {
            if self.opts.cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let ent = ent.map_err(|e| Error::io("list directory", dir, e))?;
            let path = ent.path();
            let name =
                ent.file_name().into_string().map_err(|_| Error::NonUtf8 { path: path.clone() })?;
            let ft = ent.file_type().map_err(|e| Error::io("stat", &path, e))?;
            if self.count >= max_entries {
                return Err(Error::Unsupported {
                    path: path.clone(),
                    reason: format!("more than {max_entries} entries in the tree"),
                });
            }
            self.count += 1;
            let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            let mut rec = Rec {
                path: rel,
                size: 0,
                target: String::new(),
                sha256: [0; 32],
                kind: FILE,
                flags: 0,
            };
            if ft.is_symlink() {
                let t = fs::read_link(&path).map_err(|e| Error::io("read symlink", &path, e))?;
                rec.target = t
                    .into_os_string()
                    .into_string()
                    .map_err(|_| Error::NonUtf8 { path: path.clone() })?;
                rec.kind = SYMLINK;
                content |= self.counts(&rec.path);
                self.sorter.push(rec)?;
            } else if ft.is_dir() {
                if depth + 1 > self.max_depth {
                    return Err(Error::TooDeep { path, max: self.max_depth });
                }
                rec.kind = DIR;
                if self.walk(&path, &rec.path, depth + 1)? {
                    rec.flags |= HAS_CONTENT;
                    content = true;
                }
                self.sorter.push(rec)?;
            } else if ft.is_file() {
                content |= self.counts(&rec.path);
                self.pending.push(rec);
                if self.pending.len() >= HASH_BATCH {
                    self.flush()?;
                }
            } else {
                return Err(Error::SpecialFile { path, kind: dirhash::special_kind(&ft) });
            }
        }
        Ok(content)
    }
}

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; crate::hashes::BUF_SIZE]);
}

fn sha256_stream(mut f: &fs::File, path: &Path, expected: u64) -> Result<Sha256> {
    BUF.with(|b| {
        let (sha, n_total) = crate::hashes::sha256_counted(&mut f, &mut b.borrow_mut()[..])
            .map_err(|e| Error::io("read", path, e))?;
        if n_total != expected {
            return Err(Error::Changed { path: path.to_owned(), expected, actual: n_total });
        }
        Ok(sha)
    })
}
