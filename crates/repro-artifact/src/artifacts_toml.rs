//! `Artifacts.toml` entries in the shape JLL packages use.

use std::fmt::Write as _;

use crate::pack::PackedArtifact;

/// Platform keys of a BinaryBuilder target triplet (`x86_64-linux-gnu`,
/// `armv7l-linux-gnueabihf`, `aarch64-apple-darwin`, `x86_64-w64-mingw32-cxx11`, ...),
/// as `(key, value)` pairs sorted by key.
pub fn platform_keys(target: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = target.split('-').collect();
    let mut keys: Vec<(&'static str, String)> = Vec::new();
    let arch = parts.first().copied().unwrap_or(target);
    keys.push(("arch", arch.to_owned()));
    let rest = &parts[1.min(parts.len())..];
    let mut i = 0;
    // Vendor fields that carry no information.
    while i < rest.len()
        && matches!(rest[i], "unknown" | "pc" | "w64" | "apple")
        && rest.len() > i + 1
    {
        i += 1;
    }
    if let Some(os) = rest.get(i) {
        let os_name = match *os {
            "linux" => "linux",
            "darwin" | "macos" => "macos",
            "mingw32" | "windows" => "windows",
            "freebsd" => "freebsd",
            "openbsd" => "openbsd",
            other => other,
        };
        keys.push(("os", os_name.to_owned()));
        i += 1;
    }
    for tag in &rest[i.min(rest.len())..] {
        match *tag {
            "gnu" => keys.push(("libc", "glibc".into())),
            "musl" => keys.push(("libc", "musl".into())),
            "gnueabihf" => {
                keys.push(("libc", "glibc".into()));
                keys.push(("call_abi", "eabihf".into()));
            }
            "musleabihf" => {
                keys.push(("libc", "musl".into()));
                keys.push(("call_abi", "eabihf".into()));
            }
            "cxx03" | "cxx11" => keys.push(("cxxstring_abi", (*tag).into())),
            t if t.starts_with("libgfortran") => {
                keys.push(("libgfortran_version", format!("{}.0.0", &t["libgfortran".len()..])))
            }
            t if t.starts_with("julia_version+") => {
                keys.push(("julia_version", t["julia_version+".len()..].into()))
            }
            t => {
                if let Some((key, v)) = t.split_once('+').and_then(|(k, v)| Some((leak_key(k)?, v)))
                {
                    keys.push((key, v.into()));
                }
            }
        }
    }
    keys.sort_by(|a, b| a.0.cmp(b.0));
    keys
}

fn leak_key(k: &str) -> Option<&'static str> {
    Some(match k {
        "sanitize" => "sanitize",
        "cuda" => "cuda",
        "march" => "march",
        "os_version" => "os_version",
        _ => return None,
    })
}

/// One `[[name]]` entry of an `Artifacts.toml` for `target`: platform keys, `git-tree-sha1`,
/// and a `[[name.download]]` table with the tarball's `sha256` (and `url` when given).
pub fn artifacts_toml_entry(
    name: &str,
    target: &str,
    packed: &PackedArtifact,
    url: Option<&str>,
) -> String {
    let key = toml_key(name);
    let mut s = String::new();
    let _ = writeln!(s, "[[{key}]]");
    let mut fields =
        platform_keys(target).into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Vec<_>>();
    fields.push(("git-tree-sha1".into(), packed.git_tree_sha1.to_string()));
    fields.sort();
    for (k, v) in fields {
        let _ = writeln!(s, "{k} = {}", toml_string(&v));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "    [[{key}.download]]");
    let _ = writeln!(s, "    sha256 = {}", toml_string(&packed.sha256.to_string()));
    if let Some(url) = url {
        let _ = writeln!(s, "    url = {}", toml_string(url));
    }
    s
}

fn toml_key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        k.to_owned()
    } else {
        toml_string(k)
    }
}

fn toml_string(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(s, "\\u{:04X}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GitTreeHash, Sha256};

    #[test]
    fn triplets() {
        let k = |t| {
            platform_keys(t)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(k("x86_64-linux-gnu"), "arch=x86_64,libc=glibc,os=linux");
        assert_eq!(k("aarch64-linux-musl"), "arch=aarch64,libc=musl,os=linux");
        assert_eq!(k("armv7l-linux-gnueabihf"), "arch=armv7l,call_abi=eabihf,libc=glibc,os=linux");
        assert_eq!(k("x86_64-apple-darwin"), "arch=x86_64,os=macos");
        assert_eq!(k("x86_64-w64-mingw32-cxx11"), "arch=x86_64,cxxstring_abi=cxx11,os=windows");
        assert_eq!(k("x86_64-unknown-freebsd"), "arch=x86_64,os=freebsd");
        assert_eq!(
            k("x86_64-linux-gnu-libgfortran5"),
            "arch=x86_64,libc=glibc,libgfortran_version=5.0.0,os=linux"
        );
    }

    #[test]
    fn entry_shape() {
        let p = PackedArtifact {
            path: "x".into(),
            sha256: Sha256([0xab; 32]),
            git_tree_sha1: GitTreeHash([0x12; 20]),
            size: 1,
        };
        let s = artifacts_toml_entry(
            "XZ",
            "x86_64-linux-gnu",
            &p,
            Some("https://example.invalid/XZ.tar.gz"),
        );
        let expected = format!(
            "[[XZ]]\narch = \"x86_64\"\ngit-tree-sha1 = \"{}\"\nlibc = \"glibc\"\nos = \"linux\"\n\n    [[XZ.download]]\n    sha256 = \"{}\"\n    url = \"https://example.invalid/XZ.tar.gz\"\n",
            "12".repeat(20),
            "ab".repeat(32)
        );
        assert_eq!(s, expected);
        let s = artifacts_toml_entry("my lib", "x86_64-linux-gnu", &p, None);
        assert!(s.starts_with("[[\"my lib\"]]\n"), "{s}");
        assert!(!s.contains("url"));
    }
}
