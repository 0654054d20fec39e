//! ELF comparison with the `object` crate: which sections differ, build-id, symbols; a
//! build-id-only difference is recognized as such.

use std::collections::{BTreeMap, BTreeSet};

use object::{Object, ObjectSection, ObjectSymbol};
use repro_report::{ByteRange, CauseKind, Confidence, Detail, Evidence};

use crate::content::{Ctx, Outcome};
use crate::{binary, hints};

/// Sections whose bytes are mostly text: where embedded paths, dates, host and user names are.
fn holds_strings(name: &str) -> bool {
    name.starts_with(".rodata")
        || name.starts_with(".data")
        || matches!(
            name,
            ".debug_str" | ".debug_line_str" | ".comment" | ".dynstr" | ".strtab" | ".interp"
        )
}

struct Section<'d> {
    name: String,
    range: Option<(u64, u64)>,
    data: &'d [u8],
}

/// The sections of `f`, a file of `len` bytes. A file range that the headers declare outside
/// the file (or whose end overflows) is dropped: offsets computed from it could not be trusted.
fn sections<'d>(f: &object::File<'d>, len: usize) -> Vec<Section<'d>> {
    f.sections()
        .map(|s| Section {
            name: s.name().unwrap_or("").to_owned(),
            range: s
                .file_range()
                .filter(|&(off, size)| off.checked_add(size).is_some_and(|e| e <= len as u64)),
            data: s.data().unwrap_or(&[]),
        })
        .collect()
}

fn symbols(f: &object::File<'_>, max: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in f.symbols().chain(f.dynamic_symbols()).take(max) {
        if let Ok(name) = s.name()
            && !name.is_empty()
        {
            out.insert(format!("{name} size={} {:?}", s.size(), s.kind()));
        }
    }
    out
}

