//! Pkg-style `compat` version specifications for dependencies (`compat = "1.3"`).
//!
//! The syntax is Julia Pkg's: comma-separated alternatives, each one of
//! - caret (the default): `1.2.3`, `^1.2` — from the version up to the next change of its first
//!   non-zero component (`1.2.3` → `[1.2.3, 2.0.0)`, `0.2.3` → `[0.2.3, 0.3.0)`);
//! - tilde: `~1.2.3` → `[1.2.3, 1.3.0)`, `~1` → `[1.0.0, 2.0.0)`;
//! - equality: `=1.2.3` → exactly that version;
//! - inequality: `>= 1.2`, `≥ 1.2`, `< 2`, `> 1.2.3`, `<= 1.4`;
//! - hyphen range: `1.2 - 1.5` → `[1.2.0, 1.6.0)`.
//!
//! ```
//! use repro_recipe::{Version, compat::VersionSpec};
//! let spec: VersionSpec = "1.3, ~2.0".parse().unwrap();
//! assert!(spec.contains(&"1.9.0".parse::<Version>().unwrap()));
//! assert!(!spec.contains(&"2.1.0".parse::<Version>().unwrap()));
//! ```

use std::fmt;
use std::str::FromStr;

use crate::model::Version;

/// A parsed compat specification: a union of half-open version ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSpec {
    /// `[lower, upper)` ranges; `upper = None` means unbounded.
    ranges: Vec<Range>,
    text: String,
}

impl VersionSpec {
    /// Whether `v` lies in one of the ranges.
    pub fn contains(&self, v: &Version) -> bool {
        self.ranges.iter().any(|(lo, hi)| v >= lo && hi.as_ref().is_none_or(|hi| v < hi))
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for VersionSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim();
        if text.is_empty() {
            return Err("the compat specification is empty".into());
        }
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(format!("{text:?} has an empty alternative between commas"));
            }
            ranges.push(range(part).map_err(|e| format!("{part:?}: {e}"))?);
        }
        Ok(VersionSpec { ranges, text: text.to_owned() })
    }
}

/// Up to three numeric components (`1`, `1.2`, `1.2.3`), as given.
fn parts(s: &str) -> Result<Vec<u64>, String> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    if s.is_empty() {
        return Err("a version is missing".into());
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 3 {
        return Err(format!("{s:?} has more than three components"));
    }
    parts
        .iter()
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 18 {
                Err(format!("{s:?} is not a version (numbers separated by dots)"))
            } else {
                p.parse::<u64>().map_err(|e| e.to_string())
            }
        })
        .collect()
}

fn lower(p: &[u64]) -> Version {
    Version {
        major: p.first().copied().unwrap_or(0),
        minor: p.get(1).copied().unwrap_or(0),
        patch: p.get(2).copied().unwrap_or(0),
    }
}

/// The version just above everything that `p` (possibly incomplete) names: `1.2` → `1.3.0`.
fn next_after(p: &[u64]) -> Version {
    match p {
        [a] => Version { major: a + 1, minor: 0, patch: 0 },
        [a, b] => Version { major: *a, minor: b + 1, patch: 0 },
        [a, b, c, ..] => Version { major: *a, minor: *b, patch: c + 1 },
        [] => Version { major: 0, minor: 0, patch: 0 },
    }
}

/// A half-open range `[lower, upper)`; no upper bound is `None`.
type Range = (Version, Option<Version>);
/// A range operator's meaning for the version components after it.
type RangeOf = fn(&[u64]) -> Range;

fn caret(p: &[u64]) -> Range {
    // The first non-zero component (or the last given one) may not change.
    let fixed = p.iter().position(|&x| x != 0).map_or(p.len(), |i| i + 1).min(p.len());
    (lower(p), Some(next_after(&p[..fixed.max(1)])))
}

fn tilde(p: &[u64]) -> Range {
    let upper = match p {
        [_] | [0, 0, _] => next_after(p),
        _ => next_after(&p[..2]),
    };
    (lower(p), Some(upper))
}

fn range(s: &str) -> Result<Range, String> {
    if let Some((a, b)) = s.split_once(" - ") {
        let (a, b) = (parts(a)?, parts(b)?);
        let (lo, hi) = (lower(&a), next_after(&b));
        if hi <= lo {
            return Err("the range is empty".into());
        }
        return Ok((lo, Some(hi)));
    }
    let ops: [(&str, RangeOf); 8] = [
        (">=", |p| (lower(p), None)),
        ("≥", |p| (lower(p), None)),
        ("<=", |p| (Version { major: 0, minor: 0, patch: 0 }, Some(next_after(p)))),
        ("≤", |p| (Version { major: 0, minor: 0, patch: 0 }, Some(next_after(p)))),
        (">", |p| (next_after(p), None)),
        ("<", |p| (Version { major: 0, minor: 0, patch: 0 }, Some(lower(p)))),
        ("=", |p| (lower(p), Some(next_after(p)))),
        ("~", tilde),
    ];
    for (op, f) in ops {
        if let Some(rest) = s.strip_prefix(op) {
            let p = parts(rest)?;
            if op == "=" && p.len() != 3 {
                return Err("`=` needs a full version major.minor.patch".into());
            }
            return Ok(f(&p));
        }
    }
    Ok(caret(&parts(s.strip_prefix('^').unwrap_or(s))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    fn bounds(spec: &str) -> (String, String) {
        let s: VersionSpec = spec.parse().unwrap();
        let (lo, hi) = &s.ranges[0];
        (lo.to_string(), hi.map_or("inf".to_owned(), |h| h.to_string()))
    }

    #[test]
    fn caret_and_tilde_follow_pkg() {
        for (spec, lo, hi) in [
            ("1.2.3", "1.2.3", "2.0.0"),
            ("^1.2", "1.2.0", "2.0.0"),
            ("1", "1.0.0", "2.0.0"),
            ("0.2.3", "0.2.3", "0.3.0"),
            ("0.0.3", "0.0.3", "0.0.4"),
            ("0.0", "0.0.0", "0.1.0"),
            ("0", "0.0.0", "1.0.0"),
            ("~1.2.3", "1.2.3", "1.3.0"),
            ("~1.2", "1.2.0", "1.3.0"),
            ("~1", "1.0.0", "2.0.0"),
            ("~0.2.3", "0.2.3", "0.3.0"),
            ("~0.0.3", "0.0.3", "0.0.4"),
            ("=1.2.3", "1.2.3", "1.2.4"),
            (">= 1.2", "1.2.0", "inf"),
            ("≥1.2", "1.2.0", "inf"),
            ("< 2", "0.0.0", "2.0.0"),
            ("1.2 - 1.5", "1.2.0", "1.6.0"),
            ("1.2.3 - 4.5.6", "1.2.3", "4.5.7"),
        ] {
            assert_eq!(bounds(spec), (lo.to_owned(), hi.to_owned()), "{spec}");
        }
    }

    #[test]
    fn unions_and_errors() {
        let s: VersionSpec = "1.3, 2".parse().unwrap();
        assert!(s.contains(&v("1.3.5")) && s.contains(&v("2.9.9")));
        assert!(!s.contains(&v("1.2.9")) && !s.contains(&v("3.0.0")));
        assert_eq!(s.to_string(), "1.3, 2");
        for bad in ["", "1.x", "1.2.3.4", "1,,2", "=1.2", "2 - 1", ">=", "abc"] {
            assert!(bad.parse::<VersionSpec>().is_err(), "{bad:?}");
        }
    }
}
