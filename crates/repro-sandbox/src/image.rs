//! The pinned build image: building the rootfs (mmdebstrap), the hand-made docker-archive with a
//! deterministic config, loading it, and checking a loaded image against the pin.
//!
//! Pinning scheme (see docs/image.md): the rootfs tarball is produced bit-identically from the
//! same package versions (`SOURCE_DATE_EPOCH` fixed), its sha256 is the image layer's diffID, and
//! the image config JSON is written by us with a fixed `created`, so the image ID (the config's
//! sha256 on Docker's classic image store) is known before loading. Both go into
//! `docker/image.lock` together with the package versions.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bollard::Docker;
use bollard::query_parameters::{ImportImageOptionsBuilder, ListImagesOptionsBuilder};
use repro_events::{Event, Level, Sink};
use repro_recipe::platform::Family;
use sha2::{Digest, Sha256};

use crate::error::SandboxError;
use crate::lock::{ImageLock, PackageChange, diff_packages, image_tag};
use crate::stream::ChannelWriter;

/// Repository name of our images (`repro-build:<short id>`).
pub const IMAGE_REPO: &str = "repro-build";
/// Label on every image we build (value: the rootfs digest).
pub const IMAGE_LABEL: &str = "io.repro.image";
/// Label naming the toolchain family of a toolchain image (absent on the base image).
pub const FAMILY_LABEL: &str = "io.repro.family";
/// Default SOURCE_DATE_EPOCH for a first lock (2025-01-01T00:00:00Z).
pub const DEFAULT_SOURCE_DATE_EPOCH: i64 = 1_735_689_600;
/// Default Debian suite.
pub const DEFAULT_SUITE: &str = "bookworm";
/// Default Debian mirror.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
/// PATH inside the image.
pub const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A loaded image that matches the pin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageRef {
    /// Full image ID, `sha256:<hex>`; containers are created from it.
    pub id: String,
    /// sha256 (hex) of the rootfs tarball = the layer diffID.
    pub rootfs_sha256: String,
    /// `repro-build:<short id>`.
    pub tag: String,
}

// ---------------------------------------------------------------------------------------------
// Image config and docker-archive.

#[derive(serde::Serialize)]
struct ImageConfigJson<'a> {
    architecture: &'a str,
    config: ContainerConfigJson<'a>,
    created: String,
    history: Vec<HistoryJson>,
    os: &'a str,
    rootfs: RootfsJson,
}

#[derive(serde::Serialize)]
struct ContainerConfigJson<'a> {
    #[serde(rename = "Env")]
    env: Vec<String>,
    #[serde(rename = "Cmd")]
    cmd: Vec<&'a str>,
    #[serde(rename = "WorkingDir")]
    working_dir: &'a str,
    #[serde(rename = "Labels")]
    labels: BTreeMap<String, String>,
}

#[derive(serde::Serialize)]
struct HistoryJson {
    created: String,
    created_by: String,
}

#[derive(serde::Serialize)]
struct RootfsJson {
    #[serde(rename = "type")]
    typ: &'static str,
    diff_ids: Vec<String>,
}

#[derive(serde::Serialize)]
struct ManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags")]
    repo_tags: Vec<String>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// The image config JSON for a rootfs digest (bytes are hashed for the image ID, so the layout is
/// fixed by struct field order, independent of serde_json features).
/// The base image's config is unchanged by families: toolchain images add the label
/// `io.repro.family` and name the family in their history.
pub fn image_config_json(
    rootfs_sha256: &str,
    source_date_epoch: i64,
    suite: &str,
    family: Family,
) -> Vec<u8> {
    let created = rfc3339_utc(source_date_epoch);
    let mut labels = BTreeMap::new();
    labels.insert(IMAGE_LABEL.to_owned(), format!("sha256:{rootfs_sha256}"));
    let mut created_by = format!("repro image build: mmdebstrap --variant=apt {suite}");
    if family != Family::Native {
        labels.insert(FAMILY_LABEL.to_owned(), family.name().to_owned());
        created_by.push_str(&format!(" (toolchain family {family})"));
    }
    let cfg = ImageConfigJson {
        architecture: "amd64",
        config: ContainerConfigJson {
            env: vec![format!("PATH={IMAGE_PATH}"), "LANG=C.UTF-8".into()],
            cmd: vec!["/bin/bash"],
            working_dir: "/workspace",
            labels,
        },
        created: created.clone(),
        history: vec![HistoryJson { created, created_by }],
        os: "linux",
        rootfs: RootfsJson { typ: "layers", diff_ids: vec![format!("sha256:{rootfs_sha256}")] },
    };
    serde_json::to_vec(&cfg).expect("config serializes")
}

