//! Reads real RPM databases of all three formats and compares the packages with
//! what real tools and peer projects' tests expect.

mod common;

use bulwark_rpmdb::{
    DbFormat, RpmDbError, RpmPackage, detect_format, read_header_blob, read_packages,
};
use common::{
    corpus, go_rpmdb_fixture, local_fixture, nevra_row, positional_rows, sorted, tsv_rows,
};

const LIBUUID: &str = "testdata/libuuid/Packages";
const MARINER: &str = "testdata/cbl-mariner-2.0/rpmdb.sqlite";
const SLE15: &str = "testdata/sle15-bci/Packages.db";
const BLOB: &str = "testdata/blob.bin";

/// Returns the rows of go-rpmdb's `rpm -qa` oracle for one fixture, without the fixture column.
fn rpm_qa_rows(fixture: &str) -> Vec<Vec<String>> {
    let rows: Vec<Vec<String>> = tsv_rows(&corpus().join("go-rpmdb/ORACLE-rpm-qa.tsv"))
        .into_iter()
        .filter(|row| row.first().map(String::as_str) == Some(fixture))
        .map(|row| row.into_iter().skip(1).collect())
        .collect();
    assert!(!rows.is_empty(), "the oracle has no rows for {fixture}");
    rows
}

fn read_go_rpmdb(fixture: &str) -> Vec<RpmPackage> {
    read_packages(fixture, &go_rpmdb_fixture(fixture))
        .unwrap_or_else(|error| panic!("reading {fixture} failed: {error}"))
}

fn find<'a>(packages: &'a [RpmPackage], name: &str) -> &'a RpmPackage {
    packages
        .iter()
        .find(|package| package.name == name)
        .unwrap_or_else(|| panic!("package {name} not found"))
}

#[test]
fn bdb_libuuid_matches_rpm_qa() {
    let packages = read_go_rpmdb(LIBUUID);
    let got = sorted(packages.iter().map(nevra_row).collect());
    assert_eq!(got, sorted(rpm_qa_rows(LIBUUID)));
}

#[test]
fn sqlite_mariner_matches_rpm_qa() {
    let packages = read_go_rpmdb(MARINER);
    assert_eq!(packages.len(), 129);
    let got = sorted(packages.iter().map(nevra_row).collect());
    assert_eq!(got, sorted(rpm_qa_rows(MARINER)));
}

