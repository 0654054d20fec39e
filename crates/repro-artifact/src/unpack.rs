//! Safe unpacking of untrusted tarballs.
//!
//! Refused, with an error naming the entry: paths that are absolute or contain `..`, entries
//! below a symlink (writing through a symlink), symlinks whose target is absolute or resolves
//! outside the destination (checked against the final tree, following the archive's own and
//! pre-existing symlinks), hardlinks whose target is outside, missing, a symlink or a
//! directory, device nodes, fifos, sparse files, and anything over the [`UnpackLimits`].
//!
//! Symlinks are created last, after every other entry, so no entry can be written through one
//! and the escape check sees the final tree. Files get mode 0755 or 0644 by the owner-x bit of
//! the entry, directories 0755; mtimes are kept. On error the destination may hold a partial
//! unpack: callers unpack into a fresh directory and discard it on failure. A cancelled run (the
//! budget's [`Cancel`](crate::Cancel)) stops between two reads with [`Error::Cancelled`].

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::budget::Budget;
use crate::error::{Error, Result};
use crate::hashes::BUF_SIZE;
use crate::tarread::{self, TarKind as Kind, TarLimits as ReadLimits, TarMember as Meta};

/// Limits for reading an untrusted tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Maximum sum of regular-file sizes (also caps the decompressed stream, plus header room).
    pub max_total_bytes: u64,
    /// Maximum number of entries (metadata entries such as long names not counted).
    pub max_entries: u64,
    /// Maximum number of path components of an entry.
    pub max_depth: usize,
    /// Accept symlinks whose target is absolute or resolves outside the destination (default
    /// `false`: refused). Writing *through* any symlink stays refused either way; set this only
    /// when nothing will follow links in the unpacked tree outside a container (upstream source
    /// tarballs sometimes ship links such as `config.guess -> /usr/share/automake/config.guess`).
    pub allow_outside_symlinks: bool,
    /// Refuse a compressed stream once it has produced more than
    /// [`BOMB_MIN_BYTES`](crate::BOMB_MIN_BYTES) and expands more than this many times its
    /// compressed size (a likely decompression bomb); `0` turns the check off.
    pub max_ratio: u64,
    /// Skip device nodes and FIFOs (they are never created; callers see them through the member
    /// callback of [`unpack_tarball_with`]) instead of refusing the archive.
    pub skip_special_files: bool,
}

/// Default of [`UnpackLimits::max_ratio`]: real tarballs stay far below it, `gzip` itself cannot
/// go above about 1030.
pub const DEFAULT_MAX_RATIO: u64 = 200;

impl Default for UnpackLimits {
    fn default() -> Self {
        UnpackLimits {
            max_total_bytes: 16 << 30,
            max_entries: 1_000_000,
            max_depth: 256,
            allow_outside_symlinks: false,
            max_ratio: DEFAULT_MAX_RATIO,
            skip_special_files: false,
        }
    }
}

impl UnpackLimits {
    pub(crate) fn read_limits(&self) -> ReadLimits {
        // Header room: up to three 512-byte blocks of metadata per entry, plus a fixed margin.
        let room = self.max_entries.saturating_mul(3 * 512).saturating_add(64 << 20);
        ReadLimits {
            max_entries: self.max_entries,
            max_depth: self.max_depth.min(crate::dirhash::MAX_DEPTH_CAP),
            max_stream_bytes: Some(self.max_total_bytes.saturating_add(room)),
            stream_limit_name: "max_total_bytes",
            stream_limit_max: self.max_total_bytes,
        }
    }
}

/// What an unpack produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UnpackStats {
    /// Entries processed (files, directories, symlinks, hardlinks).
    pub entries: u64,
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    /// Device nodes and FIFOs skipped (see [`UnpackLimits::skip_special_files`]).
    pub special: u64,
    /// Bytes of file content written.
    pub bytes: u64,
}

/// Unpack the tarball at `path` (plain, gzip, zstd, xz or bzip2, by magic bytes) into `dest`
/// (created if missing), refusing anything unsafe (see the module docs).
pub fn unpack_tarball(path: &Path, dest: &Path, limits: &UnpackLimits) -> Result<UnpackStats> {
    unpack_tarball_with(path, dest, limits, &Budget::unlimited(), |_| {})
}

/// [`unpack_tarball`] charging every byte and entry to the run's `budget`, and calling
/// `on_member` with every validated member (device nodes and FIFOs included) in one pass: the
/// headers are never read a second time.
pub fn unpack_tarball_with(
    path: &Path,
    dest: &Path,
    limits: &UnpackLimits,
    budget: &Budget,
    on_member: impl FnMut(&Meta),
) -> Result<UnpackStats> {
    let r = crate::compress::open_decompressed_bounded(path, limits.max_ratio)?;
    unpack_inner(r, &path.display().to_string(), dest, limits, budget, None, on_member)
}

