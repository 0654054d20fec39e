//! BinaryBuilder platforms: triplet parsing, the 18 standard platforms of `supported_platforms()`,
//! and which of them repro can build here (with the toolchain image family for each) or why not.
//!
//! This is the one table of platforms in the project: the build environment, the product
//! architecture check, the `--platform` flag and the importer all read it.
//!
//! ```
//! use repro_recipe::platform::{Platform, support, Support};
//! let p: Platform = "armv7l-linux-gnueabihf-cxx11".parse().unwrap();
//! assert_eq!(p.base(), "armv7l-linux-gnueabihf");
//! assert_eq!(p.arch, repro_recipe::platform::Arch::Armv7l);
//! match support(&p) {
//!     Support::Buildable(t) => assert_eq!(t.gnu_triplet, "arm-linux-gnueabihf"),
//!     Support::NotBuildable { reason } => panic!("{reason}"),
//! }
//! assert!(matches!(support(&"x86_64-apple-darwin".parse().unwrap()), Support::NotBuildable { .. }));
//! ```

use std::fmt;
use std::str::FromStr;

/// CPU architecture of a BinaryBuilder platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    X86_64,
    I686,
    Aarch64,
    Armv6l,
    Armv7l,
    Powerpc64le,
    Riscv64,
}

impl Arch {
    pub const ALL: [Arch; 7] = [
        Arch::X86_64,
        Arch::I686,
        Arch::Aarch64,
        Arch::Armv6l,
        Arch::Armv7l,
        Arch::Powerpc64le,
        Arch::Riscv64,
    ];

    /// The name in triplets (`x86_64`, `armv7l`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I686 => "i686",
            Arch::Aarch64 => "aarch64",
            Arch::Armv6l => "armv6l",
            Arch::Armv7l => "armv7l",
            Arch::Powerpc64le => "powerpc64le",
            Arch::Riscv64 => "riscv64",
        }
    }

    /// Pointer width (BinaryBuilder's `nbits`).
    pub fn nbits(self) -> u32 {
        match self {
            Arch::I686 | Arch::Armv6l | Arch::Armv7l => 32,
            _ => 64,
        }
    }

    /// BinaryBuilder's `proc_family`: `intel`, `arm`, `power` or `riscv`.
    pub fn proc_family(self) -> &'static str {
        match self {
            Arch::X86_64 | Arch::I686 => "intel",
            Arch::Aarch64 | Arch::Armv6l | Arch::Armv7l => "arm",
            Arch::Powerpc64le => "power",
            Arch::Riscv64 => "riscv",
        }
    }

    /// `CMAKE_SYSTEM_PROCESSOR` as BinaryBuilder's toolchain files set it.
    pub fn cmake_processor(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I686 => "i686",
            Arch::Aarch64 => "aarch64",
            Arch::Armv6l => "armv6l",
            Arch::Armv7l => "armv7l",
            Arch::Powerpc64le => "ppc64le",
            Arch::Riscv64 => "riscv64",
        }
    }

    /// Meson's `cpu_family`.
    pub fn meson_cpu_family(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::I686 => "x86",
            Arch::Aarch64 => "aarch64",
            Arch::Armv6l | Arch::Armv7l => "arm",
            Arch::Powerpc64le => "ppc64",
            Arch::Riscv64 => "riscv64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Operating system of a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    Windows,
    MacOS,
    FreeBSD,
}

/// C library (Linux only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    Glibc,
    Musl,
}

/// A parsed BinaryBuilder platform triplet: `arch-os[-libc]` plus tags such as `cxx11`,
/// `libgfortran5` or `sanitize+memory`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Platform {
    pub arch: Arch,
    pub os: Os,
    /// `Some` on Linux.
    pub libc: Option<Libc>,
    /// The OS version suffix (`darwin14` → `14`, `freebsd14.1` → `14.1`), if any.
    pub os_version: Option<String>,
    /// Tags after the base triplet, in order (`cxx11`, `libgfortran5`, `sanitize+memory`).
    pub tags: Vec<String>,
}

