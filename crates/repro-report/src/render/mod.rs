//! Renderers: pure functions from a [`Report`](crate::Report) to bytes.

mod batch;
mod diffoscope;
mod html;
mod junit;
mod markdown;
mod text;

pub use batch::{
    MARKDOWN_MAX_ROWS, batch_html, batch_json, batch_junit, batch_markdown, batch_summary_line,
};
pub use diffoscope::diffoscope_json;
pub use html::{HtmlOptions, html};
pub use junit::junit;
pub use markdown::markdown;
pub use text::{TextOptions, text};

use crate::Report;

/// Keys of multi-line values: their newlines are structure and kept; every other control
/// character is escaped.
const MULTILINE: &[&str] = &["unified_diff", "hexdump", "log_tail"];

/// Escape what a terminal or viewer would interpret in untrusted text: C0 and C1 control
/// characters (ESC, CR, BS, ...), DEL, and bidirectional overrides become visible `\x1b`,
/// `\r`, `\u{202e}` sequences; line feeds too unless `keep_newlines` (tabs are kept).
pub fn escape_controls(s: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| match c {
        '\t' => false,
        '\n' => !keep_newlines,
        c => c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'),
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !bad(c) {
            o.push(c);
            continue;
        }
        match c {
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            c if (c as u32) < 0x100 => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    std::borrow::Cow::Owned(o)
}

/// A copy of `value` (a report or a batch) with every string escaped by [`escape_controls`]
/// (multi-line fields keep their newlines), for the human-readable renderers. Done through the
/// serialized form so that no field, present or future, is missed.
pub(crate) fn display_safe<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    fn walk(v: &mut serde_json::Value, multiline: bool) {
        match v {
            serde_json::Value::String(s) => {
                if let std::borrow::Cow::Owned(e) = escape_controls(s, multiline) {
                    *s = e;
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, multiline)),
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    walk(x, MULTILINE.contains(&k.as_str()));
                }
            }
            _ => {}
        }
    }
    let mut v = serde_json::to_value(value).expect("report serializes");
    walk(&mut v, false);
    serde_json::from_value(v).expect("escaping strings keeps the shape")
}

/// The report as pretty-printed JSON (schema `repro-report/1`), newline-terminated.
pub fn json(report: &Report) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(report).expect("report serializes");
    out.push(b'\n');
    out
}

/// Human-readable one-line summary of the per-status counts (non-zero ones only).
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut parts = Vec::new();
    for st in crate::Status::ALL {
        let n = s.get(st);
        if n > 0 {
            parts.push(format!("{n} {st}"));
        }
    }
    if s.errors > 0 {
        parts.push(format!("{} with errors", s.errors));
    }
    if parts.is_empty() { "no files".to_owned() } else { parts.join(", ") }
}

/// Printable rendering of a cause's evidence (`at 0x1f4 (section .rodata): "a" -> "b"`).
pub(crate) fn evidence_text(c: &crate::Cause) -> String {
    let mut s = String::new();
    if let Some(loc) = &c.evidence.location {
        s.push_str(loc);
    }
    if let Some(off) = c.evidence.offset {
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(&format!("offset {off:#x}"));
    }
    match (&c.evidence.text, &c.evidence.text_b) {
        (Some(a), Some(b)) => s.push_str(&format!(": {a:?} -> {b:?}")),
        (Some(a), None) => s.push_str(&format!(": {a:?}")),
        (None, Some(b)) => s.push_str(&format!(": -> {b:?}")),
        (None, None) => {}
    }
    s
}

/// `timestamps (high, variation time)`.
pub(crate) fn cause_label(c: &crate::Cause) -> String {
    let mut extra = Vec::new();
    if let Some(conf) = c.confidence {
        extra.push(
            match conf {
                crate::Confidence::Low => "low",
                crate::Confidence::Medium => "medium",
                crate::Confidence::High => "high",
            }
            .to_owned(),
        );
    }
    if let Some(v) = &c.variation {
        extra.push(format!("variation {v}"));
    }
    if extra.is_empty() {
        c.cause.to_string()
    } else {
        format!("{} ({})", c.cause, extra.join(", "))
    }
}
