//! Reads one import input: files, directories and archives, with every
//! size bounded by [`Limits`].

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use sha2::{Digest, Sha256};

use super::{Collector, Limits, Problem, Progress, pick};
use crate::feeds::{DETECT_HEAD_LEN, FeedConverter};

/// Decompressed files larger than this are checked against
/// [`Limits::max_ratio`]; small files of repeated text compress far better
/// than a feed does, and are harmless.
const RATIO_CHECK_MIN_BYTES: u64 = 1 << 20;

/// Extensions of files that should have been converted: when no converter
/// detects one, it is reported instead of silently ignored.
const DATA_EXTENSIONS: [&str; 5] = ["json", "yaml", "yml", "csv", "xml"];

/// A result whose error is the reason an input as a whole failed.
type InputResult<T> = Result<T, String>;

pub(crate) struct Walker<'a, 'p> {
    pub converters: &'a [Box<dyn FeedConverter>],
    pub forced: Option<&'a dyn FeedConverter>,
    pub limits: Limits,
    pub collector: Collector,
    pub problems: Vec<Problem>,
    pub progress: &'p mut dyn FnMut(Progress),
    pub files: u64,
    pub bytes: u64,
}

/// Compression format of a stream, detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
}

impl Compression {
    fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Self::Gzip
        } else if head.starts_with(b"BZh") {
            Self::Bzip2
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Self::Xz
        } else {
            Self::None
        }
    }

    fn wrap<'r>(self, reader: impl Read + 'r) -> Box<dyn Read + 'r> {
        match self {
            Self::None => Box::new(reader),
            Self::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            Self::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(reader)),
            Self::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(reader)),
        }
    }
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar".as_slice())
}

/// Counts the bytes read from the input file, for progress.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Reads up to `limit` bytes, failing with a reason when there are more.
fn read_bounded(reader: &mut dyn Read, limit: u64) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| format!("read failed: {e}"))?;
    if data.len() as u64 > limit {
        return Err(format!(
            "larger than the limit of {} MiB; skipped",
            limit >> 20
        ));
    }
    Ok(data)
}

/// Reads into `buf` until it is full or the stream ends.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Returns whether an archive member path could escape a directory it were
/// extracted into: absolute, or with a `..` component.
fn is_unsafe_member(name: &str) -> bool {
    let normalized = name.replace('\\', "/");
    normalized.starts_with('/')
        || normalized.split('/').any(|part| part == "..")
        || normalized.as_bytes().get(1) == Some(&b':')
        || Path::new(&normalized).components().any(|c| {
            matches!(
                c,
                Component::Prefix(_) | Component::RootDir | Component::ParentDir
            )
        })
}

/// Removes a compression extension: `a.json.gz` is converted as `a.json`.
fn strip_compression_extension(path: &Path) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()) {
        Some("gz" | "bz2" | "xz") => path.with_extension(""),
        Some("tgz") => path.with_extension("tar"),
        _ => path.to_owned(),
    }
}

impl Walker<'_, '_> {
    fn problem(&mut self, file: &str, reason: impl Into<String>) {
        let reason = reason.into();
        tracing::warn!("{file}: {reason}");
        self.problems.push(Problem {
            file: file.to_owned(),
            record: None,
            reason,
        });
    }

    fn report(&mut self, event: Progress) {
        (self.progress)(event);
    }

    /// Counts a file against the input's limits.
    fn count_file(&mut self, bytes: u64) -> InputResult<()> {
        self.files += 1;
        self.bytes += bytes;
        if self.files > self.limits.max_files {
            return Err(format!(
                "more than {} files; the input was not imported",
                self.limits.max_files
            ));
        }
        if self.bytes > self.limits.max_input_bytes {
            return Err(format!(
                "more than {} MiB after decompression",
                self.limits.max_input_bytes >> 20
            ));
        }
        Ok(())
    }

    /// Reads one input and returns its SHA-256 and size.
    pub(crate) fn read_input(&mut self, path: &Path) -> InputResult<(String, u64)> {
        let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
        if metadata.is_dir() {
            return self.read_dir(path);
        }
        let (sha256, size) = sha256_file(path).map_err(|e| format!("read failed: {e}"))?;
        self.report(Progress::Reading {
            input: path.display().to_string(),
            total: size,
        });
        let display = path.display().to_string();
        let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        let count = Rc::new(Cell::new(0));
        let mut reader = BufReader::with_capacity(
            256 << 10,
            Counting {
                inner: file,
                count: Rc::clone(&count),
            },
        );
        let mut magic = [0u8; 6];
        let n = fill(&mut reader, &mut magic).map_err(|e| format!("read failed: {e}"))?;
        if is_zip(&magic[..n]) {
            drop(reader);
            let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
            self.read_zip(file, &display, size)?;
        } else {
            let compression = Compression::sniff(&magic[..n]);
            let raw = Cursor::new(magic[..n].to_vec()).chain(reader);
            let stream = compression.wrap(raw);
            self.read_stream(stream, path, &display, compression, size, &count)?;
        }
        self.report(Progress::Advance { done: size });
        Ok((sha256, size))
    }

