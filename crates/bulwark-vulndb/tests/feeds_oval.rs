//! Converts the full OVAL files of the corpus and checks the converters
//! against counts taken from the XML text itself.

use std::io::Read;
use std::path::Path;

mod common;

use bulwark_osv::Status;
use bulwark_vulndb::feeds::FeedConverter;
use common::{convert, corpus, fixed_of};

fn decompress(path: &Path, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match path.extension().and_then(|e| e.to_str()) {
        Some("bz2") => bzip2::read::MultiBzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap(),
        Some("xz") => liblzma::read::XzDecoder::new_multi_decoder(data)
            .read_to_end(&mut out)
            .unwrap(),
        _ => return data.to_vec(),
    };
    out
}

/// Counts non-overlapping occurrences of `needle`.
fn count(haystack: &[u8], needle: &[u8]) -> usize {
    let haystack = std::str::from_utf8(haystack).expect("OVAL files are UTF-8");
    let needle = std::str::from_utf8(needle).unwrap();
    haystack.matches(needle).count()
}

#[test]
fn debian_oval_corpus_converts_every_definition() {
    let converter = bulwark_vulndb::feeds::debian_oval::DebianOval;
    for (release, number) in [
        ("bookworm", "12"),
        ("bullseye", "11"),
        ("buster", "10"),
        ("stretch", "9"),
    ] {
        let path = corpus().join(format!(
            "pschou-oval/debian-oval/oval-definitions-{release}.xml.bz2"
        ));
        let compressed = std::fs::read(&path).unwrap();
        let xml = decompress(&path, &compressed);
        assert!(converter.detect(&path, &xml[..4096]), "{release}");
        let definitions = count(&xml, b"<definition ");
        // The generator writes "<package> DPKG is earlier than 0" for open
        // issues; every such criterion must become an entry without a fix.
        let open = count(&xml, b" DPKG is earlier than 0\"");
        // Bullseye has criteria for a package the generator named "None",
        // whose object has an empty name: those records must be reported.
        let nameless = count(&xml, b"\"None DPKG is earlier than ");
        let package_criteria = count(&xml, b" DPKG is earlier than ") - nameless;

        // The converter reads the compressed file as it is.
        let converted = convert(&converter, &path, &compressed).unwrap();
        assert_eq!(
            converted.errors.len(),
            nameless,
            "{release}: {:?}",
            converted.errors
        );
        for error in &converted.errors {
            assert!(
                error.reason.contains("has an empty name"),
                "{release}: {error}"
            );
        }
        assert_eq!(
            converted.advisories.len() + converted.errors.len(),
            definitions,
            "{release}"
        );

        let entries: Vec<_> = converted
            .advisories
            .iter()
            .flat_map(|advisory| &advisory.affected)
            .collect();
        assert_eq!(entries.len(), package_criteria, "{release}");
        let unfixed = entries.iter().filter(|a| fixed_of(a).is_none()).count();
        assert_eq!(unfixed, open, "{release}");
        let ecosystem = format!("Debian:{number}");
        for entry in &entries {
            let package = entry.package.as_ref().unwrap();
            assert_eq!(package.ecosystem, ecosystem, "{release}");
            assert_eq!(entry.status(), Some(Status::Affected), "{release}");
            if let Some(fixed) = fixed_of(entry) {
                assert!(!fixed.starts_with("0:"), "{release}: {fixed}");
                bulwark_version::dpkg::DpkgVersion::parse(fixed)
                    .unwrap_or_else(|error| panic!("{release}: {error}"));
            }
        }
    }
}

