//! Cause hints: look at differing regions for embedded timestamps, build paths, values of
//! varied settings (host name, user name...) and random-looking bytes.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use repro_report::{Cause, CauseKind, Confidence, Evidence};

/// Earliest plausible embedded date (1995-01-01).
const MIN_EPOCH: i64 = 788_918_400;

fn max_epoch() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1_800_000_000);
    now + 10 * 365 * 86_400
}

fn plausible_epoch(v: i64) -> bool {
    (MIN_EPOCH..=max_epoch()).contains(&v)
}

/// A date is evidence only when it is plausible for the build: inside `window` (the build's
/// times, SOURCE_DATE_EPOCH and the shifted clock, when the caller knows them), else between
/// 1995 and ten years from now.
fn plausible_for_build(v: i64, window: Option<(i64, i64)>) -> bool {
    match window {
        Some((lo, hi)) => (lo..=hi).contains(&v),
        None => plausible_epoch(v),
    }
}

/// Sections whose bytes change as a consequence of other differences: a build-id is a hash of
/// the rest, `.gnu_debuglink` holds the CRC of the separate debug file. Never a cause.
pub(crate) fn is_consequence_section(name: &str) -> bool {
    matches!(name, ".note.gnu.build-id" | ".gnu_debuglink")
}

/// Code, unwind, relocation, symbol and binary debug sections: their differing bytes are
/// instructions and (shifted) offsets, and a 4-byte value there that decodes to a date is an
/// accident. No date evidence is taken from them.
pub(crate) fn section_allows_dates(name: &str) -> bool {
    let no = name.starts_with(".text")
        || name.starts_with(".init")
        || name.starts_with(".fini")
        || name.starts_with(".plt")
        || name.starts_with(".got")
        || name.starts_with(".rela")
        || name.starts_with(".rel.")
        || name.starts_with(".eh_frame")
        || name.starts_with(".gcc_except_table")
        || name.starts_with(".note")
        || (name.starts_with(".debug_") && !matches!(name, ".debug_str" | ".debug_line_str"))
        || matches!(
            name,
            ".dynsym"
                | ".symtab"
                | ".dynamic"
                | ".hash"
                | ".gnu.hash"
                | ".gnu.version"
                | ".gnu.version_r"
                | ".gnu_debuglink"
                | ".data.rel.ro"
                | ".tbss"
                | ".bss"
        );
    !no
}

/// Whether a region at `location` (`section .text`, `member x / section .eh_frame`, `ELF
/// headers`) may hold date evidence.
pub(crate) fn location_allows_dates(location: Option<&str>) -> bool {
    let Some(l) = location else { return true };
    let last = l.rsplit(" / ").next().unwrap_or(l);
    if last == "ELF headers" {
        return false;
    }
    match last.strip_prefix("section ") {
        Some(name) => section_allows_dates(name),
        None => true,
    }
}

/// The cause kind for a varied setting's name.
pub(crate) fn cause_for_variation(variation: &str) -> CauseKind {
    match variation {
        "hostname" | "host" | "domain_host" | "domainname" => CauseKind::Hostname,
        "user" | "username" | "user_group" | "uid" => CauseKind::Username,
        "build_path" | "home" => CauseKind::BuildPath,
        "time" | "clock" | "date" | "timezone" | "tz" => CauseKind::Timestamps,
        "umask" => CauseKind::Umask,
        _ => CauseKind::Environment,
    }
}

/// Causes found in one file, deduplicated by (cause, variation), first evidence kept.
#[derive(Debug, Default)]
pub(crate) struct Causes {
    map: BTreeMap<(CauseKind, Option<String>), Cause>,
}

