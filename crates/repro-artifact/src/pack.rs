//! Deterministic artifact packing, like BinaryBuilder's Tar.jl `Tar.create` + `pigz -9 -n`.
//!
//! Entries are sorted by path bytewise and every directory is emitted explicitly. Headers are
//! ustar with mtime 0, uid/gid 0 and empty user/group names; files are 0644 or 0755 by the
//! owner-x bit, directories and symlinks 0755. Names or link targets too long for ustar get a
//! PAX extended header. Nothing from the packing machine (mtimes, owners, umask, readdir order)
//! reaches the output.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::dirhash::{self, DEFAULT_MAX_DEPTH, MAX_DEPTH_CAP};
use crate::error::{Error, Result};
use crate::gittree::{self, BlobHasher, Flavour, Node};
use crate::hashes::{GitTreeHash, Sha256};
use crate::output::OutputFile;
use crate::pgzip::ParGzWriter;

/// A packed artifact tarball.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackedArtifact {
    pub path: PathBuf,
    /// SHA-256 of the compressed tarball.
    pub sha256: Sha256,
    /// Julia Pkg `git-tree-sha1` of the packed content.
    pub git_tree_sha1: GitTreeHash,
    /// Size of the compressed tarball in bytes.
    pub size: u64,
}

/// Options for [`pack_dir_with`].
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// gzip level 0–9.
    pub level: u32,
    /// Maximum directory nesting (capped at 4096).
    pub max_depth: usize,
}

/// The default gzip level of [`pack_dir`]. Measured on a 213 MB tree of shared libraries and
/// text on 2 cores (`examples/artifact_bench.rs`): level 1 packs at ~270 MB/s (ratio 0.44),
/// level 2 ~180 MB/s, level 6 ~55 MB/s (0.34), level 9 ~20 MB/s (0.33, what `pigz -9` gives
/// BinaryBuilder). Packing must keep up with builds, so the default is 1; use
/// [`pack_dir_with`] and level 9 for distribution-sized tarballs. The tree hash is the same
/// at every level.
pub const DEFAULT_GZIP_LEVEL: u32 = 1;

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions { level: DEFAULT_GZIP_LEVEL, max_depth: DEFAULT_MAX_DEPTH }
    }
}

/// Pack `src` into the gzip tarball `out`, deterministically. `include` gets the name of each
/// top-level entry (for example `logs`) and decides whether it (and everything below it) is
/// packed. Writes to a temporary file next to `out` and renames it into place, so `out` is
/// either complete or untouched.
pub fn pack_dir<F: Fn(&str) -> bool>(src: &Path, out: &Path, include: F) -> Result<PackedArtifact> {
    pack_dir_with(src, out, include, &PackOptions::default())
}

/// [`pack_dir`] with options.
pub fn pack_dir_with<F: Fn(&str) -> bool>(
    src: &Path,
    out: &Path,
    include: F,
    opts: &PackOptions,
) -> Result<PackedArtifact> {
    let entries = collect(src, &include, opts.max_depth)?;
    let output = OutputFile::create(out, ".repro-pack-")?;
    let file = output.file().try_clone().map_err(|e| Error::io("write", output.path(), e))?;
    let counting = HashingWriter {
        inner: io::BufWriter::with_capacity(1 << 20, file),
        sha: sha2::Sha256::new(),
        n: 0,
    };
    let gz = ParGzWriter::new(counting, opts.level.min(9))
        .map_err(|e| Error::io("write", output.path(), e))?;
    let (gz, tree) = write_tar(src, &entries, gz).map_err(|e| relabel(e, output.path(), out))?;
    let counting = gz.finish().map_err(|e| Error::io("write", out, e))?;
    let HashingWriter { inner, sha, n } = counting;
    let file = inner.into_inner().map_err(|e| Error::io("write", out, e.into_error()))?;
    drop(file);
    output.commit(0o644)?;
    Ok(PackedArtifact {
        path: out.to_owned(),
        sha256: Sha256(sha.finalize().into()),
        git_tree_sha1: tree,
        size: n,
    })
}