/// The image ID (`sha256:<hex>`) the config JSON gets on Docker's classic image store.
pub fn image_id_for(config_json: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(config_json)))
}

/// Writes a docker-archive (`docker save` layout) holding one image: sorted entries, fixed mtime,
/// owner 0:0. `layer` is the rootfs tarball.
pub fn write_docker_archive<W: Write>(
    out: W,
    config_json: &[u8],
    rootfs_sha256: &str,
    layer: &Path,
    tag: &str,
    mtime: u64,
) -> Result<W, SandboxError> {
    let config_name = format!("{}.json", &image_id_for(config_json)["sha256:".len()..]);
    let layer_name = format!("{rootfs_sha256}/layer.tar");
    let manifest = serde_json::to_vec(&[ManifestEntry {
        config: config_name.clone(),
        repo_tags: vec![tag.to_owned()],
        layers: vec![layer_name.clone()],
    }])
    .expect("manifest serializes");
    let layer_file = std::fs::File::open(layer).map_err(SandboxError::io(layer))?;
    let layer_len = layer_file.metadata().map_err(SandboxError::io(layer))?.len();

    enum Item<'a> {
        Dir,
        Bytes(&'a [u8]),
        Layer,
    }
    let mut items: Vec<(String, Item)> = vec![
        (config_name, Item::Bytes(config_json)),
        (format!("{rootfs_sha256}/"), Item::Dir),
        (layer_name, Item::Layer),
        ("manifest.json".into(), Item::Bytes(&manifest)),
    ];
    items.sort_by(|a, b| a.0.cmp(&b.0));

    let mut b = tar::Builder::new(out);
    let mut layer_file = Some(layer_file);
    let werr =
        |e: std::io::Error| SandboxError::Io { path: PathBuf::from("<docker-archive>"), source: e };
    for (name, item) in items {
        let mut h = tar::Header::new_ustar();
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        match item {
            Item::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, &name, std::io::empty()).map_err(werr)?;
            }
            Item::Bytes(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, &name, data).map_err(werr)?;
            }
            Item::Layer => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(layer_len);
                let f = layer_file.take().expect("one layer");
                b.append_data(&mut h, &name, f.take(layer_len)).map_err(werr)?;
            }
        }
    }
    b.into_inner().map_err(werr)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time.
pub(crate) fn rfc3339_utc(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

// ---------------------------------------------------------------------------------------------
// Rootfs.

/// Reads `docker/packages.list`: one package per line, `#` comments.
pub fn read_package_list(path: &Path) -> Result<Vec<String>, SandboxError> {
    let text = std::fs::read_to_string(path).map_err(SandboxError::io(path))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let ok = line
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
        if !ok {
            return Err(SandboxError::Rootfs {
                message: format!(
                    "{}:{}: {line:?} is not a Debian package name",
                    path.display(),
                    i + 1
                ),
            });
        }
        out.push(line.to_owned());
    }
    if out.is_empty() {
        return Err(SandboxError::Rootfs {
            message: format!("{}: no packages listed", path.display()),
        });
    }
    Ok(out)
}

/// Parses a dpkg `status` file into `name[:arch]` = version for installed packages, as
/// `dpkg-query -W` prints them (`:arch` for `Multi-Arch: same` packages).
pub fn parse_dpkg_status(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for para in text.split("\n\n") {
        let mut fields: HashMap<&str, &str> = HashMap::new();
        for line in para.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                fields.insert(k.trim(), v.trim());
            }
        }
        let (Some(name), Some(version), Some(status)) =
            (fields.get("Package"), fields.get("Version"), fields.get("Status"))
        else {
            continue;
        };
        if !status.ends_with(" installed") {
            continue;
        }
        let key = match (fields.get("Multi-Arch"), fields.get("Architecture")) {
            (Some(&"same"), Some(arch)) => format!("{name}:{arch}"),
            _ => (*name).to_owned(),
        };
        out.insert(key, (*version).to_owned());
    }
    out
}

