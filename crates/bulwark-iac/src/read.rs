//! Bounded reads of files that may be hostile: symbolic links, FIFOs,
//! devices and files larger than [`MAX_FILE_SIZE`].

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::MAX_FILE_SIZE;

/// Bytes kept from the start of a file over the size limit, which is
/// enough to detect its kind.
pub(crate) const HEAD_LEN: usize = 64 * 1024;

/// Content of a regular file read by [`read_regular_file`].
#[derive(Debug)]
pub enum FileContent {
    /// The whole file, at most [`MAX_FILE_SIZE`] bytes.
    Whole(Vec<u8>),
    /// A file over the limit: its size in bytes and its first bytes.
    TooLarge { size: u64, head: Vec<u8> },
}

/// Reason that [`read_regular_file`] did not read a file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The path is a symbolic link, which is never followed.
    #[error("is a symbolic link, which is not followed")]
    SymbolicLink,
    /// The path is a FIFO, socket, device or directory.
    #[error("is a {0}, not a regular file")]
    NotRegular(&'static str),
    /// The file was replaced between the check and the open.
    #[error("changed while it was being opened")]
    Replaced,
    #[error("failed to read: {0}")]
    Io(#[from] io::Error),
}

/// Reads a regular file without following a symbolic link in its last
/// component and without opening a FIFO or device, which could block or
/// never end. At most [`MAX_FILE_SIZE`] bytes are kept, even if the file
/// grows while it is read.
pub fn read_regular_file(path: &Path) -> Result<FileContent, ReadError> {
    let before = fs::symlink_metadata(path)?;
    let file_type = before.file_type();
    if file_type.is_symlink() {
        return Err(ReadError::SymbolicLink);
    }
    if !file_type.is_file() {
        return Err(ReadError::NotRegular(describe_type(&before)));
    }
    // NOTE: a FIFO swapped in between the check above and this open still
    // blocks the open. Opening with O_NONBLOCK would close that window.
    let file = File::open(path)?;
    let opened = file.metadata()?;
    if opened.dev() != before.dev() || opened.ino() != before.ino() || !opened.is_file() {
        return Err(ReadError::Replaced);
    }
    let size = opened.len();
    let limit = if size > MAX_FILE_SIZE {
        HEAD_LEN as u64
    } else {
        MAX_FILE_SIZE + 1
    };
    let mut content = Vec::new();
    file.take(limit).read_to_end(&mut content)?;
    if size > MAX_FILE_SIZE {
        return Ok(FileContent::TooLarge {
            size,
            head: content,
        });
    }
    if content.len() as u64 > MAX_FILE_SIZE {
        // The file grew past the limit after the size check.
        let size = content.len() as u64;
        content.truncate(HEAD_LEN);
        return Ok(FileContent::TooLarge {
            size,
            head: content,
        });
    }
    Ok(FileContent::Whole(content))
}

fn describe_type(metadata: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        "directory"
    } else if file_type.is_fifo() {
        "FIFO"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}