impl Platform {
    /// BinaryBuilder's "aatriplet": the triplet without tags (`$target`), e.g.
    /// `armv7l-linux-gnueabihf`, `x86_64-w64-mingw32`, `x86_64-apple-darwin`.
    pub fn base(&self) -> String {
        let arch = self.arch.name();
        let eabihf = matches!(self.arch, Arch::Armv6l | Arch::Armv7l);
        let v = self.os_version.as_deref().unwrap_or("");
        match (self.os, self.libc) {
            (Os::Linux, Some(Libc::Musl)) if eabihf => format!("{arch}-linux-musleabihf"),
            (Os::Linux, Some(Libc::Musl)) => format!("{arch}-linux-musl"),
            (Os::Linux, _) if eabihf => format!("{arch}-linux-gnueabihf"),
            (Os::Linux, _) => format!("{arch}-linux-gnu"),
            (Os::Windows, _) => format!("{arch}-w64-mingw32"),
            (Os::MacOS, _) => format!("{arch}-apple-darwin{v}"),
            (Os::FreeBSD, _) => format!("{arch}-unknown-freebsd{v}"),
        }
    }

    /// The full triplet with its tags (`$bb_full_target`).
    pub fn full(&self) -> String {
        let mut s = self.base();
        for t in &self.tags {
            s.push('-');
            s.push_str(t);
        }
        s
    }

    pub fn is_windows(&self) -> bool {
        self.os == Os::Windows
    }

    /// Shared library extension: `so`, `dll` or `dylib`.
    pub fn dlext(&self) -> &'static str {
        match self.os {
            Os::Windows => "dll",
            Os::MacOS => "dylib",
            Os::Linux | Os::FreeBSD => "so",
        }
    }

    /// Executable suffix: `.exe` on Windows, else empty.
    pub fn exeext(&self) -> &'static str {
        if self.is_windows() { ".exe" } else { "" }
    }

    /// Where shared libraries go under the prefix: `bin` on Windows, else `lib`.
    pub fn libdir(&self) -> &'static str {
        if self.is_windows() { "bin" } else { "lib" }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full())
    }
}

impl FromStr for Platform {
    type Err = String;

    /// Parses a triplet (validated as in recipes: [`crate::validate::platform`]).
    fn from_str(s: &str) -> Result<Self, String> {
        crate::validate::platform(s)?;
        let parts: Vec<&str> = s.split('-').collect();
        let arch = Arch::ALL
            .into_iter()
            .find(|a| a.name() == parts[0])
            .ok_or_else(|| format!("{s:?}: unknown architecture"))?;
        let (os, libc, os_version) = match parts[1] {
            "linux" => {
                let libc = if parts[2].starts_with("musl") { Libc::Musl } else { Libc::Glibc };
                (Os::Linux, Some(libc), None)
            }
            "w64" => (Os::Windows, None, None),
            "apple" => (Os::MacOS, None, Some(parts[2]["darwin".len()..].to_owned())),
            "unknown" => (Os::FreeBSD, None, Some(parts[2]["freebsd".len()..].to_owned())),
            other => return Err(format!("{s:?}: unknown operating system {other:?}")),
        };
        let os_version = os_version.filter(|v| !v.is_empty());
        let tags = parts[3..].iter().map(|t| (*t).to_owned()).collect();
        Ok(Platform { arch, os, libc, os_version, tags })
    }
}

/// The 18 platforms of BinaryBuilder's `supported_platforms()`, in its order.
pub const STANDARD_PLATFORMS: &[&str] = crate::validate::STANDARD_PLATFORMS;

/// Toolchain image families: each buildable target is built in the image of its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The base image (`docker/image.lock`): native x86_64-linux-gnu.
    Native,
    /// Debian's GNU/Linux cross compilers (i686, aarch64, armhf, ppc64el, riscv64).
    LinuxCross,
    /// musl-tools (`musl-gcc`) for x86_64-linux-musl.
    Musl,
    /// mingw-w64 (win32 threads) for i686/x86_64 Windows.
    Mingw,
}

impl Family {
    pub const ALL: [Family; 4] = [Family::Native, Family::LinuxCross, Family::Musl, Family::Mingw];

    /// The family's name, as in `docker/families/<name>.list` and image tags.
    pub fn name(self) -> &'static str {
        match self {
            Family::Native => "native",
            Family::LinuxCross => "linux-cross",
            Family::Musl => "musl",
            Family::Mingw => "mingw",
        }
    }

    pub fn from_name(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The buildable targets of this family.
    pub fn targets(self) -> impl Iterator<Item = &'static Target> {
        TARGETS.iter().filter(move |t| t.family == self)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A buildable target: how Debian's toolchain for it is named and which image holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// BinaryBuilder's base triplet (`$target`).
    pub triplet: &'static str,
    /// The prefix of Debian's tools (`arm-linux-gnueabihf` for `armv7l-linux-gnueabihf`).
    pub gnu_triplet: &'static str,
    /// The image family holding the toolchain.
    pub family: Family,
    /// Debian packages the family image installs for this target (on top of the base list).
    pub packages: &'static [&'static str],
    /// Whether a C++ compiler exists for the target in the image.
    pub cxx: bool,
    /// Whether a Fortran compiler exists for the target in the image.
    pub fortran: bool,
}

