//! Location of the database file.

use std::path::{Path, PathBuf};

/// The database file inside a cache directory: `db/bulwark.db`.
pub const DB_RELATIVE_PATH: &str = "db/bulwark.db";

/// Returns the default cache directory: `$XDG_CACHE_HOME/bulwark`, else
/// `$HOME/.cache/bulwark`, else `.bulwark-cache` in the current directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("bulwark");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("bulwark");
    }
    PathBuf::from(".bulwark-cache")
}

/// Returns the database file under `cache_dir`.
pub fn db_path(cache_dir: &Path) -> PathBuf {
    cache_dir.join(DB_RELATIVE_PATH)
}
