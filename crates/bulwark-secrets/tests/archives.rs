//! Text entries of zip-format archives are scanned in memory, one nested
//! level deep, and zip bombs are rejected with warnings.

use std::io::{Cursor, Write};
use std::path::PathBuf;

use bulwark_secrets::{FileScan, Scanner, SecretConfig};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn testdata(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/layers")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn build_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        writer.start_file(*name, options).expect("start entry");
        writer.write_all(data).expect("write entry");
    }
    writer.finish().expect("finish zip").into_inner()
}

fn scanner(yaml: &str) -> Scanner {
    let config = SecretConfig::from_yaml(yaml, "test.yaml").expect("config is valid");
    Scanner::new(&config).expect("scanner builds")
}

fn locations(result: &FileScan) -> Vec<(String, String)> {
    result
        .findings
        .iter()
        .map(|f| (f.path.clone(), f.rule_id.clone()))
        .collect()
}

/// Builds a jar with the real planted files as resources, a class file
/// and a nested library jar.
fn app_jar() -> Vec<u8> {
    let inner = build_zip(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("creds/aws-deleted.env", &testdata("aws-deleted.env")),
    ]);
    let mut class = b"\xca\xfe\xba\xbe\0\0\0\x41".to_vec();
    class.extend_from_slice(&testdata("aws-kept.env"));
    build_zip(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nMain-Class: App\n",
        ),
        (
            "BOOT-INF/classes/application.env",
            &testdata("aws-kept.env"),
        ),
        ("BOOT-INF/classes/keys/id_rsa", &testdata("id_rsa_kept")),
        ("BOOT-INF/classes/App.class", &class),
        (
            "BOOT-INF/classes/settings.conf",
            &testdata("settings.conf.v1"),
        ),
        ("BOOT-INF/lib/creds.jar", &inner),
    ])
}

#[test]
fn jar_entries_and_nested_jar_are_scanned() {
    let scanner = scanner("archives:\n  enabled: true\n");
    let result = scanner.scan_file("opt/app/app.jar", &app_jar());
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    let expected = [
        (
            "opt/app/app.jar!/BOOT-INF/classes/application.env",
            "secret-aws-access-key-id",
        ),
        (
            "opt/app/app.jar!/BOOT-INF/classes/application.env",
            "secret-aws-secret-access-key",
        ),
        (
            "opt/app/app.jar!/BOOT-INF/classes/keys/id_rsa",
            "secret-private-key-pkcs8",
        ),
        (
            "opt/app/app.jar!/BOOT-INF/lib/creds.jar!/creds/aws-deleted.env",
            "secret-aws-access-key-id",
        ),
        (
            "opt/app/app.jar!/BOOT-INF/lib/creds.jar!/creds/aws-deleted.env",
            "secret-aws-secret-access-key",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(locations(&result), expected);
}

#[test]
fn archives_are_skipped_when_disabled() {
    let scanner = scanner("");
    let result = scanner.scan_file("opt/app/app.jar", &app_jar());
    assert!(result.findings.is_empty());
    assert!(!scanner.wants("opt/app/app.jar", 1000));
}

#[test]
fn zip_bomb_entry_is_rejected_with_warning() {
    // A real env file padded with 8 MiB of spaces deflates more than
    // 1000:1; its neighbour is still scanned.
    let mut bomb = testdata("aws-kept.env");
    bomb.extend(std::iter::repeat_n(b' ', 8 * 1024 * 1024));
    let zip = build_zip(&[
        ("bomb.env", &bomb),
        ("next.env", &testdata("aws-deleted.env")),
    ]);
    assert!(
        zip.len() < 64 * 1024,
        "bomb compressed to {} bytes",
        zip.len()
    );
    let scanner = scanner("archives:\n  enabled: true\n");
    let result = scanner.scan_file("srv/bundle.zip", &zip);
    assert_eq!(result.warnings.len(), 1, "{:?}", result.warnings);
    assert_eq!(result.warnings[0].path, "srv/bundle.zip!/bomb.env");
    assert!(
        result.warnings[0].message.contains("compression ratio"),
        "{}",
        result.warnings[0].message
    );
    assert!(
        result
            .findings
            .iter()
            .all(|f| f.path == "srv/bundle.zip!/next.env")
    );
    assert_eq!(result.findings.len(), 2);
}

#[test]
fn oversized_entry_is_rejected() {
    let mut big = testdata("aws-kept.env");
    big.extend(std::iter::repeat_n(b'#', 4096));
    let zip = build_zip(&[("big.env", &big)]);
    let scanner = scanner("archives:\n  enabled: true\n  max_entry_size: 1024\n");
    let result = scanner.scan_file("a.zip", &zip);
    assert!(result.findings.is_empty());
    assert_eq!(result.warnings.len(), 1);
    assert!(result.warnings[0].message.contains("max_entry_size"));
}

#[test]
fn entry_count_limit_rejects_archive() {
    let kept = testdata("aws-kept.env");
    let zip = build_zip(&[("a.env", &kept), ("b.env", &kept), ("c.env", &kept)]);
    let scanner = scanner("archives:\n  enabled: true\n  max_entries: 2\n");
    let result = scanner.scan_file("a.zip", &zip);
    assert!(result.findings.is_empty());
    assert_eq!(result.warnings.len(), 1);
    assert!(result.warnings[0].message.contains("max_entries"));
}

#[test]
fn total_size_limit_stops_reading() {
    let kept = testdata("aws-kept.env");
    let zip = build_zip(&[("a.env", &kept), ("b.env", &kept), ("c.env", &kept)]);
    let limit = kept.len() + kept.len() / 2;
    let yaml = format!("archives:\n  enabled: true\n  max_total_size: {limit}\n");
    let result = scanner(&yaml).scan_file("a.zip", &zip);
    let paths: Vec<&str> = result.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["a.zip!/a.env", "a.zip!/a.env"]);
    assert!(
        result
            .warnings
            .iter()
            .any(|w| w.message.contains("max_total_size")),
        "{:?}",
        result.warnings
    );
}

#[test]
fn second_nesting_level_is_not_opened() {
    let innermost = build_zip(&[("deep.env", &testdata("aws-kept.env"))]);
    let middle = build_zip(&[("lib/deep.jar", &innermost)]);
    let outer = build_zip(&[("WEB-INF/lib/middle.jar", &middle)]);
    let result = scanner("archives:\n  enabled: true\n").scan_file("app.war", &outer);
    assert!(result.findings.is_empty());
    assert_eq!(result.warnings.len(), 1);
    assert_eq!(
        result.warnings[0].path,
        "app.war!/WEB-INF/lib/middle.jar!/lib/deep.jar"
    );
}

#[test]
fn truncated_archive_gives_warning_not_panic() {
    let jar = app_jar();
    let scanner = scanner("archives:\n  enabled: true\n");
    for cut in [0, 4, 100, jar.len() / 2, jar.len() - 10] {
        let result = scanner.scan_file("broken.jar", &jar[..cut]);
        assert!(!result.warnings.is_empty(), "cut at {cut}");
    }
}
