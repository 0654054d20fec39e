//! Integration tests for `repro recipe`.
