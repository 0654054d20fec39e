//! Unit tests for parsing, validation and serialization: one test (or more) per rule and error
//! shape, the round trip through [`to_toml`], and the example recipe.

use std::path::{Path, PathBuf};

use crate::{
    Dependency, DependencyKind, DependencySource, LintKind, Problem, Product, Recipe, RecipeError,
    Source, load, parse_str, to_toml,
};

const TOP: &str = r#"name = "foo"
version = "1.2.3"
script = "make install"
platforms = ["x86_64-linux-gnu"]
"#;

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const TREE: &str = "89abcdef0123456789abcdef0123456789abcdef";

fn path() -> &'static Path {
    Path::new("dir/r.toml")
}

/// A document made of the base top-level fields, `top` (more top-level keys) and `tables`.
fn doc(top: &str, tables: &str) -> String {
    format!("{TOP}{top}\n{tables}")
}

fn ok(text: &str) -> Recipe {
    parse_str(text, path())
        .unwrap_or_else(|e| panic!("expected a valid recipe, got:\n{e}\n---\n{text}"))
}

fn problems(text: &str) -> Vec<Problem> {
    match parse_str(text, path()) {
        Ok(_) => panic!("expected problems, recipe is valid:\n{text}"),
        Err(RecipeError::Invalid { problems, .. }) => problems,
        Err(e) => panic!("expected validation problems, got: {e}"),
    }
}

/// Exactly one problem.
fn one(text: &str) -> Problem {
    let ps = problems(text);
    assert_eq!(ps.len(), 1, "expected one problem, got {ps:#?}\n---\n{text}");
    ps.into_iter().next().unwrap()
}

/// The 1-based (line, column) where `needle` first occurs in `text`.
fn pos_of(text: &str, needle: &str) -> (usize, usize) {
    let off = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in text"));
    let line = text[..off].matches('\n').count() + 1;
    let col = text[..off].rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

fn assert_at(p: &Problem, text: &str, needle: &str) {
    assert_eq!((p.line, p.column), pos_of(text, needle), "wrong position for {p:?}");
}

fn help(p: &Problem) -> &str {
    p.help.as_deref().unwrap_or_else(|| panic!("no help in {p:?}"))
}

// ----- the whole recipe ----------------------------------------------------------------------

#[test]
fn minimal_recipe_has_defaults() {
    let r = ok(TOP);
    assert_eq!(r.name, "foo");
    assert_eq!(r.version.to_string(), "1.2.3");
    assert_eq!(r.script, "make install");
    assert_eq!(r.platforms, ["x86_64-linux-gnu"]);
    assert!(r.sources.is_empty() && r.products.is_empty() && r.dependencies.is_empty());
    assert_eq!(r.source_date_epoch, 0);
    assert!(!r.network);
    assert!(!r.platform_independent);
    assert!(r.environment.is_empty());
    assert!(r.normalize.ignore.is_empty());
    assert_eq!(r.path, PathBuf::from("dir/r.toml"));
    assert_eq!(r.dir, PathBuf::from("dir"));
}

#[test]
fn example_hello_recipe_is_valid() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recipes/hello/recipe.toml");
    let r = load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.name, "hello");
    assert_eq!(r.platforms, ["x86_64-linux-gnu", "x86_64-linux-musl"]);
    assert_eq!(r.sources, [Source::Directory { path: "src".into(), target: None }]);
    assert!(r.dir.join("src/hello.c").is_file());
    assert!(r.dir.join("src/LICENSE").is_file());
    assert_eq!(
        r.products,
        [
            Product::Library {
                names: vec!["libhello".into()],
                variable: "libhello".into(),
                dir: None
            },
            Product::Executable {
                names: vec!["hello".into()],
                variable: "hello".into(),
                dir: None
            },
        ]
    );
    for needle in [
        "${CC}",
        "-soname",
        "${libdir}/libhello.so",
        "${bindir}/hello",
        "${includedir}",
        "install_license",
    ] {
        assert!(r.script.contains(needle), "script lacks {needle}");
    }
    assert!(!r.script.contains("__DATE__"));
}

#[test]
fn several_problems_are_all_reported_in_document_order() {
    let text = "name = \"9lives\"\nversion = \"1.0\"\nscript = \"\"\nplatforms = []\nsha265 = 1\n";
    let ps = problems(text);
    let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["name", "version", "script", "platforms", "sha265"]);
    let lines: Vec<usize> = ps.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 2, 3, 4, 5]);
    let err = parse_str(text, path()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("invalid recipe dir/r.toml: 5 problems"), "{shown}");
    for p in &ps {
        assert!(
            shown.contains(&format!("dir/r.toml:{}:{}: {}: ", p.line, p.column, p.field)),
            "{shown}"
        );
    }
}

