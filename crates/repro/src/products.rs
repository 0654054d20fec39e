//! Declared products, resolved per target, and checked to be built for it.
//!
//! - Libraries: `<dir>/<name>.so*` on Linux (default dir `lib`), `<dir>/<name>.dll` or
//!   `<dir>/<name>-<N>.dll` on Windows (default dir `bin`, where BinaryBuilder puts DLLs; a
//!   `lib` prefix may be dropped: `libfoo` also matches `foo.dll`).
//! - Executables: `<dir>/<name>` plus `$exeext` (`.exe` on Windows; default dir `bin`).
//! - Files: the path as declared.
//!
//! Every library and executable found, and every file product that is an object file, is parsed
//! with `object`: its format (ELF or PE), ELF class, machine, byte order, ARM float ABI and C
//! library (glibc or musl, from the dynamic strings) must be the target's. A build that quietly
//! produced host binaries fails naming the file and both architectures.

use std::path::{Component, Path, PathBuf};

use object::{Object, ObjectSection};
use repro_recipe::Product;
use repro_recipe::platform::{Arch, Libc, Os, Platform};

use crate::build::BuildError;

/// Largest product file parsed for the architecture check.
pub const MAX_CHECKED_BYTES: u64 = 2 << 30;

fn safe_rel(p: &str) -> bool {
    !p.is_empty() && Path::new(p).components().all(|c| matches!(c, Component::Normal(_)))
}

/// A product found in the prefix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolvedProduct {
    pub kind: &'static str,
    pub variable: String,
    /// The files that satisfy it, relative to the prefix (sorted).
    pub files: Vec<String>,
}

/// Whether `file` is a Windows DLL for library `name`: `name.dll`, `name-<N...>.dll`, or the
/// same without a leading `lib`.
fn is_dll_for(file: &str, name: &str) -> bool {
    let Some(stem) = file.strip_suffix(".dll").or_else(|| file.strip_suffix(".DLL")) else {
        return false;
    };
    let matches = |n: &str| {
        stem == n
            || stem.strip_prefix(n).and_then(|r| r.strip_prefix('-')).is_some_and(|v| {
                !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
            })
    };
    matches(name) || name.strip_prefix("lib").is_some_and(|n| !n.is_empty() && matches(n))
}

fn is_so_for(file: &str, name: &str) -> bool {
    let stem = format!("{name}.so");
    file == stem || file.starts_with(&format!("{stem}."))
}

/// Where the product of `p` is looked for on `platform` (relative to the prefix).
pub fn search_dir(p: &Product, platform: &Platform) -> Option<String> {
    match p {
        Product::Library { dir: Some(d), .. } | Product::Executable { dir: Some(d), .. } => {
            Some(d.clone())
        }
        Product::Library { .. } => Some(platform.libdir().to_owned()),
        Product::Executable { .. } => Some("bin".to_owned()),
        Product::File { .. } => None,
    }
}

/// What is expected, for messages: `lib/libfoo.so*`, `bin/libfoo*.dll`, `bin/foo.exe`.
fn expected_names(p: &Product, platform: &Platform) -> String {
    let dir = search_dir(p, platform).unwrap_or_default();
    match p {
        Product::Library { names, .. } => names
            .iter()
            .map(|n| {
                if platform.is_windows() {
                    format!("{dir}/{n}.dll or {dir}/{n}-<N>.dll")
                } else {
                    format!("{dir}/{n}.{}*", platform.dlext())
                }
            })
            .collect::<Vec<_>>()
            .join(" or "),
        Product::Executable { names, .. } => names
            .iter()
            .map(|n| format!("{dir}/{n}{}", platform.exeext()))
            .collect::<Vec<_>>()
            .join(" or "),
        Product::File { path, .. } => path.clone(),
    }
}

