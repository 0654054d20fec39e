//! Binary comparison: differing byte ranges, their count, a hexdump diff of the first ones, and
//! cause hints from the bytes around each range.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use repro_report::{ByteRange, CauseKind, Confidence, Detail, Evidence};

use crate::content::{Ctx, Outcome};
use crate::hints::{self, Region};

/// Window around a range scanned for causes.
const WINDOW: usize = 48;

/// Differing ranges of `a` and `b` (gaps under 8 equal bytes are merged); at most `max` kept.
/// Returns (ranges, total count, differing bytes).
pub(crate) fn ranges(a: &[u8], b: &[u8], max: usize) -> (Vec<ByteRange>, u64, u64) {
    let mut out = Vec::new();
    let mut count = 0u64;
    let mut bytes = 0u64;
    let n = a.len().min(b.len());
    let mut cur: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < n {
        // Skip equal 64-byte blocks quickly.
        if cur.is_none() && i + 64 <= n && a[i..i + 64] == b[i..i + 64] {
            i += 64;
            continue;
        }
        if a[i] != b[i] {
            bytes += 1;
            cur = match cur {
                Some((s, e)) if i - e < 8 => Some((s, i + 1)),
                Some((s, e)) => {
                    count += 1;
                    if out.len() < max {
                        out.push(ByteRange { start: s as u64, end: e as u64 });
                    }
                    Some((i, i + 1))
                }
                None => Some((i, i + 1)),
            };
        } else if let Some((_, e)) = cur
            && i - e >= 8
        {
            let (s, e) = cur.take().expect("checked");
            count += 1;
            if out.len() < max {
                out.push(ByteRange { start: s as u64, end: e as u64 });
            }
        }
        i += 1;
    }
    if a.len() != b.len() {
        bytes += (a.len().max(b.len()) - n) as u64;
        cur = Some(match cur {
            Some((s, e)) if n - e < 8 => (s, a.len().max(b.len())),
            Some((s, e)) => {
                count += 1;
                if out.len() < max {
                    out.push(ByteRange { start: s as u64, end: e as u64 });
                }
                (n, a.len().max(b.len()))
            }
            None => (n, a.len().max(b.len())),
        });
    }
    if let Some((s, e)) = cur {
        count += 1;
        if out.len() < max {
            out.push(ByteRange { start: s as u64, end: e as u64 });
        }
    }
    (out, count, bytes)
}

fn hex_rows(data: &[u8], base: u64, from: usize, to: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut off = from;
    while off < to.min(data.len()) {
        let row = &data[off..(off + 16).min(data.len())];
        let mut s = format!("{:08x}: ", base + off as u64);
        for (i, c) in row.iter().enumerate() {
            let _ = write!(s, "{c:02x}");
            if i % 2 == 1 {
                s.push(' ');
            }
        }
        while s.len() < 10 + 40 {
            s.push(' ');
        }
        s.push(' ');
        s.extend(row.iter().map(|&c| if (0x20..0x7f).contains(&c) { c as char } else { '.' }));
        rows.push(s);
        off += 16;
    }
    rows
}

/// A unified diff (no file header) of xxd-style hexdumps around the given ranges.
pub(crate) fn hexdump_diff(
    a: &[u8],
    b: &[u8],
    base: u64,
    ranges: &[ByteRange],
    max_rows: usize,
) -> String {
    let mut out = String::new();
    for r in ranges {
        let start = ((r.start as usize) & !15).saturating_sub(16);
        let end = ((r.end as usize + 15) & !15) + 16;
        let end = end.min(start + max_rows * 16);
        let ra = hex_rows(a, base, start, end);
        let rb = hex_rows(b, base, start, end);
        let first_line = start / 16 + 1;
        let _ = writeln!(out, "@@ -{},{} +{},{} @@", first_line, ra.len(), first_line, rb.len());
        // Rows are aligned: emit per row.
        let n = ra.len().max(rb.len());
        let mut minus = Vec::new();
        let mut plus = Vec::new();
        let flush = |out: &mut String, minus: &mut Vec<String>, plus: &mut Vec<String>| {
            for m in minus.drain(..) {
                let _ = writeln!(out, "-{m}");
            }
            for p in plus.drain(..) {
                let _ = writeln!(out, "+{p}");
            }
        };
        for i in 0..n {
            match (ra.get(i), rb.get(i)) {
                (Some(x), Some(y)) if x == y => {
                    flush(&mut out, &mut minus, &mut plus);
                    let _ = writeln!(out, " {x}");
                }
                (x, y) => {
                    if let Some(x) = x {
                        minus.push(x.clone());
                    }
                    if let Some(y) = y {
                        plus.push(y.clone());
                    }
                }
            }
        }
        flush(&mut out, &mut minus, &mut plus);
    }
    out
}

