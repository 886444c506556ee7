//! Kubernetes, Compose and CloudFormation parsing, positions, inline
//! ignores and detection on real files.

mod common;

use std::path::Path;

use bulwark_iac::{FileKind, PathSegment, detect, parse_file};
use serde_json::Value;

fn path_of(items: &[Value]) -> Vec<PathSegment> {
    PathSegment::path_from_json(&Value::Array(items.to_vec())).expect("valid path")
}

#[test]
fn container_image_positions() {
    let Some(root) = common::realworld() else {
        return;
    };
    let dir = root.join("k8s-manifests/microservices-demo/kubernetes-manifests");
    let mut checked = 0;
    for name in [
        "frontend.yaml",
        "cartservice.yaml",
        "checkoutservice.yaml",
        "adservice.yaml",
    ] {
        let path = dir.join(name);
        let text = common::read(&path);
        let parsed = parse_file(&path, name, FileKind::Kubernetes, text.as_bytes()).unwrap();
        for document in &parsed.documents {
            if document.input["kind"] != "Deployment" {
                continue;
            }
            let image_path = path_of(
                &serde_json::json!(["spec", "template", "spec", "containers", 0, "image"])
                    .as_array()
                    .unwrap()
                    .clone(),
            );
            let (line, column) = document
                .positions
                .locate(&image_path)
                .expect("image position");
            let expected = common::line_of(&text, "image:", document.start_line as usize);
            assert_eq!(line, expected, "{name}: image line");
            let source = text.lines().nth(line as usize - 1).unwrap();
            assert_eq!(
                &source[column as usize - 1..column as usize + 5],
                "image:",
                "{name}: column"
            );

            // A missing leaf falls back to the longest existing prefix.
            let mut missing = image_path.clone();
            missing.pop();
            missing.push(PathSegment::Key("securityContextMissing".into()));
            let container = document
                .positions
                .locate(&missing[..missing.len() - 1])
                .unwrap();
            assert_eq!(document.positions.locate(&missing), Some(container));
            assert!(
                document
                    .resource
                    .as_deref()
                    .unwrap()
                    .starts_with("Deployment/default/")
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} Deployments checked");
}

#[test]
fn list_kind_expanded() {
    let Some(root) = common::realworld() else {
        return;
    };
    // Derive a v1 List from the documents of a real multi-document file.
    let path = root.join("k8s-manifests/microservices-demo/kubernetes-manifests/frontend.yaml");
    let text = common::read(&path);
    let parsed = parse_file(
        &path,
        "frontend.yaml",
        FileKind::Kubernetes,
        text.as_bytes(),
    )
    .unwrap();
    let count = parsed.documents.len();
    assert!(count >= 2);
    let items: Vec<Value> = parsed.documents.iter().map(|d| d.input.clone()).collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let json = serde_json::to_string_pretty(&list).unwrap();
    let expanded = parse_file(
        Path::new("list.json"),
        "list.json",
        FileKind::Kubernetes,
        json.as_bytes(),
    )
    .unwrap();
    assert_eq!(expanded.documents.len(), count);
    for (i, (a, b)) in parsed.documents.iter().zip(&expanded.documents).enumerate() {
        assert_eq!(a.input, b.input);
        assert_eq!(b.index, i);
        // Positions are re-rooted at the item.
        let kind_path = [PathSegment::Key("kind".into())];
        let (line, _) = b.positions.get(&kind_path).expect("kind position");
        assert!(
            json.lines()
                .nth(line as usize - 1)
                .unwrap()
                .contains("\"kind\"")
        );
    }
}

#[test]
fn inline_ignore_on_real_manifest() {
    let Some(root) = common::realworld() else {
        return;
    };
    let path = root.join("k8s-manifests/microservices-demo/kubernetes-manifests/frontend.yaml");
    let text = common::read(&path);
    let target = common::line_of(
        &text,
        "securityContext:",
        common::line_of(&text, "containers:", 1) as usize,
    );
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let indent: String = lines[target as usize - 1]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    lines.insert(
        target as usize - 1,
        format!("{indent}# bulwark:ignore misconfig-k8s-privileged reason=\"needs raw sockets\" owner=team expires=2027-01-31"),
    );
    // A trailing comment on the image line.
    let image_line = common::line_of(&lines.join("\n"), "image:", target as usize);
    lines[image_line as usize - 1]
        .push_str("  # bulwark:ignore misconfig-k8s-latest-tag,misconfig-k8s-digest");
    let derived = lines.join("\n");

    let parsed = parse_file(
        &path,
        "frontend.yaml",
        FileKind::Kubernetes,
        derived.as_bytes(),
    )
    .unwrap();
    assert_eq!(parsed.ignores.len(), 2, "{:?}", parsed.ignores);
    let first = &parsed.ignores[0];
    // The comment took the place of the securityContext line, which moved down.
    assert_eq!(first.line, target + 1);
    assert_eq!(first.rule_ids, ["misconfig-k8s-privileged"]);
    assert_eq!(first.reason.as_deref(), Some("needs raw sockets"));
    assert_eq!(first.owner.as_deref(), Some("team"));
    assert_eq!(first.expires.as_deref(), Some("2027-01-31"));
    // The ignored line is the securityContext key of the container.
    let deployment = parsed
        .documents
        .iter()
        .find(|d| d.input["kind"] == "Deployment")
        .unwrap();
    let path: Vec<PathSegment> = vec![
        "spec".into(),
        "template".into(),
        "spec".into(),
        "containers".into(),
        0.into(),
        "securityContext".into(),
    ];
    assert_eq!(
        deployment.positions.locate(&path).map(|p| p.0),
        Some(first.line)
    );

    let second = &parsed.ignores[1];
    assert_eq!(second.line, image_line);
    assert_eq!(
        second.rule_ids,
        ["misconfig-k8s-latest-tag", "misconfig-k8s-digest"]
    );
    assert_eq!(second.reason, None);
}

#[test]
fn detection_rules() {
    let Some(root) = common::realworld() else {
        return;
    };
    let dockerfile = std::fs::read(root.join("dockerfiles/redis/7.2/alpine/Dockerfile")).unwrap();
    assert_eq!(
        detect(Path::new("build.docker"), &dockerfile),
        Some(FileKind::Dockerfile)
    );
    assert_eq!(
        detect(Path::new("Containerfile"), b""),
        Some(FileKind::Dockerfile)
    );
    assert_eq!(
        detect(Path::new("app.dockerfile"), b""),
        Some(FileKind::Dockerfile)
    );

    let manifest = std::fs::read(
        root.join("k8s-manifests/microservices-demo/kubernetes-manifests/frontend.yaml"),
    )
    .unwrap();
    assert_eq!(
        detect(Path::new("frontend.yaml"), &manifest),
        Some(FileKind::Kubernetes)
    );
    assert_eq!(
        detect(Path::new("frontend.yml"), &manifest),
        Some(FileKind::Kubernetes)
    );
    // YAML kinds need a YAML or JSON extension.
    assert_eq!(detect(Path::new("frontend.txt"), &manifest), None);

    let compose_dir = root.join("compose/awesome-compose/flask");
    let compose_name = ["compose.yaml", "docker-compose.yml", "compose.yml"]
        .iter()
        .find(|name| compose_dir.join(name).exists())
        .unwrap();
    let compose = std::fs::read(compose_dir.join(compose_name)).unwrap();
    assert_eq!(
        detect(Path::new("anything.yaml"), &compose),
        Some(FileKind::Compose)
    );

    // Chart values are YAML but not configuration of any kind.
    let values =
        std::fs::read(root.join("k8s-manifests/ingress-nginx/charts/ingress-nginx/values.yaml"))
            .unwrap();
    assert_eq!(detect(Path::new("values.yaml"), &values), None);
    assert_eq!(detect(Path::new("main.tf"), b""), Some(FileKind::Terraform));
    assert_eq!(
        detect(Path::new("README.md"), b"# Title\nFROM here on\n"),
        None
    );
}

#[test]
fn compose_positions_real() {
    let Some(root) = common::realworld() else {
        return;
    };
    let dir = root.join("compose/awesome-compose");
    let mut checked = 0;
    for project in std::fs::read_dir(&dir).unwrap() {
        let project = project.unwrap().path();
        for name in [
            "compose.yaml",
            "docker-compose.yml",
            "compose.yml",
            "docker-compose.yaml",
        ] {
            let path = project.join(name);
            if !path.exists() {
                continue;
            }
            let text = common::read(&path);
            let parsed = parse_file(&path, name, FileKind::Compose, text.as_bytes()).unwrap();
            let document = &parsed.documents[0];
            let services = document.input["services"].as_object().expect("services");
            for service in services.keys() {
                let path = [
                    PathSegment::Key("services".into()),
                    PathSegment::Key(service.clone()),
                ];
                let (line, _) = document.positions.get(&path).expect("service position");
                let source = text.lines().nth(line as usize - 1).unwrap();
                assert!(
                    source.contains(&format!("{service}:")),
                    "{}: {source}",
                    project.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "only {checked} services checked");
}

/// Extracts the CloudFormation examples from trivy-checks check files.
fn trivy_cloudformation_examples(corpus: &Path) -> Vec<(String, String)> {
    let mut examples = Vec::new();
    let mut stack = vec![corpus.join("config/trivy-checks/checks/cloud/aws")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = common::read(&path);
            if !text.contains("cloudformation:") {
                continue;
            }
            // Read the example file itself through the YAML kind parser.
            let parsed = parse_file(&path, "examples.yaml", FileKind::Compose, text.as_bytes())
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let Some(cf) = parsed.documents[0].input.get("cloudformation") else {
                continue;
            };
            for group in ["good", "bad"] {
                for (i, example) in cf
                    .get(group)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(template) = example.as_str() {
                        examples.push((
                            format!("{}#{group}[{i}]", path.display()),
                            template.to_owned(),
                        ));
                    }
                }
            }
        }
    }
    examples.sort();
    examples
}

#[test]
fn trivy_cloudformation_examples_parse() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let examples = trivy_cloudformation_examples(&corpus);
    println!("{} CloudFormation examples", examples.len());
    assert!(
        examples.len() >= 100,
        "only {} examples found",
        examples.len()
    );
    let mut short_forms = 0;
    for (name, template) in &examples {
        let kind = detect(Path::new("template.yaml"), template.as_bytes());
        assert_eq!(kind, Some(FileKind::CloudFormation), "{name} not detected");
        let parsed = parse_file(
            Path::new("template.yaml"),
            name,
            FileKind::CloudFormation,
            template.as_bytes(),
        )
        .unwrap_or_else(|err| panic!("{err}"));
        let input = &parsed.documents[0].input;
        let resources = input["Resources"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: no Resources"));
        for (logical, resource) in resources {
            let resource_type = resource["Type"].as_str().unwrap_or("");
            // This example indents its policy document at the level of
            // the resources, so `Version` and `Statement` are resources
            // without a type.
            let misindented = name.ends_with("iam/no_policy_wildcards.yaml#bad[0]")
                && (logical == "Version" || logical == "Statement");
            if !misindented {
                assert!(
                    resource_type.starts_with("AWS::"),
                    "{name}: {logical} type {resource_type}"
                );
            }
            let path = [
                PathSegment::Key("Resources".into()),
                PathSegment::Key(logical.clone()),
            ];
            let (line, _) = parsed.documents[0]
                .positions
                .get(&path)
                .expect("resource position");
            assert!(
                template
                    .lines()
                    .nth(line as usize - 1)
                    .unwrap()
                    .contains(logical.as_str())
            );
        }
        let text = serde_json::to_string(input).unwrap();
        assert!(
            !text.contains("\"!"),
            "{name}: a short-form tag was left: {text}"
        );
        if template.contains("!Ref") || template.contains("!GetAtt") || template.contains("!Sub") {
            short_forms += 1;
            assert!(
                text.contains("\"Ref\"") || text.contains("Fn::GetAtt") || text.contains("Fn::Sub"),
                "{name}: no long form in {text}"
            );
        }
    }
    assert!(
        short_forms >= 10,
        "only {short_forms} examples use short forms"
    );
}

#[test]
fn cloudformation_intrinsics_and_defaults_derived() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    // The JSON example template from trivy-checks.
    let path = corpus.join("config/trivy-checks/examples/cloudformation/template.json");
    let json = common::read(&path);
    assert_eq!(
        detect(&path, json.as_bytes()),
        Some(FileKind::CloudFormation)
    );
    let parsed = parse_file(
        &path,
        "template.json",
        FileKind::CloudFormation,
        json.as_bytes(),
    )
    .unwrap();
    assert!(parsed.documents[0].input["Resources"].is_object());

    // A real example extended with a parameter default and short forms.
    let examples = trivy_cloudformation_examples(&corpus);
    let (_, template) = examples
        .iter()
        .find(|(_, t)| t.contains("AWS::S3::Bucket") && t.starts_with("AWSTemplateFormatVersion"))
        .or_else(|| examples.iter().find(|(_, t)| t.contains("AWS::S3::Bucket")))
        .expect("an S3 example");
    let derived = format!(
        "{template}\nParameters:\n  Env:\n    Type: String\n    Default: prod\nOutputs:\n  A:\n    Value: !Ref Env\n  B:\n    Value: !GetAtt Bucket.Arn.Nested\n  C:\n    Value: !Sub \"x-${{Env}}\"\n  D:\n    Value: !Join [\"-\", [!Ref AWS::Region, !Ref Missing]]\n"
    );
    let parsed = parse_file(
        Path::new("t.yaml"),
        "t.yaml",
        FileKind::CloudFormation,
        derived.as_bytes(),
    )
    .unwrap_or_else(|err| panic!("{err}\n{derived}"));
    let outputs = &parsed.documents[0].input["Outputs"];
    assert_eq!(outputs["A"]["Value"], "prod");
    assert_eq!(
        outputs["B"]["Value"],
        serde_json::json!({"Fn::GetAtt": ["Bucket", "Arn.Nested"]})
    );
    assert_eq!(
        outputs["C"]["Value"],
        serde_json::json!({"Fn::Sub": "x-${Env}"})
    );
    assert_eq!(
        outputs["D"]["Value"],
        serde_json::json!({"Fn::Join": ["-", [{"Ref": "AWS::Region"}, {"Ref": "Missing"}]]})
    );
}
