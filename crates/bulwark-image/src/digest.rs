use std::fmt;
use std::io::{self, Read};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// A content digest in the OCI `algorithm:hex` form. Only `sha256` is
/// accepted, as every registry and archive format in use produces it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(String);

impl Digest {
    /// Parses `sha256:<64 lowercase hex digits>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(hex_part) = text.strip_prefix("sha256:") else {
            return Err(format!(
                "unsupported digest {text:?}: expected sha256:<hex>"
            ));
        };
        if hex_part.len() != 64
            || !hex_part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!(
                "invalid digest {text:?}: expected 64 lowercase hex digits"
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// Computes the sha256 digest of `data`.
    pub fn of(data: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(data);
        Self::from_hasher(hasher)
    }

    pub(crate) fn from_hasher(hasher: Sha256) -> Self {
        Self(format!("sha256:{}", hex::encode(hasher.0.finish())))
    }

    /// The full `sha256:<hex>` text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex part without the algorithm prefix.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An incremental SHA-256. It uses ring's implementation, which runs the
/// CPU's SHA instructions where present: hashing every layer twice (blob
/// digest and diff id) is most of the CPU time of a scan.
#[derive(Clone)]
pub(crate) struct Sha256(ring::digest::Context);

impl Sha256 {
    pub(crate) fn new() -> Self {
        Self(ring::digest::Context::new(&ring::digest::SHA256))
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
}

/// Bytes handed to the hashing thread at a time.
const CHUNK_BYTES: usize = 1 << 20;

/// A SHA-256 computed on its own thread, so that hashing a layer overlaps
/// its decompression and tar parsing. Falls back to hashing inline when
/// the thread cannot be started.
pub(crate) struct BackgroundHasher {
    pending: Vec<u8>,
    sender: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<Sha256>>,
    inline: Option<Sha256>,
    count: u64,
}

impl BackgroundHasher {
    pub(crate) fn new() -> Self {
        let (sender, receiver) = sync_channel::<Vec<u8>>(4);
        let worker = std::thread::Builder::new()
            .name("sha256".to_owned())
            .spawn(move || {
                let mut hasher = Sha256::new();
                for chunk in receiver {
                    hasher.update(&chunk);
                }
                hasher
            })
            .ok();
        let (sender, inline) = match worker {
            Some(_) => (Some(sender), None),
            None => (None, Some(Sha256::new())),
        };
        Self {
            pending: Vec::with_capacity(CHUNK_BYTES),
            sender,
            worker,
            inline,
            count: 0,
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.count += data.len() as u64;
        if let Some(inline) = self.inline.as_mut() {
            inline.update(data);
            return;
        }
        self.pending.extend_from_slice(data);
        if self.pending.len() >= CHUNK_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK_BYTES));
        if chunk.is_empty() {
            return;
        }
        let sent = self.sender.as_ref().is_some_and(|s| s.send(chunk).is_ok());
        if !sent {
            // The worker only stops early if it panicked; the digest is
            // then wrong and the caller's comparison reports a mismatch.
            tracing::error!("sha256 worker thread stopped");
        }
    }

    pub(crate) fn finish(mut self) -> (Digest, u64) {
        if let Some(inline) = self.inline.take() {
            return (Digest::from_hasher(inline), self.count);
        }
        self.flush();
        self.sender = None;
        let hasher = self
            .worker
            .take()
            .and_then(|worker| worker.join().ok())
            .unwrap_or_else(Sha256::new);
        (Digest::from_hasher(hasher), self.count)
    }
}

/// A reader that hashes and counts every byte passing through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: BackgroundHasher,
}

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: BackgroundHasher::new(),
        }
    }

    pub(crate) fn finish(self) -> (Digest, u64) {
        self.hasher.finish()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
