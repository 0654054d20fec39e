//! Header metadata of tarball inputs: read the headers (no contents) and account their
//! differences (mtime, owners, permission bits other than owner-x, member order) under the
//! `tar-metadata` rule, or report them when not normalizing.

use std::collections::BTreeMap;

use repro_artifact::{Entry, TarKind, TarMember};
use repro_events::{Event, Sink};
use repro_normalizer::{Normalizer, TAR_METADATA};
use repro_report::{Cause, CauseKind, Confidence, Detail, EntryType, Evidence, FileReport, Status};

use crate::hints::iso;

/// The metadata of one tar member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarHeader {
    /// Normalized path (`./a//b/` and `a/./b` are both `a/b`).
    pub path: String,
    /// `-` file, `d` directory, `l` symlink, `h` hardlink, `c`/`b` character/block device,
    /// `p` FIFO.
    pub kind: char,
    /// Major and minor number of a device node.
    pub device: Option<(u32, u32)>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: String,
    pub gname: String,
    pub mtime: u64,
}

impl TarHeader {
    /// The header of a member read by `repro_artifact::read_tar` (`None` for the root `./`).
    pub fn from_member(m: &TarMember) -> Option<TarHeader> {
        if m.comps.is_empty() {
            return None;
        }
        let (kind, device) = match m.kind {
            TarKind::File => ('-', None),
            TarKind::Dir => ('d', None),
            TarKind::Symlink => ('l', None),
            TarKind::Hardlink => ('h', None),
            TarKind::CharDevice { major, minor } => ('c', Some((major, minor))),
            TarKind::BlockDevice { major, minor } => ('b', Some((major, minor))),
            TarKind::Fifo => ('p', None),
        };
        Some(TarHeader {
            path: m.path(),
            kind,
            device,
            mode: m.mode,
            uid: m.uid,
            gid: m.gid,
            uname: m.uname.clone(),
            gname: m.gname.clone(),
            mtime: m.mtime,
        })
    }

    fn is_special(&self) -> bool {
        matches!(self.kind, 'c' | 'b' | 'p')
    }

    /// What a special file is, for listings: `character device 1,3`, `fifo`.
    fn special_text(&self) -> String {
        let what = match self.kind {
            'c' => "character device",
            'b' => "block device",
            _ => "fifo",
        };
        match self.device {
            Some((major, minor)) if self.kind != 'p' => {
                format!("{what} {major},{minor} mode {:04o}", self.mode & 0o7777)
            }
            _ => format!("{what} mode {:04o}", self.mode & 0o7777),
        }
    }
}

