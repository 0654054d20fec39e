//! Classifying source URLs: http(s), `file://`, or a path relative to the recipe directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where the bytes of a source URL live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// An `http://` or `https://` URL.
    Http(String),
    /// A local file or directory (`file://` URL or a plain path, resolved against the recipe dir).
    Local(PathBuf),
    /// A scheme recipes may use but that is not fetched over HTTP: `ftp://` (only from the cache
    /// or a mirror) and `git://` (git sources, through git).
    Other { scheme: String },
}

/// Classifies `url`, resolving plain relative paths against `base` (the recipe's directory).
pub(crate) fn classify(url: &str, base: &Path) -> Result<Location> {
    let unsupported =
        |reason: &str| Error::UnsupportedUrl { url: url.to_owned(), reason: reason.to_owned() };
    if url.is_empty() {
        return Err(unsupported("the URL is empty"));
    }
    if url.contains('\0') {
        return Err(unsupported("the URL contains a NUL byte"));
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme_lc = scheme.to_ascii_lowercase();
        return match scheme_lc.as_str() {
            "http" | "https" => Ok(Location::Http(url.to_owned())),
            "ftp" | "ftps" | "git" => Ok(Location::Other { scheme: scheme_lc }),
            "file" => {
                // file:///abs/path or file://localhost/abs/path
                let path = rest.strip_prefix("localhost").unwrap_or(rest);
                if !path.starts_with('/') {
                    return Err(unsupported(
                        "a file:// URL must hold an absolute path (file:///dir/file)",
                    ));
                }
                let decoded =
                    percent_decode(path).ok_or_else(|| unsupported("bad percent-escape"))?;
                Ok(Location::Local(PathBuf::from(decoded)))
            }
            _ if scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) => {
                Err(unsupported(
                    "only http://, https://, ftp:// (from a mirror), git:// (git sources), file:// and local paths are supported",
                ))
            }
            // Not a scheme at all (e.g. "dir with ://"): treat as a path.
            _ => Ok(Location::Local(base.join(url))),
        };
    }
    Ok(Location::Local(base.join(url)))
}

/// The last path segment of a URL (query and fragment removed, percent-escapes decoded), if it is
/// a usable file name.
pub(crate) fn basename(url: &str) -> Option<String> {
    let no_frag = url.split('#').next().unwrap_or(url);
    let is_http = no_frag.to_ascii_lowercase().starts_with("http");
    let no_query = if is_http { no_frag.split('?').next().unwrap_or(no_frag) } else { no_frag };
    let path_part = match no_query.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map(|(_, p)| p).unwrap_or(""),
        None => no_query,
    };
    let last = path_part.trim_end_matches('/').rsplit('/').next()?;
    let name = percent_decode(last)?;
    if is_safe_name(&name) { Some(name) } else { None }
}

/// A single, harmless path component.
pub(crate) fn is_safe_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// The repository name of a git URL: its last segment without a trailing `.git`.
pub(crate) fn repo_name(url: &str) -> Option<String> {
    let base = basename(url.trim_end_matches('/'))?;
    let name = base.strip_suffix(".git").unwrap_or(&base).to_owned();
    if is_safe_name(&name) { Some(name) } else { None }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(out).ok()?;
    if s.contains('\0') { None } else { Some(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_kinds() {
        let base = Path::new("/recipes/foo");
        assert_eq!(
            classify("https://example.org/a.tar.gz", base).unwrap(),
            Location::Http("https://example.org/a.tar.gz".into())
        );
        assert_eq!(classify("HTTP://x/y", base).unwrap(), Location::Http("HTTP://x/y".into()));
        assert_eq!(
            classify("file:///tmp/a%20b", base).unwrap(),
            Location::Local("/tmp/a b".into())
        );
        assert_eq!(
            classify("file://localhost/tmp/a", base).unwrap(),
            Location::Local("/tmp/a".into())
        );
        assert_eq!(
            classify("bundled/x.patch", base).unwrap(),
            Location::Local("/recipes/foo/bundled/x.patch".into())
        );
        // Known schemes that are not fetched over HTTP: ftp (mirror only), git (git sources).
        assert_eq!(classify("ftp://x/y", base).unwrap(), Location::Other { scheme: "ftp".into() });
        assert_eq!(classify("git://x/y", base).unwrap(), Location::Other { scheme: "git".into() });
        assert!(classify("gopher://x/y", base).is_err());
        assert!(classify("file://relative/x", base).is_err());
        assert!(classify("", base).is_err());
    }

    #[test]
    fn basenames() {
        assert_eq!(
            basename("https://e.org/dl/foo-1.0.tar.gz?x=1#f").as_deref(),
            Some("foo-1.0.tar.gz")
        );
        assert_eq!(basename("https://e.org/dl/a%2Bb.zip").as_deref(), Some("a+b.zip"));
        assert_eq!(basename("https://e.org").as_deref(), None);
        assert_eq!(basename("https://e.org/..").as_deref(), None);
        assert_eq!(basename("https://e.org/a%2F..").as_deref(), None);
        assert_eq!(basename("dir/file.txt").as_deref(), Some("file.txt"));
        assert_eq!(basename("file:///x/y.txt").as_deref(), Some("y.txt"));
    }

    #[test]
    fn repo_names() {
        assert_eq!(repo_name("https://github.com/madler/zlib.git").as_deref(), Some("zlib"));
        assert_eq!(repo_name("https://github.com/madler/zlib/").as_deref(), Some("zlib"));
        assert_eq!(repo_name("../repos/thing").as_deref(), Some("thing"));
        assert_eq!(repo_name("https://e.org/.git").as_deref(), None);
    }
}
