//! `diff`: compare two artifacts (directories, tarballs or single files) into a [`Report`].
//!
//! Tarballs are unpacked safely (`repro_artifact::unpack_tarball_with`) into temporary
//! directories and compared as trees; their tar headers are collected in the same pass (one
//! bounded reader, no second read of the stream), so that header differences (mtime, owners,
//! modes, member order) are accounted under the `tar-metadata` rule, or shown with
//! `normalize: false`, and device nodes and FIFOs are compared as metadata without being
//! created. Both unpacks and every comparison of a run share one `repro_artifact::Budget`,
//! which carries the caller's cancellation: a cancelled comparison stops between two reads of
//! an unpack, a scan or a comparison and returns [`Error::Cancelled`]; the temporary
//! directories are owned by guards and removed on every path.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use repro_artifact::{Budget, Cancel, DEFAULT_MAX_IN_MEMORY, SpillDir, TarTree, UnpackLimits};
use repro_differ::{CompareOptions, TarHeaders};
use repro_events::{Event, Level, Sink};
use repro_normalizer::{NormalizeOptions, Normalizer};
use repro_recipe::IgnoreRule;
use repro_report::{Input, Inputs, Report};
use tokio_util::sync::CancellationToken;

pub use repro_differ::DiffLimits;

/// Options of a comparison.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Apply the default and user normalization rules (false: raw comparison).
    pub normalize: bool,
    /// Rules from a recipe's `[normalize]`.
    pub user_rules: Vec<IgnoreRule>,
    /// `--ignore GLOB` patterns.
    pub ignore_globs: Vec<String>,
    /// `(variation, value)` pairs to look for in differing regions.
    pub hints: Vec<(String, String)>,
    /// Epochs plausible for the builds compared (see `repro_differ::CompareOptions`).
    pub date_window: Option<(i64, i64)>,
    pub limits: DiffLimits,
    /// The run's cancellation (the CLI cancels it on SIGINT, SIGTERM and SIGHUP).
    pub cancel: CancellationToken,
    /// Read two tarballs without unpacking them, writing out only the files compared in
    /// detail (`repro_artifact::scan_tarball`); archives that need unpacking to be compared as
    /// installed (hardlinks, members replacing others, ...) are unpacked anyway. `false`:
    /// always unpack (`--unpack`).
    pub tarballs_in_stream: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            normalize: true,
            user_rules: Vec::new(),
            ignore_globs: Vec::new(),
            hints: Vec::new(),
            date_window: None,
            limits: DiffLimits::default(),
            cancel: CancellationToken::new(),
            tarballs_in_stream: true,
        }
    }
}

/// Why a comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Rules(#[from] repro_normalizer::Error),
    #[error(transparent)]
    Differ(#[from] repro_differ::Error),
    /// A tarball input could not be read or unpacked safely.
    #[error("cannot unpack {}: {source}", path.display())]
    Unpack {
        path: PathBuf,
        #[source]
        source: repro_artifact::Error,
    },
    /// An input is missing or of an unsupported kind.
    #[error("{}: {reason}", path.display())]
    Input { path: PathBuf, reason: String },
    /// A temporary directory could not be created.
    #[error("cannot create a temporary directory: {0}")]
    Temp(#[source] std::io::Error),
    /// The comparison was cancelled; its temporary directories are removed.
    #[error("comparison cancelled")]
    Cancelled,
}

impl Error {
    /// True when the comparison stopped because it was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Directory,
    Tarball,
    File,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Directory => "directory",
            Kind::Tarball => "tarball",
            Kind::File => "file",
        }
    }
}

