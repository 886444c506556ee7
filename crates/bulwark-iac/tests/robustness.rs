//! Truncated and mangled versions of real files yield `Ok` or a located
//! `Err`, never a panic; size and nesting limits are enforced.

mod common;

use std::path::Path;

use bulwark_iac::{FileKind, MAX_FILE_SIZE, parse_file};

fn variants(text: &str) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // Truncations at 16 points, including inside multi-byte characters.
    for i in 1..16 {
        out.push(bytes[..bytes.len() * i / 16].to_vec());
    }
    // Lines dropped, duplicated, indented and swapped.
    let lines: Vec<&str> = text.lines().collect();
    for step in [3, 7] {
        let dropped: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step != 0)
            .map(|(_, l)| *l)
            .collect();
        out.push(dropped.join("\n").into_bytes());
        let indented: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i % step == 0 {
                    format!("   {l}")
                } else {
                    (*l).to_owned()
                }
            })
            .collect();
        out.push(indented.join("\n").into_bytes());
    }
    let mut swapped = lines.clone();
    swapped.reverse();
    out.push(swapped.join("\n").into_bytes());
    // Bytes replaced with syntax characters and invalid UTF-8.
    for (i, replacement) in [b'{', b'[', b':', b'"', b'\\', b'`', b'\t', 0xff]
        .iter()
        .enumerate()
    {
        let mut mangled = bytes.to_vec();
        let mut at = i * 7 + 3;
        while at < mangled.len() {
            mangled[at] = *replacement;
            at += 97;
        }
        out.push(mangled);
    }
    out
}

#[test]
fn mangled_real_files_do_not_panic() {
    let Some(root) = common::realworld() else {
        return;
    };
    let samples = [
        (
            "compose/awesome-compose/flask/app/Dockerfile",
            FileKind::Dockerfile,
        ),
        (
            "dockerfiles/golang/1.26/windows/windowsservercore-ltsc2022/Dockerfile",
            FileKind::Dockerfile,
        ),
        (
            "k8s-manifests/microservices-demo/release/kubernetes-manifests.yaml",
            FileKind::Kubernetes,
        ),
        (
            "k8s-manifests/ingress-nginx/deploy/static/provider/cloud/deploy.yaml",
            FileKind::Kubernetes,
        ),
        (
            "compose/awesome-compose/flask/compose.yaml",
            FileKind::Compose,
        ),
        ("terraform/terraform-aws-vpc/main.tf", FileKind::Terraform),
        (
            "terraform/terraform-aws-eks/node_groups.tf",
            FileKind::Terraform,
        ),
    ];
    let mut total = 0;
    let mut errors = 0;
    for (relative, kind) in samples {
        let path = root.join(relative);
        if !path.exists() {
            panic!("sample {relative} is missing from the corpus");
        }
        let text = common::read(&path);
        // The same bytes also go through every other parser.
        for variant in variants(&text) {
            for try_kind in FileKind::ALL {
                let result = parse_file(&path, "mangled", try_kind, &variant);
                total += 1;
                if let Err(err) = result {
                    errors += 1;
                    assert!(!err.message.is_empty());
                    assert_eq!(err.path, "mangled");
                }
            }
            let _ = bulwark_iac::detect(&path, &variant);
        }
        let _ = kind;
    }
    println!("{total} parses of mangled input, {errors} errors");
    assert!(errors > 0, "no mangled input was rejected");
    assert!(errors < total, "every mangled input was rejected");
}

#[test]
fn oversized_file_rejected() {
    let Some(root) = common::realworld() else {
        return;
    };
    let text = common::read(
        &root.join("k8s-manifests/microservices-demo/kubernetes-manifests/frontend.yaml"),
    );
    let mut big = String::new();
    while (big.len() as u64) <= MAX_FILE_SIZE {
        big.push_str("---\n");
        big.push_str(&text);
    }
    let err = parse_file(
        Path::new("big.yaml"),
        "big.yaml",
        FileKind::Kubernetes,
        big.as_bytes(),
    )
    .unwrap_err();
    assert!(err.message.contains("limit"), "{err}");
}

#[test]
fn deep_yaml_nesting_rejected() {
    let Some(root) = common::realworld() else {
        return;
    };
    let text = common::read(
        &root.join("k8s-manifests/microservices-demo/kubernetes-manifests/frontend.yaml"),
    );
    // Wrap the labels of a real manifest in 300 nested flow sequences.
    let deep = text.replacen(
        "labels:",
        &format!("labels: {}1{}\n  x:", "[".repeat(300), "]".repeat(300)),
        1,
    );
    let err = parse_file(
        Path::new("deep.yaml"),
        "deep.yaml",
        FileKind::Kubernetes,
        deep.as_bytes(),
    )
    .unwrap_err();
    assert!(err.message.contains("nesting"), "{err}");
    assert!(err.line.is_some(), "{err}");

    // Alias expansion bombs are rejected by the YAML loader.
    let mut bomb = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    let mut previous = 'a';
    for name in 'b'..='k' {
        bomb.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
        previous = name;
    }
    let bomb = format!(
        "{text}\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  {}",
        bomb.replace('\n', "\n  ")
    );
    let result = parse_file(
        Path::new("bomb.yaml"),
        "bomb.yaml",
        FileKind::Kubernetes,
        bomb.as_bytes(),
    );
    assert!(result.is_err(), "alias bomb accepted");
}
