//! Integration tests: the real upstream recipes in `recipes/`, checked end to end.
