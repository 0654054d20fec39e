//! Coverage of the importer over a corpus of recipes (a Yggdrasil checkout, or a `.tar.xz` of
//! its `.jl` files): every `build_tarballs.jl` is imported in parallel, each with a time limit
//! and the evaluator's allocation budget, panics are caught, and the outcomes are tallied
//! ([`run_corpus`], [`CorpusReport::render`]).
//!
//! I/O: reads the corpus (a tarball is unpacked, `.jl` files only, into a temporary directory
//! that is removed afterwards); nothing is written elsewhere.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::{ImportError, ImportOptions, import_yggdrasil};

/// Limits on what a corpus tarball may unpack to.
const MAX_TARBALL_ENTRIES: usize = 100_000;
const MAX_TARBALL_BYTES: u64 = 1 << 30;

/// How one recipe fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Imported without warnings.
    Clean,
    /// Imported, with warnings.
    Warnings,
    /// The importer refused it with an error.
    Failed,
    /// The import hit its time limit.
    TimedOut,
    /// The importer panicked (a bug).
    Panicked,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Clean => "imported, no warning",
            Outcome::Warnings => "imported with warnings",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed out",
            Outcome::Panicked => "panicked",
        }
    }

    /// Whether the recipe imported (exit 0).
    pub fn imported(self) -> bool {
        matches!(self, Outcome::Clean | Outcome::Warnings)
    }
}

/// One recipe's result.
#[derive(Debug, Clone)]
pub struct RecipeOutcome {
    /// Path relative to the corpus root.
    pub path: PathBuf,
    pub outcome: Outcome,
    pub elapsed: Duration,
    /// The error (failed, timed out, panicked).
    pub error: Option<String>,
    /// Warning messages, each with its construct.
    pub warnings: Vec<String>,
}

/// Options of a corpus run.
#[derive(Debug, Clone)]
pub struct CorpusOptions {
    /// Time limit per recipe.
    pub time_limit: Duration,
    /// Worker threads (0: rayon's default, one per core).
    pub threads: usize,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions { time_limit: Duration::from_secs(5), threads: 0 }
    }
}

/// The outcome of every recipe of a corpus.
#[derive(Debug, Clone)]
pub struct CorpusReport {
    pub recipes: Vec<RecipeOutcome>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CorpusError {
    #[error("cannot read the corpus {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("corpus tarball {}: {message}", path.display())]
    Tarball { path: PathBuf, message: String },
    #[error("{} holds no build_tarballs.jl", path.display())]
    Empty { path: PathBuf },
}

/// Imports every `build_tarballs.jl` under `corpus` (a directory, or a `.tar.xz`/`.tar` of one).
pub fn run_corpus(corpus: &Path, opts: &CorpusOptions) -> Result<CorpusReport, CorpusError> {
    let io = |source| CorpusError::Io { path: corpus.to_owned(), source };
    let meta = std::fs::metadata(corpus).map_err(io)?;
    let _unpacked;
    let root = if meta.is_dir() {
        corpus.to_path_buf()
    } else {
        let dir = tempfile::Builder::new().prefix("repro-corpus-").tempdir().map_err(io)?;
        unpack_jl_files(corpus, dir.path())?;
        let root = dir.path().to_path_buf();
        _unpacked = dir;
        root
    };
    let root = root.canonicalize().map_err(io)?;
    let mut files = Vec::new();
    collect_recipes(&root, &root, &mut files, 0).map_err(io)?;
    files.sort();
    if files.is_empty() {
        return Err(CorpusError::Empty { path: corpus.to_owned() });
    }
    let start = Instant::now();
    let run = || files.par_iter().map(|rel| import_one(&root, rel, opts)).collect::<Vec<_>>();
    let recipes = if opts.threads == 0 {
        run()
    } else {
        match rayon::ThreadPoolBuilder::new().num_threads(opts.threads).build() {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        }
    };
    Ok(CorpusReport { recipes, elapsed: start.elapsed() })
}

fn import_one(root: &Path, rel: &Path, opts: &CorpusOptions) -> RecipeOutcome {
    let path = root.join(rel);
    let iopts = ImportOptions {
        root: Some(root.to_path_buf()),
        time_limit: Some(opts.time_limit),
        ..ImportOptions::default()
    };
    let start = Instant::now();
    let result = std::panic::catch_unwind(|| import_yggdrasil(&path, &iopts));
    let elapsed = start.elapsed();
    let strip = |s: String| s.replace(&format!("{}/", root.display()), "");
    let (outcome, error, warnings) = match result {
        Ok(Ok(r)) => {
            let warnings: Vec<String> = r
                .warnings
                .iter()
                .map(|w| format!("{} (in `{}`)", w.message, w.construct))
                .collect();
            let o = if warnings.is_empty() { Outcome::Clean } else { Outcome::Warnings };
            (o, None, warnings)
        }
        Ok(Err(e @ ImportError::Limit { timed_out: true, .. })) => {
            (Outcome::TimedOut, Some(strip(e.to_string())), Vec::new())
        }
        Ok(Err(e)) => (Outcome::Failed, Some(strip(e.to_string())), Vec::new()),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panic".into());
            (Outcome::Panicked, Some(msg), Vec::new())
        }
    };
    RecipeOutcome { path: rel.to_path_buf(), outcome, elapsed, error, warnings }
}