/// Finds every declared product in `prefix` for `platform`, or names the first one missing.
pub fn resolve_products(
    label: &str,
    products: &[Product],
    prefix: &Path,
    platform: &Platform,
) -> Result<Vec<ResolvedProduct>, BuildError> {
    let mut out = Vec::new();
    for p in products {
        let missing = || BuildError::MissingProduct {
            label: label.to_owned(),
            kind: p.kind(),
            variable: p.variable().to_owned(),
            expected: expected_names(p, platform),
        };
        let mut files = Vec::new();
        match p {
            Product::Library { names, .. } => {
                let dir = search_dir(p, platform).unwrap_or_default();
                if safe_rel(&dir)
                    && let Ok(rd) = std::fs::read_dir(prefix.join(&dir))
                {
                    for e in rd.flatten() {
                        let f = e.file_name().to_string_lossy().into_owned();
                        let hit =
                            names.iter().filter(|n| safe_rel(n) && !n.contains('/')).any(|n| {
                                if platform.is_windows() {
                                    is_dll_for(&f, n)
                                } else {
                                    is_so_for(&f, n)
                                }
                            });
                        if hit {
                            files.push(format!("{dir}/{f}"));
                        }
                    }
                }
            }
            Product::Executable { names, .. } => {
                let dir = search_dir(p, platform).unwrap_or_default();
                for n in names.iter().filter(|n| safe_rel(n)) {
                    let rel = format!("{dir}/{n}{}", platform.exeext());
                    if safe_rel(&dir)
                        && std::fs::symlink_metadata(prefix.join(&rel))
                            .is_ok_and(|m| m.is_file() || m.file_type().is_symlink())
                    {
                        files.push(rel);
                    }
                }
            }
            Product::File { path, .. } => {
                if safe_rel(path) && std::fs::symlink_metadata(prefix.join(path)).is_ok() {
                    files.push(path.clone());
                }
            }
        }
        if files.is_empty() {
            return Err(missing());
        }
        files.sort();
        out.push(ResolvedProduct { kind: p.kind(), variable: p.variable().to_owned(), files });
    }
    Ok(out)
}

/// What a binary was built for, as read from its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryArch {
    /// `ELF` or `PE`.
    pub format: &'static str,
    pub bits: u32,
    pub machine: String,
    pub little_endian: bool,
    /// ELF ARM only: hard-float ABI flag.
    pub arm_hard_float: Option<bool>,
    /// ELF only, when the dynamic strings tell: `glibc` or `musl`.
    pub libc: Option<&'static str>,
}

impl std::fmt::Display for BinaryArch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}-bit {}", self.format, self.bits, self.machine)?;
        if !self.little_endian {
            f.write_str(" big-endian")?;
        }
        match self.arm_hard_float {
            Some(true) => f.write_str(" hard-float")?,
            Some(false) => f.write_str(" soft-float")?,
            None => {}
        }
        if let Some(l) = self.libc {
            write!(f, " ({l})")?;
        }
        Ok(())
    }
}

/// Reads the architecture of an ELF or PE file; `None` for anything else (scripts, archives,
/// data).
pub fn binary_arch(data: &[u8]) -> Option<BinaryArch> {
    let file = object::File::parse(data).ok()?;
    let format = match file.format() {
        object::BinaryFormat::Elf => "ELF",
        object::BinaryFormat::Pe => "PE",
        _ => return None,
    };
    let machine = format!("{:?}", file.architecture()).to_ascii_lowercase();
    let mut arm_hard_float = None;
    if let object::FileFlags::Elf { e_flags, .. } = file.flags()
        && file.architecture() == object::Architecture::Arm
    {
        arm_hard_float = Some(e_flags.0 & object::elf::EF_ARM_ABI_FLOAT_HARD != 0);
    }
    let mut libc = None;
    if format == "ELF" {
        let mut strings: Vec<&[u8]> = Vec::new();
        for name in [".interp", ".dynstr"] {
            if let Some(s) = file.section_by_name(name)
                && let Ok(d) = s.data()
            {
                strings.extend(d.split(|b| *b == 0));
            }
        }
        if strings.iter().any(|s| s.starts_with(b"/lib/ld-musl") || *s == b"libc.so") {
            libc = Some("musl");
        } else if strings.iter().any(|s| {
            *s == b"libc.so.6" || s.starts_with(b"GLIBC_") || s.starts_with(b"/lib64/ld-linux")
        }) {
            libc = Some("glibc");
        }
    }
    Some(BinaryArch {
        format,
        bits: if file.is_64() { 64 } else { 32 },
        machine,
        little_endian: file.is_little_endian(),
        arm_hard_float,
        libc,
    })
}

