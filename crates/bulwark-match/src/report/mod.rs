//! Scan report writers.
//!
//! `table` and `json` are written here. SARIF, OpenVEX and CycloneDX VEX
//! have writers of their own in this module's sibling files.

mod common;
mod cyclonedx;
mod openvex;
mod sarif;
mod table;

use crate::finding::Report;

pub use cyclonedx::write_cyclonedx;
pub use openvex::write_openvex;
pub use sarif::write_sarif;
pub use table::write_table;

/// Output format of `bulwark scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable table, grouped by package.
    Table,
    /// The native JSON report, documented in `docs/scan-json.md`.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// CycloneDX 1.6 JSON with a vulnerabilities section (VEX).
    CycloneDx,
    /// OpenVEX JSON.
    OpenVex,
}

impl Format {
    /// Every format name, for help and error messages.
    pub const NAMES: &'static str = "table, json, sarif, cyclonedx or openvex";

    /// Parses a format name as given to `--format`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "table" => Self::Table,
            "json" => Self::Json,
            "sarif" => Self::Sarif,
            "cyclonedx" => Self::CycloneDx,
            "openvex" => Self::OpenVex,
            _ => return None,
        })
    }
}

/// A format whose writer is not part of this build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("output format {0} is not available yet; use table or json")]
pub struct UnavailableFormat(pub &'static str);

/// Renders `report` in `format`.
///
/// # Errors
///
/// [`UnavailableFormat`] for a format whose writer has not landed.
pub fn render(format: Format, report: &Report) -> Result<String, UnavailableFormat> {
    match format {
        Format::Table => Ok(write_table(report)),
        Format::Json => Ok(write_json(report)),
        Format::Sarif => Ok(write_sarif(report)),
        Format::CycloneDx => Ok(write_cyclonedx(report, document_timestamp(report))),
        Format::OpenVex => Ok(write_openvex(report, document_timestamp(report))),
    }
}

/// Writes the native JSON report, pretty-printed, with a final newline.
pub fn write_json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("reports always serialize");
    text.push('\n');
    text
}

/// Returns the issue time of VEX documents: `SOURCE_DATE_EPOCH` when set,
/// else the newest `modified` time of the advisory feeds the scan used, so
/// the same input and database give the same document. The Unix epoch is
/// the last resort for a database without modification times.
fn document_timestamp(report: &Report) -> i64 {
    if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
        match crate::policy::now_unix_seconds() {
            Ok(seconds) => return seconds,
            Err(error) => tracing::warn!("{error}; using the database's time"),
        }
    }
    report
        .database
        .iter()
        .filter_map(|feed| feed.newest_modified.as_deref())
        .filter_map(bulwark_vulndb::time::parse_rfc3339)
        .max()
        .unwrap_or(0)
}
