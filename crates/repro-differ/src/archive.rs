//! Archive comparison: compressed streams (gzip, zstd, xz, bzip2), tar, `ar` and zip. Members
//! are paired by name and compared recursively (bounded by depth and decompressed size);
//! header-only differences (timestamps, owners, modes, order) are identified as such.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use repro_artifact::{BOMB_MIN_BYTES, DEFAULT_MAX_RATIO, MemoryGuard, TarKind, TarLimits};
use repro_report::{CauseKind, Confidence, Detail, Evidence};

use crate::binary;
use crate::content::{self, Ctx, Outcome, join_loc};
use crate::detect::Format;
use crate::hints::iso;
use crate::text;

/// Decompress `data` within the run's decompression and memory budgets, refusing streams that
/// expand like a decompression bomb. The returned guard holds the output's memory reservation.
fn decompress<'c>(
    ctx: &Ctx<'c>,
    fmt: Format,
    data: &[u8],
    side: &str,
) -> Result<(Vec<u8>, MemoryGuard<'c>), String> {
    let mut reader: Box<dyn Read + '_> = match fmt {
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
        Format::Zstd => Box::new(
            zstd::stream::read::Decoder::new(data)
                .map_err(|e| format!("zstd stream in {side}: {e}"))?,
        ),
        Format::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(data)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(data)),
        _ => unreachable!("not a compressed format"),
    };
    let name = fmt.name();
    let mut guard = ctx.reserve(0).ok_or("memory budget exhausted")?;
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // Checksum failures land here: the stream is read to its end.
            Err(e) => return Err(format!("corrupt or truncated {name} stream in {side}: {e}")),
        };
        let total = out.len() as u64 + n as u64;
        if total > BOMB_MIN_BYTES && total / (data.len() as u64).max(1) >= DEFAULT_MAX_RATIO {
            ctx.truncate(
                "max_ratio",
                format!("{name} stream in {side} expands more than {DEFAULT_MAX_RATIO}:1"),
            );
            return Err(format!(
                "{name} stream in {side} expands {} bytes to more than {total} (over {DEFAULT_MAX_RATIO}:1); possible decompression bomb",
                data.len()
            ));
        }
        if !ctx.charge_decompressed(n as u64) {
            ctx.truncate(
                "max_decompressed_bytes",
                format!(
                    "{name} stream in {side}: the run's decompression budget of {} bytes is used up",
                    ctx.limits.max_decompressed_bytes
                ),
            );
            return Err(format!(
                "{name} stream in {side} decompresses beyond the run's max_decompressed_bytes ({} bytes); possible decompression bomb",
                ctx.limits.max_decompressed_bytes
            ));
        }
        if !guard.grow(n as u64 - ctx.take_prepaid(n as u64)) {
            ctx.truncate(
                "max_memory_bytes",
                format!(
                    "{name} stream in {side}: decompressing it needs more than the memory budget of {} bytes left",
                    ctx.limits.max_memory_bytes
                ),
            );
            return Err(format!("{name} stream in {side} does not fit in the memory budget"));
        }
        out.extend_from_slice(&chunk[..n]);
    }
    Ok((out, guard))
}

#[derive(Debug, PartialEq, Eq)]
struct GzHeader {
    mtime: u32,
    xfl: u8,
    os: u8,
    name: Option<String>,
    comment: Option<String>,
}

fn gz_header(b: &[u8]) -> Option<GzHeader> {
    if b.len() < 10 {
        return None;
    }
    let flg = b[3];
    let mtime = u32::from_le_bytes(b[4..8].try_into().ok()?);
    let mut i = 10;
    if flg & 4 != 0 {
        let xlen = u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?) as usize;
        i += 2 + xlen;
    }
    let cstr = |i: &mut usize| -> Option<String> {
        let rest = b.get(*i..)?;
        let end = memchr::memchr(0, rest)?;
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        *i += end + 1;
        Some(s)
    };
    let name = if flg & 8 != 0 { Some(cstr(&mut i)?) } else { None };
    let comment = if flg & 16 != 0 { Some(cstr(&mut i)?) } else { None };
    Some(GzHeader { mtime, xfl: b[8], os: b[9], name, comment })
}