/// sha256 (hex) of a file and the packages recorded in it (when it is a rootfs tarball).
pub fn inspect_rootfs(tarball: &Path) -> Result<(String, BTreeMap<String, String>), SandboxError> {
    let f = std::fs::File::open(tarball).map_err(SandboxError::io(tarball))?;
    // Hash while reading the archive, then hash the remainder.
    let mut hashing =
        HashingReader { inner: BufReader::with_capacity(1 << 20, f), hasher: Sha256::new() };
    let mut status = None;
    {
        let mut ar = tar::Archive::new(&mut hashing);
        for entry in ar.entries().map_err(SandboxError::io(tarball))? {
            let mut entry = entry.map_err(SandboxError::io(tarball))?;
            let path = entry.path().map_err(SandboxError::io(tarball))?.into_owned();
            let p = path.to_string_lossy();
            if p == "./var/lib/dpkg/status" || p == "var/lib/dpkg/status" {
                let mut s = String::new();
                entry.read_to_string(&mut s).map_err(SandboxError::io(tarball))?;
                status = Some(s);
            }
        }
    }
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(SandboxError::io(tarball))?;
    let digest = hex::encode(hashing.hasher.finalize());
    let status = status.ok_or_else(|| SandboxError::Rootfs {
        message: format!("{}: no var/lib/dpkg/status in the rootfs", tarball.display()),
    })?;
    Ok((digest, parse_dpkg_status(&status)))
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The inputs of a rootfs build.
#[derive(Debug, Clone)]
pub struct RootfsRecipe {
    /// `docker/` (packages.list, customize.sh, files/; for a toolchain family also cross.sh
    /// and `generated/`, see [`crate::defs::materialize`]).
    pub docker_dir: PathBuf,
    /// The toolchain family: its targets' packages are installed on top of `packages.list`.
    pub family: Family,
    pub suite: String,
    pub mirror: String,
    pub source_date_epoch: i64,
}

/// Runs mmdebstrap to produce the rootfs tarball at `out`. Blocking; output lines become
/// [`Event::Image`]s.
pub fn build_rootfs(recipe: &RootfsRecipe, out: &Path, sink: &Sink) -> Result<(), SandboxError> {
    let mut packages = read_package_list(&recipe.docker_dir.join("packages.list"))?;
    for t in recipe.family.targets() {
        packages.extend(t.packages.iter().map(|p| (*p).to_owned()));
    }
    let hook_path = |name: &str| -> Result<PathBuf, SandboxError> {
        let hook = recipe.docker_dir.join(name);
        if !hook.is_file() {
            return Err(SandboxError::Rootfs { message: format!("{} is missing", hook.display()) });
        }
        hook.canonicalize().map_err(SandboxError::io(&hook))
    };
    let hook = hook_path("customize.sh")?;
    let mut cmd = Command::new("mmdebstrap");
    cmd.env("SOURCE_DATE_EPOCH", recipe.source_date_epoch.to_string())
        .env("LC_ALL", "C.UTF-8")
        .env_remove("TMPDIR")
        .arg("--variant=apt")
        .arg(format!("--include={}", packages.join(",")))
        .arg(format!("--customize-hook={} \"$1\"", shell_quote(&hook.to_string_lossy())));
    if recipe.family != Family::Native {
        let cross = hook_path("cross.sh")?;
        let generated = recipe.docker_dir.join("generated");
        let generated = generated.canonicalize().map_err(SandboxError::io(&generated))?;
        cmd.arg(format!(
            "--customize-hook={} \"$1\" {}",
            shell_quote(&cross.to_string_lossy()),
            shell_quote(&generated.to_string_lossy())
        ));
    }
    cmd.arg(&recipe.suite)
        .arg(out)
        .arg(&recipe.mirror)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    sink.emit(Event::Image {
        message: format!(
            "building the {} rootfs: SOURCE_DATE_EPOCH={} mmdebstrap --variant=apt ({} packages) {} {}",
            recipe.family,
            recipe.source_date_epoch,
            packages.len(),
            recipe.suite,
            recipe.mirror
        ),
    });
    let mut child = cmd.spawn().map_err(|e| SandboxError::Rootfs {
        message: format!(
            "cannot run mmdebstrap ({e}); install it with `apt-get install mmdebstrap`"
        ),
    })?;
    let stdout = child.stdout.take().expect("piped");
    let out_sink = sink.clone();
    let t = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            out_sink.emit(Event::Image { message: line });
        }
    });
    let mut tail = std::collections::VecDeque::new();
    let stderr = child.stderr.take().expect("piped");
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if tail.len() == 30 {
            tail.pop_front();
        }
        tail.push_back(line.clone());
        sink.emit(Event::Image { message: line });
    }
    let _ = t.join();
    let status = child.wait().map_err(|e| SandboxError::Rootfs { message: e.to_string() })?;
    if !status.success() {
        return Err(SandboxError::Rootfs {
            message: format!(
                "mmdebstrap exited with {status}; last output:\n{}",
                Vec::from(tail).join("\n")
            ),
        });
    }
    Ok(())
}

pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b)) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

// ---------------------------------------------------------------------------------------------
// Loading and checking.

/// What a loaded image looks like compared with a pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageState {
    /// No image with our label or the pinned ID is loaded.
    Missing,
    /// The pinned image is loaded.
    Matches(ImageRef),
    /// Images exist but none matches (found: id and rootfs digest of the closest candidate).
    Mismatch { found_id: String, found_rootfs: String },
}

/// Summary of one of our images, for `repro image ls`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImageInfo {
    pub id: String,
    pub tags: Vec<String>,
    pub rootfs_sha256: Option<String>,
    pub size: i64,
    pub matches_pin: bool,
    /// The toolchain family (`native` for the base image), from the image's labels.
    pub family: Option<String>,
}

fn layer_digest(inspect: &bollard::models::ImageInspect) -> Option<String> {
    let layers = inspect.root_fs.as_ref()?.layers.as_ref()?;
    match layers.as_slice() {
        [one] => Some(one.strip_prefix("sha256:").unwrap_or(one).to_owned()),
        _ => Some(format!("<{} layers>", layers.len())),
    }
}

fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
}

async fn inspect_opt(
    docker: &Docker,
    name: &str,
) -> Result<Option<bollard::models::ImageInspect>, SandboxError> {
    match docker.inspect_image(name).await {
        Ok(i) => Ok(Some(i)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => {
            Err(SandboxError::Docker { context: format!("inspecting image {name}"), source: e })
        }
    }
}

/// Whether the daemon uses the containerd image store (image IDs are manifest digests there, so
/// only the rootfs digest can be compared).
async fn containerd_store(docker: &Docker) -> bool {
    match docker.info().await {
        Ok(info) => info
            .driver_status
            .unwrap_or_default()
            .iter()
            .flatten()
            .any(|s| s.contains("io.containerd.snapshotter")),
        Err(_) => false,
    }
}

/// Compares what is loaded with the pin.
pub async fn image_state(docker: &Docker, lock: &ImageLock) -> Result<ImageState, SandboxError> {
    let candidates = [lock.image_id.clone(), lock.tag()];
    let containerd = containerd_store(docker).await;
    let mut first_found = None;
    for name in &candidates {
        if let Some(inspect) = inspect_opt(docker, name).await? {
            let id = inspect.id.clone().unwrap_or_default();
            let rootfs = layer_digest(&inspect).unwrap_or_default();
            let id_ok = id == lock.image_id || containerd;
            if rootfs == lock.rootfs_sha256 && id_ok {
                return Ok(ImageState::Matches(ImageRef {
                    id,
                    rootfs_sha256: rootfs,
                    tag: lock.tag(),
                }));
            }
            first_found.get_or_insert((id, rootfs));
        }
    }
    if first_found.is_none() {
        // Another of our images (another pin) is loaded.
        let wanted = lock.family_name();
        if let Some(info) = list_images(docker, std::slice::from_ref(lock))
            .await?
            .into_iter()
            .find(|i| i.family.as_deref().is_none_or(|f| f == wanted))
        {
            first_found = Some((info.id, info.rootfs_sha256.unwrap_or_default()));
        }
    }
    Ok(match first_found {
        None => ImageState::Missing,
        Some((found_id, found_rootfs)) => ImageState::Mismatch { found_id, found_rootfs },
    })
}

/// Returns the pinned image, or refuses (missing / mismatched) with expected vs found and how to
/// rebuild.
pub async fn ensure_pinned_image(
    docker: &Docker,
    lock: &ImageLock,
) -> Result<ImageRef, SandboxError> {
    match image_state(docker, lock).await? {
        ImageState::Matches(r) => Ok(r),
        ImageState::Missing => Err(SandboxError::ImageMissing {
            expected_id: lock.image_id.clone(),
            expected_rootfs: format!("sha256:{}", lock.rootfs_sha256),
            lock: lock.path.clone(),
            command: match lock.family_name() {
                "native" => "repro image build".to_owned(),
                f => format!("repro image build --family {f}"),
            },
        }),
        ImageState::Mismatch { found_id, found_rootfs } => Err(SandboxError::ImageMismatch {
            lock: lock.path.clone(),
            expected_rootfs: format!("sha256:{}", lock.rootfs_sha256),
            found_rootfs: format!("sha256:{found_rootfs}"),
            expected_id: lock.image_id.clone(),
            found_id,
        }),
    }
}

/// Our images (label `io.repro.image` or repository `repro-build`), newest first.
pub async fn list_images(
    docker: &Docker,
    locks: &[ImageLock],
) -> Result<Vec<ImageInfo>, SandboxError> {
    let mut filters = HashMap::new();
    filters.insert("label".to_string(), vec![IMAGE_LABEL.to_string()]);
    let opts = ListImagesOptionsBuilder::default().all(false).filters(&filters).build();
    let mut list =
        docker.list_images(Some(opts)).await.map_err(SandboxError::docker("listing images"))?;
    let mut filters = HashMap::new();
    filters.insert("reference".to_string(), vec![format!("{IMAGE_REPO}:*")]);
    let opts = ListImagesOptionsBuilder::default().filters(&filters).build();
    for extra in
        docker.list_images(Some(opts)).await.map_err(SandboxError::docker("listing images"))?
    {
        if !list.iter().any(|i| i.id == extra.id) {
            list.push(extra);
        }
    }
    list.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    let mut out = Vec::new();
    for s in list {
        let rootfs = match inspect_opt(docker, &s.id).await? {
            Some(i) => layer_digest(&i),
            None => None,
        };
        let matches_pin = locks
            .iter()
            .any(|l| rootfs.as_deref() == Some(l.rootfs_sha256.as_str()) && s.id == l.image_id);
        let family = s
            .labels
            .get(FAMILY_LABEL)
            .cloned()
            .or_else(|| s.labels.contains_key(IMAGE_LABEL).then(|| "native".to_owned()));
        let mut tags = s.repo_tags.clone();
        tags.retain(|t| t != "<none>:<none>");
        tags.sort();
        out.push(ImageInfo {
            id: s.id,
            tags,
            rootfs_sha256: rootfs,
            size: s.size,
            matches_pin,
            family,
        });
    }
    Ok(out)
}

/// Options of [`build_image`].
#[derive(Debug, Clone)]
pub struct ImageBuildOptions {
    /// The toolchain family to build.
    pub family: Family,
    /// The lock file to compare with and write (default: the pin built into the binary; with
    /// `update_lock`, the source tree's `docker/` file, see [`crate::defs::default_lock_target`]).
    pub lock: Option<PathBuf>,
    /// The image definition directory (default: the definitions built into the binary).
    pub docker_dir: Option<PathBuf>,
    /// Rebuild and reload even if the pinned image is loaded.
    pub force: bool,
    /// Write the lock from the rebuilt rootfs (create or move the pin).
    pub update_lock: bool,
    /// Keep the rootfs tarball at this path.
    pub keep_rootfs: Option<PathBuf>,
    /// Directory for the (large) temporary files; default: the system temp dir.
    pub work_dir: Option<PathBuf>,
    /// Debian mirror for a new lock (default: the lock's, else deb.debian.org).
    pub mirror: Option<String>,
}

/// What [`build_image`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImageBuildReport {
    pub image: ImageRef,
    /// The pinned image was already loaded; nothing was built.
    pub already_loaded: bool,
    /// The lock file was (re)written.
    pub lock_written: bool,
    /// Package changes relative to the previous lock (when it was moved).
    pub changes: Vec<PackageChange>,
    pub packages: usize,
    /// Where the lock was written (when `lock_written`).
    pub lock_path: Option<PathBuf>,
    /// Seconds the rootfs build took (0 when nothing was built).
    pub rootfs_seconds: f64,
}