impl Causes {
    pub(crate) fn add(
        &mut self,
        kind: CauseKind,
        confidence: Confidence,
        evidence: Evidence,
        variation: Option<String>,
    ) {
        let key = (kind, variation.clone());
        match self.map.get_mut(&key) {
            Some(c) => {
                if c.confidence < Some(confidence) {
                    c.confidence = Some(confidence);
                }
            }
            None => {
                self.map.insert(
                    key,
                    Cause { cause: kind, confidence: Some(confidence), evidence, variation },
                );
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn has(&self, kind: CauseKind) -> bool {
        self.map.keys().any(|(k, _)| *k == kind)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn extend(&mut self, other: Vec<Cause>) {
        for c in other {
            let key = (c.cause, c.variation.clone());
            self.map.entry(key).or_insert(c);
        }
    }

    /// Most confident first, then by name; variation-attributed causes first among equals.
    ///
    /// A cause also found attributed to a variation is listed once, attributed; it takes the
    /// unattributed finding's evidence when that shows both sides and its own does not.
    pub(crate) fn into_vec(self, max: usize) -> Vec<Cause> {
        let mut map = self.map;
        let attributed: Vec<(CauseKind, Option<String>)> =
            map.keys().filter(|(_, v)| v.is_some()).cloned().collect();
        for key in attributed {
            if let Some(plain) = map.remove(&(key.0, None))
                && let Some(c) = map.get_mut(&key)
                && (c.evidence.text.is_none() || c.evidence.text_b.is_none())
                && plain.evidence.text.is_some()
                && plain.evidence.text_b.is_some()
            {
                c.evidence = plain.evidence;
            }
        }
        let mut v: Vec<Cause> = map.into_values().collect();
        v.sort_by(|a, b| {
            b.confidence
                .cmp(&a.confidence)
                .then(b.variation.is_some().cmp(&a.variation.is_some()))
                .then(a.cause.cmp(&b.cause))
        });
        v.truncate(max);
        v
    }
}

/// One differing region: windows of both sides around it.
pub(crate) struct Region<'a> {
    pub a: &'a [u8],
    /// Offset of `a[0]` in side a's file.
    pub a_off: u64,
    pub b: &'a [u8],
    pub b_off: u64,
    /// Where the differing bytes are inside the windows (binary regions); `None` for text
    /// regions, where the whole window differs.
    pub diff_in_a: Option<(usize, usize)>,
    /// `line 12`, `section .rodata`, ...
    pub location: Option<String>,
    /// Whether dates found here are evidence (not in code, unwind or relocation data).
    pub dates: bool,
}

/// A token found in a window: position and text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    pos: usize,
    text: String,
}

fn printable(b: &[u8]) -> String {
    b.iter().map(|&c| if (0x20..0x7f).contains(&c) { c as char } else { '.' }).collect()
}

/// Scan a region and add the causes found to `out`.
pub(crate) fn scan(
    r: &Region<'_>,
    hints: &[(String, String)],
    window: Option<(i64, i64)>,
    out: &mut Causes,
) {
    let mk = |tok: &Token, other: Option<&Token>, from_a: bool| Evidence {
        offset: Some(if from_a { r.a_off } else { r.b_off } + tok.pos as u64),
        text: Some(if from_a {
            tok.text.clone()
        } else {
            other.map(|t| t.text.clone()).unwrap_or_default()
        })
        .filter(|s| !s.is_empty()),
        text_b: if from_a { other.map(|t| t.text.clone()) } else { Some(tok.text.clone()) },
        location: r.location.clone(),
    };

    // Values of varied settings.
    for (variation, value) in hints {
        if value.len() < 3 {
            continue;
        }
        let v = value.as_bytes();
        let in_a = memchr::memmem::find_iter(r.a, v).collect::<Vec<_>>();
        let in_b = memchr::memmem::find_iter(r.b, v).collect::<Vec<_>>();
        if in_a.len() != in_b.len() {
            let (pos, from_a) = match (in_a.first(), in_b.first()) {
                (Some(&p), _) if in_a.len() > in_b.len() => (p, true),
                (_, Some(&p)) => (p, false),
                (Some(&p), None) => (p, true),
                (None, None) => continue,
            };
            let tok = Token { pos, text: value.clone() };
            out.add(
                cause_for_variation(variation),
                Confidence::High,
                mk(&tok, None, from_a),
                Some(variation.clone()),
            );
        }
    }

    // Embedded dates and times.
    let (da, db) = if r.dates {
        (date_tokens(r.a, window), date_tokens(r.b, window))
    } else {
        (Vec::new(), Vec::new())
    };
    if let Some((t, from_a)) = first_unmatched(&da, &db) {
        let other = if from_a {
            db.iter().find(|x| x.pos.abs_diff(t.pos) < 8)
        } else {
            da.iter().find(|x| x.pos.abs_diff(t.pos) < 8)
        };
        out.add(CauseKind::Timestamps, Confidence::High, mk(&t, other, from_a), None);
    } else if let Some((pos, va, vb)) = binary_epoch(r, window).filter(|_| r.dates) {
        let ev = Evidence {
            offset: Some(r.a_off + pos as u64),
            text: Some(format!("{va} ({})", iso(va))),
            text_b: Some(format!("{vb} ({})", iso(vb))),
            location: r.location.clone(),
        };
        out.add(CauseKind::Timestamps, Confidence::Medium, ev, None);
    }

    // Build paths.
    let pa = path_tokens(r.a);
    let pb = path_tokens(r.b);
    if let Some((t, from_a)) = first_unmatched(&pa, &pb) {
        let other = if from_a { pb.first() } else { pa.first() };
        out.add(CauseKind::BuildPath, Confidence::Medium, mk(&t, other, from_a), None);
    }
}

/// A token of `a` not present (by text) in `b`, or else one of `b` not in `a`.
fn first_unmatched(a: &[Token], b: &[Token]) -> Option<(Token, bool)> {
    if let Some(t) = a.iter().find(|t| !b.iter().any(|u| u.text == t.text)) {
        return Some((t.clone(), true));
    }
    b.iter().find(|t| !a.iter().any(|u| u.text == t.text)).map(|t| (t.clone(), false))
}

/// Random-looking differing bytes: mostly non-printable, no other explanation.
pub(crate) fn looks_random(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    if n < 4 {
        return false;
    }
    let printable = a.iter().chain(b).filter(|&&c| (0x20..0x7f).contains(&c)).count();
    let distinct = {
        let mut seen = [false; 256];
        for &c in a.iter().chain(b) {
            seen[c as usize] = true;
        }
        seen.iter().filter(|&&s| s).count()
    };
    printable * 10 < (a.len() + b.len()) * 6 && distinct * 2 >= n.min(256)
}

/// A 32- or 64-bit little-endian integer, aligned to its width, that contains all the differing
/// bytes of the region and decodes to plausible dates less than two years apart on both sides.
fn binary_epoch(r: &Region<'_>, window: Option<(i64, i64)>) -> Option<(usize, i64, i64)> {
    let (s, e) = r.diff_in_a?;
    if r.a.len() != r.b.len() || e <= s {
        return None;
    }
    let abs = r.a_off as usize;
    for width in [4usize, 8] {
        if e - s > width {
            continue;
        }
        // The aligned slot (in file offsets) holding the first differing byte.
        let slot = (abs + s) / width * width;
        if slot < abs || slot + width < abs + e {
            continue;
        }
        let i = slot - abs;
        let (Some(xa), Some(xb)) = (r.a.get(i..i + width), r.b.get(i..i + width)) else { continue };
        let (va, vb) = if width == 4 {
            (
                i64::from(u32::from_le_bytes(xa.try_into().ok()?)),
                i64::from(u32::from_le_bytes(xb.try_into().ok()?)),
            )
        } else {
            (i64::from_le_bytes(xa.try_into().ok()?), i64::from_le_bytes(xb.try_into().ok()?))
        };
        // Text read as an integer is not a timestamp: four or eight printable bytes (a shifted
        // string in a string table, say) decode to "dates" by accident.
        let text = |x: &[u8]| x.iter().all(|c| (0x20..0x7f).contains(c) || *c == 0);
        if va != vb
            && !text(xa)
            && !text(xb)
            && plausible_for_build(va, window)
            && plausible_for_build(vb, window)
            && va.abs_diff(vb) < 2 * 365 * 86_400
        {
            return Some((i, va, vb));
        }
    }
    None
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn digits(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let s = b.get(i..i + n)?;
    if !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // `None` above u32::MAX: no plausible date field or epoch is that large.
    s.iter().try_fold(0u32, |acc, &c| acc.checked_mul(10)?.checked_add(u32::from(c - b'0')))
}

fn is_digit_at(b: &[u8], i: Option<usize>) -> bool {
    i.and_then(|i| b.get(i)).is_some_and(u8::is_ascii_digit)
}

/// Dates and times in a window: ISO dates (with optional time), `__DATE__` (`Nov 26 2026`),
/// `dd Mon yyyy`, `__TIME__` (`12:34:56`), and 10-digit epochs of plausible dates.
fn date_tokens(b: &[u8], window: Option<(i64, i64)>) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < 64 {
        let before_digit = is_digit_at(b, i.checked_sub(1));
        // ISO yyyy-mm-dd[Thh:mm[:ss]]
        if !before_digit
            && let (Some(y), Some(m), Some(d)) =
                (digits(b, i, 4), digits(b, i + 5, 2), digits(b, i + 8, 2))
            && matches!(b.get(i + 4), Some(b'-' | b'/'))
            && b.get(i + 7) == b.get(i + 4)
            && (1970..2100).contains(&y)
            && (1..=12).contains(&m)
            && (1..=31).contains(&d)
        {
            let mut end = i + 10;
            if matches!(b.get(end), Some(b'T' | b' '))
                && digits(b, end + 1, 2).is_some()
                && b.get(end + 3) == Some(&b':')
                && digits(b, end + 4, 2).is_some()
            {
                end += 6;
                if b.get(end) == Some(&b':') && digits(b, end + 1, 2).is_some() {
                    end += 3;
                }
            }
            out.push(Token { pos: i, text: printable(&b[i..end]) });
            i = end;
            continue;
        }
        // Mon dd yyyy / Mon  d yyyy
        if let Some(m) = b.get(i..i + 3)
            && MONTHS.iter().any(|x| x.as_slice() == m)
            && !b.get(i.wrapping_sub(1)).is_some_and(u8::is_ascii_alphabetic)
            && b.get(i + 3) == Some(&b' ')
        {
            let day_ok = digits(b, i + 4, 2).is_some()
                || (b.get(i + 4) == Some(&b' ') && digits(b, i + 5, 1).is_some());
            if day_ok
                && b.get(i + 6) == Some(&b' ')
                && digits(b, i + 7, 4).is_some_and(|y| (1970..2100).contains(&y))
            {
                out.push(Token { pos: i, text: printable(&b[i..i + 11]) });
                i += 11;
                continue;
            }
        }
        // dd Mon yyyy
        if !before_digit
            && digits(b, i, 2).is_some()
            && b.get(i + 2) == Some(&b' ')
            && b.get(i + 3..i + 6).is_some_and(|m| MONTHS.iter().any(|x| x.as_slice() == m))
            && b.get(i + 6) == Some(&b' ')
            && digits(b, i + 7, 4).is_some_and(|y| (1970..2100).contains(&y))
        {
            out.push(Token { pos: i, text: printable(&b[i..i + 11]) });
            i += 11;
            continue;
        }
        // hh:mm:ss
        if !before_digit
            && let (Some(h), Some(mi), Some(s)) =
                (digits(b, i, 2), digits(b, i + 3, 2), digits(b, i + 6, 2))
            && b.get(i + 2) == Some(&b':')
            && b.get(i + 5) == Some(&b':')
            && h < 24
            && mi < 60
            && s < 61
            && !is_digit_at(b, Some(i + 8))
        {
            out.push(Token { pos: i, text: printable(&b[i..i + 8]) });
            i += 8;
            continue;
        }
        // 10-digit epoch
        if !before_digit
            && let Some(v) = digits(b, i, 10)
            && !is_digit_at(b, Some(i + 10))
            && plausible_for_build(i64::from(v), window)
        {
            out.push(Token { pos: i, text: format!("{v} ({})", iso(i64::from(v))) });
            i += 10;
            continue;
        }
        i += 1;
    }
    out
}

const PATH_PREFIXES: [&[u8]; 9] = [
    b"/tmp/",
    b"/build/",
    b"/workspace",
    b"/home/",
    b"/root/",
    b"/var/tmp/",
    b"/usr/src/",
    b"/private/",
    b"/buildworker/",
];

fn path_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'/' | b'.' | b'_' | b'-' | b'+' | b'@' | b'~')
}

