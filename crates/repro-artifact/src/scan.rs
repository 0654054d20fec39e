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
/// is not an entry), sorted by relative path (byte order). Compact: the paths and symlink
/// targets live back to back in one string and each entry is a 64-byte record, so a tree costs
/// about 64 bytes plus its path per entry; [`Tree::get`] and [`Tree::iter`] give [`Entry`]
/// values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub root: PathBuf,
    /// Paths and symlink targets.
    names: String,
    slots: Vec<Slot>,
}

/// One entry of a [`Tree`], compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    path: usize,
    /// File size, or the start of a symlink's target in `names`.
    aux: u64,
    path_len: u32,
    target_len: u32,
    sha256: [u8; 32],
    kind: u8,
    /// `EXECUTABLE`, `HASHED`.
    flags: u8,
}

const _: () = assert!(std::mem::size_of::<Slot>() <= 64, "a tree entry stays small");

const DIR: u8 = 0;
const FILE: u8 = 1;
const SYMLINK: u8 = 2;
const EXECUTABLE: u8 = 1;
const HASHED: u8 = 2;

impl Tree {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the tree has no entry.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The path of entry `i` (entries are sorted by path).
    pub fn path(&self, i: usize) -> &str {
        let s = &self.slots[i];
        &self.names[s.path..s.path + s.path_len as usize]
    }

    /// Whether entry `i` is a directory.
    pub fn is_dir(&self, i: usize) -> bool {
        self.slots[i].kind == DIR
    }

    /// Entry `i`.
    pub fn entry(&self, i: usize) -> Entry {
        let s = &self.slots[i];
        let kind = match s.kind {
            DIR => EntryKind::Dir,
            FILE => EntryKind::File { size: s.aux, executable: s.flags & EXECUTABLE != 0 },
            _ => {
                let start = s.aux as usize;
                EntryKind::Symlink {
                    target: self.names[start..start + s.target_len as usize].to_owned(),
                }
            }
        };
        Entry {
            path: self.path(i).to_owned(),
            kind,
            sha256: (s.flags & HASHED != 0).then_some(Sha256(s.sha256)),
        }
    }

    /// Every entry, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.slots.len()).map(|i| self.entry(i))
    }

    /// The entry of `path`, if any.
    pub fn get(&self, path: &str) -> Option<Entry> {
        self.index_of(path).map(|i| self.entry(i))
    }

    /// The position of `path` among the entries, if present.
    pub fn index_of(&self, path: &str) -> Option<usize> {
        let names = &self.names;
        self.slots.binary_search_by(|s| names[s.path..s.path + s.path_len as usize].cmp(path)).ok()
    }

    /// Absolute path of an entry.
    pub fn abs_path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Total size of all regular files.
    pub fn total_file_bytes(&self) -> u64 {
        self.slots.iter().filter(|s| s.kind == FILE).map(|s| s.aux).sum()
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
    let mut names = String::new();
    let mut slots = Vec::new();
    let max_depth = opts.max_depth.min(MAX_DEPTH_CAP);
    walk(root, "", 0, max_depth, opts, &mut names, &mut slots)?;
    let stat_and_hash = |s: &mut Slot| -> Result<()> {
        if opts.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        if s.kind == FILE {
            let path = root.join(&names[s.path..s.path + s.path_len as usize]);
            let m = if opts.hash_files {
                let (f, m) = dirhash::open_nofollow(&path)?;
                s.sha256 = sha256_stream(&f, &path, m.size())?.0;
                s.flags |= HASHED;
                m
            } else {
                fs::symlink_metadata(&path).map_err(|e| Error::io("stat", &path, e))?
            };
            s.aux = m.size();
            if m.permissions().mode() & 0o100 != 0 {
                s.flags |= EXECUTABLE;
            }
        }
        Ok(())
    };
    slots.par_iter_mut().with_min_len(8).try_for_each(stat_and_hash)?;
    let key = |s: &Slot| &names[s.path..s.path + s.path_len as usize];
    slots.sort_unstable_by(|x, y| key(x).cmp(key(y)));
    names.shrink_to_fit();
    slots.shrink_to_fit();
    Ok(Tree { root: root.to_owned(), names, slots })
}

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    max_depth: usize,
    opts: &ScanOptions,
    names: &mut String,
    out: &mut Vec<Slot>,
) -> Result<()> {
    let max_entries = opts.max_entries;
    let rd = fs::read_dir(dir).map_err(|e| Error::io("list directory", dir, e))?;
    let too_long = |path: &Path| Error::Unsupported {
        path: path.to_owned(),
        reason: "path or symlink target longer than 4 GiB".into(),
    };
    for ent in rd {
        if opts.cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let ent = ent.map_err(|e| Error::io("list directory", dir, e))?;
        let path = ent.path();
        let name =
            ent.file_name().into_string().map_err(|_| Error::NonUtf8 { path: path.clone() })?;
        let ft = ent.file_type().map_err(|e| Error::io("stat", &path, e))?;
        if out.len() as u64 >= max_entries {
            return Err(Error::Unsupported {
                path: path.clone(),
                reason: format!("more than {max_entries} entries in the tree"),
            });
        }
        let start = names.len();
        if !prefix.is_empty() {
            names.push_str(prefix);
            names.push('/');
        }
        names.push_str(&name);
        let path_len = u32::try_from(names.len() - start).map_err(|_| too_long(&path))?;
        let mut slot = Slot {
            path: start,
            aux: 0,
            path_len,
            target_len: 0,
            sha256: [0; 32],
            kind: FILE,
            flags: 0,
        };
        if ft.is_symlink() {
            let t = fs::read_link(&path).map_err(|e| Error::io("read symlink", &path, e))?;
            let target = t
                .into_os_string()
                .into_string()
                .map_err(|_| Error::NonUtf8 { path: path.clone() })?;
            slot.kind = SYMLINK;
            slot.aux = names.len() as u64;
            slot.target_len = u32::try_from(target.len()).map_err(|_| too_long(&path))?;
            names.push_str(&target);
            out.push(slot);
        } else if ft.is_dir() {
            if depth + 1 > max_depth {
                return Err(Error::TooDeep { path, max: max_depth });
            }
            slot.kind = DIR;
            out.push(slot);
            let rel = names[start..start + path_len as usize].to_owned();
            walk(&path, &rel, depth + 1, max_depth, opts, names, out)?;
        } else if ft.is_file() {
            out.push(slot);
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