/// Scan the first ranges for causes; `locate` names the region containing an offset.
pub(crate) fn analyze(
    ctx: &Ctx<'_>,
    a: &[u8],
    b: &[u8],
    ranges: &[ByteRange],
    loc: Option<&str>,
    locate: &dyn Fn(u64) -> Option<String>,
    causes: &mut hints::Causes,
) {
    let mut diff_a = Vec::new();
    let mut diff_b = Vec::new();
    for r in ranges.iter().take(ctx.limits.max_ranges_analyzed) {
        let s = r.start as usize;
        let e = r.end as usize;
        let ws = s.saturating_sub(WINDOW);
        let wa = &a[ws.min(a.len())..(e + WINDOW).min(a.len())];
        let wb = &b[ws.min(b.len())..(e + WINDOW).min(b.len())];
        let location = match (loc, locate(r.start)) {
            (Some(l), Some(x)) => Some(format!("{l} / {x}")),
            (Some(l), None) => Some(l.to_owned()),
            (None, x) => x,
        };
        let region = Region {
            a: wa,
            a_off: ws as u64,
            b: wb,
            b_off: ws as u64,
            diff_in_a: Some((s - ws, e - ws)),
            dates: hints::location_allows_dates(location.as_deref()),
            location,
        };
        hints::scan(&region, ctx.hints, ctx.date_window, causes);
        if diff_a.len() < 4096 {
            diff_a.extend_from_slice(&a[s.min(a.len())..e.min(a.len())]);
            diff_b.extend_from_slice(&b[s.min(b.len())..e.min(b.len())]);
        }
    }
    if causes.is_empty()
        && hints::looks_random(&diff_a, &diff_b)
        && let Some(r) = ranges.first()
    {
        let s = r.start as usize;
        let e = (r.end as usize).min(s + 16);
        let hex =
            |d: &[u8]| d.get(s.min(d.len())..e.min(d.len())).map(hex::encode).unwrap_or_default();
        causes.add(
            CauseKind::Random,
            Confidence::Low,
            Evidence {
                offset: Some(r.start),
                text: Some(hex(a)),
                text_b: Some(hex(b)),
                location: match (loc, locate(r.start)) {
                    (Some(l), Some(x)) => Some(format!("{l} / {x}")),
                    (Some(l), None) => Some(l.to_owned()),
                    (None, x) => x,
                },
            },
            None,
        );
    }
}

/// The binary comparator.
pub(crate) fn compare(
    ctx: &Ctx<'_>,
    a: &[u8],
    b: &[u8],
    loc: Option<&str>,
    locate: &dyn Fn(u64) -> Option<String>,
) -> Outcome {
    let mut o = Outcome::new("binary");
    let (rs, count, bytes) = ranges(a, b, ctx.limits.max_ranges);
    let mut d = Detail::new("binary");
    d.comments.push(format!(
        "{count} differing byte ranges, {bytes} bytes differ (sizes {} and {})",
        a.len(),
        b.len()
    ));
    if count as usize > rs.len() {
        d.comments.push(format!("only the first {} ranges are listed", rs.len()));
    }
    let shown = ctx.limits.hexdump_ranges.min(rs.len());
    let dump = hexdump_diff(a, b, 0, &rs[..shown], 16);
    if ctx.spend(dump.len() + rs.len() * 32) {
        d.unified_diff = Some(dump);
        d.ranges = rs.clone();
    } else {
        ctx.truncate("max_file_detail_bytes", "hexdump left out: per-file detail budget exhausted");
    }
    analyze(ctx, a, b, &rs, loc, locate, &mut o.causes);
    o.details.push(d);
    o
}

