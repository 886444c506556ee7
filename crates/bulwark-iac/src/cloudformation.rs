//! CloudFormation templates in YAML or JSON.
//!
//! Short-form intrinsic functions (`!Ref X`, `!GetAtt a.b`, `!Sub ...`) are
//! converted to their long form, and a `Ref` to a parameter that has a
//! `Default` is replaced by that default.

use serde_json::{Map, Value, json};

use crate::yaml::{self, TagMode};
use crate::{Document, ParseError};

pub(crate) fn parse(text: &str, display_path: &str) -> Result<Vec<Document>, ParseError> {
    let mut documents = Vec::new();
    for doc in yaml::load_json_documents(text, display_path, TagMode::CloudFormation)? {
        let Value::Object(mut template) = doc.value else {
            continue;
        };
        let defaults = parameter_defaults(&template);
        if !defaults.is_empty() {
            for (section, value) in template.iter_mut() {
                if section != "Parameters" {
                    substitute_refs(value, &defaults);
                }
            }
        }
        documents.push(Document {
            index: documents.len(),
            resource: None,
            input: Value::Object(template),
            positions: doc.positions,
            start_line: doc.start_line,
            end_line: doc.end_line,
        });
    }
    Ok(documents)
}

/// Converts a tagged YAML value such as `!Ref X` to the long form.
pub(crate) fn intrinsic(tagged: &yaml_serde::value::TaggedValue, mode: TagMode) -> Value {
    let tag = tagged.tag.to_string();
    let name = tag.trim_start_matches('!');
    let value = yaml::to_json(&tagged.value, mode);
    match name {
        "Ref" | "Condition" => json!({ name: value }),
        "GetAtt" => {
            let value = match value {
                // `!GetAtt Resource.Attribute.Nested` splits at the first dot.
                Value::String(text) => match text.split_once('.') {
                    Some((resource, attribute)) => json!([resource, attribute]),
                    None => Value::String(text),
                },
                other => other,
            };
            json!({ "Fn::GetAtt": value })
        }
        _ if name.is_empty() => value,
        _ => {
            let mut object = Map::new();
            object.insert(format!("Fn::{name}"), value);
            Value::Object(object)
        }
    }
}

fn parameter_defaults(template: &Map<String, Value>) -> Map<String, Value> {
    let mut defaults = Map::new();
    if let Some(Value::Object(parameters)) = template.get("Parameters") {
        for (name, parameter) in parameters {
            if let Some(default) = parameter.get("Default") {
                defaults.insert(name.clone(), default.clone());
            }
        }
    }
    defaults
}

fn substitute_refs(value: &mut Value, defaults: &Map<String, Value>) {
    match value {
        Value::Object(object) => {
            if object.len() == 1
                && let Some(Value::String(target)) = object.get("Ref")
                && let Some(default) = defaults.get(target)
            {
                *value = default.clone();
                return;
            }
            for item in object.values_mut() {
                substitute_refs(item, defaults);
            }
        }
        Value::Array(items) => {
            for item in items {
                substitute_refs(item, defaults);
            }
        }
        _ => {}
    }
}
