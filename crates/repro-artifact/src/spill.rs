//! Bounded-memory sorting and spooling of records (tree entries, tar headers): a [`Sorter`]
//! keeps at most `max_in_memory` records; past that it writes sorted runs to a private
//! temporary directory and merges them when read back, so the memory of a tree or header list
//! stays flat in its entry count. Inputs that fit stay in memory and never touch the disk.
//!
//! Runs are framed postcard records (a little-endian `u32` length, then the record); they are
//! written and read only by this process and removed with the directory (or, after a SIGKILL,
//! by `repro gc`: the directory is named `repro-spill-<pid>-<random>`).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Records held in memory before a sorted run is written (the default of [`Sorter::new`]).
pub const DEFAULT_MAX_IN_MEMORY: usize = 64 * 1024;

/// Read and write buffer of each run.
const RUN_BUF: usize = 32 * 1024;

/// A record sorted by a string key (ties keep the order of [`Sorter::push`]).
pub trait Keyed {
    /// The sort key.
    fn key(&self) -> &str;
}

/// Where spill files go: `parent` (or the system's temporary directory) gets one directory
/// `repro-spill-<pid>-<random>` on first use.
#[derive(Debug, Clone, Default)]
pub struct SpillDir {
    parent: Option<PathBuf>,
}

impl SpillDir {
    /// Spill below `parent` (`None`: the system's temporary directory).
    pub fn new(parent: Option<PathBuf>) -> SpillDir {
        SpillDir { parent }
    }

    fn create(&self) -> Result<tempfile::TempDir> {
        let parent = self.parent.clone().unwrap_or_else(std::env::temp_dir);
        tempfile::Builder::new()
            .prefix(&format!("repro-spill-{}-", std::process::id()))
            .tempdir_in(&parent)
            .map_err(|e| Error::io("create a spill directory in", &parent, e))
    }
}

/// Files written by one [`Sorter`] or [`Spool`], removed on drop.
#[derive(Debug)]
struct Files {
    dir: tempfile::TempDir,
    paths: Vec<PathBuf>,
}

impl Files {
    fn next_path(&mut self) -> PathBuf {
        let p = self.dir.path().join(format!("run-{}", self.paths.len()));
        self.paths.push(p.clone());
        p
    }
}

fn write_records<T: Serialize>(path: &Path, records: impl IntoIterator<Item = T>) -> Result<()> {
    let f = File::create(path).map_err(|e| Error::io("create", path, e))?;
    let mut w = BufWriter::with_capacity(RUN_BUF, f);
    let mut buf = Vec::new();
    for r in records {
        write_frame(&mut w, path, &r, &mut buf)?;
    }
    w.flush().map_err(|e| Error::io("write", path, e))
}

/// One record: its length (little-endian `u32`), then its postcard encoding (`buf` is scratch).
fn write_frame<T: Serialize>(
    w: &mut impl Write,
    path: &Path,
    t: &T,
    buf: &mut Vec<u8>,
) -> Result<()> {
    buf.clear();
    *buf = postcard::to_extend(t, std::mem::take(buf))
        .map_err(|e| Error::io("encode a record for", path, std::io::Error::other(e)))?;
    let len = u32::try_from(buf.len())
        .map_err(|_| Error::io("write", path, std::io::Error::other("record larger than 4 GiB")))?;
    w.write_all(&len.to_le_bytes())
        .and_then(|()| w.write_all(buf))
        .map_err(|e| Error::io("write", path, e))
}

/// Sequential reader of one run file.
struct RunReader<T> {
    path: PathBuf,
    r: BufReader<File>,
    buf: Vec<u8>,
    _t: PhantomData<T>,
}

impl<T: DeserializeOwned> RunReader<T> {
    fn open(path: &Path) -> Result<Self> {
        let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
        Ok(RunReader {
            path: path.to_owned(),
            r: BufReader::with_capacity(RUN_BUF, f),
            buf: Vec::new(),
            _t: PhantomData,
        })
    }

