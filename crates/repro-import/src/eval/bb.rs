//! The BinaryBuilder API: `build_tarballs`, sources, products, dependencies, platforms and their
//! predicates ([`BINARYBUILDER`], part of the one built-in table, see [`super::builtins::find`]).

use std::rc::Rc;

use super::builtins::{Builtin, Call, as_str};
use super::{BuildCall, Interp, R};
use crate::Loc;
use crate::ast::{Arg, Expr, ExprKind};
use crate::platform::{self, Platform};
use crate::value::{DepValue, JVersion, Value};
use repro_recipe::{Product, Source};

/// BinaryBuilder's (and `Pkg`'s, `BinaryPlatforms`') functions, types and modules.
pub(crate) static BINARYBUILDER: &[Builtin] = &[
    Builtin::function("supported_platforms", |c| c.supported_platforms()),
    Builtin::function("expand_cxxstring_abis", |c| c.expand_platforms()),
    Builtin::function("expand_gfortran_versions", |c| c.expand_platforms()),
    Builtin::function("expand_microarchitectures", |c| c.expand_platforms()),
    Builtin::function("arch", |c| c.platform_query()),
    Builtin::function("os", |c| c.platform_query()),
    Builtin::function("libc", |c| c.platform_query()),
    Builtin::function("call_abi", |c| c.platform_query()),
    Builtin::function("nbits", |c| c.platform_query()),
    Builtin::function("proc_family", |c| c.platform_query()),
    Builtin::function("triplet", |c| c.platform_query()),
    Builtin::function("cxxstring_abi", |c| c.platform_query()),
    Builtin::function("libgfortran_version", |c| c.platform_query()),
    Builtin::function("libstdcxx_version", |c| c.platform_query()),
    Builtin::function("sanitize", |c| c.platform_query()),
    Builtin::function("march", |c| c.platform_query()),
    Builtin::function("islinux", |c| c.platform_query()).in_sys(),
    Builtin::function("iswindows", |c| c.platform_query()).in_sys(),
    Builtin::function("isapple", |c| c.platform_query()).in_sys(),
    Builtin::function("isfreebsd", |c| c.platform_query()).in_sys(),
    Builtin::function("isbsd", |c| c.platform_query()).in_sys(),
    Builtin::function("isunix", |c| c.platform_query()).in_sys(),
    Builtin::constructor("ArchiveSource", |c| c.source()),
    Builtin::constructor("GitSource", |c| c.source()),
    Builtin::constructor("FileSource", |c| c.source()),
    Builtin::constructor("DirectorySource", |c| c.directory_source()),
    Builtin::abstract_type("AbstractSource"),
    Builtin::constructor("LibraryProduct", |c| c.product()),
    Builtin::constructor("ExecutableProduct", |c| c.product()),
    Builtin::constructor("FileProduct", |c| c.product()),
    Builtin::constructor("FrameworkProduct", |c| c.framework_product()),
    Builtin::abstract_type("Product"),
    Builtin::constructor("Dependency", |c| c.dependency()).tolerates_unknown_kw("platforms"),
    Builtin::constructor("BuildDependency", |c| c.dependency()).tolerates_unknown_kw("platforms"),
    Builtin::constructor("HostBuildDependency", |c| c.dependency())
        .tolerates_unknown_kw("platforms"),
    Builtin::constructor("RuntimeDependency", |c| c.dependency()).tolerates_unknown_kw("platforms"),
    Builtin::abstract_type("AbstractDependency"),
    Builtin::constructor("PackageSpec", |c| c.package_spec()),
    Builtin::function("get_addable_spec", |c| c.addable_spec()),
    Builtin::constructor("Platform", |c| c.platform()),
    Builtin::abstract_type("AbstractPlatform"),
    Builtin::constructor("AnyPlatform", |c| c.any_platform()),
    Builtin::constructor("Linux", |c| c.platform()),
    Builtin::constructor("MacOS", |c| c.platform()),
    Builtin::constructor("Windows", |c| c.platform()),
    Builtin::constructor("FreeBSD", |c| c.platform()),
    Builtin::module("BinaryBuilder"),
    Builtin::module("BinaryBuilderBase"),
    Builtin::module("Pkg"),
    Builtin::module("BinaryPlatforms"),
];

