//! Integration tests for `repro fetch`.
