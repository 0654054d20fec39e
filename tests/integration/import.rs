//! Integration tests for `repro import`.
