//! The planted throwaway credentials of the corpus `layers` image (copied
//! into testdata/layers with SOURCE.md) are found, and its harmless files
//! are not.

use std::path::PathBuf;

use bulwark_secrets::{Scanner, SecretConfig, SecretFinding};

fn testdata(name: &str) -> (String, Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/layers")
        .join(name);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (format!("app/{name}"), data)
}

fn scan(name: &str) -> Vec<SecretFinding> {
    let scanner = Scanner::new(&SecretConfig::default()).expect("built-in rules compile");
    let (path, data) = testdata(name);
    scanner.scan(&path, &data)
}

fn rule_ids(findings: &[SecretFinding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule_id.as_str()).collect()
}

/// Asserts the AWS key ID and secret access key pair of one env file.
fn assert_aws_pair(name: &str, key_id: &str) {
    let (_, data) = testdata(name);
    let text = String::from_utf8(data).expect("env file is UTF-8");
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("AWS_SECRET_ACCESS_KEY="))
        .expect("env file has a secret access key");
    let findings = scan(name);
    assert_eq!(
        rule_ids(&findings),
        vec!["secret-aws-access-key-id", "secret-aws-secret-access-key"],
        "{findings:#?}"
    );

    let id = &findings[0];
    assert_eq!(id.line, 2);
    assert_eq!(id.column, 19);
    assert_eq!(id.snippet, "AWS_ACCESS_KEY_ID=AKIA****");
    assert_eq!(
        id.fingerprint,
        bulwark_secrets::fingerprint("secret-aws-access-key-id", key_id.as_bytes())
    );

    let secret_finding = &findings[1];
    assert_eq!(secret_finding.line, 3);
    assert_eq!(secret_finding.column, 23);
    assert_eq!(
        secret_finding.snippet,
        format!("AWS_SECRET_ACCESS_KEY={}****", &secret[..4])
    );
    assert_eq!(
        secret_finding.fingerprint,
        bulwark_secrets::fingerprint("secret-aws-secret-access-key", secret.as_bytes())
    );

    let output = format!("{findings:?}");
    assert!(!output.contains(key_id), "key id leaked: {output}");
    assert!(!output.contains(secret), "secret leaked: {output}");
    assert!(findings.iter().all(|f| f.path == format!("app/{name}")));
}

#[test]
fn aws_pair_in_deleted_env_file() {
    assert_aws_pair("aws-deleted.env", "AKIAQ7CORPUSFAKE2K9D");
}

#[test]
fn aws_pair_in_kept_env_file() {
    assert_aws_pair("aws-kept.env", "AKIAZ3KEPTCORPUS8W1M");
}

#[test]
fn pkcs1_rsa_key_in_deleted_file() {
    let findings = scan("id_rsa_deleted");
    assert_eq!(rule_ids(&findings), vec!["secret-private-key-rsa"]);
    assert_eq!(findings[0].line, 1);
    assert_eq!(findings[0].snippet, "-----BEGIN RSA PRIVATE KEY-----");
    let (_, data) = testdata("id_rsa_deleted");
    let text = String::from_utf8(data).expect("key is ASCII");
    for body_line in text.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!format!("{findings:?}").contains(body_line));
    }
}

#[test]
fn pkcs8_key_in_kept_file() {
    let findings = scan("id_rsa_kept");
    assert_eq!(rule_ids(&findings), vec!["secret-private-key-pkcs8"]);
    assert_eq!(findings[0].snippet, "-----BEGIN PRIVATE KEY-----");
}

#[test]
fn harmless_files_have_no_findings() {
    for name in [
        "settings.conf.v1",
        "settings.conf.v2",
        "aws-deleted.env.l5",
        "README",
    ] {
        let findings = scan(name);
        assert!(findings.is_empty(), "{name}: {findings:#?}");
    }
}

#[test]
fn crlf_copy_of_env_file_keeps_snippets_clean() {
    let scanner = Scanner::new(&SecretConfig::default()).expect("built-in rules compile");
    let (_, data) = testdata("aws-kept.env");
    let crlf = String::from_utf8(data)
        .expect("env file is UTF-8")
        .replace('\n', "\r\n");
    let findings = scanner.scan("app/kept.env", crlf.as_bytes());
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(findings.iter().all(|f| !f.snippet.contains('\r')));
}

#[test]
fn key_embedded_in_json_string_is_found() {
    // The same real key as a JSON string value with \n escapes, as in
    // service account files and Kubernetes secrets rendered to JSON.
    let scanner = Scanner::new(&SecretConfig::default()).expect("built-in rules compile");
    let (_, data) = testdata("id_rsa_kept");
    let key = String::from_utf8(data).expect("key is ASCII");
    let json = format!("{{\"tls.key\": \"{}\"}}\n", key.replace('\n', "\\n"));
    let findings = scanner.scan("app/secret.json", json.as_bytes());
    assert_eq!(rule_ids(&findings), vec!["secret-private-key-pkcs8"]);
    assert!(
        findings[0].snippet.contains("MIIE****"),
        "{}",
        findings[0].snippet
    );
    assert!(!findings[0].snippet.contains("MIIEvQIBADANBg"));
}
