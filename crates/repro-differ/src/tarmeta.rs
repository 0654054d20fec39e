//! Header metadata of tarball inputs: read the headers (no contents) and account their
//! differences (mtime, owners, permission bits other than owner-x, member order) under the
//! `tar-metadata` rule, or report them when not normalizing.

use repro_artifact::{Entry, TarKind, TarMember};
use repro_normalizer::{Normalizer, TAR_METADATA};
use repro_report::{Cause, CauseKind, Confidence, Detail, EntryType, Evidence, FileReport, Status};

use crate::hints::iso;

/// The metadata of one tar member, borrowed from its [`TarHeaders`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TarHeader<'h> {
    /// Normalized path (`./a//b/` and `a/./b` are both `a/b`).
    pub path: &'h str,
    /// `-` file, `d` directory, `l` symlink, `h` hardlink, `c`/`b` character/block device,
    /// `p` FIFO.
    pub kind: char,
    /// Major and minor number of a device node.
    pub device: Option<(u32, u32)>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: &'h str,
    pub gname: &'h str,
    pub mtime: u64,
}

/// One member's header, compact: its path and owner names live in the list's arenas; device
/// numbers and ids beyond 32 bits (rare) in a side table.
#[derive(Debug, Clone, Copy)]
struct Rec {
    path_start: usize,
    path_len: u32,
    mode: u32,
    uname: u32,
    gname: u32,
    uid: u32,
    gid: u32,
    mtime: u64,
    kind: u8,
    /// `uid`/`gid`/the device numbers are in `TarHeaders::rare`.
    rare: bool,
}

const _: () = assert!(std::mem::size_of::<Rec>() <= 48, "a header record stays small");

/// What few members need: device numbers, ids that do not fit 32 bits.
#[derive(Debug, Clone, Copy)]
struct Rare {
    uid: u64,
    gid: u64,
    device: (u32, u32),
}

/// The headers (no contents) of one tarball's members in archive order, collected while it is
/// unpacked ([`TarHeaders::push`]). Each path is stored once, in one arena, and owner names
/// once per distinct name: 48 bytes and the path per member.
#[derive(Debug, Clone, Default)]
pub struct TarHeaders {
    paths: String,
    names: Vec<Box<str>>,
    name_ids: std::collections::HashMap<Box<str>, u32>,
    recs: Vec<Rec>,
    /// (archive position, fields) of the records marked `rare`, by position.
    rare: Vec<(usize, Rare)>,
}

impl TarHeaders {
    /// An empty list.
    pub fn new() -> TarHeaders {
        TarHeaders::default()
    }

    /// Add the header of a member read by `repro_artifact::read_tar` (the root `./` is
    /// skipped).
    pub fn push(&mut self, m: &TarMember) {
        if m.comps.is_empty() {
            return;
        }
        let (kind, (major, minor)) = match m.kind {
            TarKind::File => (b'-', (0, 0)),
            TarKind::Dir => (b'd', (0, 0)),
            TarKind::Symlink => (b'l', (0, 0)),
            TarKind::Hardlink => (b'h', (0, 0)),
            TarKind::CharDevice { major, minor } => (b'c', (major, minor)),
            TarKind::BlockDevice { major, minor } => (b'b', (major, minor)),
            TarKind::Fifo => (b'p', (0, 0)),
        };
        let path_start = self.paths.len();
        for (i, c) in m.comps.iter().enumerate() {
            if i > 0 {
                self.paths.push('/');
            }
            self.paths.push_str(&String::from_utf8_lossy(c));
        }
        let path_len = u32::try_from(self.paths.len() - path_start).unwrap_or(u32::MAX);
        let (uname, gname) = (self.name_id(&m.uname), self.name_id(&m.gname));
        let (uid, gid) = (u32::try_from(m.uid), u32::try_from(m.gid));
        let rare = uid.is_err() || gid.is_err() || (major, minor) != (0, 0);
        if rare {
            let fields = Rare { uid: m.uid, gid: m.gid, device: (major, minor) };
            self.rare.push((self.recs.len(), fields));
        }
        self.recs.push(Rec {
            path_start,
            path_len,
            mode: m.mode,
            uname,
            gname,
            uid: uid.unwrap_or(0),
            gid: gid.unwrap_or(0),
            mtime: m.mtime,
            kind,
            rare,
        });
    }

