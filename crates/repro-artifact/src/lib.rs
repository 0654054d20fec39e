//! File-tree model, Julia git-tree-sha1, deterministic tarballs, safe tarball reading.
