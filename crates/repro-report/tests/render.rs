//! Snapshot tests of the renderers on a fixed report.

use repro_report::render::{self, TextOptions};
use repro_report::*;

fn sample() -> Report {
    let mut r = Report::new();
    r.inputs = Some(Inputs {
        a: Input { path: "A".into(), kind: "directory".into(), sha256: None },
        b: Input { path: "B".into(), kind: "directory".into(), sha256: None },
    });
    r.summary.identical = 3;
    r.normalizations.push(Normalization {
        rule: "logs".into(),
        description: "build logs".into(),
        count: 1,
        paths: vec!["logs/x.log".into()],
    });
    let mut f = FileReport::new("share/v.txt", Status::Differs, EntryType::File);
    f.format = Some("text".into());
    (f.size_a, f.size_b) = (Some(4), Some(4));
    f.causes.push(Cause {
        cause: CauseKind::Timestamps,
        confidence: Some(Confidence::High),
        evidence: Evidence {
            offset: Some(0),
            text: Some("2026".into()),
            text_b: Some("2027".into()),
            location: Some("line 1".into()),
        },
        variation: None,
    });
    let mut d = Detail::new("text");
    d.unified_diff = Some("@@ -1 +1 @@\n-2026\n+2027\n".into());
    f.details.push(d);
    r.files.push(f);
    r.files.push(FileReport::new("bin/<x>", Status::OnlyInA, EntryType::File));
    r.finalize();
    r
}

#[test]
fn text_snapshot() {
    let t = String::from_utf8(render::text(&sample(), &TextOptions::default())).unwrap();
    let want = "\
verdict: unreproducible
summary: 1 differs, 1 only_in_a, 3 identical
a: A (directory)
b: B (directory)

normalizations:
  logs (1 paths): build logs
      logs/x.log

files:
  differs         share/v.txt [text] 4 bytes
      cause: timestamps (high) line 1, offset 0x0: \"2026\" -> \"2027\"
      text
        @@ -1 +1 @@
        -2026
        +2027
  only_in_a       bin/<x>
";
    assert_eq!(t, want);
    let c = String::from_utf8(render::text(
        &sample(),
        &TextOptions { color: true, ..TextOptions::default() },
    ))
    .unwrap();
    assert!(c.contains("\x1b[31m"));
}

#[test]
fn json_roundtrip_and_summary() {
    let r = sample();
    let j = render::json(&r);
    let back: Report = serde_json::from_slice(&j).unwrap();
    assert_eq!(back, r);
    assert_eq!(r.summary.total, 5);
    assert_eq!(r.verdict, Verdict::Unreproducible);
    let v: serde_json::Value = serde_json::from_slice(&j).unwrap();
    assert_eq!(v["schema"], "repro-report/1");
    assert!(v.get("check").is_none(), "optional sections are omitted");
}

#[test]
fn markdown_snapshot_parts() {
    let m = String::from_utf8(render::markdown(&sample())).unwrap();
    assert!(m.starts_with("## repro: **unreproducible**\n"));
    assert!(m.contains("| differs | 1 |"));
    assert!(m.contains("| `share/v.txt` | differs | text | timestamps |"));
    assert!(m.contains("<details><summary><code>share/v.txt</code>: differs</summary>"));
    assert!(m.contains("```diff\n@@ -1 +1 @@\n-2026\n+2027\n```"));
}

#[test]
fn diffoscope_shape() {
    let v: serde_json::Value = serde_json::from_slice(&render::diffoscope_json(&sample())).unwrap();
    assert_eq!(v["diffoscope-json-version"], 1);
    assert!(v["unified_diff"].is_null());
    let files = v["details"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["source1"], "A/share/v.txt");
    assert_eq!(files[1]["source2"], "/dev/null");
    assert_eq!(files[0]["details"][0]["unified_diff"], "@@ -1 +1 @@\n-2026\n+2027\n");
}

