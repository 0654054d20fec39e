//! A tarball read as a [`Tree`] without unpacking it: every member is checked and hashed as
//! the stream goes by, and the tree is what [`crate::unpack_tarball`] followed by
//! [`crate::scan_dir`] would give, entry for entry. Creating and then deleting every file on
//! disk is what a large tarball costs most (see docs/benchmarks.md), so the differ reads
//! tarball pairs this way and writes out only the files it compares in detail
//! ([`crate::extract_files`]).
//!
//! Only archives where that equivalence is plain are read so: a hardlink, a member that
//! replaces another (the same path twice, a file where a directory is, an entry below a file or
//! a symlink), a name or symlink target that is not UTF-8, an absolute or escaping symlink, a
//! truncated member or anything over a limit gives [`TarTree::Unpack`] with the reason, and the
//! caller unpacks the archive as before (which reports the refusals).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::budget::Budget;
use crate::error::Result;
use crate::scan::{DIR, EXECUTABLE, FILE, HAS_CONTENT, HASHED, Rec, SYMLINK, ScanOptions, Tree};
use crate::spill::Sorter;
use crate::tarread::{TarKind, TarMember};
use crate::unpack::{UnpackLimits, resolves_inside};

/// What [`scan_tarball`] found.
#[derive(Debug)]
pub enum TarTree {
    /// The tree, rooted at the `root` given (nothing is written there).
    Tree(Tree),
    /// The archive needs unpacking to be compared as it would be installed: why.
    Unpack(String),
}

/// Read the tarball at `path` (any compression) as the tree unpacking it would give, calling
/// `on_member` with every member's header (device nodes and FIFOs included), charging bytes and
/// entries to `budget`. The tree's root is set to `root` (empty until files are extracted).
pub fn scan_tarball(
    path: &Path,
    root: &Path,
    limits: &UnpackLimits,
    budget: &Budget,
    opts: &ScanOptions,
    mut on_member: impl FnMut(&TarMember),
) -> Result<TarTree> {
    let r = crate::compress::open_decompressed_bounded(path, limits.max_ratio)?;
    let archive = path.display().to_string();
    let mut st = State {
        opts,
        limits,
        sorter: Sorter::new(opts.spill.clone(), opts.max_in_memory),
        dirs: HashMap::new(),
        symlinks: BTreeMap::new(),
        count: 0,
        file_bytes: 0,
        buf: vec![0u8; crate::hashes::BUF_SIZE],
        unpack: None,
    };
    crate::tarread::read_tar(r, &archive, &limits.read_limits(), budget, |m, data| {
        on_member(m);
        if st.unpack.is_none() {
            st.member(m, data, &archive)?;
        }
        Ok(())
    })?;
    if let Some(why) = st.unpack {
        return Ok(TarTree::Unpack(why));
    }
    st.finish(root)
}

struct State<'a> {
    opts: &'a ScanOptions,
    limits: &'a UnpackLimits,
    /// Files and symlinks.
    sorter: Sorter<Rec>,
    /// Every directory, listed or implied by a member below it → content lies below it.
    dirs: HashMap<String, bool>,
    /// Symlink path → target, for the escape check.
    symlinks: BTreeMap<Vec<u8>, Vec<u8>>,
    count: u64,
    file_bytes: u64,
    buf: Vec<u8>,
    /// Set once the archive is known to need unpacking.
    unpack: Option<String>,
}