/// A tar stream (possibly compressed): the decompressed stream has a tar header checksum or
/// ustar magic in its first block.
fn is_tarball(path: &Path) -> bool {
    let Ok(r) = repro_artifact::open_decompressed(path) else { return false };
    let mut head = Vec::with_capacity(512);
    if r.take(512).read_to_end(&mut head).is_err() || head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    let digits: String =
        head[148..156].iter().filter(|c| c.is_ascii_digit()).map(|&c| c as char).collect();
    let want = u32::from_str_radix(&digits, 8).ok();
    let sum: u32 = head
        .iter()
        .enumerate()
        .map(|(i, &c)| if (148..156).contains(&i) { 32 } else { u32::from(c) })
        .sum();
    head[0] != 0 && want == Some(sum)
}

fn kind_of(path: &Path) -> Result<Kind, Error> {
    let m = fs::metadata(path)
        .map_err(|e| Error::Input { path: path.to_owned(), reason: format!("cannot read: {e}") })?;
    if m.is_dir() {
        Ok(Kind::Directory)
    } else if m.is_file() {
        Ok(if is_tarball(path) { Kind::Tarball } else { Kind::File })
    } else {
        Err(Error::Input {
            path: path.to_owned(),
            reason: "not a directory, tarball or regular file".into(),
        })
    }
}

fn normalizer(opts: &DiffOptions) -> Result<Normalizer, Error> {
    Ok(Normalizer::new(&NormalizeOptions {
        enabled: opts.normalize,
        user_rules: opts.user_rules.clone(),
        ignore_globs: opts.ignore_globs.clone(),
    })?
    .with_max_listed(opts.limits.max_rule_paths))
}

/// The run's budget, checked against `opts.cancel` by every reader.
fn run_budget(opts: &DiffOptions) -> Arc<Budget> {
    let token = opts.cancel.clone();
    Arc::new(opts.limits.budget().with_cancel(Cancel::new(move || token.is_cancelled())))
}

/// `Err(Cancelled)` once the run is cancelled (whatever error a phase reported meanwhile).
fn check_cancelled(budget: &Budget) -> Result<(), Error> {
    if budget.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
}

fn compare_options(opts: &DiffOptions, budget: Arc<Budget>) -> CompareOptions {
    CompareOptions {
        limits: opts.limits.clone(),
        hints: opts.hints.clone(),
        date_window: opts.date_window,
        budget: Some(budget),
    }
}

/// Compare two already-unpacked trees (e.g. two build prefixes).
pub fn diff_trees(
    a_dir: &Path,
    b_dir: &Path,
    opts: &DiffOptions,
    sink: Sink,
) -> Result<Report, Error> {
    let n = normalizer(opts)?;
    let budget = run_budget(opts);
    let spill = spill_dir()?;
    let scanned = repro_differ::scan_pair_with(a_dir, b_dir, &n, budget.cancel(), &spill.1);
    check_cancelled(&budget)?;
    let (ta, tb) = scanned?;
    let copts = compare_options(opts, budget.clone());
    let mut report = repro_differ::compare_trees(ta, tb, &n, &copts, None, &sink)?;
    check_cancelled(&budget)?;
    report.inputs = Some(Inputs {
        a: Input { path: a_dir.display().to_string(), kind: "directory".into(), sha256: None },
        b: Input { path: b_dir.display().to_string(), kind: "directory".into(), sha256: None },
    });
    Ok(report)
}

fn unpack_limits(opts: &DiffOptions) -> UnpackLimits {
    UnpackLimits {
        max_total_bytes: opts.limits.max_total_bytes,
        max_entries: opts.limits.max_total_entries,
        skip_special_files: true,
        ..UnpackLimits::default()
    }
}

/// The run's directory for the sorted runs of large trees and header lists (removed when
/// dropped, or by `repro gc` after a kill; nothing is written there for small inputs).
fn spill_dir() -> Result<(tempfile::TempDir, SpillDir), Error> {
    let dir = tempfile::Builder::new()
        .prefix(&repro_sandbox::gc::temp_prefix("spill"))
        .tempdir()
        .map_err(Error::Temp)?;
    let spill = SpillDir::new(Some(dir.path().to_owned()));
    Ok((dir, spill))
}

