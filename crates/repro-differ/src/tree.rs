//! Tree-level comparison: pair entries, classify each path, and examine only differing files
//! (in parallel).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use rayon::prelude::*;
use repro_artifact::{Budget, Cancel, Entry, EntryKind, ScanOptions, Tree, scan_dir};
use repro_events::{Event, Sink};
use repro_normalizer::{EMPTY_DIRECTORIES, Normalizer};
use repro_report::{
    CauseKind, Confidence, Detail, EntryType, Evidence, FileReport, Report, Status, Truncation,
};

use crate::content::{self, Ctx};
use crate::hints::Causes;
use crate::tarmeta::{self, TarHeader};
use crate::{CompareOptions, Error, binary, detect};

/// Scan and hash both trees concurrently.
pub fn scan_pair(a: &Path, b: &Path) -> Result<(Tree, Tree), Error> {
    scan_pair_cancellable(a, b, &Cancel::never())
}

/// [`scan_pair`] that stops (with a scan error whose source is
/// `repro_artifact::Error::Cancelled`) once `cancel` fires.
pub fn scan_pair_cancellable(a: &Path, b: &Path, cancel: &Cancel) -> Result<(Tree, Tree), Error> {
    let opts = ScanOptions { cancel: cancel.clone(), ..ScanOptions::default() };
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| scan_dir(a, &opts));
        let rb = scan_dir(b, &opts);
        (ha.join().expect("scan thread panicked"), rb)
    });
    let ta = ra.map_err(|source| Error::Scan { side: "a", source })?;
    let tb = rb.map_err(|source| Error::Scan { side: "b", source })?;
    Ok((ta, tb))
}

fn entry_type(k: &EntryKind) -> EntryType {
    match k {
        EntryKind::File { .. } => EntryType::File,
        EntryKind::Dir => EntryType::Directory,
        EntryKind::Symlink { .. } => EntryType::Symlink,
    }
}

/// Entries of `t` left after the drop rules and (when normalizing) empty directories.
fn filtered<'t>(t: &'t Tree, n: &Normalizer, sink: &Sink) -> BTreeMap<&'t str, &'t Entry> {
    let mut out = BTreeMap::new();
    for (p, e) in &t.entries {
        if p.is_empty() || p == "." {
            continue;
        }
        if let Some(rule) = n.dropped_by(p) {
            n.record(rule, p);
            sink.emit(Event::Normalized { rule: rule.to_owned(), path: p.clone() });
            continue;
        }
        out.insert(p.as_str(), e);
    }
    if n.ignores_empty_directories() {
        let empty = repro_normalizer::empty_directories(
            out.iter().map(|(p, e)| (*p, matches!(e.kind, EntryKind::Dir))),
        );
        for d in empty {
            out.remove(d.as_str());
            n.record(EMPTY_DIRECTORIES, &d);
            sink.emit(Event::Normalized { rule: EMPTY_DIRECTORIES.to_owned(), path: d });
        }
    }
    out
}

fn base_report(path: &str, status: Status, a: Option<&Entry>, b: Option<&Entry>) -> FileReport {
    let kind = entry_type(&a.or(b).expect("one side present").kind);
    let mut f = FileReport::new(path, status, kind);
    if let (Some(_), Some(b)) = (a, b) {
        let kb = entry_type(&b.kind);
        if kb != kind {
            f.kind_b = Some(kb);
        }
    }
    for (e, side_a) in [(a, true), (b, false)] {
        let Some(e) = e else { continue };
        match &e.kind {
            EntryKind::File { size, executable } => {
                let sha = e.sha256.map(|s| s.to_hex());
                if side_a {
                    (f.size_a, f.sha256_a, f.executable_a) = (Some(*size), sha, Some(*executable));
                } else {
                    (f.size_b, f.sha256_b, f.executable_b) = (Some(*size), sha, Some(*executable));
                }
            }
            EntryKind::Symlink { target } => {
                if side_a {
                    f.target_a = Some(target.clone());
                } else {
                    f.target_b = Some(target.clone());
                }
            }
            EntryKind::Dir => {}
        }
    }
    f
}

