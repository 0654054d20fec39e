//! Integration tests for `repro image`.
