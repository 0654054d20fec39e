//! Integration tests for `repro import yggdrasil`.

use predicates::prelude::*;

use crate::support::{data, repo_root, repro};

fn fixture(rel: &str) -> String {
    data(&format!("import/{rel}")).to_string_lossy().into_owned()
}

#[test]
fn prints_the_recipe_on_stdout_with_a_header() {
    let out = repro()
        .args(["import", "yggdrasil", &fixture("basic/build_tarballs.jl")])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "note: 9 of the recipe's platforms cannot be built here (see `repro platforms`)",
        ))
        .stderr(predicate::str::contains("warning").not())
        .get_output()
        .stdout
        .clone();
    let toml = String::from_utf8(out).unwrap();
    assert!(toml.starts_with("# Imported from "), "{toml}");
    assert!(toml.contains("#   julia_compat = \"1.6\"\n"), "{toml}");
    assert!(toml.contains("\nname = \"Tinylib\"\nversion = \"1.4.2\"\nplatforms = ["), "{toml}");
    assert!(toml.contains("\"x86_64-linux-gnu\", \"aarch64-linux-gnu\""), "{toml}");
    assert!(
        toml.contains("archive = \"https://example.org/releases/tinylib-1.4.2.tar.xz\""),
        "{toml}"
    );
}

#[test]
fn writes_a_valid_recipe_with_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recipe.toml");
    repro()
        .args(["import", "yggdrasil", &fixture("interpolation/build_tarballs.jl"), "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains(
            "build_tarballs.jl:15:62: cannot resolve the interpolation `$DESTDIR`",
        ))
        .stderr(predicate::str::contains("(1 warning)"));
    let recipe = repro_recipe::load(&out).unwrap();
    assert_eq!(recipe.name, "Interp");
    assert!(recipe.script.contains("DESTDIR=$DESTDIR"));
    // The written file passes `repro recipe check` too.
    repro().args(["recipe", "check"]).arg(&out).assert().success();
}

#[test]
fn strict_mode_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("recipe.toml");
    repro()
        .args(["import", "yggdrasil", "--strict", &fixture("warnings/build_tarballs.jl"), "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "warnings/build_tarballs.jl:21:1: `while` loops are not supported",
        ))
        .stderr(predicate::str::contains("16 warnings and --strict is set; nothing was written"));
    assert!(!out.exists());
    // Without --strict the same recipe imports, with the warnings on stderr.
    repro()
        .args(["import", "yggdrasil", &fixture("warnings/build_tarballs.jl")])
        .assert()
        .success()
        .stdout(predicate::str::contains("name = \"Warny\""))
        .stderr(predicate::str::contains("warning: ").count(16));
}

