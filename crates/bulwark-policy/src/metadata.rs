//! Reading of a module's package name and its OPA-style `# METADATA` block.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Severity;

/// Catalogue entry of one check, taken from its `# METADATA` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckInfo {
    /// Rule id such as `misconfig-dockerfile-root-user`.
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub remediation: String,
    pub references: Vec<String>,
    /// Input kinds the check applies to: `dockerfile`, `kubernetes`,
    /// `compose`, `terraform`, `cloudformation` or `image-config`.
    pub inputs: Vec<String>,
    /// Framework name to control ids, such as `cis-docker-1.6: [4.1]`.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Rego package of the module, such as `bulwark.dockerfile.root_user`.
    pub package: String,
    /// File the check came from: a path under `checks/` for built-in
    /// checks, the file path for user checks.
    pub source: String,
}

/// Input kinds a check may declare.
pub const INPUT_KINDS: [&str; 6] = [
    "dockerfile",
    "kubernetes",
    "compose",
    "terraform",
    "cloudformation",
    "image-config",
];

#[derive(Debug, Deserialize)]
struct RawMetadata {
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    related_resources: Vec<RelatedResource>,
    #[serde(default)]
    custom: RawCustom,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RelatedResource {
    Url(String),
    Ref { r#ref: String },
}

#[derive(Debug, Default, Deserialize)]
struct RawCustom {
    id: Option<String>,
    severity: Option<String>,
    #[serde(default)]
    input: Vec<String>,
    remediation: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    frameworks: BTreeMap<String, Vec<String>>,
}

/// Role of a module for the loader.
#[derive(Debug)]
pub(crate) enum ModuleRole {
    /// A check: it has a METADATA block and a `deny` rule.
    Check(Box<CheckInfo>),
    /// A helper library: no METADATA block and no `deny` rule.
    Library,
}

/// Returns the package named by the first `package` line of a module.
pub(crate) fn package_name(source: &str) -> Option<String> {
    source.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("package")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let name = rest.trim();
        (!name.is_empty()).then(|| name.to_owned())
    })
}

/// Reports whether the module defines a top-level `deny` rule.
fn defines_deny(source: &str) -> bool {
    source.lines().any(|line| {
        line.strip_prefix("deny")
            .is_some_and(|rest| rest.starts_with([' ', '\t', '[', '{', ':', '=']))
    })
}

/// Returns the YAML text of the first `# METADATA` comment block with the
/// line number of its first YAML line, or `None` without such a block.
fn metadata_block(source: &str) -> Option<(String, usize)> {
    let lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|line| line.trim() == "# METADATA")?;
    let mut yaml = String::new();
    for line in &lines[start + 1..] {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            break;
        };
        // Strip exactly one space after '#' so YAML indentation survives.
        yaml.push_str(comment.strip_prefix(' ').unwrap_or(comment));
        yaml.push('\n');
    }
    Some((yaml, start + 2))
}

/// Classifies a module and reads its metadata. `source_name` is the name
/// used in error messages and stored in [`CheckInfo::source`].
pub(crate) fn read_module(source_name: &str, source: &str) -> Result<ModuleRole, String> {
    let package =
        package_name(source).ok_or_else(|| format!("{source_name}: no `package` line found"))?;
    let Some((yaml, first_line)) = metadata_block(source) else {
        if defines_deny(source) {
            return Err(format!(
                "{source_name}: check `{package}` has no `# METADATA` block above its package line; \
                 add one with title, custom.id, custom.severity and custom.input"
            ));
        }
        return Ok(ModuleRole::Library);
    };
    let raw: RawMetadata = yaml_serde::from_str(&yaml).map_err(|err| {
        format!("{source_name}:{first_line}: invalid YAML in the METADATA block: {err}")
    })?;

    let mut missing = Vec::new();
    if raw.custom.id.as_deref().is_none_or(str::is_empty) {
        missing.push("custom.id");
    }
    if raw.custom.severity.is_none() {
        missing.push("custom.severity");
    }
    if raw.custom.input.is_empty() {
        missing.push("custom.input");
    }
    if !missing.is_empty() {
        return Err(format!(
            "{source_name}: METADATA of `{package}` is missing {}",
            missing.join(", ")
        ));
    }
    let severity_text = raw.custom.severity.unwrap_or_default();
    let severity: Severity = severity_text.parse().map_err(|()| {
        format!(
            "{source_name}: invalid custom.severity `{severity_text}`; \
             expected LOW, MEDIUM, HIGH or CRITICAL"
        )
    })?;
    for kind in &raw.custom.input {
        if !INPUT_KINDS.contains(&kind.as_str()) {
            return Err(format!(
                "{source_name}: invalid custom.input `{kind}`; expected one of {}",
                INPUT_KINDS.join(", ")
            ));
        }
    }

    let mut references = raw.custom.references;
    references.extend(raw.related_resources.into_iter().map(|r| match r {
        RelatedResource::Url(url) => url,
        RelatedResource::Ref { r#ref } => r#ref,
    }));
    let id = raw.custom.id.unwrap_or_default();
    Ok(ModuleRole::Check(Box::new(CheckInfo {
        title: raw.title.unwrap_or_else(|| id.clone()),
        id,
        description: raw.description.unwrap_or_default(),
        severity,
        remediation: raw.custom.remediation.unwrap_or_default(),
        references,
        inputs: raw.custom.input,
        frameworks: raw.custom.frameworks,
        package,
        source: source_name.to_owned(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECK: &str = "# METADATA\n# title: T\n# custom:\n#   id: x-1\n#   severity: high\n#   input: [kubernetes]\npackage a.b\n\ndeny contains \"m\" if true\n";

    #[test]
    fn reads_complete_metadata() {
        let ModuleRole::Check(info) = read_module("a.rego", CHECK).unwrap() else {
            panic!("expected a check");
        };
        assert_eq!(info.id, "x-1");
        assert_eq!(info.severity, Severity::High);
        assert_eq!(info.package, "a.b");
        assert_eq!(info.inputs, ["kubernetes"]);
    }

    #[test]
    fn rejects_missing_severity() {
        let source = CHECK.replace("#   severity: high\n", "");
        let err = read_module("dir/a.rego", &source).unwrap_err();
        assert!(err.starts_with("dir/a.rego:"), "{err}");
        assert!(err.contains("custom.severity"), "{err}");
    }

    #[test]
    fn rejects_check_without_metadata() {
        let err = read_module("a.rego", "package a\n\ndeny contains 1 if true\n").unwrap_err();
        assert!(err.contains("no `# METADATA` block"), "{err}");
    }

    #[test]
    fn library_without_deny() {
        let role = read_module("lib.rego", "package lib.x\n\nf(x) := x\n").unwrap();
        assert!(matches!(role, ModuleRole::Library));
    }
}
