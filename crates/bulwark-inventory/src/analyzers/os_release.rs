//! Reads OS release files.

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact};
use crate::os::{OS_FILES, parse_os_file};

/// Reads `os-release` and the distribution-specific release files.
pub struct OsReleaseAnalyzer;

impl Analyzer for OsReleaseAnalyzer {
    fn name(&self) -> &'static str {
        "os-release"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.size < 64 << 10 && OS_FILES.contains(&info.path)
    }

    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        Ok(vec![Fact::Os(parse_os_file(path, data))])
    }
}