#[test]
fn debian_oval_sample_definition_fields() {
    let path = corpus().join("pschou-oval/debian-oval/oval-definitions-bookworm.xml.bz2");
    let data = std::fs::read(&path).unwrap();
    let converted = convert(
        &bulwark_vulndb::feeds::debian_oval::DebianOval,
        &path,
        &data,
    )
    .unwrap();
    // The first definition of the file: CVE-1999-0199, glibc, fixed in
    // 2.2-1 ("0:2.2-1" in the state).
    let first = &converted.advisories[0];
    assert_eq!(first.id, "DEBIAN-CVE-1999-0199");
    assert_eq!(first.aliases, ["CVE-1999-0199"]);
    let package = first.affected[0].package.as_ref().unwrap();
    assert_eq!(package.name, "glibc");
    assert_eq!(fixed_of(&first.affected[0]), Some("2.2-1"));
    // DSA definitions keep the DSA id and list their CVEs as upstream.
    let dsa = converted
        .advisories
        .iter()
        .find(|a| a.id == "DSA-5418-1")
        .expect("DSA-5418-1");
    assert_eq!(dsa.upstream.len(), 13);
    assert_eq!(
        fixed_of(&dsa.affected[0]).map(|v| v.starts_with("114.")),
        Some(true)
    );
}

/// Replaces the first occurrence of `from` with `to`.
fn replace_once(data: &[u8], from: &str, to: &str) -> Vec<u8> {
    let at = data
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from:?} not found"));
    let mut out = data[..at].to_vec();
    out.extend_from_slice(to.as_bytes());
    out.extend_from_slice(&data[at + from.len()..]);
    out
}

#[test]
fn oval_bad_records_are_reported_not_fatal() {
    let path = corpus().join("pschou-oval/debian-oval/oval-definitions-stretch.xml.bz2");
    let xml = decompress(&path, &std::fs::read(&path).unwrap());
    let definitions = count(&xml, b"<definition ");
    let converter = bulwark_vulndb::feeds::debian_oval::DebianOval;

    // A criterion that refers to a test the file lacks spoils only its own
    // definition; its title too lacks any id.
    let text = String::from_utf8(xml.clone()).unwrap();
    let first_id = text
        .split("<definition id=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let broken = replace_once(
        &xml,
        "test_ref=\"oval:org.debian.oval:tst:3\"",
        "test_ref=\"oval:org.debian.oval:tst:missing\"",
    );
    let converted = convert(&converter, Path::new("stretch.xml"), &broken).unwrap();
    assert_eq!(converted.errors.len(), 1, "{:?}", converted.errors);
    assert_eq!(converted.errors[0].record, first_id);
    assert!(
        converted.errors[0].reason.contains("tst:missing"),
        "{}",
        converted.errors[0]
    );
    assert_eq!(converted.advisories.len(), definitions - 1);

    // A definition without an id is reported by its position.
    let broken = replace_once(
        &xml,
        &format!("<definition id=\"{first_id}\""),
        "<definition",
    );
    let converted = convert(&converter, Path::new("stretch.xml"), &broken).unwrap();
    assert_eq!(converted.errors.len(), 1);
    assert_eq!(converted.errors[0].record, "definition #1");

    // Truncated XML fails the file and names it.
    let truncated = &xml[..xml.len() / 2];
    let error = convert(&converter, Path::new("stretch.xml"), truncated)
        .err()
        .expect("truncated XML must fail");
    assert!(error.reason.contains("stretch.xml"), "{error}");

    // A file that is not OVAL fails with a clear message.
    let error = convert(&converter, Path::new("x.xml"), b"<html></html>")
        .err()
        .expect("non-OVAL XML must fail");
    assert!(error.reason.contains("not an OVAL file"), "{error}");
}

