//! Integration tests for `repro check`.
