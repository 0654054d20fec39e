//! What a killed `repro` leaves behind, and how the next run finds it.
//!
//! Every container carries the owning process's pid and host (`io.repro.pid`, `io.repro.host`),
//! and every temporary directory is named `repro-<kind>-<pid>-<random>`. After a SIGKILL (or a
//! crash), [`remove_orphan_containers`] (run by every new Docker runner, and by `repro gc`) removes
//! containers whose owner on this host is no longer alive, and [`stale_temp_dirs`] finds the
//! temporary directories of dead owners.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::Docker;
use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};

use crate::error::SandboxError;
use crate::runner::MANAGED_LABEL;

/// Label holding the pid of the process that created the container.
pub const PID_LABEL: &str = "io.repro.pid";
/// Label holding the host name of that process.
pub const HOST_LABEL: &str = "io.repro.host";

/// The prefix of a temporary directory of this process: `repro-<kind>-<pid>-`.
pub fn temp_prefix(kind: &str) -> String {
    format!("repro-{kind}-{}-", std::process::id())
}

/// This machine's host name (the kernel's), for container labels.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether a process with `pid` exists on this machine.
pub fn pid_alive(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    // Signal 0 checks for existence; EPERM means it exists but belongs to someone else.
    // SAFETY: kill(2) with signal 0 sends nothing; it only checks the pid.
    let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The owner pid of a temporary directory name `repro-<kind>-<pid>-<random>`.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("repro-")?;
    let mut parts = rest.splitn(3, '-');
    let (_kind, pid, random) = (parts.next()?, parts.next()?, parts.next()?);
    if random.is_empty() {
        return None;
    }
    pid.parse().ok()
}

/// Temporary directories in `dir` named by a repro process that is no longer alive.
pub fn stale_temp_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            owner_pid(&name).filter(|p| !pid_alive(*p)).map(|_| e.path())
        })
        .collect();
    out.sort();
    out
}

/// A container left by a process that is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub id: String,
    pub pid: Option<u32>,
    pub build: Option<String>,
}

/// Containers of repro on this daemon whose owner on this host is no longer alive (with `all`,
/// also those without owner labels, from older versions). Removes them unless `dry_run`.
pub async fn remove_orphan_containers(
    docker: &Docker,
    all: bool,
    dry_run: bool,
) -> Result<Vec<Orphan>, SandboxError> {
    let mut filters = HashMap::new();
    filters.insert("label".to_string(), vec![format!("{MANAGED_LABEL}=1")]);
    let opts = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
    let list = docker
        .list_containers(Some(opts))
        .await
        .map_err(SandboxError::docker("listing containers"))?;
    let host = host_name();
    let mut out = Vec::new();
    for c in list {
        let Some(id) = c.id else { continue };
        let labels = c.labels.unwrap_or_default();
        let pid = labels.get(PID_LABEL).and_then(|p| p.parse::<u32>().ok());
        let ours = labels.get(HOST_LABEL).is_some_and(|h| *h == host);
        let orphan = match pid {
            Some(p) => ours && !pid_alive(p),
            None => all,
        };
        if !orphan {
            continue;
        }
        if !dry_run {
            let rm = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
            match docker.remove_container(&id, Some(rm)).await {
                Ok(()) => {}
                // Another run (every new runner collects orphans) removed it meanwhile, or its
                // removal is already under way: it is gone either way, and not ours to count.
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404 | 409,
                    ..
                }) => continue,
                Err(e) => {
                    return Err(SandboxError::Docker {
                        context: format!("removing container {id}"),
                        source: e,
                    });
                }
            }
        }
        out.push(Orphan { id, pid, build: labels.get(crate::runner::BUILD_LABEL).cloned() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_dirs_of_dead_owners_are_stale_and_ours_are_not() {
        let d = tempfile::tempdir().unwrap();
        // A pid that cannot exist (above the kernel's pid_max limit of 2^22).
        let dead = d.path().join("repro-check-4194305-abc123");
        let ours = d.path().join(format!("{}xyz", temp_prefix("check")));
        let other = d.path().join("unrelated-1-2");
        let no_random = d.path().join("repro-check-4194305-");
        for p in [&dead, &ours, &other, &no_random] {
            std::fs::create_dir(p).unwrap();
        }
        assert_eq!(stale_temp_dirs(d.path()), [dead]);
        assert!(pid_alive(std::process::id()));
        assert!(!pid_alive(4_194_305));
        assert_eq!(owner_pid("repro-build-12-ff"), Some(12));
        assert_eq!(owner_pid("repro-build-x-ff"), None);
    }
}
