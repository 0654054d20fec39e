//! Terminal text: verdict and summary first, then normalizations, then one block per file.

use std::fmt::Write as _;

use crate::{Detail, FileReport, Report, Verdict};

/// Options of the text renderer.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Emit ANSI colours (the caller decides: TTY and no `NO_COLOR`).
    pub color: bool,
    /// Show detail nodes (diffs, hexdumps) and not only statuses and causes.
    pub details: bool,
    /// At most this many lines of each unified diff are printed.
    pub max_diff_lines: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { color: false, details: true, max_diff_lines: 200 }
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

/// Render `report` as terminal text.
pub fn text(report: &Report, opts: &TextOptions) -> Vec<u8> {
    // Names and messages come from untrusted archives: no control characters reach the reader.
    let report = &super::display_safe(report);
    let p = Paint { on: opts.color };
    let mut o = String::new();
    let verdict = match report.verdict {
        Verdict::Reproducible => p.green(&p.bold("reproducible")),
        Verdict::Unreproducible => p.red(&p.bold("unreproducible")),
    };
    if let Some(v) = &report.verify {
        verify_block(&mut o, v, &p);
        if report.inputs.is_some() {
            let _ = writeln!(o, "\n{}", p.bold("published (a) versus rebuilt (b):"));
        }
    }
    if report.verify.is_none() || report.inputs.is_some() {
        let _ = writeln!(o, "verdict: {verdict}");
        let _ = writeln!(o, "summary: {}", super::summary_line(report));
    }
    if let Some(inputs) = &report.inputs {
        let _ = writeln!(o, "a: {} ({})", inputs.a.path, inputs.a.kind);
        let _ = writeln!(o, "b: {} ({})", inputs.b.path, inputs.b.kind);
    }
    if !report.normalizations.is_empty() {
        let _ = writeln!(o, "\n{}", p.bold("normalizations:"));
        for n in &report.normalizations {
            let _ = writeln!(o, "  {} ({} paths): {}", p.bold(&n.rule), n.count, n.description);
            for path in n.paths.iter().take(5) {
                let _ = writeln!(o, "      {path}");
            }
            if n.count > 5 {
                let _ = writeln!(o, "      {}", p.dim(&format!("... {} more", n.count - 5)));
            }
        }
    }
    if !report.files.is_empty() {
        let _ = writeln!(o, "\n{}", p.bold("files:"));
        for f in &report.files {
            file_block(&mut o, f, &p, opts);
        }
    }
    if !report.truncated.is_empty() {
        let _ = writeln!(o, "\n{}", p.yellow("truncated (a bound was hit):"));
        for t in &report.truncated {
            let path = t.path.as_deref().map(|p| format!("{p}: ")).unwrap_or_default();
            let _ = writeln!(o, "  {path}{} ({})", t.message, t.limit);
        }
    }
    if let Some(check) = &report.check {
        let _ = writeln!(o, "\n{}", p.bold("check:"));
        let _ = writeln!(
            o,
            "  recipe {} {} (sha256 {})",
            check.recipe.name, check.recipe.version, check.recipe.sha256
        );
        if let Some(img) = &check.image {
            let _ = writeln!(o, "  image {}", img.digest);
        }
        for b in &check.builds {
            let vars: Vec<String> = b.variations.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                o,
                "  build {}: {} in {:.1}s [{}]",
                b.label,
                if b.success { "ok" } else { "failed" },
                b.duration_secs,
                vars.join(" ")
            );
            if let Some(a) = &b.artifact {
                let _ = writeln!(o, "    sha256 {}  git-tree-sha1 {}", a.sha256, a.git_tree_sha1);
            }
        }
        for n in &check.variations_not_applied {
            let _ = writeln!(o, "  not applied: {} ({})", n.variation, n.reason);
        }
        if check.network {
            let _ = writeln!(o, "  network: enabled by the recipe (network = true)");
        }
        for d in &check.dependencies {
            let e = |s: &str| super::escape_controls(s, false).into_owned();
            let mut line = format!(
                "  dependency {} ({}, {}): {}",
                e(&d.name),
                d.kind,
                e(&d.target),
                d.resolved
            );
            if let Some(from) = &d.from {
                line.push_str(&format!(" {}", e(from)));
            }
            if let Some(h) = &d.git_tree_sha1 {
                line.push_str(&format!(", git-tree-sha1 {h}"));
            }
            if d.cached {
                line.push_str(" (cached)");
            }
            match d.reproducible {
                Some(true) => line.push_str(", reproducible"),
                Some(false) => {
                    line.push_str(&format!(", UNREPRODUCIBLE: {}", e(&d.differing.join(", "))))
                }
                None => {}
            }
            let _ = writeln!(o, "{line}");
        }
        if !check.dependency_files_changed.is_empty() {
            let _ = writeln!(
                o,
                "  dependency files changed by the build (kept in the artifact): {}",
                super::escape_controls(&check.dependency_files_changed.join(", "), false)
            );
        }
    }
    if let Some(ex) = &report.explain {
        let _ = writeln!(o, "\n{}", p.bold("explain:"));
        for f in &ex.files {
            let _ = writeln!(o, "  {}: {}", f.path, f.variations.join(", "));
        }
        for f in &ex.differ_without_variation {
            let _ = writeln!(o, "  {f}: differs with no variation");
        }
    }
    o.into_bytes()
}

