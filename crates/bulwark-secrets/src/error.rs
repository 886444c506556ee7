use std::io;
use std::path::PathBuf;

/// Errors of loading a secret config or building a [`crate::Scanner`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read secret config {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// The YAML does not parse or does not fit the schema. The message of
    /// the YAML library names the key path and the line and column.
    #[error("invalid secret config {origin}: {message}")]
    Parse { origin: String, message: String },
    /// A value parsed but is not valid, for example a regex that does not
    /// compile or an unknown rule id.
    #[error("invalid secret config {origin}: {key}: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}
