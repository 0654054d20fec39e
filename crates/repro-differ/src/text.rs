//! Text comparison: a bounded unified diff (with a deadline), ordering-only detection, and cause
//! hints from the changed lines.

use std::time::Instant;

use repro_report::{CauseKind, Confidence, Detail, Evidence};
use similar::{DiffOp, TextDiff};

use crate::content::{Ctx, Outcome};
use crate::hints::{self, Region};

/// Byte offset of the start of each line (plus one past the end).
fn line_starts(s: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(memchr::memchr_iter(b'\n', s.as_bytes()).map(|i| i + 1));
    if *v.last().expect("non-empty") != s.len() {
        v.push(s.len());
    }
    v
}

/// A bounded unified diff (hunks only, no `---`/`+++` header) of two texts; returns the diff and
/// whether it was cut at `max_lines`.
pub(crate) fn unified(ctx: &Ctx<'_>, a: &str, b: &str, max_lines: usize) -> (String, bool, bool) {
    let started = Instant::now();
    let diff =
        TextDiff::configure().deadline(started + ctx.limits.text_diff_deadline).diff_lines(a, b);
    let timed_out = started.elapsed() >= ctx.limits.text_diff_deadline;
    let (out, cut) = render(&diff, max_lines);
    (out, cut, timed_out)
}

fn render<'x>(diff: &TextDiff<'x, 'x, str>, max_lines: usize) -> (String, bool) {
    let mut out = String::new();
    let mut lines = 0;
    let mut cut = false;
    let udiff = diff.unified_diff();
    for hunk in udiff.iter_hunks() {
        let h = hunk.to_string();
        let n = h.lines().count();
        if lines + n > max_lines {
            for l in h.lines().take(max_lines.saturating_sub(lines)) {
                out.push_str(l);
                out.push('\n');
            }
            cut = true;
            break;
        }
        lines += n;
        out.push_str(&h);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    (out, cut)
}

/// The text comparator.
pub(crate) fn compare(ctx: &Ctx<'_>, a: &[u8], b: &[u8], loc: Option<&str>) -> Outcome {
    let sa = String::from_utf8_lossy(a);
    let sb = String::from_utf8_lossy(b);
    let mut o = Outcome::new("text");
    let mut d = Detail::new("text");

    // Same multiset of lines in another order?
    let mut la: Vec<&str> = sa.lines().collect();
    let mut lb: Vec<&str> = sb.lines().collect();
    la.sort_unstable();
    lb.sort_unstable();
    let ordering_only = la == lb;
    if ordering_only {
        d.comments.push("ordering differences only".into());
        o.causes.add(
            CauseKind::OrderingOnly,
            Confidence::High,
            Evidence {
                text: Some(format!("{} lines, same set in another order", la.len())),
                location: loc.map(str::to_owned),
                ..Evidence::default()
            },
            None,
        );
    }

    let started = Instant::now();
    let tdiff = TextDiff::configure()
        .deadline(started + ctx.limits.text_diff_deadline)
        .diff_lines(&*sa, &*sb);
    let timed_out = started.elapsed() >= ctx.limits.text_diff_deadline;
    let (diff, cut) = render(&tdiff, ctx.limits.max_diff_lines);
    if cut {
        ctx.truncate(
            "max_diff_lines",
            format!("text diff cut at {} lines", ctx.limits.max_diff_lines),
        );
        d.comments.push(format!("diff cut at {} lines", ctx.limits.max_diff_lines));
    }
    if timed_out {
        ctx.truncate(
            "text_diff_deadline",
            "text diff hit its deadline; the diff may be coarser than minimal",
        );
    }
    if ctx.spend(diff.len()) {
        d.unified_diff = Some(diff);
    } else {
        ctx.truncate(
            "max_file_detail_bytes",
            "text diff left out: per-file detail budget exhausted",
        );
    }

    // Causes from changed regions.
    if !ordering_only {
        let starts_a = line_starts(&sa);
        let starts_b = line_starts(&sb);
        let mut scanned = 0;
        for op in tdiff.ops() {
            if matches!(op, DiffOp::Equal { .. }) {
                continue;
            }
            if scanned >= ctx.limits.max_ranges_analyzed {
                break;
            }
            scanned += 1;
            let (ra, rb) = (op.old_range(), op.new_range());
            let span = |starts: &[usize], r: std::ops::Range<usize>, len: usize| {
                let s = starts.get(r.start).copied().unwrap_or(len);
                let e = starts.get(r.end).copied().unwrap_or(len).min(s + 64 * 1024);
                (s, e)
            };
            let (a0, a1) = span(&starts_a, ra.clone(), sa.len());
            let (b0, b1) = span(&starts_b, rb.clone(), sb.len());
            let line = if ra.is_empty() {
                format!("line {} of b", rb.start + 1)
            } else {
                format!("line {}", ra.start + 1)
            };
            let location = Some(crate::content::join_loc(loc, &line));
            let region = Region {
                a: &sa.as_bytes()[a0..a1],
                a_off: a0 as u64,
                b: &sb.as_bytes()[b0..b1],
                b_off: b0 as u64,
                diff_in_a: None,
                location,
                dates: true,
            };
            hints::scan(&region, ctx.hints, ctx.date_window, &mut o.causes);
        }
    }
    o.details.push(d);
    o
}
