//! Importer tests on the fixtures in `tests/data/import/`: every supported construct, every
//! warning kind, strict mode, includes, interpolation, and syntax errors.

use super::*;
use repro_recipe::{Product, Source};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/import").join(rel)
}

fn import(rel: &str) -> ImportResult {
    import_with(rel, &ImportOptions::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn import_with(rel: &str, opts: &ImportOptions) -> Result<ImportResult, ImportError> {
    import_yggdrasil(&fixture(rel), opts)
}

/// (line, message) of every warning.
fn warnings(r: &ImportResult) -> Vec<(usize, String)> {
    r.warnings.iter().map(|w| (w.line, w.message.clone())).collect()
}

fn has_warning(r: &ImportResult, line: usize, needle: &str) -> bool {
    r.warnings.iter().any(|w| w.line == line && w.message.contains(needle))
}

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

#[test]
fn basic_recipe_converts_without_warnings() {
    let r = import("basic/build_tarballs.jl");
    assert_eq!(warnings(&r), vec![]);
    let rec = &r.recipe;
    assert_eq!(rec.name, "Tinylib");
    assert_eq!(rec.version.to_string(), "1.4.2");
    assert_eq!(
        rec.sources,
        vec![Source::Archive {
            url: "https://example.org/releases/tinylib-1.4.2.tar.xz".into(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            unpack_target: None,
        }]
    );
    assert!(
        rec.script.starts_with("cd $WORKSPACE/srcdir/tinylib-*\n./configure --prefix=${prefix}")
    );
    assert!(rec.script.ends_with("install_license COPYING\n"));
    // `supported_platforms()`: all 18, of which 9 cannot be built here.
    assert_eq!(rec.platforms.len(), 18);
    assert_eq!(rec.platforms[1], "x86_64-linux-gnu");
    assert_eq!(r.skipped_platforms.len(), 9);
    assert_eq!(
        rec.products,
        vec![
            Product::Library {
                names: vec!["libtiny".into()],
                variable: "libtiny".into(),
                dir: None
            },
            Product::Library {
                names: vec!["libtinyx".into(), "libtinyx2".into()],
                variable: "libtinyx".into(),
                dir: None
            },
            Product::Executable {
                names: vec!["tinytool".into()],
                variable: "tinytool".into(),
                dir: None
            },
            Product::Executable {
                names: vec!["tinyhelper".into()],
                variable: "tinyhelper".into(),
                dir: Some("libexec".into())
            },
            Product::File { path: "lib/libtiny.a".into(), variable: "libtiny_a".into() },
        ]
    );
    assert!(rec.dependencies.is_empty());
    assert_eq!(r.kwargs.get("julia_compat").map(String::as_str), Some("\"1.6\""));
    assert_eq!(r.kwargs.get("preferred_gcc_version").map(String::as_str), Some("v\"8\""));
    assert!(!r.skipped_platforms.contains(&"x86_64-linux-gnu".to_owned()));
    // Header comment: provenance and recorded keyword arguments.
    assert!(r.toml.starts_with("# Imported from "));
    assert!(r.toml.contains("basic/build_tarballs.jl by `repro import yggdrasil`"));
    assert!(r.toml.contains("#   preferred_gcc_version = v\"8\"\n"));
    assert!(r.toml.contains("x86_64-w64-mingw32"));
    // The TOML re-parses to the same recipe.
    assert_eq!(repro_recipe::parse_str(&r.toml, &rec.path).unwrap(), *rec);
}

#[test]
fn every_source_kind_with_keywords() {
    let r = import("sources/build_tarballs.jl");
    assert_eq!(warnings(&r), vec![]);
    assert_eq!(
        r.recipe.sources,
        vec![
            Source::Archive {
                url: "https://example.org/multi-0.3.0.tar.gz".into(),
                sha256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae".into(),
                unpack_target: Some("multi".into()),
            },
            Source::Git {
                url: "https://github.com/example/helper.git".into(),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                unpack_target: None,
            },
            Source::Git {
                url: "https://github.com/example/other.git".into(),
                commit: "89abcdef0123456789abcdef0123456789abcdef".into(),
                unpack_target: Some("deps/other".into()),
            },
            Source::File {
                url: "https://example.org/data/table-0.3.0.dat".into(),
                sha256: "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9".into(),
                filename: Some("table.dat".into()),
            },
            Source::Directory { path: "bundled".into(), target: None },
            Source::Directory { path: "bundled/patches".into(), target: Some("patches".into()) },
        ]
    );
    assert_eq!(r.skipped_platforms, Vec::<String>::new());
}

#[test]
fn directory_sources_are_relative_to_the_output() {
    let out = fixture("sources/out/recipe.toml");
    let opts = ImportOptions { output: Some(out.clone()), ..Default::default() };
    // `out/` is below the recipe, so `bundled` would need `..`: the recipe format refuses that.
    let err = import_with("sources/build_tarballs.jl", &opts).unwrap_err();
    assert!(matches!(err, ImportError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains(".."), "{err}");
}

#[test]
fn computed_versions_and_interpolated_urls() {
    let r = import("versions/build_tarballs.jl");
    assert_eq!(warnings(&r), vec![]);
    assert_eq!(r.recipe.version.to_string(), "2.6.401");
    let Source::Archive { url, .. } = &r.recipe.sources[0] else { panic!() };
    assert_eq!(url, "https://example.org/R_2_6_4/versioned-2.6.4.tar.xz");
    assert!(
        r.recipe
            .script
            .starts_with("UPSTREAM=2.6.4\nNAME=Versioned\ncd $WORKSPACE/srcdir/versioned-*/\n")
    );
    // supported_platforms(; exclude=Sys.iswindows)
    assert_eq!(r.recipe.platforms.len(), 16);
    assert!(!r.recipe.platforms.iter().any(|p| p.contains("mingw")));
    assert_eq!(r.skipped_platforms.len(), 9);
}

#[test]
fn interpolation_resolved_and_unresolved() {
    let r = import("interpolation/build_tarballs.jl");
    assert_eq!(
        r.recipe.script,
        "cd $WORKSPACE/srcdir/interp-4.0.1\nmake SOVERSION=4 NAME=interp DESTDIR=$DESTDIR install\necho 4.0\n"
    );
    let Source::Archive { url, .. } = &r.recipe.sources[0] else { panic!() };
    assert_eq!(url, "https://example.org/interp/v4/interp-4.0.1.tar.bz2");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    let w = &r.warnings[0];
    assert_eq!((w.line, w.column), (15, 62));
    assert_eq!(w.construct, "$DESTDIR");
    assert!(
        w.message
            .contains("cannot resolve the interpolation `$DESTDIR` (undefined name `DESTDIR`)"),
        "{w}"
    );
}

#[test]
fn platform_filters() {
    let platforms = |rel: &str| import(&format!("platforms/{rel}")).recipe.platforms;
    let skipped = |rel: &str| import(&format!("platforms/{rel}")).skipped_platforms;
    assert_eq!(
        platforms("linux_filter.jl"),
        [
            "i686-linux-gnu",
            "x86_64-linux-gnu",
            "aarch64-linux-gnu",
            "armv6l-linux-gnueabihf",
            "armv7l-linux-gnueabihf",
            "powerpc64le-linux-gnu",
            "riscv64-linux-gnu"
        ]
    );
    assert_eq!(skipped("linux_filter.jl"), ["armv6l-linux-gnueabihf"]);
    assert_eq!(
        platforms("filter_bang.jl"),
        [
            "x86_64-linux-gnu",
            "aarch64-linux-gnu",
            "powerpc64le-linux-gnu",
            "x86_64-linux-musl",
            "aarch64-linux-musl"
        ]
    );
    let ex = platforms("exclude.jl");
    assert_eq!(ex.len(), 14);
    assert!(ex.iter().all(|p| !p.contains("apple") && !p.contains("mingw")));
    assert_eq!(skipped("explicit.jl"), ["aarch64-linux-musl", "x86_64-apple-darwin"]);
    // Expansions keep their tags: both string ABIs of every Linux platform.
    let cxx = import("platforms/cxx.jl");
    assert_eq!(cxx.recipe.platforms.len(), 24);
    assert!(cxx.recipe.platforms.contains(&"x86_64-linux-gnu-cxx03".to_owned()));
    assert!(cxx.recipe.platforms.contains(&"x86_64-linux-gnu-cxx11".to_owned()));
    assert!(cxx.skipped_platforms.contains(&"aarch64-linux-musl-cxx11".to_owned()));
    assert!(cxx.warnings.is_empty(), "{:?}", cxx.warnings);
    let gf = import("platforms/gfortran.jl");
    assert!(gf.recipe.platforms.contains(&"x86_64-linux-gnu-libgfortran4".to_owned()));
    assert!(gf.recipe.platforms.contains(&"x86_64-linux-gnu-libgfortran5".to_owned()));
    assert!(!gf.recipe.platforms.iter().any(|p| p.contains("libgfortran3")));
}

#[test]
fn platforms_that_cannot_be_built_or_evaluated_warn() {
    let w = import("platforms/windows_only.jl");
    assert_eq!(w.recipe.platforms, ["i686-w64-mingw32", "x86_64-w64-mingw32"]);
    assert!(w.skipped_platforms.is_empty() && w.warnings.is_empty(), "{:?}", warnings(&w));
    let m = import_src(
        &format!("name = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"make\"\nplatforms = filter(Sys.isapple, supported_platforms())\n{TAIL}"),
        &[],
    )
    .unwrap();
    assert_eq!(m.skipped_platforms, ["x86_64-apple-darwin", "aarch64-apple-darwin"]);
    assert!(
        has_warning(&m, 8, "none of the recipe's 2 platforms can be built here"),
        "{:?}",
        warnings(&m)
    );
    let a = import_src(
        &format!("name = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"make\"\nplatforms = [AnyPlatform()]\n{TAIL}"),
        &[],
    )
    .unwrap();
    assert_eq!(a.recipe.platforms, ["x86_64-linux-gnu"]);
    assert!(a.recipe.platform_independent, "AnyPlatform() is marked platform-independent");
    assert!(a.toml.contains("platform_independent = true"), "{}", a.toml);
    assert!(a.warnings.is_empty() && a.notes.iter().any(|n| n.contains("AnyPlatform")));
    let u = import("platforms/unknown_filter.jl");
    assert!(has_warning(&u, 2, "unsupported function `has_feature`"), "{:?}", warnings(&u));
    assert!(has_warning(&u, 2, "`platforms` could not be evaluated"), "{:?}", warnings(&u));
    assert_eq!(u.recipe.platforms, ["x86_64-linux-gnu"]);
}

#[test]
fn includes_and_functions_in_common_files() {
    let r = import("include/Libfoo/Libfoo@2.1.0/build_tarballs.jl");
    assert_eq!(warnings(&r), vec![]);
    assert_eq!(r.recipe.name, "Libfoo");
    assert_eq!(r.recipe.version.to_string(), "2.1.0");
    assert_eq!(
        r.recipe.sources,
        vec![Source::Git {
            url: "https://github.com/example/libfoo.git".into(),
            commit: "1111111111111111111111111111111111111111".into(),
            unpack_target: None
        }]
    );
    // The indented raw string inside the function is dedented.
    assert!(
        r.recipe
            .script
            .starts_with("cd $WORKSPACE/srcdir/libfoo*\nmkdir build && cd build\ncmake ")
    );
    assert!(r.recipe.script.contains("\n    -DCMAKE_BUILD_TYPE=Release \\\n"));
    // The sanitizer platform pushed in common.jl cannot be built here; the dependency only it
    // uses keeps that filter.
    assert!(r.skipped_platforms.contains(&"x86_64-linux-gnu-sanitize+memory".to_owned()));
    let dep = &r.recipe.dependencies[0];
    assert_eq!(dep.name.as_deref(), Some("LLVMCompilerRT_jll"));
    assert_eq!(
        dep.platforms.as_deref(),
        Some(&["x86_64-linux-gnu-sanitize+memory".to_owned()][..])
    );
    assert_eq!(r.kwargs.get("preferred_llvm_version").map(String::as_str), Some("llvm_version"));
    // `@__DIR__`, `joinpath` and keyword arguments of the shared function.
    let r = import("include/Libfoo/Libfoo@2.2.0/build_tarballs.jl");
    assert_eq!(warnings(&r), vec![]);
    assert_eq!(r.recipe.version.to_string(), "2.2.1");
    let Source::Git { commit, .. } = &r.recipe.sources[0] else { panic!() };
    assert_eq!(commit, "2222222222222222222222222222222222222222");
}

#[test]
fn include_outside_the_root_is_refused() {
    let opts = ImportOptions { root: Some(fixture("include_escape/recipe")), ..Default::default() };
    let err = import_with("include_escape/recipe/build_tarballs.jl", &opts).unwrap_err();
    let ImportError::Include { line, column, message, .. } = &err else { panic!("{err}") };
    assert_eq!((*line, *column), (3, 1));
    assert!(message.contains("outside the recipe root"), "{message}");
    // With a wider root the include is read (and the recipe is merely incomplete).
    let opts = ImportOptions { root: Some(fixture("include_escape")), ..Default::default() };
    let err = import_with("include_escape/recipe/build_tarballs.jl", &opts).unwrap_err();
    assert!(matches!(err, ImportError::Unresolved { .. }), "{err}");
}

#[test]
fn missing_include_names_the_line() {
    let err =
        import_with("include_missing/build_tarballs.jl", &ImportOptions::default()).unwrap_err();
    let s = err.to_string();
    assert!(s.contains("include_missing/build_tarballs.jl:4:1: include error"), "{s}");
    assert!(s.contains("\"../no_such_dir/common.jl\" does not exist"), "{s}");
}

#[test]
fn every_warning_kind() {
    let r = import("warnings/build_tarballs.jl");
    let expected: &[(usize, &str)] = &[
        (8, "keyword argument `verbose` of `ArchiveSource` is not supported"),
        (11, "`follow_symlinks=true` is not supported"),
        (12, "unsupported function `fetch_extra_source`"),
        (12, "entry 3 of `sources` is omitted"),
        (15, "cannot resolve the interpolation `$prefix`"),
        (17, "asks about the host"),
        (17, "cannot decide this `if` condition"),
        (21, "`while` loops are not supported"),
        (24, "asks about the host"),
        (24, "cannot decide this `if` condition"),
        (28, "`expand_microarchitectures` is not modelled"),
        (31, "several `dir_paths`; only the first one is used"),
        (32, "`FrameworkProduct` is macOS-only"),
        (32, "entry 2 of `products` is omitted"),
        (39, "version 3.1.4-rc2 has prerelease or build parts"),
        (40, "another `build_tarballs` call"),
    ];
    for (line, needle) in expected {
        assert!(
            has_warning(&r, *line, needle),
            "no warning {needle:?} at line {line}: {:#?}",
            warnings(&r)
        );
    }
    assert_eq!(r.warnings.len(), expected.len(), "{:#?}", warnings(&r));
    // Every warning names its file and the construct.
    assert!(r.warnings.iter().all(|w| w.file.ends_with("warnings/build_tarballs.jl")));
    let w = r.warnings.iter().find(|w| w.line == 11).unwrap();
    assert_eq!(w.construct, "DirectorySource(\"./bundled\"; follow_symlinks=true)");
    assert_eq!(w.column, 5);
    // The convertible parts are still there, and the warnings are in the header.
    assert_eq!(r.recipe.version.to_string(), "3.1.4");
    assert_eq!(r.recipe.sources.len(), 2);
    assert_eq!(r.recipe.products.len(), 1);
    assert_eq!(r.recipe.script, "cd $WORKSPACE/srcdir\nmake PREFIX=$prefix install\n");
    assert!(r.toml.contains("# Warnings (review these parts of the recipe):"));
    assert!(r.toml.contains(":21:1: `while` loops are not supported"));
}

#[test]
fn strict_mode_turns_warnings_into_an_error() {
    let opts = ImportOptions { strict: true, ..Default::default() };
    let err = import_with("warnings/build_tarballs.jl", &opts).unwrap_err();
    let ImportError::Strict { warnings, .. } = &err else { panic!("{err}") };
    assert_eq!(warnings.len(), 16);
    assert!(err.to_string().contains("16 warnings in strict mode"));
    // A clean recipe passes strict mode.
    assert!(import_with("basic/build_tarballs.jl", &opts).is_ok());
}

#[test]
fn dependencies_map_kind_compat_and_platforms() {
    use repro_recipe::{DependencyKind, DependencySource};
    let r = import("deps/build_tarballs.jl");
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
    let d = &r.recipe.dependencies;
    let summary: Vec<(Option<&str>, DependencyKind, Option<&str>)> =
        d.iter().map(|d| (d.name.as_deref(), d.kind, d.compat.as_deref())).collect();
    assert_eq!(
        summary,
        [
            (Some("Zlib_jll"), DependencyKind::Dependency, None),
            (Some("Bzip2_jll"), DependencyKind::Dependency, Some("1.0.8")),
            (Some("XZ_jll"), DependencyKind::BuildDependency, None),
            (Some("Ninja_jll"), DependencyKind::HostBuildDependency, None),
            (Some("Libiconv_jll"), DependencyKind::RuntimeDependency, None),
            (Some("Glibc_only_jll"), DependencyKind::Dependency, None),
        ]
    );
    assert!(d.iter().all(|d| d.source == DependencySource::Jll));
    assert_eq!(d[5].platforms.as_ref().unwrap().len(), 5);
    assert!(d[5].platforms.as_ref().unwrap().iter().all(|p| p.contains("musl")));
    assert!(d[..5].iter().all(|d| d.platforms.is_none()));

    // `--dep` maps a JLL to a local recipe; the kind stays.
    let mut deps = BTreeMap::new();
    deps.insert("Ninja_jll".to_owned(), "../ninja/recipe.toml".to_owned());
    let opts = ImportOptions { deps, ..Default::default() };
    let r = import_with("deps/build_tarballs.jl", &opts).unwrap();
    let ninja = &r.recipe.dependencies[3];
    assert_eq!(ninja.source, DependencySource::Recipe { path: "../ninja/recipe.toml".into() });
    assert_eq!(ninja.kind, DependencyKind::HostBuildDependency);
    assert!(r.notes.iter().any(|n| n.contains("built from the local recipe ../ninja/recipe.toml")));

    // Build versions pin the dependency; `compat` wins when both are given.
    let main = "name = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"make\"\nplatforms = [Platform(\"x86_64\", \"linux\")]\nproducts = Product[]\ndependencies = [\n  Dependency(\"A_jll\", v\"1.2.3+0\"),\n  Dependency(PackageSpec(name=\"B_jll\", uuid=\"6e34b625-4abd-537c-b88f-471c36dfa7a0\", version=v\"2.0.1\")),\n  BuildDependency(get_addable_spec(\"C_jll\", v\"3.1.0\"); compat=\"~3.1\"),\n  Dependency(\"D_jll\"; platforms=[Platform(\"x86_64\", \"linux\"; cxxstring_abi=\"cxx11\")]),\n]\nbuild_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)\n";
    let r = import_src(main, &[]).unwrap();
    let compat: Vec<Option<&str>> =
        r.recipe.dependencies.iter().map(|d| d.compat.as_deref()).collect();
    assert_eq!(compat, [Some("=1.2.3"), Some("=2.0.1"), Some("~3.1"), None]);
    assert_eq!(
        r.recipe.dependencies[3].platforms.as_deref(),
        Some(&["x86_64-linux-gnu-cxx11".to_owned()][..])
    );
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("malformed/unclosed_call.jl", 7, 1, "expected `,` or `)` in the argument list, found `]`"),
        ("malformed/bad_escape.jl", 2, 14, "invalid escape sequence `\\q`"),
        (
            "malformed/missing_end.jl",
            6,
            1,
            "missing `end` for `function` opened at line 1, column 1",
        ),
        ("malformed/unterminated_raw.jl", 2, 10, "unterminated string literal"),
    ];
    for (rel, line, column, needle) in cases {
        let err = import_with(rel, &ImportOptions::default()).unwrap_err();
        let ImportError::Syntax { file, line: l, column: c, message } = &err else {
            panic!("{rel}: {err}")
        };
        assert!(file.ends_with(rel), "{}", file.display());
        assert_eq!((*l, *c), (*line, *column), "{rel}: {message}");
        assert!(message.contains(needle), "{rel}: {message}");
    }
    // A syntax error in an included file names that file.
    let err = import_with("malformed/include_bad.jl", &ImportOptions::default()).unwrap_err();
    let ImportError::Syntax { file, line, .. } = &err else { panic!("{err}") };
    assert!(file.ends_with("malformed/unclosed_call.jl"), "{}", file.display());
    assert_eq!(*line, 7);
}

#[test]
fn hostile_input_is_bounded() {
    let dir = std::env::temp_dir().join(format!("repro-import-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Unbounded recursion.
    let rec = dir.join("recursion.jl");
    std::fs::write(&rec, "f(x) = f(x)\nname = f(1)\n").unwrap();
    let err =
        import_yggdrasil(&rec, &ImportOptions { root: Some(dir.clone()), ..Default::default() })
            .unwrap_err();
    assert!(err.to_string().contains("nested more than 64 deep"), "{err}");
    // A self-include.
    let cyc = dir.join("cycle.jl");
    std::fs::write(&cyc, "include(\"cycle.jl\")\n").unwrap();
    let err =
        import_yggdrasil(&cyc, &ImportOptions { root: Some(dir.clone()), ..Default::default() })
            .unwrap_err();
    assert!(err.to_string().contains("include cycle"), "{err}");
    // A long loop.
    let lp = dir.join("loop.jl");
    std::fs::write(&lp, "x = 0\nfor i in 1:99999\n for j in 1:99999\n  x += 1\n end\nend\n")
        .unwrap();
    let err =
        import_yggdrasil(&lp, &ImportOptions { root: Some(dir.clone()), ..Default::default() })
            .unwrap_err();
    assert!(err.to_string().contains("steps"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The seven `build_tarballs` arguments, with `platforms` and `sources` given.
const TAIL: &str = "products = [LibraryProduct(\"liba\", :liba)]\ndependencies = []\nbuild_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)\n";

/// Imports `main` (written as `build_tarballs.jl`) with the other `files` beside it.
fn import_src(main: &str, files: &[(&str, &str)]) -> Result<ImportResult, ImportError> {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let path = dir.path().join("build_tarballs.jl");
    std::fs::write(&path, main).unwrap();
    import_yggdrasil(&path, &ImportOptions { root: Some(dir.path().into()), ..Default::default() })
}

#[test]
fn modules_have_their_own_scope_and_functions() {
    let module = "module M\nusing BinaryBuilder\nconst versions = [v\"1.2.0\", v\"1.3.0\"]\nlatest() = maximum(versions)\nfunction supported_platforms()\n    ps = Platform[]\n    for v in versions\n        p = Platform(\"x86_64\", \"linux\")\n        p[\"cuda\"] = \"$(v.major).$(v.minor)\"\n        push!(ps, p)\n    end\n    return ps\nend\nend\n";
    let main = format!(
        "include(\"m.jl\")\nname = \"A\"\nversion = M.latest()\nsources = []\nscript = \"make\"\nplatforms = M.supported_platforms()\nn = length(supported_platforms())\n{TAIL}"
    );
    let r = import_src(&main, &[("m.jl", module)]).unwrap();
    assert_eq!(r.recipe.version.to_string(), "1.3.0");
    // The module's `supported_platforms` tagged its platforms; BinaryBuilder's is unchanged.
    assert_eq!(r.recipe.platforms, ["x86_64-linux-gnu-cuda+1.2", "x86_64-linux-gnu-cuda+1.3"]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn build_tarballs_in_a_loop_over_args_and_enumerate() {
    let main = "name = \"A\"\nsources = []\nscript = \"make\"\nplatforms = [Platform(\"x86_64\", \"linux\")]\nproducts = Product[]\nbuilds = []\nfor (i, v) in enumerate([v\"1.0.0\", v\"2.0.0\"])\n    push!(builds, (name, v, sources, script, platforms, products, []))\nend\nnon_reg = filter(a -> a != \"--register\", ARGS)\n@assert !(\"--debug\" in ARGS) && isempty(ARGS) && isone(1) && iszero(0)\nif @isdefined(builds) && !@isdefined(nonexistent)\n    for (i, b) in enumerate(builds)\n        build_tarballs(i == lastindex(builds) ? ARGS : non_reg, b...; julia_compat=\"1.6\")\n    end\nend\n";
    let r = import_src(main, &[]).unwrap();
    assert_eq!(r.recipe.version.to_string(), "1.0.0");
    assert!(
        r.warnings.iter().any(|w| w.line == 14 && w.message.contains("another `build_tarballs`")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn quoted_expressions_and_macros_warn() {
    let main = format!(
        "macro flag(x)\n    quote\n        $(esc(x))\n    end\nend\nq = :(a + $b)\nname = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"make\"\nplatforms = [Platform(\"x86_64\", \"linux\")]\n{TAIL}"
    );
    let r = import_src(&main, &[]).unwrap();
    assert!(has_warning(&r, 1, "`macro` block is not supported"), "{:?}", r.warnings);
    assert!(has_warning(&r, 6, "quoted expression"), "{:?}", r.warnings);
}

#[test]
fn keyword_shorthand_paren_blocks_normpath_and_versions() {
    let main = format!(
        "dep = (; platforms = [Platform(\"x86_64\", \"linux\")])\nd = Dependency(\"Zlib_jll\"; dep.platforms)\ndir = normpath(@__DIR__, \"x\", \"..\")\nconfig = \"\"\ntrue && (config *= \"A=1\\n\"; config *= \"B=2\")\nname = \"A\"\nversion = Base.thisminor(v\"1.2.3\")\nsources = []\nscript = config * (dir == (@__DIR__) ? \"ok\" : \"bad\") * string(min(3, 2), maximum([1, 5]))\nplatforms = [Platform(\"x86_64\", \"linux\")]\n{TAIL}"
    );
    let r = import_src(&main, &[]).unwrap();
    assert_eq!(r.recipe.version.to_string(), "1.2.0");
    assert_eq!(r.recipe.script, "A=1\nB=2ok25");
}

#[test]
fn platform_from_the_command_line_and_own_build_tarballs_method() {
    // The 0_RootFS pattern: the target comes from ARGS, `build_tarballs` gets another method.
    let main = "import BinaryBuilder: build_tarballs\nfunction build_tarballs(project::String, args::String...)\n    error(\"not this one\")\nend\ntarget = try\n    parse(Platform, ARGS[end])\ncatch\n    error(\"give a platform\")\nend\ndeleteat!(ARGS, length(ARGS))\ndargs = ARGS[findall(a -> startswith(a, \"--deploy\"), ARGS)]\nname = \"A\"\nversion = VersionNumber(split(\"refs/tags/v1.2.3\", \"/\")[end])\nsources = [\"https://example.org/x.git\" => \"980bfa3c485ad975383f1f36fef25eafb8eb2ec7\", ArchiveSource(\"https://example.org/a b.tar.gz\", \"0000000000000000000000000000000000000000000000000000000000000000\")]\nscript = \"n=$(Int(2.0)) $(any([false, true])) $(all(x -> x > 0, [1, 2])) $(triplet(parse(Platform, \"aarch64-linux-musl-cxx11\")))\"\nproducts = [ExecutableProduct(\"unwrapped/x\", :x), ExecutableProduct(\"y\", :x)]\nbuild_tarballs(filter(a -> a != \"--register\", ARGS), name, version, sources, script, [target], products, Dependency[])\n";
    let r = import_src(main, &[]).unwrap();
    assert!(has_warning(&r, 6, "x86_64-linux-gnu is assumed"), "{:?}", r.warnings);
    let m = "m = match(r\"^v(?<major>\\d+)\\.(\\d+)(?<rc>-rc)?$\", \"v4.12\")\nname = \"A\"\nversion = VersionNumber(parse(Int, m[:major]), parse(Int, m[2]), isnothing(m[:rc]) ? 0 : 1)\nsources = []\nscript = string(isnothing(match(r\"x\", \"abc\")))\nplatforms = [Platform(\"x86_64\", \"linux\")]\n";
    let r2 = import_src(&format!("{m}{TAIL}"), &[]).unwrap();
    assert_eq!(r2.recipe.version.to_string(), "4.12.0");
    assert_eq!(r2.recipe.script, "true");
    assert_eq!(r.recipe.version.to_string(), "1.2.3");
    assert_eq!(r.recipe.script, "n=2 true true aarch64-linux-musl-cxx11");
    assert!(matches!(&r.recipe.sources[0], Source::Git { commit, .. } if commit.len() == 40));
    assert!(
        matches!(&r.recipe.sources[1], Source::Archive { url, .. } if url == "https://example.org/a%20b.tar.gz")
    );
    assert_eq!(
        r.recipe.products,
        vec![Product::Executable {
            names: vec!["x".into()],
            variable: "x".into(),
            dir: Some("bin/unwrapped".into())
        }]
    );
    assert!(has_warning(&r, 17, "uses the variable `x` of entry 1 again"), "{:?}", r.warnings);
}

/// Imports `src` as a recipe and returns the error it must fail with.
fn import_err(src: &str) -> String {
    match import_src(src, &[]) {
        Ok(r) => panic!("imported: {:?}", r.recipe.name),
        Err(e) => e.to_string(),
    }
}

// See: issue 14, "The importer".
#[test]
fn deep_nesting_and_long_chains_are_errors_not_stack_overflows() {
    let nested = format!("x = {}1{}\n", "f(".repeat(50_000), ")".repeat(50_000));
    let e = import_err(&nested);
    assert!(e.contains("nested too deeply"), "{e}");
    let sum = format!("x = 1{}\n", "+1".repeat(149_999));
    let e = import_err(&sum);
    assert!(e.contains("operands in one `+` chain"), "{e}");
    let brackets = format!("x = {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let e = import_err(&brackets);
    assert!(e.contains("nested too deeply"), "{e}");
    let index = format!("x = {}1{}\n", "a[".repeat(50_000), "]".repeat(50_000));
    let e = import_err(&index);
    assert!(e.contains("nested too deeply"), "{e}");
    let unary = format!("x = {}true\n", "!".repeat(50_000));
    let e = import_err(&unary);
    assert!(e.contains("nested too deeply"), "{e}");
}

// See: issue 14, "The importer".
#[test]
fn growing_values_hit_a_size_bound() {
    let cases: &[(&str, &str)] = &[
        ("s = \"ab\"\nfor i in 1:64\n    global s = s * s\nend\n", "a string of"),
        ("s = \"ab\"\nfor i in 1:64\n    global s = \"$s$s\"\nend\n", "a string of"),
        ("s = \"ab\"\nfor i in 1:64\n    global s = string(s, s)\nend\n", "a string of"),
        ("v = [1]\nfor i in 1:64\n    global v = vcat(v, v)\nend\n", "more than 100000 elements"),
        ("v = [1]\nfor i in 1:64\n    global v = [v; v]\nend\n", "more than 100000 elements"),
        ("v = [(i, j) for i in 1:99_999, j in 1:99_999]\n", "more than 100000 elements"),
        ("d = Dict(i => i for i in 1:99_999)\nv = [d for i in 1:5000]\n", "allocated more than"),
    ];
    for (src, needle) in cases {
        let start = std::time::Instant::now();
        let e = match import_src(src, &[]) {
            Ok(_) => panic!("{src}: imported"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(needle), "{src}: {e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "{src}: too slow");
    }
    // `append!` stops growing a vector at the bound and warns.
    let src = format!(
        "v = [1]\nfor i in 1:64\n    append!(v, v)\nend\nname = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"make\"\nplatforms = [Platform(\"x86_64\", \"linux\")]\n{TAIL}"
    );
    let r = import_src(&src, &[]).unwrap();
    assert!(has_warning(&r, 3, "vector is too long"), "{:?}", r.warnings);
}

// See: issue 14, "FIFOs and special files".
#[cfg(unix)]
#[test]
fn fifos_are_refused_before_opening() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.jl");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let opts = ImportOptions { root: Some(dir.path().into()), ..Default::default() };
    // As the recipe.
    let e = import_yggdrasil(&fifo, &opts).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    // Included from a recipe, and read with `read`.
    let main = dir.path().join("build_tarballs.jl");
    std::fs::write(&main, "include(\"fifo.jl\")\n").unwrap();
    let e = import_yggdrasil(&main, &opts).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    std::fs::write(&main, format!("name = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = read(\"fifo.jl\", String)\nplatforms = [Platform(\"x86_64\", \"linux\")]\n{TAIL}")).unwrap();
    let e = import_yggdrasil(&main, &opts).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn build_tarballs_per_platform_in_a_loop_imports_every_platform() {
    let r = import("per_platform/Libbar@1.2/build_tarballs.jl");
    let rec = &r.recipe;
    assert_eq!((rec.name.as_str(), rec.version.to_string()), ("Libbar", "1.2.0".to_owned()));
    // Every call's platform, in the order of the calls.
    let mut expected = Vec::new();
    for base in platform::supported_platforms() {
        if base.arch == "x86_64" || base.arch == "aarch64" {
            for p in platform::expand_gfortran_versions(vec![base]) {
                expected.push(p.triplet());
            }
        }
    }
    assert!(expected.len() > 20, "{expected:?}");
    assert_eq!(rec.platforms, expected);
    assert!(rec.platforms[0].ends_with("-libgfortran3"), "{:?}", rec.platforms);
    // The products every call names; the others are left out with a note.
    let vars: Vec<&str> = rec
        .products
        .iter()
        .map(|p| match p {
            Product::Library { variable, .. }
            | Product::Executable { variable, .. }
            | Product::File { variable, .. } => variable.as_str(),
        })
        .collect();
    assert_eq!(vars, ["libbar", "libgfortran"]);
    assert!(
        r.notes.iter().any(|n| n.ends_with("are left out: libquadmath, libbar_a")),
        "{:?}",
        r.notes
    );
    // The Linux calls' dependency applies to the Linux platforms only.
    assert_eq!(rec.dependencies.len(), 1);
    let linux: Vec<String> = expected.iter().filter(|t| t.contains("-linux-")).cloned().collect();
    assert_eq!(rec.dependencies[0].name.as_deref(), Some("Zlib_jll"));
    assert_eq!(rec.dependencies[0].platforms.as_ref(), Some(&linux));
    // One warning for the call in the loop: the first call's script and sources are used.
    assert_eq!(r.warnings.len(), 2, "{:#?}", warnings(&r));
    assert!(has_warning(
        &r,
        32,
        "its platforms are added, built with the first call's script and sources"
    ));
    assert!(has_warning(&r, 32, "the recipe keeps the products every call names"));
    assert!(rec.script.starts_with("TRIPLET=x86_64-linux-gnu-libgfortran3\n"), "{}", rec.script);
}

#[test]
fn build_tarballs_per_platform_group_restricts_each_calls_dependencies() {
    let main = "name = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"make\"\nproducts = [LibraryProduct(\"liba\", :liba)]\nunix = filter(!Sys.iswindows, supported_platforms())\nwin = filter(Sys.iswindows, supported_platforms())\ncommon = [Dependency(\"Zlib_jll\"), Dependency(\"Ogg_jll\"; platforms=filter(Sys.islinux, supported_platforms()))]\nbuild_tarballs(ARGS, name, version, sources, script, unix, products, [common; Dependency(\"Unix_jll\")])\nbuild_tarballs(ARGS, name, version, sources, script, win, products, [common; BuildDependency(\"Win_jll\")]; preferred_gcc_version=v\"13\")\nbuild_tarballs(ARGS, name, v\"2.0.0\", sources, script, win, products, [])\n";
    let r = import_src(main, &[]).unwrap();
    let rec = &r.recipe;
    let all: Vec<String> = platform::supported_platforms().iter().map(|p| p.triplet()).collect();
    let (unix, win): (Vec<String>, Vec<String>) =
        all.iter().cloned().partition(|t| !t.contains("mingw"));
    assert_eq!(rec.platforms, [unix.clone(), win.clone()].concat());
    let deps: Vec<(&str, Option<&Vec<String>>)> = rec
        .dependencies
        .iter()
        .map(|d| (d.name.as_deref().unwrap(), d.platforms.as_ref()))
        .collect();
    let linux: Vec<String> = all.iter().filter(|t| t.contains("-linux-")).cloned().collect();
    assert_eq!(
        deps,
        [
            ("Zlib_jll", None),
            ("Ogg_jll", Some(&linux)),
            ("Unix_jll", Some(&unix)),
            ("Win_jll", Some(&win))
        ]
    );
    assert!(r.notes.iter().any(|n| n.contains("different keyword arguments")), "{:?}", r.notes);
    // Same script, sources and products: nothing to warn about but the call of another version.
    assert_eq!(r.warnings.len(), 1, "{:#?}", warnings(&r));
    assert!(has_warning(
        &r,
        11,
        "another `build_tarballs` call (of another name or version); only the first one is imported"
    ));
}

#[test]
fn setdiff_removes_every_following_collection() {
    // One recipe built in several `build_tarballs` calls, the Linux one guarded by an `if` over
    // `setdiff` of three collections.
    let main = "should_build_platform(t) = true\nname = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = \"make\"\nproducts = Product[]\nplatforms = [Platform(\"x86_64\", \"linux\"), Platform(\"x86_64\", \"macos\"), Platform(\"x86_64\", \"windows\")]\nmacs = filter(Sys.isapple, platforms)\nwins = filter(Sys.iswindows, platforms)\nlinux = setdiff(platforms, macs, wins)\nif any(should_build_platform.(triplet.(linux)))\n    build_tarballs(ARGS, name, version, sources, script, linux, products, [])\nend\nif any(should_build_platform.(triplet.(wins)))\n    build_tarballs(ARGS, name, version, sources, script, wins, products, [])\nend\n";
    let r = import_src(main, &[]).unwrap();
    assert_eq!(r.recipe.platforms, ["x86_64-linux-gnu", "x86_64-w64-mingw32"]);
    assert!(!r.warnings.iter().any(|w| w.message.contains("setdiff")), "{:?}", r.warnings);
    // Julia's values: distinct elements in order, tuples accepted, one argument is `unique`.
    let main = format!(
        "name = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = string(setdiff([3, 1, 3, 2, 1], (2,)) == [3, 1], setdiff([1, 2, 1]) == [1, 2], setdiff((1, 2, 3), [1], [3], Int[]) == [2], length(setdiff([1, 2], [1, 2])))\nplatforms = [Platform(\"x86_64\", \"linux\")]\n{TAIL}"
    );
    let r = import_src(&main, &[]).unwrap();
    assert_eq!(r.recipe.script, "truetruetrue0");
    // Long vectors count against the step bound instead of running unbounded.
    let src = "a = [i for i in 1:60_000]\nb = [i for i in 60_001:120_000]\nc = setdiff(a, b, b)\n";
    let e = import_err(src);
    assert!(e.contains("steps"), "{e}");
}

#[test]
fn returns_is_a_function_of_any_arguments() {
    // `skip=Returns(false)` expands the string ABIs of every platform, `skip=Returns(true)` of
    // none; the platforms then decide an `if` around their `build_tarballs` call.
    let main = "should_build_platform(t) = true\nname = \"A\"\nversion = v\"1.0.0\"\nsources = []\nscript = string(Returns(7)(), Returns(\"x\")(1, 2; k = 3), filter(!Returns(false), [1, 2]) == [1, 2])\nproducts = Product[]\nps = expand_cxxstring_abis([Platform(\"x86_64\", \"linux\")]; skip=Returns(false))\nappend!(ps, expand_cxxstring_abis([Platform(\"i686\", \"linux\")]; skip=Returns(true)))\nappend!(ps, filter(Returns(false), ps))\nif any(should_build_platform.(triplet.(ps)))\n    build_tarballs(ARGS, name, version, sources, script, ps, products, [])\nend\n";
    let r = import_src(main, &[]).unwrap();
    assert_eq!(
        r.recipe.platforms,
        ["x86_64-linux-gnu-cxx03", "x86_64-linux-gnu-cxx11", "i686-linux-gnu"]
    );
    assert_eq!(r.recipe.script, "7xtrue");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}