#[test]
fn json_output_lists_warnings_kwargs_and_skipped_platforms() {
    let out = repro()
        .args([
            "import",
            "yggdrasil",
            "--json",
            &fixture("include/Libfoo/Libfoo@2.1.0/build_tarballs.jl"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["recipe"]["name"], "Libfoo");
    assert_eq!(v["recipe"]["version"], "2.1.0");
    assert_eq!(v["recipe"]["sources"][0]["kind"], "git");
    assert_eq!(v["kwargs"]["julia_compat"], "\"1.9\"");
    assert_eq!(v["kwargs"]["preferred_llvm_version"], "llvm_version");
    let skipped: Vec<&str> =
        v["skipped_platforms"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(skipped.contains(&"x86_64-linux-gnu-sanitize+memory"));
    assert!(!skipped.contains(&"x86_64-linux-gnu"));
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);
    assert!(
        v["toml"].as_str().unwrap().contains("git = \"https://github.com/example/libfoo.git\"")
    );

    let out = repro()
        .args(["import", "yggdrasil", "--json", &fixture("deps/build_tarballs.jl")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);
    let dep = &v["recipe"]["dependencies"][1];
    assert_eq!(dep["name"], "Bzip2_jll");
    assert_eq!(dep["kind"], "Dependency");
    assert_eq!(dep["source"], "jll");
    assert_eq!(dep["compat"], "1.0.8");

    // A warning names file, line, column and construct.
    let out = repro()
        .args(["import", "yggdrasil", "--json", &fixture("warnings/build_tarballs.jl")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let w = v["warnings"].as_array().unwrap().iter().find(|w| w["line"] == 8).unwrap();
    assert_eq!(w["column"], 5);
    assert!(w["construct"].as_str().unwrap().starts_with("ArchiveSource("), "{w}");
    assert!(w["file"].as_str().unwrap().ends_with("warnings/build_tarballs.jl"));
}

#[test]
fn dep_maps_a_jll_to_a_local_recipe_relative_to_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("depful");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("recipe.toml");
    let zlib = dir.path().join("zlib/recipe.toml");
    let mut cmd = repro();
    cmd.args(["import", "yggdrasil", &fixture("deps/build_tarballs.jl"), "-o"]).arg(&out);
    for name in ["Bzip2_jll", "XZ_jll", "Ninja_jll"] {
        cmd.arg("--dep").arg(format!("{name}={}", dir.path().join("other/recipe.toml").display()));
    }
    cmd.arg("--dep").arg(format!("Zlib_jll={}", zlib.display()));
    cmd.assert()
        .success()
        .stderr(predicate::str::contains(
            "note: Dependency `Zlib_jll` is built from the local recipe ../zlib/recipe.toml",
        ))
        .stderr(predicate::str::contains("(0 warnings)"));
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(toml.contains("recipe = \"../zlib/recipe.toml\""), "{toml}");
    // A malformed --dep is a usage error.
    repro()
        .args(["import", "yggdrasil", &fixture("deps/build_tarballs.jl"), "--dep", "Zlib_jll"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected NAME=PATH"));
}

#[test]
fn malformed_input_is_an_error_with_file_line_column() {
    repro()
        .args(["import", "yggdrasil", &fixture("malformed/unclosed_call.jl")])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "malformed/unclosed_call.jl:7:1: syntax error: expected `,` or `)`",
        ));
    repro()
        .args(["import", "yggdrasil", &fixture("malformed/missing_end.jl")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "missing_end.jl:6:1: syntax error: missing `end` for `function`",
        ));
    repro()
        .args(["import", "yggdrasil", &fixture("does/not/exist.jl")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn includes_are_confined_to_the_root() {
    repro()
        .args(["import", "yggdrasil", &fixture("include_escape/recipe/build_tarballs.jl"), "--root"])
        .arg(data("import/include_escape/recipe"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("build_tarballs.jl:3:1: include error: included file \"../outside.jl\" is outside the recipe root"));
    repro()
        .args(["import", "yggdrasil", &fixture("include_missing/build_tarballs.jl")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("build_tarballs.jl:4:1: include error"))
        .stderr(predicate::str::contains("does not exist"));
}

/// Every real recipe under `recipes/` with both files: importing its `build_tarballs.jl` gives
/// the committed `recipe.toml`: the same name, version, sources, script, platforms, products and
/// dependencies.
#[test]
fn real_recipes_import_to_their_committed_toml() {
    let recipes = repo_root().join("recipes");
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&recipes).unwrap() {
        let dir = entry.unwrap().path();
        let (jl, toml) = (dir.join("build_tarballs.jl"), dir.join("recipe.toml"));
        if !jl.is_file() || !toml.is_file() {
            continue;
        }
        let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // On stdout the output's paths are relative to the recipe's own directory.
        let out = repro()
            .args(["import", "yggdrasil", "--strict"])
            .arg(&jl)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        let imported =
            repro_recipe::parse_str(&text, &toml).unwrap_or_else(|e| panic!("{dir_name}: {e}"));
        let committed = repro_recipe::load(&toml).unwrap();
        assert_eq!(imported.name, committed.name, "{dir_name}");
        assert_eq!(imported.version, committed.version, "{dir_name}");
        assert_eq!(imported.sources, committed.sources, "{dir_name}");
        assert_eq!(imported.script, committed.script, "{dir_name}");
        // Every platform the recipe lists, buildable here or not (`--platform all` builds the
        // buildable ones and reports the others with their reason).
        assert_eq!(imported.platforms, committed.platforms, "{dir_name}");
        assert_eq!(imported.products, committed.products, "{dir_name}");
        assert_eq!(imported.dependencies, committed.dependencies, "{dir_name}");
        checked.push(dir_name);
    }
    assert!(checked.len() >= 5, "expected at least five real recipes, found {checked:?}");
}

#[test]
fn help_lists_the_options() {
    repro()
        .args(["import", "yggdrasil", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--strict"))
        .stdout(predicate::str::contains("--dep <NAME=RECIPE>"))
        .stdout(predicate::str::contains("--root <DIR>"));
}
