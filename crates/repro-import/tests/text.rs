//! `import_yggdrasil_text` (an in-memory recipe) and `parse_julia` (a syntax check).

use std::path::{Path, PathBuf};

use repro_import::{
    ImportError, ImportOptions, MAX_JULIA_FILE_BYTES, import_yggdrasil, import_yggdrasil_text,
    parse_julia,
};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/import").join(rel)
}

#[test]
fn text_import_equals_file_import_including_directory_sources() {
    let path = data("sources/build_tarballs.jl");
    let text = std::fs::read_to_string(&path).unwrap();
    let opts = ImportOptions { root: Some(data("sources")), ..Default::default() };
    let from_file = import_yggdrasil(&path, &opts).unwrap();
    let from_text = import_yggdrasil_text(&path, &text, &opts).unwrap();
    assert_eq!(from_text.toml, from_file.toml);
    assert_eq!(from_text.warnings, from_file.warnings);
}

#[test]
fn text_import_needs_no_file_and_refuses_oversized_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-written.jl");
    let opts = ImportOptions { root: Some(dir.path().to_owned()), ..Default::default() };
    let text = std::fs::read_to_string(data("basic/build_tarballs.jl")).unwrap();
    let r = import_yggdrasil_text(&path, &text, &opts).unwrap();
    assert!(r.toml.contains("name = "), "{}", r.toml);
    assert!(!path.exists());
    let big = "#".repeat(MAX_JULIA_FILE_BYTES as usize + 1);
    assert!(matches!(import_yggdrasil_text(&path, &big, &opts), Err(ImportError::TooLarge { .. })));
}

#[test]
fn parse_julia_counts_statements_and_reports_syntax_errors() {
    let p = Path::new("x.jl");
    assert_eq!(parse_julia("x = 1\ny = f(x)\n", p).unwrap(), 2);
    match parse_julia("x = f(1,\n", p) {
        Err(ImportError::Syntax { file, line, .. }) => {
            assert_eq!(file, p);
            assert!(line >= 1);
        }
        other => panic!("{other:?}"),
    }
    // Deep nesting is a syntax error, not a stack overflow.
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(matches!(parse_julia(&deep, p), Err(ImportError::Syntax { .. })));
}