/// Every target repro builds, with its image family. The order is the report order.
pub const TARGETS: &[Target] = &[
    Target {
        triplet: "x86_64-linux-gnu",
        gnu_triplet: "x86_64-linux-gnu",
        family: Family::Native,
        packages: &[],
        cxx: true,
        fortran: false,
    },
    Target {
        triplet: "i686-linux-gnu",
        gnu_triplet: "i686-linux-gnu",
        family: Family::LinuxCross,
        packages: &["gcc-i686-linux-gnu", "g++-i686-linux-gnu", "gfortran-i686-linux-gnu"],
        cxx: true,
        fortran: true,
    },
    Target {
        triplet: "aarch64-linux-gnu",
        gnu_triplet: "aarch64-linux-gnu",
        family: Family::LinuxCross,
        packages: &["gcc-aarch64-linux-gnu", "g++-aarch64-linux-gnu", "gfortran-aarch64-linux-gnu"],
        cxx: true,
        fortran: true,
    },
    Target {
        triplet: "armv7l-linux-gnueabihf",
        gnu_triplet: "arm-linux-gnueabihf",
        family: Family::LinuxCross,
        packages: &[
            "gcc-arm-linux-gnueabihf",
            "g++-arm-linux-gnueabihf",
            "gfortran-arm-linux-gnueabihf",
        ],
        cxx: true,
        fortran: true,
    },
    Target {
        triplet: "powerpc64le-linux-gnu",
        gnu_triplet: "powerpc64le-linux-gnu",
        family: Family::LinuxCross,
        packages: &[
            "gcc-powerpc64le-linux-gnu",
            "g++-powerpc64le-linux-gnu",
            "gfortran-powerpc64le-linux-gnu",
        ],
        cxx: true,
        fortran: true,
    },
    Target {
        triplet: "riscv64-linux-gnu",
        gnu_triplet: "riscv64-linux-gnu",
        family: Family::LinuxCross,
        packages: &["gcc-riscv64-linux-gnu", "g++-riscv64-linux-gnu", "gfortran-riscv64-linux-gnu"],
        cxx: true,
        fortran: true,
    },
    Target {
        triplet: "x86_64-linux-musl",
        gnu_triplet: "x86_64-linux-musl",
        family: Family::Musl,
        packages: &["musl-tools", "musl-dev"],
        cxx: false,
        fortran: false,
    },
    Target {
        triplet: "x86_64-w64-mingw32",
        gnu_triplet: "x86_64-w64-mingw32",
        family: Family::Mingw,
        packages: &[
            "gcc-mingw-w64-x86-64-win32",
            "g++-mingw-w64-x86-64-win32",
            "gfortran-mingw-w64-x86-64-win32",
        ],
        cxx: true,
        fortran: true,
    },
    Target {
        triplet: "i686-w64-mingw32",
        gnu_triplet: "i686-w64-mingw32",
        family: Family::Mingw,
        packages: &[
            "gcc-mingw-w64-i686-win32",
            "g++-mingw-w64-i686-win32",
            "gfortran-mingw-w64-i686-win32",
        ],
        cxx: true,
        fortran: true,
    },
];