    fn name_id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.name_ids.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).expect("fewer owner names than members");
        self.names.push(name.into());
        self.name_ids.insert(name.into(), i);
        i
    }

    /// Number of headers (the root excluded).
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Drop the lookup table of owner names (no more [`TarHeaders::push`] is coming) and spare
    /// capacity.
    pub fn shrink(&mut self) {
        self.name_ids = Default::default();
        self.paths.shrink_to_fit();
        self.recs.shrink_to_fit();
        self.rare.shrink_to_fit();
    }

    fn path(&self, i: usize) -> &str {
        let r = &self.recs[i];
        &self.paths[r.path_start..r.path_start + r.path_len as usize]
    }

    /// The header at archive position `i`.
    pub(crate) fn get(&self, i: usize) -> TarHeader<'_> {
        let r = &self.recs[i];
        let kind = char::from(r.kind);
        let rare = if r.rare {
            let at = self.rare.binary_search_by_key(&i, |(j, _)| *j).expect("rare fields kept");
            self.rare[at].1
        } else {
            Rare { uid: r.uid.into(), gid: r.gid.into(), device: (0, 0) }
        };
        TarHeader {
            path: self.path(i),
            kind,
            device: matches!(kind, 'c' | 'b').then_some(rare.device),
            mode: r.mode,
            uid: rare.uid,
            gid: rare.gid,
            uname: &self.names[r.uname as usize],
            gname: &self.names[r.gname as usize],
            mtime: r.mtime,
        }
    }

    /// Archive positions sorted by path (stable: a path's headers in archive order).
    pub(crate) fn by_path(&self) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.recs.len())
            .map(|i| u32::try_from(i).expect("fewer than 2^32 members"))
            .collect();
        v.sort_by(|&x, &y| self.path(x as usize).cmp(self.path(y as usize)));
        v
    }

    /// Archive-order paths of the positions for which `keep` holds.
    pub(crate) fn paths_where<'s>(&'s self, keep: &'s [bool]) -> impl Iterator<Item = &'s str> {
        (0..self.recs.len()).filter(|&i| keep[i]).map(|i| self.path(i))
    }
}

/// A walk over one side's headers in path order, one group of equal paths at a time.
pub(crate) struct Cursor<'h> {
    headers: &'h TarHeaders,
    order: Vec<u32>,
    pos: usize,
}

impl<'h> Cursor<'h> {
    pub(crate) fn new(headers: &'h TarHeaders) -> Self {
        Cursor { headers, order: headers.by_path(), pos: 0 }
    }

    /// The next path in order.
    pub(crate) fn peek(&self) -> Option<&'h str> {
        self.order.get(self.pos).map(|&i| self.headers.path(i as usize))
    }

    /// If the next path is `path`: the archive positions of its headers (the last one wins,
    /// as when unpacking), consumed.
    pub(crate) fn take(&mut self, path: &str) -> Option<&[u32]> {
        let start = self.pos;
        while self.order.get(self.pos).is_some_and(|&i| self.headers.path(i as usize) == path) {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.order[start..self.pos])
    }
}