/// Every `build_tarballs.jl` below `dir` (relative to `root`), not following symlinks.
fn collect_recipes(
    root: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
    depth: usize,
) -> std::io::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let p = entry.path();
        if ty.is_dir() {
            if entry.file_name() != ".git" {
                collect_recipes(root, &p, out, depth + 1)?;
            }
        } else if ty.is_file() && entry.file_name() == "build_tarballs.jl" {
            out.push(p.strip_prefix(root).unwrap_or(&p).to_path_buf());
        }
    }
    Ok(())
}

/// Unpacks the regular `.jl` files (and `LICENSE`-like files are skipped) of a `.tar` or
/// `.tar.xz` into `dest`, refusing unsafe paths and bounding entries and bytes.
fn unpack_jl_files(tarball: &Path, dest: &Path) -> Result<(), CorpusError> {
    let bad = |message: String| CorpusError::Tarball { path: tarball.to_owned(), message };
    let file = std::fs::File::open(tarball)
        .map_err(|source| CorpusError::Io { path: tarball.to_owned(), source })?;
    let reader: Box<dyn std::io::Read> =
        if tarball.extension().is_some_and(|e| e == "xz" || e == "txz") {
            Box::new(liblzma::read::XzDecoder::new(std::io::BufReader::new(file)))
        } else {
            Box::new(std::io::BufReader::new(file))
        };
    let mut archive = tar::Archive::new(reader);
    let (mut entries, mut bytes) = (0usize, 0u64);
    for entry in archive.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        entries += 1;
        if entries > MAX_TARBALL_ENTRIES {
            return Err(bad(format!("more than {MAX_TARBALL_ENTRIES} entries")));
        }
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        if path.extension().is_none_or(|e| e != "jl") {
            continue;
        }
        if !path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(bad(format!("unsafe member name {}", path.display())));
        }
        bytes += entry.size();
        if bytes > MAX_TARBALL_BYTES {
            return Err(bad(format!("more than {MAX_TARBALL_BYTES} bytes of .jl files")));
        }
        let target = dest.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| bad(e.to_string()))?;
        }
        let mut data = Vec::with_capacity(entry.size().min(1 << 20) as usize);
        entry.read_to_end(&mut data).map_err(|e| bad(e.to_string()))?;
        std::fs::write(&target, data).map_err(|e| bad(format!("{}: {e}", target.display())))?;
    }
    Ok(())
}

impl CorpusReport {
    /// Recipes with the given outcome.
    pub fn count(&self, o: Outcome) -> usize {
        self.recipes.iter().filter(|r| r.outcome == o).count()
    }

    /// Share of recipes that imported (0.0 to 1.0).
    pub fn coverage(&self) -> f64 {
        let ok = self.recipes.iter().filter(|r| r.outcome.imported()).count();
        ok as f64 / self.recipes.len().max(1) as f64
    }