    fn next(&mut self) -> Result<Option<T>> {
        let mut len = [0u8; 4];
        match self.r.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(Error::io("read", &self.path, e)),
        }
        self.buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.r.read_exact(&mut self.buf).map_err(|e| Error::io("read", &self.path, e))?;
        postcard::from_bytes(&self.buf)
            .map(Some)
            .map_err(|e| Error::io("decode a record of", &self.path, std::io::Error::other(e)))
    }
}

/// Sorts records by key within a memory bound.
pub struct Sorter<T> {
    spill: SpillDir,
    max_in_memory: usize,
    chunk: Vec<T>,
    files: Option<Files>,
    len: u64,
}

impl<T: Keyed + Serialize + DeserializeOwned> Sorter<T> {
    /// A sorter holding at most `max_in_memory` records (at least one) before it spills.
    pub fn new(spill: SpillDir, max_in_memory: usize) -> Sorter<T> {
        Sorter {
            spill,
            max_in_memory: max_in_memory.max(1),
            chunk: Vec::new(),
            files: None,
            len: 0,
        }
    }

    /// Records pushed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Add a record (writes a sorted run when the memory bound is reached).
    pub fn push(&mut self, t: T) -> Result<()> {
        self.chunk.push(t);
        self.len += 1;
        if self.chunk.len() >= self.max_in_memory {
            self.write_run()?;
        }
        Ok(())
    }

    fn write_run(&mut self) -> Result<()> {
        if self.files.is_none() {
            self.files = Some(Files { dir: self.spill.create()?, paths: Vec::new() });
        }
        let files = self.files.as_mut().expect("created above");
        self.chunk.sort_by(|x, y| x.key().cmp(y.key()));
        let path = files.next_path();
        write_records(&path, self.chunk.drain(..))?;
        self.chunk.shrink_to(self.max_in_memory.min(1024));
        Ok(())
    }

    /// Done pushing: the records in key order.
    pub fn finish(mut self) -> Result<Sorted<T>> {
        if self.files.is_some() && !self.chunk.is_empty() {
            self.write_run()?;
        }
        self.chunk.sort_by(|x, y| x.key().cmp(y.key()));
        let len = self.len;
        let mut mem = std::mem::take(&mut self.chunk);
        mem.shrink_to_fit();
        Ok(Sorted { mem, files: self.files.take(), len })
    }
}

/// Sorted records: in memory, or runs on disk merged when read.
pub struct Sorted<T> {
    mem: Vec<T>,
    files: Option<Files>,
    len: u64,
}

impl<T> std::fmt::Debug for Sorted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sorted")
            .field("len", &self.len)
            .field("runs", &self.files.as_ref().map_or(0, |f| f.paths.len()))
            .finish()
    }
}

impl<T: Keyed + DeserializeOwned> Sorted<T> {
    /// Number of records.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of runs written to disk (0: all in memory).
    pub fn runs(&self) -> usize {
        self.files.as_ref().map_or(0, |f| f.paths.len())
    }

    /// Visit every record in key order without consuming them (spilled runs are read again).
    pub fn try_for_each(&self, mut f: impl FnMut(&T) -> Result<()>) -> Result<()> {
        let Some(files) = &self.files else {
            return self.mem.iter().try_for_each(f);
        };
        let mut heap = BinaryHeap::new();
        let mut runs = Vec::new();
        for (i, p) in files.paths.iter().enumerate() {
            let mut r = RunReader::open(p)?;
            if let Some(t) = r.next()? {
                heap.push(Head { t, run: i });
            }
            runs.push(r);
        }
        while let Some(Head { t, run }) = heap.pop() {
            f(&t)?;
            if let Some(n) = runs[run].next()? {
                heap.push(Head { t: n, run });
            }
        }
        Ok(())
    }

    /// Read the records in key order (consumes them; the spill files go with the reader).
    pub fn into_reader(self) -> Result<SortedReader<T>> {
        let mut heap = BinaryHeap::new();
        let mut runs = Vec::new();
        if let Some(files) = &self.files {
            for (i, p) in files.paths.iter().enumerate() {
                let mut r = RunReader::open(p)?;
                if let Some(t) = r.next()? {
                    heap.push(Head { t, run: i });
                }
                runs.push(r);
            }
        }
        Ok(SortedReader { mem: self.mem.into_iter(), runs, heap, _files: self.files })
    }
}