impl Interp {
    pub(super) fn build_tarballs(&mut self, e: &Expr, args: &[Arg]) -> R<Value> {
        let mut positional: Vec<(Value, Loc)> = Vec::new();
        let mut kwargs = Vec::new();
        for a in args {
            match &a.name {
                Some(n) if n == "..." => {
                    let ExprKind::Splat(inner) = &a.value.kind else { continue };
                    match self.eval(inner)? {
                        Value::NamedTuple(fields) => {
                            for (k, v) in fields.iter().cloned() {
                                let text = v
                                    .to_julia_string()
                                    .map(|s| format!("{s:?}"))
                                    .unwrap_or_else(|| "(from a splat)".into());
                                kwargs.push((k, v, text));
                            }
                        }
                        Value::Unknown(_) => {}
                        _ => self.warn_at(
                            &a.value,
                            "cannot splat this value as keyword arguments".into(),
                        ),
                    }
                }
                Some(n) => {
                    let v = self.eval(&a.value)?;
                    let text = self.snippet(&a.value);
                    kwargs.push((n.clone(), v, text));
                }
                None => {
                    for v in self.eval_items(std::slice::from_ref(&a.value))? {
                        positional.push((v, a.value.loc));
                    }
                }
            }
        }
        match positional.first() {
            Some((Value::Args, _)) => {
                positional.remove(0);
            }
            // The command-line arguments as the recipe computed them (`filter(..., ARGS)`).
            Some(_) if positional.len() == 8 => {
                positional.remove(0);
            }
            Some((_, loc)) => {
                let loc = *loc;
                self.warn(
                    loc,
                    self.snippet(e),
                    "the first argument of `build_tarballs` is not `ARGS`".into(),
                );
            }
            None => {}
        }
        if let Some(first) = self.build_calls.first_mut() {
            // BinaryBuilder builds each call's platforms; calls of one name and version (per
            // platform group, or one per platform in a loop) make one package.
            let kwargs_differ = first.kwargs.len() != kwargs.len()
                || first.kwargs.iter().zip(&kwargs).any(|((n1, v1, t1), (n2, v2, t2))| {
                    n1 != n2 || (t1 != t2 && v1.julia_eq(v2) != Some(true))
                });
            match merge_build_call(first, &positional) {
                Ok(merged) => {
                    let note = "`build_tarballs` is called several times with the same name and version; the recipe has the platforms of every call, and each call's dependencies apply to its platforms".to_owned();
                    if !self.notes.contains(&note) {
                        self.notes.push(note);
                    }
                    let note = "the `build_tarballs` calls of one name and version have different keyword arguments; the header records the first call's".to_owned();
                    if kwargs_differ && !self.notes.contains(&note) {
                        self.notes.push(note);
                    }
                    if !merged.differs.is_empty() {
                        self.warn_at(
                            e,
                            format!(
                                "another `build_tarballs` call for the same name and version: its platforms are added, built with the first call's {} (this call's may differ)",
                                merged.differs.join(" and ")
                            ),
                        );
                    }
                    if merged.products_differ {
                        self.warn_at(
                            e,
                            "another `build_tarballs` call for the same name and version with other products: the recipe keeps the products every call names".into(),
                        );
                    }
                }
                Err(why) => self.warn_at(
                    e,
                    format!(
                        "another `build_tarballs` call ({why}); only the first one is imported"
                    ),
                ),
            }
            return Ok(Value::Nothing);
        }
        self.build_calls.push(BuildCall {
            loc: e.loc,
            positional,
            kwargs,
            left_out_products: Vec::new(),
        });
        Ok(Value::Nothing)
    }
}

/// What merging a later `build_tarballs` call into the first one left differing.
struct Merged {
    /// Parts of the later call the recipe does not take: `script`, `sources`, `products`,
    /// `dependencies` (when they differ or cannot be compared).
    differs: Vec<&'static str>,
    /// The two calls name different products.
    products_differ: bool,
}

