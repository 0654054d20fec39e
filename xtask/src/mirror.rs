//! `cargo xtask mirror-debian`: fill an offline source mirror with Debian's original tarballs.
//!
//! Many upstream release tarballs are byte-identical to the `.orig.tar.*` file of the Debian
//! source package, and Debian's archive is reachable where the upstream sites are not. This
//! task downloads those orig tarballs with apt and files them into a mirror directory that
//! `repro fetch/build/check --mirror DIR` reads:
//!
//! - `DIR/sha256/<hex>`: the bytes, keyed by their sha256;
//! - `DIR/<upstream file name>` (e.g. `bzip2-1.0.8.tar.gz`): the same bytes under the upstream
//!   name (a by-name file is only accepted by the fetcher when its hash matches the recipe).
//!
//! apt runs with a private configuration (its own `sources.list` with `deb-src` lines, its own
//! state, cache and lists directories), so the system's apt setup is neither read for sources
//! nor changed. The archive reachable here can be partial (a `.dsc` or `.debian.tar.*` missing
//! while the orig is served), so `apt-get source` is not used: the orig file's name, size and
//! sha256 are read from the downloaded `Sources` indexes and the file is fetched directly with
//! `apt-helper download-file URL FILE SHA256:<hex>`, which verifies it. See `docs/mirror.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use sha2::{Digest, Sha256};

/// The manifest `--from-recipes` reads, relative to the repository root.
pub(crate) const MANIFEST: &str = "recipes/debian-sources.toml";
/// Where the system's Debian mirrors are declared (deb822).
const SYSTEM_SOURCES: &str = "/etc/apt/sources.list.d/debian.sources";
/// apt's helper binary, used for verified single-file downloads.
const APT_HELPER: &str = "/usr/lib/apt/apt-helper";
/// Used when the system declares no Debian mirror.
const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Mirror directory [default: .repro-work/mirror in the repository].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Mirror every source package listed in recipes/debian-sources.toml (the real recipes).
    #[arg(long)]
    from_recipes: bool,
    /// Manifest read by --from-recipes [default: recipes/debian-sources.toml].
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Private apt directory (config, lists, cache) [default: .repro-work/apt].
    #[arg(long, value_name = "DIR")]
    apt_dir: Option<PathBuf>,
    /// deb822 file naming the Debian mirrors to use [default: /etc/apt/sources.list.d/debian.sources].
    #[arg(long, value_name = "FILE")]
    sources_from: Option<PathBuf>,
    /// Do not run `apt-get update`: use the indexes already in the private apt directory.
    #[arg(long)]
    no_update: bool,
    /// Also fetch the .dsc, .debian.tar.* and signatures (best effort: the archive may lack them).
    #[arg(long)]
    all_files: bool,
    /// Source packages: PACKAGE[=VERSION][@UPSTREAM_FILE_NAME], e.g. `openssl=3.0.20-1~deb12u2`
    /// or `xz-utils=5.4.1-1+deb12u1@xz-5.4.1.tar.xz`.
    #[arg(value_name = "PACKAGE")]
    packages: Vec<String>,
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}

pub(crate) fn run(args: Args) -> Result<()> {
    let root = repo_root();
    let mut requests = Vec::new();
    if args.from_recipes {
        let path = args.manifest.clone().unwrap_or_else(|| root.join(MANIFEST));
        let text = fs::read_to_string(&path)
            .with_context(|| format!("reading the manifest {}", path.display()))?;
        let entries =
            parse_manifest(&text).with_context(|| format!("in manifest {}", path.display()))?;
        requests.extend(entries.into_iter().map(Request::from));
    }
    for spec in &args.packages {
        requests.push(parse_request(spec)?);
    }
    ensure!(
        !requests.is_empty(),
        "nothing to mirror: name source packages (PACKAGE[=VERSION]) or pass --from-recipes"
    );

    let out = args.out.clone().unwrap_or_else(|| root.join(".repro-work/mirror"));
    let apt_dir = args.apt_dir.clone().unwrap_or_else(|| root.join(".repro-work/apt"));
    let sources_from = args.sources_from.clone().unwrap_or_else(|| SYSTEM_SOURCES.into());
    let apt = PrivateApt::create(&apt_dir, &sources_from)?;
    if args.no_update {
        eprintln!("mirror-debian: using the existing indexes in {}", apt_dir.display());
    } else {
        apt.update()?;
    }

    let wanted: BTreeSet<String> = requests.iter().map(|r| r.package.clone()).collect();
    let records = apt.read_sources(&wanted)?;

    fs::create_dir_all(out.join("sha256"))
        .with_context(|| format!("creating the mirror directory {}", out.display()))?;
    let mut failures = Vec::new();
    let mut summary = String::new();
    for req in &requests {
        match mirror_one(req, &records, &out, args.all_files) {
            Ok(line) => {
                println!("{line}");
                let _ = writeln!(summary, "{line}");
            }
            Err(e) => {
                eprintln!("mirror-debian: {}: {e:#}", req.label());
                failures.push(req.label());
            }
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} of {} package(s) not mirrored: {}",
            failures.len(),
            requests.len(),
            failures.join(", ")
        );
    }
    println!("mirror-debian: {} file(s) in {}", requests.len(), out.display());
    Ok(())
}