/// Absolute paths under typical build or home directories.
fn path_tokens(b: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'/') {
        if i > 0 && path_char(b[i - 1]) {
            continue;
        }
        if PATH_PREFIXES.iter().any(|p| b[i..].starts_with(p)) {
            let end = b[i..].iter().position(|&c| !path_char(c)).map_or(b.len(), |p| i + p);
            out.push(Token { pos: i, text: printable(&b[i..end]) });
            if out.len() >= 32 {
                break;
            }
        }
    }
    out
}

/// `2026-11-26T12:34:56Z` for an epoch (UTC); out-of-range values are shown as `@<epoch>`.
pub(crate) fn iso(epoch: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(epoch) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("@{epoch}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_date_cut_off_inside_the_time_is_no_panic() {
        // Found by the differ_compare fuzz target: the minutes were never checked, and the
        // token was sliced past the end of the buffer.
        for b in [&b"at 2026-11-27 10:"[..], b"2026-11-27T10:5", b"2026-11-27 10:xx"] {
            let t = date_tokens(b, None);
            assert!(
                t.iter().all(|t| !t.text.contains("10:")),
                "{b:?}: {:?}",
                t.iter().map(|t| &t.text).collect::<Vec<_>>()
            );
        }
        let t = date_tokens(b"2026-11-27 10:05:07", None);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].text, "2026-11-27 10:05:07");
    }

    fn region<'a>(a: &'a [u8], b: &'a [u8]) -> Region<'a> {
        Region { a, a_off: 100, b, b_off: 100, diff_in_a: None, location: None, dates: true }
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn ten_digit_numbers_above_u32_do_not_overflow() {
        // Regression: a 10-digit run above u32::MAX in DWARF data panicked in `digits`.
        assert!(date_tokens(b"x 9999999999 y 4294967296 z", None).is_empty());
        assert_eq!(digits(b"4294967295", 0, 10), Some(u32::MAX));
        assert_eq!(digits(b"4294967296", 0, 10), None);
    }

    #[test]
    fn finds_date_macro_strings() {
        let mut c = Causes::default();
        scan(
            &region(b"built on Nov 26 2026 at 12:34:56", b"built on Nov 27 2026 at 09:00:01"),
            &[],
            None,
            &mut c,
        );
        let v = c.into_vec(10);
        assert_eq!(v[0].cause, CauseKind::Timestamps);
        assert_eq!(v[0].evidence.offset, Some(109));
        assert_eq!(v[0].evidence.text.as_deref(), Some("Nov 26 2026"));
        assert_eq!(v[0].evidence.text_b.as_deref(), Some("Nov 27 2026"));
    }

    #[test]
    fn finds_epochs_and_iso() {
        let mut c = Causes::default();
        scan(&region(b"t=1700000000;", b"t=1700000123;"), &[], None, &mut c);
        assert!(c.has(CauseKind::Timestamps));
        let mut c = Causes::default();
        scan(&region(b"2026-11-26T10:00:00", b"2026-11-26T10:00:05"), &[], None, &mut c);
        assert!(c.has(CauseKind::Timestamps));
        // A number that is not a date, and identical dates on both sides, are not timestamps.
        let mut c = Causes::default();
        scan(&region(b"n=12345 2020-01-01 x", b"n=12346 2020-01-01 y"), &[], None, &mut c);
        assert!(!c.has(CauseKind::Timestamps));
    }

    #[test]
    fn binary_epochs() {
        let a = 1_750_000_000u32.to_le_bytes();
        let b = 1_750_000_077u32.to_le_bytes();
        let mut c = Causes::default();
        scan(
            &Region {
                a: &a,
                a_off: 0,
                b: &b,
                b_off: 0,
                diff_in_a: Some((0, 1)),
                location: None,
                dates: true,
            },
            &[],
            None,
            &mut c,
        );
        assert!(c.has(CauseKind::Timestamps));

        // Regression: printable bytes (here "ttle" vs "atle" in a string table) that happen to
        // decode as dates days apart are text, not a timestamp.
        let (a, b) = (*b"ttle", *b"atle");
        let (va, vb) = (u32::from_le_bytes(a), u32::from_le_bytes(b));
        assert!(plausible_epoch(i64::from(va)) && plausible_epoch(i64::from(vb)));
        let mut c = Causes::default();
        scan(
            &Region {
                a: &a,
                a_off: 0,
                b: &b,
                b_off: 0,
                diff_in_a: Some((0, 1)),
                location: None,
                dates: true,
            },
            &[],
            None,
            &mut c,
        );
        assert!(!c.has(CauseKind::Timestamps));
    }

    #[test]
    fn dates_only_where_plausible() {
        let a = 1_200_000_000u32.to_le_bytes();
        let b = 1_200_086_400u32.to_le_bytes();
        let region = |dates| Region {
            a: &a,
            a_off: 0,
            b: &b,
            b_off: 0,
            diff_in_a: Some((0, 3)),
            location: Some("section .eh_frame".into()),
            dates,
        };
        let found = |r: &Region<'_>, w| {
            let mut c = Causes::default();
            scan(r, &[], w, &mut c);
            c.has(CauseKind::Timestamps)
        };
        assert!(found(&region(true), None), "a 2008 date, no build window: kept");
        assert!(!found(&region(false), None), "no dates from unwind data");
        let build = Some((1_700_000_000, 1_740_000_000));
        assert!(!found(&region(true), build), "2008 is not plausible for a 2024 build");
        assert!(!location_allows_dates(Some("member x.o / section .text")));
        assert!(!location_allows_dates(Some("ELF headers")));
        assert!(location_allows_dates(Some("section .rodata")));
        assert!(location_allows_dates(Some("line 3")));
    }

    #[test]
    fn build_paths_and_hints() {
        let mut c = Causes::default();
        scan(&region(b"src=/tmp/build-abc/x.c\0", b"src=/tmp/build-xyz/x.c\0"), &[], None, &mut c);
        let v = c.into_vec(10);
        assert_eq!(v[0].cause, CauseKind::BuildPath);
        assert_eq!(v[0].evidence.text.as_deref(), Some("/tmp/build-abc/x.c"));
        let mut c = Causes::default();
        let hints = vec![("hostname".to_owned(), "repro-exp-host".to_owned())];
        scan(&region(b"host=ctl-machine;", b"host=repro-exp-host;"), &hints, None, &mut c);
        let v = c.into_vec(10);
        assert_eq!(v[0].cause, CauseKind::Hostname);
        assert_eq!(v[0].variation.as_deref(), Some("hostname"));

        // A build path found both by the hint and by the path scan is listed once, attributed,
        // with the evidence that shows both sides.
        let mut c = Causes::default();
        let hints = vec![("build_path".to_owned(), "/build/i-capture-the-path".to_owned())];
        scan(
            &region(b"dir=/workspace/srcdir/x\0", b"dir=/build/i-capture-the-path/srcdir/x\0"),
            &hints,
            None,
            &mut c,
        );
        let v = c.into_vec(10);
        assert_eq!(v.len(), 1, "{v:#?}");
        assert_eq!(v[0].variation.as_deref(), Some("build_path"));
        assert_eq!(v[0].evidence.text.as_deref(), Some("/workspace/srcdir/x"));
        assert_eq!(v[0].evidence.text_b.as_deref(), Some("/build/i-capture-the-path/srcdir/x"));
    }
}
