//! OSV advisories in JSON or YAML: one record per file, or a JSON array of
//! records.

use std::path::Path;

use bulwark_osv::Advisory;
use serde_json::Value;

use super::{FeedConverter, FeedError, Record, RecordError};

/// Range types the OSV schema defines.
const RANGE_TYPES: [&str; 3] = ["ECOSYSTEM", "SEMVER", "GIT"];

/// Maximum length of an advisory id, in bytes.
const MAX_ID_LEN: usize = 256;

/// Reads OSV advisories (<https://ossf.github.io/osv-schema/>).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsvConverter;

impl FeedConverter for OsvConverter {
    fn name(&self) -> &'static str {
        "osv"
    }

    fn detect(&self, path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return ["\"modified\"", "\"affected\"", "\"schema_version\""]
                .iter()
                .any(|key| trimmed.contains(key));
        }
        is_yaml_path(path)
            && trimmed.lines().any(|line| {
                ["id:", "modified:", "affected:", "schema_version:"]
                    .iter()
                    .any(|key| line.starts_with(key))
            })
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        if is_yaml_path(path) {
            convert_yaml(data, sink)
        } else {
            convert_json(data, sink)
        }
    }
}

fn is_yaml_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
}

fn convert_json(
    data: &[u8],
    sink: &mut dyn FnMut(Result<Record, RecordError>),
) -> Result<(), FeedError> {
    // Most files hold one valid record: parse it straight into the model and
    // take the slower path through `Value` only to explain a failure.
    if let Ok(advisory) = serde_json::from_slice::<Advisory>(data) {
        sink(checked(advisory, 0));
        return Ok(());
    }
    let value: Value =
        serde_json::from_slice(data).map_err(|e| FeedError::new(format!("invalid JSON: {e}")))?;
    match value {
        Value::Array(items) => {
            for (index, item) in items.into_iter().enumerate() {
                sink(from_value(item, index));
            }
        }
        item => sink(from_value(item, 0)),
    }
    Ok(())
}

fn convert_yaml(
    data: &[u8],
    sink: &mut dyn FnMut(Result<Record, RecordError>),
) -> Result<(), FeedError> {
    // Parse straight into the model, so that unquoted versions such as
    // `fixed: 1.10` keep their text instead of becoming the float 1.1.
    match yaml_serde::from_slice::<Advisory>(data) {
        Ok(advisory) => sink(checked(advisory, 0)),
        Err(error) => {
            let value: Value = yaml_serde::from_slice(data)
                .map_err(|e| FeedError::new(format!("invalid YAML: {e}")))?;
            let record = record_name(&value, 0);
            sink(Err(RecordError::new(
                record,
                format!("not a valid OSV record: {error}"),
            )));
        }
    }
    Ok(())
}

/// Converts one record parsed as a generic value, naming it by id or by
/// its position in the file when it fails.
fn from_value(value: Value, index: usize) -> Result<Record, RecordError> {
    let record = record_name(&value, index);
    if !value.is_object() {
        return Err(RecordError::new(record, "not a JSON object"));
    }
    if value.get("id").and_then(Value::as_str).is_none() {
        return Err(RecordError::new(
            record,
            "missing the required field \"id\"",
        ));
    }
    match serde_json::from_value::<Advisory>(value) {
        Ok(advisory) => checked(advisory, index),
        Err(e) => Err(RecordError::new(
            record,
            format!("not a valid OSV record: {e}"),
        )),
    }
}

fn record_name(value: &Value, index: usize) -> String {
    match value.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.chars().take(MAX_ID_LEN).collect(),
        _ => format!("#{index}"),
    }
}

/// Checks what the importer relies on: a usable id and known range types.
fn checked(advisory: Advisory, index: usize) -> Result<Record, RecordError> {
    let id = advisory.id.trim();
    if id.is_empty() {
        return Err(RecordError::new(
            format!("#{index}"),
            "missing the required field \"id\"",
        ));
    }
    if id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(RecordError::new(
            format!("#{index}"),
            format!("invalid id: longer than {MAX_ID_LEN} bytes or has control characters"),
        ));
    }
    for (a, affected) in advisory.affected.iter().enumerate() {
        for (r, range) in affected.ranges.iter().enumerate() {
            if !RANGE_TYPES.contains(&range.kind.as_str()) {
                return Err(RecordError::new(
                    &advisory.id,
                    format!(
                        "affected[{a}].ranges[{r}] has unknown range type {:?}; \
                         expected ECOSYSTEM, SEMVER or GIT",
                        range.kind.chars().take(40).collect::<String>()
                    ),
                ));
            }
        }
    }
    Ok(advisory.into())
}