/// Write the deterministic (uncompressed) tar of `src` to `w`, with the same entry rules and
/// `include` filter as [`pack_dir`].
pub fn write_deterministic_tar<W: Write, F: Fn(&str) -> bool>(
    src: &Path,
    w: W,
    include: F,
) -> Result<()> {
    let entries = collect(src, &include, DEFAULT_MAX_DEPTH)?;
    let (mut w, _) = write_tar(src, &entries, w)?;
    w.flush().map_err(|e| Error::io("write tar of", src, e))?;
    Ok(())
}

fn relabel(e: Error, tmp: &Path, out: &Path) -> Error {
    match e {
        Error::Io { what, path, source } if path == tmp => {
            Error::Io { what, path: out.to_owned(), source }
        }
        e => e,
    }
}

struct HashingWriter<W> {
    inner: W,
    sha: sha2::Sha256,
    n: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.sha.update(&buf[..k]);
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[derive(Debug)]
enum PKind {
    Dir,
    File,
    Symlink(Vec<u8>),
}

/// Relative path (bytes, `/`-separated) and kind of everything to pack, sorted bytewise.
fn collect(
    src: &Path,
    include: &dyn Fn(&str) -> bool,
    max_depth: usize,
) -> Result<Vec<(Vec<u8>, PKind)>> {
    let meta = fs::metadata(src).map_err(|e| Error::io("read", src, e))?;
    if !meta.is_dir() {
        return Err(Error::Unsupported { path: src.to_owned(), reason: "not a directory".into() });
    }
    let mut out = Vec::new();
    walk(src, &[], 0, max_depth.min(MAX_DEPTH_CAP), Some(include), &mut out)?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &[u8],
    depth: usize,
    max_depth: usize,
    include: Option<&dyn Fn(&str) -> bool>,
    out: &mut Vec<(Vec<u8>, PKind)>,
) -> Result<()> {
    let rd = fs::read_dir(dir).map_err(|e| Error::io("list directory", dir, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| Error::io("list directory", dir, e))?;
        let name = ent.file_name();
        if include.is_some_and(|inc| !inc(&name.to_string_lossy())) {
            continue;
        }
        let path = ent.path();
        let mut rel = prefix.to_vec();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        rel.extend_from_slice(name.as_bytes());
        let ft = ent.file_type().map_err(|e| Error::io("stat", &path, e))?;
        if ft.is_symlink() {
            let t = fs::read_link(&path).map_err(|e| Error::io("read symlink", &path, e))?;
            out.push((rel, PKind::Symlink(t.into_os_string().into_encoded_bytes())));
        } else if ft.is_dir() {
            if depth + 1 > max_depth {
                return Err(Error::TooDeep { path, max: max_depth });
            }
            walk(&path, &rel, depth + 1, max_depth, None, out)?;
            out.push((rel, PKind::Dir));
        } else if ft.is_file() {
            out.push((rel, PKind::File));
        } else {
            return Err(Error::SpecialFile { path, kind: dirhash::special_kind(&ft) });
        }
    }
    Ok(())
}

/// Write sorted entries as a tar to `w`; returns the writer (after the end-of-archive blocks)
/// and the Pkg tree hash of what was written.
fn write_tar<W: Write>(src: &Path, entries: &[(Vec<u8>, PKind)], w: W) -> Result<(W, GitTreeHash)> {
    let werr = |e: io::Error| Error::io("write tar of", src, e);
    let mut b = tar::Builder::new(w);
    let mut root: BTreeMap<Vec<u8>, Node> = BTreeMap::new();
    for (rel, kind) in entries {
        let path = src.join(OsStr::from_bytes(rel));
        let mut h = tar::Header::new_ustar();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        match kind {
            PKind::Dir => {
                let mut name = rel.clone();
                name.push(b'/');
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                emit(&mut b, &mut h, &name, None, io::empty()).map_err(werr)?;
                node_insert(&mut root, rel, None);
            }
            PKind::Symlink(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o755);
                h.set_size(0);
                emit(&mut b, &mut h, rel, Some(target), io::empty()).map_err(werr)?;
                node_insert(
                    &mut root,
                    rel,
                    Some(Node::Symlink { blob: gittree::blob_hash(target) }),
                );
            }
            PKind::File => {
                let (f, m) = dirhash::open_nofollow(&path)?;
                let exec = m.permissions().mode() & 0o100 != 0;
                let size = m.size();
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(if exec { 0o755 } else { 0o644 });
                h.set_size(size);
                let mut tee = TeeBlob { inner: f.take(size), blob: BlobHasher::new(size) };
                let reader = BufReader::with_capacity(256 * 1024, &mut tee);
                emit(&mut b, &mut h, rel, None, reader).map_err(|e| Error::io("read", &path, e))?;
                let blob = tee.blob.finish().map_err(|(expected, actual)| Error::Changed {
                    path: path.clone(),
                    expected,
                    actual,
                })?;
                node_insert(&mut root, rel, Some(Node::File { exec, blob }));
            }
        }
    }
    let w = b.into_inner().map_err(werr)?;
    Ok((w, Node::root_hash(&root, Flavour::Pkg)))
}

