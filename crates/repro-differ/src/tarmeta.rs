//! Header metadata of tarball inputs: read the headers (no contents) and account their
//! differences (mtime, owners, permission bits other than owner-x, member order) under the
//! `tar-metadata` rule, or report them when not normalizing.

use repro_artifact::{
    DEFAULT_MAX_IN_MEMORY, Entry, Keyed, SortedReader, Sorter, SpillDir, Spool, SpoolReader,
    TarKind, TarMember,
};
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

/// One member's header as collected (and spilled past the memory bound).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct HeaderRec {
    path: String,
    /// Position in the archive.
    pos: u64,
    kind: u8,
    mode: u32,
    uid: u64,
    gid: u64,
    uname: String,
    gname: String,
    mtime: u64,
    device: (u32, u32),
}

impl Keyed for HeaderRec {
    fn key(&self) -> &str {
        &self.path
    }
}

impl HeaderRec {
    /// The header's fields.
    pub(crate) fn view(&self) -> TarHeader<'_> {
        let kind = char::from(self.kind);
        TarHeader {
            path: &self.path,
            kind,
            device: matches!(kind, 'c' | 'b').then_some(self.device),
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            uname: &self.uname,
            gname: &self.gname,
            mtime: self.mtime,
        }
    }

    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }
}

/// The headers (no contents) of one tarball's members, collected while it is unpacked
/// ([`TarHeaders::push`]): sorted by path for the differ's merge, and their paths in archive
/// order for the member order. Memory stays flat in the member count: past the bound both
/// go to spill files.
pub struct TarHeaders {
    by_path: Sorter<HeaderRec>,
    order: Spool<String>,
    /// The first spill error; reported by [`TarHeaders::finish`].
    error: Option<repro_artifact::Error>,
}

impl std::fmt::Debug for TarHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarHeaders").field("len", &self.len()).finish()
    }
}

impl Default for TarHeaders {
    fn default() -> Self {
        TarHeaders::new()
    }
}

impl TarHeaders {
    /// An empty list that spills to the system's temporary directory.
    pub fn new() -> TarHeaders {
        TarHeaders::with_spill(SpillDir::default(), DEFAULT_MAX_IN_MEMORY)
    }

    /// An empty list holding at most `max_in_memory` members before it spills to `spill`.
    pub fn with_spill(spill: SpillDir, max_in_memory: usize) -> TarHeaders {
        TarHeaders {
            by_path: Sorter::new(spill.clone(), max_in_memory),
            order: Spool::new(spill, max_in_memory),
            error: None,
        }
    }

    /// Add the header of a member read by `repro_artifact::read_tar` (the root `./` is
    /// skipped). A spill error is kept and returned by [`TarHeaders::finish`].
    pub fn push(&mut self, m: &TarMember) {
        if m.comps.is_empty() || self.error.is_some() {
            return;
        }
        let (kind, device) = match m.kind {
            TarKind::File => (b'-', (0, 0)),
            TarKind::Dir => (b'd', (0, 0)),
            TarKind::Symlink => (b'l', (0, 0)),
            TarKind::Hardlink => (b'h', (0, 0)),
            TarKind::CharDevice { major, minor } => (b'c', (major, minor)),
            TarKind::BlockDevice { major, minor } => (b'b', (major, minor)),
            TarKind::Fifo => (b'p', (0, 0)),
        };
        let mut path = String::new();
        for (i, c) in m.comps.iter().enumerate() {
            if i > 0 {
                path.push('/');
            }
            path.push_str(&String::from_utf8_lossy(c));
        }
        let rec = HeaderRec {
            path: path.clone(),
            pos: self.order.len(),
            kind,
            mode: m.mode,
            uid: m.uid,
            gid: m.gid,
            uname: m.uname.clone(),
            gname: m.gname.clone(),
            mtime: m.mtime,
            device,
        };
        if let Err(e) = self.by_path.push(rec).and_then(|()| self.order.push(path)) {
            self.error = Some(e);
        }
    }

    /// Number of headers (the root excluded).
    pub fn len(&self) -> u64 {
        self.order.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Done pushing: the cursor over the headers in path order, and the paths in archive
    /// order.
    pub(crate) fn finish(
        self,
    ) -> Result<(Cursor, SpoolReader<String>, u64), repro_artifact::Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let len = self.order.len();
        let cursor = Cursor { reader: self.by_path.finish()?.into_reader()? };
        Ok((cursor, self.order.into_reader()?, len))
    }
}

/// A walk over one side's headers in path order, one group of equal paths at a time.
pub(crate) struct Cursor {
    reader: SortedReader<HeaderRec>,
}

impl Cursor {
    /// The next path in order.
    pub(crate) fn peek(&self) -> Option<&str> {
        self.reader.peek().map(|r| r.path.as_str())
    }

    /// If the next path is `path`: its headers in archive order (the last one wins, as when
    /// unpacking), consumed.
    pub(crate) fn take(
        &mut self,
        path: &str,
    ) -> Result<Option<Vec<HeaderRec>>, repro_artifact::Error> {
        let mut v = Vec::new();
        while self.peek() == Some(path) {
            v.extend(self.reader.next_record()?);
        }
        Ok((!v.is_empty()).then_some(v))
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

    fn collect(h: TarHeaders) -> (Vec<HeaderRec>, Vec<String>) {
        let (mut c, mut order, len) = h.finish().unwrap();
        let mut sorted = Vec::new();
        while let Some(p) = c.peek().map(str::to_owned) {
            sorted.extend(c.take(&p).unwrap().unwrap());
        }
        let mut paths = Vec::new();
        while let Some(p) = order.next_record().unwrap() {
            paths.push(p);
        }
        assert_eq!(len, paths.len() as u64);
        (sorted, paths)
    }

    #[test]
    fn headers_keep_every_field_in_memory_and_spilled() {
        let d = tempfile::tempdir().unwrap();
        for max in [DEFAULT_MAX_IN_MEMORY, 1] {
            let mut h = TarHeaders::with_spill(SpillDir::new(Some(d.path().to_owned())), max);
            h.push(&member("", TarKind::Dir, 0));
            h.push(&member("a/b", TarKind::File, 1000));
            h.push(&member("dev/tty", TarKind::CharDevice { major: 4, minor: 1 }, 0));
            h.push(&member("big", TarKind::File, 1 << 40));
            h.push(&member("a/b", TarKind::Symlink, 1000));
            assert_eq!(h.len(), 4, "the root is not a member");
            let (sorted, order) = collect(h);
            assert_eq!(order, ["a/b", "dev/tty", "big", "a/b"], "archive order");
            let b = sorted[0].view();
            assert_eq!(
                (b.path, b.kind, b.uid, b.gid, b.uname, b.gname),
                ("a/b", '-', 1000, 7, "builder", "")
            );
            assert_eq!((b.mode, b.mtime, b.device), (0o640, 1_700_000_000, None));
            let kinds: Vec<(char, u64)> = sorted.iter().map(|r| (r.view().kind, r.pos())).collect();
            assert_eq!(
                kinds,
                [('-', 0), ('l', 3), ('-', 2), ('c', 1)],
                "both headers of a path in archive order, then by path"
            );
            let tty = sorted[3].view();
            assert_eq!((tty.kind, tty.device), ('c', Some((4, 1))));
            assert_eq!(sorted[2].view().uid, 1 << 40);
        }
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0, "spill files removed");
    }
}
