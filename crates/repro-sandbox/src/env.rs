//! The build environment contract: every knob a variation may turn ([`BuildEnv`]), the
//! environment variables the build script sees (BinaryBuilder's, see docs/build-environment.md),
//! and the in-container launcher that applies user, umask, preloads and personality.

use std::collections::BTreeMap;

use crate::error::SandboxError;
use repro_recipe::platform::Platform;

use crate::image::{IMAGE_PATH, shell_quote};
use crate::toolchain::{toolchain_paths, wrapper_dir};

/// Where the runner's control files live in the container (outside the workspace).
pub const CONTROL_DIR: &str = "/opt/repro";
/// The build script inside the container.
pub const SCRIPT_PATH: &str = "/opt/repro/script.sh";
/// The launcher inside the container.
pub const LAUNCHER_PATH: &str = "/opt/repro/run.sh";
/// The readdir-order shim inside the image.
pub const SHUFFLE_LIB: &str = "/usr/local/lib/repro/libreaddir_shuffle.so";
/// libfaketime inside the image.
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
/// Toolchain files inside the image.
pub const TOOLCHAIN_DIR: &str = "/opt/toolchains";
/// Marker line the launcher prints when it cannot disable ASLR.
pub const ASLR_UNAVAILABLE_MARKER: &str = "repro: note: ASLR stays enabled";
/// Marker line the launcher prints when it cannot fake the kernel release.
pub const UNAME26_UNAVAILABLE_MARKER: &str = "repro: note: uname stays unchanged";
/// The build machine of every image (Debian's native toolchain); the base image's only target.
pub const NATIVE_TARGET: &str = "x86_64-linux-gnu";

/// Rust's target triple for a BinaryBuilder base triplet (`$rust_target`).
pub fn rust_target(base: &str) -> &'static str {
    match base {
        "i686-linux-gnu" => "i686-unknown-linux-gnu",
        "aarch64-linux-gnu" => "aarch64-unknown-linux-gnu",
        "armv7l-linux-gnueabihf" => "armv7-unknown-linux-gnueabihf",
        "powerpc64le-linux-gnu" => "powerpc64le-unknown-linux-gnu",
        "riscv64-linux-gnu" => "riscv64gc-unknown-linux-gnu",
        "x86_64-linux-musl" => "x86_64-unknown-linux-musl",
        "x86_64-w64-mingw32" => "x86_64-pc-windows-gnu",
        "i686-w64-mingw32" => "i686-pc-windows-gnu",
        _ => "x86_64-unknown-linux-gnu",
    }
}

/// Everything about the build's environment that may differ between two builds.
///
/// [`BuildEnv::default`] is the control: fixed values in the spirit of BinaryBuilder (which runs
/// scripts as root in its sandbox with `WORKSPACE=/workspace` and `SOURCE_DATE_EPOCH=0`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BuildEnv {
    /// UTS hostname of the container.
    pub hostname: String,
    /// NIS domain name of the container ("" = none).
    pub domainname: String,
    /// Name of the building user (`$USER`, and its passwd entry when `uid` is not 0).
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    /// `$HOME` (created, owned by the user).
    pub home: String,
    /// `$WORKSPACE`, the build path: srcdir and destdir live under it.
    pub workspace: String,
    /// Value of `$nproc`.
    pub nproc: u32,
    /// CPUs the container may use (Docker `cpuset_cpus`, e.g. "0" or "0-1"); None = all.
    pub cpuset: Option<String>,
    /// `$TZ`.
    pub timezone: String,
    /// `LANG` and `LC_ALL` (and `LANGUAGE`'s first entry).
    pub locale: String,
    /// File-creation mask of the script.
    pub umask: u32,
    /// Extra variables (the recipe's `[environment]`, variations), applied last.
    pub extra_env: BTreeMap<String, String>,
    /// A libfaketime offset such as "+398d" (the clock moves; SOURCE_DATE_EPOCH does not).
    pub faketime: Option<String>,
    /// Preload the readdir-order shim (`REPRO_SHUFFLE_READDIR=1`).
    pub shuffle_readdir: bool,
    /// `$SOURCE_DATE_EPOCH`.
    pub source_date_epoch: i64,
    /// Address-space layout randomization; false runs the script under `setarch -R` when the
    /// container permits it (else the build output records that it did not apply).
    pub aslr: bool,
    /// Run under `setarch --uname-2.6` (uname reports a 2.6 kernel release).
    pub uname26: bool,
}