#[test]
fn junit_has_one_case_per_listed_path_and_a_failing_verdict() {
    use quick_xml::Reader;
    use quick_xml::events::Event;
    let mut r = sample();
    // Text that must be escaped, including a CDATA terminator.
    r.files[0].details[0].unified_diff = Some("-a ]]> & <b>\n+c\n".into());
    let mut n = FileReport::new("lib/x.a", Status::Normalized, EntryType::File);
    n.rules.push("tar-metadata".into());
    r.files.push(n);
    r.finalize();
    let xml = render::junit(&r);
    let mut reader = Reader::from_reader(xml.as_slice());
    let (mut cases, mut failures, mut names) = (0, 0, Vec::new());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testcase" => {
                cases += 1;
                let name = e.try_get_attribute("name").unwrap().unwrap();
                names.push(
                    name.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned(),
                );
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "failure" => failures += 1,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    // verdict + 3 listed paths; the verdict and two differences fail, `normalized` passes.
    assert_eq!(cases, 4, "{names:?}");
    assert_eq!(failures, 3);
    assert_eq!(names, ["verdict", "share/v.txt", "bin/<x>", "lib/x.a"]);
    let raw = String::from_utf8_lossy(&xml);
    assert!(raw.contains("-a ]]&gt; &amp; &lt;b&gt;"), "{raw}");
    assert!(String::from_utf8_lossy(&xml).contains("tests=\"7\""), "total + verdict");

    // A reproducible report has one passing verdict case.
    let ok = Report::new();
    let xml = String::from_utf8(render::junit(&ok)).unwrap();
    assert!(xml.contains("failures=\"0\"") && !xml.contains("<failure"), "{xml}");
}

/// Names taken from archives may hold escape sequences, carriage returns and newlines: no
/// human-readable renderer lets them through, so an archive cannot print a fake verdict.
#[test]
fn control_characters_are_escaped_in_every_human_renderer() {
    let evil = "x\x1b[2J\rverdict: reproducible\nverdict: reproducible\u{202e}";
    let mut r = sample();
    let mut f = FileReport::new(evil, Status::Differs, EntryType::File);
    f.error = Some(format!("refusing entry `{evil}`"));
    let mut d = Detail::new(format!("member {evil}"));
    // In a diff, newlines are structure (each line keeps its `-`/`+`/` ` prefix).
    d.unified_diff = Some("@@ -1 +1 @@\n-x\x1b[2J\rverdict: reproducible\n+ok\n".into());
    d.comments.push(evil.to_owned());
    f.details.push(d);
    f.causes.push(Cause {
        cause: CauseKind::Timestamps,
        confidence: Some(Confidence::Low),
        evidence: Evidence { text: Some(evil.into()), ..Evidence::default() },
        variation: None,
    });
    r.files.push(f);
    r.truncated.push(Truncation {
        path: Some(evil.into()),
        limit: "x".into(),
        message: evil.into(),
    });
    r.finalize();
    let outputs = [
        ("text", render::text(&r, &TextOptions::default())),
        ("markdown", render::markdown(&r)),
        ("junit", render::junit(&r)),
        ("html", render::html(&r, &render::HtmlOptions::default())),
    ];
    for (name, out) in outputs {
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains('\x1b'), "{name}: raw ESC");
        assert!(!s.contains('\r'), "{name}: raw CR");
        assert!(!s.contains('\u{202e}'), "{name}: raw bidi override");
        let fake =
            s.lines().filter(|l| l.trim_start().starts_with("verdict: reproducible")).count();
        assert_eq!(fake, 0, "{name}: a line starts with a fake verdict:\n{s}");
    }
    let text = String::from_utf8(render::text(&r, &TextOptions::default())).unwrap();
    assert!(text.starts_with("verdict: unreproducible\n"), "{text}");
    assert!(text.contains(r"x\x1b[2J\rverdict: reproducible\nverdict"), "{text}");
    // JSON keeps the exact bytes (it escapes them itself).
    let json = String::from_utf8(render::json(&r)).unwrap();
    assert!(json.contains(r"x\u001b[2J\rverdict: reproducible\nverdict"), "{json}");
}

#[test]
fn escape_controls_keeps_plain_text_and_tabs() {
    use render::escape_controls;
    assert!(matches!(escape_controls("a\tb", false), std::borrow::Cow::Borrowed(_)));
    assert_eq!(escape_controls("a\nb\x7f\u{85}", false), r"a\nb\x7f\x85");
    assert_eq!(escape_controls("a\nb\r", true), "a\nb\\r");
}