/// gzip, zstd, xz, bzip2.
pub(crate) fn compare_compressed(
    ctx: &Ctx<'_>,
    fmt: Format,
    a: &[u8],
    b: &[u8],
    depth: usize,
    loc: Option<&str>,
) -> Outcome {
    let mut o = Outcome::new(fmt.name());
    let mut top = Detail::new(format!("{} stream", fmt.name()));
    let mut mtime_differs = None;
    if fmt == Format::Gzip {
        let (ha, hb) = (gz_header(a), gz_header(b));
        if let (Some(ha), Some(hb)) = (&ha, &hb)
            && ha != hb
        {
            let mut d = Detail::new("gzip header");
            let mut diff = String::from("@@ -1,4 +1,4 @@\n");
            let fields = |h: &GzHeader| {
                vec![
                    format!("mtime: {} ({})", h.mtime, iso(i64::from(h.mtime))),
                    format!("name: {}", h.name.as_deref().unwrap_or("-")),
                    format!("xfl: {} os: {}", h.xfl, h.os),
                    format!("comment: {}", h.comment.as_deref().unwrap_or("-")),
                ]
            };
            for (x, y) in fields(ha).into_iter().zip(fields(hb)) {
                if x == y {
                    diff.push_str(&format!(" {x}\n"));
                } else {
                    diff.push_str(&format!("-{x}\n+{y}\n"));
                }
            }
            d.unified_diff = Some(diff);
            top.children.push(d);
            if ha.mtime != hb.mtime {
                mtime_differs = Some((ha.mtime, hb.mtime));
            }
        }
    }
    let (ia, ib) = match (decompress(ctx, fmt, a, "a"), decompress(ctx, fmt, b, "b")) {
        (Ok((x, gx)), Ok((y, gy))) => ((x, gx), (y, gy)),
        (ra, rb) => {
            for e in [ra.err(), rb.err()].into_iter().flatten() {
                ctx.error(e);
            }
            let mut bo = binary::compare(ctx, a, b, loc, &|_| None);
            // Compressed bytes say nothing about the cause (an xz bit flip is no timestamp).
            bo.causes = Default::default();
            bo.format = fmt.name().to_owned();
            if let Some((ma, mb)) = mtime_differs {
                add_gzip_mtime(&mut bo, ma, mb, loc, Confidence::Medium);
            }
            bo.details.insert(0, top);
            return bo;
        }
    };
    let ((ia, _ga), (ib, _gb)) = (ia, ib);
    if ia == ib {
        if let Some((ma, mb)) = mtime_differs {
            top.comments
                .push("header-only difference: the decompressed contents are identical".into());
            add_gzip_mtime(&mut o, ma, mb, loc, Confidence::High);
        } else if top.children.is_empty() {
            top.comments.push(
                "the compressed bytes differ but the decompressed contents are identical (compressor version or settings)"
                    .into(),
            );
        } else {
            top.comments
                .push("header-only difference: the decompressed contents are identical".into());
        }
    } else {
        let inner_loc = join_loc(loc, &format!("{} content", fmt.name()));
        let inner = content::compare(ctx, &ia, &ib, depth + 1, Some(&inner_loc));
        let mut d = Detail::new(format!("decompressed content [{}]", inner.format));
        d.children = inner.details;
        content::merge_causes(&mut o.causes, inner.causes);
        if let Some((ma, mb)) = mtime_differs {
            add_gzip_mtime(&mut o, ma, mb, loc, Confidence::Medium);
        }
        o.format = format!("{}+{}", fmt.name(), inner.format);
        top.children.push(d);
    }
    o.details.push(top);
    o
}

fn add_gzip_mtime(o: &mut Outcome, ma: u32, mb: u32, loc: Option<&str>, c: Confidence) {
    o.causes.add(
        CauseKind::TimestampsInGzipHeaders,
        c,
        Evidence {
            offset: Some(4),
            text: Some(format!("{ma} ({})", iso(i64::from(ma)))),
            text_b: Some(format!("{mb} ({})", iso(i64::from(mb)))),
            location: Some(join_loc(loc, "gzip header")),
        },
        None,
    );
}