#[test]
fn ubuntu_oval_corpus_matches_update_instructions() {
    let converter = bulwark_vulndb::feeds::ubuntu_oval::UbuntuOval;
    for (release, ecosystem) in [
        ("noble", "Ubuntu:24.04:LTS"),
        ("lunar", "Ubuntu:23.04"),
        ("oracular", "Ubuntu:24.10"),
    ] {
        let path = corpus().join(format!(
            "pschou-oval/ubuntu-oval/com.ubuntu.{release}.usn.oval.xml.xz"
        ));
        let compressed = std::fs::read(&path).unwrap();
        let xml = decompress(&path, &compressed);
        assert!(converter.detect(&path, &xml[..4096]), "{release}");
        let definitions = count(&xml, b"<definition ");
        let inventory = count(&xml, b"class=\"inventory\"");
        let converted = convert(&converter, &path, &compressed).unwrap();
        assert_eq!(
            converted.advisories.len() + converted.errors.len() + inventory,
            definitions,
            "{release}"
        );
        // Only kernel notices, checked through the running kernel's version,
        // are skipped.
        for error in &converted.errors {
            assert!(
                error.reason.to_lowercase().contains("kernel"),
                "{release}: {error}"
            );
            assert!(
                error.reason.contains("no package criterion"),
                "{release}: {error}"
            );
        }
        assert!(
            converted.errors.len() < converted.advisories.len(),
            "{release}"
        );

        // Each notice's description ends with "updating your system to the
        // following package versions: <binary> - <version> …": the converted
        // entries must be exactly those pairs.
        let mut compared = 0;
        for advisory in &converted.advisories {
            let details = advisory.details.as_deref().unwrap_or_default();
            let Some((_, list)) = details.split_once("following package versions:") else {
                continue;
            };
            let list = list.split("Available with Ubuntu Pro").next().unwrap();
            let words: Vec<&str> = list.split_whitespace().collect();
            let expected: Vec<(String, String)> = words
                .chunks(3)
                .filter(|chunk| chunk.len() == 3 && chunk[1] == "-")
                .map(|chunk| (chunk[0].to_owned(), chunk[2].to_owned()))
                .collect();
            let actual: Vec<(String, String)> = advisory
                .affected
                .iter()
                .map(|a| {
                    let package = a.package.as_ref().unwrap();
                    assert_eq!(package.ecosystem, ecosystem, "{}", advisory.id);
                    (
                        package.name.clone(),
                        fixed_of(a).unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            // Some notices list only part of the binaries; every one they
            // list must be converted with that version.
            for pair in &expected {
                assert!(
                    actual.contains(pair),
                    "{release} {}: {pair:?} not in {actual:?}",
                    advisory.id
                );
            }
            compared += 1;
        }
        assert!(
            compared * 10 >= converted.advisories.len() * 9,
            "{release}: {compared}"
        );
    }
}

#[test]
fn rocky_oval_release_comes_from_content() {
    let converter = bulwark_vulndb::feeds::rocky_oval::RockyOval;
    for name in [
        "org.rockylinux.rlsa-8.xml.xz",
        "org.rockylinux.rlsa-9.xml.xz",
    ] {
        let path = corpus().join("pschou-oval/rocky-oval").join(name);
        let compressed = std::fs::read(&path).unwrap();
        let xml = decompress(&path, &compressed);
        assert!(converter.detect(&path, &xml[..4096]), "{name}");
        let definitions = count(&xml, b"<definition ");
        let converted = convert(&converter, &path, &compressed).unwrap();
        // Definitions that refer to a test the file lacks are reported.
        let text = std::str::from_utf8(&xml).unwrap();
        let (definitions_text, tables_text) = text.split_once("<tests>").unwrap();
        let dangling = definitions_text
            .split("<definition ")
            .skip(1)
            .filter(|block| {
                block.split("test_ref=\"").skip(1).any(|rest| {
                    let id = rest.split('"').next().unwrap();
                    !tables_text.contains(&format!("id=\"{id}\""))
                })
            })
            .count();
        assert_eq!(
            converted.errors.len(),
            dangling,
            "{name}: {:?}",
            converted.errors
        );
        for error in &converted.errors {
            assert!(
                error.reason.contains("which the file does not contain"),
                "{error}"
            );
        }
        assert_eq!(
            converted.advisories.len() + converted.errors.len(),
            definitions,
            "{name}"
        );
        // Both files hold Rocky Linux 9 advisories: every fixed version has
        // the el9 dist tag.
        for advisory in &converted.advisories {
            assert!(advisory.id.starts_with("RLSA-"), "{}", advisory.id);
            assert!(!advisory.affected.is_empty(), "{}", advisory.id);
            for entry in &advisory.affected {
                assert_eq!(entry.package.as_ref().unwrap().ecosystem, "Rocky Linux:9");
                let fixed = fixed_of(entry).expect("RLSA entries have a fix");
                assert!(fixed.contains("el9"), "{}: {fixed}", advisory.id);
                bulwark_version::rpm::RpmVersion::parse(fixed).unwrap();
            }
        }
    }
}
