//! `git-tree-sha1` of a directory on disk, with exactly Pkg.GitTools semantics.
//!
//! The walk runs first (readdir + `lstat`-free file types, symlinks read but never followed),
//! then every regular file is hashed in parallel (rayon), streamed through a fixed buffer,
//! then trees are hashed bottom-up.

use std::cell::RefCell;
use std::ffi::OsString;
use std::fs::{self, File};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::gittree::{self, Mode};
use crate::hashes::GitTreeHash;

/// Hard cap on any configured depth (keeps the recursive walkers' stack use bounded).
pub const MAX_DEPTH_CAP: usize = 4096;

/// Default maximum directory nesting for walks.
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// Options for [`tree_hash_dir_with`].
#[derive(Debug, Clone)]
pub struct HashOptions {
    /// Maximum directory nesting below the root (capped at 4096).
    pub max_depth: usize,
    /// `false` (default): Pkg.GitTools semantics. `true`: Tar.jl `tree_hash` default semantics
    /// (empty directories kept as empty trees, `.git` not skipped), a diagnostic only.
    pub tar_style: bool,
}

impl Default for HashOptions {
    fn default() -> Self {
        HashOptions { max_depth: DEFAULT_MAX_DEPTH, tar_style: false }
    }
}

/// Julia Pkg-compatible `git-tree-sha1` of the directory `root` (Pkg.GitTools.tree_hash):
/// empty directories skipped (recursively), entries named `.git` skipped at every level,
/// symlinks hashed by their target string and never followed, only the owner-x bit counts,
/// git's sort order. Fifos, sockets and devices are errors.
pub fn tree_hash_dir(root: &Path) -> Result<GitTreeHash> {
    tree_hash_dir_with(root, &HashOptions::default())
}

/// [`tree_hash_dir`] with options.
pub fn tree_hash_dir_with(root: &Path, opts: &HashOptions) -> Result<GitTreeHash> {
    let meta = fs::metadata(root).map_err(|e| Error::io("read", root, e))?;
    if !meta.is_dir() {
        return Err(Error::Unsupported { path: root.to_owned(), reason: "not a directory".into() });
    }
    let max_depth = opts.max_depth.min(MAX_DEPTH_CAP);
    let mut files = Vec::new();
    let tree = walk(root, 0, max_depth, !opts.tar_style, &mut files)?;
    let hashed: Vec<(bool, [u8; 20])> =
        files.par_iter().map(|p: &PathBuf| hash_file(p)).collect::<Result<_>>()?;
    let flavour_pkg = !opts.tar_style;
    Ok(GitTreeHash(dir_hash(&tree, &hashed, flavour_pkg).unwrap_or(GitTreeHash::EMPTY_TREE.0)))
}

enum WNode {
    File(usize),
    Symlink([u8; 20]),
    Dir(Vec<(Vec<u8>, WNode)>),
}

fn walk(
    dir: &Path,
    depth: usize,
    max_depth: usize,
    skip_git: bool,
    files: &mut Vec<PathBuf>,
) -> Result<Vec<(Vec<u8>, WNode)>> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io("list directory", dir, e))?;
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| Error::io("list directory", dir, e))?;
        let name: OsString = ent.file_name();
        if skip_git && name.as_bytes() == b".git" {
            continue;
        }
        let path = ent.path();
        let ft = ent.file_type().map_err(|e| Error::io("stat", &path, e))?;
        let node = if ft.is_symlink() {
            let target = fs::read_link(&path).map_err(|e| Error::io("read symlink", &path, e))?;
            WNode::Symlink(gittree::blob_hash(target.as_os_str().as_bytes()))
        } else if ft.is_dir() {
            if depth + 1 > max_depth {
                return Err(Error::TooDeep { path, max: max_depth });
            }
            WNode::Dir(walk(&path, depth + 1, max_depth, skip_git, files)?)
        } else if ft.is_file() {
            files.push(path);
            WNode::File(files.len() - 1)
        } else {
            return Err(Error::SpecialFile { path, kind: special_kind(&ft) });
        };
        out.push((name.into_vec(), node));
    }
    Ok(out)
}

fn dir_hash(
    children: &[(Vec<u8>, WNode)],
    hashed: &[(bool, [u8; 20])],
    pkg: bool,
) -> Option<[u8; 20]> {
    let mut entries = Vec::with_capacity(children.len());
    for (name, node) in children {
        match node {
            WNode::File(i) => {
                let (exec, h) = hashed[*i];
                entries.push((name.clone(), if exec { Mode::Exec } else { Mode::File }, h));
            }
            WNode::Symlink(h) => entries.push((name.clone(), Mode::Symlink, *h)),
            WNode::Dir(c) => {
                if let Some(h) = dir_hash(c, hashed, pkg) {
                    entries.push((name.clone(), Mode::Tree, h));
                }
            }
        }
    }
    if pkg && entries.is_empty() {
        return None;
    }
    Some(gittree::tree_hash(&mut entries))
}

thread_local! {
    static BUF: RefCell<Vec<u8>> = RefCell::new(gittree::new_buf());
}

/// Open a regular file without following a symlink at the last component.
pub(crate) fn open_nofollow(path: &Path) -> Result<(File, fs::Metadata)> {
    let f = fs::OpenOptions::new()
        .read(true)
        // O_NONBLOCK: a file swapped for a fifo after the walk must not hang the open.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Error::io("open", path, e))?;
    let m = f.metadata().map_err(|e| Error::io("stat", path, e))?;
    if !m.is_file() {
        return Err(Error::SpecialFile { path: path.to_owned(), kind: "not a regular file" });
    }
    Ok((f, m))
}

/// Blob hash and owner-x bit of one regular file, streamed.
fn hash_file(path: &Path) -> Result<(bool, [u8; 20])> {
    let (f, m) = open_nofollow(path)?;
    let exec = m.permissions().mode() & 0o100 != 0;
    let len = m.size();
    let h = BUF.with(|b| gittree::blob_hash_reader(&f, len, &mut b.borrow_mut()));
    let h = h.map_err(|e| map_len_err(path, e))?;
    Ok((exec, h))
}

pub(crate) fn map_len_err(path: &Path, e: std::io::Error) -> Error {
    if let Some(m) = e.get_ref().and_then(|i| i.downcast_ref::<gittree::LengthMismatch>()) {
        return Error::Changed { path: path.to_owned(), expected: m.expected, actual: m.actual };
    }
    Error::io("read", path, e)
}

pub(crate) fn special_kind(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_char_device() {
        "character device"
    } else {
        "unknown"
    }
}