/// One thing to mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    /// Debian source package name.
    package: String,
    /// Pinned Debian version (with or without epoch), if any.
    version: Option<String>,
    /// The upstream file name to file the orig under (default `<package>-<upstream>.tar.*`).
    filename: Option<String>,
    /// The sha256 the orig must have (from the manifest).
    sha256: Option<String>,
    /// The recipe it is for (from the manifest).
    recipe: Option<String>,
}

impl Request {
    fn label(&self) -> String {
        let mut s = self.package.clone();
        if let Some(v) = &self.version {
            s = format!("{s}={v}");
        }
        if let Some(r) = &self.recipe {
            s = format!("{s} (recipe {r})");
        }
        s
    }
}

/// Parses `PACKAGE[=VERSION][@FILE]`.
fn parse_request(spec: &str) -> Result<Request> {
    let (rest, filename) = match spec.split_once('@') {
        Some((a, f)) => (a, Some(f.to_string())),
        None => (spec, None),
    };
    let (package, version) = match rest.split_once('=') {
        Some((p, v)) => (p, Some(v.to_string())),
        None => (rest, None),
    };
    ensure!(
        !package.is_empty()
            && package
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c)),
        "invalid source package name {package:?} in {spec:?}: expected PACKAGE[=VERSION][@FILE]"
    );
    if let Some(v) = &version {
        ensure!(
            !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || ".+-~:".contains(c)),
            "invalid Debian version {v:?} in {spec:?}"
        );
    }
    if let Some(f) = &filename {
        check_file_name(f).with_context(|| format!("in {spec:?}"))?;
    }
    Ok(Request { package: package.to_string(), version, filename, sha256: None, recipe: None })
}

/// A file name that stays inside the mirror directory.
fn check_file_name(name: &str) -> Result<()> {
    ensure!(
        !name.is_empty()
            && name != "."
            && name != ".."
            && name != "sha256"
            && !name.starts_with('.')
            && !name.contains(['/', '\\', '\0']),
        "invalid file name {name:?}: expected a plain file name"
    );
    Ok(())
}

/// One `[[source]]` entry of `recipes/debian-sources.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ManifestEntry {
    /// Recipe directory name under `recipes/`.
    pub recipe: String,
    /// `package=version` of the Debian source package.
    pub debian: String,
    /// The orig file name in the Debian archive.
    pub orig: String,
    /// The upstream URL the recipe downloads.
    pub url: String,
    /// The sha256 of the upstream file (= Debian's orig).
    pub sha256: String,
}

impl From<ManifestEntry> for Request {
    fn from(e: ManifestEntry) -> Self {
        let (package, version) = match e.debian.split_once('=') {
            Some((p, v)) => (p.to_string(), Some(v.to_string())),
            None => (e.debian.clone(), None),
        };
        let filename = e.url.rsplit('/').next().map(str::to_string);
        Request { package, version, filename, sha256: Some(e.sha256), recipe: Some(e.recipe) }
    }
}

