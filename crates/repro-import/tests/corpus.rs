//! The importer's coverage of the Yggdrasil corpus: at least 99% of its `build_tarballs.jl`
//! import, none panics or times out.
//!
//! The corpus (`yggdrasil-jl-*.tar.xz`) is test data outside the repository: `../shared/data/
//! yggdrasil/` beside the checkout (CI has it), or the directory or tarball named by
//! `REPRO_YGGDRASIL_CORPUS`. Without it the test is skipped loudly, and fails under CI.

use std::path::{Path, PathBuf};
use std::time::Duration;

use repro_import::corpus::{CorpusOptions, Outcome, run_corpus};

/// The share of the corpus that must import (measured: 2,127 of 2,140, 99.4%).
const MIN_COVERAGE: f64 = 0.99;

fn corpus() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REPRO_YGGDRASIL_CORPUS") {
        return Some(PathBuf::from(p));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/yggdrasil");
    let mut tarballs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".tar.xz"))
        .collect();
    tarballs.sort();
    tarballs.pop()
}

#[test]
#[allow(clippy::print_stderr)]
fn yggdrasil_corpus_imports_at_least_99_percent() {
    let Some(path) = corpus() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the Yggdrasil corpus in ../shared/data/yggdrasil"
        );
        eprintln!(
            "SKIPPED: no Yggdrasil corpus (../shared/data/yggdrasil or REPRO_YGGDRASIL_CORPUS)"
        );
        return;
    };
    // Debug builds are several times slower than release; the limit only catches hangs.
    let opts = CorpusOptions { time_limit: Duration::from_secs(30), threads: 0 };
    let report = run_corpus(&path, &opts).unwrap();
    let table = report.render(10);
    eprintln!("{table}");
    let broken: Vec<String> = report
        .recipes
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Panicked | Outcome::TimedOut))
        .map(|r| format!("{}: {}", r.path.display(), r.error.as_deref().unwrap_or("")))
        .collect();
    assert!(broken.is_empty(), "recipes that panicked or timed out:\n{}", broken.join("\n"));
    assert!(
        report.recipes.len() >= 2000,
        "only {} recipes found in {}",
        report.recipes.len(),
        path.display()
    );
    assert!(
        report.coverage() >= MIN_COVERAGE,
        "{:.2}% of the corpus imports, below {:.1}%:\n{table}",
        report.coverage() * 100.0,
        MIN_COVERAGE * 100.0
    );
}