fn verify_block(o: &mut String, v: &crate::VerifySection, p: &Paint) {
    use crate::VerifyVerdict;
    let verdict = match v.verdict {
        VerifyVerdict::Verified => p.green(&p.bold("verified")),
        VerifyVerdict::Mismatch => p.red(&p.bold("mismatch")),
        VerifyVerdict::NotRebuildable => p.yellow(&p.bold("not rebuildable")),
    };
    let _ = writeln!(o, "verify: {verdict} ({} for {})", v.record.name, v.platform);
    if let Some(r) = &v.reason {
        let _ = writeln!(o, "  reason: {r}");
    }
    let _ = writeln!(o, "  record: {} [{}]", v.record.source, v.record.entry);
    let mark = |m: Option<bool>| match m {
        Some(true) => p.green("match"),
        Some(false) => p.red("differs"),
        None => "-".to_owned(),
    };
    let rebuilt_tree = v.rebuilt.as_ref().map_or("-", |a| a.git_tree_sha1.as_str());
    let rebuilt_sha = v.rebuilt.as_ref().map_or("-", |a| a.sha256.as_str());
    let _ = writeln!(
        o,
        "  git-tree-sha1  record {}  rebuilt {}  {}",
        v.record.git_tree_sha1,
        rebuilt_tree,
        mark(v.git_tree_sha1_match)
    );
    let _ = writeln!(
        o,
        "  sha256         record {}  rebuilt {}  {}",
        v.record.sha256.as_deref().unwrap_or("-"),
        rebuilt_sha,
        mark(v.sha256_match)
    );
    if let Some(pb) = &v.published {
        if pb.fetched {
            let _ = writeln!(
                o,
                "  published tarball: {} (from {}, git-tree-sha1 {})",
                pb.url,
                pb.origin.as_deref().unwrap_or("?"),
                pb.git_tree_sha1.as_deref().unwrap_or("?")
            );
        } else {
            let _ = writeln!(o, "  published tarball: {} not available", pb.url);
        }
        if let Some(e) = &pb.error {
            let _ = writeln!(o, "    {}", p.yellow(e));
        }
    }
    for n in &v.notes {
        let _ = writeln!(o, "  note: {n}");
    }
}