/// Compare two scanned trees. `tar_headers`: the header lists of the two tarballs the trees
/// were unpacked from (their metadata differences are accounted under `tar-metadata`, or
/// reported when not normalizing).
pub fn compare_trees(
    a: &Tree,
    b: &Tree,
    normalizer: &Normalizer,
    opts: &CompareOptions,
    tar_headers: Option<(&[TarHeader], &[TarHeader])>,
    sink: &Sink,
) -> Report {
    let ea = filtered(a, normalizer, sink);
    let eb = filtered(b, normalizer, sink);
    let keys: BTreeSet<&str> = ea.keys().chain(eb.keys()).copied().collect();

    let mut report = Report::new();
    let mut files: Vec<FileReport> = Vec::new();
    // (index into files) of regular files whose bytes differ and need a content comparison.
    let mut deep: Vec<usize> = Vec::new();
    let mut identical = 0u64;
    let max_files = opts.limits.max_reported_files;
    for path in keys {
        let (x, y) = (ea.get(path).copied(), eb.get(path).copied());
        let status = match (x, y) {
            (Some(_), None) => Status::OnlyInA,
            (None, Some(_)) => Status::OnlyInB,
            (Some(x), Some(y)) => match (&x.kind, &y.kind) {
                (
                    EntryKind::File { executable: xa, .. },
                    EntryKind::File { executable: xb, .. },
                ) => {
                    if x.sha256 != y.sha256 || x.sha256.is_none() {
                        Status::Differs
                    } else if xa != xb {
                        Status::ModeChanged
                    } else {
                        Status::Identical
                    }
                }
                (EntryKind::Dir, EntryKind::Dir) => Status::Identical,
                (EntryKind::Symlink { target: ta }, EntryKind::Symlink { target: tb }) => {
                    if ta == tb { Status::Identical } else { Status::SymlinkChanged }
                }
                _ => Status::TypeChanged,
            },
            (None, None) => unreachable!("key from one of the maps"),
        };
        if status == Status::Identical {
            identical += 1;
            continue;
        }
        let rules = normalizer.benign_by(path);
        if files.len() >= max_files {
            // Counted, not listed (the summary stays exact; `finish` notes the cap).
            for r in &rules {
                normalizer.record(r, path);
            }
            report.omitted.add(if rules.is_empty() { status } else { Status::Normalized });
            continue;
        }
        let mut f = base_report(path, status, x, y);
        if !rules.is_empty() {
            for r in &rules {
                normalizer.record(r, path);
                sink.emit(Event::Normalized { rule: r.clone(), path: path.to_owned() });
            }
            f.rules = rules;
            f.status = Status::Normalized;
        } else if status == Status::Differs {
            deep.push(files.len());
        } else if status == Status::ModeChanged {
            f.causes.push(repro_report::Cause {
                cause: CauseKind::Umask,
                confidence: Some(Confidence::Low),
                evidence: Evidence {
                    text: Some(format!("owner-x {}", f.executable_a.unwrap_or(false))),
                    text_b: Some(format!("owner-x {}", f.executable_b.unwrap_or(false))),
                    ..Evidence::default()
                },
                variation: None,
            });
        }
        files.push(f);
    }

    // Content comparison of differing files, in parallel, within one budget.
    let budget = opts.budget.clone().unwrap_or_else(|| Arc::new(opts.limits.budget()));
    let decompressed = AtomicU64::new(0);
    // A cancelled run compares nothing more (its caller discards the report).
    let results: Vec<(usize, FileResult)> = deep
        .par_iter()
        .filter(|_| !budget.is_cancelled())
        .map(|&i| {
            let p = &files[i].path;
            (i, compare_file_pair(&a.abs_path(p), &b.abs_path(p), opts, &budget, &decompressed))
        })
        .collect();
    for (i, r) in results {
        apply_result(&mut files[i], r, &mut report.truncated);
    }

    if let Some((ha, hb)) = tar_headers {
        tarmeta::apply(ha, hb, &ea, &eb, normalizer, &mut files, &mut identical, sink);
    }

    for f in &files {
        sink.emit(Event::FileCompared { path: f.path.clone(), status: f.status.to_string() });
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    report.files = files;
    report.summary.identical = identical;
    finish(&mut report, normalizer, opts);
    report
}

/// Normalization accounting, listed-path and report size bounds, verdict.
pub(crate) fn finish(report: &mut Report, normalizer: &Normalizer, opts: &CompareOptions) {
    let max_files = opts.limits.max_reported_files;
    if report.files.len() > max_files {
        // Tar header differences can add paths after the first cut.
        for f in report.files.drain(max_files..) {
            report.omitted.add(f.status);
        }
    }
    let omitted = report.omitted.total_listed();
    if omitted > 0 {
        report.truncated.push(Truncation {
            path: None,
            limit: "max_reported_files".into(),
            message: format!(
                "{omitted} more paths are not identical but not listed (at most {max_files} are); the summary counts them all"
            ),
        });
    }
    let (norms, notes) = normalizer.normalizations(opts.limits.max_rule_paths);
    report.normalizations = norms;
    report.truncated.extend(notes);
    let mut used = 0usize;
    let mut cut = 0usize;
    for f in &mut report.files {
        let size = 256 + f.details.iter().map(Detail::approx_size).sum::<usize>();
        if used + size > opts.limits.max_report_bytes && !f.details.is_empty() {
            f.details.clear();
            cut += 1;
        } else {
            used += size;
        }
    }
    if cut > 0 {
        report.truncated.push(Truncation {
            path: None,
            limit: "max_report_bytes".into(),
            message: format!(
                "report detail budget of {} bytes exhausted: details of {cut} files left out (statuses and causes kept)",
                opts.limits.max_report_bytes
            ),
        });
    }
    report.finalize();
}

pub(crate) struct FileResult {
    format: String,
    details: Vec<Detail>,
    causes: Vec<repro_report::Cause>,
    truncated: Vec<(String, String)>,
    error: Option<String>,
}

fn apply_result(f: &mut FileReport, r: FileResult, truncated: &mut Vec<Truncation>) {
    f.format = Some(r.format);
    f.details = r.details;
    f.causes.extend(r.causes);
    f.error = r.error;
    for (limit, message) in r.truncated {
        truncated.push(Truncation { path: Some(f.path.clone()), limit, message });
    }
}

/// Reserve `n` bytes of the run's memory, waiting while other comparisons hold it; `None`
/// when `n` alone exceeds the budget.
fn reserve_waiting(budget: &Budget, n: u64) -> Option<repro_artifact::MemoryGuard<'_>> {
    if n > budget.limits().max_memory {
        return None;
    }
    loop {
        if let Some(g) = budget.reserve(n) {
            return Some(g);
        }
        if budget.is_cancelled() {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Compare the contents of two regular files known to differ.
pub(crate) fn compare_file_pair(
    pa: &Path,
    pb: &Path,
    opts: &CompareOptions,
    budget: &Budget,
    decompressed: &AtomicU64,
) -> FileResult {
    let limits = &opts.limits;
    let mut ctx = Ctx::new(limits, &opts.hints, budget, decompressed);
    ctx.date_window = opts.date_window;
    let size = |p: &Path| fs::metadata(p).map(|m| m.len());
    let sizes = (size(pa), size(pb));
    let memory = match &sizes {
        (Ok(sa), Ok(sb)) if (*sa).max(*sb) <= limits.max_in_memory_bytes => {
            reserve_waiting(budget, sa + sb)
        }
        _ => None,
    };
    let outcome = match sizes {
        (Ok(sa), Ok(sb)) if sa.max(sb) <= limits.max_in_memory_bytes && memory.is_some() => {
            match (fs::read(pa), fs::read(pb)) {
                (Ok(a), Ok(b)) => Ok(content::compare(&ctx, &a, &b, 0, None)),
                (Err(e), _) => Err(format!("cannot read {}: {e}", pa.display())),
                (_, Err(e)) => Err(format!("cannot read {}: {e}", pb.display())),
            }
        }
        (Ok(sa), Ok(sb)) => {
            if sa.max(sb) <= limits.max_in_memory_bytes {
                ctx.truncate(
                    "max_memory_bytes",
                    format!(
                        "the two files together exceed the memory budget of {} bytes: compared as a binary stream",
                        limits.max_memory_bytes
                    ),
                );
            } else {
                ctx.truncate(
                    "max_in_memory_bytes",
                    format!(
                        "file larger than {} bytes: compared as a binary stream",
                        limits.max_in_memory_bytes
                    ),
                );
            }
            let head = |p: &Path| -> Vec<u8> {
                use std::io::Read;
                let mut v = Vec::new();
                if let Ok(f) = fs::File::open(p) {
                    let _ = f.take(8192).read_to_end(&mut v);
                }
                v
            };
            let fmt = detect::detect(&head(pa)).name();
            binary::compare_files(&ctx, pa, pb)
                .map(|mut o| {
                    o.format = fmt.to_owned();
                    o
                })
                .map_err(|e| format!("cannot read {} or {}: {e}", pa.display(), pb.display()))
        }
        (Err(e), _) => Err(format!("cannot stat {}: {e}", pa.display())),
        (_, Err(e)) => Err(format!("cannot stat {}: {e}", pb.display())),
    };
    let (format, details, causes, mut errors) = match outcome {
        Ok(o) => {
            let causes = finish_causes(o.causes, limits.max_causes);
            (o.format, o.details, causes, ctx.errors.take())
        }
        Err(e) => ("unknown".to_owned(), Vec::new(), Vec::new(), vec![e]),
    };
    let error = if errors.is_empty() {
        None
    } else {
        let first = errors.remove(0);
        Some(if errors.is_empty() { first } else { format!("{first} (and {} more)", errors.len()) })
    };
    FileResult { format, details, causes, truncated: ctx.truncated.take(), error }
}

fn finish_causes(c: Causes, max: usize) -> Vec<repro_report::Cause> {
    c.into_vec(max)
}

/// Compare two single files (not trees); `name` is the path shown in the report.
pub fn compare_single_files(
    pa: &Path,
    pb: &Path,
    name: &str,
    normalizer: &Normalizer,
    opts: &CompareOptions,
    sink: &Sink,
) -> Result<Report, Error> {
    let read_meta =
        |p: &Path| fs::metadata(p).map_err(|source| Error::Io { path: p.to_owned(), source });
    let (ma, mb) = (read_meta(pa)?, read_meta(pb)?);
    let hash = |p: &Path| {
        repro_artifact::sha256_file(p).map_err(|source| Error::Scan { side: "input", source })
    };
    let (ha, hb) = std::thread::scope(|s| {
        let t = s.spawn(|| hash(pa));
        (t.join().expect("hash thread panicked"), hash(pb))
    });
    let (ha, hb) = (ha?, hb?);
    use std::os::unix::fs::PermissionsExt;
    let xa = ma.permissions().mode() & 0o100 != 0;
    let xb = mb.permissions().mode() & 0o100 != 0;
    let ea = Entry {
        path: name.to_owned(),
        kind: EntryKind::File { size: ma.len(), executable: xa },
        sha256: Some(ha),
    };
    let eb = Entry {
        path: name.to_owned(),
        kind: EntryKind::File { size: mb.len(), executable: xb },
        sha256: Some(hb),
    };
    let mut report = Report::new();
    let status = if ha != hb {
        Status::Differs
    } else if xa != xb {
        Status::ModeChanged
    } else {
        Status::Identical
    };
    if status == Status::Identical {
        report.summary.identical = 1;
    } else {
        let mut f = base_report(name, status, Some(&ea), Some(&eb));
        let rules = normalizer.benign_by(name);
        if !rules.is_empty() {
            for r in &rules {
                normalizer.record(r, name);
            }
            f.rules = rules;
            f.status = Status::Normalized;
        } else if status == Status::Differs {
            let budget = opts.budget.clone().unwrap_or_else(|| Arc::new(opts.limits.budget()));
            let r = compare_file_pair(pa, pb, opts, &budget, &AtomicU64::new(0));
            apply_result(&mut f, r, &mut report.truncated);
        }
        sink.emit(Event::FileCompared { path: f.path.clone(), status: f.status.to_string() });
        report.files.push(f);
    }
    finish(&mut report, normalizer, opts);
    Ok(report)
}
