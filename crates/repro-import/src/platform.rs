//! BinaryBuilder platforms as the importer models them: architecture, OS and tags (`libc`,
//! `call_abi`, `cxxstring_abi`, `libgfortran_version`, `sanitize`, ...), the standard list
//! `supported_platforms()` returns, the expansions, and which ones repro can build.

use std::collections::BTreeMap;

/// The target a recipe gets when its platforms cannot be evaluated, and what `AnyPlatform()`
/// and a platform read from the command line are imported as.
pub(crate) const BUILDABLE_TRIPLET: &str = "x86_64-linux-gnu";

/// A platform: `Platform("x86_64", "linux"; libc="glibc")`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Platform {
    pub(crate) arch: String,
    /// `linux`, `macos`, `windows` or `freebsd`.
    pub(crate) os: String,
    /// `libc`, `call_abi` and every other tag.
    pub(crate) tags: BTreeMap<String, String>,
}

pub(crate) const ARCHES: &[&str] =
    &["x86_64", "i686", "aarch64", "armv6l", "armv7l", "powerpc64le", "riscv64"];

impl Platform {
    /// A platform with BinaryBuilder's defaults: glibc on Linux, `eabihf` on 32-bit ARM Linux.
    pub(crate) fn new(arch: &str, os: &str) -> Platform {
        let mut tags = BTreeMap::new();
        if os == "linux" {
            tags.insert("libc".to_owned(), "glibc".to_owned());
            if arch.starts_with("armv") {
                tags.insert("call_abi".to_owned(), "eabihf".to_owned());
            }
        }
        Platform { arch: arch.to_owned(), os: os.to_owned(), tags }
    }

    pub(crate) fn with(mut self, key: &str, value: &str) -> Platform {
        self.tags.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Pkg's `platforms_match`: the same arch and OS, and the same value for every tag both
    /// platforms have.
    pub(crate) fn matches(&self, other: &Platform) -> bool {
        self.arch == other.arch
            && self.os == other.os
            && self.tags.iter().all(|(k, v)| other.tags.get(k).is_none_or(|w| w == v))
    }

    pub(crate) fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }

    pub(crate) fn nbits(&self) -> i64 {
        if matches!(self.arch.as_str(), "i686" | "armv6l" | "armv7l") { 32 } else { 64 }
    }

    pub(crate) fn proc_family(&self) -> &'static str {
        match self.arch.as_str() {
            "x86_64" | "i686" => "intel",
            "powerpc64le" => "power",
            "riscv64" => "riscv",
            _ => "arm",
        }
    }

    /// The triplet BinaryBuilder prints, e.g. `armv7l-linux-gnueabihf-cxx11`.
    pub(crate) fn triplet(&self) -> String {
        let mut s = match self.os.as_str() {
            "linux" => {
                let libc = match self.tag("libc") {
                    Some("musl") => "musl",
                    _ => "gnu",
                };
                format!("{}-linux-{libc}{}", self.arch, self.tag("call_abi").unwrap_or(""))
            }
            "macos" => {
                format!("{}-apple-darwin{}", self.arch, self.tag("os_version").unwrap_or(""))
            }
            "freebsd" => {
                format!("{}-unknown-freebsd{}", self.arch, self.tag("os_version").unwrap_or(""))
            }
            "windows" => format!("{}-w64-mingw32", self.arch),
            other => format!("{}-{other}", self.arch),
        };
        if let Some(v) = self.tag("libgfortran_version") {
            s.push_str(&format!("-libgfortran{}", v.split('.').next().unwrap_or(v)));
        }
        if let Some(v) = self.tag("cxxstring_abi") {
            s.push('-');
            s.push_str(v);
        }
        if let Some(v) = self.tag("libstdcxx_version") {
            s.push_str(&format!("-libstdcxx{}", v.rsplit('.').next().unwrap_or(v)));
        }
        for (k, v) in &self.tags {
            if matches!(
                k.as_str(),
                "libc"
                    | "call_abi"
                    | "libgfortran_version"
                    | "cxxstring_abi"
                    | "libstdcxx_version"
                    | "os_version"
            ) {
                continue;
            }
            s.push_str(&format!("-{k}+{v}"));
        }
        s
    }

    /// The triplet without tags (`x86_64-linux-gnu`, `armv7l-linux-musleabihf`).
    pub(crate) fn base_triplet(&self) -> String {
        let mut base =
            Platform { arch: self.arch.clone(), os: self.os.clone(), tags: Default::default() };
        for k in ["libc", "call_abi", "os_version"] {
            if let Some(v) = self.tag(k) {
                base.tags.insert(k.to_owned(), v.to_owned());
            }
        }
        base.triplet()
    }

    /// Parses a triplet (`x86_64-linux-gnu-cxx11`, `aarch64-apple-darwin20`) as
    /// `parse(Platform, s)` does.
    pub(crate) fn from_triplet(s: &str) -> Option<Platform> {
        use repro_recipe::platform::{Libc, Os};
        let p: repro_recipe::platform::Platform = s.parse().ok()?;
        let os = match p.os {
            Os::Linux => "linux",
            Os::MacOS => "macos",
            Os::FreeBSD => "freebsd",
            Os::Windows => "windows",
        };
        let mut out = Platform::new(p.arch.name(), os);
        if p.libc == Some(Libc::Musl) {
            out.tags.insert("libc".into(), "musl".into());
        }
        if let Some(v) = p.os_version {
            out.tags.insert("os_version".into(), v);
        }
        for t in p.tags {
            if let Some(n) = t.strip_prefix("libgfortran") {
                out.tags.insert("libgfortran_version".into(), format!("{n}.0.0"));
            } else if let Some(n) = t.strip_prefix("libstdcxx") {
                out.tags.insert("libstdcxx_version".into(), n.to_owned());
            } else if t == "cxx03" || t == "cxx11" {
                out.tags.insert("cxxstring_abi".into(), t);
            } else if let Some((k, v)) = t.split_once('+') {
                out.tags.insert(k.to_owned(), v.to_owned());
            }
        }
        Some(out)
    }
}

