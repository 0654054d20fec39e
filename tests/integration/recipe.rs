//! Integration tests for `repro recipe`.

use crate::support::{data, repo_root, repro};

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn check_valid_recipes_exits_0_with_one_ok_line_each() {
    let hello = repo_root().join("recipes/hello/recipe.toml");
    let valid = data("recipe/valid/recipe.toml");
    let out = repro().args(["recipe", "check"]).arg(&hello).arg(&valid).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    let stdout = stdout_of(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "ok: {} (hello v1.0.0, 1 source, x86_64-linux-gnu x86_64-linux-musl)",
                hello.display()
            ),
            format!(
                "ok: {} (Everything v2.10.1, 4 sources, x86_64-linux-gnu aarch64-linux-musl)",
                valid.display()
            ),
        ]
    );
    assert_eq!(stderr_of(&out), "");
}

#[test]
fn check_typo_exits_2_with_location_field_and_suggestion() {
    let typo = data("recipe/typo/recipe.toml");
    let out = repro().args(["recipe", "check"]).arg(&typo).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_of(&out), "");
    let stderr = stderr_of(&out);
    let expected = format!(
        "{}:8:1: sources[0].sha265: unknown field \"sha265\" in sources[0]; did you mean \"sha256\"?",
        typo.display()
    );
    assert!(stderr.contains(&expected), "stderr:\n{stderr}\nexpected:\n{expected}");
    // The misspelt key covers the missing `sha256`: one problem, not two.
    assert!(stderr.contains("1 problem"), "{stderr}");
}