/// Whether a platform can be built here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "support", rename_all = "snake_case")]
pub enum Support {
    Buildable(&'static Target),
    NotBuildable { reason: String },
}

/// Whether `p` can be built here: the target (by its base triplet; tags such as `cxx11` or
/// `libgfortran5` select the same toolchain) or the reason it cannot.
pub fn support(p: &Platform) -> Support {
    let base = p.base();
    if let Some(t) = TARGETS.iter().find(|t| t.triplet == base) {
        if let Some(tag) = p.tags.iter().find(|t| t.starts_with("sanitize+")) {
            return Support::NotBuildable {
                reason: format!(
                    "{tag} needs BinaryBuilder's clang/compiler-rt shards; the Debian toolchain \
                     images have no sanitizer runtime for this target"
                ),
            };
        }
        return Support::Buildable(t);
    }
    let reason = match (p.os, p.libc, p.arch) {
        (Os::MacOS, ..) => "macOS targets need Apple's SDK and a Darwin cross toolchain \
                            (BinaryBuilder's clang + MacOSX SDK shards), which Debian does \
                            not package and Apple's license does not let us redistribute"
            .to_owned(),
        (Os::FreeBSD, ..) => "FreeBSD targets need a FreeBSD sysroot (base libc and headers) \
                              that Debian does not package"
            .to_owned(),
        (Os::Linux, Some(Libc::Musl), _) => format!(
            "Debian packages musl only for the native architecture (musl-tools on x86_64); \
             there is no {} musl cross toolchain",
            p.arch
        ),
        (Os::Linux, _, Arch::Armv6l) => "Debian's armhf cross toolchain (gcc-arm-linux-gnueabihf) \
                                         and its libc target ARMv7; there is no ARMv6 hard-float \
                                         sysroot"
            .to_owned(),
        _ => format!("no toolchain image provides {base}"),
    };
    Support::NotBuildable { reason }
}

/// The target for a triplet string, or why it is not buildable (including a parse error).
pub fn buildable(triplet: &str) -> Result<&'static Target, String> {
    let p: Platform = triplet.parse()?;
    match support(&p) {
        Support::Buildable(t) => Ok(t),
        Support::NotBuildable { reason } => Err(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_platform_parses_and_round_trips() {
        assert_eq!(STANDARD_PLATFORMS.len(), 18);
        for s in STANDARD_PLATFORMS {
            let p: Platform = s.parse().unwrap();
            assert_eq!(p.full(), *s);
            assert_eq!(p.base(), *s);
        }
    }

    #[test]
    fn tags_and_versions_are_kept() {
        let p: Platform = "x86_64-linux-gnu-cxx11-libgfortran5".parse().unwrap();
        assert_eq!(p.base(), "x86_64-linux-gnu");
        assert_eq!(p.full(), "x86_64-linux-gnu-cxx11-libgfortran5");
        assert_eq!(p.tags, ["cxx11", "libgfortran5"]);
        let p: Platform = "aarch64-apple-darwin20".parse().unwrap();
        assert_eq!(p.os, Os::MacOS);
        assert_eq!(p.os_version.as_deref(), Some("20"));
        assert_eq!(p.base(), "aarch64-apple-darwin20");
        assert!("sparc-linux-gnu".parse::<Platform>().is_err());
    }

    #[test]
    fn the_nine_targets_are_buildable_and_the_rest_say_why() {
        let ok: Vec<&str> = STANDARD_PLATFORMS
            .iter()
            .copied()
            .filter(|s| matches!(support(&s.parse().unwrap()), Support::Buildable(_)))
            .collect();
        assert_eq!(ok.len(), 9, "{ok:?}");
        for t in TARGETS {
            assert!(STANDARD_PLATFORMS.contains(&t.triplet), "{}", t.triplet);
            assert_eq!(buildable(t.triplet).unwrap().triplet, t.triplet);
        }
        let mac = buildable("x86_64-apple-darwin").unwrap_err();
        assert!(mac.contains("macOS"), "{mac}");
        assert!(buildable("aarch64-unknown-freebsd").unwrap_err().contains("FreeBSD"));
        assert!(buildable("aarch64-linux-musl").unwrap_err().contains("musl"));
        assert!(buildable("armv6l-linux-gnueabihf").unwrap_err().contains("ARMv6"));
        assert!(buildable("x86_64-linux-gnu-sanitize+memory").unwrap_err().contains("sanitize"));
        assert_eq!(buildable("x86_64-linux-gnu-cxx11").unwrap().triplet, "x86_64-linux-gnu");
    }

    #[test]
    fn per_target_conventions_follow_binarybuilder() {
        let w: Platform = "i686-w64-mingw32".parse().unwrap();
        assert_eq!((w.dlext(), w.exeext(), w.libdir()), ("dll", ".exe", "bin"));
        assert_eq!(w.arch.nbits(), 32);
        let a: Platform = "powerpc64le-linux-gnu".parse().unwrap();
        assert_eq!((a.dlext(), a.exeext(), a.libdir()), ("so", "", "lib"));
        assert_eq!(a.arch.proc_family(), "power");
        let m: Platform = "x86_64-apple-darwin".parse().unwrap();
        assert_eq!(m.dlext(), "dylib");
    }

    #[test]
    fn families_hold_their_targets() {
        assert_eq!(Family::LinuxCross.targets().count(), 5);
        assert_eq!(Family::Mingw.targets().count(), 2);
        assert_eq!(Family::from_name("musl"), Some(Family::Musl));
        for f in Family::ALL {
            assert!(f.targets().count() >= 1);
        }
    }
}
