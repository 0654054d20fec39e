//! Integration tests: the real upstream recipes in `recipes/`, checked end to end.
//!
//! Each recipe is checked with the default variations in the pinned image, its source served
//! offline by the Debian-filled mirror (`cargo xtask mirror-debian --from-recipes`; `cargo xtask
//! test` fills it and sets `REPRO_TEST_MIRROR`). The verdicts asserted here are the ones recorded
//! in `docs/real-world.md`: all seven are reproducible under the default variations, and the ones
//! checked with `build_path` embed the build directory in their debug info, libtool archives and
//! pkg-config files.
//!
//! CI time: a check is two builds run concurrently, so it costs about two builds of CPU whatever
//! variations are chosen (a `--vary` subset would not make xz's check noticeably cheaper; only
//! `num_cpus` changes the experiment's wall time). Every recipe therefore gets a full check with
//! the default variations. `explain` (N+2 builds) runs once, on bzip2, the quickest recipe.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{docker_or_skip, repo_root, repro};

/// The variations `repro check` applies by default (everything but `build_path`; `aslr` is
/// requested too but cannot be applied in an unprivileged container).
const DEFAULT_APPLIED: &[&str] = &[
    "time",
    "hostname",
    "domain",
    "user",
    "home",
    "num_cpus",
    "timezone",
    "locale",
    "umask",
    "environment",
    "fileordering",
    "kernel",
];

/// The offline source mirror: `REPRO_TEST_MIRROR`, else `<repo>/.repro-work/mirror`.
pub(crate) fn mirror_dir() -> PathBuf {
    match std::env::var_os("REPRO_TEST_MIRROR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join(".repro-work/mirror"),
    }
}

/// True when `mirror` serves `sha256` (as `sha256/<hex>`) or the URL's file name.
fn mirror_has(mirror: &Path, url: &str, sha256: &str) -> bool {
    let by_name = url.rsplit('/').next().filter(|n| !n.is_empty()).map(|n| mirror.join(n));
    mirror.join("sha256").join(sha256).is_file() || by_name.is_some_and(|p| p.is_file())
}

/// The recipe's directory, when Docker answers and the mirror serves every source; `None`
/// (skipped loudly) otherwise. With `CI` set a missing source fails the test instead.
pub(crate) fn recipe_or_skip(test: &str, recipe: &str) -> Option<PathBuf> {
    if !docker_or_skip(test) {
        return None;
    }
    let dir = repo_root().join("recipes").join(recipe);
    let loaded = repro_recipe::load(&dir.join("recipe.toml"))
        .unwrap_or_else(|e| panic!("{test}: recipes/{recipe}: {e}"));
    let mirror = mirror_dir();
    let missing: Vec<String> = loaded
        .sources
        .iter()
        .filter_map(|s| match s {
            repro_recipe::Source::Archive { url, sha256, .. }
            | repro_recipe::Source::File { url, sha256, .. } => {
                (!mirror_has(&mirror, url, sha256)).then(|| url.clone())
            }
            _ => None,
        })
        .collect();
    if missing.is_empty() {
        return Some(dir);
    }
    let msg = format!(
        "{test}: the mirror {} does not serve {missing:?}; fill it with `cargo xtask \
         mirror-debian --from-recipes --out .repro-work/mirror` (or run `cargo xtask test`)",
        mirror.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{msg}, CI is set: real recipes must be checked in CI");
    }
    eprintln!("\n!!!!! SKIPPED {msg} !!!!!\n");
    None
}

