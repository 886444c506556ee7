//! Report writers. Each writer is a pure function of its input: the same
//! inventory gives the same bytes.

mod cyclonedx;
mod license;
mod meta;
mod native;
mod spdx_json;
mod table;

pub use cyclonedx::write_cyclonedx;
pub use meta::{DocumentMeta, TIMESTAMP_RANGE, format_timestamp};
pub use native::{NATIVE_SCHEMA_VERSION, write_native_json};
pub use spdx_json::write_spdx_json;
pub use table::write_table;

/// Output formats of `bulwark sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    /// A summary line and one row per package, for people.
    Table,
    /// The native JSON format described in `docs/json-format.md`.
    Json,
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    SpdxJson,
}

impl SbomFormat {
    /// Parses a `-f` value.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "table" => Self::Table,
            "json" => Self::Json,
            "cyclonedx" | "cyclonedx-json" => Self::CycloneDx,
            "spdx-json" | "spdx" => Self::SpdxJson,
            _ => return None,
        })
    }
}

/// Renders an inventory in the chosen format.
pub fn render_sbom(
    format: SbomFormat,
    inventory: &bulwark_inventory::Inventory,
    meta: &DocumentMeta,
) -> String {
    match format {
        SbomFormat::Table => write_table(inventory),
        SbomFormat::Json => write_native_json(inventory),
        SbomFormat::CycloneDx => write_cyclonedx(inventory, meta),
        SbomFormat::SpdxJson => write_spdx_json(inventory, meta),
    }
}
