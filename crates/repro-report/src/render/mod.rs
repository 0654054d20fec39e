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
