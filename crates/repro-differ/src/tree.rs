//! Tree-level comparison: pair entries, classify each path, and examine only differing files
//! (in parallel).

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use rayon::prelude::*;
use repro_artifact::{
    Budget, Cancel, ContentFilter, Entry, EntryKind, ScanOptions, SpillDir, SpoolReader, Tree,
    TreeCursor, scan_dir,
};
use repro_events::{Event, Sink};
use repro_normalizer::{EMPTY_DIRECTORIES, Normalizer, TAR_METADATA};
use repro_report::{
    CauseKind, Confidence, Detail, EntryType, Evidence, FileReport, Report, Status, Truncation,
};

use crate::content::{self, Ctx};
use crate::hints::Causes;
use crate::tarmeta::{self, TarHeaders};
use crate::{CompareOptions, Error, binary, detect};

/// Scan and hash both trees concurrently. The empty-directory flags follow `normalizer`'s drop
/// rules: compare the trees with the same normalizer.
pub fn scan_pair(a: &Path, b: &Path, normalizer: &Normalizer) -> Result<(Tree, Tree), Error> {
    scan_pair_with(a, b, normalizer, &Cancel::never(), &SpillDir::default())
}

/// How the differ scans a tree (or reads a tarball as one): empty-directory flags following
/// `normalizer`'s drop rules, stopping once `cancel` fires, large trees spilled below `spill`.
pub fn scan_options(normalizer: &Normalizer, cancel: &Cancel, spill: &SpillDir) -> ScanOptions {
    ScanOptions {
        cancel: cancel.clone(),
        spill: spill.clone(),
        counts_as_content: Some(ContentFilter(Arc::new(normalizer.kept_predicate()))),
        ..ScanOptions::default()
    }
}