#[test]
fn missing_required_fields_point_at_the_start() {
    let ps = problems("");
    let fields: Vec<&str> = ps.iter().map(|p| p.field.as_str()).collect();
    for f in ["name", "version", "script", "platforms"] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    for p in &ps {
        assert_eq!((p.line, p.column), (1, 1));
        assert!(p.message.starts_with("missing required field"), "{p:?}");
        assert!(help(p).starts_with("add `"), "{p:?}");
    }
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text = "name = \"foo\"\nversion = \n";
    match parse_str(text, path()) {
        Err(RecipeError::Syntax { line, column, message, .. }) => {
            assert_eq!(line, 2);
            assert!(column >= 10, "column {column}");
            assert!(!message.is_empty());
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let shown = parse_str(text, path()).unwrap_err().to_string();
    assert!(shown.starts_with("dir/r.toml:2:"), "{shown}");
}

#[test]
fn duplicate_keys_are_syntax_errors() {
    let err = parse_str(&format!("{TOP}name = \"bar\"\n"), path()).unwrap_err();
    assert!(matches!(err, RecipeError::Syntax { line: 5, .. }), "{err:?}");
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = doc("environment = { A = \"ÄÖÜ\", \"B-C\" = \"y\" }", "");
    let p = one(&text);
    assert_eq!(p.field, "environment.B-C");
    assert_eq!((p.line, p.column), (5, 28));
    assert_at(&p, &text, "\"B-C\"");
    let text = format!("{TOP}x = \"é\" 1\n");
    // Not valid TOML: a syntax error, at the right character column.
    match parse_str(&text, path()).unwrap_err() {
        RecipeError::Syntax { line, column, .. } => assert_eq!((line, column), (5, 9)),
        e => panic!("{e:?}"),
    }
}

// ----- unknown keys and type errors ------------------------------------------------------------

#[test]
fn unknown_top_level_key_suggests_the_close_one() {
    let text = doc("platfroms = [\"x\"]", "");
    let p = one(&text);
    assert_eq!(p.field, "platfroms");
    assert_eq!(p.message, "unknown field \"platfroms\" in the recipe");
    assert_eq!(help(&p), "did you mean \"platforms\"?");
    assert_at(&p, &text, "platfroms");
}

#[test]
fn unknown_key_without_close_match_lists_valid_fields() {
    let p = one(&doc("zzz = 1", ""));
    assert!(help(&p).starts_with("valid fields here: name, version"), "{p:?}");
}

#[test]
fn unknown_source_key_has_field_position_and_suggestion() {
    let text = doc(
        "",
        &format!("[[sources]]\narchive = \"https://example.com/a.tar.gz\"\nsha265 = \"{SHA}\"\n"),
    );
    let p = one(&text);
    assert_eq!(p.field, "sources[0].sha265");
    assert_eq!(p.message, "unknown field \"sha265\" in sources[0]");
    assert_eq!(help(&p), "did you mean \"sha256\"?");
    assert_at(&p, &text, "sha265");
    let shown = parse_str(&text, path()).unwrap_err().to_string();
    assert!(
        shown.contains(&format!(
            "dir/r.toml:{}:1: sources[0].sha265: unknown field \"sha265\" in sources[0]; did you mean \"sha256\"?",
            p.line
        )),
        "{shown}"
    );
}

#[test]
fn top_level_source_keys_say_where_they_belong() {
    let p = one(&doc(&format!("sha256 = \"{SHA}\""), ""));
    assert!(help(&p).contains("[[sources]]"), "{p:?}");
    let p = one(&doc("library = \"libz\"", ""));
    assert!(help(&p).contains("[[products]]"), "{p:?}");
}

#[test]
fn type_errors_name_field_and_expected_type() {
    let p = one(&doc("network = \"no\"", ""));
    assert_eq!(p.field, "network");
    assert_eq!(p.message, "expected a boolean (true or false), found a string");

    let text =
        "name = 3\nversion = \"1.0.0\"\nscript = \"x\"\nplatforms = [\"x86_64-linux-gnu\"]\n";
    let p = one(text);
    assert_eq!(
        (p.field.as_str(), p.message.as_str()),
        ("name", "expected a string, found an integer")
    );
    assert_at(&p, text, "3");

    let text = doc("", "[[sources]]\narchive = \"a.tar.gz\"\nsha256 = 12\n");
    let p = one(&text);
    assert_eq!(p.field, "sources[0].sha256");
    assert_eq!(p.message, "expected a string, found an integer");

    let p = one(&doc("sources = \"a.tar.gz\"", ""));
    assert_eq!(p.field, "sources");
    assert!(p.message.starts_with("expected a list of tables ([[sources]])"), "{p:?}");

    let p = one(&doc("sources = [\"a.tar.gz\"]", ""));
    assert_eq!(p.field, "sources[0]");
    assert_eq!(p.message, "expected a table, found a string");
}

// ----- name, version, script -------------------------------------------------------------------

#[test]
fn names_must_be_identifiers() {
    for good in ["foo", "Foo_jll", "_x", "libpng16", "XZ"] {
        ok(&TOP.replace("\"foo\"", &format!("{good:?}")));
    }
    for (bad, fix) in [("1foo", "_1foo"), ("foo-bar", "foo_bar"), ("foo bar", "foo_bar"), ("", "")]
    {
        let text = TOP.replace("\"foo\"", &format!("{bad:?}"));
        let p = one(&text);
        assert_eq!(p.field, "name");
        assert_eq!((p.line, p.column), (1, 8));
        if !bad.is_empty() {
            assert_eq!(help(&p), format!("try {fix:?}"));
        }
    }
}

#[test]
fn versions_are_strict_major_minor_patch() {
    let r = ok(&TOP.replace("1.2.3", "10.0.42"));
    assert_eq!((r.version.major, r.version.minor, r.version.patch), (10, 0, 42));
    for bad in
        ["1.2", "1.2.3.4", "1.2.3-rc1", "1.2.3+1", "v1.2.3", "1..3", "a.b.c", "01.2.3", " 1.2.3"]
    {
        let p = one(&TOP.replace("1.2.3", bad));
        assert_eq!(p.field, "version", "{bad}");
        assert_eq!((p.line, p.column), (2, 11), "{bad}");
        assert!(p.help.is_some(), "{bad}");
    }
    let p = one(&TOP.replace("\"1.2.3\"", "1.2"));
    assert_eq!(p.message, "expected a string, found a float");
}

#[test]
fn script_must_be_non_empty_bash() {
    let p = one(&TOP.replace("\"make install\"", "\"  \\n \""));
    assert_eq!(p.field, "script");
    assert!(p.message.contains("empty"));
    let p = one(&TOP.replace("\"make install\"", "[\"make\"]"));
    assert_eq!(p.message, "expected a string (bash), found an array");
    let r = ok(&TOP.replace("\"make install\"", "'''\nmake\nmake install\n'''"));
    assert_eq!(r.script, "make\nmake install\n");
}

// ----- platforms -----------------------------------------------------------------------------

#[test]
fn platforms_follow_the_triplet_grammar() {
    let good = [
        "x86_64-linux-gnu",
        "i686-linux-musl",
        "aarch64-linux-musl",
        "armv7l-linux-gnueabihf",
        "armv6l-linux-musleabihf",
        "powerpc64le-linux-gnu",
        "riscv64-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin20",
        "x86_64-unknown-freebsd",
        "aarch64-unknown-freebsd14.1",
        "x86_64-w64-mingw32",
        "i686-w64-mingw32",
        "x86_64-linux-gnu-cxx11",
        "x86_64-linux-gnu-libgfortran5-cxx11",
        "x86_64-linux-gnu-sanitize+memory",
        "x86_64-linux-gnu-julia_version+1.10.0",
    ];
    let list = good.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(", ");
    let r = ok(&TOP.replace("[\"x86_64-linux-gnu\"]", &format!("[{list}]")));
    assert_eq!(r.platforms, good);

    let bad = [
        ("x86_64-linux-gun", Some("x86_64-linux-gnu")),
        ("x86-64-linux-gnu", Some("x86_64-linux-gnu")),
        ("armv7l-linux-gnu", Some("armv7l-linux-gnueabihf")),
        ("x86_64-linux-gnueabihf", None),
        ("powerpc64le-apple-darwin", None),
        ("armv7l-w64-mingw32", None),
        ("x86_64-pc-linux-gnu", None),
        ("x86_64-linux", None),
        ("linux", None),
        ("x86_64-linux-gnu-cxx12", None),
        ("x86_64-linux-gnu-sanitize+", None),
        ("", None),
    ];
    for (b, suggestion) in bad {
        let text = TOP.replace("[\"x86_64-linux-gnu\"]", &format!("[\"x86_64-linux-gnu\", {b:?}]"));
        let p = one(&text);
        assert_eq!(p.field, "platforms[1]", "{b}");
        assert_at(&p, &text, &format!(", {b:?}]")[2..]);
        if let Some(s) = suggestion {
            assert_eq!(help(&p), format!("did you mean {s:?}?"), "{b}");
        } else {
            assert!(p.help.is_some(), "{b}");
        }
    }
}

#[test]
fn platforms_must_be_a_non_empty_unique_list() {
    let p = one(&TOP.replace("[\"x86_64-linux-gnu\"]", "[]"));
    assert_eq!(p.message, "no platforms");
    let p = one(&TOP.replace("[\"x86_64-linux-gnu\"]", "\"x86_64-linux-gnu\""));
    assert_eq!(p.message, "expected a list of target triplets, found a string");
    let p =
        one(&TOP.replace("[\"x86_64-linux-gnu\"]", "[\"x86_64-linux-gnu\", \"x86_64-linux-gnu\"]"));
    assert_eq!(p.field, "platforms[1]");
    assert!(p.message.contains("listed twice"));
    assert!(crate::validate::platform("x86_64-linux-gnu").is_ok());
    assert!(crate::validate::platform("x86_64-linux-gnux").is_err());
}

#[test]
fn platform_independent_needs_exactly_one_platform_and_round_trips() {
    let r = ok(&doc("platform_independent = true", ""));
    assert!(r.platform_independent);
    let text = to_toml(&r);
    assert!(text.contains("platform_independent = true"), "{text}");
    assert_eq!(parse_str(&text, path()).unwrap(), r);
    assert!(!to_toml(&ok(TOP)).contains("platform_independent"), "left out at its default");
    let two =
        TOP.replace("[\"x86_64-linux-gnu\"]", "[\"x86_64-linux-gnu\", \"aarch64-linux-gnu\"]");
    let p = one(&format!("{two}platform_independent = true\n"));
    assert_eq!(p.field, "platform_independent");
    assert_eq!(p.message, "a platform-independent recipe lists exactly one platform");
    let p = one(&doc("platform_independent = \"yes\"", ""));
    assert_eq!(p.field, "platform_independent");
}

// ----- sources -------------------------------------------------------------------------------

fn source(body: &str) -> String {
    doc("", &format!("[[sources]]\n{body}\n"))
}

#[test]
fn each_source_kind_parses() {
    let text = doc(
        "",
        &format!(
            r#"[[sources]]
archive = "https://example.com/foo-1.2.3.tar.gz"
sha256 = "{}"
unpack_target = "foo"

[[sources]]
file = "file:///srv/mirror/patch.diff"
sha256 = "{SHA}"
filename = "patches/fix.diff"

[[sources]]
git = "https://github.com/madler/zlib.git"
commit = "{}"

[[sources]]
directory = "bundled"
target = "extra"

[[sources]]
archive = "../tarballs/bar.tar.xz"
sha256 = "{SHA}"

[[sources]]
file = "http://example.com/dl/x.bin?raw=1"
sha256 = "{SHA}"
"#,
            SHA.to_uppercase(),
            COMMIT.to_uppercase()
        ),
    );
    let r = ok(&text);
    assert_eq!(
        r.sources,
        [
            Source::Archive {
                url: "https://example.com/foo-1.2.3.tar.gz".into(),
                sha256: SHA.into(),
                unpack_target: Some("foo".into())
            },
            Source::File {
                url: "file:///srv/mirror/patch.diff".into(),
                sha256: SHA.into(),
                filename: Some("patches/fix.diff".into())
            },
            Source::Git {
                url: "https://github.com/madler/zlib.git".into(),
                commit: COMMIT.into(),
                unpack_target: None
            },
            Source::Directory { path: "bundled".into(), target: Some("extra".into()) },
            Source::Archive {
                url: "../tarballs/bar.tar.xz".into(),
                sha256: SHA.into(),
                unpack_target: None
            },
            Source::File {
                url: "http://example.com/dl/x.bin?raw=1".into(),
                sha256: SHA.into(),
                filename: None
            },
        ]
    );
    assert_eq!(r.sources[2].dest_name().as_deref(), Some("zlib"));
    assert_eq!(r.sources[5].dest_name().as_deref(), Some("x.bin"));
    assert_eq!(r.sources[0].dest_name(), None);
}

#[test]
fn inline_table_sources_work_too() {
    let r = ok(&doc(&format!("sources = [{{ archive = \"a.tar.gz\", sha256 = \"{SHA}\" }}]"), ""));
    assert_eq!(r.sources.len(), 1);
}

#[test]
fn source_with_two_kinds_is_rejected() {
    let text =
        source(&format!("archive = \"a.tar.gz\"\ngit = \"https://x/y.git\"\nsha256 = \"{SHA}\""));
    let ps = problems(&text);
    let p = ps.iter().find(|p| p.message.contains("has both")).expect("two-kinds problem");
    assert_eq!(p.field, "sources[0].git");
    assert_eq!(
        p.message,
        "sources[0] has both `archive` and `git`, but an entry has exactly one kind"
    );
    assert_at(p, &text, "git =");
    assert_eq!(help(p), "split it into two [[sources]] entries");
}

#[test]
fn source_without_kind_is_rejected() {
    let text = source(&format!("sha256 = \"{SHA}\""));
    let p = one(&text);
    assert_eq!(p.field, "sources[0]");
    assert!(p.message.contains("has none of `archive`, `file`, `git`, `directory`"), "{p:?}");
    assert_at(&p, &text, "[[sources]]");
    // A misspelt kind gets a suggestion as well.
    let p = one(&source(&format!("archve = \"a.tar.gz\"\nsha256 = \"{SHA}\"")));
    assert_eq!((p.field.as_str(), help(&p)), ("sources[0].archve", "did you mean \"archive\"?"));
}

#[test]
fn sha256_on_a_directory_source_is_explained() {
    let text = source(&format!("directory = \"bundled\"\nsha256 = \"{SHA}\""));
    let p = one(&text);
    assert_eq!(p.field, "sources[0].sha256");
    assert_eq!(p.message, "`sha256` does not apply to directory sources");
    assert_eq!(help(&p), "remove it: directory sources are not hashed");
    assert_at(&p, &text, "sha256");
}

#[test]
fn commit_on_an_archive_source_is_explained() {
    let p =
        one(&source(&format!("archive = \"a.tar.gz\"\nsha256 = \"{SHA}\"\ncommit = \"{COMMIT}\"")));
    assert_eq!(p.field, "sources[0].commit");
    assert_eq!(p.message, "`commit` does not apply to archive sources");
    assert!(help(&p).contains("pinned by `sha256`"));
    let p = one(&source(&format!(
        "git = \"https://x/y.git\"\ncommit = \"{COMMIT}\"\nsha256 = \"{SHA}\""
    )));
    assert_eq!(p.message, "`sha256` does not apply to git sources");
    let p = one(&source(&format!("file = \"a.txt\"\nsha256 = \"{SHA}\"\nunpack_target = \"x\"")));
    assert!(help(&p).contains("filename"), "{p:?}");
}

#[test]
fn hashes_are_checked() {
    let p = one(&source("archive = \"a.tar.gz\""));
    assert_eq!(p.field, "sources[0].sha256");
    assert!(p.message.starts_with("missing required field `sha256`"));
    for bad in [&SHA[1..], "zz", &format!("{SHA}00")] {
        let p = one(&source(&format!("archive = \"a.tar.gz\"\nsha256 = \"{bad}\"")));
        assert_eq!(p.field, "sources[0].sha256");
        assert!(p.message.contains("is not a sha256"), "{p:?}");
        assert!(p.help.is_some());
    }
    let p = one(&source(&format!("git = \"https://x/y.git\"\ncommit = \"{}\"", &COMMIT[..7])));
    assert_eq!(p.field, "sources[0].commit");
    assert!(p.message.contains("expected 40 hexadecimal digits, found 7"), "{p:?}");
    let p = one(&source("git = \"https://x/y.git\"\ncommit = \"main\""));
    assert!(p.message.contains("not a hexadecimal digit"), "{p:?}");
}

#[test]
fn urls_are_checked() {
    for good in [
        "https://a.org/x.tar.gz",
        "http://a.org/x.tar.gz",
        "file:///abs/x.tar.gz",
        "x.tar.gz",
        "sub/x.tar.gz",
        "../x.tar.gz",
    ] {
        ok(&source(&format!("archive = {good:?}\nsha256 = \"{SHA}\"")));
    }
    for bad in [
        "ftp:///x.tar.gz",
        "gopher://a.org/x.tar.gz",
        "/abs/x.tar.gz",
        "git@github.com:a/b.git",
        "https:///x",
        "file://rel/x",
        "",
        "https://a.org/x y",
    ] {
        let text = source(&format!("archive = {bad:?}\nsha256 = \"{SHA}\""));
        let p = one(&text);
        assert_eq!(p.field, "sources[0].archive", "{bad}");
        assert_at(&p, &text, &format!("{bad:?}"));
    }
    let p = one(&source(&format!("archive = \"/abs/x.tar.gz\"\nsha256 = \"{SHA}\"")));
    assert_eq!(help(&p), "write a path relative to the recipe file, or file:///abs/x.tar.gz");
}

#[test]
fn destination_paths_stay_inside() {
    let cases = [
        ("archive = \"a.tar.gz\"\nsha256 = \"S\"\nunpack_target = \"../up\"", "unpack_target"),
        ("archive = \"a.tar.gz\"\nsha256 = \"S\"\nunpack_target = \"/abs\"", "unpack_target"),
        (
            "git = \"https://x/y.git\"\ncommit = \"C\"\nunpack_target = \"a/../../b\"",
            "unpack_target",
        ),
        ("file = \"a.txt\"\nsha256 = \"S\"\nfilename = \"../a.txt\"", "filename"),
        ("file = \"a.txt\"\nsha256 = \"S\"\nfilename = \"\"", "filename"),
        ("directory = \"../elsewhere\"", "directory"),
        ("directory = \"/etc\"", "directory"),
        ("directory = \"bundled/../..\"", "directory"),
        ("directory = \"bundled\"\ntarget = \"../../x\"", "target"),
        ("directory = \"a\\\\b\"", "directory"),
    ];
    for (body, key) in cases {
        let text = source(
            &body
                .replace("\"S\"", &format!("\"{SHA}\""))
                .replace("\"C\"", &format!("\"{COMMIT}\"")),
        );
        let p = one(&text);
        assert_eq!(p.field, format!("sources[0].{key}"), "{body}");
        assert!(p.help.is_some(), "{body}");
    }
    let p = one(&source("directory = \"../x\""));
    assert_eq!(help(&p), "a directory source must be inside the recipe's directory");
}

#[test]
fn duplicate_file_names_in_srcdir_are_rejected() {
    let text = doc(
        "",
        &format!(
            "[[sources]]\nfile = \"https://a.org/x/patch.diff\"\nsha256 = \"{SHA}\"\n\n[[sources]]\nfile = \"https://b.org/patch.diff\"\nsha256 = \"{SHA}\"\n"
        ),
    );
    let p = one(&text);
    assert_eq!(p.field, "sources[1].file");
    assert_eq!(p.message, "\"patch.diff\" in srcdir is already used by sources[0]");
    assert_eq!(help(&p), "set a different `filename`");
    assert_at(&p, &text, "\"https://b.org");

    let text = doc(
        "",
        &format!(
            "[[sources]]\nfile = \"a.txt\"\nsha256 = \"{SHA}\"\n\n[[sources]]\nfile = \"b.txt\"\nsha256 = \"{SHA}\"\nfilename = \"a.txt\"\n"
        ),
    );
    assert_eq!(one(&text).field, "sources[1].filename");

    let text = doc(
        "",
        &format!(
            "[[sources]]\ngit = \"https://a.org/zlib.git\"\ncommit = \"{COMMIT}\"\n\n[[sources]]\ngit = \"https://b.org/zlib\"\ncommit = \"{COMMIT}\"\n"
        ),
    );
    let p = one(&text);
    assert_eq!(p.field, "sources[1].git");
    assert_eq!(help(&p), "set a different `unpack_target`");

    // Different names are fine.
    ok(&doc(
        "",
        &format!(
            "[[sources]]\nfile = \"a.txt\"\nsha256 = \"{SHA}\"\n\n[[sources]]\nfile = \"a.txt\"\nsha256 = \"{SHA}\"\nfilename = \"b.txt\"\n"
        ),
    ));
}

#[test]
fn file_name_must_be_derivable() {
    let p = one(&source(&format!("file = \"https://a.org/\"\nsha256 = \"{SHA}\"")));
    assert_eq!(p.field, "sources[0].file");
    assert_eq!(help(&p), "set `filename = \"name\"`");
    ok(&source(&format!(
        "file = \"https://a.org/\"\nsha256 = \"{SHA}\"\nfilename = \"index.html\""
    )));
}

// ----- products ------------------------------------------------------------------------------

#[test]
fn products_parse_with_default_variables() {
    let r = ok(&doc(
        "",
        r#"[[products]]
library = ["libz", "libz1"]

[[products]]
executable = "xz"
variable = "xz_exe"
dir = "tools/bin"

[[products]]
file = "share/my-data.json"

[[products]]
library = "libfoo-2"
dir = "lib64"
"#,
    ));
    assert_eq!(
        r.products,
        [
            Product::Library {
                names: vec!["libz".into(), "libz1".into()],
                variable: "libz".into(),
                dir: None
            },
            Product::Executable {
                names: vec!["xz".into()],
                variable: "xz_exe".into(),
                dir: Some("tools/bin".into())
            },
            Product::File { path: "share/my-data.json".into(), variable: "my_data_json".into() },
            Product::Library {
                names: vec!["libfoo-2".into()],
                variable: "libfoo_2".into(),
                dir: Some("lib64".into())
            },
        ]
    );
    assert_eq!(r.products[0].search_dir(), Some("lib"));
    assert_eq!(r.products[1].search_dir(), Some("tools/bin"));
}

#[test]
fn product_rules() {
    let product = |body: &str| doc("", &format!("[[products]]\n{body}\n"));
    let p = one(&product("library = \"libz\"\nvarible = \"z\""));
    assert_eq!(p.field, "products[0].varible");
    assert_eq!(help(&p), "did you mean \"variable\"?");

    let p = one(&product("file = \"share/x\"\ndir = \"share\""));
    assert_eq!(p.field, "products[0].dir");
    assert_eq!(p.message, "`dir` does not apply to file products");

    let p = one(&product("library = \"libz.so\""));
    assert_eq!(p.field, "products[0].library");
    assert_eq!(help(&p), "write \"libz\" (the extension depends on the platform)");

    let p = one(&product("library = [\"libz\", \"lib/z\"]"));
    assert_eq!(p.field, "products[0].library[1]");

    let p = one(&product("library = []"));
    assert_eq!(p.message, "the list is empty");

    let p = one(&product("executable = \"x\"\nvariable = \"my-x\""));
    assert_eq!(p.field, "products[0].variable");
    assert_eq!(help(&p), "use ASCII letters, digits and `_`, e.g. \"my_x\"");

    let p = one(&product("library = \"libz\"\nexecutable = \"z\""));
    assert_eq!(p.field, "products[0].executable");

    let p = one(&product("variable = \"x\""));
    assert_eq!(p.field, "products[0]");

    let p = one(&product("file = \"../etc/passwd\""));
    assert_eq!(p.field, "products[0].file");

    let p = one(&product("executable = \"x\"\ndir = \"/usr/bin\""));
    assert_eq!(p.field, "products[0].dir");

    let text = doc("", "[[products]]\nlibrary = \"libz\"\n\n[[products]]\nexecutable = \"libz\"\n");
    let p = one(&text);
    assert_eq!(p.field, "products[1].variable");
    assert_eq!(p.message, "variable \"libz\" is already used by products[0]");
    assert_at(&p, &text, "[[products]]\nexecutable");
}

// ----- dependencies --------------------------------------------------------------------------

#[test]
fn dependencies_parse_and_are_checked() {
    let r = ok(&doc(
        "",
        &format!(
            "[[dependencies]]\nrecipe = \"../zlib/recipe.toml\"\n\n[[dependencies]]\nartifact = \"https://a.org/Zlib.v1.3.1.x86_64-linux-gnu.tar.gz\"\nsha256 = \"{}\"\n",
            SHA.to_uppercase()
        ),
    ));
    assert_eq!(
        r.dependencies,
        [
            Dependency::recipe("../zlib/recipe.toml"),
            Dependency::artifact("https://a.org/Zlib.v1.3.1.x86_64-linux-gnu.tar.gz", SHA),
        ]
    );
    let dep = |body: &str| doc("", &format!("[[dependencies]]\n{body}\n"));
    let p = one(&dep("artifact = \"https://a.org/x.tar.gz\""));
    assert_eq!(p.field, "dependencies[0].sha256");
    let p = one(&dep("recipe = \"/abs/recipe.toml\""));
    assert_eq!(p.field, "dependencies[0].recipe");
    let text = dep(&format!("recipe = \"../z/recipe.toml\"\nsha256 = \"{SHA}\""));
    let p = one(&text);
    assert_eq!(p.message, "`sha256` does not apply to recipe dependencies");
    assert_at(&p, &text, "sha256 =");
    // A misspelt kind: one problem, with the suggestion (no extra "has none of" problem).
    let p = one(&dep("recipie = \"../z/recipe.toml\"\n"));
    assert_eq!(p.field, "dependencies[0].recipie");
    assert_eq!(help(&p), "did you mean \"recipe\"?");
}

#[test]
fn dependency_kinds_names_compat_and_platform_filters() {
    let r = ok(&doc(
        "",
        &format!(
            r#"[[dependencies]]
name = "Ogg_jll"
compat = " 1.3.5 "

[[dependencies]]
name = "Ninja_jll"
kind = "HostBuildDependency"

[[dependencies]]
name = "Libiconv_jll"
kind = "RuntimeDependency"
platforms = ["x86_64-apple-darwin", "x86_64-w64-mingw32"]

[[dependencies]]
name = "Zlib_jll"
artifact = "https://a.org/Zlib.tar.gz"
sha256 = "{SHA}"
git-tree-sha1 = "{TREE}"
kind = "BuildDependency"
"#
        ),
    ));
    let d = &r.dependencies;
    assert_eq!(d[0], Dependency { compat: Some("1.3.5".into()), ..Dependency::jll("Ogg_jll") });
    assert_eq!(d[1].kind, DependencyKind::HostBuildDependency);
    assert_eq!(d[1].source, DependencySource::Jll);
    assert_eq!(d[2].kind, DependencyKind::RuntimeDependency);
    assert_eq!(
        d[2].platforms.as_deref(),
        Some(&["x86_64-apple-darwin".to_owned(), "x86_64-w64-mingw32".to_owned()][..])
    );
    assert_eq!(
        d[3].source,
        DependencySource::Artifact {
            url: "https://a.org/Zlib.tar.gz".into(),
            sha256: SHA.into(),
            git_tree_sha1: Some(TREE.into())
        }
    );
    assert_eq!((d[3].kind, d[3].label()), (DependencyKind::BuildDependency, "Zlib_jll"));
    // Kind, compat and filter are part of the recipe's identity.
    let mut other = r.clone();
    other.dependencies[0].kind = DependencyKind::BuildDependency;
    assert_ne!(other.recipe_hash(), r.recipe_hash());
    let mut other = r.clone();
    other.dependencies[2].platforms = None;
    assert_ne!(other.recipe_hash(), r.recipe_hash());
    let back = parse_str(&to_toml(&r), path()).unwrap();
    assert_eq!(back.dependencies, r.dependencies);
}

#[test]
fn dependency_problems_point_at_the_field() {
    let dep = |body: &str| doc("", &format!("[[dependencies]]\n{body}\n"));
    let text = dep("name = \"Ogg_jll\"\nkind = \"BuildDependancy\"");
    let p = one(&text);
    assert_eq!(p.field, "dependencies[0].kind");
    assert_at(&p, &text, "\"BuildDependancy\"");
    assert_eq!(help(&p), "did you mean \"BuildDependency\"?");

    let p = one(&dep("name = \"Ogg-jll\""));
    assert_eq!((p.field.as_str(), help(&p)), ("dependencies[0].name", "try \"Ogg_jll\""));

    let text = dep("name = \"Ogg_jll\"\ncompat = \"1.x\"");
    let p = one(&text);
    assert_eq!(p.field, "dependencies[0].compat");
    assert!(p.message.contains("\"1.x\""), "{p:?}");
    assert_at(&p, &text, "\"1.x\"");

    let text = dep("name = \"Ogg_jll\"\nplatforms = [\"x86_64-linux-gnu\", \"x86_64-linux-gun\"]");
    let p = one(&text);
    assert_eq!(p.field, "dependencies[0].platforms[1]");
    assert_eq!(help(&p), "did you mean \"x86_64-linux-gnu\"?");
    let p = one(&dep("name = \"Ogg_jll\"\nplatforms = []"));
    assert_eq!(p.field, "dependencies[0].platforms");

    let text = dep("kind = \"BuildDependency\"");
    let p = one(&text);
    assert_eq!(p.message, "dependencies[0] has none of `name`, `recipe`, `artifact`");
    let text = dep(&format!("name = \"Z_jll\"\nsha256 = \"{SHA}\""));
    let p = one(&text);
    assert_eq!(p.message, "`sha256` does not apply to JLL (by name) dependencies");
    assert_at(&p, &text, "sha256");
    let text = dep(&format!("recipe = \"../z/recipe.toml\"\ngit-tree-sha1 = \"{TREE}\""));
    assert_eq!(one(&text).field, "dependencies[0].git-tree-sha1");
    let text =
        dep(&format!("artifact = \"a.tar.gz\"\nsha256 = \"{SHA}\"\ngit-tree-sha1 = \"abc\""));
    assert_eq!(one(&text).field, "dependencies[0].git-tree-sha1");
    let text =
        dep(&format!("recipe = \"../z/recipe.toml\"\nartifact = \"a.tar.gz\"\nsha256 = \"{SHA}\""));
    let p = one(&text);
    assert_eq!(p.field, "dependencies[0].artifact");
    assert!(p.message.contains("both `recipe` and `artifact`"), "{p:?}");
    // A misspelt `name` is one problem with a suggestion.
    let p = one(&dep("nmae = \"Ogg_jll\""));
    assert_eq!(help(&p), "did you mean \"name\"?");
}

// ----- optional fields -----------------------------------------------------------------------

#[test]
fn source_date_epoch_is_a_non_negative_integer() {
    assert_eq!(ok(&doc("source_date_epoch = 1700000000", "")).source_date_epoch, 1_700_000_000);
    assert_eq!(ok(&doc("source_date_epoch = 0x10", "")).source_date_epoch, 16);
    let p = one(&doc("source_date_epoch = -1", ""));
    assert_eq!(p.field, "source_date_epoch");
    assert!(help(&p).contains(">= 0"));
    let p = one(&doc("source_date_epoch = \"0\"", ""));
    assert!(p.message.starts_with("expected an integer"), "{p:?}");
}

#[test]
fn environment_names_are_checked_and_reserved_ones_refused() {
    let r = ok(&doc("", "[environment]\nFOO = \"1\"\nmy_flag = \"a b\"\n"));
    assert_eq!(r.environment.get("FOO").map(String::as_str), Some("1"));
    assert_eq!(r.environment.len(), 2);

    let text = doc("", "[environment]\nprefix = \"/usr\"\n");
    let p = one(&text);
    assert_eq!(p.field, "environment.prefix");
    assert_eq!(p.message, "prefix is set by the build environment and cannot be overridden");
    assert_at(&p, &text, "prefix =");

    for reserved in ["WORKSPACE", "libdir", "CC", "PATH", "BASH_ENV", "REPRO_X"] {
        let p = one(&doc("", &format!("[environment]\n{reserved} = \"x\"\n")));
        assert_eq!(p.field, format!("environment.{reserved}"));
    }
    let p = one(&doc("", "[environment]\nSOURCE_DATE_EPOCH = \"5\"\n"));
    assert_eq!(help(&p), "set the top-level `source_date_epoch = N` instead");

    let p = one(&doc("", "[environment]\n\"FOO-BAR\" = \"x\"\n"));
    assert!(p.message.contains("not a valid environment variable name"), "{p:?}");
    let p = one(&doc("", "[environment]\n1FOO = \"x\"\n"));
    assert_eq!(p.field, "environment.1FOO");
    let p = one(&doc("", "[environment]\nFOO = 1\n"));
    assert_eq!(p.message, "expected a string, found an integer");
    let p = one(&doc("", "[normalize.ignore]\nname = \"x\"\n"));
    assert_eq!(p.message, "expected a list of tables ([[normalize.ignore]]), found a table");
    let p = one(&doc("environment = [\"FOO=1\"]", ""));
    assert_eq!(p.message, "expected a table ([environment]), found an array");
}

#[test]
fn network_is_a_boolean() {
    assert!(ok(&doc("network = true", "")).network);
    assert!(!ok(&doc("network = false", "")).network);
}

#[test]
fn normalize_ignore_rules() {
    let r = ok(&doc(
        "",
        "[[normalize.ignore]]\nname = \"docs\"\npaths = [\"share/doc/**\", \"share/man/*.gz\"]\nreason = \"generated with dates\"\n\n[[normalize.ignore]]\nname = \"pyc\"\npaths = [\"**/*.pyc\"]\n",
    ));
    assert_eq!(r.normalize.ignore.len(), 2);
    assert_eq!(r.normalize.ignore[0].paths, ["share/doc/**", "share/man/*.gz"]);
    assert_eq!(r.normalize.ignore[1].reason, None);

    let rule = |body: &str| doc("", &format!("[[normalize.ignore]]\n{body}\n"));
    let p = one(&rule("paths = [\"a\"]"));
    assert_eq!(p.field, "normalize.ignore[0].name");
    let p = one(&rule("name = \"x\"\npaths = [\"../a\"]"));
    assert_eq!(p.field, "normalize.ignore[0].paths[0]");
    let p = one(&rule("name = \"x\"\npaths = [\"/abs/**\"]"));
    assert_eq!(p.field, "normalize.ignore[0].paths[0]");
    let p = one(&rule("name = \"x\"\npaths = [\"a/[b\"]"));
    assert!(p.message.contains("is not a valid glob"), "{p:?}");
    let p = one(&rule("name = \"x\"\npaths = [\"a\"]\nreasn = \"y\""));
    assert_eq!(help(&p), "did you mean \"reason\"?");
    let p = one(&rule("name = \"x\"\npaths = []"));
    assert_eq!(p.field, "normalize.ignore[0].paths");
    let p = one(&doc("", "[normalize]\nignores = []\n"));
    assert_eq!(help(&p), "did you mean \"ignore\"?");
    let p = one(&doc(
        "",
        "[[normalize.ignore]]\nname = \"x\"\npaths = [\"a\"]\n\n[[normalize.ignore]]\nname = \"x\"\npaths = [\"b\"]\n",
    ));
    assert_eq!(p.field, "normalize.ignore[1].name");
    assert!(p.message.contains("already used by normalize.ignore[0]"));
}

// ----- serialization -------------------------------------------------------------------------

fn rich_recipe_text() -> String {
    format!(
        r#"# comment
name = "Weird_1"
version = "0.10.200"
platforms = ["x86_64-linux-gnu", "aarch64-apple-darwin", "x86_64-w64-mingw32-cxx11"]
source_date_epoch = 1234
network = true
script = '''
cd $WORKSPACE/srcdir/foo*
./configure --prefix=${{prefix}} CFLAGS="-O2 \"quoted\"" # tab:	end
make -j${{nproc}} && make install
echo "ünïcödé ✓"
'''

[environment]
A_B = "x\"y\\z"
LANG_X = "tab\there\nnewline"
Z = ""

[[sources]]
archive = "https://example.com/a b%20c/foo.tar.gz"
sha256 = "{SHA}"
unpack_target = "foo"

[[sources]]
file = "rel/path/x.patch"
sha256 = "{SHA}"

[[sources]]
git = "file:///srv/git/repo.git"
commit = "{COMMIT}"
unpack_target = "repo-src"

[[sources]]
directory = "bundled"

[[products]]
library = ["libfoo", "libfoo_alt"]
variable = "libfoo_custom"
dir = "lib/sub"

[[products]]
executable = "foo"

[[products]]
file = "share/foo/data.txt"
variable = "foo_data"

[[dependencies]]
recipe = "../zlib/recipe.toml"

[[dependencies]]
artifact = "https://a.org/Z.tar.gz"
sha256 = "{SHA}"
git-tree-sha1 = "{TREE}"
name = "Z_jll"
kind = "BuildDependency"

[[dependencies]]
name = "Ninja_jll"
kind = "HostBuildDependency"
compat = "~1.10, 1.11"
platforms = ["x86_64-linux-gnu", "aarch64-linux-gnu-cxx11"]

[[normalize.ignore]]
name = "docs 'n' things"
paths = ["share/doc/**"]
reason = "contains a \"date\""
"#
    )
    .replace("a b%20c", "ab%20c")
}

#[test]
fn to_toml_round_trips() {
    let r = ok(&rich_recipe_text());
    let text = to_toml(&r);
    let back = parse_str(&text, Path::new("elsewhere/recipe.toml"))
        .unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    assert_eq!(back.path, PathBuf::from("elsewhere/recipe.toml"));
    assert_eq!(Recipe { path: r.path.clone(), dir: r.dir.clone(), ..back.clone() }, r);
    // Canonical: serializing again gives the same text.
    assert_eq!(to_toml(&back), text);
    assert!(text.contains("script = '''\n"), "{text}");
    assert!(!text.contains("# comment"));
}

#[test]
fn to_toml_handles_awkward_scripts_and_strings() {
    let scripts = [
        "echo 'single quoted'",
        "x='''\necho",
        "printf '\\r\\n'\r\nexit 0",
        "bell\u{7}\u{7f}",
        "\nleading newline\n\n",
        "ends with backslash \\",
        "tab\tonly",
        "\"\"\"triple double\"\"\"",
    ];
    let base = ok(TOP);
    for s in scripts {
        let mut r = base.clone();
        r.script = s.to_owned();
        r.environment.insert("V".into(), format!("{s}\u{0}-ish").replace('\u{0}', ""));
        r.name = "n".into();
        let text = to_toml(&r);
        let back = parse_str(&text, path()).unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
        assert_eq!(back, r, "script {s:?}\n---\n{text}");
    }
}

#[test]
fn to_toml_omits_defaults() {
    let text = to_toml(&ok(TOP));
    assert_eq!(
        text,
        "name = \"foo\"\nversion = \"1.2.3\"\nplatforms = [\"x86_64-linux-gnu\"]\nscript = '''\nmake install'''\n"
    );
}

#[test]
fn recipe_hash_ignores_formatting_but_not_content() {
    let a = ok(TOP);
    let b = ok(&format!("# a comment\n{}", TOP.replace(" = ", "   =   ")));
    let b_elsewhere = parse_str(TOP, Path::new("/other/place/recipe.toml")).unwrap();
    assert_eq!(a.recipe_hash(), b.recipe_hash());
    assert_eq!(a.recipe_hash(), b_elsewhere.recipe_hash());
    assert_eq!(a.recipe_hash().len(), 64);
    assert!(a.recipe_hash().bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    let c = ok(&TOP.replace("make install", "make  install"));
    assert_ne!(a.recipe_hash(), c.recipe_hash());
    let d = ok(&doc("source_date_epoch = 1", ""));
    assert_ne!(a.recipe_hash(), d.recipe_hash());
}

#[test]
fn artifact_basename_follows_binarybuilder() {
    let r = ok(TOP);
    assert_eq!(r.artifact_basename("x86_64-linux-gnu"), "foo.v1.2.3.x86_64-linux-gnu");
}

// ----- load ----------------------------------------------------------------------------------

#[test]
fn load_reports_io_utf8_and_size_problems() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let err = load(&missing).unwrap_err();
    assert!(matches!(err, RecipeError::Io { .. }));
    assert!(err.to_string().contains("nope.toml"), "{err}");

    let err = load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, b"name = \"\xff\"\n").unwrap();
    assert!(matches!(load(&bad).unwrap_err(), RecipeError::NotUtf8 { offset: 8, .. }));

    let big = dir.path().join("big.toml");
    let mut text = TOP.to_owned();
    text.push_str(&format!("# {}\n", "x".repeat(crate::MAX_RECIPE_BYTES as usize)));
    std::fs::write(&big, &text).unwrap();
    assert!(matches!(load(&big).unwrap_err(), RecipeError::TooLarge { .. }));
    assert!(matches!(parse_str(&text, path()).unwrap_err(), RecipeError::TooLarge { .. }));

    let good = dir.path().join("recipe.toml");
    std::fs::write(&good, TOP).unwrap();
    let r = load(&good).unwrap();
    assert_eq!(r.dir, dir.path());
    assert_eq!(r.path, good);
    // A directory with a recipe.toml stands for it.
    let r = load(dir.path()).unwrap();
    assert_eq!(r.path, good);
    assert_eq!(r.dir, dir.path());
}

#[test]
fn deeply_nested_toml_does_not_crash() {
    let text = format!("{TOP}x = {}{}\n", "[".repeat(5000), "]".repeat(5000));
    // Either a syntax error (nesting limit) or an unknown-field problem; never a stack overflow.
    assert!(parse_str(&text, path()).is_err());
}

#[test]
fn version_serializes_as_a_string_and_parses() {
    let r = ok(TOP);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["version"], "1.2.3");
    assert_eq!("4.5.6".parse::<crate::Version>().unwrap().to_string(), "4.5.6");
    assert!("4.5".parse::<crate::Version>().is_err());
}

