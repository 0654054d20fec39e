//! Writing an output file (artifact tarball, `Artifacts.toml`, report) so that nobody sees half
//! of it, without clobbering what the user pointed at.
//!
//! - A regular file (or a new path) is written through a temporary file in the same directory
//!   and renamed into place on [`OutputFile::commit`]: a failure or an interrupt leaves the old
//!   file intact, and the temporary file is removed when the [`OutputFile`] is dropped.
//! - A symlink is followed: the file it names is replaced and the link keeps pointing at it.
//! - Anything else that exists (`/dev/null`, a FIFO, `/dev/stdout`, a process substitution) is
//!   written into as it is: renaming over it would replace a device node with a regular file.
//! - A directory is refused by name.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An output being written; see the module documentation.
#[derive(Debug)]
pub struct OutputFile {
    /// The path as given (for messages).
    dest: PathBuf,
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    /// Written to a temporary file, renamed over `target` (the destination, symlinks resolved).
    Replace { tmp: tempfile::NamedTempFile, target: PathBuf },
    /// An existing special file, written into.
    Into(File),
}

impl OutputFile {
    /// Opens `dest` for writing. The temporary file's name starts with `prefix`.
    pub fn create(dest: &Path, prefix: &str) -> Result<Self> {
        let mut target = dest.to_owned();
        match fs::metadata(dest) {
            Ok(m) if m.is_dir() => return Err(Error::IsDirectory { path: dest.to_owned() }),
            Ok(m) if !m.is_file() => {
                let f = fs::OpenOptions::new()
                    .write(true)
                    .open(dest)
                    .map_err(|e| Error::io("write", dest, e))?;
                return Ok(OutputFile { dest: dest.to_owned(), inner: Inner::Into(f) });
            }
            Ok(_) if dest.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) => {
                target = fs::canonicalize(dest).map_err(|e| Error::io("resolve", dest, e))?;
            }
            _ => {}
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(prefix)
            .tempfile_in(&dir)
            // The file asked for, not the temporary one (its directory is in the message).
            .map_err(|e| Error::io("write", dest, e))?;
        Ok(OutputFile { dest: dest.to_owned(), inner: Inner::Replace { tmp, target } })
    }

    /// The file being written (the temporary file, or the special file itself).
    pub fn file(&self) -> &File {
        match &self.inner {
            Inner::Replace { tmp, .. } => tmp.as_file(),
            Inner::Into(f) => f,
        }
    }

    /// The path being written: the temporary file's, or the destination's.
    pub fn path(&self) -> &Path {
        match &self.inner {
            Inner::Replace { tmp, .. } => tmp.path(),
            Inner::Into(_) => &self.dest,
        }
    }

    /// The destination as given.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Finishes the output: a replaced file gets `mode`, is synced to disk and renamed into
    /// place; a special file is flushed. Not calling this leaves the destination untouched.
    pub fn commit(self, mode: u32) -> Result<()> {
        match self.inner {
            Inner::Replace { tmp, target } => {
                fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
                    .map_err(|e| Error::io("set permissions of", tmp.path(), e))?;
                tmp.as_file().sync_all().map_err(|e| Error::io("write", tmp.path(), e))?;
                tmp.persist(&target)
                    .map_err(|e| Error::io("rename into place", &target, e.error))?;
            }
            Inner::Into(mut f) => f.flush().map_err(|e| Error::io("write", &self.dest, e))?,
        }
        Ok(())
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Replace { tmp, .. } => tmp.write(buf),
            Inner::Into(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Replace { tmp, .. } => tmp.flush(),
            Inner::Into(f) => f.flush(),
        }
    }
}

/// Writes `bytes` to `dest` whole, as [`OutputFile`] does, with mode 0644 for a new file.
pub fn write_output(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut out = OutputFile::create(dest, ".repro-out-")?;
    out.write_all(bytes).map_err(|e| Error::io("write", dest, e))?;
    out.commit(0o644)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    /// Regression: `--json /dev/null` replaced /dev/null with a regular file of mode 0600 (the
    /// report was written to a temporary file and renamed over the device). A FIFO stands in for
    /// the device node, which a test cannot safely replace.
    #[test]
    fn a_fifo_is_written_into_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("report.fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // Held open read-write: opening the FIFO for writing does not block, and the bytes
        // (fewer than a pipe's buffer) wait in it.
        let mut reader = fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
        write_output(&fifo, b"{\"verdict\":\"reproducible\"}").unwrap();
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        let mut got = vec![0; 64];
        let n = io::Read::read(&mut reader, &mut got).unwrap();
        assert_eq!(&got[..n], b"{\"verdict\":\"reproducible\"}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn a_symlink_keeps_pointing_at_the_replaced_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_output(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_directory_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_output(dir.path(), b"x").unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn a_regular_file_is_replaced_whole_with_the_mode_given() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("out.json");
        fs::write(&f, b"a much longer old content").unwrap();
        write_output(&f, b"short").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"short");
        assert_eq!(fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o644);
    }

    #[test]
    fn an_uncommitted_output_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("Artifacts.toml");
        fs::write(&f, b"old").unwrap();
        let mut out = OutputFile::create(&f, ".repro-test-").unwrap();
        out.write_all(b"half of the new").unwrap();
        drop(out);
        assert_eq!(fs::read(&f).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
