//! Integration tests for `repro build`.