/// One archive member, format independent.
struct Member<'d> {
    name: String,
    /// `-` file, `d` dir, `l` symlink, `h` hardlink, `?` other.
    kind: char,
    mode: u32,
    uid: u64,
    gid: u64,
    owner: String,
    mtime: String,
    link: Option<String>,
    /// Major and minor number of a device node.
    device: Option<(u32, u32)>,
    data: std::borrow::Cow<'d, [u8]>,
    /// Format-specific header bytes that matter (zip extra fields).
    extra: Vec<u8>,
}

impl Member<'_> {
    fn listing(&self) -> String {
        let mut link = self.link.as_deref().map(|l| format!(" -> {l}")).unwrap_or_default();
        if let Some((major, minor)) = self.device {
            link = format!(" [device {major},{minor}]");
        }
        format!(
            "{}{:04o} {}/{} {} {:>10} {} {}{}",
            self.kind,
            self.mode & 0o7777,
            self.uid,
            self.gid,
            self.owner,
            self.data.len(),
            self.mtime,
            self.name,
            link
        )
    }
}

fn escapes(name: &str) -> bool {
    name.starts_with('/') || name.split(['/', '\\']).any(|c| c == "..")
}

struct Listing<'d, 'c> {
    members: Vec<Member<'d>>,
    error: Option<String>,
    /// Memory reserved for members copied out of the archive.
    _memory: Option<MemoryGuard<'c>>,
}

fn read_tar<'d, 'c>(ctx: &Ctx<'c>, data: &'d [u8], side: &str) -> Listing<'d, 'c> {
    let mut members = Vec::new();
    let archive = format!("tar archive in {side}");
    let max = ctx.limits.max_archive_members as u64;
    let limits = TarLimits::new(max, data.len() as u64);
    let r = repro_artifact::read_tar(Cursor::new(data), &archive, &limits, ctx.budget, |m, _| {
        let (kind, device) = match m.kind {
            TarKind::File => ('-', None),
            TarKind::Dir => ('d', None),
            TarKind::Symlink => ('l', None),
            TarKind::Hardlink => ('h', None),
            TarKind::CharDevice { major, minor } => ('c', Some((major, minor))),
            TarKind::BlockDevice { major, minor } => ('b', Some((major, minor))),
            TarKind::Fifo => ('p', None),
        };
        let (start, size) = (m.data_offset as usize, m.size as usize);
        let body = data.get(start..start.saturating_add(size)).unwrap_or_default();
        members.push(Member {
            name: m.path(),
            kind,
            mode: m.mode,
            uid: m.uid,
            gid: m.gid,
            owner: format!("{}/{}", m.uname, m.gname),
            mtime: iso(m.mtime as i64),
            link: m.link.as_ref().map(|l| String::from_utf8_lossy(l).into_owned()),
            device,
            data: std::borrow::Cow::Borrowed(body),
            extra: Vec::new(),
        });
        Ok(())
    });
    let error = match r {
        Ok(_) => None,
        Err(repro_artifact::Error::LimitExceeded { limit: "max_entries", .. }) => {
            ctx.truncate(
                "max_archive_members",
                format!("tar archive in {side} has more than {max} members"),
            );
            None
        }
        Err(repro_artifact::Error::Refused { entry, reason, .. })
            if reason.contains("..") || reason == "absolute path" =>
        {
            Some(format!(
                "tar archive in {side} has a member path escaping the archive root (path traversal): `{entry}`"
            ))
        }
        Err(e) => Some(format!("{e} (after {} members)", members.len())),
    };
    Listing { members, error, _memory: None }
}