/// The ELF comparator; falls back to binary when either side does not parse.
pub(crate) fn compare(ctx: &Ctx<'_>, a: &[u8], b: &[u8], loc: Option<&str>) -> Outcome {
    let (fa, fb) = match (object::File::parse(a), object::File::parse(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (ra, rb) => {
            let e = ra.err().or(rb.err()).map(|e| e.to_string()).unwrap_or_default();
            ctx.error(format!("ELF does not parse ({e}); compared as binary"));
            let mut o = binary::compare(ctx, a, b, loc, &|_| None);
            o.format = "elf".into();
            return o;
        }
    };
    let mut o = Outcome::new("elf");
    let sa = sections(&fa, a.len());
    let sb = sections(&fb, b.len());

    // Build-id.
    let bid_a = fa.build_id().ok().flatten().map(hex::encode);
    let bid_b = fb.build_id().ok().flatten().map(hex::encode);
    let note =
        |v: &[Section<'_>]| v.iter().find(|s| s.name == ".note.gnu.build-id").and_then(|s| s.range);
    let (na, nb) = (note(&sa), note(&sb));
    let mut build_id_only = false;
    if let Some((off, size)) = na
        && bid_a != bid_b
        && a.len() == b.len()
        && na == nb
    {
        let (s, e) = (off as usize, (off + size) as usize);
        if e <= a.len() && a[..s] == b[..s] && a[e..] == b[e..] {
            build_id_only = true;
            o.causes.add(
                CauseKind::BuildIdOnly,
                Confidence::High,
                Evidence {
                    offset: Some(off),
                    text: bid_a.clone(),
                    text_b: bid_b.clone(),
                    location: Some(crate::content::join_loc(loc, "section .note.gnu.build-id")),
                },
                None,
            );
        }
    }

    let mut top = Detail::new("ELF");
    if bid_a != bid_b {
        top.comments.push(format!(
            "build-id: {} -> {}{}",
            bid_a.as_deref().unwrap_or("none"),
            bid_b.as_deref().unwrap_or("none"),
            if build_id_only {
                " (the only difference)"
            } else {
                " (a consequence of the other differences)"
            }
        ));
    }

    // Sections.
    let by_name_b: BTreeMap<&str, &Section<'_>> = sb.iter().map(|s| (s.name.as_str(), s)).collect();
    let names_a: BTreeSet<&str> = sa.iter().map(|s| s.name.as_str()).collect();
    let mut differing = Vec::new();
    for s in &sa {
        match by_name_b.get(s.name.as_str()) {
            None => top.comments.push(format!("section {} only in a", s.name)),
            Some(t) if s.data != t.data => differing.push((s, *t)),
            Some(_) => {}
        }
    }
    for s in &sb {
        if !names_a.contains(s.name.as_str()) {
            top.comments.push(format!("section {} only in b", s.name));
        }
    }
    if !differing.is_empty() {
        let names: Vec<&str> = differing.iter().map(|(s, _)| s.name.as_str()).collect();
        top.comments.push(format!("differing sections: {}", names.join(", ")));
    }
    for (s, _) in differing.iter().filter(|(s, _)| hints::is_consequence_section(&s.name)) {
        if s.name == ".gnu_debuglink" {
            top.comments.push(
                "section .gnu_debuglink differs: the CRC of the separate debug file (a consequence of differences in that file, not a cause)".into(),
            );
        }
    }
    for (s, t) in differing.iter().take(32) {
        let mut d = Detail::new(format!("section {}", s.name));
        let (rs, count, bytes) = binary::ranges(s.data, t.data, ctx.limits.max_ranges);
        d.comments.push(format!(
            "{count} differing byte ranges, {bytes} bytes differ (sizes {} and {})",
            s.data.len(),
            t.data.len()
        ));
        let base = s.range.map_or(0, |r| r.0);
        let shown = ctx.limits.hexdump_ranges.min(rs.len());
        let dump = binary::hexdump_diff(s.data, t.data, base, &rs[..shown], 8);
        if ctx.spend(dump.len()) {
            d.unified_diff = Some(dump);
        }
        d.ranges = rs
            .iter()
            .map(|r| repro_report::ByteRange { start: r.start + base, end: r.end + base })
            .collect();
        top.children.push(d);
    }
    if differing.len() > 32 {
        top.comments.push(format!("{} more differing sections not detailed", differing.len() - 32));
    }

    // Symbols.
    let ya = symbols(&fa, 200_000);
    let yb = symbols(&fb, 200_000);
    if ya != yb {
        let removed: Vec<&String> = ya.difference(&yb).collect();
        let added: Vec<&String> = yb.difference(&ya).collect();
        let mut d = Detail::new("symbols");
        d.comments.push(format!("{} symbols only in a, {} only in b", removed.len(), added.len()));
        let mut diff = format!("@@ -1,{} +1,{} @@\n", removed.len().min(100), added.len().min(100));
        for r in removed.iter().take(100) {
            diff.push_str(&format!("-{r}\n"));
        }
        for x in added.iter().take(100) {
            diff.push_str(&format!("+{x}\n"));
        }
        if ctx.spend(diff.len()) {
            d.unified_diff = Some(diff);
        }
        top.children.push(d);
    }

    // Causes, section by section: sections that hold strings first (paths, dates and names
    // live there), then the others. The first pass that explains anything wins, so the shifted
    // offsets in binary DWARF or relocation sections are not read as dates or noise when a
    // string section already shows the cause. The whole file (headers included) is analyzed
    // only when no section explains anything.
    if !build_id_only {
        let (rs, count, bytes) = binary::ranges(a, b, ctx.limits.max_ranges);
        top.comments
            .push(format!("{count} differing byte ranges in the file, {bytes} bytes differ"));
        for strings in [true, false] {
            for (s, t) in differing.iter().filter(|(s, _)| {
                holds_strings(&s.name) == strings && !hints::is_consequence_section(&s.name)
            }) {
                let (srs, _, _) = binary::ranges(s.data, t.data, ctx.limits.max_ranges);
                let name = format!("section {}", s.name);
                let mut found = hints::Causes::default();
                binary::analyze(
                    ctx,
                    s.data,
                    t.data,
                    &srs,
                    loc,
                    &|_| Some(name.clone()),
                    &mut found,
                );
                let base = s.range.map_or(0, |r| r.0);
                let found: Vec<_> = found
                    .into_vec(usize::MAX)
                    .into_iter()
                    .filter(|c| c.cause != CauseKind::Random)
                    .map(|mut c| {
                        c.evidence.offset = c.evidence.offset.map(|off| off + base);
                        c
                    })
                    .collect();
                o.causes.extend(found);
            }
            if !o.causes.is_empty() {
                break;
            }
        }
        if o.causes.is_empty() {
            let secs: Vec<(String, u64, u64)> = sa
                .iter()
                .filter_map(|s| s.range.map(|(o, n)| (s.name.clone(), o, o + n)))
                .filter(|(_, o, e)| e > o)
                .collect();
            let section_of = |off: u64| {
                secs.iter().find(|(_, s, e)| (*s..*e).contains(&off)).map(|(n, _, _)| n.clone())
            };
            // Bytes of a build-id, a debuglink CRC or the headers (offsets and sizes that
            // shift) change because something else changed: they are never the cause.
            let causal: Vec<ByteRange> = rs
                .iter()
                .filter(|r| section_of(r.start).is_some_and(|n| !hints::is_consequence_section(&n)))
                .cloned()
                .collect();
            if causal.is_empty() {
                top.comments.push(
                    "only consequences differ (build-id, .gnu_debuglink CRC, header offsets): the cause is elsewhere, such as a separate debug file".into(),
                );
            } else {
                let locate = move |off: u64| {
                    Some(
                        section_of(off)
                            .map_or_else(|| "ELF headers".to_owned(), |n| format!("section {n}")),
                    )
                };
                binary::analyze(ctx, a, b, &causal, loc, &locate, &mut o.causes);
            }
        }
        if differing.is_empty() {
            // Differences outside sections (headers, segments).
            let shown = ctx.limits.hexdump_ranges.min(rs.len());
            let dump = binary::hexdump_diff(a, b, 0, &rs[..shown], 8);
            if ctx.spend(dump.len()) {
                let mut d = Detail::new("binary");
                d.unified_diff = Some(dump);
                d.ranges = rs;
                top.children.push(d);
            }
        }
    }
    o.details.push(top);
    o
}