/// [`scan_pair`] that stops (with a scan error whose source is
/// `repro_artifact::Error::Cancelled`) once `cancel` fires, and spills sorted runs of large
/// trees below `spill`.
pub fn scan_pair_with(
    a: &Path,
    b: &Path,
    normalizer: &Normalizer,
    cancel: &Cancel,
    spill: &SpillDir,
) -> Result<(Tree, Tree), Error> {
    let opts = scan_options(normalizer, cancel, spill);
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

/// Why an entry of one tree is left out of the comparison.
const DROPPED: u8 = 1;
const EMPTY_DIR: u8 = 2;

/// One side of the merge: a tree's entries in path order.
struct Side {
    cursor: TreeCursor,
}

impl Side {
    fn peek(&mut self) -> Option<&str> {
        self.cursor.peek_path()
    }

    /// The entry of `path` if it is next, with its flags: dropped by a rule (or not a path at
    /// all), or a directory without content when the normalizer ignores those.
    fn take(&mut self, path: &str, n: &Normalizer) -> Result<Option<(Entry, u8)>, Error> {
        if self.peek() != Some(path) {
            return Ok(None);
        }
        let s = self.cursor.next_entry().map_err(|source| Error::Spill { source })?;
        let Some(s) = s else { return Ok(None) };
        let p = s.entry.path.as_str();
        let flags = if p.is_empty() || p == "." || n.dropped_by(p).is_some() {
            DROPPED
        } else if n.ignores_empty_directories()
            && matches!(s.entry.kind, EntryKind::Dir)
            && !s.has_content
        {
            EMPTY_DIR
        } else {
            0
        };
        Ok(Some((s.entry, flags)))
    }
}

/// The entry of a side, unless it is left out.
fn kept(t: &Option<(Entry, u8)>) -> Option<&Entry> {
    t.as_ref().filter(|t| t.1 & (DROPPED | EMPTY_DIR) == 0).map(|t| &t.0)
}

/// One bit per archive position.
#[derive(Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn with_len(n: u64) -> Bits {
        Bits(vec![0; n.div_ceil(64) as usize])
    }
    fn set(&mut self, i: u64) {
        if let Some(w) = self.0.get_mut((i / 64) as usize) {
            *w |= 1 << (i % 64);
        }
    }
    fn get(&self, i: u64) -> bool {
        self.0.get((i / 64) as usize).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// The header side of the merge (tarball inputs).
struct Headers {
    ca: tarmeta::Cursor,
    cb: tarmeta::Cursor,
    order_a: SpoolReader<String>,
    order_b: SpoolReader<String>,
    /// Per archive position: the path is compared on both sides (for the member order).
    common_a: Bits,
    common_b: Bits,
}

impl Headers {
    fn new(ha: TarHeaders, hb: TarHeaders) -> Result<Headers, Error> {
        let spill = |source| Error::Spill { source };
        let (ca, order_a, la) = ha.finish().map_err(spill)?;
        let (cb, order_b, lb) = hb.finish().map_err(spill)?;
        Ok(Headers {
            ca,
            cb,
            order_a,
            order_b,
            common_a: Bits::with_len(la),
            common_b: Bits::with_len(lb),
        })
    }

    /// The first position where the archive orders of the paths compared on both sides
    /// differ, with the paths there.
    #[allow(clippy::type_complexity)]
    fn first_order_difference(
        mut self,
    ) -> Result<Option<(usize, Option<String>, Option<String>)>, Error> {
        let spill = |source| Error::Spill { source };
        fn next_common(
            r: &mut SpoolReader<String>,
            bits: &Bits,
            pos: &mut u64,
        ) -> Result<Option<String>, repro_artifact::Error> {
            while let Some(p) = r.next_record()? {
                *pos += 1;
                if bits.get(*pos - 1) {
                    return Ok(Some(p));
                }
            }
            Ok(None)
        }
        let (mut pa, mut pb) = (0u64, 0u64);
        let mut first: Option<(Option<String>, Option<String>)> = None;
        let mut n = 0usize;
        loop {
            let x = next_common(&mut self.order_a, &self.common_a, &mut pa).map_err(spill)?;
            let y = next_common(&mut self.order_b, &self.common_b, &mut pb).map_err(spill)?;
            if n == 0 {
                first = Some((x.clone(), y.clone()));
            }
            match (x, y) {
                (None, None) => return Ok(None),
                (Some(x), Some(y)) if x == y => n += 1,
                (Some(x), Some(y)) => return Ok(Some((n, Some(x), Some(y)))),
                // One order is a prefix of the other: no differing position.
                _ => {
                    let (fa, fb) = first.unwrap_or_default();
                    return Ok(Some((0, fa, fb)));
                }
            }
        }
    }
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

/// Compare two scanned trees. `tar_headers`: the headers of the two tarballs the trees were
/// unpacked from (their metadata differences are accounted under `tar-metadata`, or reported
/// when not normalizing; device nodes and FIFOs, never unpacked, are compared from them).
///
/// One merge pass over the sorted trees and headers classifies every path; memory beyond the
/// inputs is a flag byte per entry and per header, and at most `max_reported_files` file
/// records (paths past the cap are counted, not kept).
pub fn compare_trees(
    a: Tree,
    b: Tree,
    normalizer: &Normalizer,
    opts: &CompareOptions,
    tar_headers: Option<(TarHeaders, TarHeaders)>,
    sink: &Sink,
) -> Result<Report, Error> {
    compare_trees_with(a, b, normalizer, opts, tar_headers, sink, None)
}

/// Writes the files a comparison examines in detail (paths relative to the trees' roots) under
/// both roots, for trees read from tarballs without unpacking them
/// (`repro_artifact::scan_tarball`).
pub type Materialize<'m> = &'m (dyn Fn(&[&str]) -> Result<(), Error> + Sync);

/// [`compare_trees`] whose trees' files are written out only once the merge has found which
/// ones differ (`materialize`).
pub fn compare_trees_with(
    a: Tree,
    b: Tree,
    normalizer: &Normalizer,
    opts: &CompareOptions,
    tar_headers: Option<(TarHeaders, TarHeaders)>,
    sink: &Sink,
    materialize: Option<Materialize<'_>>,
) -> Result<Report, Error> {
    let (root_a, root_b) = (a.root.clone(), b.root.clone());
    let spill = |source| Error::Spill { source };
    let mut sa = Side { cursor: a.into_cursor().map_err(spill)? };
    let mut sb = Side { cursor: b.into_cursor().map_err(spill)? };
    let mut headers = tar_headers.map(|(ha, hb)| Headers::new(ha, hb)).transpose()?;

    let mut report = Report::new();
    let mut files: Vec<FileReport> = Vec::new();
    // (index into files) of regular files whose bytes differ and need a content comparison.
    let mut deep: Vec<usize> = Vec::new();
    // (index into files, differences) of listed files whose tar headers differ (raw mode).
    let mut header_diffs: Vec<(usize, tarmeta::HeaderDiffs)> = Vec::new();
    let mut identical = 0u64;
    let max_files = opts.limits.max_reported_files;
    let record = |rule: &str, path: &str| {
        normalizer.record(rule, path);
        sink.emit(Event::Normalized { rule: rule.to_owned(), path: path.to_owned() });
    };
    loop {
        let heads = [
            sa.peek(),
            sb.peek(),
            headers.as_ref().and_then(|h| h.ca.peek()),
            headers.as_ref().and_then(|h| h.cb.peek()),
        ];
        let Some(path) = heads.into_iter().flatten().min().map(str::to_owned) else { break };
        let path = path.as_str();
        let (ta, tb) = (sa.take(path, normalizer)?, sb.take(path, normalizer)?);
        let (ga, gb) = match headers.as_mut() {
            Some(h) => (h.ca.take(path).map_err(spill)?, h.cb.take(path).map_err(spill)?),
            None => (None, None),
        };
        let flags = ta.as_ref().map_or(0, |t| t.1) | tb.as_ref().map_or(0, |t| t.1);
        if flags & DROPPED != 0
            && let Some(rule) = normalizer.dropped_by(path)
        {
            record(rule, path);
        }
        if flags & EMPTY_DIR != 0 {
            record(EMPTY_DIRECTORIES, path);
        }
        let (x, y) = (kept(&ta), kept(&tb));

        let (mut hx, mut hy) = (None, None);
        if let Some(h) = headers.as_mut() {
            // The order of the paths present in both archives and compared on that side.
            let both = ga.is_some() && gb.is_some();
            for (g, common, e) in [(&ga, &mut h.common_a, x), (&gb, &mut h.common_b, y)] {
                if let (Some(g), true, Some(_)) = (g, both, e) {
                    for r in g {
                        common.set(r.pos());
                    }
                }
            }
            // The last header of a path wins, as when unpacking.
            hx = ga.as_ref().and_then(|g| g.last()).map(tarmeta::HeaderRec::view);
            hy = gb.as_ref().and_then(|g| g.last()).map(tarmeta::HeaderRec::view);
        }

        if hx.is_some_and(|h| h.is_special()) || hy.is_some_and(|h| h.is_special()) {
            if let Some(rule) = normalizer.dropped_by(path) {
                if flags & DROPPED == 0 {
                    record(rule, path);
                }
                continue;
            }
            match tarmeta::special_file(path, hx, hy, x, y, normalizer) {
                None => identical += 1,
                Some(f) if files.len() >= max_files => report.omitted.add(f.status),
                Some(f) => files.push(f),
            }
            continue;
        }
        if x.is_none() && y.is_none() {
            continue;
        }

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
            (None, None) => unreachable!("one side present"),
        };

        // Header fields of paths compared on both sides (dropped paths stay dropped).
        let mut hdiffs = None;
        if let (Some(hx), Some(hy), Some(_), Some(_)) = (hx, hy, x, y) {
            let d = tarmeta::differences(&hx, &hy);
            if !d.is_empty() {
                if normalizer.ignores_tar_metadata() {
                    record(TAR_METADATA, path);
                } else {
                    hdiffs = Some(d);
                }
            }
        }

        if status == Status::Identical && hdiffs.is_none() {
            identical += 1;
            continue;
        }
        let rules = normalizer.benign_by(path);
        if files.len() >= max_files {
            // Counted, not listed (the summary stays exact; `finish` notes the cap).
            for r in &rules {
                normalizer.record(r, path);
            }
            let counted = if status == Status::Identical { Status::Differs } else { status };
            report.omitted.add(if rules.is_empty() { counted } else { Status::Normalized });
            continue;
        }
        let mut f = if status == Status::Identical {
            // Identical content: the header difference alone makes it differ (raw mode).
            let (Some(x), Some(y)) = (x, y) else { unreachable!("identical on both sides") };
            tarmeta::header_only(path, x, y)
        } else {
            base_report(path, status, x, y)
        };
        if !rules.is_empty() {
            for r in &rules {
                record(r, path);
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
        if let Some(d) = hdiffs {
            header_diffs.push((files.len(), d));
        }
        files.push(f);
    }
    drop((sa, sb));
    if let Some(m) = materialize
        && !deep.is_empty()
    {
        let paths: Vec<&str> = deep.iter().map(|&i| files[i].path.as_str()).collect();
        m(&paths)?;
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
            (i, compare_file_pair(&root_a.join(p), &root_b.join(p), opts, &budget, &decompressed))
        })
        .collect();
    for (i, r) in results {
        apply_result(&mut files[i], r, &mut report.truncated);
    }
    for (i, d) in header_diffs {
        tarmeta::add_header_details(&mut files[i], d);
    }

    // Member order of the paths compared on both sides.
    if let Some(h) = headers
        && let Some((first, pa, pb)) = h.first_order_difference()?
    {
        if normalizer.ignores_tar_metadata() {
            record(TAR_METADATA, ".");
        } else {
            files.push(tarmeta::member_order(first, pa.as_deref(), pb.as_deref()));
        }
    }

    for f in &files {
        sink.emit(Event::FileCompared { path: f.path.clone(), status: f.status.to_string() });
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    report.files = files;
    report.summary.identical = identical;
    finish(&mut report, normalizer, opts);
    Ok(report)
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
    // All or nothing per pair: the files' bytes and what they declare they decompress to
    // (gzip, zstd, xz) are reserved at once, waiting while other comparisons hold the memory,
    // so parallel pairs do not each take part of the budget and all fall back to comparing
    // compressed bytes. A declaration too big for the budget reserves only the files' bytes.
    let memory = match &sizes {
        (Ok(sa), Ok(sb)) if (*sa).max(*sb) <= limits.max_in_memory_bytes => {
            let declared = [pa, pb]
                .iter()
                .map(|p| crate::declared::declared_size(p).unwrap_or(0))
                .fold(0u64, u64::saturating_add);
            let whole = (sa + sb).saturating_add(declared);
            if declared > 0 && whole <= budget.limits().max_memory {
                ctx.prepaid.set(declared);
                reserve_waiting(budget, whole)
            } else {
                reserve_waiting(budget, sa + sb)
            }
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