/// Runs `repro <cmd> DIR --mirror M --cache <empty> ARGS --json -`; returns (exit code, report).
/// The empty cache makes the source come from the mirror.
fn run_json(cmd: &str, dir: &Path, args: &[&str]) -> (i32, Value) {
    let cache = tempfile::tempdir().expect("cache dir");
    let out = repro()
        .arg(cmd)
        .arg(dir)
        .arg("--mirror")
        .arg(mirror_dir())
        .arg("--cache")
        .arg(cache.path())
        .args(args)
        .args(["--json", "-"])
        .output()
        .expect("run repro");
    crate::support::json_report(&out)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v:#}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

/// Checks `recipe` with the default variations: exit 0, no differing file, and both builds
/// give the same artifact (sha256 and git-tree-sha1), with every default variation applied.
fn assert_reproducible(test: &str, recipe: &str, name: &str) {
    let Some(dir) = recipe_or_skip(test, recipe) else { return };
    let (code, r) = run_json("check", &dir, &[]);
    assert_eq!(code, 0, "{recipe}: expected exit 0 (reproducible): {:#}", r["files"]);
    assert_eq!(r["verdict"], "reproducible", "{recipe}");
    assert!(r["files"].as_array().unwrap().is_empty(), "{recipe}: {:#}", r["files"]);
    assert!(r["summary"]["total"].as_u64().unwrap() > 0, "{recipe}: nothing compared");
    let check = &r["check"];
    assert_eq!(check["recipe"]["name"], name);
    let builds = check["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 2, "{recipe}");
    for b in builds {
        assert_eq!(b["success"], true, "{recipe}: {b:#}");
    }
    let (a, b) = (&builds[0]["artifact"], &builds[1]["artifact"]);
    let tree = a["git_tree_sha1"].as_str().expect("git_tree_sha1");
    assert_eq!(tree.len(), 40, "{recipe}: {tree}");
    assert_eq!(a["git_tree_sha1"], b["git_tree_sha1"], "{recipe}");
    assert_eq!(a["sha256"], b["sha256"], "{recipe}");
    let applied = strings(&check["variations_applied"]);
    for v in DEFAULT_APPLIED {
        assert!(applied.iter().any(|a| a == v), "{recipe}: {v} not applied: {applied:?}");
    }
    // The experiment really ran with one CPU and the shifted clock (not a silent no-op).
    assert_eq!(builds[1]["environment"]["nproc"], "1", "{recipe}");
    assert_ne!(builds[0]["variations"]["time"], builds[1]["variations"]["time"], "{recipe}");
}

/// Checks `recipe` with `build_path` alone: exit 1, and each of `paths` differs because the
/// experiment's build directory is in it.
fn assert_build_path_differs(test: &str, recipe: &str, paths: &[&str]) {
    let Some(dir) = recipe_or_skip(test, recipe) else { return };
    let (code, r) = run_json("check", &dir, &["--vary", "none,+build_path"]);
    assert_eq!(code, 1, "{recipe}: expected exit 1 (unreproducible): {r:#}");
    assert_eq!(r["verdict"], "unreproducible");
    assert_eq!(strings(&r["check"]["variations_applied"]), ["build_path"]);
    let files = r["files"].as_array().unwrap();
    let differing: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(differing, paths, "{recipe}");
    for f in files {
        assert_eq!(f["status"], "differs", "{recipe}: {f:#}");
        let by_path = f["causes"].as_array().unwrap().iter().any(|c| {
            c["cause"] == "build_path"
                && c["variation"] == "build_path"
                && c["evidence"]["text_b"]
                    .as_str()
                    .is_some_and(|t| t.contains("/build/i-capture-the-path"))
        });
        assert!(by_path, "{recipe}: {} not attributed to build_path: {f:#}", f["path"]);
    }
}

#[test]
fn bzip2_is_reproducible() {
    assert_reproducible("bzip2_is_reproducible", "bzip2", "Bzip2");
}

#[test]
fn xz_is_reproducible() {
    assert_reproducible("xz_is_reproducible", "xz", "XZ");
}

#[test]
fn lzo_is_reproducible() {
    assert_reproducible("lzo_is_reproducible", "lzo", "LZO");
}

#[test]
fn ogg_is_reproducible() {
    assert_reproducible("ogg_is_reproducible", "ogg", "Ogg");
}

#[test]
fn libffi_is_reproducible() {
    assert_reproducible("libffi_is_reproducible", "libffi", "Libffi");
}

#[test]
fn libtasn1_is_reproducible() {
    assert_reproducible("libtasn1_is_reproducible", "libtasn1", "libtasn1");
}

#[test]
fn nettle_is_reproducible() {
    assert_reproducible("nettle_is_reproducible", "nettle", "Nettle");
}

/// libogg embeds the build directory in its DWARF line tables (static and shared library), in
/// libtool's `libogg.la` (`libdir=`) and in `ogg.pc` (`prefix=`): BinaryBuilder fixes
/// `/workspace` for this reason, and `build_path` is not varied by default.
#[test]
fn ogg_embeds_the_build_path() {
    assert_build_path_differs(
        "ogg_embeds_the_build_path",
        "ogg",
        &["lib/libogg.a", "lib/libogg.la", "lib/libogg.so.0.8.5", "lib/pkgconfig/ogg.pc"],
    );
}

/// The one `explain` of a real recipe: with `build_path` added to the default variations,
/// bzip2 is unreproducible, and building with each variation alone shows that `build_path`, and
/// nothing else, makes its binaries (DWARF line tables) and `bzip2.pc` (`prefix=`) differ.
#[test]
fn bzip2_differs_only_by_build_path_explained() {
    let test = "bzip2_differs_only_by_build_path_explained";
    let expected = [
        "bin/bunzip2",
        "bin/bzcat",
        "bin/bzip2",
        "bin/bzip2recover",
        "lib/libbz2.a",
        "lib/libbz2.so.1.0.8",
        "lib/pkgconfig/bzip2.pc",
    ];
    let Some(dir) = recipe_or_skip(test, "bzip2") else { return };
    let (code, r) = run_json("check", &dir, &["--vary", "+build_path", "--explain"]);
    assert_eq!(code, 1, "expected exit 1 (unreproducible): {r:#}");
    assert_eq!(r["verdict"], "unreproducible");
    let files = r["files"].as_array().unwrap();
    let differing: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(differing, expected);
    for f in files {
        assert!(
            f["causes"].as_array().unwrap().iter().any(|c| c["variation"] == "build_path"),
            "{} not attributed to build_path: {f:#}",
            f["path"]
        );
    }
    let explain = &r["explain"];
    let explained: Vec<(String, Vec<String>)> = explain["files"]
        .as_array()
        .expect("explain.files")
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), strings(&f["variations"])))
        .collect();
    let want: Vec<(String, Vec<String>)> =
        expected.iter().map(|p| (p.to_string(), vec!["build_path".to_owned()])).collect();
    assert_eq!(explained, want, "{explain:#}");
    let without = explain["differ_without_variation"].as_array().unwrap();
    assert!(without.is_empty(), "differs without variation: {without:?}");
    // Every run built; the no-variation run and each default variation alone reproduce.
    let runs = explain["runs"].as_array().unwrap();
    for run in runs {
        assert!(run["error"].is_null(), "{run:#}");
        let vars = strings(&run["variations"]);
        let alone_build_path = vars == ["build_path"];
        assert_eq!(run["reproducible"], !alone_build_path, "{run:#}");
    }
    assert!(runs.iter().any(|run| strings(&run["variations"]).is_empty()), "no rebuild run");
    for v in DEFAULT_APPLIED.iter().chain(&["build_path"]) {
        assert!(
            runs.iter().any(|run| strings(&run["variations"]) == [*v]),
            "no run of {v} alone: {runs:#?}"
        );
    }
}
