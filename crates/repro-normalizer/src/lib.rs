//! Named, declarative normalization rules with accounting.
