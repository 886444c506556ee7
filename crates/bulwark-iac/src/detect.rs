//! File kind detection.
//!
//! Rules, in order:
//! 1. `*.tf` and `*.tf.json` are Terraform.
//! 2. `*.yaml`, `*.yml` and `*.json` files are classified by their top-level
//!    keys. `AWSTemplateFormatVersion`, or `Resources` with an `AWS::` type,
//!    means CloudFormation (also for `*.template`). `apiVersion` and `kind`
//!    mean Kubernetes. `services` without `apiVersion` in a YAML file means
//!    Compose.
//!    Files under a `templates` directory that contain `{{` are Helm
//!    templates, which are not configuration until rendered.
//! 3. Files named `Dockerfile*`, `Containerfile*` or `*.dockerfile` are
//!    Dockerfiles.
//! 4. Any other file is a Dockerfile if its first line that is neither blank
//!    nor a comment is a `FROM` or `ARG` instruction and a `FROM` line
//!    follows.

use std::path::Path;

use crate::FileKind;

/// Bytes read to sniff a file of unknown name for Dockerfile instructions.
const SNIFF_LEN: usize = 64 * 1024;

pub(crate) fn detect(path: &Path, content: &[u8]) -> Option<FileKind> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".tf") || name.ends_with(".tf.json") {
        return Some(FileKind::Terraform);
    }
    let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    let is_json = name.ends_with(".json");
    let is_template = name.ends_with(".template");
    if is_yaml || is_json || is_template {
        let text = String::from_utf8_lossy(content);
        if is_helm_template(path, &text) {
            return None;
        }
        let keys = if is_json {
            json_top_level_keys(&text)
        } else {
            yaml_top_level_keys(&text)
        };
        let has = |key: &str| keys.iter().any(|k| k == key);
        let aws_types = text.contains("AWS::");
        if has("AWSTemplateFormatVersion") || (has("Resources") && aws_types) {
            return Some(FileKind::CloudFormation);
        }
        if is_template {
            return None;
        }
        if has("apiVersion") && has("kind") {
            return Some(FileKind::Kubernetes);
        }
        if is_yaml && has("services") && !has("apiVersion") {
            return Some(FileKind::Compose);
        }
        return None;
    }
    if name.starts_with("dockerfile")
        || name.starts_with("containerfile")
        || name.ends_with(".dockerfile")
    {
        return Some(FileKind::Dockerfile);
    }
    looks_like_dockerfile(content).then_some(FileKind::Dockerfile)
}

fn is_helm_template(path: &Path, text: &str) -> bool {
    path.components()
        .any(|component| component.as_os_str() == "templates")
        && text.contains("{{")
}

/// Returns the keys of unindented `key:` lines of every document.
fn yaml_top_level_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let Some(first) = line.chars().next() else {
            continue;
        };
        if first.is_whitespace() || matches!(first, '#' | '-' | '{' | '[' | '%' | '}' | ']') {
            continue;
        }
        let Some((key, _)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
        keys.push(key.to_owned());
    }
    keys
}

fn json_top_level_keys(text: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn looks_like_dockerfile(content: &[u8]) -> bool {
    let head = &content[..content.len().min(SNIFF_LEN)];
    if head.contains(&0) {
        return false;
    }
    let text = String::from_utf8_lossy(head);
    let mut significant = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let Some(first) = significant.next() else {
        return false;
    };
    let first_word = |line: &str| {
        line.split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase()
    };
    let first_keyword = first_word(first);
    match first_keyword.as_str() {
        "FROM" => is_from_instruction(first),
        "ARG" => {
            first.split_whitespace().nth(1).is_some()
                && significant.any(|line| first_word(line) == "FROM" && is_from_instruction(line))
        }
        _ => false,
    }
}

/// Checks the shape `FROM [--flag=value...] image [AS name]`.
fn is_from_instruction(line: &str) -> bool {
    let words: Vec<&str> = line
        .split_whitespace()
        .skip(1)
        .filter(|word| !word.starts_with("--"))
        .collect();
    match words.as_slice() {
        [_image] => true,
        [_image, as_keyword, _name] => as_keyword.eq_ignore_ascii_case("as"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_sniffing() {
        assert!(looks_like_dockerfile(b"# c\n\nFROM alpine\nRUN x\n"));
        assert!(looks_like_dockerfile(b"ARG V=1\nFROM alpine:$V\n"));
        assert!(!looks_like_dockerfile(b"ARG V=1\nRUN x\n"));
        assert!(!looks_like_dockerfile(
            b"from the start of time\n"[..5].as_ref()
        ));
        assert!(!looks_like_dockerfile(b"hello\nFROM alpine\n"));
    }
}
