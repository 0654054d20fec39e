//! Per-file comparison of two trees with format-aware comparators and cause hints.
//!
//! The flow: both trees are scanned and hashed in parallel ([`scan_pair`], using
//! `repro_artifact::scan_dir`), paths are paired, and only entries whose hash, type, owner-x
//! bit or symlink target differ are examined further ([`compare_trees`]). Differing files are
//! compared by content (format detected from magic bytes, not names): text (bounded unified
//! diff), binary (differing byte ranges and a hexdump), ELF (sections, build-id, symbols),
//! compressed streams and archives (gzip, zstd, xz, bzip2, tar, `ar`, zip; recursive with a
//! depth cap). Each differing file gets cause hints with evidence, using the
//! reproducible-builds vocabulary ([`repro_report::CauseKind`]).
//!
//! Everything is bounded by [`DiffLimits`]; when a bound is hit the report says so in
//! `truncated` and the file keeps its status (never "identical"). Corrupt archives, traversal
//! paths and decompression bombs become a per-file `error`, never a crash.

mod archive;
mod binary;
mod content;
mod declared;
mod detect;
mod elf;
mod hints;
mod tarmeta;
mod text;
mod tree;

use std::sync::Arc;
use std::time::Duration;

use repro_artifact::{Budget, BudgetLimits};

pub use tarmeta::TarHeaders;
pub use tree::{
    Materialize, compare_single_files, compare_trees, compare_trees_with, scan_options, scan_pair,
    scan_pair_with,
};

/// Bounds on the work and output of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLimits {
    /// Lines of each unified diff (text, listings).
    pub max_diff_lines: usize,
    /// Bytes of detail output (diffs, hexdumps) per file.
    pub max_file_detail_bytes: usize,
    /// Approximate bytes of detail output in the whole report; later files lose their details.
    pub max_report_bytes: usize,
    /// Nesting of archives and compressed streams.
    pub max_archive_depth: usize,
    /// Bytes decompressed by the comparisons of the whole run (all files, all nesting levels
    /// together; files are compared in parallel, so a per-file cap would not bound a run).
    pub max_decompressed_bytes: u64,
    /// Members read from one archive.
    pub max_archive_members: usize,
    /// Bytes read from untrusted archives in the whole run (unpacking the inputs and every
    /// nested archive), the run budget's `budget.max_bytes`.
    pub max_total_bytes: u64,
    /// Archive entries read in the whole run (`budget.max_entries`).
    pub max_total_entries: u64,
    /// Bytes that all parallel comparisons may hold in memory at once (`budget.max_memory`).
    pub max_memory_bytes: u64,
    /// Paths listed in the report; the summary still counts every path, and the report says
    /// how many were left out.
    pub max_reported_files: usize,
    /// Differing members compared in detail per archive.
    pub max_members_detailed: usize,
    /// Larger text files are compared as binary.
    pub max_text_bytes: u64,
    /// Larger files are compared as a binary stream (never held in memory).
    pub max_in_memory_bytes: u64,
    /// Time budget of one text diff (a coarser diff is produced when it runs out).
    pub text_diff_deadline: Duration,
    /// Differing byte ranges listed per file.
    pub max_ranges: usize,
    /// Differing ranges (or text hunks) scanned for causes per file.
    pub max_ranges_analyzed: usize,
    /// Ranges shown as hexdumps per file.
    pub hexdump_ranges: usize,
    /// Causes kept per file.
    pub max_causes: usize,
    /// Paths listed per normalization rule.
    pub max_rule_paths: usize,
}

impl Default for DiffLimits {
    fn default() -> Self {
        DiffLimits {
            max_diff_lines: 500,
            max_file_detail_bytes: 256 * 1024,
            max_report_bytes: 16 * 1024 * 1024,
            max_archive_depth: 8,
            max_decompressed_bytes: 512 * 1024 * 1024,
            max_archive_members: 100_000,
            max_total_bytes: 32 << 30,
            max_total_entries: 4_000_000,
            max_memory_bytes: 1 << 30,
            max_reported_files: 10_000,
            max_members_detailed: 64,
            max_text_bytes: 16 * 1024 * 1024,
            max_in_memory_bytes: 128 * 1024 * 1024,
            text_diff_deadline: Duration::from_secs(2),
            max_ranges: 1000,
            max_ranges_analyzed: 64,
            hexdump_ranges: 3,
            max_causes: 8,
            max_rule_paths: 1000,
        }
    }
}

impl DiffLimits {
    /// A fresh run budget with this run's caps.
    pub fn budget(&self) -> Budget {
        Budget::new(BudgetLimits {
            max_bytes: self.max_total_bytes,
            max_entries: self.max_total_entries,
            max_memory: self.max_memory_bytes,
        })
    }
}

/// What the differ needs besides the trees and the normalizer.
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    pub limits: DiffLimits,
    /// Values of varied settings to look for in differing regions: `(variation, value)`, e.g.
    /// `("hostname", "repro-exp-host")`. A hit yields a cause naming the variation.
    pub hints: Vec<(String, String)>,
    /// Epochs plausible for the build (the builds' start times, SOURCE_DATE_EPOCH and the
    /// shifted clock): a date outside is no evidence. `None`: 1995 to ten years from now.
    pub date_window: Option<(i64, i64)>,
    /// The run's budget, shared with whatever unpacked the inputs; `None`: a fresh one from
    /// [`DiffLimits::budget`].
    pub budget: Option<Arc<Budget>>,
}

/// Errors that stop a comparison (per-file problems are reported, not returned).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Scanning one of the trees failed.
    #[error("cannot scan {side} tree: {source}")]
    Scan {
        side: &'static str,
        #[source]
        source: repro_artifact::Error,
    },
    /// Reading back the entries or headers spilled to disk failed.
    #[error("cannot read back the spilled entry lists: {source}")]
    Spill {
        #[source]
        source: repro_artifact::Error,
    },
    /// Writing out the files to compare from a tarball failed.
    #[error("cannot extract the files to compare from {}: {source}", path.display())]
    Extract {
        path: std::path::PathBuf,
        #[source]
        source: repro_artifact::Error,
    },
    /// Reading an input failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}