/// Parses the manifest: a TOML subset of `[[source]]` tables whose values are basic strings
/// without escapes, and `#` comments. Anything else is an error naming the line.
pub(crate) fn parse_manifest(text: &str) -> Result<Vec<ManifestEntry>> {
    const KEYS: [&str; 5] = ["recipe", "debian", "orig", "url", "sha256"];
    let mut entries: Vec<(usize, BTreeMap<String, String>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[source]]" {
            entries.push((n, BTreeMap::new()));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("line {n}: expected `[[source]]` or `key = \"value\"`, found {line:?}");
        };
        let key = key.trim();
        let value = value.trim();
        let Some(table) = entries.last_mut() else {
            bail!("line {n}: `{key}` outside a [[source]] table");
        };
        ensure!(KEYS.contains(&key), "line {n}: unknown key `{key}` (expected one of {KEYS:?})");
        let inner = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains(['"', '\\']))
            .with_context(|| {
                format!("line {n}: `{key}` must be a plain \"string\" without escapes")
            })?;
        ensure!(
            table.1.insert(key.to_string(), inner.to_string()).is_none(),
            "line {n}: duplicate key `{key}`"
        );
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, mut t) in entries {
        let mut take = |k: &str| {
            t.remove(k).with_context(|| format!("[[source]] at line {n}: missing key `{k}`"))
        };
        let e = ManifestEntry {
            recipe: take("recipe")?,
            debian: take("debian")?,
            orig: take("orig")?,
            url: take("url")?,
            sha256: take("sha256")?,
        };
        ensure!(
            is_sha256(&e.sha256),
            "[[source]] at line {n}: sha256 must be 64 lowercase hex digits"
        );
        ensure!(
            e.debian.contains('='),
            "[[source]] at line {n}: debian must pin a version (package=version), got {:?}",
            e.debian
        );
        parse_request(&e.debian).with_context(|| format!("[[source]] at line {n}"))?;
        ensure!(
            e.url.starts_with("https://") || e.url.starts_with("http://"),
            "[[source]] at line {n}: url must be http(s)"
        );
        check_file_name(e.url.rsplit('/').next().unwrap_or(""))
            .with_context(|| format!("[[source]] at line {n}: url must end in a file name"))?;
        ensure!(
            seen.insert(e.recipe.clone()),
            "[[source]] at line {n}: recipe `{}` listed twice",
            e.recipe
        );
        out.push(e);
    }
    Ok(out)
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// apt with a private configuration under one directory.
struct PrivateApt {
    dir: PathBuf,
    options: Vec<String>,
}

