//! A parallel, deterministic gzip writer in the style of `pigz --no-time --no-name`.
//!
//! The input is cut into fixed 128 KiB blocks. Each block is deflated independently (in
//! parallel, rayon) with the previous 32 KiB of input as its dictionary and ends with a sync
//! flush, except the last, which finishes the stream. The blocks concatenate into one valid
//! deflate stream inside a single gzip member with mtime 0, no file name, OS = Unix. The output
//! depends only on the input, the level and the deflate implementation, never on thread count
//! or timing.

use std::io::{self, Write};
use std::sync::mpsc;
use std::thread;

use flate2::{Compress, Crc, FlushCompress, Status};
use rayon::prelude::*;

const BLOCK: usize = 128 * 1024;
const DICT: usize = 32 * 1024;
/// Blocks compressed per parallel batch.
const BATCH: usize = 16;

struct Job {
    dict: Vec<u8>,
    data: Vec<u8>,
    last: bool,
}

/// Parallel gzip writer. Call [`ParGzWriter::finish`] to complete the stream and get the inner
/// writer back; dropping it without `finish` leaves an incomplete stream.
pub(crate) struct ParGzWriter<W: Write + Send + 'static> {
    cur: Vec<u8>,
    prev_tail: Vec<u8>,
    batch: Vec<Job>,
    tx: Option<mpsc::SyncSender<Vec<Job>>>,
    worker: Option<thread::JoinHandle<io::Result<W>>>,
}

impl<W: Write + Send + 'static> ParGzWriter<W> {
    pub(crate) fn new(mut inner: W, level: u32) -> io::Result<Self> {
        let xfl = match level {
            9 => 2,
            1 => 4,
            _ => 0,
        };
        inner.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3])?;
        let (tx, rx) = mpsc::sync_channel::<Vec<Job>>(2);
        let worker =
            thread::Builder::new().name("repro-gzip".into()).spawn(move || -> io::Result<W> {
                let mut crc = Crc::new();
                let mut total: u64 = 0;
                let lvl = flate2::Compression::new(level);
                while let Ok(jobs) = rx.recv() {
                    let outs: Vec<io::Result<(Vec<u8>, Crc)>> =
                        jobs.par_iter().map(|j| compress_block(j, lvl)).collect();
                    for o in outs {
                        let (bytes, c) = o?;
                        inner.write_all(&bytes)?;
                        crc.combine(&c);
                    }
                    total += jobs.iter().map(|j| j.data.len() as u64).sum::<u64>();
                }
                inner.write_all(&crc.sum().to_le_bytes())?;
                inner.write_all(&(total as u32).to_le_bytes())?;
                inner.flush()?;
                Ok(inner)
            })?;
        Ok(ParGzWriter {
            cur: Vec::with_capacity(BLOCK),
            prev_tail: Vec::new(),
            batch: Vec::with_capacity(BATCH),
            tx: Some(tx),
            worker: Some(worker),
        })
    }

    fn push_block(&mut self, last: bool) -> io::Result<()> {
        let data = std::mem::replace(&mut self.cur, Vec::with_capacity(BLOCK));
        let tail_from = data.len().saturating_sub(DICT);
        let dict = std::mem::replace(&mut self.prev_tail, data[tail_from..].to_vec());
        self.batch.push(Job { dict, data, last });
        if self.batch.len() >= BATCH || last {
            let jobs = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            let sent = self.tx.as_ref().expect("writer used after finish").send(jobs);
            if sent.is_err() {
                // The worker stopped: surface its error.
                return Err(self
                    .join_worker()
                    .err()
                    .unwrap_or_else(|| io::Error::other("gzip worker stopped")));
            }
        }
        Ok(())
    }

    fn join_worker(&mut self) -> io::Result<W> {
        self.tx = None;
        match self.worker.take() {
            Some(h) => h.join().map_err(|_| io::Error::other("gzip worker panicked"))?,
            None => Err(io::Error::other("gzip worker already finished")),
        }
    }

    /// Write the last block and the gzip trailer; returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.push_block(true)?;
        self.join_worker()
    }
}

impl<W: Write + Send + 'static> Write for ParGzWriter<W> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let n = buf.len();
        while !buf.is_empty() {
            let room = BLOCK - self.cur.len();
            let take = room.min(buf.len());
            self.cur.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.cur.len() == BLOCK {
                self.push_block(false)?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn compress_block(job: &Job, level: flate2::Compression) -> io::Result<(Vec<u8>, Crc)> {
    let mut c = Compress::new(level, false);
    if !job.dict.is_empty() {
        c.set_dictionary(&job.dict).map_err(io::Error::other)?;
    }
    let mut out = Vec::with_capacity(job.data.len() / 2 + 1024);
    let flush = if job.last { FlushCompress::Finish } else { FlushCompress::Sync };
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(64 * 1024));
        }
        let consumed = c.total_in() as usize;
        let status =
            c.compress_vec(&job.data[consumed..], &mut out, flush).map_err(io::Error::other)?;
        let all_in = c.total_in() as usize == job.data.len();
        let room_left = out.capacity() > out.len();
        if status == Status::StreamEnd || (!job.last && all_in && room_left) {
            break;
        }
    }
    let mut crc = Crc::new();
    crc.update(&job.data);
    Ok((out, crc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn roundtrip(data: &[u8], level: u32) -> Vec<u8> {
        let mut w = ParGzWriter::new(Vec::new(), level).unwrap();
        // Odd write sizes to cross block boundaries.
        for chunk in data.chunks(77_777) {
            w.write_all(chunk).unwrap();
        }
        let gz = w.finish().unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        gz
    }

    #[test]
    fn roundtrips_and_is_deterministic() {
        let mut data = Vec::new();
        let mut x: u32 = 1;
        for i in 0..(3 * BLOCK + 1234) {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            data.push(if i % 3 == 0 { (x >> 24) as u8 } else { b"hello world "[i % 12] });
        }
        for level in [1, 6, 9] {
            let a = roundtrip(&data, level);
            let b = roundtrip(&data, level);
            assert_eq!(a, b);
            assert_eq!(
                &a[..10],
                &[
                    0x1f,
                    0x8b,
                    8,
                    0,
                    0,
                    0,
                    0,
                    0,
                    if level == 9 {
                        2
                    } else if level == 1 {
                        4
                    } else {
                        0
                    },
                    3
                ]
            );
        }
        roundtrip(&[], 9);
        roundtrip(&data[..BLOCK], 9);
        roundtrip(&data[..2 * BLOCK], 9);
    }
}