/// `repro image build`: builds the rootfs, compares with the lock, writes the docker-archive and
/// loads it. Idempotent: does nothing when the pinned image is loaded (unless `force`).
pub async fn build_image(
    docker: &Docker,
    opts: &ImageBuildOptions,
    sink: &Sink,
) -> Result<ImageBuildReport, SandboxError> {
    let old_lock = match &opts.lock {
        Some(p) if p.exists() => Some(ImageLock::load(p)?),
        Some(_) => None,
        None => crate::defs::family_lock(opts.family, None).ok(),
    };
    let write_path = match &opts.lock {
        Some(p) => Some(p.clone()),
        None => crate::defs::default_lock_target(opts.family),
    };
    if old_lock.is_none() && !opts.update_lock {
        return Err(SandboxError::Lock {
            path: opts
                .lock
                .clone()
                .unwrap_or_else(|| crate::defs::lock_rel_path(opts.family).into()),
            message: format!(
                "no image lock here; create the pin with `repro image build --family {} --update-lock`",
                opts.family
            ),
        });
    }
    if let (Some(lock), false) = (&old_lock, opts.force)
        && let ImageState::Matches(image) = image_state(docker, lock).await?
    {
        return Ok(ImageBuildReport {
            image,
            already_loaded: true,
            lock_written: false,
            changes: vec![],
            packages: lock.packages.len(),
            lock_path: None,
            rootfs_seconds: 0.0,
        });
    }
    let work = match &opts.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(SandboxError::io(d))?;
            tempfile::Builder::new().prefix(&crate::gc::temp_prefix("image")).tempdir_in(d)
        }
        None => tempfile::Builder::new().prefix(&crate::gc::temp_prefix("image")).tempdir(),
    }
    .map_err(SandboxError::io("temporary directory"))?;
    let docker_dir = match &opts.docker_dir {
        Some(d) => {
            // A definition directory on disk (tests): the generated files go next to a copy.
            let copy = work.path().join("docker");
            crate::defs::materialize(&copy, opts.family)?;
            for f in crate::defs::DEFINITION_FILES {
                let src = d.join(f.path);
                if src.is_file() {
                    std::fs::copy(&src, copy.join(f.path)).map_err(SandboxError::io(&src))?;
                }
            }
            copy
        }
        None => {
            let dir = work.path().join("docker");
            crate::defs::materialize(&dir, opts.family)?;
            dir
        }
    };
    let recipe = RootfsRecipe {
        docker_dir,
        family: opts.family,
        suite: old_lock.as_ref().map_or(DEFAULT_SUITE.into(), |l| l.suite.clone()),
        mirror: opts
            .mirror
            .clone()
            .or_else(|| old_lock.as_ref().map(|l| l.mirror.clone()))
            .unwrap_or_else(|| DEFAULT_MIRROR.into()),
        source_date_epoch: old_lock
            .as_ref()
            .map_or(DEFAULT_SOURCE_DATE_EPOCH, |l| l.source_date_epoch),
    };
    let rootfs = work.path().join("rootfs.tar");
    let started = std::time::Instant::now();
    {
        let (recipe, rootfs, sink) = (recipe.clone(), rootfs.clone(), sink.clone());
        tokio::task::spawn_blocking(move || build_rootfs(&recipe, &rootfs, &sink))
            .await
            .expect("rootfs task")?;
    }
    let rootfs_seconds = started.elapsed().as_secs_f64();
    sink.emit(Event::Image { message: "hashing the rootfs and reading its package list".into() });
    let (digest, packages) = {
        let rootfs = rootfs.clone();
        tokio::task::spawn_blocking(move || inspect_rootfs(&rootfs)).await.expect("hash task")?
    };
    let config = image_config_json(&digest, recipe.source_date_epoch, &recipe.suite, opts.family);
    let image_id = image_id_for(&config);
    sink.emit(Event::Image { message: format!("rootfs sha256:{digest}, image {image_id}") });
    if let Some(keep) = &opts.keep_rootfs {
        std::fs::copy(&rootfs, keep).map_err(SandboxError::io(keep))?;
    }

    let mut changes = vec![];
    let mut lock_written = false;
    if let Some(old) = &old_lock
        && old.rootfs_sha256 != digest
    {
        changes = diff_packages(&old.packages, &packages);
        if !opts.update_lock {
            return Err(SandboxError::RootfsChanged {
                lock: old.path.clone(),
                expected: format!("sha256:{}", old.rootfs_sha256),
                found: format!("sha256:{digest}"),
                changes,
            });
        }
    }
    let new_lock = ImageLock {
        rootfs_sha256: digest.clone(),
        image_id: image_id.clone(),
        source_date_epoch: recipe.source_date_epoch,
        suite: recipe.suite.clone(),
        mirror: recipe.mirror.clone(),
        family: (opts.family != Family::Native).then(|| opts.family.name().to_owned()),
        packages,
        path: old_lock
            .as_ref()
            .map_or_else(|| crate::defs::lock_rel_path(opts.family).into(), |l| l.path.clone()),
    };
    let mut lock_path = None;
    if opts.update_lock && old_lock.as_ref() != Some(&new_lock) {
        let Some(path) = write_path else {
            return Err(SandboxError::Lock {
                path: crate::defs::lock_rel_path(opts.family).into(),
                message: "no source checkout to write the pin into; pass --lock FILE".into(),
            });
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(SandboxError::io(parent))?;
        }
        new_lock.save(&path)?;
        lock_written = true;
        sink.emit(Event::Image { message: format!("wrote {}", path.display()) });
        lock_path = Some(path);
    }

    let tag = image_tag(&image_id);
    load_archive(docker, &config, &digest, &rootfs, &tag, recipe.source_date_epoch, sink).await?;
    let image = match image_state(docker, &new_lock).await? {
        ImageState::Matches(r) => r,
        ImageState::Missing => {
            return Err(SandboxError::Rootfs {
                message: format!(
                    "the daemon accepted the archive but image {image_id} is not there"
                ),
            });
        }
        ImageState::Mismatch { found_id, found_rootfs } => {
            return Err(SandboxError::ImageMismatch {
                lock: new_lock.path.clone(),
                expected_rootfs: format!("sha256:{digest}"),
                found_rootfs: format!("sha256:{found_rootfs}"),
                expected_id: image_id,
                found_id,
            });
        }
    };
    if containerd_store(docker).await && image.id != image_id {
        sink.emit(Event::Note {
            level: Level::Warn,
            message: format!(
                "the daemon uses the containerd image store: image ID {} is a manifest digest; the \
                 rootfs digest is the pin",
                image.id
            ),
        });
    }
    Ok(ImageBuildReport {
        image,
        already_loaded: false,
        lock_written,
        changes,
        packages: new_lock.packages.len(),
        lock_path,
        rootfs_seconds,
    })
}

