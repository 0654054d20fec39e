//! Integration tests for `repro hash`.
