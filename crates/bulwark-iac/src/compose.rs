//! Docker Compose files: the file object as written.

use crate::yaml::{self, TagMode};
use crate::{Document, ParseError};

pub(crate) fn parse(text: &str, display_path: &str) -> Result<Vec<Document>, ParseError> {
    let mut documents = Vec::new();
    for doc in yaml::load_json_documents(text, display_path, TagMode::Strip)? {
        if !doc.value.is_object() {
            continue;
        }
        documents.push(Document {
            index: documents.len(),
            resource: None,
            input: doc.value,
            positions: doc.positions,
            start_line: doc.start_line,
            end_line: doc.end_line,
        });
    }
    Ok(documents)
}