    /// The coverage table: counts by outcome, the most frequent errors and warnings (by
    /// construct kind), and the slowest recipes.
    pub fn render(&self, top: usize) -> String {
        let n = self.recipes.len();
        let mut s = String::new();
        let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
        let _ = writeln!(s, "{n} recipes in {:.2} s", self.elapsed.as_secs_f64());
        let _ = writeln!(s);
        let _ = writeln!(s, "{:<24} {:>6} {:>7}", "outcome", "count", "share");
        for o in [
            Outcome::Clean,
            Outcome::Warnings,
            Outcome::Failed,
            Outcome::TimedOut,
            Outcome::Panicked,
        ] {
            let k = self.count(o);
            let _ = writeln!(s, "{:<24} {k:>6} {:>6.1}%", o.label(), pct(k));
        }
        let ok = self.recipes.iter().filter(|r| r.outcome.imported()).count();
        let _ = writeln!(s, "{:<24} {ok:>6} {:>6.1}%", "imported (exit 0)", pct(ok));
        let errors = tally(self.recipes.iter().filter_map(|r| r.error.as_deref()).map(error_kind));
        section(&mut s, "most frequent errors", &errors, top);
        let mut per_recipe = Vec::new();
        for r in &self.recipes {
            let mut kinds: Vec<String> = r.warnings.iter().map(|w| warning_kind(w)).collect();
            kinds.sort();
            kinds.dedup();
            per_recipe.extend(kinds);
        }
        let warnings = tally(per_recipe.into_iter());
        section(&mut s, "most frequent warnings (recipes)", &warnings, top);
        let mut slow: Vec<&RecipeOutcome> = self.recipes.iter().collect();
        slow.sort_by_key(|r| std::cmp::Reverse(r.elapsed));
        let _ = writeln!(s);
        let _ = writeln!(s, "slowest recipes");
        for r in slow.into_iter().take(top) {
            let _ = writeln!(
                s,
                "  {:>8.1} ms  {}  ({})",
                r.elapsed.as_secs_f64() * 1000.0,
                r.path.display(),
                r.outcome.label()
            );
        }
        s
    }
}

fn section(s: &mut String, title: &str, counts: &[(String, usize)], top: usize) {
    let _ = writeln!(s);
    let _ = writeln!(s, "{title}");
    if counts.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for (k, c) in counts.iter().take(top) {
        let _ = writeln!(s, "  {c:>6}  {k}");
    }
}

fn tally(items: impl Iterator<Item = String>) -> Vec<(String, usize)> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for k in items {
        *m.entry(k).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// An error without its position: `FILE:L:C: syntax error: msg` → `syntax error: msg`.
fn error_kind(e: &str) -> String {
    let mut rest = e;
    // Drop `path:line:column: ` when present.
    let parts: Vec<&str> = e.splitn(4, ':').collect();
    if parts.len() == 4
        && parts[1].trim().parse::<u64>().is_ok()
        && parts[2].trim().parse::<u64>().is_ok()
    {
        rest = parts[3].trim_start();
    }
    generalize(rest)
}

/// A warning's message (without the construct it was found in).
fn warning_kind(w: &str) -> String {
    let msg = w.rsplit_once(" (in `").map_or(w, |(m, _)| m);
    generalize(msg)
}

/// Replaces quoted strings and numbers, so that messages about the same construct group.
fn generalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for d in chars.by_ref() {
                    if d == '"' {
                        break;
                    }
                }
                out.push_str("\"…\"");
            }
            d if d.is_ascii_digit() => {
                while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                    chars.next();
                }
                out.push('N');
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_group_without_position_and_literals() {
        assert_eq!(
            error_kind("A/b.jl:12:3: syntax error: unexpected \"x\" after 3 items"),
            "syntax error: unexpected \"…\" after N items"
        );
        assert_eq!(warning_kind("unknown `f` (in `f(1)`)"), "unknown `f`");
    }

    #[test]
    fn a_directory_corpus_is_tallied() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            "A/Good/build_tarballs.jl",
            "name = \"Good\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"true\"\nplatforms = supported_platforms()\nproducts = []\ndependencies = []\nbuild_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)\n",
        );
        write("B/Bad/build_tarballs.jl", "name = (\n");
        let r = run_corpus(dir.path(), &CorpusOptions::default()).unwrap();
        assert_eq!(r.recipes.len(), 2);
        assert_eq!(r.count(Outcome::Clean), 1);
        assert_eq!(r.count(Outcome::Failed), 1);
        assert!((r.coverage() - 0.5).abs() < 1e-9);
        let table = r.render(5);
        let line = table.lines().find(|l| l.starts_with("imported (exit 0)")).unwrap();
        assert!(line.ends_with(" 1   50.0%"), "{table}");
        assert!(table.contains("syntax error"), "{table}");
    }
}