/// What `supported_platforms()` returns (BinaryBuilderBase's standard list).
pub(crate) fn supported_platforms() -> Vec<Platform> {
    let mut out = Vec::new();
    for arch in ["i686", "x86_64", "aarch64", "armv6l", "armv7l", "powerpc64le", "riscv64"] {
        out.push(Platform::new(arch, "linux"));
    }
    for arch in ["i686", "x86_64", "aarch64", "armv6l", "armv7l"] {
        out.push(Platform::new(arch, "linux").with("libc", "musl"));
    }
    for arch in ["x86_64", "aarch64"] {
        out.push(Platform::new(arch, "macos"));
    }
    for arch in ["x86_64", "aarch64"] {
        out.push(Platform::new(arch, "freebsd"));
    }
    for arch in ["i686", "x86_64"] {
        out.push(Platform::new(arch, "windows"));
    }
    out
}

/// `expand_cxxstring_abis`: a `cxx03` and a `cxx11` variant of every platform that does not
/// have one yet, except BSDs (macOS, FreeBSD), which BinaryBuilder skips by default.
pub(crate) fn expand_cxxstring_abis(ps: Vec<Platform>) -> Vec<Platform> {
    let mut out = Vec::new();
    for p in ps {
        if p.tag("cxxstring_abi").is_some() || matches!(p.os.as_str(), "macos" | "freebsd") {
            out.push(p);
            continue;
        }
        out.push(p.clone().with("cxxstring_abi", "cxx03"));
        out.push(p.with("cxxstring_abi", "cxx11"));
    }
    out
}

/// `expand_gfortran_versions`: libgfortran 3, 4 and 5 variants (only 5 where older ones do not
/// exist: aarch64 macOS, riscv64, aarch64 FreeBSD).
pub(crate) fn expand_gfortran_versions(ps: Vec<Platform>) -> Vec<Platform> {
    let mut out = Vec::new();
    for p in ps {
        if p.tag("libgfortran_version").is_some() {
            out.push(p);
            continue;
        }
        let only5 = p.arch == "riscv64"
            || (p.arch == "aarch64" && matches!(p.os.as_str(), "macos" | "freebsd"));
        let versions: &[&str] = if only5 { &["5.0.0"] } else { &["3.0.0", "4.0.0", "5.0.0"] };
        for v in versions {
            out.push(p.clone().with("libgfortran_version", v));
        }
    }
    out
}

/// Normalizes an OS name as `Platform(arch, os)` accepts it.
pub(crate) fn normalize_os(os: &str) -> Option<&'static str> {
    match os.to_ascii_lowercase().as_str() {
        "linux" => Some("linux"),
        "macos" | "darwin" | "apple" => Some("macos"),
        "windows" => Some("windows"),
        "freebsd" => Some("freebsd"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_list_has_eighteen_known_triplets() {
        let ps = supported_platforms();
        assert_eq!(ps.len(), 18);
        let triplets: Vec<String> = ps.iter().map(Platform::triplet).collect();
        for t in &triplets {
            assert!(repro_recipe::validate::platform(t).is_ok(), "{t}");
        }
        assert!(triplets.contains(&"armv7l-linux-musleabihf".to_owned()));
        assert!(triplets.contains(&"x86_64-w64-mingw32".to_owned()));
        let buildable = |p: &Platform| repro_recipe::platform::buildable(&p.triplet()).is_ok();
        assert_eq!(ps.iter().filter(|p| buildable(p)).count(), 9);
    }

    #[test]
    fn expansions_tag_triplets() {
        let ps = expand_cxxstring_abis(vec![
            Platform::new("x86_64", "linux"),
            Platform::new("x86_64", "macos"),
        ]);
        let t: Vec<String> = ps.iter().map(Platform::triplet).collect();
        assert_eq!(t, ["x86_64-linux-gnu-cxx03", "x86_64-linux-gnu-cxx11", "x86_64-apple-darwin"]);
        // cxx03 and cxx11 use the same toolchain; the recipe keeps both.
        let buildable = |p: &Platform| repro_recipe::platform::buildable(&p.triplet()).is_ok();
        assert!(buildable(&ps[0]) && buildable(&ps[1]) && !buildable(&ps[2]));
        let g = expand_gfortran_versions(vec![Platform::new("x86_64", "linux")]);
        assert_eq!(g.len(), 3);
        assert_eq!(g[2].triplet(), "x86_64-linux-gnu-libgfortran5");
        let s = Platform::new("x86_64", "linux").with("sanitize", "memory");
        assert_eq!(s.triplet(), "x86_64-linux-gnu-sanitize+memory");
        assert!(!buildable(&s));
        let mac = Platform::from_triplet("aarch64-apple-darwin20").unwrap();
        assert_eq!(mac.triplet(), "aarch64-apple-darwin20");
        assert_eq!(mac.base_triplet(), "aarch64-apple-darwin20");
        let tagged =
            Platform::from_triplet("x86_64-linux-gnu-libgfortran5-cxx11-mpi+mpich").unwrap();
        assert_eq!(tagged.triplet(), "x86_64-linux-gnu-libgfortran5-cxx11-mpi+mpich");
        assert_eq!(tagged.base_triplet(), "x86_64-linux-gnu");
    }
}
