//! Secret scanning inside `bulwark scan`: every file of every image layer,
//! including files that later layers delete or replace, and the image
//! config, whose `Env`, `Cmd`, labels and history keep build arguments.

use bulwark_image::{EntryInfo, FileHandler, Image};
use bulwark_inventory::ExtraOutputs;
use bulwark_match::{Layer, RuleFinding, RuleKind, SeverityLevel};
use bulwark_secrets::{FileScan, Scanner, SecretFinding, Severity};
use serde_json::Value;

/// Path of findings in the image config.
pub(crate) const IMAGE_CONFIG_PATH: &str = "image config";

/// Runs the secret scanner on the files that the layer walker hands over.
pub(crate) struct SecretHandler<'a> {
    pub(crate) scanner: &'a Scanner,
}

impl FileHandler for SecretHandler<'_> {
    type Output = FileScan;

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        self.scanner.wants(info.path, info.size)
    }

    fn handle(&self, info: &EntryInfo<'_>, data: &[u8]) -> Option<FileScan> {
        let scan = self.scanner.scan_file(info.path, data);
        (!scan.findings.is_empty() || !scan.warnings.is_empty()).then_some(scan)
    }
}

/// Secret findings of a scan and the files the scanner could not read
/// whole.
#[derive(Default)]
pub(crate) struct SecretResults {
    pub(crate) findings: Vec<RuleFinding>,
    pub(crate) warnings: Vec<String>,
}

/// Turns the scanner's outputs of one pass over the layers into findings.
/// A file's last version in the final filesystem is visible; older
/// versions of the same path and files that a later layer deleted are
/// marked as removed, because their layers still ship them. `layers`
/// holds the diff ids of an image's layers, and is `None` for a directory.
pub(crate) fn collect(
    outputs: ExtraOutputs<FileScan>,
    layers: Option<&[Option<String>]>,
) -> SecretResults {
    let mut results = SecretResults::default();
    let layer_of = |index: usize| {
        layers.map(|layers| Layer {
            index,
            diff_id: layers.get(index).cloned().flatten(),
        })
    };
    for (path, history) in outputs.outputs {
        let final_layer = outputs.final_layers.get(&path).copied();
        for (layer, scan) in history {
            let removed = final_layer.is_some_and(|last| layer != last);
            results.add(scan, layer_of(layer), removed);
        }
    }
    for (_, layer, scan) in outputs.hidden {
        results.add(scan, layer_of(layer), true);
    }
    results
}

impl SecretResults {
    fn add(&mut self, scan: FileScan, layer: Option<Layer>, removed: bool) {
        for warning in scan.warnings {
            self.warnings
                .push(format!("{}: {}", warning.path, warning.message));
        }
        for finding in scan.findings {
            self.findings
                .push(rule_finding(finding, layer.clone(), removed, None));
        }
    }
}

/// Scans the strings of an image config where build-time secrets leak:
/// `Env`, `Cmd`, `Entrypoint`, labels and each `history[].created_by`.
pub(crate) fn scan_image_config(scanner: &Scanner, image: &Image) -> Vec<RuleFinding> {
    let mut findings = Vec::new();
    for (resource, text) in config_strings(&image.config) {
        for finding in scanner.scan_text(IMAGE_CONFIG_PATH, &text) {
            findings.push(rule_finding(finding, None, false, Some(resource.clone())));
        }
    }
    findings
}

/// Lists the config strings to scan with the field they come from, such
/// as `config.Env[2]` or `history[4].created_by`.
fn config_strings(config: &Value) -> Vec<(String, String)> {
    let mut strings = Vec::new();
    let runtime = &config["config"];
    for field in ["Env", "Cmd", "Entrypoint"] {
        if let Some(items) = runtime[field].as_array() {
            for (index, item) in items.iter().enumerate() {
                if let Some(text) = item.as_str() {
                    strings.push((format!("config.{field}[{index}]"), text.to_owned()));
                }
            }
        }
    }
    if let Some(labels) = runtime["Labels"].as_object() {
        for (key, value) in labels {
            if let Some(text) = value.as_str() {
                strings.push((format!("config.Labels.{key}"), format!("{key}={text}")));
            }
        }
    }
    if let Some(history) = config["history"].as_array() {
        for (index, entry) in history.iter().enumerate() {
            if let Some(text) = entry["created_by"].as_str() {
                strings.push((format!("history[{index}].created_by"), text.to_owned()));
            }
        }
    }
    strings
}

/// Converts a scanner finding. The snippet is already masked and the
/// fingerprint is a one-way hash, so nothing here carries the secret.
fn rule_finding(
    finding: SecretFinding,
    layer: Option<Layer>,
    removed: bool,
    resource: Option<String>,
) -> RuleFinding {
    let mut message = format!("{} found", finding.title);
    if removed {
        message.push_str("; a later layer removed the file, but this layer still ships it");
    }
    let (line, column) = if resource.is_some() {
        (None, None)
    } else {
        (Some(finding.line), Some(finding.column))
    };
    RuleFinding {
        kind: RuleKind::Secret,
        rule_id: finding.rule_id,
        title: finding.title,
        severity: severity_level(finding.severity),
        path: finding.path,
        line,
        column,
        resource,
        message,
        snippet: Some(finding.snippet),
        fingerprint: Some(finding.fingerprint),
        layer,
        removed_in_later_layer: removed,
        suppressed: None,
        notes: Vec::new(),
    }
}

pub(crate) fn severity_level(severity: Severity) -> SeverityLevel {
    match severity {
        Severity::Low => SeverityLevel::Low,
        Severity::Medium => SeverityLevel::Medium,
        Severity::High => SeverityLevel::High,
        Severity::Critical => SeverityLevel::Critical,
    }
}