fn read_ar<'d, 'c>(ctx: &Ctx<'c>, data: &'d [u8], side: &str) -> Listing<'d, 'c> {
    let mut members = Vec::new();
    let mut memory = ctx.reserve(0);
    let mut ar = ar::Archive::new(Cursor::new(data));
    while let Some(entry) = ar.next_entry() {
        if members.len() >= ctx.limits.max_archive_members {
            ctx.truncate(
                "max_archive_members",
                format!(
                    "ar archive in {side} has more than {} members",
                    ctx.limits.max_archive_members
                ),
            );
            break;
        }
        let mut e = match entry {
            Ok(e) => e,
            Err(err) => {
                let n = members.len();
                return Listing {
                    members,
                    error: Some(format!(
                        "corrupt or truncated ar archive in {side} after {n} members: {err}"
                    )),
                    _memory: memory,
                };
            }
        };
        let h = e.header().clone();
        if !memory.as_mut().is_some_and(|g| g.grow(h.size().min(data.len() as u64))) {
            ctx.truncate(
                "max_memory_bytes",
                format!("ar archive in {side}: memory budget used up"),
            );
            return Listing {
                members,
                error: Some(format!("ar archive in {side} does not fit in the memory budget")),
                _memory: memory,
            };
        }
        let mut v = Vec::new();
        if let Err(err) = (&mut e).take(h.size()).read_to_end(&mut v) {
            return Listing {
                members,
                error: Some(format!("truncated ar member in {side}: {err}")),
                _memory: memory,
            };
        }
        members.push(Member {
            name: String::from_utf8_lossy(h.identifier()).into_owned(),
            kind: '-',
            mode: h.mode(),
            uid: u64::from(h.uid()),
            gid: u64::from(h.gid()),
            owner: String::new(),
            mtime: iso(h.mtime() as i64),
            link: None,
            device: None,
            data: std::borrow::Cow::Owned(v),
            extra: Vec::new(),
        });
    }
    Listing { members, error: None, _memory: memory }
}

fn read_zip<'d, 'c>(ctx: &Ctx<'c>, data: &'d [u8], side: &str) -> Listing<'d, 'c> {
    let mut members = Vec::new();
    let mut memory = ctx.reserve(0);
    let mut z = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(z) => z,
        Err(e) => {
            return Listing {
                members,
                error: Some(format!("corrupt zip archive in {side}: {e}")),
                _memory: memory,
            };
        }
    };
    let mut error = None;
    for i in 0..z.len() {
        if members.len() >= ctx.limits.max_archive_members {
            ctx.truncate(
                "max_archive_members",
                format!(
                    "zip archive in {side} has more than {} members",
                    ctx.limits.max_archive_members
                ),
            );
            break;
        }
        let mut f = match z.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                error.get_or_insert(format!("zip member #{i} in {side}: {e}"));
                continue;
            }
        };
        let name = f
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(f.name_raw()).into_owned());
        let mtime = f.last_modified().map(|t| t.to_string()).unwrap_or_default();
        let mode = f.unix_mode().unwrap_or(0);
        let kind = if f.is_dir() { 'd' } else { '-' };
        let extra = f.extra_data().unwrap_or_default();
        let remaining = ctx.decompress_left();
        let mut v = Vec::new();
        match (&mut f).take(remaining + 1).read_to_end(&mut v) {
            Ok(_) if v.len() as u64 > remaining => {
                ctx.truncate(
                    "max_decompressed_bytes",
                    format!("zip member `{name}` in {side} exceeds the decompressed-size budget"),
                );
                error.get_or_insert(format!(
                    "zip member `{name}` in {side} decompresses beyond max_decompressed_bytes; possible zip bomb"
                ));
                break;
            }
            Ok(_) => {
                let n = v.len() as u64;
                if !ctx.charge_decompressed(n) || !memory.as_mut().is_some_and(|g| g.grow(n)) {
                    ctx.truncate(
                        "max_memory_bytes",
                        format!("zip member `{name}` in {side} does not fit in the run's budgets"),
                    );
                    error.get_or_insert(format!(
                        "zip member `{name}` in {side} does not fit in the run's memory or decompression budget"
                    ));
                    break;
                }
            }
            Err(e) => {
                error.get_or_insert(format!("zip member `{name}` in {side}: {e}"));
                continue;
            }
        }
        members.push(Member {
            name,
            kind,
            mode,
            uid: 0,
            gid: 0,
            owner: String::new(),
            mtime,
            link: None,
            device: None,
            data: std::borrow::Cow::Owned(v),
            extra,
        });
    }
    Listing { members, error, _memory: memory }
}

#[derive(Clone, Copy)]
enum Kind {
    Tar,
    Ar,
    Zip,
}