fn file_block(o: &mut String, f: &FileReport, p: &Paint, opts: &TextOptions) {
    let status = if f.status.is_difference() {
        p.red(f.status.as_str())
    } else {
        p.yellow(f.status.as_str())
    };
    let mut head = format!("  {status:<15} {}", f.path);
    if let Some(fmt) = &f.format {
        head.push_str(&format!(" [{fmt}]"));
    }
    match (f.size_a, f.size_b) {
        (Some(a), Some(b)) if a != b => head.push_str(&format!(" {a} -> {b} bytes")),
        (Some(a), Some(_)) => head.push_str(&format!(" {a} bytes")),
        _ => {}
    }
    let _ = writeln!(o, "{head}");
    if let Some(k) = f.kind_b {
        let _ = writeln!(o, "      type: {} -> {}", f.kind, k);
    }
    if let (Some(a), Some(b)) = (f.executable_a, f.executable_b)
        && a != b
    {
        let _ = writeln!(o, "      owner-x: {a} -> {b}");
    }
    if f.target_a.is_some() || f.target_b.is_some() {
        let _ = writeln!(
            o,
            "      target: {} -> {}",
            f.target_a.as_deref().unwrap_or("-"),
            f.target_b.as_deref().unwrap_or("-")
        );
    }
    if !f.rules.is_empty() {
        let _ = writeln!(o, "      rules: {}", f.rules.join(", "));
    }
    for c in &f.causes {
        let _ = writeln!(
            o,
            "      cause: {} {}",
            p.bold(&super::cause_label(c)),
            super::evidence_text(c)
        );
    }
    if let Some(e) = &f.error {
        let _ = writeln!(o, "      {}: {e}", p.yellow("error"));
    }
    if opts.details {
        for d in &f.details {
            detail_block(o, d, 3, p, opts);
        }
    }
}

fn detail_block(o: &mut String, d: &Detail, depth: usize, p: &Paint, opts: &TextOptions) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(o, "{pad}{}", p.bold(&d.title));
    for c in &d.comments {
        let _ = writeln!(o, "{pad}  # {c}");
    }
    if let Some(diff) = &d.unified_diff {
        for (n, line) in diff.lines().enumerate() {
            if n >= opts.max_diff_lines {
                let _ = writeln!(o, "{pad}  {}", p.dim("... (more lines in --json output)"));
                break;
            }
            let l = if line.starts_with('+') {
                p.green(line)
            } else if line.starts_with('-') {
                p.red(line)
            } else if line.starts_with("@@") {
                p.dim(line)
            } else {
                line.to_owned()
            };
            let _ = writeln!(o, "{pad}  {l}");
        }
    }
    for c in &d.children {
        detail_block(o, c, depth + 1, p, opts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckSection, DependencyInfo};

    #[test]
    fn dependencies_and_changed_dependency_files_are_listed() {
        let mut r = Report::new();
        r.check = Some(CheckSection {
            dependencies: vec![DependencyInfo {
                name: "Ogg_jll".into(),
                kind: "dependency".into(),
                target: "x86_64-linux-gnu".into(),
                resolved: "recipe".into(),
                from: Some("recipes/ogg/recipe.toml".into()),
                git_tree_sha1: Some("a".repeat(40)),
                cached: true,
                reproducible: Some(false),
                differing: vec!["lib/libogg.so.0\u{1b}[2J".into()],
                ..Default::default()
            }],
            dependency_files_changed: vec!["include/ogg/ogg.h".into()],
            ..Default::default()
        });
        let out = String::from_utf8(text(&r, &TextOptions::default())).unwrap();
        assert!(
            out.contains(&format!(
                "  dependency Ogg_jll (dependency, x86_64-linux-gnu): recipe recipes/ogg/recipe.toml, git-tree-sha1 {} (cached), UNREPRODUCIBLE: lib/libogg.so.0",
                "a".repeat(40)
            )),
            "{out}"
        );
        assert!(!out.contains('\u{1b}'), "control characters are escaped: {out:?}");
        assert!(
            out.contains(
                "dependency files changed by the build (kept in the artifact): include/ogg/ogg.h"
            ),
            "{out}"
        );
    }
}