struct TeeBlob<R> {
    inner: R,
    blob: BlobHasher,
}

impl<R: Read> Read for TeeBlob<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.blob.update(&buf[..n]);
        Ok(n)
    }
}

/// Insert into the tree model (`None` = directory). Parents always precede children in the
/// bytewise sort, but missing ones are created anyway.
fn node_insert(root: &mut BTreeMap<Vec<u8>, Node>, rel: &[u8], node: Option<Node>) {
    let comps: Vec<&[u8]> = rel.split(|&c| c == b'/').collect();
    let (leaf, parents) = comps.split_last().expect("non-empty path");
    let mut cur = root;
    for p in parents {
        let n = cur.entry(p.to_vec()).or_insert_with(|| Node::Dir(BTreeMap::new()));
        cur = match n {
            Node::Dir(c) => c,
            _ => unreachable!("walk never yields children of a non-directory"),
        };
    }
    match node {
        Some(n) => {
            cur.insert(leaf.to_vec(), n);
        }
        None => {
            cur.entry(leaf.to_vec()).or_insert_with(|| Node::Dir(BTreeMap::new()));
        }
    }
}

/// Append one entry, writing a PAX header first when the name or link target does not fit.
fn emit<W: Write, R: Read>(
    b: &mut tar::Builder<W>,
    h: &mut tar::Header,
    name: &[u8],
    link: Option<&[u8]>,
    data: R,
) -> io::Result<()> {
    let mut pax = Vec::new();
    if !set_name(h, name) {
        pax_record(&mut pax, "path", name);
        // A truncated name keeps old readers roughly informed; PAX readers use the record.
        let cut = &name[..name.len().min(99)];
        set_raw(&mut h.as_old_mut().name, cut);
    }
    if let Some(link) = link {
        if link.len() <= 100 {
            set_raw(&mut h.as_old_mut().linkname, link);
        } else {
            pax_record(&mut pax, "linkpath", link);
            set_raw(&mut h.as_old_mut().linkname, &link[..99]);
        }
    }
    if !pax.is_empty() {
        let mut ph = tar::Header::new_ustar();
        set_raw(&mut ph.as_old_mut().name, b"././@PaxHeader");
        ph.set_entry_type(tar::EntryType::XHeader);
        ph.set_mode(0o644);
        ph.set_uid(0);
        ph.set_gid(0);
        ph.set_mtime(0);
        ph.set_size(pax.len() as u64);
        ph.set_cksum();
        b.append(&ph, &pax[..])?;
    }
    h.set_cksum();
    b.append(h, data)
}

/// Store `name` in the ustar name (and prefix) fields; false when it does not fit.
fn set_name(h: &mut tar::Header, name: &[u8]) -> bool {
    if name.len() <= 100 {
        set_raw(&mut h.as_old_mut().name, name);
        return true;
    }
    // Split at a `/` so that prefix <= 155 and name <= 100 (and the name part is non-empty).
    let min_split = name.len().saturating_sub(101);
    for i in (min_split..name.len().min(156)).rev() {
        if name[i] == b'/' && name.len() - i - 1 <= 100 && name.len() - i - 1 > 0 && i > 0 {
            let ustar = h.as_ustar_mut().expect("ustar header");
            set_raw(&mut ustar.prefix, &name[..i]);
            set_raw(&mut ustar.name, &name[i + 1..]);
            return true;
        }
    }
    false
}

fn set_raw(field: &mut [u8], v: &[u8]) {
    field.fill(0);
    field[..v.len()].copy_from_slice(v);
}

/// Append a PAX record `"<len> <key>=<value>\n"` (the length counts itself).
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let rest = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}
