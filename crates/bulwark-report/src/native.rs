//! The native JSON format, documented in `docs/json-format.md`.

use serde::Serialize;

use bulwark_inventory::Inventory;

/// Version of the native JSON layout. It changes when a field is removed,
/// renamed or changes meaning or type; new optional fields do not change
/// it. `docs/json-format.md` describes every field.
pub const NATIVE_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct NativeDocument<'a> {
    schema_version: u32,
    tool: Tool,
    #[serde(flatten)]
    inventory: &'a Inventory,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// Writes the inventory as pretty-printed native JSON, ending with a
/// newline.
pub fn write_native_json(inventory: &Inventory) -> String {
    let document = NativeDocument {
        schema_version: NATIVE_SCHEMA_VERSION,
        tool: Tool {
            name: "bulwark",
            version: env!("CARGO_PKG_VERSION"),
        },
        inventory,
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_else(|e| {
        // Serializing plain structs of strings cannot fail; keep a valid
        // document if it ever does.
        serde_json::json!({ "error": e.to_string() }).to_string()
    });
    text.push('\n');
    text
}
