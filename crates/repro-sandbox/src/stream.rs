//! Bridges between blocking tar readers/writers and the async byte streams of the Docker API.
//!
//! Tarballs are produced and consumed on blocking threads (`tar` is synchronous) and travel
//! through bounded channels, so neither side holds a whole archive in memory.

use std::io::{self, Read, Write};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use tokio::sync::mpsc;

/// A blocking `Write` whose bytes come out of an async stream, in chunks of `chunk` bytes.
pub struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: BytesMut,
    chunk: usize,
}

impl ChannelWriter {
    /// A writer and the stream that yields what is written. At most `depth` chunks are in flight.
    pub fn pair(
        depth: usize,
        chunk: usize,
    ) -> (ChannelWriter, impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static) {
        let (tx, rx) = mpsc::channel(depth.max(1));
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        (ChannelWriter { tx, buf: BytesMut::with_capacity(chunk), chunk }, stream)
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let data = self.buf.split().freeze();
        self.buf.reserve(self.chunk);
        self.tx
            .blocking_send(Ok(data))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the receiving side closed"))
    }

    /// Flushes the last chunk and ends the stream.
    pub fn finish(mut self) -> io::Result<()> {
        self.send()
    }

    /// Ends the stream with an error (the consumer sees it instead of a silently short stream).
    pub fn fail(self, err: io::Error) {
        let _ = self.tx.blocking_send(Err(err));
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= self.chunk {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A blocking `Read` fed by an async producer through a bounded channel.
pub struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, io::Error>>,
    cur: Bytes,
}

impl ChannelReader {
    /// A reader and the sender the async side pushes chunks into (drop it to signal EOF).
    pub fn pair(depth: usize) -> (mpsc::Sender<Result<Bytes, io::Error>>, ChannelReader) {
        let (tx, rx) = mpsc::channel(depth.max(1));
        (tx, ChannelReader { rx, cur: Bytes::new() })
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.cur.len());
        out[..n].copy_from_slice(&self.cur[..n]);
        let _ = self.cur.split_to(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writer_stream_carries_every_byte() {
        let (mut w, s) = ChannelWriter::pair(2, 1000);
        let producer = tokio::task::spawn_blocking(move || {
            for i in 0..10_000u32 {
                w.write_all(&i.to_le_bytes()).unwrap();
            }
            w.finish().unwrap();
        });
        let chunks: Vec<Bytes> = s.map(|r| r.unwrap()).collect().await;
        producer.await.unwrap();
        let all: Vec<u8> = chunks.concat();
        assert_eq!(all.len(), 40_000);
        assert_eq!(&all[4..8], &1u32.to_le_bytes());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reader_sees_chunks_then_eof_or_error() {
        let (tx, mut r) = ChannelReader::pair(2);
        let consumer = tokio::task::spawn_blocking(move || {
            let mut s = Vec::new();
            let res = r.read_to_end(&mut s);
            (s, res.is_err())
        });
        tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
        tx.send(Ok(Bytes::from_static(b"def"))).await.unwrap();
        drop(tx);
        let (s, failed) = consumer.await.unwrap();
        assert_eq!(s, b"abcdef");
        assert!(!failed);

        let (tx, mut r) = ChannelReader::pair(2);
        let consumer = tokio::task::spawn_blocking(move || r.read_to_end(&mut Vec::new()).is_err());
        tx.send(Err(io::Error::other("boom"))).await.unwrap();
        assert!(consumer.await.unwrap());
    }
}