impl Default for BuildEnv {
    fn default() -> Self {
        BuildEnv {
            hostname: "repro".into(),
            domainname: String::new(),
            user: "root".into(),
            uid: 0,
            gid: 0,
            home: "/root".into(),
            workspace: "/workspace".into(),
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            cpuset: None,
            timezone: "UTC".into(),
            locale: "C.UTF-8".into(),
            umask: 0o022,
            extra_env: BTreeMap::new(),
            faketime: None,
            shuffle_readdir: false,
            source_date_epoch: 0,
            aslr: true,
            uname26: false,
        }
    }
}

fn is_env_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c == b'_' || c.is_ascii_alphabetic())
        && b.all(|c| c == b'_' || c.is_ascii_alphanumeric())
}

fn is_clean_abs_path(s: &str) -> bool {
    s.starts_with('/')
        && s.len() < 256
        && s != "/"
        && !s.ends_with('/')
        && s.split('/').skip(1).all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
        })
}

fn is_host_label_list(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl BuildEnv {
    /// Checks every field; values reach a shell script and Docker, so they are constrained.
    pub fn validate(&self) -> Result<(), SandboxError> {
        let bad = |m: String| Err(SandboxError::InvalidSpec(m));
        if !is_host_label_list(&self.hostname) {
            return bad(format!("hostname {:?} is not a valid host name", self.hostname));
        }
        if !self.domainname.is_empty() && !is_host_label_list(&self.domainname) {
            return bad(format!("domainname {:?} is not a valid domain name", self.domainname));
        }
        let user_ok = !self.user.is_empty()
            && self.user.len() <= 32
            && self.user.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && self
                .user
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b));
        if !user_ok {
            return bad(format!("user name {:?} is not a valid login name", self.user));
        }
        // uid 0 under another name is allowed: $USER then differs from passwd, as in BinaryBuilder.
        if self.uid != 0 && self.user == "root" {
            return bad(format!("user \"root\" must have uid 0, not {}", self.uid));
        }
        if self.uid > 60_000 || self.gid > 60_000 {
            return bad(format!("uid/gid {}/{} out of range (0..=60000)", self.uid, self.gid));
        }
        for (what, p) in [("home", &self.home), ("workspace", &self.workspace)] {
            if !is_clean_abs_path(p) {
                return bad(format!(
                    "{what} {p:?} must be an absolute path of plain components ([A-Za-z0-9._-+])"
                ));
            }
        }
        for reserved in ["/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/lib", "/opt/repro"] {
            if self.workspace == reserved || self.workspace.starts_with(&format!("{reserved}/")) {
                return bad(format!(
                    "workspace {:?} is inside the system path {reserved}",
                    self.workspace
                ));
            }
        }
        if self.nproc == 0 || self.nproc > 4096 {
            return bad(format!("nproc {} out of range (1..=4096)", self.nproc));
        }
        if let Some(c) = &self.cpuset
            && (c.is_empty() || !c.bytes().all(|b| b.is_ascii_digit() || b == b',' || b == b'-'))
        {
            return bad(format!("cpuset {c:?} must look like \"0\", \"0-3\" or \"0,2\""));
        }
        let tz_ok = !self.timezone.is_empty()
            && self.timezone.len() < 64
            && !self.timezone.contains("..")
            && self.timezone.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_+-:".contains(&b));
        if !tz_ok {
            return bad(format!("timezone {:?} is not a time zone name", self.timezone));
        }
        let loc_ok = !self.locale.is_empty()
            && self.locale.len() < 64
            && self.locale.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
        if !loc_ok {
            return bad(format!("locale {:?} is not a locale name", self.locale));
        }
        if self.umask > 0o777 {
            return bad(format!("umask {:o} is not a permission mask", self.umask));
        }
        for (k, v) in &self.extra_env {
            if !is_env_name(k) {
                return bad(format!("environment variable name {k:?} is invalid"));
            }
            if v.contains('\0') {
                return bad(format!("environment variable {k} contains a NUL byte"));
            }
        }
        if let Some(f) = &self.faketime {
            let ok = !f.is_empty()
                && f.len() < 64
                && f.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-@:. ".contains(&b));
            if !ok {
                return bad(format!(
                    "faketime {f:?} is not a libfaketime specification such as \"+398d\""
                ));
            }
        }
        Ok(())
    }

    /// `$prefix`.
    pub fn prefix(&self) -> String {
        format!("{}/destdir", self.workspace)
    }

    /// `${host_prefix}`: `$WORKSPACE/x86_64-linux-gnu/destdir` for every target (the build
    /// machine's prefix; `HostBuildDependency` installs go there).
    pub fn host_prefix(&self) -> String {
        format!("{}/{NATIVE_TARGET}/destdir", self.workspace)
    }

    /// `$WORKSPACE/srcdir`.
    pub fn srcdir(&self) -> String {
        format!("{}/srcdir", self.workspace)
    }

    /// The environment the build script sees (sorted by name), for `SRC_NAME` = `src_name` and
    /// the platform `target` (a full triplet, tags allowed). Follows BinaryBuilder's
    /// `platform_envs`; the per-target values come from the platform table
    /// ([`repro_recipe::platform`]), see docs/build-environment.md.
    pub fn variables(&self, src_name: &str, target: &str) -> BTreeMap<String, String> {
        let ws = &self.workspace;
        let prefix = self.prefix();
        let platform: Option<Platform> = target.parse().ok();
        let base = platform.as_ref().map_or_else(|| target.to_owned(), Platform::base);
        let native = base == NATIVE_TARGET;
        let [cmake_target, cmake_host, meson_target, meson_host] = toolchain_paths(&base);
        let mut v: BTreeMap<String, String> = BTreeMap::new();
        let mut set = |k: &str, val: String| {
            v.insert(k.to_owned(), val);
        };
        // As in BinaryBuilder, the host prefix's and the prefix's bin directories come last, so
        // tools of installed dependencies (`gpgrt-config`, code generators) are found.
        let tail = format!("{}/bin:{prefix}/bin", self.host_prefix());
        if native {
            set("PATH", format!("{IMAGE_PATH}:{tail}"));
        } else {
            set("PATH", format!("{}:{IMAGE_PATH}:{tail}", wrapper_dir(&base)));
        }
        set("WORKSPACE", ws.clone());
        set("prefix", prefix.clone());
        set("bindir", format!("{prefix}/bin"));
        let libdir = platform.as_ref().map_or("lib", Platform::libdir);
        set("libdir", format!("{prefix}/{libdir}"));
        set("includedir", format!("{prefix}/include"));
        set("target", base.clone());
        set("bb_target", base.clone());
        set("bb_full_target", target.into());
        set("rust_target", rust_target(&base).into());
        set("rust_host", "x86_64-unknown-linux-gnu".into());
        set("MACHTYPE", NATIVE_TARGET.into());
        set("nproc", self.nproc.to_string());
        let arch = platform.as_ref().map(|p| p.arch);
        set("nbits", arch.map_or(64, |a| a.nbits()).to_string());
        set("proc_family", arch.map_or("intel", |a| a.proc_family()).into());
        set("dlext", platform.as_ref().map_or("so", Platform::dlext).into());
        set("exeext", platform.as_ref().map_or("", Platform::exeext).into());
        set("SRC_NAME", src_name.into());
        set("SOURCE_DATE_EPOCH", self.source_date_epoch.to_string());
        set("ZERO_AR_DATE", "1".into());
        let windows = platform.as_ref().is_some_and(Platform::is_windows);
        let mut tools = vec![
            ("CC", "cc"),
            ("CXX", "c++"),
            ("FC", "gfortran"),
            ("CPP", "cpp"),
            ("AR", "ar"),
            ("AS", "as"),
            ("LD", "ld"),
            ("NM", "nm"),
            ("RANLIB", "ranlib"),
            ("STRIP", "strip"),
            ("OBJCOPY", "objcopy"),
            ("OBJDUMP", "objdump"),
            ("READELF", "readelf"),
        ];
        if windows {
            tools.extend([("DLLTOOL", "dlltool"), ("WINDRES", "windres")]);
        }
        for (var, tool) in tools {
            set(var, tool.into());
            // The build machine's tools: on a cross target `cc` is the target's, so the host's
            // are named by Debian's native triplet (x86_64-linux-gnu-gcc, ...).
            let host = match (native, tool) {
                (true, _) => tool.to_owned(),
                (false, "cc") => format!("{NATIVE_TARGET}-gcc"),
                (false, "c++") => format!("{NATIVE_TARGET}-g++"),
                (false, t) => format!("{NATIVE_TARGET}-{t}"),
            };
            if matches!(var, "DLLTOOL" | "WINDRES") {
                continue;
            }
            set(&format!("HOST{var}"), host.clone());
            set(&format!("BUILD_{var}"), host.clone());
            set(&format!("{var}_FOR_BUILD"), host);
        }
        set("CMAKE_TARGET_TOOLCHAIN", cmake_target);
        set("CMAKE_HOST_TOOLCHAIN", cmake_host);
        set("MESON_TARGET_TOOLCHAIN", meson_target);
        set("MESON_HOST_TOOLCHAIN", meson_host);
        set(
            "PKG_CONFIG_PATH",
            format!("{prefix}/lib/pkgconfig:{prefix}/lib64/pkgconfig:{prefix}/share/pkgconfig"),
        );
        set("LD_LIBRARY_PATH", format!("{prefix}/lib64:{prefix}/lib"));
        // BinaryBuilder's separate host prefix, for tools that must run on the build machine
        // (HostBuildDependency installs go there); separate for native builds too, so host
        // tools never end up in the artifact.
        let host_prefix = self.host_prefix();
        set("host_bindir", format!("{host_prefix}/bin"));
        set("host_libdir", format!("{host_prefix}/lib"));
        set("host_includedir", format!("{host_prefix}/include"));
        set("host_prefix", host_prefix);
        set("TZ", self.timezone.clone());
        set("LANG", self.locale.clone());
        set("LC_ALL", self.locale.clone());
        set("HOME", self.home.clone());
        set("USER", self.user.clone());
        set("LOGNAME", self.user.clone());
        set("SHELL", "/bin/bash".into());
        if self.shuffle_readdir {
            set("REPRO_SHUFFLE_READDIR", "1".into());
        }
        if let Some(f) = &self.faketime {
            set("FAKETIME", f.clone());
            set("FAKETIME_DONT_RESET", "1".into());
            // Only the clock moves: file timestamps read back with stat() stay as written
            // (otherwise a file touched with the shifted date reads back shifted twice), and
            // monotonic clocks (timeouts, sleeps) are left alone, as reprotest does.
            set("NO_FAKE_STAT", "1".into());
            set("DONT_FAKE_MONOTONIC", "1".into());
        }
        for (k, val) in &self.extra_env {
            v.insert(k.clone(), val.clone());
        }
        v
    }

    /// The launcher script run as root in the container: merges stderr into stdout (so the log
    /// keeps the order of lines), creates the user, sets the umask, preloads, personality and
    /// privileges, then `exec`s `bash -e` on the build script from `$WORKSPACE/srcdir`.
    pub fn launcher(&self) -> String {
        let q = |s: &str| shell_quote(s);
        // stderr joins stdout: two pipes would lose the order of lines between them in the log.
        let mut s =
            String::from("#!/bin/bash\n# repro build launcher (generated)\nset -eu\nexec 2>&1\n");
        if self.uid != 0 {
            s.push_str(&format!(
                "getent group {gid} >/dev/null || echo {grp}:x:{gid}: >> /etc/group\n\
                 getent passwd {uid} >/dev/null || echo {user}:x:{uid}:{gid}::{home}:/bin/bash >> /etc/passwd\n",
                uid = self.uid,
                gid = self.gid,
                grp = q(&self.user),
                user = q(&self.user),
                home = q(&self.home),
            ));
        }
        s.push_str(&format!(
            "mkdir -p {home}\nchown {uid}:{gid} {home}\n",
            home = q(&self.home),
            uid = self.uid,
            gid = self.gid
        ));
        s.push_str(&format!("umask {:04o}\ncd {}\n", self.umask, q(&self.srcdir())));
        // Preloads apply to the script's bash only (set by `env` innermost), never to the root
        // wrappers around it: libfaketime started as root would create its shared semaphore as
        // root, which the build user then cannot open.
        let mut preload = Vec::new();
        if self.shuffle_readdir {
            preload.push(SHUFFLE_LIB);
        }
        if self.faketime.is_some() {
            preload.push(FAKETIME_LIB);
        }
        if preload.is_empty() {
            s.push_str(&format!("cmd=(/bin/bash -e {SCRIPT_PATH})\n"));
        } else {
            s.push_str(&format!(
                "cmd=(/usr/bin/env LD_PRELOAD={} /bin/bash -e {SCRIPT_PATH})\n",
                q(&preload.join(":"))
            ));
        }
        if self.uname26 {
            s.push_str(&format!(
                "if setarch x86_64 --uname-2.6 true >/dev/null 2>&1; then cmd=(setarch x86_64 \
                 --uname-2.6 \"${{cmd[@]}}\"); else echo '{UNAME26_UNAVAILABLE_MARKER}: setarch \
                 --uname-2.6 is not permitted in this container' >&2; fi\n"
            ));
        }
        if !self.aslr {
            s.push_str(&format!(
                "if setarch x86_64 -R true >/dev/null 2>&1; then cmd=(setarch x86_64 -R \
                 \"${{cmd[@]}}\"); else echo '{ASLR_UNAVAILABLE_MARKER}: setarch -R is not \
                 permitted in this container' >&2; fi\n"
            ));
        }
        if self.uid != 0 {
            s.push_str(&format!(
                "cmd=(setpriv --reuid={} --regid={} --clear-groups \"${{cmd[@]}}\")\n",
                self.uid, self.gid
            ));
        }
        s.push_str("exec \"${cmd[@]}\"\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_env_is_valid_and_binarybuilder_like() {
        let e = BuildEnv::default();
        e.validate().unwrap();
        let v = e.variables("Hello", "x86_64-linux-gnu");
        assert_eq!(v["WORKSPACE"], "/workspace");
        assert_eq!(v["prefix"], "/workspace/destdir");
        assert_eq!(v["libdir"], "/workspace/destdir/lib");
        assert_eq!(v["SOURCE_DATE_EPOCH"], "0");
        assert_eq!(v["ZERO_AR_DATE"], "1");
        assert_eq!(v["SRC_NAME"], "Hello");
        assert_eq!(v["TZ"], "UTC");
        assert_eq!(
            v["CMAKE_TARGET_TOOLCHAIN"],
            "/opt/toolchains/x86_64-linux-gnu/target_x86_64-linux-gnu.cmake"
        );
        assert!(!v.contains_key("LD_PRELOAD"));
        assert!(!v.contains_key("REPRO_SHUFFLE_READDIR"));
    }

    #[test]
    fn cross_targets_get_their_toolchain_and_conventions() {
        let e = BuildEnv::default();
        let v = e.variables("Ogg", "armv7l-linux-gnueabihf-cxx11");
        assert_eq!(v["target"], "armv7l-linux-gnueabihf");
        assert_eq!(v["bb_full_target"], "armv7l-linux-gnueabihf-cxx11");
        assert_eq!(v["MACHTYPE"], "x86_64-linux-gnu");
        assert!(v["PATH"].starts_with("/opt/bin/armv7l-linux-gnueabihf:"), "{}", v["PATH"]);
        assert_eq!(v["CC"], "cc");
        assert_eq!(v["FC"], "gfortran");
        assert_eq!(v["HOSTCC"], "x86_64-linux-gnu-gcc");
        assert_eq!(v["CC_FOR_BUILD"], "x86_64-linux-gnu-gcc");
        assert_eq!(v["nbits"], "32");
        assert_eq!(v["proc_family"], "arm");
        assert_eq!(v["rust_target"], "armv7-unknown-linux-gnueabihf");
        assert_eq!(
            v["CMAKE_TARGET_TOOLCHAIN"],
            "/opt/toolchains/armv7l-linux-gnueabihf/target_armv7l-linux-gnueabihf.cmake"
        );
        assert_eq!(
            v["MESON_HOST_TOOLCHAIN"],
            "/opt/toolchains/armv7l-linux-gnueabihf/host_x86_64-linux-gnu.meson"
        );
        assert_eq!(v["host_prefix"], "/workspace/x86_64-linux-gnu/destdir");
        assert_eq!(v["host_bindir"], "/workspace/x86_64-linux-gnu/destdir/bin");
        assert!(!v.contains_key("WINDRES"));

        let w = e.variables("Ogg", "i686-w64-mingw32");
        assert_eq!((w["dlext"].as_str(), w["exeext"].as_str()), ("dll", ".exe"));
        assert_eq!(w["libdir"], "/workspace/destdir/bin");
        assert_eq!((w["DLLTOOL"].as_str(), w["WINDRES"].as_str()), ("dlltool", "windres"));
        assert_eq!(w["proc_family"], "intel");

        let n = e.variables("Ogg", "x86_64-linux-gnu");
        assert_eq!(
            n["PATH"],
            format!("{IMAGE_PATH}:/workspace/x86_64-linux-gnu/destdir/bin:/workspace/destdir/bin")
        );
        assert_eq!(n["HOSTCC"], "cc");
        assert_eq!(n["host_prefix"], "/workspace/x86_64-linux-gnu/destdir");
        assert_ne!(n["host_prefix"], n["prefix"]);
        assert_eq!(n["libdir"], "/workspace/destdir/lib");
    }

    #[test]
    fn workspace_moves_every_path() {
        let e = BuildEnv { workspace: "/build/abc".into(), ..BuildEnv::default() };
        e.validate().unwrap();
        let v = e.variables("X", "x86_64-linux-gnu");
        assert_eq!(v["prefix"], "/build/abc/destdir");
        assert!(v["PKG_CONFIG_PATH"].starts_with("/build/abc/destdir/"));
        assert!(e.launcher().contains("cd /build/abc/srcdir"));
    }

    #[test]
    fn hostile_values_are_refused() {
        let cases = [
            BuildEnv { hostname: "a b".into(), ..BuildEnv::default() },
            BuildEnv { workspace: "/workspace/../etc".into(), ..BuildEnv::default() },
            BuildEnv { workspace: "relative".into(), ..BuildEnv::default() },
            BuildEnv { workspace: "/etc/x".into(), ..BuildEnv::default() },
            BuildEnv { home: "/root;rm -rf /".into(), ..BuildEnv::default() },
            BuildEnv { user: "Root$".into(), ..BuildEnv::default() },
            BuildEnv { user: "root".into(), uid: 5, ..BuildEnv::default() },
            BuildEnv { timezone: "../../etc/passwd".into(), ..BuildEnv::default() },
            BuildEnv { umask: 0o1777, ..BuildEnv::default() },
            BuildEnv { nproc: 0, ..BuildEnv::default() },
            BuildEnv { cpuset: Some("0;1".into()), ..BuildEnv::default() },
            BuildEnv { faketime: Some("+1d'; reboot".into()), ..BuildEnv::default() },
            BuildEnv {
                extra_env: [("A-B".to_string(), "x".to_string())].into_iter().collect(),
                ..BuildEnv::default()
            },
        ];
        for c in cases {
            assert!(c.validate().is_err(), "accepted {c:?}");
        }
    }

    #[test]
    fn launcher_applies_user_umask_preloads() {
        let e = BuildEnv {
            user: "builder".into(),
            uid: 1234,
            gid: 1234,
            home: "/home/builder".into(),
            umask: 0o002,
            faketime: Some("+398d".into()),
            shuffle_readdir: true,
            aslr: false,
            ..BuildEnv::default()
        };
        e.validate().unwrap();
        let l = e.launcher();
        assert!(l.contains("umask 0002"), "{l}");
        assert!(l.contains("setpriv --reuid=1234 --regid=1234"), "{l}");
        assert!(l.contains("builder:x:1234:1234::/home/builder:/bin/bash"), "{l}");
        assert!(l.contains(SHUFFLE_LIB) && l.contains(FAKETIME_LIB), "{l}");
        assert!(l.contains("setarch x86_64 -R"), "{l}");
        let v = e.variables("X", "x86_64-linux-gnu");
        assert_eq!(v["FAKETIME"], "+398d");
        assert_eq!(v["NO_FAKE_STAT"], "1", "file times must not be shifted a second time");
        assert_eq!(v["USER"], "builder");
        assert_eq!(v["REPRO_SHUFFLE_READDIR"], "1");
    }

    #[test]
    fn extra_env_is_applied_last() {
        let e = BuildEnv {
            extra_env: [("CC".to_string(), "clang".to_string()), ("FOO".into(), "a b".into())]
                .into_iter()
                .collect(),
            ..BuildEnv::default()
        };
        let v = e.variables("X", "x86_64-linux-gnu");
        assert_eq!(v["CC"], "clang");
        assert_eq!(v["FOO"], "a b");
    }
}
