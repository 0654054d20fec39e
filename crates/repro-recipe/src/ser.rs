//! [`Recipe`] → canonical recipe TOML.
//!
//! The canonical form has a fixed key order, omits fields at their default value (a
//! `source_date_epoch` of 0, `network = false`, a product `variable` equal to its default), writes
//! the script as a multi-line string, and parses back to an equal [`Recipe`]. It is what
//! [`Recipe::recipe_hash`] hashes, so formatting and comments do not change a recipe's identity.

use std::fmt::Write as _;

use crate::model::{DependencyKind, DependencySource, Product, Recipe, Source};

/// Serializes `recipe` to canonical recipe TOML (see the module docs).
pub fn to_toml(recipe: &Recipe) -> String {
    let mut out = String::new();
    let w = &mut out;
    kv(w, "name", &quote(&recipe.name));
    kv(w, "version", &quote(&recipe.version.to_string()));
    kv(w, "platforms", &list(&recipe.platforms));
    if recipe.source_date_epoch != 0 {
        kv(w, "source_date_epoch", &recipe.source_date_epoch.to_string());
    }
    if recipe.network {
        kv(w, "network", "true");
    }
    if recipe.platform_independent {
        kv(w, "platform_independent", "true");
    }
    kv(w, "script", &multiline(&recipe.script));

    if !recipe.environment.is_empty() {
        w.push_str("\n[environment]\n");
        for (k, v) in &recipe.environment {
            kv(w, &key(k), &quote(v));
        }
    }

    for source in &recipe.sources {
        w.push_str("\n[[sources]]\n");
        match source {
            Source::Archive { url, sha256, unpack_target } => {
                kv(w, "archive", &quote(url));
                kv(w, "sha256", &quote(sha256));
                opt(w, "unpack_target", unpack_target.as_deref());
            }
            Source::File { url, sha256, filename } => {
                kv(w, "file", &quote(url));
                kv(w, "sha256", &quote(sha256));
                opt(w, "filename", filename.as_deref());
            }
            Source::Git { url, commit, unpack_target } => {
                kv(w, "git", &quote(url));
                kv(w, "commit", &quote(commit));
                opt(w, "unpack_target", unpack_target.as_deref());
            }
            Source::Directory { path, target } => {
                kv(w, "directory", &quote(path));
                opt(w, "target", target.as_deref());
            }
        }
    }

    for product in &recipe.products {
        w.push_str("\n[[products]]\n");
        match product {
            Product::Library { names, dir, .. } | Product::Executable { names, dir, .. } => {
                let value = match names.as_slice() {
                    [one] => quote(one),
                    _ => list(names),
                };
                kv(w, product.kind(), &value);
                if product.variable() != product.default_variable() {
                    kv(w, "variable", &quote(product.variable()));
                }
                opt(w, "dir", dir.as_deref());
            }
            Product::File { path, variable } => {
                kv(w, "file", &quote(path));
                if *variable != product.default_variable() {
                    kv(w, "variable", &quote(variable));
                }
            }
        }
    }

    for dep in &recipe.dependencies {
        w.push_str("\n[[dependencies]]\n");
        opt(w, "name", dep.name.as_deref());
        match &dep.source {
            DependencySource::Jll => {}
            DependencySource::Recipe { path } => kv(w, "recipe", &quote(path)),
            DependencySource::Artifact { url, sha256, git_tree_sha1 } => {
                kv(w, "artifact", &quote(url));
                kv(w, "sha256", &quote(sha256));
                opt(w, "git-tree-sha1", git_tree_sha1.as_deref());
            }
        }
        if dep.kind != DependencyKind::default() {
            kv(w, "kind", &quote(dep.kind.as_str()));
        }
        opt(w, "compat", dep.compat.as_deref());
        if let Some(platforms) = &dep.platforms {
            kv(w, "platforms", &list(platforms));
        }
    }

    for rule in &recipe.normalize.ignore {
        w.push_str("\n[[normalize.ignore]]\n");
        kv(w, "name", &quote(&rule.name));
        kv(w, "paths", &list(&rule.paths));
        opt(w, "reason", rule.reason.as_deref());
    }
    out
}

fn kv(w: &mut String, k: &str, v: &str) {
    let _ = writeln!(w, "{k} = {v}");
}

fn opt(w: &mut String, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        kv(w, k, &quote(v));
    }
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// A bare key when possible, else a quoted one.
fn key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        k.to_owned()
    } else {
        quote(k)
    }
}

/// A TOML basic string with every special character escaped.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line literal string (`'''`) when the text allows one, else a basic string.
fn multiline(s: &str) -> String {
    let literal_ok = !s.contains("'''")
        && !s.ends_with('\'')
        && s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control());
    if literal_ok { format!("'''\n{s}'''") } else { quote(s) }
}