#[test]
fn display_of_many_problems_is_bounded() {
    let mut text = TOP.to_owned();
    for i in 0..300 {
        text.push_str(&format!("unknown_{i} = 1\n"));
    }
    let err = parse_str(&text, path()).unwrap_err();
    assert_eq!(err.problems().len(), 300);
    let shown = err.to_string();
    assert_eq!(shown.lines().count(), 1 + 100 + 1, "{shown}");
    assert!(shown.ends_with("... and 200 more problems"));
}

#[test]
fn github_auto_generated_archives_ftp_and_git_urls_are_accepted_with_lints() {
    for (url, kind) in [
        ("https://github.com/madler/zlib/archive/refs/tags/v1.3.1.tar.gz", LintKind::MutableSource),
        (
            "https://codeload.github.com/madler/zlib/tar.gz/refs/tags/v1.3.1",
            LintKind::MutableSource,
        ),
        ("ftp://ftp.gnu.org/gnu/hello/hello-2.12.tar.gz", LintKind::UnfetchableUrl),
    ] {
        let r = ok(&source(&format!("archive = {url:?}\nsha256 = \"{SHA}\"")));
        let l = crate::lints(&r);
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!((l[0].kind, l[0].field.as_str()), (kind, "sources[0]"));
    }
    let r = ok(&source(&format!(
        "git = \"git://git.example.org/foo.git\"\ncommit = \"{}\"",
        "a".repeat(40)
    )));
    assert_eq!(crate::lints(&r)[0].kind, LintKind::InsecureUrl);
    let r = ok(&source(&format!(
        "archive = \"https://github.com/libffi/libffi/releases/download/v3.4.4/libffi-3.4.4.tar.gz\"\nsha256 = \"{SHA}\""
    )));
    assert!(crate::lints(&r).is_empty());
}
