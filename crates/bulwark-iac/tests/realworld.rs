//! Every file of the real-world corpus parses, or fails with a reviewed,
//! located error.

mod common;

use std::collections::BTreeMap;

use bulwark_iac::{FileKind, scan_tree};

/// Files that fail on purpose, with the reason found when reviewing them.
const EXPECTED_ERRORS: &[(&str, &str)] = &[
    (
        "k8s-manifests/kubernetes-examples/_archived/openshift-origin/etcd-controller.yaml",
        "`spec` sets `selector` twice, which YAML forbids",
    ),
    (
        "k8s-manifests/kubernetes-examples/_archived/openshift-origin/etcd-discovery-controller.yaml",
        "`spec` sets `selector` twice",
    ),
    (
        "k8s-manifests/kubernetes-examples/_archived/openshift-origin/openshift-controller.yaml",
        "`spec` sets `selector` twice",
    ),
    (
        "k8s-manifests/kubernetes-examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml",
        "the Secret sets `type` twice",
    ),
    (
        "k8s-manifests/kubernetes-examples/_archived/volumes/scaleio/sc-pvc.yaml",
        "`spec` sets `storageClassName` twice",
    ),
];

#[test]
fn realworld_corpus_parses() {
    let Some(root) = common::realworld() else {
        return;
    };
    let tree = scan_tree(&root);

    let mut files: BTreeMap<FileKind, usize> = BTreeMap::new();
    let mut documents: BTreeMap<FileKind, usize> = BTreeMap::new();
    let mut per_corpus: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for result in &tree.results {
        match result {
            Ok(parsed) => {
                *files.entry(parsed.kind).or_default() += 1;
                *documents.entry(parsed.kind).or_default() += parsed.documents.len();
                let corpus: Vec<&str> = parsed.path.split('/').take(2).collect();
                *per_corpus.entry(corpus.join("/")).or_default() += 1;
            }
            Err(err) => {
                assert!(err.line.is_some(), "error without a line: {err}");
                errors.push(err.clone());
            }
        }
    }
    for kind in FileKind::ALL {
        println!(
            "{kind}: {} files, {} documents",
            files.get(&kind).copied().unwrap_or(0),
            documents.get(&kind).copied().unwrap_or(0)
        );
    }
    for (corpus, count) in &per_corpus {
        println!("{corpus}: {count} parsed");
    }

    let unexpected: Vec<String> = errors
        .iter()
        .filter(|err| !EXPECTED_ERRORS.iter().any(|(path, _)| *path == err.path))
        .map(ToString::to_string)
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected parse errors:\n{}",
        unexpected.join("\n")
    );
    for (path, reason) in EXPECTED_ERRORS {
        let err = errors.iter().find(|err| err.path == *path);
        assert!(
            err.is_some(),
            "{path} was expected to fail ({reason}) but parsed"
        );
        assert!(
            err.unwrap().message.contains("duplicate"),
            "{path}: expected a duplicate key error, got {}",
            err.unwrap()
        );
    }

    // Minimum counts observed on this corpus, so that broken detection fails.
    let at_least = |kind: FileKind, min_files: usize, min_docs: usize| {
        let got_files = files.get(&kind).copied().unwrap_or(0);
        let got_docs = documents.get(&kind).copied().unwrap_or(0);
        assert!(
            got_files >= min_files,
            "{kind}: {got_files} files parsed, expected at least {min_files}"
        );
        assert!(
            got_docs >= min_docs,
            "{kind}: {got_docs} documents, expected at least {min_docs}"
        );
    };
    at_least(FileKind::Dockerfile, 171, 171);
    at_least(FileKind::Kubernetes, 332, 600);
    at_least(FileKind::Compose, 39, 39);
    at_least(FileKind::Terraform, 38, 38);
    assert_eq!(
        files.get(&FileKind::CloudFormation),
        None,
        "no CloudFormation in this corpus"
    );
}

