//! GitHub-flavoured Markdown: a verdict line, a summary table, the normalizations, a table of
//! files, then one collapsible `<details>` block per file.

use std::fmt::Write as _;

use crate::{Detail, Report, Verdict};

/// Render `report` as Markdown.
pub fn markdown(report: &Report) -> Vec<u8> {
    // Names and messages come from untrusted archives: no control characters reach the reader.
    let report = &super::display_safe(report);
    let mut o = String::new();
    let verdict = match report.verdict {
        Verdict::Reproducible => "**reproducible**",
        Verdict::Unreproducible => "**unreproducible**",
    };
    if let Some(v) = &report.verify {
        let head = match v.verdict {
            crate::VerifyVerdict::Verified => "**verified**",
            crate::VerifyVerdict::Mismatch => "**mismatch**",
            crate::VerifyVerdict::NotRebuildable => "**not rebuildable**",
        };
        let _ =
            writeln!(o, "## repro verify: {head} ({} for {})\n", esc(&v.record.name), v.platform);
        if let Some(r) = &v.reason {
            let _ = writeln!(o, "{}\n", esc(r));
        }
        let _ = writeln!(o, "Record: `{}` ({})\n", code(&v.record.source), esc(&v.record.entry));
        let yes = |m: Option<bool>| match m {
            Some(true) => "match",
            Some(false) => "**differs**",
            None => "-",
        };
        let _ = writeln!(o, "| | record | rebuilt | |\n|---|---|---|---|");
        let _ = writeln!(
            o,
            "| git-tree-sha1 | `{}` | `{}` | {} |",
            v.record.git_tree_sha1,
            v.rebuilt.as_ref().map_or("-", |a| a.git_tree_sha1.as_str()),
            yes(v.git_tree_sha1_match)
        );
        let _ = writeln!(
            o,
            "| sha256 | `{}` | `{}` | {} |\n",
            v.record.sha256.as_deref().unwrap_or("-"),
            v.rebuilt.as_ref().map_or("-", |a| a.sha256.as_str()),
            yes(v.sha256_match)
        );
        if let Some(pb) = &v.published {
            let status = if pb.fetched { "fetched" } else { "not available" };
            let _ = writeln!(o, "Published tarball: `{}` ({status})\n", code(&pb.url));
            if let Some(e) = &pb.error {
                let _ = writeln!(o, "> {}\n", esc(e));
            }
        }
        for n in &v.notes {
            let _ = writeln!(o, "- {}", esc(n));
        }
        if !v.notes.is_empty() {
            o.push('\n');
        }
        if report.inputs.is_none() {
            return o.into_bytes();
        }
        let _ = writeln!(o, "### Published (a) versus rebuilt (b): {verdict}\n");
    } else {
        let _ = writeln!(o, "## repro: {verdict}\n");
    }
    if let Some(inputs) = &report.inputs {
        let _ = writeln!(o, "- a: `{}` ({})", inputs.a.path, inputs.a.kind);
        let _ = writeln!(o, "- b: `{}` ({})\n", inputs.b.path, inputs.b.kind);
    }
    let _ = writeln!(o, "| status | count |\n|---|---:|");
    for st in crate::Status::ALL {
        let _ = writeln!(o, "| {st} | {} |", report.summary.get(st));
    }
    if report.summary.errors > 0 {
        let _ = writeln!(o, "| errors | {} |", report.summary.errors);
    }
    o.push('\n');

    if !report.normalizations.is_empty() {
        let _ = writeln!(o, "### Normalizations\n");
        for n in &report.normalizations {
            let _ = writeln!(
                o,
                "<details><summary><b>{}</b>: {} ({} paths)</summary>\n",
                esc(&n.rule),
                esc(&n.description),
                n.count
            );
            for p in &n.paths {
                let _ = writeln!(o, "- `{}`", code(p));
            }
            let _ = writeln!(o, "\n</details>\n");
        }
    }

    if !report.files.is_empty() {
        let _ = writeln!(o, "### Files\n");
        let _ = writeln!(o, "| path | status | format | causes |\n|---|---|---|---|");
        for f in &report.files {
            let causes: Vec<String> = f.causes.iter().map(|c| c.cause.to_string()).collect();
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} |",
                code(&f.path).replace('|', "\\|"),
                f.status,
                f.format.as_deref().unwrap_or(""),
                causes.join(", ")
            );
        }
        o.push('\n');
        for f in &report.files {
            if f.details.is_empty() && f.causes.is_empty() && f.error.is_none() {
                continue;
            }
            let _ = writeln!(
                o,
                "<details><summary><code>{}</code>: {}</summary>\n",
                esc(&f.path),
                f.status
            );
            for c in &f.causes {
                let _ = writeln!(
                    o,
                    "- cause **{}** {}",
                    esc(&super::cause_label(c)),
                    esc(&super::evidence_text(c))
                );
            }
            if let Some(e) = &f.error {
                let _ = writeln!(o, "- error: {}", esc(e));
            }
            o.push('\n');
            for d in &f.details {
                detail(&mut o, d, 0);
            }
            let _ = writeln!(o, "</details>\n");
        }
    }

    if !report.truncated.is_empty() {
        let _ = writeln!(o, "### Truncated\n");
        for t in &report.truncated {
            let path = t.path.as_deref().map(|p| format!("`{}`: ", code(p))).unwrap_or_default();
            let _ = writeln!(o, "- {path}{} ({})", esc(&t.message), t.limit);
        }
        o.push('\n');
    }
    if let Some(ex) = &report.explain {
        let _ = writeln!(o, "### Explain\n\n| path | variations |\n|---|---|");
        for f in &ex.files {
            let _ = writeln!(o, "| `{}` | {} |", code(&f.path), f.variations.join(", "));
        }
        for f in &ex.differ_without_variation {
            let _ = writeln!(o, "| `{}` | (differs with no variation) |", code(f));
        }
        o.push('\n');
    }
    o.into_bytes()
}

fn detail(o: &mut String, d: &Detail, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(o, "{indent}- **{}**", esc(&d.title));
    for c in &d.comments {
        let _ = writeln!(o, "{indent}  - {}", esc(c));
    }
    if let Some(diff) = &d.unified_diff {
        let fence = if diff.contains("```") { "~~~~" } else { "```" };
        let _ = writeln!(
            o,
            "\n{fence}diff\n{}{}{fence}\n",
            diff,
            if diff.ends_with('\n') { "" } else { "\n" }
        );
    }
    for c in &d.children {
        detail(o, c, depth + 1);
    }
}

/// Escape text for inline HTML/Markdown.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Text inside backticks cannot contain backticks.
fn code(s: &str) -> String {
    s.replace('`', "'")
}
