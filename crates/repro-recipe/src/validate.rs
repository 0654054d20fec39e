//! Validation rules for single values: identifiers, versions, hashes, URLs, relative paths,
//! platform triplets, environment names, globs. Each returns a [`Rule`] error with a message and
//! an optional hint; the parser attaches the location and the field name.

use crate::model::Version;

/// A broken rule: what is wrong and, when known, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

impl Rule {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Rule { message: message.into(), help: None }
    }
    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

pub(crate) type RuleResult<T = ()> = Result<T, Rule>;

/// Longest accepted string value (names, URLs, paths), in bytes. Scripts have their own limit.
pub(crate) const MAX_STRING: usize = 4096;

/// Environment variables the build environment sets itself; a recipe may not override them.
///
/// The build contract (BinaryBuilder's `platform_envs`) defines these, and the shell variables
/// below change how bash runs the script.
pub const RESERVED_ENV: &[&str] = &[
    // Build layout and target description.
    "WORKSPACE",
    "prefix",
    "bindir",
    "libdir",
    "includedir",
    "host_prefix",
    "host_bindir",
    "host_libdir",
    "host_includedir",
    "target",
    "bb_target",
    "bb_full_target",
    "MACHTYPE",
    "nproc",
    "nbits",
    "proc_family",
    "dlext",
    "exeext",
    "rust_target",
    "rust_host",
    "SRC_NAME",
    // Reproducibility knobs owned by the tool.
    "SOURCE_DATE_EPOCH",
    "ZERO_AR_DATE",
    // Toolchain wrappers and their configuration.
    "CC",
    "CXX",
    "FC",
    "HOSTCC",
    "HOSTCXX",
    "HOSTFC",
    "CMAKE_TARGET_TOOLCHAIN",
    "CMAKE_HOST_TOOLCHAIN",
    "MESON_TARGET_TOOLCHAIN",
    "MESON_HOST_TOOLCHAIN",
    "PKG_CONFIG_PATH",
    "PKG_CONFIG_SYSROOT_DIR",
    // Process environment the sandbox controls or varies.
    "PATH",
    "LD_LIBRARY_PATH",
    "HOME",
    "USER",
    "HOSTNAME",
    "SHELL",
    "PWD",
    "OLDPWD",
    // Variables that change how bash itself runs the script.
    "BASH_ENV",
    "ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "IFS",
    "PS4",
];

/// `true` for a Julia-style identifier: ASCII letters, digits and `_`, not starting with a digit.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A recipe name: a Julia identifier (it names the tarballs and the `<name>_jll` package).
pub(crate) fn name(s: &str) -> RuleResult {
    if s.is_empty() {
        return Err(Rule::new("the name is empty").help("set `name = \"Foo\"`"));
    }
    if s.len() > 255 {
        return Err(Rule::new("the name is longer than 255 characters"));
    }
    if !is_identifier(s) {
        let fixed = to_identifier(s);
        return Err(Rule::new(format!(
            "{s:?} is not a valid name: use ASCII letters, digits and `_`, not starting with a digit"
        ))
        .help(format!("try {fixed:?}")));
    }
    Ok(())
}

