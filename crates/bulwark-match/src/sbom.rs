//! Reading CycloneDX (1.4 to 1.6) and SPDX 2.3 JSON SBOMs into an
//! inventory, so that `bulwark scan sbom` matches what another tool listed.
//!
//! Packages come from the components' and packages' purls; entries without
//! a purl, or with one of a type Bulwark does not match, are counted in a
//! warning. The OS comes from a CycloneDX `operating-system` component, an
//! SPDX package whose purpose is `OPERATING-SYSTEM`, or else the `distro`
//! qualifier of OS package purls (`distro=debian-12`, `distro=3.19.4`).

use std::path::Path;

use bulwark_inventory::{Inventory, Os, Package, PackageKind, SourceInfo};
use serde_json::Value;

use crate::purl::{self, Purl};

/// An SBOM that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct SbomError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Maximum SBOM size read, in bytes. Real SBOMs of large images are tens of
/// MiB; the bound keeps a wrong file from exhausting memory.
pub const MAX_SBOM_BYTES: u64 = 1 << 30;

/// Reads an SBOM file into an inventory.
///
/// # Errors
///
/// [`SbomError`] when the file cannot be read, is not JSON, or is neither a
/// CycloneDX nor an SPDX 2 document.
pub fn read_sbom(path: &Path) -> Result<Inventory, SbomError> {
    let fail = |reason: String| SbomError {
        path: path.display().to_string(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| fail(format!("cannot read the file: {e}")))?
        .len();
    if size > MAX_SBOM_BYTES {
        return Err(fail(format!(
            "the file is {size} bytes; at most {MAX_SBOM_BYTES} are read"
        )));
    }
    let data = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    let document: Value =
        serde_json::from_slice(&data).map_err(|e| fail(format!("invalid JSON: {e}")))?;
    parse_sbom(&document, &path.display().to_string()).map_err(fail)
}

/// Converts a parsed SBOM document; `target` names it in the inventory.
///
/// # Errors
///
/// Returns the reason when the document is neither CycloneDX nor SPDX 2.
pub fn parse_sbom(document: &Value, target: &str) -> Result<Inventory, String> {
    let mut reader = Reader::default();
    if document.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        reader.read_cyclonedx(document);
    } else if document
        .get("spdxVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("SPDX-2"))
    {
        reader.read_spdx(document);
    } else {
        return Err(
            "not a CycloneDX or SPDX 2 JSON document: no \"bomFormat\": \"CycloneDX\" and no \"spdxVersion\": \"SPDX-2.x\""
                .to_owned(),
        );
    }
    Ok(reader.finish(target))
}

#[derive(Default)]
struct Reader {
    os: Option<Os>,
    /// OS guessed from the `distro` qualifier of OS package purls.
    distro_os: Option<Os>,
    packages: Vec<Package>,
    without_purl: usize,
    unsupported: std::collections::BTreeMap<String, usize>,
    errors: Vec<String>,
}

impl Reader {
    fn read_cyclonedx(&mut self, document: &Value) {
        let mut components = Vec::new();
        if let Some(root) = document.pointer("/metadata/component") {
            collect_components(root, &mut components);
        }
        for component in document
            .get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_components(component, &mut components);
        }
        for component in components {
            let text = |key: &str| component.get(key).and_then(Value::as_str);
            if text("type") == Some("operating-system") {
                if let (Some(name), Some(version)) = (text("name"), text("version")) {
                    self.os.get_or_insert_with(|| os(name, version));
                }
                continue;
            }
            let Some(purl_text) = text("purl") else {
                if matches!(text("type"), Some("library" | "framework" | "application"))
                    && text("name").is_some()
                    && document.pointer("/metadata/component") != Some(component)
                {
                    self.without_purl += 1;
                }
                continue;
            };
            let properties = properties(component);
            let location = properties
                .iter()
                .find(|(k, _)| k == "bulwark:location" || k == "syft:location:0:path")
                .map(|(_, v)| v.clone());
            let source = properties
                .iter()
                .find(|(k, _)| {
                    k == "bulwark:package:source_name" || k == "aquasecurity:trivy:SrcName"
                })
                .map(|(_, v)| v.clone());
            let source_version = properties
                .iter()
                .find(|(k, _)| {
                    k == "bulwark:package:source_version" || k == "aquasecurity:trivy:SrcVersion"
                })
                .map(|(_, v)| v.clone());
            self.add(purl_text, location, source, source_version);
        }
    }

    fn read_spdx(&mut self, document: &Value) {
        for package in document
            .get("packages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = |key: &str| package.get(key).and_then(Value::as_str);
            if text("primaryPackagePurpose") == Some("OPERATING-SYSTEM") {
                if let (Some(name), Some(version)) = (text("name"), text("versionInfo")) {
                    self.os.get_or_insert_with(|| os(name, version));
                }
                continue;
            }
            let purl = package
                .get("externalRefs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|r| {
                    r.get("referenceType").and_then(Value::as_str) == Some("purl")
                        || r.get("referenceCategory").and_then(Value::as_str)
                            == Some("PACKAGE-MANAGER")
                            && r.get("referenceLocator")
                                .and_then(Value::as_str)
                                .is_some_and(|l| l.starts_with("pkg:"))
                })
                .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
            match purl {
                Some(purl) => {
                    let location = text("sourceInfo").map(|info| {
                        info.strip_prefix("acquired package info from ")
                            .unwrap_or(info)
                            .to_owned()
                    });
                    self.add(purl, location, None, None);
                }
                None if text("SPDXID")
                    != document
                        .pointer("/documentDescribes/0")
                        .and_then(Value::as_str) =>
                {
                    self.without_purl += 1;
                }
                None => {}
            }
        }
    }

    /// Adds the package a purl names.
    fn add(
        &mut self,
        purl_text: &str,
        location: Option<String>,
        source: Option<String>,
        source_version: Option<String>,
    ) {
        let purl = match purl::parse(purl_text) {
            Ok(purl) => purl,
            Err(reason) => {
                self.errors
                    .push(format!("invalid purl {purl_text:?}: {reason}"));
                return;
            }
        };
        let Some(kind) = kind_of(&purl.ty) else {
            *self.unsupported.entry(purl.ty.clone()).or_default() += 1;
            return;
        };
        let Some(version) = purl.version.clone() else {
            self.errors.push(format!(
                "purl {purl_text:?} has no version; the package was not checked"
            ));
            return;
        };
        let mut package = package_from_purl(kind, &purl, &version);
        if let Some(source) = source.filter(|s| !s.is_empty()) {
            package.source_name = Some(source);
        }
        if let Some(source_version) = source_version.filter(|s| !s.is_empty()) {
            package.source_version = Some(source_version);
        }
        if kind.is_os() && self.distro_os.is_none() {
            self.distro_os = distro_os(&purl);
        }
        package.purl = purl_text.to_owned();
        package.locations = location.into_iter().collect();
        self.packages.push(package);
    }

    fn finish(self, target: &str) -> Inventory {
        let mut warnings = Vec::new();
        if self.without_purl > 0 {
            warnings.push(format!(
                "{} components have no purl and were not checked",
                self.without_purl
            ));
        }
        for (ty, count) in &self.unsupported {
            warnings.push(format!(
                "{count} packages of purl type {ty:?} were not checked: no advisory ecosystem"
            ));
        }
        let mut packages = self.packages;
        packages.sort_by(|a, b| {
            (a.kind, &a.name, &a.version, &a.purl).cmp(&(b.kind, &b.name, &b.version, &b.purl))
        });
        packages.dedup_by(|a, b| a.purl == b.purl && a.locations == b.locations);
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for package in &mut packages {
            let count = seen.entry(package.purl.clone()).or_default();
            *count += 1;
            package.id = if *count == 1 {
                package.purl.clone()
            } else {
                format!("{}#{count}", package.purl)
            };
        }
        Inventory {
            source: SourceInfo {
                target: target.to_owned(),
                kind: "sbom".to_owned(),
                ..SourceInfo::default()
            },
            os: self.os.or(self.distro_os),
            packages,
            errors: self.errors,
            warnings,
        }
    }
}

