//! Integration tests for `repro diff`.
