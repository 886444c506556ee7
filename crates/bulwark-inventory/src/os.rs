//! Operating system detection from release files.

use std::collections::BTreeMap;

use serde::Serialize;

/// The release files read to identify the OS.
pub(crate) const OS_FILES: [&str; 14] = [
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "etc/debian_version",
    "etc/lsb-release",
    "etc/redhat-release",
    "etc/centos-release",
    "etc/system-release",
    "etc/oracle-release",
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/fedora-release",
    "etc/SuSE-release",
    "etc/photon-release",
];

/// The parsed content of one release file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsFile {
    pub path: String,
    /// `KEY=value` pairs for os-release and lsb-release; `{"text": ...}`
    /// for one-line release files.
    pub fields: BTreeMap<String, String>,
}

/// The detected operating system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Os {
    /// Distribution family used for advisories and purls, such as
    /// `debian`, `alpine`, `redhat`, `rocky` or `wolfi`.
    pub family: String,
    /// Release, as precise as the files state it (`12.15`, `3.19.4`).
    pub version: String,
    /// The os-release `PRETTY_NAME`, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// Whether the image is a distroless image, which has a package
    /// database but no package manager.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distroless: bool,
}

/// Parses a release file into fields.
pub(crate) fn parse_os_file(path: &str, data: &[u8]) -> OsFile {
    let text = String::from_utf8_lossy(data);
    let mut fields = BTreeMap::new();
    if path.ends_with("os-release") || path.ends_with("lsb-release") {
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            if let Some((key, value)) = line.split_once('=') {
                let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
                fields.insert(key.trim().to_owned(), value.to_owned());
            }
        }
    } else {
        let first = text.lines().next().unwrap_or_default().trim().to_owned();
        fields.insert("text".to_owned(), first);
    }
    OsFile {
        path: path.to_owned(),
        fields,
    }
}

/// Maps an os-release `ID` to the family name used for advisories.
fn family_for_id(id: &str) -> Option<&'static str> {
    Some(match id {
        "alpine" => "alpine",
        "debian" => "debian",
        "ubuntu" => "ubuntu",
        "rhel" => "redhat",
        "centos" => "centos",
        "almalinux" => "almalinux",
        "rocky" => "rocky",
        "ol" => "oracle",
        "amzn" => "amazon",
        "sles" | "sles_sap" | "sle-micro" => "suse linux enterprise",
        "opensuse-leap" | "opensuse" => "opensuse-leap",
        "opensuse-tumbleweed" => "opensuse-tumbleweed",
        "wolfi" => "wolfi",
        "chainguard" => "chainguard",
        "fedora" => "fedora",
        "photon" => "photon",
        "mariner" => "cbl-mariner",
        "azurelinux" => "azurelinux",
        _ => return None,
    })
}

/// Extracts the first dotted number, such as `8.9` from
/// "Red Hat Enterprise Linux release 8.9 (Ootpa)".
fn release_number(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('.').to_owned())
}

/// Decides the OS from the release files present, keyed by path.
pub(crate) fn detect(files: &BTreeMap<String, OsFile>) -> Option<Os> {
    let field = |path: &str, key: &str| {
        files
            .get(path)
            .and_then(|f| f.fields.get(key))
            .filter(|v| !v.is_empty())
            .cloned()
    };
    let text = |path: &str| field(path, "text");
    let os_release = ["etc/os-release", "usr/lib/os-release"]
        .into_iter()
        .find(|p| files.contains_key(*p));
    if let Some(release) = os_release {
        let id = field(release, "ID")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let pretty_name = field(release, "PRETTY_NAME");
        let codename = field(release, "VERSION_CODENAME");
        let distroless = pretty_name
            .as_deref()
            .is_some_and(|p| p.contains("Distroless"));
        if let Some(family) = family_for_id(&id) {
            let mut version = field(release, "VERSION_ID").unwrap_or_default();
            // Single-line release files are more precise than VERSION_ID.
            let precise = match family {
                "alpine" => text("etc/alpine-release"),
                "debian" => text("etc/debian_version")
                    .filter(|v| v.starts_with(|c: char| c.is_ascii_digit())),
                "redhat" => text("etc/redhat-release").and_then(|t| release_number(&t)),
                "centos" => text("etc/centos-release").and_then(|t| release_number(&t)),
                "rocky" => text("etc/rocky-release").and_then(|t| release_number(&t)),
                "almalinux" => text("etc/almalinux-release").and_then(|t| release_number(&t)),
                "oracle" => text("etc/oracle-release").and_then(|t| release_number(&t)),
                _ => None,
            };
            if let Some(precise) = precise {
                version = precise;
            }
            return Some(Os {
                family: family.to_owned(),
                version,
                pretty_name,
                codename,
                distroless,
            });
        }
    }
    // Images without os-release: older releases and minimal images.
    let plain = |family: &str, version: Option<String>| {
        version.map(|version| Os {
            family: family.to_owned(),
            version,
            pretty_name: None,
            codename: None,
            distroless: false,
        })
    };
    if let Some(version) = text("etc/alpine-release") {
        return plain("alpine", Some(version));
    }
    if let Some(distrib) = field("etc/lsb-release", "DISTRIB_ID")
        && distrib.eq_ignore_ascii_case("ubuntu")
    {
        return plain("ubuntu", field("etc/lsb-release", "DISTRIB_RELEASE"));
    }
    if let Some(version) = text("etc/debian_version") {
        return plain("debian", Some(version));
    }
    let release_files = [
        ("etc/centos-release", "centos"),
        ("etc/rocky-release", "rocky"),
        ("etc/almalinux-release", "almalinux"),
        ("etc/oracle-release", "oracle"),
        ("etc/fedora-release", "fedora"),
        ("etc/redhat-release", "redhat"),
        ("etc/system-release", "amazon"),
    ];
    for (path, family) in release_files {
        if let Some(line) = text(path) {
            let family = if family == "redhat" && line.starts_with("CentOS") {
                "centos"
            } else {
                family
            };
            return plain(family, release_number(&line));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> BTreeMap<String, OsFile> {
        entries
            .iter()
            .map(|(path, text)| ((*path).to_owned(), parse_os_file(path, text.as_bytes())))
            .collect()
    }

    #[test]
    fn debian_version_refines_os_release() {
        let os = detect(&files(&[
            (
                "etc/os-release",
                "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            ),
            ("etc/debian_version", "12.15\n"),
        ]))
        .unwrap();
        assert_eq!(os.family, "debian");
        assert_eq!(os.version, "12.15");
        assert_eq!(os.codename.as_deref(), Some("bookworm"));
    }

    #[test]
    fn redhat_release_without_os_release() {
        let os = detect(&files(&[(
            "etc/redhat-release",
            "CentOS release 6.10 (Final)\n",
        )]))
        .unwrap();
        assert_eq!(
            (os.family.as_str(), os.version.as_str()),
            ("centos", "6.10")
        );
    }
}
