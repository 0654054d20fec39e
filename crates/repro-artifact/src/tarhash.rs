//! `git-tree-sha1` of a tarball's content, computed by streaming the tar (no unpacking).
//!
//! The result equals unpacking the tarball with [`crate::unpack_tarball`] and hashing the
//! directory with [`crate::tree_hash_dir`]: the same entries are refused (paths with `..`,
//! absolute paths, writes through symlinks, device nodes, fifos) and later entries replace
//! earlier ones the same way. Symlink targets are not checked here (they are just hashed).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::budget::Budget;
use crate::error::{Error, Result};
use crate::gittree::{self, Flavour, Node};
use crate::hashes::{GitTreeHash, Sha256, sha256_file};
use crate::tarread::{self, TarKind as Kind, TarMember as Meta};
use crate::unpack::UnpackLimits;

/// Hashes of one tarball.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TarballHashes {
    /// SHA-256 of the file as stored (compressed), as in `[[name.download]]`.
    pub sha256: Sha256,
    /// Julia Pkg `git-tree-sha1` of the content (empty directories and `.git` skipped).
    pub git_tree_sha1: GitTreeHash,
    /// Tar.jl-style tree hash (empty directories kept, `.git` not skipped); a diagnostic.
    pub tar_git_tree_sha1: GitTreeHash,
}

/// Both tree-hash flavours of a tar stream's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentHashes {
    /// Pkg.GitTools semantics.
    pub git_tree_sha1: GitTreeHash,
    /// Tar.jl `tree_hash` default semantics.
    pub tar_git_tree_sha1: GitTreeHash,
}

/// sha256 and Pkg `git-tree-sha1` of a tarball (plain, gzip, zstd, xz or bzip2 by magic bytes),
/// streamed. The sha256 is computed on a second thread while the content is decompressed.
pub fn tree_hash_tarball(path: &Path) -> Result<TarballHashes> {
    tree_hash_tarball_with(path, &UnpackLimits::default())
}

/// [`tree_hash_tarball`] with explicit limits.
pub fn tree_hash_tarball_with(path: &Path, limits: &UnpackLimits) -> Result<TarballHashes> {
    let (sha, content) = std::thread::scope(|s| {
        let sha = s.spawn(|| sha256_file(path));
        let content = (|| {
            let r = crate::compress::open_decompressed_bounded(path, limits.max_ratio)?;
            hash_tar_stream(r, &path.display().to_string(), limits)
        })();
        (sha.join().expect("sha256 thread panicked"), content)
    });
    let content = content?;
    Ok(TarballHashes {
        sha256: sha?,
        git_tree_sha1: content.git_tree_sha1,
        tar_git_tree_sha1: content.tar_git_tree_sha1,
    })
}

/// Tree hashes of an uncompressed tar stream (for example a container download). `archive`
/// names the stream in errors.
pub fn tree_hash_tar_reader<R: Read>(
    r: R,
    archive: &str,
    limits: &UnpackLimits,
) -> Result<ContentHashes> {
    hash_tar_stream(r, archive, limits)
}

fn hash_tar_stream<R: Read>(r: R, archive: &str, limits: &UnpackLimits) -> Result<ContentHashes> {
    let mut root: BTreeMap<Vec<u8>, Node> = BTreeMap::new();
    let mut total = 0u64;
    let mut buf = gittree::new_buf();
    let budget = Budget::unlimited();
    tarread::read_tar(r, archive, &limits.read_limits(), &budget, |meta, data| {
        let refuse = |reason: &str| Error::Refused {
            archive: archive.to_owned(),
            entry: meta.display.clone(),
            reason: reason.to_owned(),
        };
        let node = match meta.kind {
            Kind::Dir => {
                if meta.comps.is_empty() {
                    return Ok(());
                }
                Node::Dir(BTreeMap::new())
            }
            Kind::File => {
                total = total.saturating_add(meta.size);
                if total > limits.max_total_bytes {
                    return Err(Error::LimitExceeded {
                        archive: archive.to_owned(),
                        entry: meta.display.clone(),
                        limit: "max_total_bytes",
                        max: limits.max_total_bytes,
                    });
                }
                let blob = gittree::blob_hash_reader(data, meta.size, &mut buf)
                    .map_err(|e| tarread::stream_error(archive, e))?;
                Node::File { exec: meta.mode & 0o100 != 0, blob }
            }
            Kind::Symlink => {
                Node::Symlink { blob: gittree::blob_hash(meta.link.as_deref().unwrap_or_default()) }
            }
            Kind::Hardlink => {
                let target = tarread::normalize(meta.link.as_deref().unwrap_or_default())
                    .map_err(|m| refuse(&format!("hardlink target: {m}")))?;
                lookup_file(&root, &target).map_err(|m| refuse(&m))?.clone()
            }
            Kind::Fifo => return Err(refuse("fifos are not allowed")),
            Kind::CharDevice { .. } | Kind::BlockDevice { .. } => {
                return Err(refuse("device nodes are not allowed"));
            }
        };
        insert(&mut root, meta, node).map_err(refuse)
    })?;
    Ok(ContentHashes {
        git_tree_sha1: Node::root_hash(&root, Flavour::Pkg),
        tar_git_tree_sha1: Node::root_hash(&root, Flavour::Tar),
    })
}

/// Insert `node` at `meta.comps`, creating missing parents, with the same rules as unpacking.
fn insert(
    root: &mut BTreeMap<Vec<u8>, Node>,
    meta: &Meta,
    node: Node,
) -> std::result::Result<(), &'static str> {
    let (leaf, parents) = meta.comps.split_last().expect("non-empty path");
    let mut cur = root;
    for p in parents {
        let n = cur.entry(p.clone()).or_insert_with(|| Node::Dir(BTreeMap::new()));
        cur = match n {
            Node::Dir(c) => c,
            Node::Symlink { .. } => return Err("path goes through a symlink"),
            Node::File { .. } => return Err("a parent of this path is a file"),
        };
    }
    match (cur.get(leaf), &node) {
        (Some(Node::Dir(_)), Node::Dir(_)) => {}
        (Some(Node::Dir(_)), _) => return Err("would replace a directory"),
        _ => {
            cur.insert(leaf.clone(), node);
        }
    }
    Ok(())
}

/// The regular-file node at `comps` (a hardlink target), which must already exist.
fn lookup_file<'a>(
    root: &'a BTreeMap<Vec<u8>, Node>,
    comps: &[Vec<u8>],
) -> std::result::Result<&'a Node, String> {
    let (leaf, parents) = comps.split_last().ok_or("hardlink target is empty")?;
    let mut cur = root;
    for p in parents {
        cur = match cur.get(p) {
            Some(Node::Dir(c)) => c,
            Some(Node::Symlink { .. }) => {
                return Err("hardlink target goes through a symlink".into());
            }
            _ => return Err("hardlink target does not exist earlier in the archive".into()),
        };
    }
    match cur.get(leaf) {
        Some(n @ Node::File { .. }) => Ok(n),
        Some(Node::Symlink { .. }) => Err("hardlink to a symlink".into()),
        Some(Node::Dir(_)) => Err("hardlink to a directory".into()),
        None => Err("hardlink target does not exist earlier in the archive".into()),
    }
}