#[test]
fn ndb_sle15_matches_go_rpmdb_table() {
    let packages = read_go_rpmdb(SLE15);
    // The table's fields: name, version, release, arch, source RPM, license,
    // vendor, modularity label, summary and SIGMD5, from `rpm -qa --queryformat`.
    let expected = sorted(positional_rows("SLE15WithNDB"));
    assert_eq!(expected.len(), 35);
    let got = sorted(
        packages
            .iter()
            .map(|package| {
                vec![
                    package.name.clone(),
                    package.version.clone(),
                    package.release.clone(),
                    package.arch.clone().unwrap_or_default(),
                    package.source_rpm.clone().unwrap_or_default(),
                    package.license.clone().unwrap_or_default(),
                    package.vendor.clone().unwrap_or_default(),
                    package.modularity_label.clone().unwrap_or_default(),
                    package.summary.clone().unwrap_or_default(),
                    package.sigmd5.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    );
    assert_eq!(got, expected);
}

#[test]
fn bdb_syft_dive_matches_rpm_qa() {
    let packages = read_packages("syft/Packages", &local_fixture("syft/Packages")).unwrap();
    let expected = tsv_rows(&corpus().join("syft/ORACLE-rpm-qa-redhat-Packages.tsv"));
    let got: Vec<Vec<String>> = packages.iter().map(nevra_row).collect();
    assert_eq!(got, expected);
}

#[test]
fn bdb_scalibr_hello_has_epoch() {
    let packages = read_packages(
        "osv-scalibr/Packages_epoch",
        &local_fixture("osv-scalibr/Packages_epoch"),
    )
    .unwrap();
    // osv-scalibr's expectations give the name and "VERSION-RELEASE".
    let expected: Vec<(String, String)> =
        tsv_rows(&corpus().join("osv-scalibr/EXPECTED-from-go-tests.tsv"))
            .into_iter()
            .filter(|row| row.get(1).map(String::as_str) == Some("testdata/Packages_epoch"))
            .filter(|row| row.get(2).map(String::as_str) == Some("case"))
            .map(|row| (row[3].clone(), row[4].clone()))
            .collect();
    assert!(!expected.is_empty());
    for (name, version_release) in &expected {
        let package = find(&packages, name);
        assert_eq!(
            &format!("{}-{}", package.version, package.release),
            version_release
        );
    }
    assert_eq!(packages.len(), 1);
    // osv-scalibr's rpm_test.go, case "custom rpm", expects this metadata.
    let hello = find(&packages, "hello");
    assert_eq!(hello.epoch, Some(1));
    assert_eq!(hello.arch.as_deref(), Some("x86_64"));
    assert_eq!(hello.license.as_deref(), Some("GPL"));
    assert_eq!(hello.source_rpm.as_deref(), Some("hello-0.0.1-rls.src.rpm"));
}

#[test]
fn bdb_libuuid_files_match() {
    let packages = read_go_rpmdb(LIBUUID);
    let expected: Vec<String> = positional_rows("LibuuidInstalledFiles")
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(expected.len(), 7);
    assert_eq!(find(&packages, "libuuid").files, expected);
}

#[test]
fn bdb_libuuid_details_match() {
    let packages = read_go_rpmdb(LIBUUID);
    let libuuid = find(&packages, "libuuid");
    // Values from go-rpmdb's rpmdb_test.go, case "libuuid".
    assert_eq!(libuuid.license.as_deref(), Some("BSD"));
    assert_eq!(libuuid.vendor.as_deref(), Some("Red Hat, Inc."));
    assert_eq!(
        libuuid.summary.as_deref(),
        Some("Universally unique ID library")
    );
    assert_eq!(libuuid.size, Some(35104));
    assert_eq!(
        libuuid.sigmd5.as_deref(),
        Some("c1e561f13d39aee443a1f00258fba000")
    );
    assert_eq!(libuuid.modularity_label, None);

    assert_eq!(
        libuuid.provides,
        [
            "libuuid",
            "libuuid(x86-64)",
            "libuuid.so.1()(64bit)",
            "libuuid.so.1(UUIDD_PRIVATE)(64bit)",
            "libuuid.so.1(UUID_1.0)(64bit)",
            "libuuid.so.1(UUID_2.20)(64bit)",
            "libuuid.so.1(UUID_2.31)(64bit)",
        ]
    );

    assert_eq!(
        libuuid.requires,
        [
            "/sbin/ldconfig",
            "/sbin/ldconfig",
            "ld-linux-x86-64.so.2()(64bit)",
            "ld-linux-x86-64.so.2(GLIBC_2.3)(64bit)",
            "libc.so.6()(64bit)",
            "libc.so.6(GLIBC_2.14)(64bit)",
            "libc.so.6(GLIBC_2.2.5)(64bit)",
            "libc.so.6(GLIBC_2.25)(64bit)",
            "libc.so.6(GLIBC_2.28)(64bit)",
            "libc.so.6(GLIBC_2.3)(64bit)",
            "libc.so.6(GLIBC_2.3.4)(64bit)",
            "libc.so.6(GLIBC_2.4)(64bit)",
            "rpmlib(CompressedFileNames)",
            "rpmlib(FileDigests)",
            "rpmlib(PayloadFilesHavePrefix)",
            "rpmlib(PayloadIsXz)",
            "rtld(GNU_HASH)",
        ]
    );

    assert_eq!(
        libuuid.source_nvr(),
        Some(("util-linux".into(), "2.32.1".into(), "42.el8_8".into()))
    );
}

#[test]
fn sqlite_curl_details_match() {
    let packages = read_go_rpmdb(MARINER);
    let curl = find(&packages, "curl");
    // Values from go-rpmdb's rpmdb_test.go, case for CBL-Mariner 2.0 curl.
    assert_eq!(curl.version, "7.76.0");
    assert_eq!(curl.release, "6.cm2");
    assert_eq!(curl.arch.as_deref(), Some("x86_64"));
    assert_eq!(
        curl.source_rpm.as_deref(),
        Some("curl-7.76.0-6.cm2.src.rpm")
    );
    assert_eq!(curl.license.as_deref(), Some("MIT"));
    assert_eq!(curl.vendor.as_deref(), Some("Microsoft Corporation"));
    assert_eq!(
        curl.summary.as_deref(),
        Some("An URL retrieval utility and library")
    );
    assert_eq!(
        curl.sigmd5.as_deref(),
        Some("b5f5369ae91df3672fa3338669ec5ca2")
    );
    assert_eq!(curl.size, Some(326023));
    assert_eq!(curl.provides, ["curl", "curl(x86-64)"]);
    assert_eq!(
        curl.requires,
        [
            "/bin/sh",
            "/sbin/ldconfig",
            "/sbin/ldconfig",
            "curl-libs",
            "krb5",
            "libc.so.6()(64bit)",
            "libc.so.6(GLIBC_2.14)(64bit)",
            "libc.so.6(GLIBC_2.2.5)(64bit)",
            "libc.so.6(GLIBC_2.3)(64bit)",
            "libc.so.6(GLIBC_2.3.4)(64bit)",
            "libc.so.6(GLIBC_2.33)(64bit)",
            "libc.so.6(GLIBC_2.34)(64bit)",
            "libc.so.6(GLIBC_2.4)(64bit)",
            "libc.so.6(GLIBC_2.7)(64bit)",
            "libcurl.so.4()(64bit)",
            "libssh2",
            "libz.so.1()(64bit)",
            "openssl",
            "rpmlib(CompressedFileNames)",
            "rpmlib(FileDigests)",
            "rpmlib(PayloadFilesHavePrefix)",
        ]
    );

    let expected_files: Vec<String> = positional_rows("Mariner2CurlInstalledFiles")
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(expected_files.len(), 6);
    assert_eq!(curl.files, expected_files);
}

#[test]
fn blob_bin_decodes_without_file_list() {
    // go-rpmdb's TestNevra reads this blob: the header imports, but its file
    // list is invalid (a DIRINDEXES value past the DIRNAMES entries).
    let package = read_header_blob(BLOB, &go_rpmdb_fixture(BLOB)).unwrap();
    assert!(!package.name.is_empty());
    assert!(!package.version.is_empty());
    assert!(!package.release.is_empty());
    assert!(package.files.is_empty());
}

#[test]
fn detect_format_recognises_each_fixture() {
    let cases = [
        (go_rpmdb_fixture(LIBUUID), Some(DbFormat::BerkeleyDb)),
        (go_rpmdb_fixture(MARINER), Some(DbFormat::Sqlite)),
        (go_rpmdb_fixture(SLE15), Some(DbFormat::Ndb)),
        (local_fixture("syft/Packages"), Some(DbFormat::BerkeleyDb)),
        (
            local_fixture("osv-scalibr/Packages_epoch"),
            Some(DbFormat::BerkeleyDb),
        ),
        (go_rpmdb_fixture(BLOB), None),
        (local_fixture("osv-scalibr/invalid"), None),
        (local_fixture("osv-scalibr/empty.sqlite"), None),
    ];
    for (index, (bytes, expected)) in cases.iter().enumerate() {
        assert_eq!(detect_format(bytes), *expected, "case {index}");
    }
}

#[test]
fn detect_format_accepts_big_endian_bdb() {
    // Berkeley DB writes the metadata in the byte order of the machine; a
    // big-endian machine stores the hash magic reversed.
    let mut bytes = go_rpmdb_fixture(LIBUUID);
    bytes[12..16].reverse();
    assert_eq!(detect_format(&bytes), Some(DbFormat::BerkeleyDb));
}

#[test]
fn scalibr_empty_and_invalid_files_fail() {
    let empty = read_packages(
        "var/lib/rpm/rpmdb.sqlite",
        &local_fixture("osv-scalibr/empty.sqlite"),
    );
    assert!(matches!(empty, Err(RpmDbError::Empty { .. })), "{empty:?}");
    let invalid = read_packages(
        "var/lib/rpm/Packages",
        &local_fixture("osv-scalibr/invalid"),
    );
    let Err(error) = invalid else {
        panic!("expected an error, got {invalid:?}");
    };
    assert!(
        matches!(error, RpmDbError::UnknownFormat { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("var/lib/rpm/Packages"),
        "{error}"
    );
}

#[test]
fn packages_are_sorted() {
    let packages = read_go_rpmdb(MARINER);
    let keys: Vec<_> = packages
        .iter()
        .map(|p| (&p.name, p.epoch, &p.version, &p.release, &p.arch))
        .collect();
    assert!(keys.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[test]
fn source_nvr_round_trips_mariner() {
    let packages = read_go_rpmdb(MARINER);
    for package in &packages {
        let source_rpm = package
            .source_rpm
            .as_deref()
            .expect("every Mariner package has a source RPM");
        let (name, version, release) = package
            .source_nvr()
            .unwrap_or_else(|| panic!("cannot parse {source_rpm}"));
        assert_eq!(format!("{name}-{version}-{release}.src.rpm"), source_rpm);
    }
    // curl is built from the curl source package at the same version.
    let curl = find(&packages, "curl");
    assert_eq!(
        curl.source_nvr(),
        Some(("curl".into(), curl.version.clone(), curl.release.clone()))
    );
}
