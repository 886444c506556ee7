//! CISA's Known Exploited Vulnerabilities catalog in JSON
//! (`known_exploited_vulnerabilities.json`), or one catalog entry alone.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{FeedConverter, FeedError, KevEntry, Record, RecordError};

/// Reads the CISA KEV catalog.
#[derive(Debug, Default, Clone, Copy)]
pub struct KevConverter;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vendor_project: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    vulnerability_name: String,
    #[serde(default)]
    date_added: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: String,
    #[serde(default)]
    notes: String,
}

impl FeedConverter for KevConverter {
    fn name(&self) -> &'static str {
        "kev"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        text.trim_start().starts_with('{')
            && (text.contains("\"catalogVersion\"")
                || (text.contains("\"cveID\"") && text.contains("\"dateAdded\"")))
    }

    fn convert(
        &self,
        _path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        let value: Value = serde_json::from_slice(data)
            .map_err(|e| FeedError::new(format!("invalid JSON: {e}")))?;
        let items = match value {
            Value::Object(mut catalog) if catalog.contains_key("vulnerabilities") => {
                match catalog.remove("vulnerabilities") {
                    Some(Value::Array(items)) => items,
                    _ => return Err(FeedError::new("\"vulnerabilities\" is not an array")),
                }
            }
            entry @ Value::Object(_) => vec![entry],
            _ => return Err(FeedError::new("expected a KEV catalog object")),
        };
        for (index, item) in items.into_iter().enumerate() {
            sink(convert_entry(item, index));
        }
        Ok(())
    }
}

fn convert_entry(item: Value, index: usize) -> Result<Record, RecordError> {
    let name = item
        .get("cveID")
        .and_then(Value::as_str)
        .map_or_else(|| format!("vulnerabilities[{index}]"), str::to_owned);
    let entry: Entry = serde_json::from_value(item)
        .map_err(|e| RecordError::new(&name, format!("invalid KEV entry: {e}")))?;
    let cve = entry.cve_id.trim().to_ascii_uppercase();
    if !cve.starts_with("CVE-") {
        return Err(RecordError::new(
            &name,
            format!("cveID {cve:?} is not a CVE id"),
        ));
    }
    if entry.date_added.is_empty() {
        return Err(RecordError::new(&name, "missing dateAdded"));
    }
    Ok(Record::Kev(KevEntry {
        cve,
        date_added: entry.date_added,
        due_date: entry.due_date.filter(|d| !d.is_empty()),
        vendor: entry.vendor_project,
        product: entry.product,
        name: entry.vulnerability_name,
        ransomware_use: entry.known_ransomware_campaign_use,
        notes: entry.notes,
    }))
}
