//! Content comparison of two byte buffers: picks a comparator by detected format, recurses into
//! containers with a depth cap, and collects details, causes, truncation notes and errors.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};

use repro_artifact::{Budget, MemoryGuard};

use repro_report::{Cause, Detail};

use crate::DiffLimits;
use crate::detect::{Format, detect};
use crate::hints::Causes;
use crate::{archive, binary, elf, text};

/// Per top-level file state shared by the recursive comparators.
pub(crate) struct Ctx<'a> {
    pub limits: &'a DiffLimits,
    pub hints: &'a [(String, String)],
    /// Epochs plausible for the build (`CompareOptions::date_window`).
    pub date_window: Option<(i64, i64)>,
    /// The run's budget (entries, bytes, memory), shared by all files compared in parallel.
    pub budget: &'a Budget,
    /// Bytes decompressed so far by all comparisons of the run (`max_decompressed_bytes`).
    pub decompressed: &'a AtomicU64,
    /// `(limit, message)` notes.
    pub truncated: RefCell<Vec<(String, String)>>,
    /// Errors (corrupt archives, traversal, bombs); the first one becomes the file's error.
    pub errors: RefCell<Vec<String>>,
    /// Approximate bytes of detail output produced so far for this file.
    pub output: Cell<usize>,
    /// Memory reserved in advance for decompressing this pair (what the files declare), held
    /// by the caller's guard for the whole comparison; decompression draws on it first.
    pub prepaid: Cell<u64>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        limits: &'a DiffLimits,
        hints: &'a [(String, String)],
        budget: &'a Budget,
        decompressed: &'a AtomicU64,
    ) -> Self {
        Ctx {
            limits,
            hints,
            date_window: None,
            budget,
            decompressed,
            truncated: RefCell::new(Vec::new()),
            errors: RefCell::new(Vec::new()),
            output: Cell::new(0),
            prepaid: Cell::new(0),
        }
    }

    pub(crate) fn truncate(&self, limit: &str, message: impl Into<String>) {
        let mut t = self.truncated.borrow_mut();
        if t.len() < 16 {
            t.push((limit.to_owned(), message.into()));
        }
    }

    pub(crate) fn error(&self, message: impl Into<String>) {
        let mut e = self.errors.borrow_mut();
        if e.len() < 16 {
            e.push(message.into());
        }
    }

    /// Bytes of the run's decompression budget still available.
    pub(crate) fn decompress_left(&self) -> u64 {
        self.limits.max_decompressed_bytes.saturating_sub(self.decompressed.load(Ordering::Relaxed))
    }

    /// Account `n` bytes decompressed; false when that exceeds the run's decompression budget
    /// or its byte budget.
    pub(crate) fn charge_decompressed(&self, n: u64) -> bool {
        let used = self.decompressed.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        used <= self.limits.max_decompressed_bytes && self.budget.charge_bytes(n).is_ok()
    }

    /// Take up to `n` bytes of the memory reserved in advance ([`Ctx::prepaid`]); returns how
    /// many were taken.
    pub(crate) fn take_prepaid(&self, n: u64) -> u64 {
        let p = self.prepaid.get();
        let t = p.min(n);
        self.prepaid.set(p - t);
        t
    }

    /// Reserve `n` bytes of the run's memory budget (none left: `None`).
    pub(crate) fn reserve(&self, n: u64) -> Option<MemoryGuard<'a>> {
        self.budget.reserve(n)
    }

    /// Account `n` bytes of detail output; false once the per-file budget is exhausted.
    pub(crate) fn spend(&self, n: usize) -> bool {
        let used = self.output.get() + n;
        self.output.set(used);
        used <= self.limits.max_file_detail_bytes
    }
}

/// The result of comparing two buffers.
#[derive(Default)]
pub(crate) struct Outcome {
    pub format: String,
    pub details: Vec<Detail>,
    pub causes: Causes,
}

impl Outcome {
    pub(crate) fn new(format: &str) -> Self {
        Outcome { format: format.to_owned(), ..Outcome::default() }
    }
}

/// Join two location parts: `member foo.o` + `section .text`.
pub(crate) fn join_loc(prefix: Option<&str>, part: &str) -> String {
    match prefix {
        Some(p) if !p.is_empty() => format!("{p} / {part}"),
        _ => part.to_owned(),
    }
}

/// Compare two buffers known to differ.
pub(crate) fn compare(
    ctx: &Ctx<'_>,
    a: &[u8],
    b: &[u8],
    depth: usize,
    loc: Option<&str>,
) -> Outcome {
    let fa = detect(a);
    let fb = detect(b);
    if fa != fb {
        let mut o = binary::compare(ctx, a, b, loc, &|_| None);
        o.format = format!("{} -> {}", fa.name(), fb.name());
        if let Some(d) = o.details.first_mut() {
            d.comments.insert(0, format!("format differs: {} in a, {} in b", fa.name(), fb.name()));
        }
        return o;
    }
    let container = matches!(
        fa,
        Format::Gzip
            | Format::Zstd
            | Format::Xz
            | Format::Bzip2
            | Format::Tar
            | Format::Ar
            | Format::Zip
    );
    if container && depth >= ctx.limits.max_archive_depth {
        ctx.truncate(
            "max_archive_depth",
            format!(
                "archive nesting deeper than {} levels; compared as binary",
                ctx.limits.max_archive_depth
            ),
        );
        let mut o = binary::compare(ctx, a, b, loc, &|_| None);
        o.format = fa.name().to_owned();
        return o;
    }
    let mut o = match fa {
        Format::Elf => elf::compare(ctx, a, b, loc),
        f if f.is_compressed() => archive::compare_compressed(ctx, f, a, b, depth, loc),
        Format::Tar => archive::compare_tar(ctx, a, b, depth, loc),
        Format::Ar => archive::compare_ar(ctx, a, b, depth, loc),
        Format::Zip => archive::compare_zip(ctx, a, b, depth, loc),
        Format::Text
            if a.len().max(b.len()) as u64 <= ctx.limits.max_text_bytes
                && crate::detect::is_text(b) =>
        {
            text::compare(ctx, a, b, loc)
        }
        _ => binary::compare(ctx, a, b, loc, &|_| None),
    };
    if o.format.is_empty() {
        o.format = fa.name().to_owned();
    }
    o
}

/// Add `inner`'s causes into `outer`.
pub(crate) fn merge_causes(outer: &mut Causes, inner: Causes) {
    let v: Vec<Cause> = inner.into_vec(usize::MAX);
    outer.extend(v);
}
