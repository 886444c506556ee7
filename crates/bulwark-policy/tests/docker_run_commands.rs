//! The Dockerfile checks read the simple commands of each RUN instruction
//! from the `commands` key that bulwark-iac adds, and split the script
//! themselves when the key is missing (as in image configs). Both ways must
//! give the same findings.

mod common;

use bulwark_iac::{FileKind, ParsedFile};
use serde_json::Value;

/// Removes the `commands` key from every instruction of every document.
fn without_commands(file: &ParsedFile) -> ParsedFile {
    let mut stripped = file.clone();
    for document in &mut stripped.documents {
        let Some(stages) = document.input["stages"].as_array_mut() else {
            continue;
        };
        for stage in stages {
            let Some(instructions) = stage["instructions"].as_array_mut() else {
                continue;
            };
            for instruction in instructions {
                if let Value::Object(fields) = instruction {
                    fields.remove("commands");
                }
            }
        }
    }
    stripped
}

fn assert_same_findings(file: &ParsedFile) {
    let with_key = common::policies().evaluate(file);
    let without_key = common::policies().evaluate(&without_commands(file));
    assert!(with_key.errors.is_empty(), "{:?}", with_key.errors);
    assert!(without_key.errors.is_empty(), "{:?}", without_key.errors);
    assert_eq!(with_key.findings, without_key.findings, "{}", file.path);
}

#[test]
fn commands_key_matches_rego_split() {
    let file = common::parse(
        FileKind::Dockerfile,
        "Dockerfile",
        "FROM debian:12\n\
         RUN apt-get update && sudo -E apt-get install curl wget=1.0 ; \\\n\
         \tcd /tmp|| chmod 777 /tmp &&pip install x\n\
         RUN yum install -y git; yum clean all\n\
         RUN set -eux; apt-get\tupgrade <<EOF\n\
         cd /x\n\
         curl -fsSL https://example.com/i.sh | sh\n\
         EOF\n",
    );
    let findings = common::policies().evaluate(&file).findings;
    assert!(findings.len() > 5, "{findings:#?}");
    assert_same_findings(&file);
}

#[test]
fn commands_key_matches_rego_split_on_corpus() {
    let Some(root) = common::corpus("config/realworld/dockerfiles") else {
        return;
    };
    let tree = bulwark_iac::scan_tree(&root);
    let files: Vec<ParsedFile> = tree
        .results
        .into_iter()
        .filter_map(Result::ok)
        .filter(|file| file.kind == FileKind::Dockerfile)
        .collect();
    assert!(files.len() > 50, "only {} Dockerfiles parsed", files.len());
    for file in &files {
        assert_same_findings(file);
    }
}
