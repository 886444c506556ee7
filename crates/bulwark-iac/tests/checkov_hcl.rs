//! Terraform variable, locals and nested block handling compared with the
//! expected output of Checkov's HCL parser scenarios.
//!
//! Checkov wraps every attribute value in a one-item list and adds
//! `__start_line__`-style keys, and its nested blocks are lists of objects
//! like ours. The comparison unwraps the one-item lists and skips the
//! double-underscore keys. Values that Checkov resolves with Terraform
//! functions (`merge`, `concat`, `tobool`...) stay `${...}` text here, so
//! such values are counted as unresolved, not as mismatches. Only files at
//! the root of each scenario are compared, since Checkov keys module
//! contents by the calling module.

mod common;

use bulwark_iac::parse_terraform_module;
use serde_json::Value;

#[derive(Default)]
struct Tally {
    matched: usize,
    unresolved: usize,
    mismatched: Vec<String>,
}

fn is_placeholder(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains("${"),
        Value::Array(items) => items.iter().any(is_placeholder),
        Value::Object(map) => map.values().any(is_placeholder),
        _ => false,
    }
}

/// Compares scalars by their text, since Checkov keeps some numbers and
/// booleans as strings.
fn same_scalar(expected: &Value, ours: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    expected == ours || text(expected) == text(ours)
}

fn compare(expected: &Value, ours: Option<&Value>, path: &str, tally: &mut Tally) {
    let Some(ours) = ours else {
        tally.mismatched.push(format!("{path}: missing"));
        return;
    };
    if ours.as_str().is_some_and(|text| text.contains("${")) {
        // A function call or unknown reference that we keep as text.
        tally.unresolved += 1;
        return;
    }
    match expected {
        // Checkov wraps a map value in a one-item list, like a block.
        Value::Array(items) if items.len() == 1 && items[0].is_object() && ours.is_object() => {
            compare(&items[0], Some(ours), path, tally);
        }
        Value::Object(map) => {
            for (key, value) in map {
                if key.starts_with("__") {
                    continue;
                }
                compare(value, ours.get(key), &format!("{path}.{key}"), tally);
            }
        }
        Value::Array(items) if items.len() == 1 && !items[0].is_object() => {
            let expected = &items[0];
            if is_placeholder(ours) || is_placeholder(expected) {
                tally.unresolved += 1;
            } else if expected.is_array() || expected.is_object() {
                if expected == ours {
                    tally.matched += 1;
                } else {
                    tally
                        .mismatched
                        .push(format!("{path}: expected {expected}, got {ours}"));
                }
            } else if same_scalar(expected, ours) {
                tally.matched += 1;
            } else {
                tally
                    .mismatched
                    .push(format!("{path}: expected {expected}, got {ours}"));
            }
        }
        Value::Array(items) if items.iter().all(Value::is_object) => {
            // Nested blocks: both sides are arrays of objects.
            let Some(ours) = ours.as_array() else {
                tally
                    .mismatched
                    .push(format!("{path}: expected blocks, got {ours}"));
                return;
            };
            if ours.len() != items.len() {
                tally.mismatched.push(format!(
                    "{path}: {} blocks, expected {}",
                    ours.len(),
                    items.len()
                ));
                return;
            }
            for (i, (e, o)) in items.iter().zip(ours).enumerate() {
                compare(e, Some(o), &format!("{path}[{i}]"), tally);
            }
        }
        other => {
            if is_placeholder(ours) || is_placeholder(other) {
                tally.unresolved += 1;
            } else if other == ours {
                tally.matched += 1;
            } else {
                tally
                    .mismatched
                    .push(format!("{path}: expected {other}, got {ours}"));
            }
        }
    }
}

/// Scenarios whose HCL is invalid, so they fail with a located error.
const INVALID_HCL: &[(&str, &str)] = &[
    (
        "bad_tf_nested_modules_enable",
        "sets one attribute twice in a block, which HCL rejects",
    ),
    (
        "maze_of_variables",
        "nests `${...}` inside an interpolation, which HCL does not allow",
    ),
];

/// Differences reviewed and explained.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "tfvars_outside_dir:",
    "Checkov's test passes a tfvars file from another directory; a module \
     directory alone reads only its own tfvars, so the default applies",
)];

#[test]
fn checkov_parser_scenarios() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let scenarios = corpus.join("config/checkov/tests/terraform/parser/resources/parser_scenarios");
    let mut tally = Tally::default();
    let mut compared_scenarios = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&scenarios)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for dir in entries {
        let expected_path = dir.join("expected.json");
        if !expected_path.exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expected: Value = serde_json::from_str(&common::read(&expected_path)).unwrap();
        let parsed = match parse_terraform_module(&dir, &name) {
            Ok(parsed) => parsed,
            Err(err) => {
                let reviewed = INVALID_HCL.iter().any(|(scenario, _)| *scenario == name);
                assert!(reviewed, "{name}: {err}");
                assert!(err.line.is_some(), "{err}");
                continue;
            }
        };
        let ours = &parsed.documents[0].input;
        let mut compared_here = false;
        for (file_key, sections) in expected.as_object().unwrap() {
            let Ok(key) = serde_json::from_str::<Value>(file_key) else {
                continue;
            };
            let file = key["file_path"].as_str().unwrap_or("");
            if !key["tf_source_modules"].is_null() || file.contains('/') {
                continue;
            }
            for (section, blocks) in sections.as_object().unwrap() {
                for block in blocks.as_array().into_iter().flatten() {
                    let ours_section = ours.get(section);
                    if section == "provider" || section == "module" {
                        // Checkov lists providers and module calls per file;
                        // our shapes differ (arrays per provider, nested
                        // module documents), so only resources, data,
                        // variables, locals and outputs are compared.
                        continue;
                    }
                    compare(
                        block,
                        ours_section,
                        &format!("{name}:{section}"),
                        &mut tally,
                    );
                    compared_here = true;
                }
            }
        }
        if compared_here {
            compared_scenarios += 1;
        }
    }
    println!(
        "{compared_scenarios} scenarios: {} values match, {} unresolved, {} differ",
        tally.matched,
        tally.unresolved,
        tally.mismatched.len()
    );
    let unexplained: Vec<&String> = tally
        .mismatched
        .iter()
        .filter(|m| {
            !KNOWN_DIFFERENCES
                .iter()
                .any(|(prefix, _)| m.starts_with(prefix))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "differences from Checkov:\n{}",
        unexplained
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        compared_scenarios >= 20,
        "only {compared_scenarios} scenarios compared"
    );
    assert!(tally.matched >= 50, "only {} values matched", tally.matched);
}