/// The next record of one run, ordered for a min-heap by (key, run).
struct Head<T> {
    t: T,
    run: usize,
}

impl<T: Keyed> PartialEq for Head<T> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl<T: Keyed> Eq for Head<T> {}
impl<T: Keyed> PartialOrd for Head<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T: Keyed> Ord for Head<T> {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap.
        o.t.key().cmp(self.t.key()).then(o.run.cmp(&self.run))
    }
}

/// Records of a [`Sorted`] in key order, with one record of lookahead.
pub struct SortedReader<T> {
    mem: std::vec::IntoIter<T>,
    runs: Vec<RunReader<T>>,
    heap: BinaryHeap<Head<T>>,
    _files: Option<Files>,
}

impl<T: Keyed + DeserializeOwned> SortedReader<T> {
    /// The next record, without consuming it.
    pub fn peek(&self) -> Option<&T> {
        if self.runs.is_empty() {
            self.mem.as_slice().first()
        } else {
            self.heap.peek().map(|h| &h.t)
        }
    }

    /// The next record, consumed.
    pub fn next_record(&mut self) -> Result<Option<T>> {
        if self.runs.is_empty() {
            return Ok(self.mem.next());
        }
        let Some(Head { t, run }) = self.heap.pop() else { return Ok(None) };
        if let Some(n) = self.runs[run].next()? {
            self.heap.push(Head { t: n, run });
        }
        Ok(Some(t))
    }
}

/// An append-only sequence of records within a memory bound (spilled to one file past it),
/// read back in order once.
pub struct Spool<T> {
    spill: SpillDir,
    max_in_memory: usize,
    mem: Vec<T>,
    files: Option<Files>,
    writer: Option<(BufWriter<File>, PathBuf)>,
    /// Scratch for encoding.
    buf: Vec<u8>,
    len: u64,
}

impl<T: Serialize + DeserializeOwned> Spool<T> {
    /// A spool holding at most `max_in_memory` records before it moves to disk.
    pub fn new(spill: SpillDir, max_in_memory: usize) -> Spool<T> {
        Spool {
            spill,
            max_in_memory: max_in_memory.max(1),
            mem: Vec::new(),
            files: None,
            writer: None,
            buf: Vec::new(),
            len: 0,
        }
    }

    /// Records pushed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append a record.
    pub fn push(&mut self, t: T) -> Result<()> {
        self.len += 1;
        if self.writer.is_none() && self.mem.len() < self.max_in_memory {
            self.mem.push(t);
            return Ok(());
        }
        if self.writer.is_none() {
            let mut files = Files { dir: self.spill.create()?, paths: Vec::new() };
            let path = files.next_path();
            let f = File::create(&path).map_err(|e| Error::io("create", &path, e))?;
            self.files = Some(files);
            self.writer = Some((BufWriter::with_capacity(RUN_BUF, f), path));
            let mem = std::mem::take(&mut self.mem);
            for m in mem {
                self.write(&m)?;
            }
        }
        self.write(&t)
    }

    fn write(&mut self, t: &T) -> Result<()> {
        let (w, path) = self.writer.as_mut().expect("spooling to disk");
        write_frame(w, path, t, &mut self.buf)
    }

    /// Done pushing: read the records back in order.
    pub fn into_reader(mut self) -> Result<SpoolReader<T>> {
        let run = match self.writer.take() {
            Some((mut w, path)) => {
                w.flush().map_err(|e| Error::io("write", &path, e))?;
                drop(w);
                Some(RunReader::open(&path)?)
            }
            None => None,
        };
        Ok(SpoolReader {
            mem: std::mem::take(&mut self.mem).into_iter(),
            run,
            _files: self.files.take(),
        })
    }
}

/// The records of a [`Spool`], in order.
pub struct SpoolReader<T> {
    mem: std::vec::IntoIter<T>,
    run: Option<RunReader<T>>,
    _files: Option<Files>,
}

