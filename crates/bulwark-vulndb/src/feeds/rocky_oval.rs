//! Rocky Linux OVAL files (`org.rockylinux.rlsa-9.xml`): Red Hat's layout
//! with RLSA advisories, converted by [`super::redhat_oval`].
//!
//! The release is read from each definition's release check ("Rocky Linux
//! 9 must be installed", version pattern `^9[^\d]`), never from the file
//! name: the corpus copy named `rlsa-8` holds Rocky Linux 9 advisories.

use std::path::Path;

use super::oval;
use super::redhat_oval::{Distribution, convert_definition};
use super::{FeedConverter, FeedError, Record, RecordError};

/// Converts Rocky Linux OVAL files.
#[derive(Debug, Default, Clone, Copy)]
pub struct RockyOval;

impl FeedConverter for RockyOval {
    fn name(&self) -> &'static str {
        "rocky-oval"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        oval::is_oval_with(head, "Rocky OVAL Patch Definition Merger")
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        oval::convert_file(path, data, sink, |definition, tables| {
            convert_definition(definition, tables, Distribution::Rocky)
        })
    }
}