/// A fresh temporary directory a tarball is unpacked or extracted into.
fn diff_dir() -> Result<tempfile::TempDir, Error> {
    tempfile::Builder::new()
        .prefix(&repro_sandbox::gc::temp_prefix("diff"))
        .tempdir()
        .map_err(Error::Temp)
}

/// Unpack a tarball into a fresh temporary directory, collecting its headers in the same pass.
fn unpack(
    path: &Path,
    opts: &DiffOptions,
    budget: &Budget,
    spill: &SpillDir,
) -> Result<(tempfile::TempDir, TarHeaders), Error> {
    let dir = diff_dir()?;
    let mut headers = TarHeaders::with_spill(spill.clone(), DEFAULT_MAX_IN_MEMORY);
    repro_artifact::unpack_tarball_with(path, dir.path(), &unpack_limits(opts), budget, |m| {
        headers.push(m);
    })
    .map_err(|source| Error::Unpack { path: path.to_owned(), source })?;
    Ok((dir, headers))
}

/// Compare two inputs of which at least one is a directory or a tarball to unpack: tarballs are
/// unpacked (concurrently, headers collected in the same pass), then both trees scanned.
fn compare_unpacked(
    a: &Path,
    b: &Path,
    (ka, kb): (Kind, Kind),
    opts: &DiffOptions,
    n: &Normalizer,
    budget: &Arc<Budget>,
    sink: &Sink,
) -> Result<Report, Error> {
    let copts = compare_options(opts, budget.clone());
    // Unpack tarball sides concurrently.
    let (_spill_guard, spill) = spill_dir()?;
    let (ua, ub) = std::thread::scope(|s| {
        let ha =
            s.spawn(|| (ka == Kind::Tarball).then(|| unpack(a, opts, budget, &spill)).transpose());
        let ub = (kb == Kind::Tarball).then(|| unpack(b, opts, budget, &spill)).transpose();
        (ha.join().expect("unpack thread panicked"), ub)
    });
    // Both guards are held here: whichever side failed or was cancelled, the other
    // side's directory is removed when its guard drops.
    check_cancelled(budget)?;
    // The unpacked directories (guards) stay until the comparison is done.
    let ((ga, ha), (gb, hb)) = (ua?.unzip(), ub?.unzip());
    let da = ga.as_ref().map_or(a, |d| d.path());
    let db = gb.as_ref().map_or(b, |d| d.path());
    let scanned = repro_differ::scan_pair_with(da, db, n, budget.cancel(), &spill);
    check_cancelled(budget)?;
    let (ta, tb) = scanned?;
    Ok(repro_differ::compare_trees(ta, tb, n, &copts, ha.zip(hb), sink)?)
}