#[test]
fn helm_templates_not_detected() {
    let Some(root) = common::realworld() else {
        return;
    };
    let chart = root.join("k8s-manifests/microservices-demo/helm-chart/templates");
    let mut seen = 0;
    for entry in std::fs::read_dir(&chart).expect("helm chart templates directory") {
        let path = entry.unwrap().path();
        let content = std::fs::read(&path).unwrap();
        assert_eq!(
            bulwark_iac::detect(&path, &content),
            None,
            "{} is a Helm template",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} Helm templates found");
}

#[test]
fn terraform_modules_and_examples_parse() {
    let Some(root) = common::realworld() else {
        return;
    };
    for repo in ["terraform-aws-eks", "terraform-aws-vpc"] {
        let repo_root = root.join("terraform").join(repo);
        let tree = scan_tree(&repo_root);
        let mut modules = 0;
        for result in &tree.results {
            let parsed = result
                .as_ref()
                .unwrap_or_else(|err| panic!("{repo}: {err}"));
            if parsed.kind == FileKind::Terraform {
                modules += 1;
            }
        }
        println!("{repo}: {modules} module directories");
        assert!(
            modules >= 10,
            "{repo}: only {modules} module directories parsed"
        );

        // The root module declares resources.
        let root_module = tree
            .results
            .iter()
            .flatten()
            .find(|parsed| parsed.path == ".")
            .unwrap_or_else(|| panic!("{repo}: no root module"));
        let resources = root_module.documents[0].input["resource"]
            .as_object()
            .map_or(0, |r| r.len());
        assert!(
            resources > 5,
            "{repo}: root module has {resources} resource types"
        );
    }
}

#[test]
fn vpc_example_follows_root_module() {
    let Some(root) = common::realworld() else {
        return;
    };
    let repo = root.join("terraform/terraform-aws-vpc");
    let example = repo.join("examples/simple");
    let parsed = bulwark_iac::parse_terraform_module_within(&example, "examples/simple", &repo)
        .expect("examples/simple parses");
    let input = &parsed.documents[0].input;
    let module = input["module"].as_object().expect("module section");
    let (name, vpc) = module.iter().next().expect("one module block");
    let nested = vpc["resources"]["resource"]["aws_vpc"].as_object();
    assert!(
        nested.is_some(),
        "module {name}: nested aws_vpc resources missing: {vpc:#}"
    );

    // Positions of nested resources name the file in the repository root.
    let path: Vec<bulwark_iac::PathSegment> = vec![
        "module".into(),
        name.as_str().into(),
        "resources".into(),
        "resource".into(),
        "aws_vpc".into(),
        "this".into(),
    ];
    let location = parsed.documents[0]
        .positions
        .locate_source(&path)
        .expect("position");
    assert_eq!(location.file, Some("main.tf"));
    let main = common::read(&repo.join("main.tf"));
    assert_eq!(
        location.line,
        common::line_of(&main, "resource \"aws_vpc\" \"this\"", 1)
    );

    // Without the wider root the module source leaves the directory and is
    // not followed.
    let alone = bulwark_iac::parse_terraform_module(&example, "examples/simple").unwrap();
    let module = alone.documents[0].input["module"].as_object().unwrap();
    assert!(module.values().all(|m| m.get("resources").is_none()));
}

#[test]
fn dynamic_blocks_expand_to_their_type() {
    let Some(root) = common::realworld() else {
        return;
    };
    let dir = root.join("terraform/terraform-aws-eks/modules/eks-managed-node-group");
    let parsed = bulwark_iac::parse_terraform_module(&dir, "eks-managed-node-group")
        .expect("the module parses");
    let input = &parsed.documents[0].input;
    let template = &input["resource"]["aws_launch_template"]["this"];
    let options = template["metadata_options"]
        .as_array()
        .expect("the dynamic metadata_options block gives a metadata_options instance");
    assert_eq!(options.len(), 1, "{options:#?}");
    assert_eq!(options[0]["__dynamic"], true);
    // The content's attributes use the iterator, so they stay unresolved.
    let tokens = options[0]["http_tokens"].as_str().expect("http_tokens");
    assert!(tokens.contains("${"), "{tokens}");
    // The dynamic block itself is kept as written.
    let dynamics = template["dynamic"].as_array().expect("dynamic blocks");
    assert!(
        dynamics
            .iter()
            .any(|block| block["__labels"][0] == "metadata_options"),
        "{dynamics:#?}"
    );

    // The instance is located at the dynamic block.
    let text = common::read(&dir.join("main.tf"));
    let path: Vec<bulwark_iac::PathSegment> = vec![
        "resource".into(),
        "aws_launch_template".into(),
        "this".into(),
        "metadata_options".into(),
        bulwark_iac::PathSegment::Index(0),
    ];
    let (line, _) = parsed.documents[0]
        .positions
        .locate(&path)
        .expect("a position");
    assert_eq!(
        line,
        common::line_of(&text, "dynamic \"metadata_options\"", 1)
    );
}