impl State<'_> {
    fn fall_back(&mut self, why: String) -> Result<()> {
        self.unpack = Some(why);
        Ok(())
    }

    fn counts(&self, path: &str) -> bool {
        self.opts.counts_as_content.as_ref().is_none_or(|f| (f.0)(path))
    }

    /// Mark the directories above `path` as holding content.
    fn mark_content(&mut self, path: &str) {
        let mut p = path;
        while let Some(cut) = p.rfind('/') {
            p = &p[..cut];
            match self.dirs.get_mut(p) {
                Some(c) if *c => break,
                Some(c) => *c = true,
                None => {
                    self.dirs.insert(p.to_owned(), true);
                }
            }
        }
    }

    fn member(&mut self, m: &TarMember, data: &mut dyn Read, archive: &str) -> Result<()> {
        if m.comps.is_empty() {
            return Ok(());
        }
        if m.kind.is_special() {
            if !self.limits.skip_special_files {
                return self.fall_back(format!("`{}` is a device node or FIFO", m.display));
            }
            return Ok(());
        }
        let Ok(path) = String::from_utf8(m.comps.join(&b'/')) else {
            return self.fall_back(format!("`{}`: the name is not UTF-8", m.display));
        };
        let depth = m.comps.len();
        if depth > self.opts.max_depth.min(crate::dirhash::MAX_DEPTH_CAP) {
            return self.fall_back(format!("`{path}` is nested deeper than the scan allows"));
        }
        self.count += 1;
        if self.count > self.opts.max_entries {
            return self.fall_back("more entries than the scan allows".into());
        }
        // The directories above it (unpacking creates the missing ones).
        let mut end = 0;
        for c in &m.comps[..depth - 1] {
            end += c.len();
            self.dirs.entry(path[..end].to_owned()).or_insert(false);
            end += 1;
        }
        match m.kind {
            TarKind::Dir => {
                self.dirs.entry(path).or_insert(false);
            }
            TarKind::File => {
                if self.file_bytes.saturating_add(m.size) > self.limits.max_total_bytes {
                    return self.fall_back("over the unpacked size limit".into());
                }
                let (sha, n) = crate::hashes::sha256_counted(data, &mut self.buf)
                    .map_err(|e| crate::tarread::stream_error(archive, e))?;
                if n != m.size {
                    return self.fall_back(format!("`{path}` is truncated"));
                }
                self.file_bytes += n;
                let mut flags = HASHED;
                if m.mode & 0o100 != 0 {
                    flags |= EXECUTABLE;
                }
                if self.counts(&path) {
                    self.mark_content(&path);
                }
                self.sorter.push(Rec {
                    path,
                    size: n,
                    target: String::new(),
                    sha256: sha.0,
                    kind: FILE,
                    flags,
                })?;
            }
            TarKind::Symlink => {
                let target = m.link.clone().unwrap_or_default();
                if target.is_empty() {
                    return self.fall_back(format!("`{path}`: empty symlink target"));
                }
                if target.first() == Some(&b'/') && !self.limits.allow_outside_symlinks {
                    return self.fall_back(format!("`{path}`: absolute symlink target"));
                }
                let Ok(text) = String::from_utf8(target.clone()) else {
                    return self.fall_back(format!("`{path}`: symlink target is not UTF-8"));
                };
                if self.symlinks.insert(path.clone().into_bytes(), target).is_some() {
                    return self.fall_back(format!("`{path}` is in the archive twice"));
                }
                if self.counts(&path) {
                    self.mark_content(&path);
                }
                self.sorter.push(Rec {
                    path,
                    size: 0,
                    target: text,
                    sha256: [0; 32],
                    kind: SYMLINK,
                    flags: 0,
                })?;
            }
            TarKind::Hardlink => {
                return self.fall_back(format!("`{path}` is a hardlink"));
            }
            TarKind::CharDevice { .. } | TarKind::BlockDevice { .. } | TarKind::Fifo => {
                unreachable!("handled above")
            }
        }
        Ok(())
    }

    fn finish(mut self, root: &Path) -> Result<TarTree> {
        // Symlinks that unpacking would refuse.
        if !self.limits.allow_outside_symlinks {
            for (rel, target) in &self.symlinks {
                let comps: Vec<Vec<u8>> = rel.split(|&b| b == b'/').map(<[u8]>::to_vec).collect();
                if let Err(reason) =
                    resolves_inside(&self.symlinks, &comps[..comps.len() - 1], target, |_| None)
                {
                    let why = format!("symlink `{}` {reason}", String::from_utf8_lossy(rel));
                    return Ok(TarTree::Unpack(why));
                }
            }
        }
        let sorted = std::mem::replace(&mut self.sorter, Sorter::new(self.opts.spill.clone(), 1))
            .finish()?;
        // A member that replaces another: the same path twice, or a file or symlink where a
        // directory is (a member below it, or a directory entry of that name).
        let mut last: Option<String> = None;
        let mut clash: Option<String> = None;
        sorted.try_for_each(|r| {
            if clash.is_none()
                && (last.as_deref() == Some(r.path.as_str()) || self.dirs.contains_key(&r.path))
            {
                clash = Some(r.path.clone());
            }
            last = Some(r.path.clone());
            Ok(())
        })?;
        if let Some(p) = clash {
            return Ok(TarTree::Unpack(format!("`{p}` replaces another member")));
        }
        let mut dirs: Vec<Rec> = self
            .dirs
            .drain()
            .map(|(path, content)| Rec {
                path,
                size: 0,
                target: String::new(),
                sha256: [0; 32],
                kind: DIR,
                flags: if content { HAS_CONTENT } else { 0 },
            })
            .collect();
        dirs.sort_unstable_by(|x, y| x.path.cmp(&y.path));
        let root: PathBuf = root.to_owned();
        Ok(TarTree::Tree(Tree::from_parts(root, sorted, dirs, self.file_bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marking_content_stops_at_a_marked_directory() {
        let opts = ScanOptions::default();
        let limits = UnpackLimits::default();
        let mut st = State {
            opts: &opts,
            limits: &limits,
            sorter: Sorter::new(opts.spill.clone(), 10),
            dirs: HashMap::new(),
            symlinks: BTreeMap::new(),
            count: 0,
            file_bytes: 0,
            buf: Vec::new(),
            unpack: None,
        };
        st.dirs.insert("a".into(), false);
        st.dirs.insert("a/b".into(), false);
        st.dirs.insert("c".into(), false);
        st.mark_content("a/b/f");
        assert_eq!((st.dirs["a"], st.dirs["a/b"], st.dirs["c"]), (true, true, false));
    }
}