/// Two tarballs read without unpacking them: each is hashed member by member as it streams
/// by (`repro_artifact::scan_tarball`), and only the files whose bytes differ, at most
/// `max_reported_files`, are written out for the detailed comparison. `None` when one of them
/// needs unpacking to be compared as installed (a note says why).
fn in_stream(
    a: &Path,
    b: &Path,
    opts: &DiffOptions,
    n: &Normalizer,
    budget: &Arc<Budget>,
    sink: &Sink,
) -> Result<Option<Report>, Error> {
    let (_spill_guard, spill) = spill_dir()?;
    let (da, db) = (diff_dir()?, diff_dir()?);
    let scan = repro_differ::scan_options(n, budget.cancel(), &spill);
    let limits = unpack_limits(opts);
    let read = |p: &Path, root: &Path| -> Result<(TarTree, TarHeaders), Error> {
        let mut h = TarHeaders::with_spill(spill.clone(), DEFAULT_MAX_IN_MEMORY);
        let t = repro_artifact::scan_tarball(p, root, &limits, budget, &scan, |m| h.push(m))
            .map_err(|source| Error::Unpack { path: p.to_owned(), source })?;
        Ok((t, h))
    };
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| read(a, da.path()));
        let rb = read(b, db.path());
        (ha.join().expect("tarball read thread panicked"), rb)
    });
    check_cancelled(budget)?;
    let ((ta, ha), (tb, hb)) = (ra?, rb?);
    let (ta, tb) = match (ta, tb) {
        (TarTree::Tree(x), TarTree::Tree(y)) => (x, y),
        (TarTree::Unpack(why), _) | (_, TarTree::Unpack(why)) => {
            sink.emit(Event::Note {
                level: Level::Info,
                message: format!("unpacking the tarballs to compare them: {why}"),
            });
            return Ok(None);
        }
    };
    // The bytes were charged to the run's budget by the first read.
    let again = Budget::unlimited().with_cancel(budget.cancel().clone());
    let materialize = |paths: &[&str]| -> Result<(), repro_differ::Error> {
        let only: HashSet<Vec<u8>> = paths.iter().map(|p| p.as_bytes().to_vec()).collect();
        let extract = |p: &Path, d: &Path| {
            repro_artifact::extract_files(p, d, &limits, &again, &only)
                .map(drop)
                .map_err(|source| repro_differ::Error::Extract { path: p.to_owned(), source })
        };
        let (x, y) = std::thread::scope(|s| {
            let hx = s.spawn(|| extract(a, da.path()));
            let y = extract(b, db.path());
            (hx.join().expect("extract thread panicked"), y)
        });
        x.and(y)
    };
    let copts = compare_options(opts, budget.clone());
    let report = repro_differ::compare_trees_with(
        ta,
        tb,
        n,
        &copts,
        Some((ha, hb)),
        sink,
        Some(&materialize),
    )?;
    check_cancelled(budget)?;
    Ok(Some(report))
}

/// Compare two inputs: two directories, two tarballs (`.tar`, `.tar.gz`, `.tar.zst`, `.tar.xz`,
/// `.tar.bz2`, detected by content), a tarball and a directory, or two single files.
pub fn diff_paths(a: &Path, b: &Path, opts: &DiffOptions, sink: Sink) -> Result<Report, Error> {
    let (ka, kb) = (kind_of(a)?, kind_of(b)?);
    let n = normalizer(opts)?;
    let budget = run_budget(opts);
    let copts = compare_options(opts, budget.clone());
    let sha = |p: &Path, k: Kind| {
        if k == Kind::Directory {
            None
        } else {
            repro_artifact::sha256_file(p).ok().map(|s| s.to_hex())
        }
    };
    let inputs = Inputs {
        a: Input { path: a.display().to_string(), kind: ka.name().into(), sha256: sha(a, ka) },
        b: Input { path: b.display().to_string(), kind: kb.name().into(), sha256: sha(b, kb) },
    };
    let mut report = match (ka, kb) {
        (Kind::File, Kind::File) => {
            let name = a
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "file".into());
            repro_differ::compare_single_files(a, b, &name, &n, &copts, &sink)?
        }
        (Kind::File, _) | (_, Kind::File) => {
            return Err(Error::Input {
                path: if ka == Kind::File { a.to_owned() } else { b.to_owned() },
                reason: format!(
                    "cannot compare a {} with a {}: give two directories, two tarballs or two files",
                    ka.name(),
                    kb.name()
                ),
            });
        }
        _ => {
            let both = ka == Kind::Tarball && kb == Kind::Tarball && opts.tarballs_in_stream;
            match both.then(|| in_stream(a, b, opts, &n, &budget, &sink)).transpose()?.flatten() {
                Some(report) => report,
                None => {
                    // What the stream read charged is not charged twice.
                    let budget = if both { run_budget(opts) } else { budget.clone() };
                    let report = compare_unpacked(a, b, (ka, kb), opts, &n, &budget, &sink)?;
                    check_cancelled(&budget)?;
                    report
                }
            }
        }
    };
    check_cancelled(&budget)?;
    report.inputs = Some(inputs);
    Ok(report)
}
