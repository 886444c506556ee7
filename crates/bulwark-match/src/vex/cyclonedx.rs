//! Reading CycloneDX VEX: the `vulnerabilities` of a CycloneDX JSON BOM
//! (spec 1.4 and later) that carry an `analysis`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Product, VexStatement, VexStatus, product_purl, string};

/// Returns whether the document is a CycloneDX BOM.
pub(super) fn is_cyclonedx(document: &Value) -> bool {
    document.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
}

/// Reads every vulnerability with an analysis, or returns what is wrong
/// with the first malformed one.
pub(super) fn statements(document: &Value) -> Result<Vec<VexStatement>, String> {
    let Some(items) = document.get("vulnerabilities") else {
        return Err(
            "missing `vulnerabilities`: a CycloneDX VEX document lists vulnerabilities with \
             an `analysis`"
                .to_owned(),
        );
    };
    let Some(items) = items.as_array() else {
        return Err("`vulnerabilities` is not an array".to_owned());
    };
    let mut purls = BTreeMap::new();
    if let Some(component) = document.pointer("/metadata/component") {
        collect_purls(component, &mut purls);
    }
    for component in document
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_purls(component, &mut purls);
    }
    let document_time = timestamp(document.pointer("/metadata/timestamp"));

    let mut statements = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let location = format!("vulnerabilities[{index}]");
        if let Some(statement) = statement(item, &location, &purls, document_time)? {
            statements.push(statement);
        }
    }
    Ok(statements)
}

/// Maps every `bom-ref` of a component and its nested components to its
/// purl.
fn collect_purls(component: &Value, purls: &mut BTreeMap<String, String>) {
    if let (Some(reference), Some(purl)) = (string(component, "bom-ref"), string(component, "purl"))
    {
        purls.insert(reference, purl);
    }
    for child in component
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_purls(child, purls);
    }
}

/// Resolves an `affects[].ref` to a purl: a component's `bom-ref`, the
/// fragment of a BOM-Link (`urn:cdx:SERIAL/VERSION#BOM-REF`), or a purl
/// written in place of the reference.
fn resolve(reference: &str, purls: &BTreeMap<String, String>) -> Option<String> {
    if let Some(purl) = purls.get(reference) {
        return Some(purl.clone());
    }
    let fragment = reference
        .strip_prefix("urn:cdx:")
        .and_then(|rest| rest.split_once('#'))
        .map_or(reference, |(_, fragment)| fragment);
    if let Some(purl) = purls.get(fragment) {
        return Some(purl.clone());
    }
    fragment.starts_with("pkg:").then(|| fragment.to_owned())
}

fn statement(
    item: &Value,
    location: &str,
    purls: &BTreeMap<String, String>,
    document_time: Option<i64>,
) -> Result<Option<VexStatement>, String> {
    if !item.is_object() {
        return Err(format!("{location} is not an object"));
    }
    let vulnerability = string(item, "id").ok_or_else(|| format!("{location}: missing `id`"))?;
    let Some(analysis) = item.get("analysis") else {
        tracing::debug!(
            location,
            vulnerability,
            "skipping a vulnerability without analysis"
        );
        return Ok(None);
    };
    // An analysis may carry only a detail or a response; without a state
    // it states nothing about the products.
    let Some(stated_status) = string(analysis, "state") else {
        tracing::debug!(
            location,
            vulnerability,
            "skipping an analysis without state"
        );
        return Ok(None);
    };
    let status = match stated_status.as_str() {
        "not_affected" | "false_positive" => VexStatus::NotAffected,
        "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
        "exploitable" => VexStatus::Affected,
        "in_triage" => VexStatus::UnderInvestigation,
        other => {
            return Err(format!(
                "{location} ({vulnerability}): unknown `analysis.state` {other:?} (expected \
                 not_affected, false_positive, resolved, resolved_with_pedigree, exploitable \
                 or in_triage)"
            ));
        }
    };

    let aliases = item
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|reference| string(reference, "id"))
        .collect();

    let mut products = Vec::new();
    for (index, affected) in item
        .get("affects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let product_location = format!("{location}.affects[{index}]");
        let Some(reference) = string(affected, "ref") else {
            return Err(format!("{product_location}: missing `ref`"));
        };
        let Some(purl) = resolve(&reference, purls) else {
            tracing::warn!(
                location = product_location,
                reference,
                "VEX reference resolves to no component with a package URL; it applies to no \
                 finding"
            );
            continue;
        };
        if let Some(purl) = product_purl(&purl, &product_location) {
            products.push(Product {
                purl,
                subcomponents: Vec::new(),
            });
        }
    }

    let response: Vec<&str> = analysis
        .get("response")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let stated_time = timestamp(analysis.get("lastUpdated"))
        .or_else(|| timestamp(analysis.get("firstIssued")))
        .or_else(|| timestamp(item.get("updated")))
        .or_else(|| timestamp(item.get("published")));
    Ok(Some(VexStatement {
        location: location.to_owned(),
        vulnerability,
        aliases,
        products,
        status,
        stated_status,
        justification: string(analysis, "justification"),
        detail: string(analysis, "detail"),
        action: (!response.is_empty()).then(|| response.join(", ")),
        timestamp: stated_time.or(document_time),
    }))
}

fn timestamp(value: Option<&Value>) -> Option<i64> {
    bulwark_vulndb::time::parse_rfc3339(value?.as_str()?)
}