/// Write only the regular files `only` (archive-relative, `/`-joined paths) of the tarball at
/// `path` into `dest`, with the directories above them; every other member is read and
/// skipped. For a tarball already read whole ([`crate::scan_tarball`] said it needs no
/// unpacking: no hardlinks, no member replacing another), to compare a few of its files.
pub fn extract_files(
    path: &Path,
    dest: &Path,
    limits: &UnpackLimits,
    budget: &Budget,
    only: &HashSet<Vec<u8>>,
) -> Result<UnpackStats> {
    let r = crate::compress::open_decompressed_bounded(path, limits.max_ratio)?;
    unpack_inner(r, &path.display().to_string(), dest, limits, budget, Some(only), |_| {})
}

/// Unpack an uncompressed tar stream into `dest` (created if missing).
pub fn unpack_tar_reader<R: Read>(r: R, dest: &Path, limits: &UnpackLimits) -> Result<UnpackStats> {
    let archive = format!("tar stream for {}", dest.display());
    unpack_inner(r, &archive, dest, limits, &Budget::unlimited(), None, |_| {})
}

fn unpack_inner<R: Read>(
    r: R,
    archive: &str,
    dest: &Path,
    limits: &UnpackLimits,
    budget: &Budget,
    only: Option<&HashSet<Vec<u8>>>,
    mut on_member: impl FnMut(&Meta),
) -> Result<UnpackStats> {
    fs::create_dir_all(dest).map_err(|e| Error::io("create directory", dest, e))?;
    let dest = dest.canonicalize().map_err(|e| Error::io("resolve", dest, e))?;
    let mut u = Unpacker {
        dest,
        archive,
        limits,
        known_dirs: HashSet::new(),
        pending: BTreeMap::new(),
        dir_times: Vec::new(),
        stats: UnpackStats::default(),
        buf: vec![0u8; BUF_SIZE],
        budget,
        only,
    };
    tarread::read_tar(r, archive, &limits.read_limits(), budget, |meta, data| {
        u.entry(meta, data)?;
        on_member(meta);
        Ok(())
    })?;
    u.finish()?;
    Ok(u.stats)
}

struct Unpacker<'a> {
    dest: PathBuf,
    archive: &'a str,
    limits: &'a UnpackLimits,
    /// Archive-relative paths verified to be real directories.
    known_dirs: HashSet<Vec<u8>>,
    /// Symlinks to create at the end: relative path → target.
    pending: BTreeMap<Vec<u8>, Vec<u8>>,
    dir_times: Vec<(PathBuf, u64)>,
    stats: UnpackStats,
    buf: Vec<u8>,
    /// The run's budget, whose cancellation the final passes check too.
    budget: &'a Budget,
    /// Write only these regular files (archive-relative paths) and the directories above
    /// them; skip everything else ([`extract_files`]).
    only: Option<&'a HashSet<Vec<u8>>>,
}

fn join(comps: &[Vec<u8>]) -> Vec<u8> {
    comps.join(&b'/')
}