#[test]
fn check_reports_every_problem_of_a_recipe() {
    let file = data("recipe/many-problems/recipe.toml");
    let out = repro().args(["recipe", "check"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    let f = file.display();
    for needle in [
        format!("{f}:1:8: name: \"2fast\" is not a valid name"),
        format!("{f}:2:11: version: "),
        format!("{f}:3:14: platforms[0]: "),
        "did you mean \"x86_64-linux-gnu\"?".to_owned(),
        format!(
            "{f}:5:1: netwrok: unknown field \"netwrok\" in the recipe; did you mean \"network\"?"
        ),
        format!("{f}:8:1: environment.prefix: prefix is set by the build environment"),
        format!("{f}:12:1: sources[0].sha256: `sha256` does not apply to directory sources"),
        format!("{f}:17:1: sources[1].commit: `commit` does not apply to archive sources"),
        format!("{f}:18:17: sources[1].unpack_target: "),
    ] {
        assert!(stderr.contains(&needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(stderr.contains("8 problems"), "{stderr}");
}

#[test]
fn check_many_files_reports_each_and_exits_2_if_any_is_invalid() {
    let valid = data("recipe/valid/recipe.toml");
    let syntax = data("recipe/syntax/recipe.toml");
    let escape = data("recipe/escape/recipe.toml");
    let missing = data("recipe/does-not-exist.toml");
    let hello = repo_root().join("recipes/hello/recipe.toml");
    let out = repro()
        .args(["recipe", "check"])
        .args([&valid, &syntax, &escape, &missing, &hello])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = stdout_of(&out);
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok: ")).count(), 2, "{stdout}");
    assert!(stdout.contains(&format!("ok: {} (", valid.display())));
    assert!(stdout.contains(&format!("ok: {} (", hello.display())));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error: ")).count(), 3, "{stderr}");
    assert!(stderr.contains(&format!("{}:4:1: TOML syntax error", syntax.display())), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:7:13: sources[0].directory: ", escape.display())),
        "{stderr}"
    );
    assert!(stderr.contains("must be inside the recipe's directory"), "{stderr}");
    assert!(stderr.contains(&format!("cannot read recipe {}", missing.display())), "{stderr}");
}

#[test]
fn check_accepts_a_recipe_directory() {
    let dir = repo_root().join("recipes/hello");
    let out = repro().args(["recipe", "check"]).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out),
        format!(
            "ok: {} (hello v1.0.0, 1 source, x86_64-linux-gnu x86_64-linux-musl)\n",
            dir.join("recipe.toml").display()
        )
    );
}

#[test]
fn check_without_files_is_a_usage_error() {
    let out = repro().args(["recipe", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("FILE"), "{}", stderr_of(&out));
}

#[test]
fn every_recipe_in_the_repository_is_valid() {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("recipes"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path().join("recipe.toml");
            p.is_file().then_some(p)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let out = repro().args(["recipe", "check"]).args(&files).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).lines().count(), files.len());
}

#[test]
fn show_json_is_the_model() {
    let hello = repo_root().join("recipes/hello/recipe.toml");
    let out = repro().args(["recipe", "show", "--json"]).arg(&hello).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["name"], "hello");
    assert_eq!(v["version"], "1.0.0");
    assert_eq!(v["path"], hello.to_str().unwrap());
    assert_eq!(v["dir"], hello.parent().unwrap().to_str().unwrap());
    assert_eq!(v["platforms"], serde_json::json!(["x86_64-linux-gnu", "x86_64-linux-musl"]));
    assert_eq!(
        v["sources"],
        serde_json::json!([{ "kind": "directory", "path": "src", "target": null }])
    );
    assert_eq!(
        v["products"],
        serde_json::json!([
            { "kind": "library", "names": ["libhello"], "variable": "libhello", "dir": null },
            { "kind": "executable", "names": ["hello"], "variable": "hello", "dir": null },
        ])
    );
    assert_eq!(v["dependencies"], serde_json::json!([]));
    assert_eq!(v["source_date_epoch"], 0);
    assert_eq!(v["network"], false);
    assert_eq!(v["environment"], serde_json::json!({}));
    assert_eq!(v["normalize"], serde_json::json!({ "ignore": [] }));
    assert!(v["script"].as_str().unwrap().contains("install_license"));
    let hash = v["recipe_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn show_json_covers_every_kind() {
    let out = repro()
        .args(["recipe", "show", "--json"])
        .arg(data("recipe/valid/recipe.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> =
        v["sources"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["archive", "file", "git", "directory"]);
    // Hashes are stored lowercase.
    assert_eq!(
        v["sources"][0]["sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(v["sources"][1]["filename"], "patches/fix-build.patch");
    assert_eq!(
        v["products"][2],
        serde_json::json!({ "kind": "file", "path": "share/everything/data.json", "variable": "data_json" })
    );
    assert_eq!(
        v["dependencies"][0],
        serde_json::json!({ "kind": "Dependency", "source": "recipe", "path": "../zlib/recipe.toml" })
    );
    assert_eq!(v["dependencies"][1]["source"], "artifact");
    assert_eq!(v["environment"]["LC_ALL"], "C");
    assert_eq!(v["source_date_epoch"], 1_700_000_000);
    assert_eq!(v["normalize"]["ignore"][0]["paths"], serde_json::json!(["share/doc/**"]));
}

#[test]
fn show_prints_a_summary() {
    let out = repro()
        .args(["recipe", "show"])
        .arg(repo_root().join("recipes/hello/recipe.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    let stdout = stdout_of(&out);
    assert!(stdout.starts_with("hello v1.0.0\n"), "{stdout}");
    for needle in ["x86_64-linux-gnu", "directory src", "libhello", "executable", "hello.v1.0.0."] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
}

#[test]
fn show_invalid_recipe_exits_2() {
    let out = repro()
        .args(["recipe", "show", "--json"])
        .arg(data("recipe/typo/recipe.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_of(&out), "");
    assert!(stderr_of(&out).contains("did you mean \"sha256\"?"));
}

/// A `directory` source that leads out of the recipe's directory through a symlink is not "ok".
#[test]
fn check_refuses_directory_sources_escaping_through_symlinks() {
    let t = tempfile::tempdir().unwrap();
    let outside = t.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let dir = t.path().join("r");
    std::fs::create_dir_all(dir.join("inside")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("bundled")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("inside/pw")).unwrap();
    for src in ["bundled", "inside"] {
        let file = dir.join(format!("{src}.toml"));
        std::fs::write(
            &file,
            format!(
                "name = \"x\"\nversion = \"1.0.0\"\nplatforms = [\"x86_64-linux-gnu\"]\nscript = \"true\"\n\n[[sources]]\ndirectory = \"{src}\"\n"
            ),
        )
        .unwrap();
        let out = repro().args(["recipe", "check"]).arg(&file).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{src}: {err}");
        assert!(err.contains("outside"), "{src}: {err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("ok:"));
    }
}