/// What `platform` needs: format, bits, `object` architecture name, byte order, ARM float ABI,
/// libc.
pub fn expected_arch(platform: &Platform) -> Option<BinaryArch> {
    let format = match platform.os {
        Os::Linux => "ELF",
        Os::Windows => "PE",
        Os::MacOS | Os::FreeBSD => return None,
    };
    let machine = match platform.arch {
        Arch::X86_64 => "x86_64",
        Arch::I686 => "i386",
        Arch::Aarch64 => "aarch64",
        Arch::Armv6l | Arch::Armv7l => "arm",
        Arch::Powerpc64le => "powerpc64",
        Arch::Riscv64 => "riscv64",
    };
    let arm = matches!(platform.arch, Arch::Armv6l | Arch::Armv7l);
    Some(BinaryArch {
        format,
        bits: platform.arch.nbits(),
        machine: machine.to_owned(),
        little_endian: true,
        arm_hard_float: (arm && format == "ELF").then_some(true),
        libc: match platform.libc {
            Some(Libc::Musl) => Some("musl"),
            Some(Libc::Glibc) => Some("glibc"),
            None => None,
        },
    })
}

/// Whether `found` is acceptable for `want` (an unknown libc is accepted: static binaries do
/// not tell).
fn matches(found: &BinaryArch, want: &BinaryArch) -> bool {
    found.format == want.format
        && found.bits == want.bits
        && found.machine == want.machine
        && found.little_endian == want.little_endian
        && (want.arm_hard_float.is_none() || found.arm_hard_float == want.arm_hard_float)
        && (found.libc.is_none() || want.libc.is_none() || found.libc == want.libc)
}

