//! HTML: one self-contained page per report (inline CSS, no scripts, no network assets).
//!
//! The page reads without JavaScript: per-file sections are `<details>` elements, text and
//! hexdump diffs are side-by-side tables built from the report's unified diffs. Everything taken
//! from the report (paths, member names, diff lines, evidence) is escaped: artifacts are
//! untrusted.

use std::fmt::Write as _;

use crate::render::{cause_label, evidence_text, summary_line};
use crate::{CheckSection, Detail, ExplainSection, FileReport, Report, Verdict};

/// The stylesheet shared by report pages and the batch dashboard.
pub(crate) const CSS: &str = r#"
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --fail: #8250df; --warn: #9a6700;
  --del: #ffebe9; --add: #e6ffec; --delw: #ffc1bd; --addw: #abf2bc; --mut: #57606a; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto;
  max-width: 1400px; padding: 0 1em; color: #1f2328; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { font-size: 1.25em; border-bottom: 1px solid #d0d7de;
  padding-bottom: .2em; margin-top: 1.6em; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
.verdict { display: inline-block; padding: .15em .6em; border-radius: 1em; color: #fff; font-weight: 600; }
.v-reproducible { background: var(--ok); } .v-unreproducible { background: var(--bad); }
.v-failed { background: var(--fail); } .v-cancelled, .v-skipped { background: var(--mut); }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
details { border: 1px solid #d0d7de; border-radius: 6px; margin: .4em 0; padding: .2em .6em; }
details > summary { cursor: pointer; padding: .2em 0; }
details details { border-color: #eaeef2; }
.status { font-weight: 600; } .st-normalized { color: var(--warn); } .st-diff { color: var(--bad); }
.muted { color: var(--mut); }
table.diff { width: 100%; table-layout: fixed; }
table.diff td { border: none; padding: 0 .4em; white-space: pre-wrap; word-break: break-all; }
table.diff td.ln { width: 0; }
table.diff tr.hunk td { background: #ddf4ff; color: var(--mut); }
table.diff td.del { background: var(--del); } table.diff td.add { background: var(--add); }
table.diff td.empty { background: #f6f8fa; }
table.diff col.side { width: 50%; }
ul.causes { margin: .3em 0; padding-left: 1.2em; }
.dash td { text-align: center; } .dash td.recipe { text-align: left; }
.dash td.cell-reproducible { background: #dafbe1; } .dash td.cell-unreproducible { background: #ffebe9; }
.dash td.cell-failed { background: #fbefff; } .dash td.cell-cancelled, .dash td.cell-skipped { background: #eaeef2; }
.dash a { color: inherit; font-weight: 600; }
"#;

/// Escape text for HTML element content and attribute values. Control characters (other than
/// newline and tab) become their visible Unicode "control picture", so untrusted names cannot
/// hide or garble what is shown.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' | '\t' => o.push(c),
            c if (c as u32) < 0x20 => o.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => o.push('\u{2421}'),
            // Bidirectional overrides could reorder what a reader sees.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

/// Start of a page: doctype, charset, a restrictive CSP (no scripts, no network), the style.
pub(crate) fn page_start(o: &mut String, title: &str) {
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(title)
    );
}

pub(crate) fn page_end(o: &mut String) {
    o.push_str("</body>\n</html>\n");
}

/// A verdict badge (`reproducible`, `unreproducible`, `failed`, ...).
pub(crate) fn badge(verdict: &str) -> String {
    format!("<span class=\"verdict v-{0}\">{0}</span>", esc(verdict))
}

/// Options of the HTML renderer.
#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// A link shown at the top (e.g. back to a batch dashboard): `(href, text)`.
    pub back_link: Option<(String, String)>,
}

/// Render `report` as one self-contained HTML page.
pub fn html(report: &Report, opts: &HtmlOptions) -> Vec<u8> {
    // Control characters become visible escapes (as in the text renderers), before HTML escaping.
    let report = &super::display_safe(report);
    let mut o = String::new();
    let title = match &report.check {
        Some(c) => format!("repro: {} {}", c.recipe.name, c.recipe.version),
        None => "repro report".to_owned(),
    };
    page_start(&mut o, &title);
    if let Some((href, text)) = &opts.back_link {
        let _ = writeln!(o, "<p><a href=\"{}\">{}</a></p>", esc(href), esc(text));
    }
    let _ = writeln!(o, "<h1>{}</h1>", esc(&title));
    let verdict = match report.verdict {
        Verdict::Reproducible => "reproducible",
        Verdict::Unreproducible => "unreproducible",
    };
    let _ = writeln!(
        o,
        "<p id=\"verdict\">{} <span class=\"muted\">{}</span></p>",
        badge(verdict),
        esc(&summary_line(report))
    );
    if let Some(i) = &report.inputs {
        let _ =
            writeln!(o, "<table><tr><th>side</th><th>input</th><th>kind</th><th>sha256</th></tr>");
        for (side, inp) in [("a", &i.a), ("b", &i.b)] {
            let _ = writeln!(
                o,
                "<tr><td>{side}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&inp.path),
                esc(&inp.kind),
                esc(inp.sha256.as_deref().unwrap_or(""))
            );
        }
        o.push_str("</table>\n");
    }
    summary_table(&mut o, report);
    if let Some(c) = &report.check {
        check_section(&mut o, c);
    }
    normalizations(&mut o, report);
    files(&mut o, report);
    if let Some(ex) = &report.explain {
        explain_section(&mut o, ex);
    }
    if !report.truncated.is_empty() {
        o.push_str("<h2 id=\"truncated\">Bounds hit</h2>\n<ul>\n");
        for t in &report.truncated {
            let path =
                t.path.as_deref().map(|p| format!("<code>{}</code>: ", esc(p))).unwrap_or_default();
            let _ = writeln!(
                o,
                "<li>{path}{} <span class=\"muted\">({})</span></li>",
                esc(&t.message),
                esc(&t.limit)
            );
        }
        o.push_str("</ul>\n");
    }
    page_end(&mut o);
    o.into_bytes()
}

fn summary_table(o: &mut String, report: &Report) {
    o.push_str(
        "<h2 id=\"summary\">Summary</h2>\n<table>\n<tr><th>status</th><th>paths</th></tr>\n",
    );
    for st in crate::Status::ALL {
        let _ =
            writeln!(o, "<tr><td>{st}</td><td class=\"num\">{}</td></tr>", report.summary.get(st));
    }
    if report.summary.errors > 0 {
        let _ =
            writeln!(o, "<tr><td>errors</td><td class=\"num\">{}</td></tr>", report.summary.errors);
    }
    let _ = writeln!(
        o,
        "<tr><th>total</th><th class=\"num\">{}</th></tr>\n</table>",
        report.summary.total
    );
}

fn check_section(o: &mut String, c: &CheckSection) {
    o.push_str("<h2 id=\"check\">Builds</h2>\n<table>\n");
    let _ = writeln!(
        o,
        "<tr><th>recipe</th><td><code>{} {}</code> <span class=\"muted\">sha256 {}</span>{}</td></tr>",
        esc(&c.recipe.name),
        esc(&c.recipe.version),
        esc(&c.recipe.sha256),
        c.recipe.path.as_deref().map(|p| format!(" <code>{}</code>", esc(p))).unwrap_or_default()
    );
    if let Some(img) = &c.image {
        let _ = writeln!(
            o,
            "<tr><th>image</th><td><code>{}</code> {}</td></tr>",
            esc(&img.digest),
            esc(img.reference.as_deref().unwrap_or(""))
        );
    }
    for s in &c.sources {
        let id = s
            .sha256
            .as_deref()
            .map(|h| format!("sha256 {h}"))
            .or_else(|| s.commit.as_deref().map(|h| format!("commit {h}")))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<tr><th>source</th><td><code>{}</code> <span class=\"muted\">{}</span></td></tr>",
            esc(&s.source),
            esc(&id)
        );
    }
    let _ = writeln!(
        o,
        "<tr><th>network</th><td>{}</td></tr>",
        if c.network { "enabled by the recipe" } else { "disabled" }
    );
    let _ = writeln!(
        o,
        "<tr><th>variations applied</th><td>{}</td></tr>",
        esc(&c.variations_applied.join(", "))
    );
    for n in &c.variations_not_applied {
        let _ = writeln!(
            o,
            "<tr><th>not applied</th><td>{}: {}</td></tr>",
            esc(&n.variation),
            esc(&n.reason)
        );
    }
    for d in &c.dependencies {
        let verdict = match d.reproducible {
            Some(true) => " — reproducible".to_owned(),
            Some(false) => format!(" — unreproducible: {}", esc(&d.differing.join(", "))),
            None => String::new(),
        };
        let _ = writeln!(
            o,
            "<tr><th>dependency</th><td><code>{}</code> {} for {}: {} <span class=\"muted\">{} {}</span>{}</td></tr>",
            esc(&d.name),
            esc(&d.kind),
            esc(&d.target),
            esc(&d.resolved),
            esc(d.from.as_deref().unwrap_or("")),
            esc(d.git_tree_sha1.as_deref().unwrap_or("")),
            verdict
        );
    }
    if !c.dependency_files_changed.is_empty() {
        let _ = writeln!(
            o,
            "<tr><th>dependency files changed</th><td>{}</td></tr>",
            esc(&c.dependency_files_changed.join(", "))
        );
    }
    o.push_str("</table>\n");

    // The variations of each build, side by side.
    let mut names: Vec<&String> = c.builds.iter().flat_map(|b| b.variations.keys()).collect();
    names.sort();
    names.dedup();
    o.push_str("<table id=\"builds\">\n<tr><th></th>");
    for b in &c.builds {
        let _ = write!(o, "<th>{}</th>", esc(&b.label));
    }
    o.push_str("</tr>\n<tr><th>result</th>");
    for b in &c.builds {
        let _ = write!(
            o,
            "<td>{} in {:.1}s{}</td>",
            if b.success { "ok" } else { "<b class=\"st-diff\">failed</b>" },
            b.duration_secs,
            b.error.as_deref().map(|e| format!("<br>{}", esc(e))).unwrap_or_default()
        );
    }
    o.push_str("</tr>\n<tr><th>artifact</th>");
    for b in &c.builds {
        match &b.artifact {
            Some(a) => {
                let _ = write!(
                    o,
                    "<td class=\"mono\">sha256 {}<br>git-tree-sha1 {}</td>",
                    esc(&a.sha256),
                    esc(&a.git_tree_sha1)
                );
            }
            None => o.push_str("<td></td>"),
        }
    }
    o.push_str("</tr>\n");
    for name in names {
        let values: Vec<Option<&String>> =
            c.builds.iter().map(|b| b.variations.get(name)).collect();
        let varied = values.windows(2).any(|w| w[0] != w[1]);
        let _ = write!(o, "<tr><th>{}{}</th>", esc(name), if varied { " *" } else { "" });
        for v in values {
            let _ = write!(o, "<td><code>{}</code></td>", esc(v.map(String::as_str).unwrap_or("")));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n<p class=\"muted\">* differs between the builds</p>\n");
    for b in &c.builds {
        if b.environment.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "<details><summary>environment of build <b>{}</b> ({} variables)</summary>\n<table>",
            esc(&b.label),
            b.environment.len()
        );
        for (k, v) in &b.environment {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(k),
                esc(v)
            );
        }
        o.push_str("</table>\n</details>\n");
    }
}

fn normalizations(o: &mut String, report: &Report) {
    o.push_str("<h2 id=\"normalizations\">Normalizations</h2>\n");
    if report.normalizations.is_empty() {
        o.push_str("<p class=\"muted\">No normalization rule touched anything.</p>\n");
        return;
    }
    for n in &report.normalizations {
        let _ = writeln!(
            o,
            "<details><summary><b>{}</b>: {} <span class=\"muted\">({} paths)</span></summary>\n<ul>",
            esc(&n.rule),
            esc(&n.description),
            n.count
        );
        for p in &n.paths {
            let _ = writeln!(o, "<li><code>{}</code></li>", esc(p));
        }
        if (n.paths.len() as u64) < n.count {
            let _ =
                writeln!(o, "<li class=\"muted\">… {} more</li>", n.count - n.paths.len() as u64);
        }
        o.push_str("</ul>\n</details>\n");
    }
}

fn files(o: &mut String, report: &Report) {
    o.push_str("<h2 id=\"files\">Files</h2>\n");
    if report.files.is_empty() {
        o.push_str("<p class=\"muted\">Every compared path is identical.</p>\n");
        return;
    }
    for (i, f) in report.files.iter().enumerate() {
        file_section(o, f, i);
    }
}

fn file_section(o: &mut String, f: &FileReport, index: usize) {
    let class = if f.status.is_difference() { "st-diff" } else { "st-normalized" };
    let causes: Vec<&str> = f.causes.iter().map(|c| c.cause.as_str()).collect();
    let _ = writeln!(
        o,
        "<details class=\"file\" id=\"file-{index}\"{}><summary><code>{}</code> <span class=\"status {class}\">{}</span> <span class=\"muted\">{}{}</span></summary>",
        if f.status.is_difference() && index < 20 { " open" } else { "" },
        esc(&f.path),
        f.status,
        esc(f.format.as_deref().unwrap_or("")),
        if causes.is_empty() { String::new() } else { format!(" · {}", esc(&causes.join(", "))) }
    );
    let mut facts = Vec::new();
    if f.size_a.is_some() || f.size_b.is_some() {
        facts.push(format!("size {} → {}", opt(f.size_a), opt(f.size_b)));
    }
    if let Some(k) = f.kind_b {
        facts.push(format!("type {} → {}", f.kind, k));
    }
    if f.executable_a.is_some() || f.executable_b.is_some() {
        facts.push(format!("executable {} → {}", opt(f.executable_a), opt(f.executable_b)));
    }
    if f.target_a.is_some() || f.target_b.is_some() {
        facts.push(format!(
            "symlink target {} → {}",
            esc(f.target_a.as_deref().unwrap_or("-")),
            esc(f.target_b.as_deref().unwrap_or("-"))
        ));
    }
    if !facts.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", facts.join(" · "));
    }
    if f.sha256_a.is_some() || f.sha256_b.is_some() {
        let _ = writeln!(
            o,
            "<p class=\"mono muted\">a sha256 {}<br>b sha256 {}</p>",
            esc(f.sha256_a.as_deref().unwrap_or("-")),
            esc(f.sha256_b.as_deref().unwrap_or("-"))
        );
    }
    if !f.rules.is_empty() {
        let _ = writeln!(o, "<p>normalized by <b>{}</b></p>", esc(&f.rules.join(", ")));
    }
    if !f.causes.is_empty() {
        o.push_str("<ul class=\"causes\">\n");
        for c in &f.causes {
            let _ = writeln!(
                o,
                "<li>cause <b>{}</b> <span class=\"mono\">{}</span></li>",
                esc(&cause_label(c)),
                esc(&evidence_text(c))
            );
        }
        o.push_str("</ul>\n");
    }
    if let Some(e) = &f.error {
        let _ = writeln!(o, "<p class=\"st-diff\">comparison error: {}</p>", esc(e));
    }
    for d in &f.details {
        detail(o, d);
    }
    o.push_str("</details>\n");
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn detail(o: &mut String, d: &Detail) {
    let _ = writeln!(o, "<details open><summary>{}</summary>", esc(&d.title));
    for c in &d.comments {
        let _ = writeln!(o, "<p class=\"muted\">{}</p>", esc(c));
    }
    if !d.ranges.is_empty() {
        let list: Vec<String> = d
            .ranges
            .iter()
            .map(|r| {
                format!("{:#x}–{:#x} ({} bytes)", r.start, r.end, r.end.saturating_sub(r.start))
            })
            .collect();
        let _ =
            writeln!(o, "<p class=\"mono\">differing byte ranges: {}</p>", esc(&list.join(", ")));
    }
    if let Some(u) = &d.unified_diff {
        side_by_side(o, u);
    }
    for c in &d.children {
        detail(o, c);
    }
    o.push_str("</details>\n");
}

/// A unified diff (hunks without file headers) as a two-column table: removed lines on the
/// left, added lines on the right, runs of `-` and `+` paired row by row.
fn side_by_side(o: &mut String, unified: &str) {
    o.push_str("<table class=\"diff\"><colgroup><col class=\"side\"><col class=\"side\"></colgroup>\n<tr><th>a</th><th>b</th></tr>\n");
    let mut dels: Vec<&str> = Vec::new();
    let mut adds: Vec<&str> = Vec::new();
    let flush = |o: &mut String, dels: &mut Vec<&str>, adds: &mut Vec<&str>| {
        for i in 0..dels.len().max(adds.len()) {
            let cell = |v: Option<&&str>, class: &str| match v {
                Some(t) => format!("<td class=\"{class}\">{}</td>", esc(t)),
                None => "<td class=\"empty\"></td>".to_owned(),
            };
            let _ =
                writeln!(o, "<tr>{}{}</tr>", cell(dels.get(i), "del"), cell(adds.get(i), "add"));
        }
        dels.clear();
        adds.clear();
    };
    for line in unified.lines() {
        if let Some(rest) = line.strip_prefix('-') {
            if !adds.is_empty() {
                flush(o, &mut dels, &mut adds);
            }
            dels.push(rest);
        } else if let Some(rest) = line.strip_prefix('+') {
            adds.push(rest);
        } else {
            flush(o, &mut dels, &mut adds);
            if line.starts_with("@@") {
                let _ = writeln!(o, "<tr class=\"hunk\"><td colspan=\"2\">{}</td></tr>", esc(line));
            } else {
                let text = line.strip_prefix(' ').unwrap_or(line);
                let t = esc(text);
                let _ = writeln!(o, "<tr><td>{t}</td><td>{t}</td></tr>");
            }
        }
    }
    flush(o, &mut dels, &mut adds);
    o.push_str("</table>\n");
}

fn explain_section(o: &mut String, ex: &ExplainSection) {
    o.push_str("<h2 id=\"explain\">Explain</h2>\n<table>\n<tr><th>path</th><th>variations that make it differ</th></tr>\n");
    for f in &ex.files {
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            esc(&f.path),
            esc(&f.variations.join(", "))
        );
    }
    for p in &ex.differ_without_variation {
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code></td><td>differs with no variation</td></tr>",
            esc(p)
        );
    }
    o.push_str("</table>\n<table>\n<tr><th>varied</th><th>result</th><th>differing</th><th>time</th></tr>\n");
    for r in &ex.runs {
        let varied =
            if r.variations.is_empty() { "(nothing)".to_owned() } else { r.variations.join(", ") };
        let result = match &r.error {
            Some(e) => format!("error: {}", esc(e)),
            None if r.reproducible => "reproducible".to_owned(),
            None => "unreproducible".to_owned(),
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{result}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&varied),
            r.differing.len(),
            r.duration_secs.map(|d| format!("{d:.1}s")).unwrap_or_default()
        );
    }
    o.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cause, CauseKind, Evidence, Status};

    fn hostile_report() -> Report {
        let mut r = Report::new();
        let mut f = FileReport::new(
            "lib/<script>alert(1)</script>\u{1b}[31m.so",
            Status::Differs,
            crate::EntryType::File,
        );
        f.causes.push(Cause {
            cause: CauseKind::Hostname,
            confidence: None,
            evidence: Evidence { text: Some("\"><img src=x>".into()), ..Evidence::default() },
            variation: Some("hostname".into()),
        });
        let mut d = Detail::new("member <b>x</b>");
        d.unified_diff = Some("@@ -1,2 +1,2 @@\n same & <same>\n-old</td>\n+new</table>\n".into());
        f.details.push(d);
        r.files.push(f);
        r.finalize();
        r
    }

    #[test]
    fn untrusted_text_is_escaped() {
        let out = String::from_utf8(html(&hostile_report(), &HtmlOptions::default())).unwrap();
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(!out.contains("<b>x</b>"));
        assert!(!out.contains("old</td>"));
        assert!(out.contains(r"&lt;script&gt;alert(1)&lt;/script&gt;\x1b[31m.so"), "{out}");
        assert!(out.contains(
            "<td class=\"del\">old&lt;/td&gt;</td><td class=\"add\">new&lt;/table&gt;</td>"
        ));
        assert!(out.contains("<td>same &amp; &lt;same&gt;</td><td>same &amp; &lt;same&gt;</td>"));
    }

    #[test]
    fn page_is_self_contained() {
        let out = String::from_utf8(html(&hostile_report(), &HtmlOptions::default())).unwrap();
        for bad in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
            assert!(!out.contains(bad), "{bad} in page");
        }
        assert!(out.contains("default-src 'none'"));
        assert!(out.contains("<details class=\"file\""));
    }

    #[test]
    fn side_by_side_pairs_runs() {
        let mut o = String::new();
        side_by_side(&mut o, "@@ -1,3 +1,2 @@\n-a1\n-a2\n+b1\n c\n");
        assert!(o.contains("<tr><td class=\"del\">a1</td><td class=\"add\">b1</td></tr>"));
        assert!(o.contains("<tr><td class=\"del\">a2</td><td class=\"empty\"></td></tr>"));
        assert!(o.contains("<tr><td>c</td><td>c</td></tr>"));
    }
}
