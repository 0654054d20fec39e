//! JUnit XML, for CI systems that show test results: one `<testsuite>` per report, a
//! `verdict` test case that fails when the report is unreproducible, and one test case per
//! listed path (failing for differences, passing for `normalized` paths, with the rules).
//! Identical paths are only counted (in `tests`), as the report does not list them.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::render::{cause_label, evidence_text, summary_line};
use crate::{FileReport, Report};

/// The suite name: the recipe (`check`), else the two inputs (`diff`).
fn suite_name(report: &Report) -> String {
    if let Some(c) = &report.check {
        return format!("{} {}", c.recipe.name, c.recipe.version);
    }
    match &report.inputs {
        Some(i) => format!("{} vs {}", i.a.path, i.b.path),
        None => "repro".to_owned(),
    }
}

fn failure_body(f: &FileReport) -> String {
    let mut s = String::new();
    for c in &f.causes {
        s.push_str(&format!("cause: {} {}\n", cause_label(c), evidence_text(c)));
    }
    if let Some(e) = &f.error {
        s.push_str(&format!("error: {e}\n"));
    }
    for d in &f.details {
        s.push_str(&d.title);
        s.push('\n');
        if let Some(u) = &d.unified_diff {
            s.push_str(u);
        }
    }
    s
}

/// Render `report` as JUnit XML.
pub fn junit(report: &Report) -> Vec<u8> {
    // Names and messages come from untrusted archives: no control characters reach the reader.
    let report = &super::display_safe(report);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let suite = suite_name(report);
    let failures = report.files.iter().filter(|f| f.status.is_difference()).count()
        + usize::from(!report.is_reproducible());
    let tests = report.summary.total as usize + 1;
    let errors = report.files.iter().filter(|f| f.error.is_some()).count();
    let (tests, failures, errors) = (tests.to_string(), failures.to_string(), errors.to_string());
    let io = |r: std::io::Result<()>| r.expect("writing XML to memory");
    io(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    let attrs = [
        ("name", "repro"),
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", errors.as_str()),
    ];
    io(w.write_event(Event::Start(BytesStart::new("testsuites").with_attributes(attrs))));
    let mut ts = BytesStart::new("testsuite");
    ts.push_attribute(("name", suite.as_str()));
    ts.push_attribute(("tests", tests.as_str()));
    ts.push_attribute(("failures", failures.as_str()));
    ts.push_attribute(("errors", errors.as_str()));
    io(w.write_event(Event::Start(ts)));

    // The verdict.
    let mut tc = BytesStart::new("testcase");
    tc.push_attribute(("classname", suite.as_str()));
    tc.push_attribute(("name", "verdict"));
    if report.is_reproducible() {
        io(w.write_event(Event::Empty(tc)));
    } else {
        io(w.write_event(Event::Start(tc)));
        let msg = format!("unreproducible: {}", summary_line(report));
        let f = BytesStart::new("failure")
            .with_attributes([("message", msg.as_str()), ("type", "unreproducible")]);
        io(w.write_event(Event::Empty(f)));
        io(w.write_event(Event::End(BytesEnd::new("testcase"))));
    }

    for f in &report.files {
        let mut tc = BytesStart::new("testcase");
        tc.push_attribute(("classname", suite.as_str()));
        tc.push_attribute(("name", f.path.as_str()));
        io(w.write_event(Event::Start(tc)));
        if f.status.is_difference() {
            let causes: Vec<String> = f.causes.iter().map(|c| c.cause.to_string()).collect();
            let msg = if causes.is_empty() {
                f.status.to_string()
            } else {
                format!("{}: {}", f.status, causes.join(", "))
            };
            let el = BytesStart::new("failure")
                .with_attributes([("message", msg.as_str()), ("type", f.status.as_str())]);
            io(w.write_event(Event::Start(el)));
            io(w.write_event(Event::Text(BytesText::new(&failure_body(f)))));
            io(w.write_event(Event::End(BytesEnd::new("failure"))));
        } else {
            let note = format!("{} by {}", f.status, f.rules.join(", "));
            io(w.write_event(Event::Start(BytesStart::new("system-out"))));
            io(w.write_event(Event::Text(BytesText::new(&note))));
            io(w.write_event(Event::End(BytesEnd::new("system-out"))));
        }
        io(w.write_event(Event::End(BytesEnd::new("testcase"))));
    }
    io(w.write_event(Event::End(BytesEnd::new("testsuite"))));
    io(w.write_event(Event::End(BytesEnd::new("testsuites"))));
    let mut out = w.into_inner();
    out.push(b'\n');
    out
}
