//! Reading OpenVEX documents (v0.2.0, and the v0.0.x form that writes
//! vulnerabilities and products as plain strings).

use serde_json::Value;

use super::{Product, VexStatement, VexStatus, product_purl, string};

/// Returns whether the document's `@context` is an OpenVEX namespace.
pub(super) fn is_openvex(document: &Value) -> bool {
    document
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|context| context.starts_with("https://openvex.dev/ns"))
}

/// Reads every statement, or returns what is wrong with the first
/// malformed one.
pub(super) fn statements(document: &Value) -> Result<Vec<VexStatement>, String> {
    let document_time = timestamp(document, "timestamp", "the document")?;
    let Some(items) = document.get("statements") else {
        return Err("missing `statements`".to_owned());
    };
    let Some(items) = items.as_array() else {
        return Err("`statements` is not an array".to_owned());
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| statement(item, &format!("statements[{index}]"), document_time))
        .collect()
}

fn statement(
    item: &Value,
    location: &str,
    document_time: Option<i64>,
) -> Result<VexStatement, String> {
    if !item.is_object() {
        return Err(format!("{location} is not an object"));
    }
    let (vulnerability, aliases) = match item.get("vulnerability") {
        Some(Value::String(name)) if !name.trim().is_empty() => (name.trim().to_owned(), vec![]),
        Some(object @ Value::Object(_)) => {
            // v0.2.0 requires `name`; some producers write only `@id`, so
            // that is read as a further identifier.
            let id = string(object, "@id");
            let mut aliases: Vec<String> = object
                .get("aliases")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let name = match (string(object, "name"), id) {
                (Some(name), id) => {
                    aliases.extend(id);
                    name
                }
                (None, Some(id)) => id,
                (None, None) => {
                    return Err(format!("{location}: missing `vulnerability.name`"));
                }
            };
            (name, aliases)
        }
        Some(_) => {
            return Err(format!(
                "{location}: `vulnerability` is empty or not an object"
            ));
        }
        None => return Err(format!("{location}: missing `vulnerability`")),
    };

    let stated_status =
        string(item, "status").ok_or_else(|| format!("{location}: missing `status`"))?;
    let status = match stated_status.as_str() {
        "not_affected" => VexStatus::NotAffected,
        "fixed" => VexStatus::Fixed,
        "affected" => VexStatus::Affected,
        "under_investigation" => VexStatus::UnderInvestigation,
        other => {
            return Err(format!(
                "{location}: unknown status {other:?} (expected not_affected, affected, fixed \
                 or under_investigation)"
            ));
        }
    };

    let products = match item.get("products") {
        None => Vec::new(),
        Some(Value::Array(products)) => products
            .iter()
            .enumerate()
            .filter_map(|(index, product)| {
                self::product(product, &format!("{location}.products[{index}]"))
            })
            .collect(),
        Some(_) => return Err(format!("{location}: `products` is not an array")),
    };
    if products.is_empty() {
        tracing::warn!(
            location,
            vulnerability,
            "VEX statement names no product by package URL, so it applies to no finding"
        );
    }

    let statement_time = timestamp(item, "timestamp", location)?;
    Ok(VexStatement {
        location: location.to_owned(),
        vulnerability,
        aliases,
        products,
        status,
        stated_status,
        justification: string(item, "justification"),
        detail: string(item, "impact_statement").or_else(|| string(item, "status_notes")),
        action: string(item, "action_statement"),
        timestamp: statement_time.or(document_time),
    })
}

/// Returns the purl of a product or subcomponent: its `identifiers.purl`,
/// else its `@id` when that is a purl, else (v0.0.x) the string itself.
fn component_purl(component: &Value) -> Option<String> {
    match component {
        Value::String(text) => Some(text.clone()),
        Value::Object(_) => component
            .get("identifiers")
            .and_then(|identifiers| string(identifiers, "purl"))
            .or_else(|| string(component, "@id").filter(|id| id.starts_with("pkg:"))),
        _ => None,
    }
}

fn product(product: &Value, location: &str) -> Option<Product> {
    let purl = product_purl(&component_purl(product)?, location)?;
    let subcomponents = product
        .get("subcomponents")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(component_purl)
                .filter_map(|text| product_purl(&text, location))
                .collect()
        })
        .unwrap_or_default();
    Some(Product {
        purl,
        subcomponents,
    })
}

/// Reads an RFC 3339 timestamp member, when present.
fn timestamp(value: &Value, key: &str, location: &str) -> Result<Option<i64>, String> {
    let Some(text) = string(value, key) else {
        return Ok(None);
    };
    bulwark_vulndb::time::parse_rfc3339(&text)
        .map(Some)
        .ok_or_else(|| format!("{location}: `{key}` {text:?} is not an RFC 3339 date-time"))
}