fn differences(x: &TarHeader, y: &TarHeader) -> Vec<(CauseKind, String, String, &'static str)> {
    let mut v = Vec::new();
    if x.mtime != y.mtime {
        v.push((
            CauseKind::TimestampsInTarball,
            format!("{} ({})", x.mtime, iso(x.mtime as i64)),
            format!("{} ({})", y.mtime, iso(y.mtime as i64)),
            "mtime",
        ));
    }
    if x.uid != y.uid || x.gid != y.gid || x.uname != y.uname || x.gname != y.gname {
        v.push((
            CauseKind::UsersAndGroupsInTarball,
            format!("{}/{} {}/{}", x.uid, x.gid, x.uname, x.gname),
            format!("{}/{} {}/{}", y.uid, y.gid, y.uname, y.gname),
            "owner",
        ));
    }
    // Owner-x is compared on the unpacked trees; other permission bits only here.
    if (x.mode & 0o7677) != (y.mode & 0o7677) {
        v.push((
            CauseKind::Umask,
            format!("{:04o}", x.mode & 0o7777),
            format!("{:04o}", y.mode & 0o7777),
            "mode",
        ));
    }
    v
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn apply(
    ha: &[TarHeader],
    hb: &[TarHeader],
    ea: &BTreeMap<&str, &Entry>,
    eb: &BTreeMap<&str, &Entry>,
    normalizer: &Normalizer,
    files: &mut Vec<FileReport>,
    identical: &mut u64,
    sink: &Sink,
) {
    // The last header of a path wins, as when unpacking.
    let ma: BTreeMap<&str, &TarHeader> = ha.iter().map(|h| (h.path.as_str(), h)).collect();
    let mb: BTreeMap<&str, &TarHeader> = hb.iter().map(|h| (h.path.as_str(), h)).collect();
    let mut index: BTreeMap<String, usize> =
        files.iter().enumerate().map(|(i, f)| (f.path.clone(), i)).collect();
    let record = |path: &str| {
        normalizer.record(TAR_METADATA, path);
        sink.emit(Event::Normalized { rule: TAR_METADATA.to_owned(), path: path.to_owned() });
    };
    special_files(&ma, &mb, normalizer, files, &mut index, identical, sink);
    for x in ma.values().copied() {
        if x.is_special() || mb.get(x.path.as_str()).is_some_and(|y| y.is_special()) {
            continue;
        }
        let Some(y) = mb.get(x.path.as_str()) else { continue };
        // Only paths compared on both sides (dropped paths stay dropped).
        let (Some(a), Some(b)) = (ea.get(x.path.as_str()), eb.get(x.path.as_str())) else {
            continue;
        };
        let diffs = differences(x, y);
        if diffs.is_empty() {
            continue;
        }
        if normalizer.ignores_tar_metadata() {
            record(&x.path);
            continue;
        }
        let i = match index.get(&x.path) {
            Some(&i) => i,
            None => {
                // Identical content: the header difference alone makes it differ (raw mode).
                *identical = identical.saturating_sub(1);
                let mut f = FileReport::new(x.path.clone(), Status::Differs, entry_type(a));
                if let repro_artifact::EntryKind::File { size, executable } = a.kind {
                    f.size_a = Some(size);
                    f.executable_a = Some(executable);
                    f.sha256_a = a.sha256.map(|s| s.to_hex());
                }
                if let repro_artifact::EntryKind::File { size, executable } = b.kind {
                    f.size_b = Some(size);
                    f.executable_b = Some(executable);
                    f.sha256_b = b.sha256.map(|s| s.to_hex());
                }
                f.format = Some("tar header".into());
                files.push(f);
                index.insert(x.path.clone(), files.len() - 1);
                files.len() - 1
            }
        };
        let f = &mut files[i];
        let mut d = Detail::new("tar header");
        let mut diff = String::new();
        for (cause, ta, tb, field) in diffs {
            diff.push_str(&format!("-{field}: {ta}\n+{field}: {tb}\n"));
            f.causes.push(Cause {
                cause,
                confidence: Some(Confidence::High),
                evidence: Evidence {
                    text: Some(ta),
                    text_b: Some(tb),
                    location: Some(format!("tar header {field}")),
                    ..Evidence::default()
                },
                variation: None,
            });
        }
        let n = diff.lines().count() / 2;
        d.unified_diff = Some(format!("@@ -1,{n} +1,{n} @@\n{diff}"));
        f.details.insert(0, d);
    }

    // Member order of the paths present in both.
    let order_a: Vec<&str> = ha
        .iter()
        .map(|h| h.path.as_str())
        .filter(|p| mb.contains_key(p) && ea.contains_key(p))
        .collect();
    let order_b: Vec<&str> = hb
        .iter()
        .map(|h| h.path.as_str())
        .filter(|p| ma.contains_key(p) && eb.contains_key(p))
        .collect();
    if order_a != order_b {
        if normalizer.ignores_tar_metadata() {
            record(".");
        } else {
            let first = order_a.iter().zip(&order_b).position(|(x, y)| x != y).unwrap_or(0);
            let mut f = FileReport::new(".", Status::Differs, EntryType::Directory);
            f.format = Some("tar member order".into());
            f.causes.push(Cause {
                cause: CauseKind::OrderingOnly,
                confidence: Some(Confidence::High),
                evidence: Evidence {
                    text: order_a.get(first).map(|s| (*s).to_owned()),
                    text_b: order_b.get(first).map(|s| (*s).to_owned()),
                    location: Some(format!("tar member order, position {first}")),
                    ..Evidence::default()
                },
                variation: None,
            });
            let mut d = Detail::new("tar member order");
            d.comments.push("the tarballs list the same members in another order".into());
            f.details.push(d);
            files.push(f);
        }
    }
}

fn entry_type(e: &Entry) -> EntryType {
    match e.kind {
        repro_artifact::EntryKind::File { .. } => EntryType::File,
        repro_artifact::EntryKind::Dir => EntryType::Directory,
        repro_artifact::EntryKind::Symlink { .. } => EntryType::Symlink,
    }
}

/// Device nodes and FIFOs are never created on disk; they are compared here, from the headers:
/// type, major/minor and permission bits (owners and mtimes like any member).
fn special_files(
    ma: &BTreeMap<&str, &TarHeader>,
    mb: &BTreeMap<&str, &TarHeader>,
    normalizer: &Normalizer,
    files: &mut Vec<FileReport>,
    index: &mut BTreeMap<String, usize>,
    identical: &mut u64,
    sink: &Sink,
) {
    let paths: std::collections::BTreeSet<&str> =
        ma.iter().chain(mb.iter()).filter(|(_, h)| h.is_special()).map(|(p, _)| *p).collect();
    for path in paths {
        if let Some(rule) = normalizer.dropped_by(path) {
            normalizer.record(rule, path);
            sink.emit(Event::Normalized { rule: rule.to_owned(), path: path.to_owned() });
            continue;
        }
        let (x, y) = (ma.get(path).copied(), mb.get(path).copied());
        let (sx, sy) = (x.is_some_and(TarHeader::is_special), y.is_some_and(TarHeader::is_special));
        let mut f = match (x, y) {
            (Some(x), Some(y)) if sx && sy => {
                let same_node = x.kind == y.kind && x.device == y.device;
                let same_mode = (x.mode & 0o7777) == (y.mode & 0o7777);
                let header = x.mtime != y.mtime
                    || (x.uid, x.gid, &x.uname, &x.gname) != (y.uid, y.gid, &y.uname, &y.gname);
                if same_node && same_mode && (!header || normalizer.ignores_tar_metadata()) {
                    if header {
                        normalizer.record(TAR_METADATA, path);
                    }
                    *identical += 1;
                    continue;
                }
                let status = if x.kind != y.kind { Status::TypeChanged } else { Status::Differs };
                let mut f = FileReport::new(path, status, EntryType::Special);
                f.format = Some("special file".into());
                let mut d = Detail::new("special file");
                let (ta, tb) = (x.special_text(), y.special_text());
                let la = format!("{ta} owner {}/{} mtime {}", x.uid, x.gid, x.mtime);
                let lb = format!("{tb} owner {}/{} mtime {}", y.uid, y.gid, y.mtime);
                d.unified_diff = Some(format!("@@ -1 +1 @@\n-{la}\n+{lb}\n"));
                f.details.push(d);
                if !same_mode && same_node {
                    f.causes.push(Cause {
                        cause: CauseKind::Umask,
                        confidence: Some(Confidence::Medium),
                        evidence: Evidence {
                            text: Some(format!("{:04o}", x.mode & 0o7777)),
                            text_b: Some(format!("{:04o}", y.mode & 0o7777)),
                            location: Some("tar header mode".into()),
                            ..Evidence::default()
                        },
                        variation: None,
                    });
                }
                f
            }
            (Some(x), None) => {
                let mut f = FileReport::new(path, Status::OnlyInA, EntryType::Special);
                f.format = Some(x.special_text());
                f
            }
            (None, Some(y)) => {
                let mut f = FileReport::new(path, Status::OnlyInB, EntryType::Special);
                f.format = Some(y.special_text());
                f
            }
            (Some(x), Some(y)) => {
                // A special file on one side, something else on the other.
                let (special, other) = if sx { (x, y) } else { (y, x) };
                let mut f = FileReport::new(path, Status::TypeChanged, EntryType::Special);
                if !sx {
                    f.kind = kind_of(other.kind);
                    f.kind_b = Some(EntryType::Special);
                } else {
                    f.kind_b = Some(kind_of(other.kind));
                }
                f.format = Some(special.special_text());
                f
            }
            (None, None) => unreachable!("path from one of the maps"),
        };
        // The regular side of a type change was listed as only-in-one-side by the tree pass.
        if let Some(&i) = index.get(path) {
            let old = &files[i];
            (f.size_a, f.size_b) = (old.size_a, old.size_b);
            (f.sha256_a, f.sha256_b) = (old.sha256_a.clone(), old.sha256_b.clone());
            files[i] = f;
        } else {
            files.push(f);
            index.insert(path.to_owned(), files.len() - 1);
        }
    }
}

fn kind_of(k: char) -> EntryType {
    match k {
        'd' => EntryType::Directory,
        'l' => EntryType::Symlink,
        '-' | 'h' => EntryType::File,
        _ => EntryType::Special,
    }
}
