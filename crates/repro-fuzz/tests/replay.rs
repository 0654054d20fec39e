//! Replays every committed fuzz input (seed corpora in `fuzz/corpus/<target>/` and crash
//! regressions in `fuzz/regressions/<target>/`) through the fuzz entry points on the stable
//! toolchain, so that CI keeps fixed crashes fixed without cargo-fuzz or nightly.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(rd) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_target_has_a_cargo_fuzz_binary_and_seeds() {
    let mut bins: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    bins.sort();
    let mut names: Vec<String> = repro_fuzz::TARGETS.iter().map(|s| s.to_string()).collect();
    names.sort();
    assert_eq!(bins, names, "fuzz/fuzz_targets/*.rs and repro_fuzz::TARGETS differ");
    for t in repro_fuzz::TARGETS {
        assert!(
            fuzz_dir().join("corpus").join(t).read_dir().unwrap().next().is_some(),
            "no seed corpus for {t}"
        );
    }
    assert!(!repro_fuzz::run("no_such_target", b""));
}

fn replay(target: &str) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no inputs for {target}");
    for p in files {
        let data = std::fs::read(&p).unwrap();
        let r = std::panic::catch_unwind(|| repro_fuzz::run(target, &data));
        assert!(matches!(r, Ok(true)), "{target} fails on {}", p.display());
    }
}

#[test]
fn recipe_parse() {
    replay("recipe_parse");
}

#[test]
fn julia_lex_parse() {
    replay("julia_lex_parse");
}

#[test]
fn julia_eval() {
    replay("julia_eval");
}

#[test]
fn tar_read() {
    replay("tar_read");
}

#[test]
fn tar_tree() {
    replay("tar_tree");
}

#[test]
fn differ_compare() {
    replay("differ_compare");
}

/// The entry points' scratch directory is per process (`repro-fuzz-<pid>`); the next process
/// removes those of processes that are gone, and keeps live ones.
#[test]
fn stale_scratch_directories_of_dead_processes_are_swept() {
    let parent = tempfile::tempdir().unwrap();
    let dead = parent.path().join("repro-fuzz-4000000000"); // above any Linux pid_max
    let alive = parent.path().join(format!("repro-fuzz-{}", std::process::id()));
    let other = parent.path().join("repro-fuzz-notapid");
    for d in [&dead, &alive, &other] {
        std::fs::create_dir_all(d.join("sub")).unwrap();
    }
    assert_eq!(repro_fuzz::sweep_stale(parent.path()), 1);
    assert!(!dead.exists());
    assert!(alive.exists() && other.exists());
}