/// Turns any string into an identifier by replacing invalid characters with `_`.
pub(crate) fn to_identifier(s: &str) -> String {
    let mut out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `major.minor.patch`, each a decimal number without leading zeros.
pub(crate) fn version(s: &str) -> RuleResult<Version> {
    let bad = || {
        Rule::new(format!("{s:?} is not a version of the form major.minor.patch"))
            .help("use three numbers such as \"1.2.3\", without prerelease or build suffixes")
    };
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let mut nums = [0u64; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if p.len() > 1 && p.starts_with('0') {
            return Err(Rule::new(format!("{s:?} has a leading zero in {p:?}"))
                .help(format!("write {:?}", p.trim_start_matches('0'))));
        }
        nums[i] = p.parse().map_err(|_| Rule::new(format!("{p:?} in {s:?} is too large")))?;
    }
    Ok(Version { major: nums[0], minor: nums[1], patch: nums[2] })
}

/// 64 hex digits (any case); returns the lowercase form.
pub(crate) fn sha256(s: &str) -> RuleResult<String> {
    hex_digest(s, 64, "a sha256", "compute it with `sha256sum FILE`")
}

/// A full 40-hex-digit git commit; returns the lowercase form.
pub(crate) fn commit(s: &str) -> RuleResult<String> {
    hex_digest(
        s,
        40,
        "a git commit",
        "use the full 40-digit commit id (`git rev-parse HEAD`), not a branch, tag or short id",
    )
}

/// A Julia `git-tree-sha1` (40 hex digits); returns the lowercase form.
pub(crate) fn git_tree_sha1(s: &str) -> RuleResult<String> {
    hex_digest(
        s,
        40,
        "a git-tree-sha1",
        "use the 40-digit `git-tree-sha1` of the unpacked tree (as in Artifacts.toml)",
    )
}

/// A dependency's package name (`Ogg_jll`): a Julia identifier.
pub(crate) fn package_name(s: &str) -> RuleResult<String> {
    if !is_identifier(s) || s.len() > 255 {
        let fixed = to_identifier(s.strip_suffix(".jl").unwrap_or(s));
        return Err(Rule::new(format!(
            "{s:?} is not a package name: use ASCII letters, digits and `_` (a JLL is named like \"Zlib_jll\")"
        ))
        .help(format!("try {fixed:?}")));
    }
    Ok(s.to_owned())
}

/// A Pkg compat specification (`"1.3"`, `"~1.2, 2"`, `">= 1.0"`); returned trimmed.
pub(crate) fn compat(s: &str) -> RuleResult<String> {
    match s.parse::<crate::compat::VersionSpec>() {
        Ok(spec) => Ok(spec.to_string()),
        Err(e) => Err(Rule::new(format!("invalid compat specification: {e}")).help(
            "use Pkg's syntax: \"1.2\" (caret, the default), \"~1.2.3\", \"=1.2.3\", \">= 1.0\", \"1.2 - 1.5\", alternatives separated by commas",
        )),
    }
}

fn hex_digest(s: &str, len: usize, what: &str, help: &str) -> RuleResult<String> {
    let non_hex = s.chars().find(|c| !c.is_ascii_hexdigit());
    if let Some(c) = non_hex {
        return Err(Rule::new(format!("{s:?} is not {what}: {c:?} is not a hexadecimal digit"))
            .help(help.to_owned()));
    }
    if s.len() != len {
        return Err(Rule::new(format!(
            "{s:?} is not {what}: expected {len} hexadecimal digits, found {}",
            s.len()
        ))
        .help(help.to_owned()));
    }
    Ok(s.to_ascii_lowercase())
}

/// A source or artifact location: `http://`, `https://`, `file://`, `ftp://`, `git://`, or a
/// path relative to the recipe file. Relative paths may use `..` (the content is pinned by its hash).
pub(crate) fn url(s: &str) -> RuleResult {
    if s.is_empty() {
        return Err(Rule::new("the URL is empty"));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Rule::new("the URL contains control characters"));
    }
    if let Some((scheme, rest)) = s.split_once("://") {
        let lower = scheme.to_ascii_lowercase();
        return match lower.as_str() {
            "http" | "https" => {
                let host = rest.split(['/', '?', '#']).next().unwrap_or("");
                if host.is_empty() {
                    Err(Rule::new(format!("{s:?} has no host")))
                } else if rest.contains(char::is_whitespace) {
                    Err(Rule::new(format!("{s:?} contains whitespace"))
                        .help("percent-encode spaces as %20"))
                } else {
                    Ok(())
                }
            }
            // Accepted as BinaryBuilder accepts them; `lint` flags them, and fetching them
            // needs a mirror (ftp) or git (git://).
            "ftp" | "ftps" | "git" => {
                let host = rest.split(['/', '?', '#']).next().unwrap_or("");
                if host.is_empty() {
                    Err(Rule::new(format!("{s:?} has no host")))
                } else {
                    Ok(())
                }
            }
            "file" => {
                if rest.starts_with('/') {
                    Ok(())
                } else {
                    Err(Rule::new(format!("{s:?} is not an absolute file:// URL"))
                        .help("write file:///absolute/path, or a path relative to the recipe without a scheme"))
                }
            }
            _ => Err(Rule::new(format!("unsupported URL scheme {scheme:?} in {s:?}"))
                .help("use http://, https://, ftp://, git://, file://, or a path relative to the recipe file")),
        };
    }
    if s.starts_with('/') {
        return Err(Rule::new(format!("{s:?} is an absolute path"))
            .help(format!("write a path relative to the recipe file, or file://{s}")));
    }
    let colon_first = s.find(':').is_some_and(|c| s.find('/').is_none_or(|slash| c < slash));
    if colon_first {
        return Err(Rule::new(format!("{s:?} is not a supported URL"))
            .help("use http://, https://, file://, or a path relative to the recipe file"));
    }
    Ok(())
}

