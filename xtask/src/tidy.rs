//! Tidy checks of the architecture rules (ARCHITECTURE.md, "Invariants"), run by `cargo test`:
//!
//! - crates form layers and depend only on lower layers (data flows one way);
//! - libraries do not depend on `anyhow` (typed errors; `anyhow` lives in the CLI and xtask);
//! - libraries do not print (also enforced by the workspace's `print_stdout`/`print_stderr`
//!   lints; checked here on the sources so that an `allow` cannot hide it).

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use crate::test::repo_root;

    /// The layer of every workspace crate: a crate may depend on crates of lower layers only.
    const LAYERS: &[(&str, u32)] = &[
        ("repro-events", 0),
        ("repro-recipe", 0),
        ("repro-artifact", 0),
        ("repro-report", 0),
        ("repro-import", 1),
        ("repro-normalizer", 1),
        ("repro-attest", 1),
        ("repro-sources", 1),
        ("repro-sandbox", 1),
        ("repro-differ", 2),
        ("repro", 3),
        ("repro-fuzz", 3),
        ("repro-cli", 4),
    ];

    fn layer(name: &str) -> Option<u32> {
        LAYERS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
    }

    /// `(crate name, its [dependencies] names)` for every crate under `crates/`.
    fn crates() -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for e in fs::read_dir(repo_root().join("crates")).unwrap() {
            let manifest = e.unwrap().path().join("Cargo.toml");
            let text = fs::read_to_string(&manifest).unwrap();
            let doc: toml::Table = text.parse().unwrap();
            let name = doc["package"]["name"].as_str().unwrap().to_owned();
            let deps = doc
                .get("dependencies")
                .and_then(|d| d.as_table())
                .map(|t| t.keys().cloned().collect())
                .unwrap_or_default();
            out.push((name, deps));
        }
        out.sort();
        out
    }

    #[test]
    fn every_crate_has_a_layer_and_depends_only_downwards() {
        let mut problems = Vec::new();
        for (name, deps) in crates() {
            let Some(l) = layer(&name) else {
                problems.push(format!("{name}: not in xtask's tidy LAYERS (add it)"));
                continue;
            };
            for d in deps.iter().filter(|d| d.starts_with("repro")) {
                match layer(d) {
                    Some(dl) if dl < l => {}
                    _ => {
                        problems.push(format!("{name} (layer {l}) depends on {d} ({:?})", layer(d)))
                    }
                }
            }
        }
        assert!(problems.is_empty(), "layering broken:\n{}", problems.join("\n"));
    }

    #[test]
    fn libraries_use_typed_errors_not_anyhow() {
        let offenders: Vec<String> = crates()
            .into_iter()
            .filter(|(name, deps)| name != "repro-cli" && deps.iter().any(|d| d == "anyhow"))
            .map(|(name, _)| name)
            .collect();
        assert!(offenders.is_empty(), "libraries depending on anyhow: {offenders:?}");
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn libraries_do_not_print() {
        let mut problems = Vec::new();
        let mut scanned = 0;
        for (name, _) in crates().into_iter().filter(|(n, _)| n != "repro-cli") {
            let src = repo_root().join("crates").join(&name).join("src");
            let mut files = Vec::new();
            rust_files(&src, &mut files);
            for f in files {
                scanned += 1;
                let text = fs::read_to_string(&f).unwrap();
                // Unit tests may print; the library code before them may not.
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                for (i, line) in code.lines().enumerate() {
                    let l = line.trim_start();
                    if l.starts_with("//") {
                        continue;
                    }
                    for m in ["println!(", "eprintln!(", "print!(", "eprint!(", "dbg!("] {
                        if l.contains(m) {
                            problems.push(format!("{}:{}: {m}", f.display(), i + 1));
                        }
                    }
                }
            }
        }
        assert!(scanned > 50, "only {scanned} library sources found");
        assert!(
            problems.is_empty(),
            "libraries print (send an Event or return a value):\n{}",
            problems.join("\n")
        );
    }
}
