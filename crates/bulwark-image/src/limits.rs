/// Resource limits applied to untrusted images.
///
/// The defaults admit real images of several GiB while rejecting
/// decompression bombs and absurd metadata.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Maximum uncompressed size of one layer, in bytes.
    pub max_layer_bytes: u64,
    /// Maximum ratio of uncompressed to compressed bytes, checked once a
    /// layer has expanded past `ratio_grace_bytes`.
    pub max_ratio: u64,
    /// Uncompressed bytes a layer may produce before `max_ratio` applies.
    pub ratio_grace_bytes: u64,
    /// Maximum size of a file handed to analyzers, in bytes. Larger files
    /// are skipped with a warning.
    pub max_file_bytes: u64,
    /// Maximum size of a manifest, index or config document, in bytes.
    pub max_metadata_bytes: u64,
    /// Maximum number of tar entries in one layer.
    pub max_entries: u64,
    /// Maximum length of an entry path or link target, in bytes.
    pub max_path_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_layer_bytes: 32 << 30,
            max_ratio: 200,
            ratio_grace_bytes: 256 << 20,
            max_file_bytes: 256 << 20,
            max_metadata_bytes: 8 << 20,
            max_entries: 4_000_000,
            max_path_bytes: 4096,
        }
    }
}
