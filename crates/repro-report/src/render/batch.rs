//! Renderers of a [`Batch`]: JSON, Markdown (a GitHub step summary), JUnit XML (one test case
//! per recipe × platform) and an HTML dashboard (a recipe × platform table coloured by outcome,
//! linking to each job's page).

use std::collections::HashMap;
use std::fmt::Write as _;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::html::{badge, esc, page_end, page_start};
use crate::{Batch, Job, Outcome};

/// Rows the Markdown summary lists before it says how many it left out (GitHub step summaries
/// are capped at 1 MiB).
pub const MARKDOWN_MAX_ROWS: usize = 500;

/// The batch as pretty-printed JSON (schema `repro-batch/1`), newline-terminated.
pub fn batch_json(batch: &Batch) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(batch).expect("batch serializes");
    out.push(b'\n');
    out
}

/// One line: `12 jobs: 9 reproducible, 2 unreproducible, 1 failed`.
pub fn batch_summary_line(batch: &Batch) -> String {
    let t = &batch.totals;
    let mut parts = Vec::new();
    for (n, what) in [
        (t.reproducible, "reproducible"),
        (t.unreproducible, "unreproducible"),
        (t.failed, "failed"),
        (t.skipped, "skipped"),
        (t.cancelled, "cancelled"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let jobs = if t.jobs == 1 { "job" } else { "jobs" };
    if parts.is_empty() {
        format!("{} {jobs}", t.jobs)
    } else {
        format!("{} {jobs}: {}", t.jobs, parts.join(", "))
    }
}

fn icon(o: Outcome) -> &'static str {
    match o {
        Outcome::Reproducible => "✅",
        Outcome::Unreproducible => "❌",
        Outcome::Failed => "💥",
        Outcome::Skipped => "⏭️",
        Outcome::Cancelled => "⏹️",
    }
}

/// Markdown cell text: no newlines, pipes escaped, HTML escaped, bounded.
fn md_cell(s: &str) -> String {
    let mut t: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if t.chars().count() > 300 {
        t = t.chars().take(300).collect::<String>() + "…";
    }
    esc(&t).replace('|', "\\|").replace('`', "'")
}

fn job_detail(j: &Job) -> String {
    if let Some(e) = &j.error {
        return md_cell(e);
    }
    let mut s = Vec::new();
    if !j.causes.is_empty() {
        s.push(format!(
            "causes: {}",
            j.causes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !j.differing.is_empty() {
        let shown: Vec<String> =
            j.differing.iter().take(5).map(|p| format!("`{}`", md_cell(p))).collect();
        s.push(shown.join(" "));
    }
    s.join("; ")
}

/// Markdown for a GitHub step summary: totals, then a table of every job that is not
/// reproducible (worst first), then the reproducible ones in a collapsed block.
pub fn batch_markdown(batch: &Batch) -> Vec<u8> {
    // Names and messages come from untrusted archives: no control characters reach the reader.
    let batch = &super::display_safe(batch);
    let mut o = String::new();
    let worst = batch.worst();
    let _ = writeln!(o, "## {} repro: {}\n", icon(worst), batch_summary_line(batch));
    if let Some(d) = batch.duration_secs {
        let _ = writeln!(o, "Ran in {d:.1} s.\n");
    }
    let mut bad: Vec<&Job> =
        batch.jobs.iter().filter(|j| j.outcome != Outcome::Reproducible).collect();
    bad.sort_by(|a, b| {
        b.outcome.cmp(&a.outcome).then((&a.recipe, &a.platform).cmp(&(&b.recipe, &b.platform)))
    });
    let good: Vec<&Job> =
        batch.jobs.iter().filter(|j| j.outcome == Outcome::Reproducible).collect();
    let mut rows = 0;
    if !bad.is_empty() {
        let _ = writeln!(o, "| | recipe | platform | outcome | details |\n|---|---|---|---|---|");
        for j in &bad {
            if rows == MARKDOWN_MAX_ROWS {
                break;
            }
            rows += 1;
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                icon(j.outcome),
                md_cell(&j.recipe),
                md_cell(&j.platform),
                j.outcome,
                job_detail(j)
            );
        }
        o.push('\n');
    }
    if !good.is_empty() && rows < MARKDOWN_MAX_ROWS {
        let _ = writeln!(
            o,
            "<details><summary>{} reproducible</summary>\n\n| recipe | platform | time |\n|---|---|---:|",
            good.len()
        );
        for j in &good {
            if rows == MARKDOWN_MAX_ROWS {
                break;
            }
            rows += 1;
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                md_cell(&j.recipe),
                md_cell(&j.platform),
                j.duration_secs.map(|d| format!("{d:.1} s")).unwrap_or_default()
            );
        }
        o.push_str("\n</details>\n\n");
    }
    if batch.jobs.len() > rows {
        let _ = writeln!(
            o,
            "_{} more jobs not listed; see the JSON or HTML report._",
            batch.jobs.len() - rows
        );
    }
    o.into_bytes()
}

/// JUnit XML: one test suite, one test case per recipe × platform (class name = recipe, name =
/// platform): a `<failure>` when unreproducible, an `<error>` when the check failed, `<skipped>`
/// when skipped or cancelled.
pub fn batch_junit(batch: &Batch) -> Vec<u8> {
    // Names and messages come from untrusted archives: no control characters reach the reader.
    let batch = &super::display_safe(batch);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let t = &batch.totals;
    let (tests, failures, errors, skipped) = (
        t.jobs.to_string(),
        t.unreproducible.to_string(),
        t.failed.to_string(),
        (t.skipped + t.cancelled).to_string(),
    );
    let time = format!("{:.3}", batch.duration_secs.unwrap_or(0.0));
    let io = |r: std::io::Result<()>| r.expect("writing XML to memory");
    io(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    let counts = [
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", errors.as_str()),
        ("skipped", skipped.as_str()),
        ("time", time.as_str()),
    ];
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "repro"));
    suites.extend_attributes(counts);
    io(w.write_event(Event::Start(suites)));
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", "repro check"));
    suite.extend_attributes(counts);
    io(w.write_event(Event::Start(suite)));
    for j in &batch.jobs {
        let mut tc = BytesStart::new("testcase");
        tc.push_attribute(("classname", xml_safe(&j.recipe).as_str()));
        tc.push_attribute(("name", xml_safe(&j.platform).as_str()));
        let time = format!("{:.3}", j.duration_secs.unwrap_or(0.0));
        tc.push_attribute(("time", time.as_str()));
        if j.outcome == Outcome::Reproducible {
            io(w.write_event(Event::Empty(tc)));
            continue;
        }
        io(w.write_event(Event::Start(tc)));
        let (tag, kind) = match j.outcome {
            Outcome::Unreproducible => ("failure", "unreproducible"),
            Outcome::Failed => ("error", "failed"),
            _ => ("skipped", j.outcome.as_str()),
        };
        let message = xml_safe(&j.error.clone().unwrap_or_else(|| {
            if j.causes.is_empty() {
                j.outcome.to_string()
            } else {
                format!(
                    "{}: {}",
                    j.outcome,
                    j.causes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                )
            }
        }));
        let el =
            BytesStart::new(tag).with_attributes([("message", message.as_str()), ("type", kind)]);
        if j.differing.is_empty() {
            io(w.write_event(Event::Empty(el)));
        } else {
            io(w.write_event(Event::Start(el)));
            let body = xml_safe(&j.differing.join("\n"));
            io(w.write_event(Event::Text(BytesText::new(&body))));
            io(w.write_event(Event::End(BytesEnd::new(tag))));
        }
        io(w.write_event(Event::End(BytesEnd::new("testcase"))));
    }
    io(w.write_event(Event::End(BytesEnd::new("testsuite"))));
    io(w.write_event(Event::End(BytesEnd::new("testsuites"))));
    let mut out = w.into_inner();
    out.push(b'\n');
    out
}

/// XML 1.0 cannot carry most control characters even escaped: replace them.
fn xml_safe(s: &str) -> String {
    s.chars()
        .map(|c| if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') { '\u{fffd}' } else { c })
        .collect()
}

/// The HTML dashboard: totals, a recipe × platform table coloured by outcome whose cells link
/// to each job's page (`Job::html`), then the list of jobs that are not reproducible.
pub fn batch_html(batch: &Batch) -> Vec<u8> {
    // Control characters become visible escapes (as in the text renderers), before HTML escaping.
    let batch = &super::display_safe(batch);
    let mut o = String::new();
    page_start(&mut o, "repro batch");
    let _ = writeln!(o, "<h1>repro batch</h1>");
    let _ = writeln!(
        o,
        "<p id=\"totals\">{} {}{}</p>",
        badge(batch.worst().as_str()),
        esc(&batch_summary_line(batch)),
        batch
            .duration_secs
            .map(|d| format!(" <span class=\"muted\">in {d:.1} s</span>"))
            .unwrap_or_default()
    );
    let (recipes, platforms) = batch.axes();
    let mut cells: HashMap<(&str, &str), Vec<&Job>> = HashMap::new();
    for j in &batch.jobs {
        cells.entry((j.recipe.as_str(), j.platform.as_str())).or_default().push(j);
    }
    o.push_str("<table class=\"dash\" id=\"dashboard\">\n<tr><th>recipe</th>");
    for p in &platforms {
        let _ = write!(o, "<th><code>{}</code></th>", esc(p));
    }
    o.push_str("</tr>\n");
    for r in &recipes {
        let _ = write!(o, "<tr><td class=\"recipe\"><code>{}</code></td>", esc(r));
        for p in &platforms {
            match cells.get(&(*r, *p)).map(Vec::as_slice) {
                None | Some([]) => o.push_str("<td class=\"muted\">·</td>"),
                Some(jobs) => {
                    let worst =
                        jobs.iter().map(|j| j.outcome).max().unwrap_or(Outcome::Reproducible);
                    let _ = write!(o, "<td class=\"cell-{}\">", worst.as_str());
                    for (i, j) in jobs.iter().enumerate() {
                        if i > 0 {
                            o.push_str("<br>");
                        }
                        let title = j.error.as_deref().unwrap_or(j.outcome.as_str());
                        match &j.html {
                            Some(h) => {
                                let _ = write!(
                                    o,
                                    "<a href=\"{}\" title=\"{}\">{}</a>",
                                    esc(&href(h)),
                                    esc(title),
                                    j.outcome
                                );
                            }
                            None => {
                                let _ = write!(
                                    o,
                                    "<span title=\"{}\">{}</span>",
                                    esc(title),
                                    j.outcome
                                );
                            }
                        }
                    }
                    o.push_str("</td>");
                }
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");

    let bad: Vec<&Job> = batch.jobs.iter().filter(|j| j.outcome != Outcome::Reproducible).collect();
    if !bad.is_empty() {
        o.push_str("<h2 id=\"problems\">Not reproducible</h2>\n<table>\n<tr><th>recipe</th><th>platform</th><th>outcome</th><th>details</th></tr>\n");
        for j in bad {
            let mut details = String::new();
            if let Some(e) = &j.error {
                let _ = write!(details, "<pre>{}</pre>", esc(e));
            }
            if !j.causes.is_empty() {
                let c: Vec<&str> = j.causes.iter().map(|c| c.as_str()).collect();
                let _ = write!(details, "causes: <b>{}</b>", esc(&c.join(", ")));
            }
            if !j.differing.is_empty() {
                details.push_str("<ul>");
                for p in &j.differing {
                    let _ = write!(details, "<li><code>{}</code></li>", esc(p));
                }
                details.push_str("</ul>");
            }
            let name = match &j.html {
                Some(h) => format!("<a href=\"{}\">{}</a>", esc(&href(h)), esc(&j.recipe)),
                None => esc(&j.recipe),
            };
            let _ = writeln!(
                o,
                "<tr><td>{name}</td><td><code>{}</code></td><td>{}</td><td>{details}</td></tr>",
                esc(&j.platform),
                badge(j.outcome.as_str())
            );
        }
        o.push_str("</table>\n");
    }
    page_end(&mut o);
    o.into_bytes()
}

/// A relative link: only `[A-Za-z0-9._/+-]` path characters are kept as they are, the rest are
/// percent-encoded, and anything that looks like a scheme or an absolute path is made relative.
fn href(path: &str) -> String {
    let mut out = String::new();
    for b in path.trim_start_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"._/+-".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CauseKind, Job};

    fn batch() -> Batch {
        let mut a = Job::new("ogg", "x86_64-linux-gnu", Outcome::Reproducible);
        a.html = Some("jobs/ogg-x86_64-linux-gnu.html".into());
        let mut b = Job::new("<evil|name>", "x86_64-linux-gnu", Outcome::Unreproducible);
        b.causes = vec![CauseKind::Timestamps];
        b.differing = vec!["bin/x|y\n".into()];
        b.html = Some("javascript:alert(1)".into());
        let mut c = Job::new("zlib", "aarch64-linux-gnu", Outcome::Failed);
        c.error = Some("build failed\u{1}".into());
        Batch::new(vec![c, b, a])
    }

    #[test]
    fn markdown_lists_worst_first_and_escapes() {
        let md = String::from_utf8(batch_markdown(&batch())).unwrap();
        assert!(md.starts_with("## 💥 repro: 3 jobs: 1 reproducible, 1 unreproducible, 1 failed"));
        let failed = md.find("| zlib |").unwrap();
        let unrepro = md.find("&lt;evil\\|name&gt;").unwrap();
        assert!(failed < unrepro, "{md}");
        assert!(md.contains(r"`bin/x\|y\n`"), "newline escaped visibly: {md}");
        assert!(md.contains("<details><summary>1 reproducible</summary>"));
    }

    #[test]
    fn junit_has_one_case_per_job() {
        let x = String::from_utf8(batch_junit(&batch())).unwrap();
        assert_eq!(x.matches("<testcase ").count(), 3);
        assert!(x.contains("tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"0\""));
        assert!(x.contains(r#"<error message="build failed\x01" type="failed"/>"#), "{x}");
        assert!(x.contains("classname=\"&lt;evil|name&gt;\""));
    }

    #[test]
    fn dashboard_links_and_escapes() {
        let h = String::from_utf8(batch_html(&batch())).unwrap();
        assert!(h.contains("<a href=\"jobs/ogg-x86_64-linux-gnu.html\""));
        assert!(!h.contains("javascript:"), "a scheme must not survive: {h}");
        assert!(h.contains("href=\"javascript%3Aalert%281%29\""));
        assert!(h.contains("<code>&lt;evil|name&gt;</code>"));
        assert!(h.contains("class=\"cell-failed\""));
        assert!(h.contains("<td class=\"muted\">·</td>"), "missing cells are marked");
    }
}
