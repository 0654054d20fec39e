//! `docs/report.schema.json` and `docs/batch.schema.json` are generated from the report and
//! batch types (schemars), and real reports and batches validate against them (with
//! `check-jsonschema`, which `.ci/run` installs).

#![allow(clippy::print_stderr)] // the loud skip message

use std::path::PathBuf;
use std::process::Command;

use repro_report::*;

fn committed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs").join(name)
}

fn generated() -> String {
    serde_json::to_string_pretty(&report_json_schema()).unwrap() + "\n"
}

fn generated_batch() -> String {
    serde_json::to_string_pretty(&batch_json_schema()).unwrap() + "\n"
}

/// The committed file equals `want` (`REPRO_UPDATE_SCHEMA=1` rewrites it first).
fn assert_committed(name: &str, want: &str) {
    if std::env::var_os("REPRO_UPDATE_SCHEMA").is_some() {
        std::fs::write(committed(name), want).unwrap();
    }
    let have = std::fs::read_to_string(committed(name)).unwrap();
    assert!(
        have == want,
        "docs/{name} is out of date: run `REPRO_UPDATE_SCHEMA=1 cargo test -p repro-report --test schema`"
    );
}

#[test]
fn committed_schema_is_the_generated_one() {
    assert_committed("report.schema.json", &generated());
}

#[test]
fn committed_batch_schema_is_the_generated_one() {
    assert_committed("batch.schema.json", &generated_batch());
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

/// True when `check-jsonschema` runs; a missing one fails under `CI` and skips loudly otherwise.
fn have_check_jsonschema(test: &str) -> bool {
    let have = Command::new("check-jsonschema")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(std::env::var_os("CI").is_none(), "check-jsonschema is required under CI");
        eprintln!("\n!!!!! SKIPPED {test}: check-jsonschema missing !!!!!\n");
    }
    have
}

/// `check-jsonschema --schemafile schema files...` succeeds (or, with `valid` false, fails).
fn validate(schema: &std::path::Path, files: &[PathBuf], valid: bool) {
    let out = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(schema)
        .args(files)
        .output()
        .unwrap();
    assert_eq!(
        out.status.success(),
        valid,
        "{files:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A batch with every outcome and every optional field of a job.
fn rich_batch() -> Batch {
    let report = rich_report();
    let mut done = Job::from_report("libx", "x86_64-linux-gnu", &report);
    done.report = Some("jobs/libx-x86_64-linux-gnu.json".into());
    done.html = Some("jobs/libx-x86_64-linux-gnu.html".into());
    done.recipe_path = Some("recipes/libx/recipe.toml".into());
    done.version = Some("1.2.3".into());
    done.duration_secs = Some(12.5);
    let mut failed = Job::new("liby", "aarch64-linux-gnu", Outcome::Failed);
    failed.error = Some("the control build failed".into());
    let mut dup = Job::new("liby", "aarch64-linux-gnu", Outcome::Cancelled);
    dup.id = format!("{}-2", dup.id);
    let ok = Job::from_report("libz", "x86_64-linux-gnu", &Report::new());
    let skipped = Job::new("libw", "x86_64-linux-gnu", Outcome::Skipped);
    let mut b = Batch::new(vec![done, failed, dup, ok, skipped]);
    b.duration_secs = Some(30.0);
    b
}

#[test]
fn real_batches_validate_against_the_batch_schema() {
    if !have_check_jsonschema("real_batches_validate_against_the_batch_schema") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("batch.schema.json");
    std::fs::write(&schema, generated_batch()).unwrap();
    let mut files = Vec::new();
    for (i, b) in [Batch::new(Vec::new()), rich_batch()].iter().enumerate() {
        let p = dir.path().join(format!("batch{i}.json"));
        std::fs::write(&p, render::batch_json(b)).unwrap();
        files.push(p);
    }
    validate(&schema, &files, true);
    // The schema rejects what the model cannot hold: an unknown outcome, an id that is not a
    // safe file name, a field the model does not have, another schema name.
    let good: serde_json::Value =
        serde_json::from_slice(&render::batch_json(&rich_batch())).unwrap();
    let mut bad = Vec::new();
    for (k, edit) in [
        ("outcome", serde_json::json!("fine")),
        ("id", serde_json::json!("../escape")),
        ("colour", serde_json::json!("red")),
    ] {
        let mut v = good.clone();
        v["jobs"][0][k] = edit;
        bad.push(v);
    }
    let mut v = good.clone();
    v["schema"] = "repro-batch/2".into();
    bad.push(v);
    for (i, v) in bad.iter().enumerate() {
        let p = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&p, v.to_string()).unwrap();
        validate(&schema, &[p], false);
    }
}

#[test]
fn real_reports_validate_against_the_schema() {
    if !have_check_jsonschema("real_reports_validate_against_the_schema") {
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