/// A path inside some root (srcdir, the prefix, the recipe directory): relative, not empty, no
/// `..` component, no backslashes or control characters.
pub(crate) fn inner_path(s: &str, what: &str) -> RuleResult {
    if s.is_empty() {
        return Err(
            Rule::new(format!("the {what} is empty")).help("give a non-empty relative path")
        );
    }
    if s.len() > MAX_STRING {
        return Err(Rule::new(format!("the {what} is longer than {MAX_STRING} bytes")));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(Rule::new(format!("the {what} {s:?} contains control characters")));
    }
    if s.contains('\\') {
        return Err(Rule::new(format!("the {what} {s:?} contains a backslash"))
            .help("use `/` to separate path components"));
    }
    if s.starts_with('/') {
        return Err(Rule::new(format!("the {what} {s:?} is an absolute path"))
            .help("write a relative path that stays inside its root directory"));
    }
    if s.split('/').any(|c| c == "..") {
        return Err(Rule::new(format!("the {what} {s:?} contains `..`"))
            .help("remove the `..` components: paths may not leave their root directory"));
    }
    Ok(())
}

/// A single file name: an [`inner_path`] without `/`, not `.`.
pub(crate) fn file_name(s: &str, what: &str) -> RuleResult {
    inner_path(s, what)?;
    if s.contains('/') || s == "." {
        return Err(Rule::new(format!("the {what} {s:?} is not a plain file name"))
            .help("use a name without `/`"));
    }
    Ok(())
}

/// The last path component of a URL or path (for URLs with a scheme, without query or fragment).
pub(crate) fn url_basename(url: &str) -> &str {
    let path = match url.split_once("://") {
        Some((_, rest)) => {
            let path = rest.split_once('/').map_or("", |(_, p)| p);
            path.split(['?', '#']).next().unwrap_or("")
        }
        None => url,
    };
    path.rsplit('/').next().unwrap_or("")
}

/// The directory a git URL is cloned into: its last component without `.git`.
pub(crate) fn git_dir_name(url: &str) -> &str {
    let base = url_basename(url.trim_end_matches('/'));
    base.strip_suffix(".git").unwrap_or(base)
}

/// An environment variable name: a shell identifier that the build does not reserve.
pub(crate) fn env_name(s: &str) -> RuleResult {
    if !is_identifier(s) {
        return Err(Rule::new(format!("{s:?} is not a valid environment variable name"))
            .help("use ASCII letters, digits and `_`, not starting with a digit"));
    }
    if s == "SOURCE_DATE_EPOCH" {
        return Err(Rule::new(
            "SOURCE_DATE_EPOCH is set by the build and cannot be overridden here",
        )
        .help("set the top-level `source_date_epoch = N` instead"));
    }
    if RESERVED_ENV.contains(&s) {
        return Err(Rule::new(format!(
            "{s} is set by the build environment and cannot be overridden"
        ))
        .help("choose another name, or change it inside `script` if you really must"));
    }
    if s.starts_with("REPRO_") || s.starts_with("BASH_FUNC_") {
        return Err(Rule::new(format!("{s} uses a reserved prefix (REPRO_, BASH_FUNC_)"))
            .help("choose another name"));
    }
    Ok(())
}

/// A `[[normalize.ignore]]` glob: relative, no `..`, and valid glob syntax.
pub(crate) fn glob(s: &str) -> RuleResult {
    inner_path(s, "glob")?;
    globset::Glob::new(s)
        .map(|_| ())
        .map_err(|e| Rule::new(format!("{s:?} is not a valid glob: {}", e.kind())))
}

/// The standard BinaryBuilder platforms (`supported_platforms()`), used for suggestions.
pub const STANDARD_PLATFORMS: &[&str] = &[
    "i686-linux-gnu",
    "x86_64-linux-gnu",
    "aarch64-linux-gnu",
    "armv6l-linux-gnueabihf",
    "armv7l-linux-gnueabihf",
    "powerpc64le-linux-gnu",
    "riscv64-linux-gnu",
    "i686-linux-musl",
    "x86_64-linux-musl",
    "aarch64-linux-musl",
    "armv6l-linux-musleabihf",
    "armv7l-linux-musleabihf",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-unknown-freebsd",
    "aarch64-unknown-freebsd",
    "i686-w64-mingw32",
    "x86_64-w64-mingw32",
];