async fn load_archive(
    docker: &Docker,
    config: &[u8],
    digest: &str,
    rootfs: &Path,
    tag: &str,
    mtime: i64,
    sink: &Sink,
) -> Result<(), SandboxError> {
    use futures_util::StreamExt;
    sink.emit(Event::Image { message: format!("loading the image as {tag}") });
    let (writer, stream) = ChannelWriter::pair(8, 1 << 20);
    let (config, digest, rootfs, tag2) =
        (config.to_vec(), digest.to_owned(), rootfs.to_owned(), tag.to_owned());
    let producer = tokio::task::spawn_blocking(move || {
        let w =
            write_docker_archive(writer, &config, &digest, &rootfs, &tag2, mtime.max(0) as u64)?;
        w.finish().map_err(SandboxError::io("<docker-archive>"))
    });
    let docker = docker.clone().with_timeout(std::time::Duration::from_secs(1800));
    let opts = ImportImageOptionsBuilder::default().quiet(true).build();
    let mut progress = docker.import_image_stream(opts, stream, None);
    let mut load_err = None;
    while let Some(item) = progress.next().await {
        match item {
            Ok(info) => {
                if let Some(s) = info.stream.filter(|s| !s.trim().is_empty()) {
                    sink.emit(Event::Image { message: s.trim().to_owned() });
                }
            }
            Err(e) => {
                load_err = Some(e);
                break;
            }
        }
    }
    drop(progress);
    let produced = producer.await.expect("archive task");
    if let Some(e) = load_err {
        return Err(SandboxError::Docker {
            context: "loading the image archive".into(),
            source: e,
        });
    }
    produced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_825_599), "2000-02-29T11:59:59Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn config_and_id_are_deterministic_and_depend_on_the_rootfs() {
        let a = image_config_json(&"a".repeat(64), 1, "bookworm", Family::Native);
        let b = image_config_json(&"a".repeat(64), 1, "bookworm", Family::Native);
        let c = image_config_json(&"c".repeat(64), 1, "bookworm", Family::Native);
        assert_eq!(a, b);
        assert_ne!(image_id_for(&a), image_id_for(&c));
        let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
        assert_eq!(v["rootfs"]["diff_ids"][0], format!("sha256:{}", "a".repeat(64)));
        assert_eq!(v["created"], "1970-01-01T00:00:01Z");
        assert_eq!(v["config"]["WorkingDir"], "/workspace");
    }

    #[test]
    fn docker_archive_is_sorted_and_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let layer = dir.path().join("layer.tar");
        std::fs::write(&layer, vec![7u8; 4096]).unwrap();
        let digest = "d".repeat(64);
        let cfg = image_config_json(&digest, 5, "bookworm", Family::Native);
        let one =
            write_docker_archive(Vec::new(), &cfg, &digest, &layer, "repro-build:x", 5).unwrap();
        let two =
            write_docker_archive(Vec::new(), &cfg, &digest, &layer, "repro-build:x", 5).unwrap();
        assert_eq!(one, two);
        let mut ar = tar::Archive::new(&one[..]);
        let mut names = vec![];
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            assert_eq!(e.header().mtime().unwrap(), 5);
            let name = e.path().unwrap().to_string_lossy().into_owned();
            if name == "manifest.json" {
                let mut s = String::new();
                e.read_to_string(&mut s).unwrap();
                let m: serde_json::Value = serde_json::from_str(&s).unwrap();
                assert_eq!(m[0]["Layers"][0], format!("{digest}/layer.tar"));
                assert_eq!(m[0]["Config"], format!("{}.json", &image_id_for(&cfg)[7..]));
            }
            names.push(name);
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 4);
    }

    #[test]
    fn dpkg_status_parsing_follows_dpkg_query() {
        let status = "Package: bash\nStatus: install ok installed\nVersion: 5.2\nArchitecture: amd64\nMulti-Arch: foreign\nDescription: x\n continued: line\n\nPackage: libc6\nStatus: install ok installed\nMulti-Arch: same\nArchitecture: amd64\nVersion: 2.36-9\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
        let p = parse_dpkg_status(status);
        assert_eq!(p.len(), 2);
        assert_eq!(p["bash"], "5.2");
        assert_eq!(p["libc6:amd64"], "2.36-9");
    }

    #[test]
    fn package_list_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("packages.list");
        std::fs::write(&p, "# c\nbash\n\nlibc6  # comment\n").unwrap();
        assert_eq!(read_package_list(&p).unwrap(), ["bash", "libc6"]);
        std::fs::write(&p, "bash; rm -rf /\n").unwrap();
        assert!(read_package_list(&p).is_err());
    }

    #[test]
    fn the_repository_package_list_parses() {
        let root = crate::defs::source_tree().unwrap();
        let list = read_package_list(&root.join("docker/packages.list")).unwrap();
        assert!(list.contains(&"build-essential".to_string()));
        assert!(list.contains(&"faketime".to_string()));
    }
}
