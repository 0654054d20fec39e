//! Importer tests on the fixtures in `tests/data/import/`: every supported construct, every
//! warning kind, strict mode, includes, interpolation, and syntax errors.

use super::*;

#[test]
fn relative_paths_are_lexical() {
    assert_eq!(
        relative_path(Path::new("/a/b"), Path::new("/a/b/c/d.toml")),
        PathBuf::from("c/d.toml")
    );
    assert_eq!(
        relative_path(Path::new("/a/b"), Path::new("/a/x/r.toml")),
        PathBuf::from("../x/r.toml")
    );
    assert_eq!(relative_path(Path::new("/a/b"), Path::new("/a/b")), PathBuf::from("."));
    assert_eq!(relative_path(Path::new("/a/./b/../b"), Path::new("/a/b/z")), PathBuf::from("z"));
}
