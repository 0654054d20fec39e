//! `docs/report.schema.json` is generated from the report types (schemars), and real reports
//! validate against it (with `check-jsonschema`, which `.ci/run` installs).

#![allow(clippy::print_stderr)] // the loud skip message

use std::path::PathBuf;
use std::process::Command;

use repro_report::*;

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json")
}

fn generated() -> String {
    serde_json::to_string_pretty(&report_json_schema()).unwrap() + "\n"
}

#[test]
fn committed_schema_is_the_generated_one() {
    let want = generated();
    if std::env::var_os("REPRO_UPDATE_SCHEMA").is_some() {
        std::fs::write(committed(), &want).unwrap();
    }
    let have = std::fs::read_to_string(committed()).unwrap();
    assert!(
        have == want,
        "docs/report.schema.json is out of date: run `REPRO_UPDATE_SCHEMA=1 cargo test -p repro-report --test schema`"
    );
}

/// A report using every section and most optional fields.
fn rich_report() -> Report {
    let mut r = Report::new();
    r.inputs = Some(Inputs {
        a: Input { path: "a.tar.gz".into(), kind: "tarball".into(), sha256: Some("00".repeat(32)) },
        b: Input { path: "b".into(), kind: "directory".into(), sha256: None },
    });
    r.summary.identical = 2;
    r.normalizations.push(Normalization {
        rule: "tar-metadata".into(),
        description: "tar header metadata".into(),
        count: 1,
        paths: vec!["bin/x".into()],
    });
    let mut f = FileReport::new("lib/libx.so", Status::Differs, EntryType::File);
    f.format = Some("elf".into());
    (f.size_a, f.size_b) = (Some(10), Some(11));
    (f.sha256_a, f.sha256_b) = (Some("ab".repeat(32)), Some("cd".repeat(32)));
    (f.executable_a, f.executable_b) = (Some(true), Some(true));
    f.causes.push(Cause {
        cause: CauseKind::Hostname,
        confidence: Some(Confidence::High),
        evidence: Evidence {
            offset: Some(12),
            text: Some("a".into()),
            text_b: Some("b".into()),
            location: Some("section .rodata".into()),
        },
        variation: Some("hostname".into()),
    });
    let mut d = Detail::new("ELF");
    d.comments.push("differing sections: .rodata".into());
    d.unified_diff = Some("@@ -1 +1 @@\n-a\n+b\n".into());
    d.ranges.push(ByteRange { start: 1, end: 2 });
    d.children.push(Detail::new("section .rodata"));
    f.details.push(d);
    f.error = Some("corrupt gzip stream in a".into());
    r.files.push(f);
    let mut s = FileReport::new("dev/tty", Status::TypeChanged, EntryType::Special);
    s.kind_b = Some(EntryType::File);
    r.files.push(s);
    r.omitted.differs = 3;
    r.truncated.push(Truncation {
        path: None,
        limit: "max_reported_files".into(),
        message: "3 more paths".into(),
    });
    r.finalize();
    r
}

#[test]
fn real_reports_validate_against_the_schema() {
    let have = Command::new("check-jsonschema")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(std::env::var_os("CI").is_none(), "check-jsonschema is required under CI");
        eprintln!(
            "\n!!!!! SKIPPED real_reports_validate_against_the_schema: check-jsonschema missing !!!!!\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, generated()).unwrap();
    let mut files = Vec::new();
    for (i, r) in [Report::new(), rich_report()].iter().enumerate() {
        let p = dir.path().join(format!("report{i}.json"));
        std::fs::write(&p, render::json(r)).unwrap();
        files.push(p);
    }
    let out = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(&schema)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The schema rejects what the model cannot hold.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"schema":"repro-report/1","verdict":"maybe"}"#).unwrap();
    let out = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(&schema)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "an invalid report passed");
}