/// Checks that every resolved library and executable (and every file product that is an object
/// file) is built for `platform`. Symlinks are followed inside the prefix only.
pub fn check_architectures(
    label: &str,
    resolved: &[ResolvedProduct],
    prefix: &Path,
    platform: &Platform,
) -> Result<(), BuildError> {
    let Some(want) = expected_arch(platform) else { return Ok(()) };
    let root =
        prefix.canonicalize().map_err(|source| BuildError::Io { path: prefix.into(), source })?;
    for r in resolved {
        for rel in &r.files {
            let Some(path) = inside(&root, &root.join(rel)) else { continue };
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            if !meta.is_file() {
                continue;
            }
            if meta.len() > MAX_CHECKED_BYTES {
                return Err(BuildError::ProductArchitecture {
                    label: label.to_owned(),
                    file: rel.clone(),
                    target: platform.full(),
                    expected: want.to_string(),
                    found: format!("a file of {} bytes, over the check's bound", meta.len()),
                });
            }
            let data = std::fs::read(&path)
                .map_err(|source| BuildError::Io { path: path.clone(), source })?;
            match binary_arch(&data) {
                Some(found) if matches(&found, &want) => {}
                Some(found) => {
                    return Err(BuildError::ProductArchitecture {
                        label: label.to_owned(),
                        file: rel.clone(),
                        target: platform.full(),
                        expected: want.to_string(),
                        found: found.to_string(),
                    });
                }
                // A file product that is not an object file (headers, data, archives) is fine;
                // a library or executable must be one.
                None if r.kind == "file" => {}
                None if r.kind == "executable" && data.starts_with(b"#!") => {}
                None => {
                    return Err(BuildError::ProductArchitecture {
                        label: label.to_owned(),
                        file: rel.clone(),
                        target: platform.full(),
                        expected: want.to_string(),
                        found: "not an ELF or PE binary".into(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// `path` with symlinks resolved, when it stays inside `root`.
fn inside(root: &Path, path: &Path) -> Option<PathBuf> {
    let c = path.canonicalize().ok()?;
    c.starts_with(root).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plat(s: &str) -> Platform {
        s.parse().unwrap()
    }

    fn lib(names: &[&str]) -> Product {
        Product::Library {
            names: names.iter().map(|s| s.to_string()).collect(),
            variable: "libx".into(),
            dir: None,
        }
    }

    #[test]
    fn windows_libraries_are_dlls_in_bin_and_executables_get_exe() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir_all(p.join("bin")).unwrap();
        std::fs::create_dir_all(p.join("lib")).unwrap();
        std::fs::write(p.join("bin/libogg-0.dll"), "").unwrap();
        std::fs::write(p.join("lib/libogg.dll.a"), "").unwrap();
        std::fs::write(p.join("bin/oggz.exe"), "").unwrap();
        let w = plat("x86_64-w64-mingw32");
        let exe =
            Product::Executable { names: vec!["oggz".into()], variable: "oggz".into(), dir: None };
        let r = resolve_products("t", &[lib(&["libogg"]), exe.clone()], p, &w).unwrap();
        assert_eq!(r[0].files, ["bin/libogg-0.dll"]);
        assert_eq!(r[1].files, ["bin/oggz.exe"]);
        // The same prefix does not satisfy a Linux target.
        let err = resolve_products("t", &[lib(&["libogg"])], p, &plat("x86_64-linux-gnu"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("lib/libogg.so*"), "{err}");
        let err = resolve_products("t", &[exe], p, &plat("x86_64-linux-gnu")).unwrap_err();
        assert!(err.to_string().contains("bin/oggz"), "{err}");
        assert!(is_dll_for("ogg.dll", "libogg"));
        assert!(is_dll_for("libz-1.2.dll", "libz"));
        assert!(!is_dll_for("liboggz.dll", "libogg"));
        assert!(!is_dll_for("libogg-x.dll", "libogg"));
    }

    #[test]
    fn windows_error_names_the_dll_forms() {
        let d = tempfile::tempdir().unwrap();
        let err = resolve_products("t", &[lib(&["libfoo"])], d.path(), &plat("i686-w64-mingw32"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bin/libfoo.dll or bin/libfoo-<N>.dll"), "{err}");
    }

    #[test]
    fn expected_architectures_follow_the_platform() {
        let e = expected_arch(&plat("armv7l-linux-gnueabihf")).unwrap();
        assert_eq!((e.bits, e.machine.as_str(), e.arm_hard_float), (32, "arm", Some(true)));
        let e = expected_arch(&plat("powerpc64le-linux-gnu")).unwrap();
        assert_eq!((e.machine.as_str(), e.little_endian), ("powerpc64", true));
        let e = expected_arch(&plat("i686-w64-mingw32")).unwrap();
        assert_eq!((e.format, e.machine.as_str(), e.libc), ("PE", "i386", None));
        assert!(expected_arch(&plat("x86_64-apple-darwin")).is_none());
    }

    #[test]
    fn a_host_binary_for_a_cross_target_is_refused_with_both_architectures() {
        // The test binary itself is an x86_64 glibc ELF executable.
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let found = binary_arch(&me).unwrap();
        assert_eq!((found.format, found.bits, found.machine.as_str()), ("ELF", 64, "x86_64"));
        assert_eq!(found.libc, Some("glibc"));
        assert!(matches(&found, &expected_arch(&plat("x86_64-linux-gnu")).unwrap()));
        assert!(!matches(&found, &expected_arch(&plat("x86_64-linux-musl")).unwrap()));

        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("lib")).unwrap();
        std::fs::write(d.path().join("lib/libfoo.so.1"), &me).unwrap();
        std::os::unix::fs::symlink("libfoo.so.1", d.path().join("lib/libfoo.so")).unwrap();
        let t = plat("aarch64-linux-gnu");
        let r = resolve_products("control", &[lib(&["libfoo"])], d.path(), &t).unwrap();
        assert_eq!(r[0].files, ["lib/libfoo.so", "lib/libfoo.so.1"]);
        let err = check_architectures("control", &r, d.path(), &t).unwrap_err().to_string();
        assert!(err.contains("lib/libfoo.so"), "{err}");
        assert!(err.contains("ELF 64-bit x86_64"), "found: {err}");
        assert!(err.contains("ELF 64-bit aarch64"), "expected: {err}");
        assert!(err.contains("aarch64-linux-gnu"), "{err}");
        check_architectures("control", &r, d.path(), &plat("x86_64-linux-gnu")).unwrap();

        // A library that is no binary at all is refused too; a text file product is not.
        std::fs::write(d.path().join("lib/libbar.so"), "INPUT(-lfoo)").unwrap();
        let r = resolve_products("c", &[lib(&["libbar"])], d.path(), &t).unwrap();
        let err = check_architectures("c", &r, d.path(), &t).unwrap_err().to_string();
        assert!(err.contains("not an ELF or PE binary"), "{err}");
        let f = Product::File { path: "lib/libbar.so".into(), variable: "f".into() };
        let r = resolve_products("c", &[f], d.path(), &t).unwrap();
        check_architectures("c", &r, d.path(), &t).unwrap();
    }

    #[test]
    fn symlinks_out_of_the_prefix_are_not_followed() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("lib")).unwrap();
        std::os::unix::fs::symlink("/bin/sh", d.path().join("lib/libfoo.so")).unwrap();
        let t = plat("aarch64-linux-gnu");
        let r = resolve_products("c", &[lib(&["libfoo"])], d.path(), &t).unwrap();
        check_architectures("c", &r, d.path(), &t).unwrap();
    }
}