const ARCHES: &[&str] =
    &["x86_64", "i686", "aarch64", "armv6l", "armv7l", "powerpc64le", "riscv64"];

/// A BinaryBuilder target triplet: `arch-os-libc` plus optional tags, e.g. `x86_64-linux-gnu`,
/// `armv7l-linux-musleabihf`, `x86_64-apple-darwin`, `x86_64-w64-mingw32`,
/// `x86_64-unknown-freebsd`, `x86_64-linux-gnu-cxx11`, `x86_64-linux-gnu-sanitize+memory`.
pub fn platform(s: &str) -> Result<(), String> {
    check_platform(s).map_err(|r| r.message)
}

pub(crate) fn check_platform(s: &str) -> RuleResult {
    let suggest = |r: Rule| -> Rule {
        let lower = s.to_ascii_lowercase();
        let best = STANDARD_PLATFORMS
            .iter()
            .map(|p| (strsim::jaro_winkler(&lower, p), *p))
            .filter(|(score, _)| *score >= 0.9)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((_, p)) => r.help(format!("did you mean {p:?}?")),
            None => r.help(format!(
                "use a target triplet such as \"x86_64-linux-gnu\" (standard ones: {})",
                STANDARD_PLATFORMS.join(", ")
            )),
        }
    };
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 {
        return Err(suggest(Rule::new(format!("{s:?} is not a target triplet (arch-os-libc)"))));
    }
    let arch = parts[0];
    if !ARCHES.contains(&arch) {
        return Err(suggest(Rule::new(format!(
            "{s:?} has unknown architecture {arch:?} (known: {})",
            ARCHES.join(", ")
        ))));
    }
    // Base triplet: how many components it takes, and which arches it allows.
    let base_len = match (parts[1], parts.get(2).copied()) {
        ("linux", Some(libc)) => {
            let arm = arch.starts_with("arm");
            let ok = if arm {
                matches!(libc, "gnueabihf" | "musleabihf")
            } else {
                matches!(libc, "gnu" | "musl")
            };
            if !ok {
                let want = if arm { "gnueabihf or musleabihf" } else { "gnu or musl" };
                return Err(suggest(Rule::new(format!(
                    "{s:?}: libc {libc:?} is not valid for {arch} Linux (expected {want})"
                ))));
            }
            3
        }
        ("apple", Some(os)) if is_versioned(os, "darwin") => {
            if !matches!(arch, "x86_64" | "aarch64") {
                return Err(suggest(Rule::new(format!(
                    "{s:?}: macOS targets are x86_64 or aarch64"
                ))));
            }
            3
        }
        ("unknown", Some(os)) if is_versioned(os, "freebsd") => {
            if !matches!(arch, "x86_64" | "aarch64") {
                return Err(suggest(Rule::new(format!(
                    "{s:?}: FreeBSD targets are x86_64 or aarch64"
                ))));
            }
            3
        }
        ("w64", Some("mingw32")) => {
            if !matches!(arch, "x86_64" | "i686") {
                return Err(suggest(Rule::new(format!(
                    "{s:?}: Windows targets are x86_64 or i686"
                ))));
            }
            3
        }
        _ => {
            return Err(suggest(Rule::new(format!(
                "{s:?} is not a known target triplet (arch-linux-gnu/musl, arch-apple-darwin, arch-unknown-freebsd, arch-w64-mingw32)"
            ))));
        }
    };
    for tag in &parts[base_len..] {
        if !is_platform_tag(tag) {
            return Err(suggest(Rule::new(format!(
                "{s:?} has unknown tag {tag:?} (known: cxx03, cxx11, libgfortran3/4/5, libstdcxx<N>, key+value such as sanitize+memory)"
            ))));
        }
    }
    Ok(())
}

/// `darwin`, `darwin14`, `freebsd14.1`: a name optionally followed by a dotted version.
fn is_versioned(s: &str, name: &str) -> bool {
    match s.strip_prefix(name) {
        Some("") => true,
        Some(v) => v.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

fn is_platform_tag(tag: &str) -> bool {
    if matches!(tag, "cxx03" | "cxx11") {
        return true;
    }
    for prefix in ["libgfortran", "libstdcxx"] {
        if let Some(n) = tag.strip_prefix(prefix) {
            return !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        }
    }
    if let Some((k, v)) = tag.split_once('+') {
        let key_ok = !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let val_ok = !v.is_empty()
            && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_'));
        return key_ok && val_ok;
    }
    false
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&word.to_ascii_lowercase(), &c.to_ascii_lowercase());
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}