impl TarHeader<'_> {
    pub(crate) fn is_special(&self) -> bool {
        matches!(self.kind, 'c' | 'b' | 'p')
    }

    /// What a special file is, for listings: `character device 1,3`, `fifo`.
    pub(crate) fn special_text(&self) -> String {
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

pub(crate) type HeaderDiffs = Vec<(CauseKind, String, String, &'static str)>;

/// The header fields that differ (other than the type, and owner-x, compared on the trees).
pub(crate) fn differences(x: &TarHeader, y: &TarHeader) -> HeaderDiffs {
    let mut v = HeaderDiffs::new();
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

/// Add the header differences of a listed file: one cause per field, and a `tar header`
/// detail first.
pub(crate) fn add_header_details(f: &mut FileReport, diffs: HeaderDiffs) {
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

/// The report of a path whose contents are identical but whose headers differ (raw mode).
pub(crate) fn header_only(path: &str, a: &Entry, b: &Entry) -> FileReport {
    let mut f = FileReport::new(path, Status::Differs, entry_type(a));
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
    f
}

/// The `.` entry saying that the paths present on both sides are listed in another order;
/// `first` is the first position where they differ.
pub(crate) fn member_order(first: usize, a: Option<&str>, b: Option<&str>) -> FileReport {
    let mut f = FileReport::new(".", Status::Differs, EntryType::Directory);
    f.format = Some("tar member order".into());
    f.causes.push(Cause {
        cause: CauseKind::OrderingOnly,
        confidence: Some(Confidence::High),
        evidence: Evidence {
            text: a.map(str::to_owned),
            text_b: b.map(str::to_owned),
            location: Some(format!("tar member order, position {first}")),
            ..Evidence::default()
        },
        variation: None,
    });
    let mut d = Detail::new("tar member order");
    d.comments.push("the tarballs list the same members in another order".into());
    f.details.push(d);
    f
}

fn entry_type(e: &Entry) -> EntryType {
    match e.kind {
        repro_artifact::EntryKind::File { .. } => EntryType::File,
        repro_artifact::EntryKind::Dir => EntryType::Directory,
        repro_artifact::EntryKind::Symlink { .. } => EntryType::Symlink,
    }
}

/// What the comparison of a path that is a device node or FIFO on at least one side gives:
/// `None` when both are the same special file (`header_only`: only owners or mtime differ),
/// else the file's report. `x`/`y`: the tree entries (a regular side of a type change).
/// Device nodes and FIFOs are never created on disk; they are compared here, from the headers:
/// type, major/minor and permission bits (owners and mtimes like any member).
pub(crate) fn special_file(
    path: &str,
    hx: Option<TarHeader>,
    hy: Option<TarHeader>,
    x: Option<&Entry>,
    y: Option<&Entry>,
    normalizer: &Normalizer,
) -> Option<FileReport> {
    let (sx, sy) = (hx.is_some_and(|h| h.is_special()), hy.is_some_and(|h| h.is_special()));
    let mut f = match (hx, hy) {
        (Some(x), Some(y)) if sx && sy => {
            let same_node = x.kind == y.kind && x.device == y.device;
            let same_mode = (x.mode & 0o7777) == (y.mode & 0o7777);
            let header = x.mtime != y.mtime
                || (x.uid, x.gid, x.uname, x.gname) != (y.uid, y.gid, y.uname, y.gname);
            if same_node && same_mode && (!header || normalizer.ignores_tar_metadata()) {
                if header {
                    normalizer.record(TAR_METADATA, path);
                }
                return None;
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
        (None, None) => unreachable!("a special header on one side"),
    };
    // The regular side of a type change keeps its size and hash.
    if let Some(e) = x
        && let repro_artifact::EntryKind::File { size, .. } = e.kind
    {
        (f.size_a, f.sha256_a) = (Some(size), e.sha256.map(|s| s.to_hex()));
    }
    if let Some(e) = y
        && let repro_artifact::EntryKind::File { size, .. } = e.kind
    {
        (f.size_b, f.sha256_b) = (Some(size), e.sha256.map(|s| s.to_hex()));
    }
    Some(f)
}

fn kind_of(k: char) -> EntryType {
    match k {
        'd' => EntryType::Directory,
        'l' => EntryType::Symlink,
        '-' | 'h' => EntryType::File,
        _ => EntryType::Special,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(path: &str, kind: TarKind, uid: u64) -> TarMember {
        TarMember {
            display: path.to_owned(),
            comps: path
                .split('/')
                .filter(|c| !c.is_empty())
                .map(|c| c.as_bytes().to_vec())
                .collect(),
            kind,
            link: None,
            mode: 0o640,
            mtime: 1_700_000_000,
            uid,
            gid: 7,
            uname: "builder".into(),
            gname: String::new(),
            size: 0,
            data_offset: 0,
        }
    }

    #[test]
    fn headers_keep_every_field_compactly() {
        let mut h = TarHeaders::new();
        h.push(&member("", TarKind::Dir, 0));
        h.push(&member("a/b", TarKind::File, 1000));
        h.push(&member("dev/tty", TarKind::CharDevice { major: 4, minor: 1 }, 0));
        h.push(&member("big", TarKind::File, 1 << 40));
        h.push(&member("a/b", TarKind::Symlink, 1000));
        h.shrink();
        assert_eq!(h.len(), 4, "the root is not a member");
        let b = h.get(0);
        assert_eq!(
            (b.path, b.kind, b.uid, b.gid, b.uname, b.gname),
            ("a/b", '-', 1000, 7, "builder", "")
        );
        assert_eq!((b.mode, b.mtime, b.device), (0o640, 1_700_000_000, None));
        let tty = h.get(1);
        assert_eq!((tty.kind, tty.device), ('c', Some((4, 1))));
        assert_eq!(h.get(2).uid, 1 << 40);
        assert_eq!(h.names.len(), 2, "owner names stored once each");
        let order: Vec<&str> = h.by_path().iter().map(|&i| h.get(i as usize).path).collect();
        assert_eq!(order, ["a/b", "a/b", "big", "dev/tty"]);
        let mut c = Cursor::new(&h);
        assert_eq!(c.take("a/b"), Some(&[0u32, 3][..]), "both headers of a path, in archive order");
        assert_eq!(c.peek(), Some("big"));
    }
}