/// A list of known platforms (`None` when an entry is not a platform).
fn known_platforms(v: &Value) -> Option<Vec<Platform>> {
    match v {
        Value::Platform(p) => Some(vec![p.clone()]),
        Value::Vector(xs) | Value::Tuple(xs) => xs
            .iter()
            .map(|x| match x {
                Value::Platform(p) => Some(p.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn known_list<T>(v: &Value, item: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    match v {
        Value::Vector(xs) | Value::Tuple(xs) => xs.iter().map(item).collect(),
        single => item(single).map(|x| vec![x]),
    }
}

fn dep_of(v: &Value) -> Option<Rc<DepValue>> {
    match v {
        Value::Dep(d) => Some(d.clone()),
        _ => None,
    }
}

/// The platforms of `set` that a dependency applies to (all of them without a `platforms=`
/// filter, or with one that cannot be evaluated).
fn dep_platforms(d: &DepValue, set: &[Platform]) -> Vec<Platform> {
    match d.platforms.as_ref().and_then(known_platforms) {
        Some(filter) => {
            set.iter().filter(|p| filter.iter().any(|f| f.matches(p))).cloned().collect()
        }
        None => set.to_vec(),
    }
}

fn with_platforms(d: &DepValue, ps: Vec<Platform>) -> Value {
    Value::Dep(Rc::new(DepValue {
        kind: d.kind.clone(),
        name: d.name.clone(),
        platforms: Some(Call::platform_list(ps)),
        compat: d.compat.clone(),
        version: d.version.clone(),
        text: d.text.clone(),
        loc: d.loc,
    }))
}

/// Adds the platforms of a later `build_tarballs` call (`later`: its seven positional
/// arguments) with the same name and version to `first`. Each call's dependencies are
/// restricted to that call's platforms; the products become those both calls name. The
/// first call's script and sources stay (a recipe has one of each). `Err` says why the call
/// cannot be merged.
fn merge_build_call(first: &mut BuildCall, later: &[(Value, Loc)]) -> Result<Merged, &'static str> {
    let (f, l) = (&mut first.positional, later);
    if f.len() != 7 || l.len() != 7 {
        return Err("not with the seven positional arguments");
    }
    if f[0].0.julia_eq(&l[0].0) != Some(true) || f[1].0.julia_eq(&l[1].0) != Some(true) {
        return Err("of another name or version");
    }
    let Some(mut platforms) = known_platforms(&f[4].0) else {
        return Err("the platforms of the first call cannot be evaluated");
    };
    let Some(theirs) = known_platforms(&l[4].0) else {
        return Err("its platforms cannot be evaluated");
    };
    let mut added: Vec<Platform> = Vec::new();
    for p in theirs {
        if !platforms.contains(&p) && !added.contains(&p) {
            added.push(p);
        }
    }
    if added.is_empty() {
        return Err("for platforms the first call already has");
    }
    let mut merged = Merged { differs: Vec::new(), products_differ: false };
    if f[3].0.julia_eq(&l[3].0) != Some(true) {
        merged.differs.push("script");
    }
    let source = |v: &Value| match v {
        Value::Source(s, _) => Some(s.clone()),
        _ => None,
    };
    match (known_list(&f[2].0, source), known_list(&l[2].0, source)) {
        (Some(a), Some(b)) if a == b => {}
        _ => merged.differs.push("sources"),
    }
    let product = |v: &Value| match v {
        Value::Product(p) => Some(p.clone()),
        _ => None,
    };
    match (known_list(&f[5].0, product), known_list(&l[5].0, product)) {
        (Some(a), Some(b)) => {
            let only_theirs: Vec<Product> = b.iter().filter(|p| !a.contains(p)).cloned().collect();
            let (kept, dropped): (Vec<_>, Vec<_>) = a.into_iter().partition(|p| b.contains(p));
            for p in dropped.into_iter().chain(only_theirs) {
                let (Product::Library { variable, .. }
                | Product::Executable { variable, .. }
                | Product::File { variable, .. }) = p;
                merged.products_differ = true;
                if !first.left_out_products.contains(&variable) {
                    first.left_out_products.push(variable);
                }
            }
            f[5].0 = Value::Vector(kept.into_iter().map(Value::Product).collect());
        }
        _ => merged.differs.push("products"),
    }
    match (known_list(&f[6].0, dep_of), known_list(&l[6].0, dep_of)) {
        (Some(mine), Some(theirs)) => {
            let same = |a: &DepValue, b: &DepValue| a.kind == b.kind && a.name == b.name;
            let mut deps = Vec::new();
            for d in &mine {
                let other = theirs.iter().find(|t| same(d, t));
                if other.is_none()
                    || d.platforms.is_some()
                    || other.is_some_and(|t| t.platforms.is_some())
                {
                    let mut ps = dep_platforms(d, &platforms);
                    if let Some(t) = other {
                        ps.extend(dep_platforms(t, &added));
                    }
                    deps.push(with_platforms(d, ps));
                } else {
                    deps.push(Value::Dep(d.clone()));
                }
            }
            for t in theirs.iter().filter(|t| !mine.iter().any(|d| same(d, t))) {
                deps.push(with_platforms(t, dep_platforms(t, &added)));
            }
            f[6].0 = Value::Vector(deps);
        }
        _ => merged.differs.push("dependencies"),
    }
    platforms.extend(added);
    f[4].0 = Call::platform_list(platforms);
    Ok(merged)
}

impl Call<'_, '_> {
    pub(super) fn platforms_of(&mut self, v: Value) -> Result<Vec<Platform>, Value> {
        match v {
            Value::Platform(p) => Ok(vec![p]),
            Value::Vector(xs) | Value::Tuple(xs) => {
                let mut out = Vec::new();
                for x in xs {
                    match x {
                        Value::Platform(p) => out.push(p),
                        Value::Unknown(u) => return Err(Value::Unknown(u)),
                        other => {
                            let t = other.type_name();
                            return Err(self
                                .it
                                .unknown(self.e, format!("expected platforms, found a {t}")));
                        }
                    }
                }
                Ok(out)
            }
            Value::Unknown(u) => Err(Value::Unknown(u)),
            other => {
                let t = other.type_name();
                Err(self.it.unknown(self.e, format!("expected platforms, found a {t}")))
            }
        }
    }

    pub(super) fn platform_list(ps: Vec<Platform>) -> Value {
        Value::Vector(ps.into_iter().map(Value::Platform).collect())
    }

    pub(super) fn supported_platforms(&mut self) -> R<Value> {
        let mut ps = platform::supported_platforms();
        if let Some(ex) = self.take_kw("exclude") {
            match ex {
                Value::Vector(_) | Value::Tuple(_) | Value::Platform(_) => {
                    match self.platforms_of(ex) {
                        Ok(drop) => ps.retain(|p| !drop.contains(p)),
                        Err(u) => return Ok(u),
                    }
                }
                f => {
                    let mut keep = Vec::new();
                    for p in ps {
                        match self.predicate(&f, Value::Platform(p.clone()))? {
                            Ok(true) => {}
                            Ok(false) => keep.push(p),
                            Err(u) => return Ok(u),
                        }
                    }
                    ps = keep;
                }
            }
        }
        let _ = self.take_kw("experimental");
        self.leftover_kwargs();
        if let Some(r) = self.arity(0, 0) {
            return r;
        }
        Ok(Self::platform_list(ps))
    }

    pub(super) fn expand_platforms(&mut self) -> R<Value> {
        let name = self.name;
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        let single = matches!(self.pos[0], Value::Platform(_));
        let arg = self.pos.remove(0);
        let ps = match self.platforms_of(arg) {
            Ok(ps) => ps,
            Err(u) => return Ok(u),
        };
        let out = match name {
            "expand_cxxstring_abis" => {
                let skip = self.take_kw("skip");
                let (mut skipped, mut todo) = (Vec::new(), Vec::new());
                for p in ps {
                    let s = match &skip {
                        None => matches!(p.os.as_str(), "macos" | "freebsd"),
                        Some(f) => match self.predicate(f, Value::Platform(p.clone()))? {
                            Ok(b) => b,
                            Err(u) => return Ok(u),
                        },
                    };
                    if s { skipped.push(p) } else { todo.push(p) }
                }
                let mut out = skipped;
                out.extend(platform::expand_cxxstring_abis(
                    todo.into_iter()
                        .map(|mut p| {
                            // Platforms that the default rule would skip are expanded when
                            // a custom `skip` keeps them.
                            if matches!(p.os.as_str(), "macos" | "freebsd") {
                                p.tags.insert("cxxstring_abi".into(), "cxx11".into());
                            }
                            p
                        })
                        .collect(),
                ));
                out
            }
            "expand_gfortran_versions" => platform::expand_gfortran_versions(ps),
            _ => {
                self.it.warn_at(
                        self.e,
                        "`expand_microarchitectures` is not modelled; the platforms are used without microarchitecture variants".into(),
                    );
                ps
            }
        };
        self.leftover_kwargs();
        let _ = single;
        Ok(Self::platform_list(out))
    }

    pub(super) fn platform_query(&mut self) -> R<Value> {
        let name = self.name;
        let p = match self.pos.as_slice() {
            [Value::Platform(p)] => p.clone(),
            [] if name.starts_with("is") => {
                return self.fail(format!(
                    "`Sys.{name}()` asks about the host, which the importer does not assume"
                ));
            }
            _ => return self.fail(format!("`{name}` needs one platform")),
        };
        Ok(match name {
            "arch" => Value::Str(p.arch.clone()),
            "os" => Value::Str(p.os.clone()),
            "nbits" => Value::Int(p.nbits()),
            "proc_family" => Value::Str(p.proc_family().into()),
            "triplet" => Value::Str(p.triplet()),
            "islinux" => Value::Bool(p.os == "linux"),
            "iswindows" => Value::Bool(p.os == "windows"),
            "isapple" => Value::Bool(p.os == "macos"),
            "isfreebsd" => Value::Bool(p.os == "freebsd"),
            "isbsd" => Value::Bool(matches!(p.os.as_str(), "macos" | "freebsd")),
            "isunix" => Value::Bool(p.os != "windows"),
            "libgfortran_version" => match p.tag("libgfortran_version").and_then(JVersion::parse) {
                Some(v) => Value::Version(v),
                None => Value::Nothing,
            },
            tag => match p.tag(tag) {
                Some(v) => Value::Str(v.to_owned()),
                None => Value::Nothing,
            },
        })
    }

    pub(super) fn framework_product(&mut self) -> R<Value> {
        self.fail("`FrameworkProduct` is macOS-only and cannot be built here")
    }

    pub(super) fn package_spec(&mut self) -> R<Value> {
        let n = self
            .take_kw("name")
            .or_else(|| if self.pos.is_empty() { None } else { Some(self.pos.remove(0)) });
        let version = match self.take_kw("version") {
            None | Some(Value::Nothing) => None,
            Some(Value::Version(v)) => Some(v.to_string()),
            Some(Value::Str(s)) => Some(s),
            Some(other) => {
                let t = other.type_name();
                return self.fail(format!("`PackageSpec(version=...)` is a {t}, not a version"));
            }
        };
        // The UUID names the same package; `rev`, `url` and `path` point Pkg at a development
        // copy, which a JLL dependency does not use.
        for k in ["uuid", "rev", "url", "path"] {
            if self.take_kw(k).is_some() && k != "uuid" {
                let msg = format!(
                    "`PackageSpec({k}=...)` is not used: JLL dependencies are resolved by name and version"
                );
                self.it.warn_at(self.e, msg);
            }
        }
        self.leftover_kwargs();
        match n {
            Some(Value::Str(s)) => Ok(Value::PackageSpec(s, version)),
            _ => self.fail("`PackageSpec` needs `name = \"...\"`"),
        }
    }

    /// `AnyPlatform()`: a platform-independent artifact, built here on the native platform.
    pub(super) fn any_platform(&mut self) -> R<Value> {
        if let Some(r) = self.arity(0, 0) {
            return r;
        }
        let note = format!(
            "`AnyPlatform()` (a platform-independent artifact) is imported as {} with \
             `platform_independent = true`: built there once and installed for every target",
            platform::BUILDABLE_TRIPLET
        );
        if !self.it.notes.contains(&note) {
            self.it.notes.push(note);
        }
        self.it.any_platform = true;
        Ok(Value::Platform(Platform::new("x86_64", "linux")))
    }

    /// `get_addable_spec(name, version)`: BinaryBuilder's registry lookup of a JLL version,
    /// modelled as the package spec of that name.
    pub(super) fn addable_spec(&mut self) -> R<Value> {
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        match &self.pos[0] {
            Value::Str(s) => {
                let v = match &self.pos[1] {
                    Value::Version(v) => Some(v.to_string()),
                    _ => None,
                };
                Ok(Value::PackageSpec(s.clone(), v))
            }
            _ => self.fail("`get_addable_spec` needs a package name"),
        }
    }

    pub(super) fn platform(&mut self) -> R<Value> {
        let name = self.name;
        let (arch, os) = match name {
            "Platform" => {
                if let Some(r) = self.arity(2, 2) {
                    return r;
                }
                let (a, o) = (Self::str_arg(&self.pos[0]), Self::str_arg(&self.pos[1]));
                match (a, o.as_deref().and_then(platform::normalize_os)) {
                    (Some(a), Some(o)) => (a, o.to_owned()),
                    _ => return self.fail(
                        "`Platform(arch, os)` needs two strings naming a known architecture and OS",
                    ),
                }
            }
            _ => {
                let os = match name {
                    "Linux" => "linux",
                    "MacOS" => "macos",
                    "Windows" => "windows",
                    _ => "freebsd",
                };
                let arch = match self.pos.first() {
                    Some(v) => match Self::str_arg(v) {
                        Some(a) => a,
                        None => {
                            return self.fail(format!("`{name}(arch)` needs a symbol or string"));
                        }
                    },
                    None if name == "MacOS" => "x86_64".to_owned(),
                    None => return self.fail(format!("`{name}(arch)` needs an architecture")),
                };
                (arch, os.to_owned())
            }
        };
        if !platform::ARCHES.contains(&arch.as_str()) {
            return self.fail(format!("unknown architecture {arch:?}"));
        }
        let mut p = Platform::new(&arch, &os);
        for (k, v) in std::mem::take(&mut self.kw) {
            let text = match &v {
                Value::Version(v) => Some(v.to_string()),
                other => Self::str_arg(other),
            };
            match (k.as_str(), text) {
                ("compiler_abi", _) => {
                    return self.fail("`compiler_abi=CompilerABI(...)` is not supported; use `Platform(...; cxxstring_abi=...)`");
                }
                (_, Some(t)) => {
                    let t = if k == "libc" && t == "gnu" { "glibc".to_owned() } else { t };
                    if t.is_empty() {
                        p.tags.remove(&k);
                    } else {
                        p.tags.insert(k, t);
                    }
                }
                (_, None) => return self.fail(format!("platform tag `{k}` must be a string")),
            }
        }
        Ok(Value::Platform(p))
    }

    pub(super) fn source(&mut self) -> R<Value> {
        let name = self.name;
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let (Some(url), Some(hash)) = (as_str(&self.pos[0]), as_str(&self.pos[1])) else {
            return self.fail(format!("`{name}(url, hash)` needs two strings"));
        };
        let target_key = if name == "FileSource" { "filename" } else { "unpack_target" };
        let target = match self.take_kw(target_key) {
            None => None,
            Some(Value::Str(s)) if s.is_empty() => None,
            Some(Value::Str(s)) => Some(s),
            Some(_) => return self.fail(format!("`{target_key}` must be a string")),
        };
        self.leftover_kwargs();
        let src = match name {
            "ArchiveSource" => Source::Archive { url, sha256: hash, unpack_target: target },
            "GitSource" => Source::Git { url, commit: hash, unpack_target: target },
            _ => Source::File { url, sha256: hash, filename: target },
        };
        Ok(Value::Source(src, self.e.loc))
    }

    pub(super) fn directory_source(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        let Some(path) = as_str(&self.pos[0]) else {
            return self.fail("`DirectorySource(path)` needs a string");
        };
        let target = match self.take_kw("target") {
            None => None,
            Some(Value::Str(s)) if s.is_empty() => None,
            Some(Value::Str(s)) => Some(s),
            Some(_) => return self.fail("`target` must be a string"),
        };
        match self.take_kw("follow_symlinks") {
            None | Some(Value::Bool(false)) => {}
            Some(_) => {
                self.it.warn_at(
                    self.e,
                    "`follow_symlinks=true` is not supported; symlinks are copied as they are"
                        .into(),
                );
            }
        }
        self.leftover_kwargs();
        Ok(Value::Source(Source::Directory { path, target }, self.e.loc))
    }

    pub(super) fn product(&mut self) -> R<Value> {
        let name = self.name;
        let max = if name == "ExecutableProduct" { 3 } else { 2 };
        if let Some(r) = self.arity(2, max) {
            return r;
        }
        let names: Vec<String> = match &self.pos[0] {
            Value::Str(s) => vec![s.clone()],
            Value::Vector(xs)
                if !xs.is_empty() && xs.iter().all(|x| matches!(x, Value::Str(_))) =>
            {
                xs.iter().filter_map(as_str).collect()
            }
            other => {
                let t = other.type_name();
                return self
                    .fail(format!("`{name}` needs a name or a vector of names, found a {t}"));
            }
        };
        let variable = match &self.pos[1] {
            Value::Symbol(s) => s.clone(),
            _ => return self.fail(format!("`{name}` needs a `:symbol` as its second argument")),
        };
        match name {
            "LibraryProduct" => {
                let dir = match self.take_kw("dir_paths").or_else(|| self.take_kw("dir_path")) {
                    None => None,
                    Some(Value::Str(s)) => Some(s),
                    Some(Value::Vector(xs)) => {
                        if xs.len() > 1 {
                            self.it.warn_at(
                                self.e,
                                "several `dir_paths`; only the first one is used".into(),
                            );
                        }
                        xs.first().and_then(as_str)
                    }
                    Some(_) => return self.fail("`dir_paths` must be strings"),
                };
                for k in ["dont_dlopen", "dlopen_flags"] {
                    if self.take_kw(k).is_some() {
                        self.it.notes.push(format!(
                            "`{k}` on `LibraryProduct` :{variable} is ignored: repro does not load libraries"
                        ));
                    }
                }
                self.leftover_kwargs();
                Ok(Value::Product(Product::Library {
                    names,
                    variable,
                    dir: dir.map(strip_prefix_var),
                }))
            }
            "ExecutableProduct" => {
                let dir = match self.pos.get(2).cloned().or_else(|| self.take_kw("dir_path")) {
                    None | Some(Value::Nothing) => None,
                    Some(Value::Str(s)) => Some(s),
                    Some(_) => return self.fail("`dir_path` must be a string"),
                };
                self.leftover_kwargs();
                Ok(Value::Product(Product::Executable {
                    names,
                    variable,
                    dir: dir.map(strip_prefix_var),
                }))
            }
            _ => {
                if names.len() > 1 {
                    self.it.warn_at(
                        self.e,
                        "`FileProduct` with several paths; only the first one is used".into(),
                    );
                }
                self.leftover_kwargs();
                let path = strip_prefix_var(names.into_iter().next().unwrap_or_default());
                Ok(Value::Product(Product::File { path, variable }))
            }
        }
    }

    pub(super) fn dependency(&mut self) -> R<Value> {
        let kind = self.name.to_owned();
        if let Some(r) = self.arity(1, 2) {
            return r;
        }
        let (name, mut version) = match &self.pos[0] {
            Value::Str(s) => (s.clone(), None),
            Value::PackageSpec(s, v) => (s.clone(), v.clone()),
            other => {
                let t = other.type_name();
                return self
                    .fail(format!("`{kind}` needs a package name or `PackageSpec`, found a {t}"));
            }
        };
        // `Dependency(name, build_version)`.
        match self.pos.get(1).cloned().or_else(|| self.take_kw("build_version")) {
            None | Some(Value::Nothing) => {}
            Some(Value::Version(v)) => version = Some(v.to_string()),
            Some(Value::Str(s)) => version = Some(s),
            Some(other) => {
                let t = other.type_name();
                self.it.warn_at(
                    self.e,
                    format!("the build version of `{name}` is a {t}, not a version; it is ignored"),
                );
            }
        }
        let platforms = self.take_kw("platforms");
        let compat = self.take_kw("compat");
        if self.take_kw("top_level").is_some() {
            self.it.notes.push(format!("`top_level` of the dependency `{name}` is ignored"));
        }
        self.leftover_kwargs();
        let text = self.it.snippet(self.e);
        Ok(Value::Dep(Rc::new(DepValue {
            kind,
            name,
            platforms,
            compat,
            version,
            text,
            loc: self.e.loc,
        })))
    }
}

/// `${prefix}/lib` → `lib`, `$libdir` → `lib`, `$bindir` → `bin` (BinaryBuilder products are
/// relative to the prefix; some recipes spell the directory variables out).
fn strip_prefix_var(s: String) -> String {
    for (var, rep) in [
        ("${prefix}/", ""),
        ("$prefix/", ""),
        ("${libdir}", "lib"),
        ("$libdir", "lib"),
        ("${bindir}", "bin"),
        ("$bindir", "bin"),
    ] {
        if let Some(rest) = s.strip_prefix(var) {
            return format!("{rep}{rest}");
        }
    }
    s
}