impl Unpacker<'_> {
    fn abs(&self, rel: &[u8]) -> PathBuf {
        self.dest.join(OsStr::from_bytes(rel))
    }

    fn refuse(&self, entry: &str, reason: impl Into<String>) -> Error {
        Error::Refused {
            archive: self.archive.to_owned(),
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }

    fn entry(&mut self, meta: &Meta, data: &mut dyn Read) -> Result<()> {
        self.stats.entries += 1;
        if meta.kind.is_special() {
            if !self.limits.skip_special_files {
                let what = if meta.kind == Kind::Fifo { "fifos" } else { "device nodes" };
                return Err(self.refuse(&meta.display, format!("{what} are not allowed")));
            }
            self.stats.special += 1;
            return Ok(());
        }
        if meta.comps.is_empty() {
            // `./`: the destination itself.
            return Ok(());
        }
        if let Some(only) = self.only
            && (meta.kind != Kind::File || !only.contains(&join(&meta.comps)))
        {
            return Ok(());
        }
        let (_, parents) = meta.comps.split_last().expect("non-empty");
        self.ensure_parents(&meta.display, parents, true)?;
        let rel = join(&meta.comps);
        let path = self.abs(&rel);
        match meta.kind {
            Kind::Dir => {
                self.clear_leaf(&meta.display, &rel, &path, true)?;
                if !self.known_dirs.contains(&rel) {
                    match fs::create_dir(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(Error::io("create directory", &path, e)),
                    }
                    set_mode(&path, 0o755)?;
                    self.known_dirs.insert(rel);
                }
                self.dir_times.push((path, meta.mtime));
                self.stats.dirs += 1;
            }
            Kind::File => {
                self.clear_leaf(&meta.display, &rel, &path, false)?;
                if self.stats.bytes.saturating_add(meta.size) > self.limits.max_total_bytes {
                    return Err(self.limit(&meta.display));
                }
                self.write_file(meta, &path, data)?;
                self.stats.files += 1;
            }
            Kind::Symlink => {
                let target = meta.link.clone().unwrap_or_default();
                if target.first() == Some(&b'/') && !self.limits.allow_outside_symlinks {
                    return Err(self.refuse(
                        &meta.display,
                        format!(
                            "symlink target `{}` is absolute",
                            String::from_utf8_lossy(&target)
                        ),
                    ));
                }
                self.clear_leaf(&meta.display, &rel, &path, false)?;
                self.pending.insert(rel, target);
                self.stats.symlinks += 1;
            }
            Kind::Hardlink => {
                let raw = meta.link.clone().unwrap_or_default();
                let tcomps = tarread::normalize(&raw)
                    .map_err(|m| self.refuse(&meta.display, format!("hardlink target: {m}")))?;
                if tcomps.is_empty() {
                    return Err(self.refuse(&meta.display, "hardlink target is empty"));
                }
                let trel = join(&tcomps);
                if trel == rel {
                    return Err(self.refuse(&meta.display, "hardlink to itself"));
                }
                self.ensure_parents(&meta.display, &tcomps[..tcomps.len() - 1], false)?;
                if self.pending.contains_key(&trel) {
                    return Err(self.refuse(&meta.display, "hardlink to a symlink"));
                }
                let tpath = self.abs(&trel);
                match fs::symlink_metadata(&tpath) {
                    Ok(m) if m.is_file() => {}
                    Ok(m) if m.is_dir() => {
                        return Err(self.refuse(&meta.display, "hardlink to a directory"));
                    }
                    Ok(_) => {
                        return Err(self.refuse(
                            &meta.display,
                            "hardlink to something other than a regular file",
                        ));
                    }
                    Err(_) => {
                        return Err(self.refuse(
                            &meta.display,
                            "hardlink target does not exist earlier in the archive",
                        ));
                    }
                }
                self.clear_leaf(&meta.display, &rel, &path, false)?;
                fs::hard_link(&tpath, &path).map_err(|e| Error::io("create hardlink", &path, e))?;
                self.stats.hardlinks += 1;
            }
            Kind::CharDevice { .. } | Kind::BlockDevice { .. } | Kind::Fifo => {
                unreachable!("handled above")
            }
        }
        Ok(())
    }

    fn limit(&self, entry: &str) -> Error {
        Error::LimitExceeded {
            archive: self.archive.to_owned(),
            entry: entry.to_owned(),
            limit: "max_total_bytes",
            max: self.limits.max_total_bytes,
        }
    }

    /// Make sure every parent is a real directory (never a symlink), creating missing ones
    /// when `create`.
    fn ensure_parents(&mut self, entry: &str, parents: &[Vec<u8>], create: bool) -> Result<()> {
        for i in 1..=parents.len() {
            let rel = join(&parents[..i]);
            if self.known_dirs.contains(&rel) {
                continue;
            }
            if self.pending.contains_key(&rel) {
                return Err(self.refuse(entry, format!(
                    "path goes through the symlink `{}` (writing through symlinks is not allowed)",
                    String::from_utf8_lossy(&rel)
                )));
            }
            let path = self.abs(&rel);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(self.refuse(entry, format!(
                        "path goes through the symlink `{}` (writing through symlinks is not allowed)",
                        String::from_utf8_lossy(&rel)
                    )));
                }
                Ok(_) => {
                    return Err(self.refuse(
                        entry,
                        format!("parent `{}` is not a directory", String::from_utf8_lossy(&rel)),
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    fs::create_dir(&path).map_err(|e| Error::io("create directory", &path, e))?;
                    set_mode(&path, 0o755)?;
                }
                Err(_) => {
                    return Err(self.refuse(
                        entry,
                        format!("parent `{}` does not exist", String::from_utf8_lossy(&rel)),
                    ));
                }
            }
            self.known_dirs.insert(rel);
        }
        Ok(())
    }

    /// Remove whatever a new entry at `rel` replaces. Directories are only "replaced" by
    /// directories (merged); anything else replacing a directory is refused.
    fn clear_leaf(&mut self, entry: &str, rel: &[u8], path: &Path, new_is_dir: bool) -> Result<()> {
        if self.pending.remove(rel).is_some() {
            return Ok(());
        }
        if self.known_dirs.contains(rel) {
            return if new_is_dir {
                Ok(())
            } else {
                Err(self.refuse(entry, "would replace a directory"))
            };
        }
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => {
                if new_is_dir {
                    self.known_dirs.insert(rel.to_vec());
                    Ok(())
                } else {
                    Err(self.refuse(entry, "would replace a directory"))
                }
            }
            Ok(_) => fs::remove_file(path).map_err(|e| Error::io("replace", path, e)),
            Err(_) => Ok(()),
        }
    }

    fn write_file(&mut self, meta: &Meta, path: &Path, data: &mut dyn Read) -> Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| Error::io("create", path, e))?;
        let mut written = 0u64;
        loop {
            let n = match data.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(tarread::stream_error(self.archive, e));
                }
            };
            written += n as u64;
            self.stats.bytes += n as u64;
            if self.stats.bytes > self.limits.max_total_bytes {
                return Err(self.limit(&meta.display));
            }
            f.write_all(&self.buf[..n]).map_err(|e| Error::io("write", path, e))?;
        }
        if written != meta.size {
            return Err(Error::BadTar {
                archive: self.archive.to_owned(),
                source: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("entry `{}` is truncated", meta.display),
                ),
            });
        }
        let mode = if meta.mode & 0o100 != 0 { 0o755 } else { 0o644 };
        f.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io("set permissions of", path, e))?;
        f.set_modified(mtime(meta.mtime)).map_err(|e| Error::io("set mtime of", path, e))?;
        Ok(())
    }

    /// Check every pending symlink against the final tree, then create them all; then restore
    /// directory mtimes (deepest first).
    fn finish(&mut self) -> Result<()> {
        let cancelled = |i: usize| i.is_multiple_of(1024) && self.budget.is_cancelled();
        for (i, (rel, target)) in
            self.pending.iter().filter(|_| !self.limits.allow_outside_symlinks).enumerate()
        {
            if cancelled(i) {
                return Err(Error::Cancelled);
            }
            let comps: Vec<Vec<u8>> = rel.split(|&b| b == b'/').map(<[u8]>::to_vec).collect();
            if let Err(reason) = self.resolves_inside(&comps[..comps.len() - 1], target) {
                let entry = String::from_utf8_lossy(rel).into_owned();
                return Err(self.refuse(
                    &entry,
                    format!("symlink target `{}` {reason}", String::from_utf8_lossy(target)),
                ));
            }
        }
        for (i, (rel, target)) in self.pending.iter().enumerate() {
            if cancelled(i) {
                return Err(Error::Cancelled);
            }
            let path = self.abs(rel);
            std::os::unix::fs::symlink(OsStr::from_bytes(target), &path)
                .map_err(|e| Error::io("create symlink", &path, e))?;
        }
        self.dir_times.sort_by(|a, b| b.0.cmp(&a.0));
        for (path, t) in &self.dir_times {
            if let Ok(f) = File::open(path) {
                let _ = f.set_modified(mtime(*t));
            }
        }
        Ok(())
    }

    /// Resolve `target` from the directory `parent` against the final tree (pending symlinks
    /// and what is on disk), failing when it leaves the destination.
    fn resolves_inside(
        &self,
        parent: &[Vec<u8>],
        target: &[u8],
    ) -> std::result::Result<(), &'static str> {
        resolves_inside(&self.pending, parent, target, |rel| {
            fs::read_link(self.abs(rel)).ok().map(|p| p.as_os_str().as_bytes().to_vec())
        })
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("set permissions of", path, e))
}

