//! Reads Swift Package Manager's `Package.resolved`. Version 1 keeps the
//! pins under `object.pins` with `repositoryURL`; versions 2 and 3 keep them
//! under `pins` with `location`.
//!
//! A Swift package has no registry name: it is known by its repository, so
//! the package name is the URL's host and path without the scheme and the
//! `.git` suffix, such as `github.com/apple/swift-nio`.

use bulwark_image::EntryInfo;
use serde::Deserialize;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads `Package.resolved` files.
pub struct SwiftResolvedAnalyzer;

impl Analyzer for SwiftResolvedAnalyzer {
    fn name(&self) -> &'static str {
        "swift-package-resolved"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.rsplit('/').next() == Some("Package.resolved")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let resolved: Resolved = serde_json::from_slice(data)
            .map_err(|e| format!("invalid Package.resolved JSON: {e}"))?;
        let pins = match resolved.version {
            Some(FormatVersion::Number(1)) => resolved.object.map(|o| o.pins).unwrap_or_default(),
            Some(FormatVersion::Number(2 | 3)) | None => resolved.pins,
            Some(FormatVersion::Number(other)) => {
                return Err(format!("unsupported Package.resolved version {other}"));
            }
            // SwiftPM writes a number, but a quoted version is read the same way.
            Some(FormatVersion::Text(text)) => match text.as_str() {
                "1" => resolved.object.map(|o| o.pins).unwrap_or_default(),
                "2" | "3" => resolved.pins,
                other => return Err(format!("unsupported Package.resolved version {other:?}")),
            },
        };
        pins.into_iter()
            .enumerate()
            .map(|(index, pin)| {
                to_package(pin)
                    .map(Fact::Package)
                    .ok_or_else(|| format!("pin {index} has no location or identity"))
            })
            .collect()
    }
}

#[derive(Deserialize)]
struct Resolved {
    version: Option<FormatVersion>,
    object: Option<Object>,
    #[serde(default)]
    pins: Vec<Pin>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FormatVersion {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
struct Object {
    #[serde(default)]
    pins: Vec<Pin>,
}

#[derive(Deserialize)]
struct Pin {
    /// Version 2 and 3 identity, the lower-cased last URL segment.
    identity: Option<String>,
    /// Version 1 display name.
    package: Option<String>,
    location: Option<String>,
    #[serde(rename = "repositoryURL")]
    repository_url: Option<String>,
    #[serde(default)]
    state: State,
}

#[derive(Deserialize, Default)]
struct State {
    version: Option<String>,
}

fn to_package(pin: Pin) -> Option<Package> {
    let location = pin
        .location
        .or(pin.repository_url)
        .filter(|l| !l.is_empty());
    let name = location
        .as_deref()
        .and_then(name_from_url)
        .or_else(|| pin.identity.clone())
        .or_else(|| pin.package.clone())?;
    // A pin to a branch or a bare revision has no version.
    let version = pin.state.version.unwrap_or_default();
    let mut package = Package::new(PackageKind::Swift, &name, &version);
    package.purl = match name.rsplit_once('/') {
        Some((namespace, last)) => PurlBuilder::new("swift", last).namespace(namespace),
        None => PurlBuilder::new("swift", &name),
    }
    .version(&version)
    .build();
    Some(package)
}

/// Turns `https://github.com/apple/swift-nio.git` or
/// `git@github.com:apple/swift-nio.git` into `github.com/apple/swift-nio`.
/// Local paths give `None`.
fn name_from_url(url: &str) -> Option<String> {
    let rest = if let Some((_, rest)) = url.split_once("://") {
        // Drop credentials such as `git@` in `ssh://git@host/path`.
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        format!("{host}/{path}")
    } else if let Some((user_host, path)) = url.split_once(':')
        && !user_host.contains('/')
    {
        // scp-like syntax: `git@host:owner/name`.
        let host = user_host
            .rsplit_once('@')
            .map_or(user_host, |(_, host)| host);
        format!("{host}/{path}")
    } else {
        return None;
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    (!rest.is_empty() && rest.contains('/')).then(|| rest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms_give_host_and_path() {
        assert_eq!(
            name_from_url("https://github.com/apple/swift-nio.git").as_deref(),
            Some("github.com/apple/swift-nio")
        );
        assert_eq!(
            name_from_url("git@github.com:apple/swift-nio.git").as_deref(),
            Some("github.com/apple/swift-nio")
        );
        assert_eq!(
            name_from_url("ssh://git@gitlab.com/a/b/").as_deref(),
            Some("gitlab.com/a/b")
        );
        assert_eq!(name_from_url("/Users/me/LocalPackage"), None);
    }
}