/// Streaming binary comparison of two large files (never held in memory).
pub(crate) fn compare_files(ctx: &Ctx<'_>, pa: &Path, pb: &Path) -> std::io::Result<Outcome> {
    const CHUNK: usize = 1 << 20;
    let mut fa = File::open(pa)?;
    let mut fb = File::open(pb)?;
    let mut ba = vec![0u8; CHUNK];
    let mut bb = vec![0u8; CHUNK];
    let mut off = 0u64;
    let mut all = Vec::new();
    let mut count = 0u64;
    let mut bytes = 0u64;
    loop {
        let na = read_full(&mut fa, &mut ba)?;
        let nb = read_full(&mut fb, &mut bb)?;
        if na == 0 && nb == 0 {
            break;
        }
        if ba[..na] != bb[..nb] {
            let (rs, c, by) = ranges(&ba[..na], &bb[..nb], ctx.limits.max_ranges);
            count += c;
            bytes += by;
            for r in rs {
                if all.len() < ctx.limits.max_ranges {
                    all.push(ByteRange { start: r.start + off, end: r.end + off });
                }
            }
        }
        off += na.max(nb) as u64;
        if na < CHUNK && nb < CHUNK {
            break;
        }
    }
    let mut o = Outcome::new("binary");
    let mut d = Detail::new("binary (streamed)");
    d.comments.push(format!(
        "{count} differing byte ranges, {bytes} bytes differ (compared in chunks; ranges crossing 1 MiB boundaries are split)"
    ));
    // Windows around the first ranges, read back for the hexdump and cause scan.
    let mut dump = String::new();
    for r in all.iter().take(ctx.limits.max_ranges_analyzed) {
        let ws = r.start.saturating_sub(64) & !15;
        let len = ((r.end - r.start) as usize).min(4096) + 128;
        let wa = read_at(&mut fa, ws, len)?;
        let wb = read_at(&mut fb, ws, len)?;
        let local = ByteRange { start: r.start - ws, end: (r.end - ws).min(len as u64) };
        if dump.len() < 16 * 1024
            && (all.iter().position(|x| x == r).unwrap_or(0)) < ctx.limits.hexdump_ranges
        {
            dump.push_str(&hexdump_diff(&wa, &wb, ws, &[local], 16));
        }
        let region = Region {
            a: &wa,
            a_off: ws,
            b: &wb,
            b_off: ws,
            diff_in_a: Some((local.start as usize, local.end as usize)),
            location: None,
            dates: true,
        };
        hints::scan(&region, ctx.hints, ctx.date_window, &mut o.causes);
    }
    if ctx.spend(dump.len()) {
        d.unified_diff = Some(dump);
        d.ranges = all;
    }
    o.details.push(d);
    Ok(o)
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

fn read_at(f: &mut File, off: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let pos = f.stream_position()?;
    f.seek(SeekFrom::Start(off))?;
    let mut v = vec![0u8; len];
    let n = read_full(f, &mut v)?;
    v.truncate(n);
    f.seek(SeekFrom::Start(pos))?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_finding() {
        let a = vec![0u8; 300];
        let mut b = a.clone();
        b[10] = 1;
        b[12] = 1; // merged with 10
        b[200] = 1;
        let (r, n, bytes) = ranges(&a, &b, 10);
        assert_eq!(n, 2);
        assert_eq!(bytes, 3);
        assert_eq!(r, vec![ByteRange { start: 10, end: 13 }, ByteRange { start: 200, end: 201 }]);
        let (r, n, _) = ranges(&a, &a[..290], 10);
        assert_eq!(n, 1);
        assert_eq!(r[0], ByteRange { start: 290, end: 300 });
        let (r, n, _) = ranges(&a, &b, 1);
        assert_eq!((r.len(), n), (1, 2));
    }

    #[test]
    fn hexdump_marks_rows() {
        let a = b"0123456789abcdef0123456789abcdef".to_vec();
        let mut b = a.clone();
        b[20] = b'X';
        let d = hexdump_diff(&a, &b, 0, &[ByteRange { start: 20, end: 21 }], 16);
        assert!(d.starts_with("@@ "), "{d}");
        assert!(d.contains("-00000010: "), "{d}");
        assert!(d.contains("+00000010: "), "{d}");
        assert!(d.contains(" 00000000: "), "{d}");
    }
}