fn mtime(t: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.min(1 << 40))
}

/// Resolve the symlink `target` from the directory `parent` (archive-relative components)
/// against the archive's symlinks (`pending`, relative path → target) and `on_disk` (the target
/// of a symlink already on disk), failing when it leaves the destination, goes through an
/// absolute symlink or follows more than 40 links.
pub(crate) fn resolves_inside(
    pending: &BTreeMap<Vec<u8>, Vec<u8>>,
    parent: &[Vec<u8>],
    target: &[u8],
    on_disk: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> std::result::Result<(), &'static str> {
    let mut stack: Vec<Vec<u8>> = parent.to_vec();
    let mut queue: VecDeque<Vec<u8>> = target.split(|&b| b == b'/').map(<[u8]>::to_vec).collect();
    let mut hops = 0;
    while let Some(c) = queue.pop_front() {
        match c.as_slice() {
            b"" | b"." => continue,
            b".." => {
                if stack.pop().is_none() {
                    return Err("resolves outside the destination");
                }
            }
            _ => {
                stack.push(c);
                let rel = join(&stack);
                let link = match pending.get(&rel) {
                    Some(t) => Some(t.clone()),
                    None => on_disk(&rel),
                };
                if let Some(t) = link {
                    hops += 1;
                    if hops > 40 {
                        return Err("has too many levels of symlinks");
                    }
                    if t.first() == Some(&b'/') {
                        return Err("resolves through an absolute symlink");
                    }
                    stack.pop();
                    for part in t.split(|&b| b == b'/').rev() {
                        queue.push_front(part.to_vec());
                    }
                }
            }
        }
    }
    Ok(())
}