pub(crate) fn compare_tar(
    ctx: &Ctx<'_>,
    a: &[u8],
    b: &[u8],
    depth: usize,
    loc: Option<&str>,
) -> Outcome {
    let la = read_tar(ctx, a, "a");
    let lb = read_tar(ctx, b, "b");
    compare_members(ctx, Kind::Tar, a, b, la, lb, depth, loc)
}

pub(crate) fn compare_ar(
    ctx: &Ctx<'_>,
    a: &[u8],
    b: &[u8],
    depth: usize,
    loc: Option<&str>,
) -> Outcome {
    let la = read_ar(ctx, a, "a");
    let lb = read_ar(ctx, b, "b");
    compare_members(ctx, Kind::Ar, a, b, la, lb, depth, loc)
}

pub(crate) fn compare_zip(
    ctx: &Ctx<'_>,
    a: &[u8],
    b: &[u8],
    depth: usize,
    loc: Option<&str>,
) -> Outcome {
    let la = read_zip(ctx, a, "a");
    let lb = read_zip(ctx, b, "b");
    compare_members(ctx, Kind::Zip, a, b, la, lb, depth, loc)
}

#[allow(clippy::too_many_arguments)]
fn compare_members(
    ctx: &Ctx<'_>,
    kind: Kind,
    a: &[u8],
    b: &[u8],
    la: Listing<'_, '_>,
    lb: Listing<'_, '_>,
    depth: usize,
    loc: Option<&str>,
) -> Outcome {
    let fname = match kind {
        Kind::Tar => "tar",
        Kind::Ar => "ar",
        Kind::Zip => "zip",
    };
    let mut o = Outcome::new(fname);
    let mut top = Detail::new(format!("{fname} archive"));
    let had_error = la.error.is_some() || lb.error.is_some();
    for e in [la.error, lb.error].into_iter().flatten() {
        ctx.error(e);
    }
    for (side, l) in [("a", &la.members), ("b", &lb.members)] {
        if let Some(m) = l.iter().find(|m| escapes(&m.name)) {
            ctx.error(format!(
                "{fname} archive in {side} has a member path escaping the archive root (path traversal): `{}`",
                m.name
            ));
        }
    }

    // Listing (names, modes, owners, mtimes, sizes, order).
    let lst_a: String = la.members.iter().map(|m| m.listing() + "\n").collect();
    let lst_b: String = lb.members.iter().map(|m| m.listing() + "\n").collect();
    if lst_a != lst_b {
        let (diff, cut, _) = text::unified(ctx, &lst_a, &lst_b, ctx.limits.max_diff_lines);
        let mut d = Detail::new("file list");
        if cut {
            d.comments.push(format!("listing diff cut at {} lines", ctx.limits.max_diff_lines));
            ctx.truncate("max_diff_lines", format!("{fname} listing diff cut"));
        }
        if ctx.spend(diff.len()) {
            d.unified_diff = Some(diff);
        }
        top.children.push(d);
    }

    let names_a: Vec<&str> = la.members.iter().map(|m| m.name.as_str()).collect();
    let names_b: Vec<&str> = lb.members.iter().map(|m| m.name.as_str()).collect();
    let set_a: BTreeSet<&str> = names_a.iter().copied().collect();
    let set_b: BTreeSet<&str> = names_b.iter().copied().collect();
    if set_a == set_b && names_a != names_b {
        top.comments.push("member order differs".into());
        let first = names_a.iter().zip(&names_b).position(|(x, y)| x != y).unwrap_or(0);
        o.causes.add(
            CauseKind::OrderingOnly,
            Confidence::High,
            Evidence {
                text: names_a.get(first).map(|s| (*s).to_owned()),
                text_b: names_b.get(first).map(|s| (*s).to_owned()),
                location: Some(join_loc(loc, &format!("{fname} member order, position {first}"))),
                ..Evidence::default()
            },
            None,
        );
    }
    for n in set_a.difference(&set_b).take(20) {
        top.comments.push(format!("member only in a: {n}"));
    }
    for n in set_b.difference(&set_a).take(20) {
        top.comments.push(format!("member only in b: {n}"));
    }

    let by_b: BTreeMap<&str, &Member<'_>> =
        lb.members.iter().rev().map(|m| (m.name.as_str(), m)).collect();
    let mut seen = BTreeSet::new();
    let mut contents_differ = 0usize;
    let mut detailed = 0usize;
    let (ts_cause, ts_what) = match kind {
        Kind::Tar => (CauseKind::TimestampsInTarball, "tar"),
        Kind::Ar => (CauseKind::TimestampsInStaticLibrary, "ar"),
        Kind::Zip => (CauseKind::TimestampsInZip, "zip"),
    };
    for m in &la.members {
        if !seen.insert(m.name.as_str()) {
            continue;
        }
        let Some(n) = by_b.get(m.name.as_str()) else { continue };
        let mloc = join_loc(loc, &format!("member {}", m.name));
        if m.mtime != n.mtime {
            o.causes.add(
                ts_cause,
                Confidence::High,
                Evidence {
                    text: Some(m.mtime.clone()),
                    text_b: Some(n.mtime.clone()),
                    location: Some(format!("{mloc} ({ts_what} header mtime)")),
                    ..Evidence::default()
                },
                None,
            );
        }
        if matches!(kind, Kind::Zip) && m.extra != n.extra && m.mtime == n.mtime {
            o.causes.add(
                CauseKind::TimestampsInZip,
                Confidence::Medium,
                Evidence {
                    text: Some(hex::encode(&m.extra)),
                    text_b: Some(hex::encode(&n.extra)),
                    location: Some(format!("{mloc} (zip extra fields)")),
                    ..Evidence::default()
                },
                None,
            );
        }
        if m.uid != n.uid || m.gid != n.gid || m.owner != n.owner {
            let cause = if matches!(kind, Kind::Tar) {
                CauseKind::UsersAndGroupsInTarball
            } else {
                ts_cause
            };
            o.causes.add(
                cause,
                Confidence::High,
                Evidence {
                    text: Some(format!("{}/{} {}", m.uid, m.gid, m.owner)),
                    text_b: Some(format!("{}/{} {}", n.uid, n.gid, n.owner)),
                    location: Some(format!("{mloc} ({ts_what} header owner)")),
                    ..Evidence::default()
                },
                None,
            );
        }
        if m.mode != n.mode {
            o.causes.add(
                CauseKind::Umask,
                Confidence::Medium,
                Evidence {
                    text: Some(format!("{:04o}", m.mode & 0o7777)),
                    text_b: Some(format!("{:04o}", n.mode & 0o7777)),
                    location: Some(format!("{mloc} ({ts_what} header mode)")),
                    ..Evidence::default()
                },
                None,
            );
        }
        if m.data != n.data {
            contents_differ += 1;
            if detailed >= ctx.limits.max_members_detailed {
                continue;
            }
            detailed += 1;
            let inner = content::compare(ctx, &m.data, &n.data, depth + 1, Some(&mloc));
            let mut d = Detail::new(format!("member {} [{}]", m.name, inner.format));
            d.children = inner.details;
            content::merge_causes(&mut o.causes, inner.causes);
            top.children.push(d);
        }
    }
    if contents_differ > detailed {
        top.comments
            .push(format!("{} more members differ (not detailed)", contents_differ - detailed));
        ctx.truncate(
            "max_members_detailed",
            format!(
                "{contents_differ} members differ; only {} are detailed",
                ctx.limits.max_members_detailed
            ),
        );
    }
    if contents_differ == 0 && set_a == set_b && !had_error {
        if lst_a != lst_b || names_a != names_b {
            top.comments
                .push(format!("{fname} header differences only (member contents identical)"));
        } else {
            top.comments.push(
                "members, headers and contents are identical; the archives differ elsewhere (padding, extended headers, \
                 index or compression)"
                    .into(),
            );
            let bo = binary::compare(ctx, a, b, loc, &|_| None);
            top.children.extend(bo.details);
            content::merge_causes(&mut o.causes, bo.causes);
        }
    }
    if had_error && contents_differ == 0 {
        // Nothing explained by members: show the raw bytes too.
        let bo = binary::compare(ctx, a, b, loc, &|_| None);
        top.children.extend(bo.details);
    }
    o.details.push(top);
    o
}
