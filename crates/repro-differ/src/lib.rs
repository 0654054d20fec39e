//! Per-file comparison of two trees with format-aware comparators and cause hints.
