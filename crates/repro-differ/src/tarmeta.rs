//! Header metadata of tarball inputs: read the headers (no contents) and account their
//! differences (mtime, owners, permission bits other than owner-x, member order) under the
//! `tar-metadata` rule, or report them when not normalizing.

use std::collections::BTreeMap;
use std::io::Read;

use repro_artifact::Entry;
use repro_events::{Event, Sink};
use repro_normalizer::{Normalizer, TAR_METADATA};
use repro_report::{Cause, CauseKind, Confidence, Detail, EntryType, Evidence, FileReport, Status};

use crate::hints::iso;

/// The metadata of one tar member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarHeader {
    /// Normalized path (no leading `./`, no trailing `/`).
    pub path: String,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: String,
    pub gname: String,
    pub mtime: u64,
}

/// Read every member header of an (uncompressed) tar stream, skipping contents. At most
/// `max_members` headers are read.
pub fn read_tar_headers<R: Read>(
    r: R,
    max_members: usize,
) -> Result<Vec<TarHeader>, std::io::Error> {
    let mut ar = tar::Archive::new(r);
    let mut out = Vec::new();
    for e in ar.entries()? {
        let e = e?;
        if out.len() >= max_members {
            break;
        }
        let h = e.header();
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let path = raw.trim_start_matches("./").trim_end_matches('/').to_owned();
        if path.is_empty() || path == "." {
            continue;
        }
        out.push(TarHeader {
            path,
            mode: h.mode().unwrap_or(0),
            uid: h.uid().unwrap_or(0),
            gid: h.gid().unwrap_or(0),
            uname: h.username().ok().flatten().unwrap_or("").to_owned(),
            gname: h.groupname().ok().flatten().unwrap_or("").to_owned(),
            mtime: h.mtime().unwrap_or(0),
        });
    }
    Ok(out)
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
    let mb: BTreeMap<&str, &TarHeader> = hb.iter().map(|h| (h.path.as_str(), h)).collect();
    let mut index: BTreeMap<String, usize> =
        files.iter().enumerate().map(|(i, f)| (f.path.clone(), i)).collect();
    let record = |path: &str| {
        normalizer.record(TAR_METADATA, path);
        sink.emit(Event::Normalized { rule: TAR_METADATA.to_owned(), path: path.to_owned() });
    };
    for x in ha {
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
    let ma: BTreeMap<&str, ()> = ha.iter().map(|h| (h.path.as_str(), ())).collect();
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