impl<T: DeserializeOwned> SpoolReader<T> {
    /// The next record.
    pub fn next_record(&mut self) -> Result<Option<T>> {
        match &mut self.run {
            Some(r) => r.next(),
            None => Ok(self.mem.next()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct R {
        k: String,
        v: u64,
    }
    impl Keyed for R {
        fn key(&self) -> &str {
            &self.k
        }
    }

    fn records(n: u64) -> Vec<R> {
        // Keys out of order, with duplicates (their order of push must be kept).
        (0..n).map(|i| R { k: format!("k{:03}", (i * 7919) % (n / 2 + 1)), v: i }).collect()
    }

    fn sorted_all(parent: &Path, max: usize, input: &[R]) -> (Vec<R>, usize) {
        let mut s = Sorter::new(SpillDir::new(Some(parent.to_owned())), max);
        for r in input {
            s.push(r.clone()).unwrap();
        }
        let sorted = s.finish().unwrap();
        let runs = sorted.runs();
        assert_eq!(sorted.len(), input.len() as u64);
        let mut rd = sorted.into_reader().unwrap();
        let mut out = Vec::new();
        while let Some(p) = rd.peek().cloned() {
            assert_eq!(rd.next_record().unwrap(), Some(p.clone()));
            out.push(p);
        }
        assert_eq!(rd.next_record().unwrap(), None);
        (out, runs)
    }

    #[test]
    fn spilled_and_in_memory_sorts_agree_and_are_stable() {
        let d = tempfile::tempdir().unwrap();
        let input = records(1000);
        let mut expected = input.clone();
        expected.sort_by(|x, y| x.k.cmp(&y.k));
        let (mem, runs) = sorted_all(d.path(), 10_000, &input);
        assert_eq!(runs, 0, "fits in memory: no run written");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0, "nothing on disk");
        assert_eq!(mem, expected);
        let (spilled, runs) = sorted_all(d.path(), 37, &input);
        assert_eq!(runs, 1000usize.div_ceil(37));
        assert_eq!(spilled, expected, "merge of runs is the same stable order");
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            0,
            "spill files removed with the reader"
        );
    }

    #[test]
    fn visiting_in_order_keeps_the_records() {
        let d = tempfile::tempdir().unwrap();
        for max in [10_000, 7] {
            let mut s = Sorter::new(SpillDir::new(Some(d.path().to_owned())), max);
            for r in records(100) {
                s.push(r).unwrap();
            }
            let sorted = s.finish().unwrap();
            let mut seen = Vec::new();
            sorted
                .try_for_each(|r| {
                    seen.push(r.clone());
                    Ok(())
                })
                .unwrap();
            let mut again = Vec::new();
            sorted
                .try_for_each(|r| {
                    again.push(r.clone());
                    Ok(())
                })
                .unwrap();
            assert_eq!(seen, again, "a second visit sees the same records");
            let mut rd = sorted.into_reader().unwrap();
            let mut read = Vec::new();
            while let Some(r) = rd.next_record().unwrap() {
                read.push(r);
            }
            assert_eq!(seen, read);
        }
    }

    #[test]
    fn spool_keeps_order_in_memory_and_on_disk() {
        let d = tempfile::tempdir().unwrap();
        for max in [5000, 3] {
            let input = records(100);
            let mut s = Spool::new(SpillDir::new(Some(d.path().to_owned())), max);
            for r in &input {
                s.push(r.clone()).unwrap();
            }
            assert_eq!(s.len(), 100);
            let on_disk = std::fs::read_dir(d.path()).unwrap().count();
            assert_eq!(on_disk, usize::from(max < 100));
            let mut rd = s.into_reader().unwrap();
            let mut out = Vec::new();
            while let Some(r) = rd.next_record().unwrap() {
                out.push(r);
            }
            assert_eq!(out, input);
            drop(rd);
            assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn a_damaged_run_is_an_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Sorter::new(SpillDir::new(Some(d.path().to_owned())), 2);
        for r in records(10) {
            s.push(r).unwrap();
        }
        let sorted = s.finish().unwrap();
        let run = sorted.files.as_ref().unwrap().paths[1].clone();
        std::fs::write(&run, [200, 0, 0, 0, 1]).unwrap();
        let err = match sorted.into_reader() {
            Err(e) => e,
            Ok(mut rd) => loop {
                match rd.next_record() {
                    Err(e) => break e,
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("a truncated run read as complete"),
                }
            },
        };
        assert!(err.to_string().contains("run-1"), "{err}");
    }
}