/// Flattens a component and its nested `components`.
fn collect_components<'a>(component: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(component);
    for child in component
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect_components(child, out);
    }
}

fn properties(component: &Value) -> Vec<(String, String)> {
    component
        .get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("name")?.as_str()?.to_owned(),
                p.get("value")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

fn os(name: &str, version: &str) -> Os {
    Os {
        family: family(name),
        version: version.trim().to_owned(),
        pretty_name: None,
        codename: None,
        distroless: false,
    }
}

/// Maps a distribution name as SBOM tools write it to Bulwark's family.
fn family(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    match name.as_str() {
        "rhel" | "red hat" | "redhat" => "redhat".to_owned(),
        "rocky" | "rockylinux" | "rocky linux" => "rocky".to_owned(),
        "alma" | "almalinux" => "almalinux".to_owned(),
        _ => name,
    }
}

/// Reads the OS from a `distro` qualifier: `debian-12`, `alpine-3.19.4`,
/// or a bare version with the family in the purl namespace.
fn distro_os(purl: &Purl) -> Option<Os> {
    let distro = purl.qualifiers.get("distro")?;
    let (name, version) = match distro.rsplit_once('-') {
        Some((name, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => {
            (name.to_owned(), version.to_owned())
        }
        _ if distro.starts_with(|c: char| c.is_ascii_digit()) => {
            (purl.namespace.clone(), distro.clone())
        }
        _ => return None,
    };
    Some(os(&name, &version))
}

fn kind_of(ty: &str) -> Option<PackageKind> {
    Some(match ty {
        "apk" => PackageKind::Apk,
        "deb" => PackageKind::Deb,
        "rpm" => PackageKind::Rpm,
        "npm" => PackageKind::Npm,
        "pypi" => PackageKind::Pypi,
        "cargo" => PackageKind::Cargo,
        "golang" => PackageKind::Golang,
        "maven" => PackageKind::Maven,
        "gem" => PackageKind::Gem,
        "composer" => PackageKind::Composer,
        "nuget" => PackageKind::Nuget,
        "pub" => PackageKind::Pub,
        "swift" => PackageKind::Swift,
        "hex" => PackageKind::Hex,
        "conan" => PackageKind::Conan,
        _ => return None,
    })
}

/// Builds a package from a purl, splitting epochs and RPM releases out of
/// the version and naming the package as its ecosystem's advisories do.
fn package_from_purl(kind: PackageKind, purl: &Purl, version: &str) -> Package {
    let name = match kind {
        PackageKind::Npm | PackageKind::Golang | PackageKind::Composer | PackageKind::Swift
            if !purl.namespace.is_empty() =>
        {
            format!("{}/{}", purl.namespace, purl.name)
        }
        PackageKind::Maven if !purl.namespace.is_empty() => {
            format!("{}:{}", purl.namespace, purl.name)
        }
        _ => purl.name.clone(),
    };
    let qualifier_epoch = purl
        .qualifiers
        .get("epoch")
        .and_then(|e| e.parse::<u32>().ok());
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest))
            if kind.is_os() && !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (epoch.parse::<u32>().ok(), rest)
        }
        _ => (qualifier_epoch, version),
    };
    let (version, release) = match (kind, rest.rsplit_once('-')) {
        (PackageKind::Rpm, Some((version, release))) => (version, Some(release.to_owned())),
        _ => (rest, None),
    };
    let mut package = Package::new(kind, name, version);
    package.epoch = epoch.filter(|e| *e != 0);
    package.release = release;
    package.arch = purl.qualifiers.get("arch").cloned();
    // Syft writes the source package as `upstream=name` or
    // `upstream=name@version`.
    if let Some(upstream) = purl.qualifiers.get("upstream") {
        let (source, source_version) = match upstream.split_once('@') {
            Some((name, version)) => (name.to_owned(), Some(version.to_owned())),
            None => (upstream.clone(), None),
        };
        package.source_name = Some(source);
        package.source_version = source_version;
    }
    if kind == PackageKind::Deb && package.source_version.is_none() {
        package.source_version = Some(package.full_version());
    }
    package
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cyclonedx_os_and_packages() {
        let document = json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "components": [
                {"type": "operating-system", "name": "debian", "version": "12.5"},
                {"type": "library", "name": "libssl3", "version": "3.0.11-1~deb12u2",
                 "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12"},
                {"type": "library", "name": "lodash", "version": "4.17.15",
                 "purl": "pkg:npm/lodash@4.17.15"},
                {"type": "library", "name": "nopurl", "version": "1"}
            ]
        });
        let inventory = parse_sbom(&document, "x.json").unwrap();
        let os = inventory.os.unwrap();
        assert_eq!(
            (os.family.as_str(), os.version.as_str()),
            ("debian", "12.5")
        );
        assert_eq!(inventory.packages.len(), 2);
        let deb = &inventory.packages[0];
        assert_eq!(deb.source_name.as_deref(), Some("openssl"));
        assert_eq!(deb.source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
    }

    #[test]
    fn spdx_os_from_distro_qualifier() {
        let document = json!({
            "spdxVersion": "SPDX-2.3",
            "packages": [
                {"SPDXID": "SPDXRef-1", "name": "openssl-libs",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                   "referenceLocator": "pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=rocky-9.3"}]}
            ]
        });
        let inventory = parse_sbom(&document, "x.spdx.json").unwrap();
        let os = inventory.os.unwrap();
        assert_eq!((os.family.as_str(), os.version.as_str()), ("rocky", "9.3"));
        let package = &inventory.packages[0];
        assert_eq!(package.full_version(), "1:3.0.7-24.el9");
    }

    #[test]
    fn rejects_other_documents() {
        let error = parse_sbom(&json!({"hello": 1}), "x.json").unwrap_err();
        assert!(error.contains("not a CycloneDX or SPDX"), "{error}");
    }
}
