//! Config loading: custom rules, rule selection, allow-lists, and errors
//! that name the file and the key.

use std::path::PathBuf;

use bulwark_secrets::{Error, Scanner, SecretConfig, fingerprint};

fn testdata(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/layers")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn scratch_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bulwark-secrets-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write config");
    path
}

fn load_error(name: &str, text: &str) -> (String, String) {
    let path = scratch_file(name, text);
    let err = SecretConfig::load(&path).expect_err("config must be rejected");
    (path.display().to_string(), err.to_string())
}

fn rule_ids(scanner: &Scanner, path: &str, data: &[u8]) -> Vec<String> {
    scanner
        .scan(path, data)
        .into_iter()
        .map(|f| f.rule_id)
        .collect()
}

#[test]
fn unknown_key_is_named_with_file() {
    let (path, message) = load_error("unknown-key.yaml", "disable_rule:\n  - secret-jwt\n");
    assert!(message.contains(&path), "{message}");
    assert!(message.contains("disable_rule"), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn bad_severity_names_rule_key() {
    let yaml = "rules:\n  - id: corp\n    regex: 'corp_[a-z]{10}'\n    severity: urgent\n";
    let (path, message) = load_error("severity.yaml", yaml);
    assert!(message.contains(&path), "{message}");
    assert!(message.contains("rules[0].severity"), "{message}");
    assert!(message.contains("urgent"), "{message}");
}

#[test]
fn invalid_regex_names_rule_key() {
    let yaml =
        "rules:\n  - id: ok\n    regex: 'ok_[a-z]{4}'\n  - id: broken\n    regex: 'tok_([a-z'\n";
    let (path, message) = load_error("regex.yaml", yaml);
    assert!(message.contains(&path), "{message}");
    assert!(message.contains("rules[1].regex"), "{message}");
    assert!(message.contains("invalid regex"), "{message}");
}

#[test]
fn unknown_rule_id_names_list_key() {
    let (path, message) = load_error("disable.yaml", "disable_rules: [jwt, no-such-rule]\n");
    assert!(message.contains(&path), "{message}");
    assert!(message.contains("disable_rules[1]"), "{message}");
    assert!(message.contains("secret-no-such-rule"), "{message}");
}

#[test]
fn invalid_glob_and_fingerprint_are_named() {
    let (_, message) = load_error("glob.yaml", "allow:\n  paths: ['app/[x']\n");
    assert!(message.contains("allow.paths[0]"), "{message}");
    let (_, message) = load_error("fp.yaml", "allow:\n  fingerprints: [abc]\n");
    assert!(message.contains("allow.fingerprints[0]"), "{message}");
    let (_, message) = load_error(
        "group.yaml",
        "rules:\n  - id: x\n    regex: 'x_[a-z]{9}'\n    secret_group: 2\n",
    );
    assert!(message.contains("rules[0].secret_group"), "{message}");
}

#[test]
fn missing_file_is_a_read_error() {
    let path = std::env::temp_dir().join("bulwark-secrets-no-such-config.yaml");
    let err = SecretConfig::load(&path).expect_err("missing file");
    assert!(matches!(err, Error::Read { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("bulwark-secrets-no-such-config.yaml")
    );
}

#[test]
fn custom_rule_gets_prefix_and_runs() {
    let yaml = "rules:\n  - id: corp-token\n    title: Corp token\n    severity: critical\n    keywords: [corp_]\n    regex: '\\b(corp_[a-z0-9]{16})\\b'\n";
    let config = SecretConfig::from_yaml(yaml, "inline.yaml").expect("valid config");
    let scanner = Scanner::new(&config).expect("scanner builds");
    assert!(scanner.rule_ids().contains(&"secret-corp-token"));
    let findings = scanner.scan("app.ini", b"token = corp_k3j9x0q2m8v7w1z4\n");
    let corp: Vec<_> = findings
        .iter()
        .filter(|f| f.rule_id == "secret-corp-token")
        .collect();
    assert_eq!(corp.len(), 1, "{findings:?}");
    assert_eq!(corp[0].severity.as_str(), "critical");
    assert_eq!(corp[0].snippet, "token = corp****");
}

#[test]
fn duplicate_custom_id_is_rejected() {
    let yaml = "rules:\n  - id: jwt\n    regex: 'x'\n";
    let err = SecretConfig::from_yaml(yaml, "dup.yaml").expect_err("duplicate id");
    assert!(err.to_string().contains("rules[0].id"), "{err}");
}

#[test]
fn disable_and_enable_only_select_rules() {
    let kept = testdata("aws-kept.env");
    let config =
        SecretConfig::from_yaml("disable_rules: [aws-access-key-id]\n", "d.yaml").expect("valid");
    let scanner = Scanner::new(&config).expect("scanner builds");
    assert_eq!(
        rule_ids(&scanner, "kept.env", &kept),
        vec!["secret-aws-secret-access-key"]
    );

    let config = SecretConfig::from_yaml("enable_only: [secret-aws-access-key-id]\n", "e.yaml")
        .expect("valid");
    let scanner = Scanner::new(&config).expect("scanner builds");
    assert_eq!(scanner.rule_ids(), vec!["secret-aws-access-key-id"]);
    assert_eq!(
        rule_ids(&scanner, "kept.env", &kept),
        vec!["secret-aws-access-key-id"]
    );
}

#[test]
fn path_allow_list_skips_files() {
    let kept = testdata("aws-kept.env");
    let config =
        SecretConfig::from_yaml("allow:\n  paths: ['app/fixtures/**']\n", "p.yaml").expect("valid");
    let scanner = Scanner::new(&config).expect("scanner builds");
    assert!(scanner.scan("app/fixtures/aws.env", &kept).is_empty());
    assert!(scanner.scan("/app/fixtures/aws.env", &kept).is_empty());
    assert_eq!(scanner.scan("app/kept/aws.env", &kept).len(), 2);
}

#[test]
fn builtin_path_allow_list_can_be_turned_off() {
    let key = testdata("id_rsa_kept");
    let path = "usr/lib/go-1.19/src/crypto/tls/testdata/example-key.pem";
    let default = Scanner::new(&SecretConfig::default()).expect("scanner builds");
    assert!(default.scan(path, &key).is_empty());
    let config = SecretConfig::from_yaml("builtin_allow_paths: false\n", "b.yaml").expect("valid");
    let scanner = Scanner::new(&config).expect("scanner builds");
    assert_eq!(
        rule_ids(&scanner, path, &key),
        vec!["secret-private-key-pkcs8"]
    );
}

#[test]
fn secret_regex_fingerprint_and_stop_word_allow_lists() {
    let kept = testdata("aws-kept.env");
    let text = String::from_utf8(kept.clone()).expect("UTF-8");
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("AWS_SECRET_ACCESS_KEY="))
        .expect("secret line");

    let by_regex =
        SecretConfig::from_yaml("allow:\n  secrets: ['^AKIAZ3KEPT']\n", "r.yaml").expect("valid");
    let scanner = Scanner::new(&by_regex).expect("scanner builds");
    assert_eq!(
        rule_ids(&scanner, "k.env", &kept),
        vec!["secret-aws-secret-access-key"]
    );

    let print = fingerprint("secret-aws-secret-access-key", secret.as_bytes());
    let yaml = format!("allow:\n  fingerprints: ['{}']\n", print.to_uppercase());
    let by_fingerprint = SecretConfig::from_yaml(&yaml, "f.yaml").expect("valid");
    let scanner = Scanner::new(&by_fingerprint).expect("scanner builds");
    assert_eq!(
        rule_ids(&scanner, "k.env", &kept),
        vec!["secret-aws-access-key-id"]
    );

    let by_word =
        SecretConfig::from_yaml("allow:\n  stop_words: [corpus]\n", "s.yaml").expect("valid");
    let scanner = Scanner::new(&by_word).expect("scanner builds");
    assert_eq!(
        rule_ids(&scanner, "k.env", &kept),
        vec!["secret-aws-secret-access-key"]
    );
}

#[test]
fn empty_file_is_the_default_config() {
    let config = SecretConfig::from_yaml("\n# nothing\n", "empty.yaml").expect("valid");
    let default = SecretConfig {
        origin: Some("empty.yaml".to_owned()),
        ..SecretConfig::default()
    };
    assert_eq!(config, default);
}

#[test]
fn max_file_size_skips_large_files_with_warning() {
    let config = SecretConfig::from_yaml("max_file_size: 100\n", "m.yaml").expect("valid");
    let scanner = Scanner::new(&config).expect("scanner builds");
    let result = scanner.scan_file("kept.env", &testdata("aws-kept.env"));
    assert!(result.findings.is_empty());
    assert_eq!(result.warnings.len(), 1);
    assert!(result.warnings[0].message.contains("max_file_size"));
    assert!(!scanner.wants("kept.env", 215));
}