    /// Reads a file that is not a zip: a tar archive (maybe compressed), or
    /// one feed file (maybe compressed).
    fn read_stream(
        &mut self,
        mut stream: Box<dyn Read + '_>,
        path: &Path,
        display: &str,
        compression: Compression,
        size: u64,
        count: &Rc<Cell<u64>>,
    ) -> InputResult<()> {
        let mut head = vec![0u8; 512];
        let n = fill(&mut stream, &mut head).map_err(|e| format!("read failed: {e}"))?;
        head.truncate(n);
        let stream = Cursor::new(head.clone()).chain(stream);
        if is_tar(&head) {
            return self.read_tar(stream, display, count);
        }
        let mut stream = stream;
        let data = read_bounded(&mut stream, self.limits.max_file_bytes)?;
        if compression != Compression::None
            && data.len() as u64 > RATIO_CHECK_MIN_BYTES
            && data.len() as u64 / size.max(1) > self.limits.max_ratio
        {
            return Err(format!(
                "decompresses to {} bytes from {size}, over the ratio limit of {}:1",
                data.len(),
                self.limits.max_ratio
            ));
        }
        self.count_file(data.len() as u64)?;
        let member = strip_compression_extension(path);
        self.convert(display, &member, data, true);
        Ok(())
    }

    fn read_tar(
        &mut self,
        stream: impl Read,
        display: &str,
        count: &Rc<Cell<u64>>,
    ) -> InputResult<()> {
        let mut archive = tar::Archive::new(stream);
        let entries = archive
            .entries()
            .map_err(|e| format!("invalid tar archive: {e}"))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| format!("invalid tar archive: {e}"))?;
            let kind = entry.header().entry_type();
            if !(kind.is_file() || kind == tar::EntryType::Continuous) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let member_display = format!("{display}!{name}");
            if is_unsafe_member(&name) {
                self.problem(
                    &member_display,
                    "unsafe member path (absolute or with ..); skipped",
                );
                continue;
            }
            let declared = entry.header().size().unwrap_or(u64::MAX);
            if declared > self.limits.max_file_bytes {
                self.problem(
                    &member_display,
                    format!(
                        "member of {declared} bytes is over the limit of {} MiB; skipped",
                        self.limits.max_file_bytes >> 20
                    ),
                );
                continue;
            }
            let data = read_bounded(&mut entry, self.limits.max_file_bytes)
                .map_err(|e| format!("invalid tar archive at {name}: {e}"))?;
            self.count_file(data.len() as u64)?;
            self.convert_member(&member_display, Path::new(&name), data);
            self.report(Progress::Advance { done: count.get() });
        }
        Ok(())
    }

    fn read_zip(&mut self, file: File, display: &str, size: u64) -> InputResult<()> {
        let mut archive = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| format!("invalid zip archive: {e}"))?;
        if archive.len() as u64 > self.limits.max_files {
            return Err(format!(
                "zip archive has {} entries, over the limit of {}",
                archive.len(),
                self.limits.max_files
            ));
        }
        let total = archive.len().max(1) as u64;
        for index in 0..archive.len() {
            let mut entry = match archive.by_index(index) {
                Ok(entry) => entry,
                Err(e) => {
                    self.problem(
                        &format!("{display}!#{index}"),
                        format!("unreadable zip entry: {e}; skipped"),
                    );
                    continue;
                }
            };
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            let member_display = format!("{display}!{name}");
            if entry.is_dir() || entry.is_symlink() {
                continue;
            }
            if is_unsafe_member(&name) || entry.enclosed_name().is_none() {
                self.problem(
                    &member_display,
                    "unsafe entry path (absolute or with ..); skipped",
                );
                continue;
            }
            let declared = entry.size();
            let compressed = entry.compressed_size();
            if declared > self.limits.max_file_bytes {
                self.problem(
                    &member_display,
                    format!(
                        "entry of {declared} bytes is over the limit of {} MiB; skipped",
                        self.limits.max_file_bytes >> 20
                    ),
                );
                continue;
            }
            if declared > RATIO_CHECK_MIN_BYTES
                && declared / compressed.max(1) > self.limits.max_ratio
            {
                self.problem(
                    &member_display,
                    format!(
                        "entry decompresses to {declared} bytes from {compressed}, over the \
                         ratio limit of {}:1 (a zip bomb?); skipped",
                        self.limits.max_ratio
                    ),
                );
                continue;
            }
            // The declared size bounds the read, so an entry whose data
            // runs past it is caught instead of trusted.
            let data = match read_bounded(&mut entry, declared) {
                Ok(data) => data,
                Err(reason) => {
                    self.problem(&member_display, format!("entry {reason}"));
                    continue;
                }
            };
            drop(entry);
            self.count_file(data.len() as u64)?;
            self.convert_member(&member_display, Path::new(&name), data);
            self.report(Progress::Advance {
                done: size * (index as u64 + 1) / total,
            });
        }
        Ok(())
    }

    fn read_dir(&mut self, root: &Path) -> InputResult<(String, u64)> {
        let mut files = Vec::new();
        collect_files(root, &mut files).map_err(|e| format!("cannot list: {e}"))?;
        files.sort();
        let total: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        self.report(Progress::Reading {
            input: root.display().to_string(),
            total,
        });
        let mut listing = Sha256::new();
        let mut done = 0u64;
        for file in files {
            let display = file.display().to_string();
            let relative = file.strip_prefix(root).unwrap_or(&file).to_owned();
            let data = match File::open(&file)
                .map_err(|e| format!("cannot open: {e}"))
                .and_then(|mut f| read_bounded(&mut f, self.limits.max_file_bytes))
            {
                Ok(data) => data,
                Err(reason) => {
                    self.problem(&display, reason);
                    continue;
                }
            };
            done += data.len() as u64;
            listing.update(format!(
                "{}  {}\n",
                hex::encode(Sha256::digest(&data)),
                relative.display()
            ));
            self.count_file(data.len() as u64)?;
            self.convert_member(&display, &relative, data);
            self.report(Progress::Advance { done });
        }
        Ok((hex::encode(listing.finalize()), total))
    }

    /// Converts a file from inside an archive or directory, decompressing
    /// it first when it is a `.gz`, `.bz2` or `.xz` file.
    fn convert_member(&mut self, display: &str, path: &Path, data: Vec<u8>) {
        let compression = Compression::sniff(&data);
        if compression == Compression::None {
            self.convert(display, path, data, false);
            return;
        }
        let compressed = data.len() as u64;
        let mut stream = compression.wrap(Cursor::new(data));
        let decompressed = match read_bounded(&mut stream, self.limits.max_file_bytes) {
            Ok(d) => d,
            Err(reason) => {
                self.problem(display, format!("decompression failed: {reason}"));
                return;
            }
        };
        if decompressed.len() as u64 > RATIO_CHECK_MIN_BYTES
            && decompressed.len() as u64 / compressed.max(1) > self.limits.max_ratio
        {
            self.problem(
                display,
                format!(
                    "decompresses to {} bytes from {compressed}, over the ratio limit of {}:1; skipped",
                    decompressed.len(),
                    self.limits.max_ratio
                ),
            );
            return;
        }
        self.convert(
            display,
            &strip_compression_extension(path),
            decompressed,
            false,
        );
    }

    /// Hands one file to its converter and collects the records.
    fn convert(&mut self, file: &str, path: &Path, data: Vec<u8>, top_level: bool) {
        let head = &data[..data.len().min(DETECT_HEAD_LEN)];
        let Some(converter) = pick(self.converters, self.forced, path, head, top_level) else {
            let is_data = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| DATA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            // A file named on the command line was meant to be a feed,
            // whatever its extension.
            if is_data || top_level {
                self.collector.skip();
                self.problem(
                    file,
                    "no converter recognizes this file; name one with --format; skipped",
                );
            } else {
                tracing::debug!("{file}: not a feed file; ignored");
            }
            return;
        };
        self.collector.recognized = true;
        let format = converter.name();
        let collector = &mut self.collector;
        let problems = &mut self.problems;
        let result = converter.convert(path, &data, &mut |record| match record {
            Ok(record) => collector.add(record, format),
            Err(error) => {
                collector.skip();
                tracing::warn!("{file}: {error}; skipped");
                problems.push(Problem {
                    file: file.to_owned(),
                    record: Some(error.record),
                    reason: error.reason,
                });
            }
        });
        if let Err(error) = result {
            self.collector.skip();
            self.problem(file, format!("{format}: {error}; skipped"));
        }
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_files(&entry.path(), files)?;
        } else if kind.is_file() {
            files.push(entry.path());
        }
        // Symbolic links are not followed, so a link cannot make the walk
        // loop or leave the directory.
    }
    Ok(())
}

fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_members_detected() {
        assert!(is_unsafe_member("../etc/passwd"));
        assert!(is_unsafe_member("a/../../b.json"));
        assert!(is_unsafe_member("/abs.json"));
        assert!(is_unsafe_member("C:/x.json"));
        assert!(is_unsafe_member("..\\x.json"));
        assert!(!is_unsafe_member("PyPI/PYSEC-2021-1.json"));
        assert!(!is_unsafe_member("a..b.json"));
    }
}