impl PrivateApt {
    /// Lays out `dir` (`etc/sources.list`, `state/`, `cache/`) and writes the `deb-src` lines
    /// for the mirrors named in `sources_from`.
    fn create(dir: &Path, sources_from: &Path) -> Result<Self> {
        let dir = absolute(dir)?;
        for sub in ["etc", "state/lists/partial", "cache/archives/partial"] {
            fs::create_dir_all(dir.join(sub))
                .with_context(|| format!("creating {}", dir.join(sub).display()))?;
        }
        let system = match fs::read_to_string(sources_from) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).context(format!("reading {}", sources_from.display())),
        };
        let mut lines = deb_src_lines(&system);
        if lines.is_empty() {
            lines = default_deb_src_lines();
        }
        let list = dir.join("etc/sources.list");
        let mut text = String::from(
            "# Written by `cargo xtask mirror-debian`: source indexes only, private to this directory.\n",
        );
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        fs::write(&list, text).with_context(|| format!("writing {}", list.display()))?;
        let status = dir.join("state/status");
        if !status.exists() {
            fs::write(&status, "").with_context(|| format!("writing {}", status.display()))?;
        }
        let d = |p: &str| dir.join(p).display().to_string();
        let options = vec![
            format!("Dir::Etc::sourcelist={}", d("etc/sources.list")),
            "Dir::Etc::sourceparts=-".to_string(),
            format!("Dir::State={}", d("state")),
            format!("Dir::State::status={}", d("state/status")),
            format!("Dir::Cache={}", d("cache")),
            "Acquire::Languages=none".to_string(),
        ];
        Ok(Self { dir, options })
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        for o in &self.options {
            c.arg("-o").arg(o);
        }
        c
    }

    fn update(&self) -> Result<()> {
        eprintln!("mirror-debian: apt-get update (private config in {})", self.dir.display());
        let out = self
            .command("apt-get")
            .args(["-q", "update"])
            .stdin(Stdio::null())
            .output()
            .context("running apt-get (is apt installed?)")?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.success(),
            "apt-get update with the private config failed ({}):\n{}",
            out.status,
            tail(&stderr, 20)
        );
        // apt-get update exits 0 when some indexes could not be fetched; say so.
        for line in stderr.lines().filter(|l| l.starts_with("W:") || l.starts_with("E:")) {
            eprintln!("mirror-debian: apt: {line}");
        }
        Ok(())
    }

    /// The `Sources` index files and the archive root each one belongs to.
    fn index_targets(&self) -> Result<Vec<(PathBuf, String)>> {
        let out = self
            .command("apt-get")
            .args(["indextargets", "--format", "$(FILENAME)\t$(REPO_URI)", "Identifier: Sources"])
            .stdin(Stdio::null())
            .output()
            .context("running apt-get indextargets")?;
        ensure!(
            out.status.success(),
            "apt-get indextargets failed: {}",
            tail(&String::from_utf8_lossy(&out.stderr), 10)
        );
        let mut targets = Vec::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some((file, uri)) = line.split_once('\t') {
                let file = PathBuf::from(file);
                if file.exists() {
                    targets.push((file, uri.trim().to_string()));
                }
            }
        }
        ensure!(
            !targets.is_empty(),
            "no Sources index in {}: run without --no-update, and check the deb-src lines in {}",
            self.dir.display(),
            self.dir.join("etc/sources.list").display()
        );
        Ok(targets)
    }

    /// Every Sources record of the wanted packages, from all indexes.
    fn read_sources(&self, wanted: &BTreeSet<String>) -> Result<Vec<SourceRecord>> {
        let mut all = Vec::new();
        for (file, uri) in self.index_targets()? {
            // apt keeps indexes compressed (lz4, gz, ...); apt-helper cat-file decompresses any.
            let mut child = Command::new(APT_HELPER)
                .arg("cat-file")
                .arg(&file)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .with_context(|| format!("running {APT_HELPER} cat-file"))?;
            let stdout = child.stdout.take().expect("piped");
            let records = parse_sources(BufReader::new(stdout), wanted, &uri)
                .with_context(|| format!("reading {}", file.display()))?;
            let out = child.wait_with_output()?;
            ensure!(
                out.status.success(),
                "apt-helper cat-file {} failed: {}",
                file.display(),
                tail(&String::from_utf8_lossy(&out.stderr), 10)
            );
            all.extend(records);
        }
        Ok(all)
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir().context("reading the current directory")?.join(p))
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `deb-src` one-line entries for every enabled deb822 stanza of a `.sources` file.
fn deb_src_lines(deb822: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for stanza in deb822_paragraphs(deb822) {
        let get = |k: &str| stanza.get(&k.to_ascii_lowercase()).map(String::as_str).unwrap_or("");
        if get("Enabled").eq_ignore_ascii_case("no") {
            continue;
        }
        if !get("Types").split_whitespace().any(|t| t == "deb" || t == "deb-src") {
            continue;
        }
        let comps = get("Components").split_whitespace().collect::<Vec<_>>().join(" ");
        let signed = get("Signed-By").trim();
        // An inline key block cannot go on a one-line entry; fall back to the archive keyring.
        let key = if signed.is_empty() || signed.contains('\n') || signed.starts_with("-----") {
            DEFAULT_KEYRING
        } else {
            signed
        };
        for uri in get("URIs").split_whitespace() {
            for suite in get("Suites").split_whitespace() {
                let line = format!("deb-src [signed-by={key}] {uri} {suite} {comps}");
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
        }
    }
    lines
}

fn default_deb_src_lines() -> Vec<String> {
    [
        ("http://deb.debian.org/debian", "bookworm"),
        ("http://deb.debian.org/debian", "bookworm-updates"),
        ("http://deb.debian.org/debian-security", "bookworm-security"),
    ]
    .iter()
    .map(|(u, s)| format!("deb-src [signed-by={DEFAULT_KEYRING}] {u} {s} main"))
    .collect()
}

/// Splits deb822 text into paragraphs of lowercase field name → value (continuation lines
/// joined with `\n`). Comment lines are skipped.
fn deb822_paragraphs(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut cur: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            last = None;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &last
                && let Some(v) = cur.get_mut(k)
            {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            cur.insert(k.clone(), v.trim().to_string());
            last = Some(k);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One file of a source package, from `Checksums-Sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceFile {
    name: String,
    size: u64,
    sha256: String,
}

/// One paragraph of a `Sources` index.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceRecord {
    package: String,
    version: String,
    /// Pool directory relative to `repo_uri`.
    directory: String,
    /// Archive root, ending in `/`.
    repo_uri: String,
    files: Vec<SourceFile>,
}

impl SourceRecord {
    fn url(&self, file: &str) -> String {
        let root = if self.repo_uri.ends_with('/') {
            self.repo_uri.clone()
        } else {
            format!("{}/", self.repo_uri)
        };
        format!("{root}{}/{file}", self.directory.trim_matches('/'))
    }

    /// The main original tarball (`<pkg>_<upstream>.orig.tar.<ext>`), not signatures or
    /// component tarballs.
    fn orig(&self) -> Option<&SourceFile> {
        let prefix = format!("{}_", self.package);
        self.files.iter().find(|f| {
            f.name.starts_with(&prefix)
                && f.name.contains(".orig.tar.")
                && !f.name.ends_with(".asc")
                && !f.name.ends_with(".sig")
        })
    }
}

/// Streams a decompressed `Sources` index, keeping the paragraphs of `wanted` packages.
fn parse_sources(
    reader: impl BufRead,
    wanted: &BTreeSet<String>,
    repo_uri: &str,
) -> Result<Vec<SourceRecord>> {
    let mut out = Vec::new();
    let mut para: Vec<String> = Vec::new();
    let mut keep = false;
    let flush = |para: &mut Vec<String>, keep: &mut bool, out: &mut Vec<SourceRecord>| {
        if *keep && let Some(r) = record_from(para, repo_uri) {
            out.push(r);
        }
        para.clear();
        *keep = false;
    };
    for line in reader.lines() {
        let line = line.context("reading the Sources index")?;
        if line.is_empty() {
            flush(&mut para, &mut keep, &mut out);
            continue;
        }
        if let Some(p) = line.strip_prefix("Package:") {
            keep = wanted.contains(p.trim());
        }
        // Paragraphs are small; buffer each one and keep it only if it is wanted.
        para.push(line);
    }
    flush(&mut para, &mut keep, &mut out);
    Ok(out)
}

fn record_from(lines: &[String], repo_uri: &str) -> Option<SourceRecord> {
    let para = deb822_paragraphs(&lines.join("\n")).pop()?;
    let files = para
        .get("checksums-sha256")?
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (sha, size, name) = (it.next()?, it.next()?, it.next()?);
            Some(SourceFile {
                name: name.to_string(),
                size: size.parse().ok()?,
                sha256: sha.to_ascii_lowercase(),
            })
        })
        .collect();
    Some(SourceRecord {
        package: para.get("package")?.clone(),
        version: para.get("version")?.clone(),
        directory: para.get("directory")?.clone(),
        repo_uri: repo_uri.to_string(),
        files,
    })
}

fn strip_epoch(v: &str) -> &str {
    v.split_once(':').map_or(v, |(_, rest)| rest)
}

/// What was chosen for a request: the orig file and every record (index) that lists it.
#[derive(Debug)]
struct Choice<'a> {
    orig: &'a SourceFile,
    records: Vec<&'a SourceRecord>,
}

/// Picks the orig tarball for `req` among `records`: the pinned version if given, else the one
/// version listed (versions that share the same orig tarball count as one).
fn choose<'a>(req: &Request, records: &'a [SourceRecord]) -> Result<Choice<'a>> {
    let mine: Vec<&SourceRecord> = records.iter().filter(|r| r.package == req.package).collect();
    if mine.is_empty() {
        bail!(
            "source package `{}` is not in the Sources indexes (check the name: it is the \
             source package, e.g. xz-utils, not liblzma5)",
            req.package
        );
    }
    let versions: BTreeSet<&str> = mine.iter().map(|r| r.version.as_str()).collect();
    let matching: Vec<&SourceRecord> = match &req.version {
        Some(v) => mine
            .iter()
            .copied()
            .filter(|r| r.version == *v || strip_epoch(&r.version) == strip_epoch(v))
            .collect(),
        None => mine.clone(),
    };
    if matching.is_empty() {
        bail!(
            "version {} of `{}` is not in the Sources indexes; listed: {}",
            req.version.as_deref().unwrap_or("?"),
            req.package,
            versions.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let mut by_orig: BTreeMap<&str, (&SourceFile, Vec<&SourceRecord>)> = BTreeMap::new();
    for r in &matching {
        if let Some(o) = r.orig() {
            by_orig.entry(o.sha256.as_str()).or_insert((o, Vec::new())).1.push(r);
        }
    }
    if by_orig.is_empty() {
        bail!(
            "`{}` {} has no .orig.tar.* file (a native Debian package?): files {}",
            req.package,
            matching[0].version,
            matching[0].files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    if by_orig.len() > 1 {
        let listed: Vec<String> = matching
            .iter()
            .filter_map(|r| r.orig().map(|o| format!("{}={} ({})", r.package, r.version, o.name)))
            .collect();
        bail!(
            "several versions of `{}` with different orig tarballs are listed: {}; pin one \
             with PACKAGE=VERSION",
            req.package,
            listed.join(", ")
        );
    }
    let (orig, records) = by_orig.into_values().next().expect("one entry");
    Ok(Choice { orig, records })
}

/// The by-name file for an orig: the request's name, else `<package>-<upstream>.tar.<ext>`.
fn upstream_name(req: &Request, orig: &SourceFile) -> String {
    if let Some(f) = &req.filename {
        return f.clone();
    }
    let rest = orig.name.strip_prefix(&format!("{}_", req.package)).unwrap_or(&orig.name);
    match rest.split_once(".orig.") {
        Some((ver, ext)) => format!("{}-{ver}.{ext}", req.package),
        None => orig.name.clone(),
    }
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Downloads `url` to `dest` with apt-helper, which checks the sha256.
fn apt_download(url: &str, dest: &Path, sha256: &str) -> Result<()> {
    let out = Command::new(APT_HELPER)
        .arg("download-file")
        .arg(url)
        .arg(dest)
        .arg(format!("SHA256:{sha256}"))
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {APT_HELPER}"))?;
    if !out.status.success() {
        let _ = fs::remove_file(dest);
        bail!(
            "apt-helper download-file {url} failed ({}): {}",
            out.status,
            tail(
                &format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                5
            )
        );
    }
    Ok(())
}

fn mirror_one(
    req: &Request,
    records: &[SourceRecord],
    out: &Path,
    all_files: bool,
) -> Result<String> {
    let choice = choose(req, records)?;
    let orig = choice.orig;
    if let Some(expected) = &req.sha256 {
        ensure!(
            orig.sha256 == *expected,
            "the Debian index lists {} with sha256 {}, but the manifest expects {expected} \
             (the recipe's upstream sha256): Debian's orig is not the upstream tarball, or the \
             pinned version is wrong",
            orig.name,
            orig.sha256
        );
    }
    let name = upstream_name(req, orig);
    check_file_name(&name)?;
    let keyed = out.join("sha256").join(&orig.sha256);
    let mut fetched_from = None;
    if keyed.exists() && sha256_file(&keyed)? == orig.sha256 {
        fetched_from = Some("already mirrored".to_string());
    } else {
        let partial = out.join("sha256").join(format!(".{}.partial", orig.sha256));
        let mut errors = Vec::new();
        for r in &choice.records {
            let url = r.url(&orig.name);
            match apt_download(&url, &partial, &orig.sha256) {
                Ok(()) => {
                    fetched_from = Some(url);
                    break;
                }
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
        let Some(_) = &fetched_from else {
            bail!("{} could not be downloaded:\n  {}", orig.name, errors.join("\n  "));
        };
        // apt-helper verified it; check again before filing it under its hash.
        let got = sha256_file(&partial)?;
        let size = fs::metadata(&partial)?.len();
        ensure!(
            got == orig.sha256 && size == orig.size,
            "downloaded {} has sha256 {got} and {size} bytes, the index says {} and {} bytes",
            orig.name,
            orig.sha256,
            orig.size
        );
        fs::rename(&partial, &keyed).with_context(|| format!("moving into {}", keyed.display()))?;
    }
    let by_name = out.join(&name);
    let same = by_name.exists() && sha256_file(&by_name)? == orig.sha256;
    if !same {
        if by_name.exists() {
            eprintln!(
                "mirror-debian: replacing {} (its content differs from {})",
                by_name.display(),
                orig.name
            );
            fs::remove_file(&by_name)?;
        }
        if fs::hard_link(&keyed, &by_name).is_err() {
            fs::copy(&keyed, &by_name).with_context(|| format!("writing {}", by_name.display()))?;
        }
    }
    if all_files {
        fetch_extras(req, &choice, out);
    }
    let r = choice.records[0];
    Ok(format!(
        "mirrored {}={}: {} ({} bytes, sha256 {}) as sha256/{} and {}  [{}]",
        r.package,
        r.version,
        orig.name,
        orig.size,
        orig.sha256,
        orig.sha256,
        name,
        fetched_from.unwrap_or_default()
    ))
}

/// Best-effort download of the other files of the chosen source package(s).
fn fetch_extras(req: &Request, choice: &Choice<'_>, out: &Path) {
    for r in &choice.records {
        let dir = out.join("debian").join(format!("{}_{}", r.package, strip_epoch(&r.version)));
        if let Err(e) = fs::create_dir_all(&dir) {
            eprintln!("mirror-debian: {}: cannot create {}: {e}", req.label(), dir.display());
            return;
        }
        for f in r.files.iter().filter(|f| f.name != choice.orig.name) {
            if check_file_name(&f.name).is_err() {
                continue;
            }
            let dest = dir.join(&f.name);
            if dest.exists() && sha256_file(&dest).is_ok_and(|h| h == f.sha256) {
                continue;
            }
            match apt_download(&r.url(&f.name), &dest, &f.sha256) {
                Ok(()) => eprintln!("mirror-debian: also fetched {}", f.name),
                Err(e) => eprintln!("mirror-debian: optional {} not available: {e:#}", f.name),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> PathBuf {
        repo_root().join("tests/data/mirror").join(rel)
    }

    fn sample_records() -> Vec<SourceRecord> {
        let text = fs::read_to_string(data("Sources")).unwrap();
        let wanted = ["bzip2", "openssl", "xz-utils", "base-files", "libxdmcp"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        parse_sources(text.as_bytes(), &wanted, "http://deb.example.org/debian/").unwrap()
    }

    #[test]
    fn request_syntax() {
        let r = parse_request("openssl=3.0.20-1~deb12u2").unwrap();
        assert_eq!(r.package, "openssl");
        assert_eq!(r.version.as_deref(), Some("3.0.20-1~deb12u2"));
        assert_eq!(r.filename, None);
        let r = parse_request("xz-utils=5.4.1-1+deb12u1@xz-5.4.1.tar.xz").unwrap();
        assert_eq!(r.filename.as_deref(), Some("xz-5.4.1.tar.xz"));
        let r = parse_request("libxdmcp=1:1.1.2-3").unwrap();
        assert_eq!(r.version.as_deref(), Some("1:1.1.2-3"));
        assert_eq!(parse_request("bzip2").unwrap().version, None);
        for bad in
            ["", "=1.0", "Bzip2", "bzip2=", "bzip2=1 2", "a@../x", "a@sha256", "a@.hidden", "a@x/y"]
        {
            assert!(parse_request(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn deb822_sources_become_deb_src_lines() {
        let text = fs::read_to_string(data("debian.sources")).unwrap();
        assert_eq!(
            deb_src_lines(&text),
            vec![
                "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main contrib",
                "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main contrib",
                "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main",
            ]
        );
        assert!(deb_src_lines("").is_empty());
        assert_eq!(default_deb_src_lines().len(), 3);
    }

    #[test]
    fn sources_index_is_parsed_and_filtered() {
        let recs = sample_records();
        let names: Vec<_> = recs.iter().map(|r| format!("{}={}", r.package, r.version)).collect();
        assert_eq!(
            names,
            [
                "base-files=12.4+deb12u15",
                "bzip2=1.0.8-5",
                "libxdmcp=1:1.1.2-3",
                "openssl=3.0.17-1~deb12u2",
                "openssl=3.0.20-1~deb12u2",
                "xz-utils=5.4.1-1+deb12u1",
                "xz-utils=5.4.1-1+deb12u2",
            ]
        );
        let bz = &recs[1];
        let orig = bz.orig().unwrap();
        assert_eq!(orig.name, "bzip2_1.0.8.orig.tar.gz");
        assert_eq!(orig.size, 810029);
        assert_eq!(orig.sha256, "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269");
        assert_eq!(
            bz.url(&orig.name),
            "http://deb.example.org/debian/pool/main/b/bzip2/bzip2_1.0.8.orig.tar.gz"
        );
    }

    #[test]
    fn choosing_a_version() {
        let recs = sample_records();
        // Unpinned, one version.
        let c = choose(&parse_request("bzip2").unwrap(), &recs).unwrap();
        assert_eq!(c.orig.name, "bzip2_1.0.8.orig.tar.gz");
        // Unpinned, two versions sharing one orig: unambiguous; the .asc is not the orig.
        let c = choose(&parse_request("xz-utils").unwrap(), &recs).unwrap();
        assert_eq!(c.orig.name, "xz-utils_5.4.1.orig.tar.xz");
        assert_eq!(c.records.len(), 2);
        // Unpinned, two origs: must pin.
        let e = choose(&parse_request("openssl").unwrap(), &recs).unwrap_err().to_string();
        assert!(e.contains("pin one"), "{e}");
        assert!(e.contains("openssl=3.0.20-1~deb12u2"), "{e}");
        let c = choose(&parse_request("openssl=3.0.20-1~deb12u2").unwrap(), &recs).unwrap();
        assert_eq!(c.orig.name, "openssl_3.0.20.orig.tar.gz");
        // Epochs may be omitted in the pin.
        let c = choose(&parse_request("libxdmcp=1.1.2-3").unwrap(), &recs).unwrap();
        assert_eq!(c.orig.name, "libxdmcp_1.1.2.orig.tar.gz");
        // Unknown version lists the known ones.
        let e = choose(&parse_request("openssl=9.9-1").unwrap(), &recs).unwrap_err().to_string();
        assert!(e.contains("3.0.17-1~deb12u2") && e.contains("3.0.20-1~deb12u2"), "{e}");
        // Unknown package, native package.
        assert!(
            choose(&parse_request("nosuch").unwrap(), &recs)
                .unwrap_err()
                .to_string()
                .contains("not in the Sources")
        );
        let e = choose(&parse_request("base-files").unwrap(), &recs).unwrap_err().to_string();
        assert!(e.contains("native"), "{e}");
    }

    #[test]
    fn manifest_hash_must_match_the_index() {
        let recs = sample_records();
        let mut req = parse_request("bzip2=1.0.8-5").unwrap();
        req.sha256 = Some("0".repeat(64));
        let dir = std::env::temp_dir().join(format!("mirror-test-{}", std::process::id()));
        // Fails on the index's hash before any download is attempted.
        let e = format!("{:#}", mirror_one(&req, &recs, &dir, false).unwrap_err());
        assert!(e.contains("manifest expects") && e.contains("ab5a0317"), "{e}");
        assert!(!dir.exists());
    }

    #[test]
    fn upstream_names() {
        let recs = sample_records();
        let req = parse_request("bzip2").unwrap();
        assert_eq!(upstream_name(&req, choose(&req, &recs).unwrap().orig), "bzip2-1.0.8.tar.gz");
        let req = parse_request("xz-utils").unwrap();
        assert_eq!(upstream_name(&req, choose(&req, &recs).unwrap().orig), "xz-utils-5.4.1.tar.xz");
        let req = parse_request("xz-utils@xz-5.4.1.tar.xz").unwrap();
        assert_eq!(upstream_name(&req, choose(&req, &recs).unwrap().orig), "xz-5.4.1.tar.xz");
    }

    #[test]
    fn manifest_errors_name_the_line() {
        let ok = "# c\n[[source]]\nrecipe = \"a\"\ndebian = \"a=1-1\"\norig = \"a_1.orig.tar.gz\"\n\
                  url = \"https://x.org/a-1.tar.gz\"\nsha256 = \""
            .to_string()
            + &"0".repeat(64) + "\"\n";
        let m = parse_manifest(&ok).unwrap();
        assert_eq!(m.len(), 1);
        let r = Request::from(m[0].clone());
        assert_eq!(
            (r.package.as_str(), r.version.as_deref(), r.filename.as_deref()),
            ("a", Some("1-1"), Some("a-1.tar.gz"))
        );
        let cases = [
            ("recipe = \"a\"\n", "line 1"),
            ("[[source]]\nrecipe = a\n", "line 2"),
            ("[[source]]\nbogus = \"a\"\n", "unknown key"),
            ("[[source]]\nrecipe = \"a\"\nrecipe = \"b\"\n", "duplicate"),
            ("[[source]]\n[x]\n", "line 2"),
            (&ok.replace("a=1-1", "a"), "pin a version"),
            (&ok.replace(&"0".repeat(64), "00"), "64 lowercase hex"),
            (&ok.replace("url = \"https://x.org/a-1.tar.gz\"\n", ""), "missing key `url`"),
            (&format!("{ok}{ok}"), "listed twice"),
        ];
        for (text, want) in cases {
            let e = format!("{:#}", parse_manifest(text).unwrap_err());
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    /// The committed manifest agrees with the committed recipes: each recipe downloads the
    /// manifest's URL with the manifest's sha256, in both its Julia and its TOML form.
    #[test]
    fn manifest_matches_recipes() {
        let root = repo_root();
        let text = fs::read_to_string(root.join(MANIFEST)).unwrap();
        let entries = parse_manifest(&text).unwrap();
        assert!(entries.len() >= 5, "at least five real recipes");
        for e in entries {
            let dir = root.join("recipes").join(&e.recipe);
            let jl = fs::read_to_string(dir.join("build_tarballs.jl")).unwrap();
            let toml = fs::read_to_string(dir.join("recipe.toml")).unwrap();
            assert!(jl.contains(&e.sha256), "{}: build_tarballs.jl lacks {}", e.recipe, e.sha256);
            assert!(toml.contains(&e.sha256), "{}: recipe.toml lacks {}", e.recipe, e.sha256);
            assert!(toml.contains(&e.url), "{}: recipe.toml lacks {}", e.recipe, e.url);
            let pkg = e.debian.split_once('=').unwrap().0;
            assert!(
                e.orig.starts_with(&format!("{pkg}_")) && e.orig.contains(".orig.tar."),
                "{}",
                e.orig
            );
        }
    }
}
