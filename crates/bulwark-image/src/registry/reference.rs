//! Parsing image references the way the docker CLI does.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use crate::digest::Digest;

/// Host that `docker.io` references are pulled from.
pub(crate) const DOCKER_HUB_HOST: &str = "registry-1.docker.io";

/// Maximum length of a repository path with its host, as in the docker CLI.
const MAX_NAME_LEN: usize = 255;

/// Maximum length of a tag, from the OCI distribution specification.
const MAX_TAG_LEN: usize = 128;

/// A parsed image reference: `host[:port]/path[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// Host name or IP address to connect to, without brackets around IPv6.
    pub host: String,
    pub port: Option<u16>,
    /// Repository path inside the registry, such as `library/alpine`.
    pub path: String,
    /// Tag, `latest` when neither a tag nor a digest is given.
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference. Names without a registry host resolve to Docker
    /// Hub, and single-component Docker Hub names gain `library/`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("the reference is empty".into());
        }
        let (name_and_tag, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                let digest = Digest::parse(digest)?;
                (rest, Some(digest))
            }
            None => (text, None),
        };
        let (name, tag) = split_tag(name_and_tag);
        if let Some(tag) = tag {
            check_tag(tag)?;
        }

        let (domain, path) = split_domain(name);
        let (host, port) = parse_host(domain)?;
        let mut path = path.to_owned();
        let is_hub = matches!(host.as_str(), "docker.io" | "index.docker.io") && port.is_none();
        if is_hub && !path.contains('/') {
            path = format!("library/{path}");
        }
        check_path(&path)?;
        if domain.len() + 1 + path.len() > MAX_NAME_LEN {
            return Err(format!(
                "the repository name is longer than {MAX_NAME_LEN} characters"
            ));
        }

        let tag = match (tag, &digest) {
            (Some(tag), _) => Some(tag.to_owned()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_owned()),
        };
        Ok(Self {
            host: if is_hub {
                DOCKER_HUB_HOST.to_owned()
            } else {
                host
            },
            port,
            path,
            tag,
            digest,
        })
    }

    /// Returns `host[:port]`, as used in URLs and to look up credentials.
    pub(crate) fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// Returns the tag or digest to request the manifest by. The digest
    /// wins when both are given, as in the docker CLI.
    pub(crate) fn manifest_key(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// Returns whether the host is a loopback name or address, without
    /// resolving it.
    pub(crate) fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// Returns whether the reference points at Docker Hub.
    pub(crate) fn is_docker_hub(&self) -> bool {
        self.host == DOCKER_HUB_HOST && self.port.is_none()
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_docker_hub() {
            write!(f, "docker.io/{}", self.path)?;
        } else {
            write!(f, "{}/{}", self.authority(), self.path)?;
        }
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Returns whether `host` is `localhost`, an address in 127.0.0.0/8 or
/// `::1`. Names are not resolved, so `localhost.example.com` is not one.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip == Ipv6Addr::LOCALHOST,
        Err(_) => false,
    }
}

/// Splits `name[:tag]`, where a colon before the last `/` belongs to a
/// registry port.
fn split_tag(text: &str) -> (&str, Option<&str>) {
    let last_slash = text.rfind('/').map_or(0, |i| i + 1);
    match text[last_slash..].rfind(':') {
        Some(i) => {
            let colon = last_slash + i;
            (&text[..colon], Some(&text[colon + 1..]))
        }
        None => (text, None),
    }
}

/// Splits off the registry host: the first component is a host when it
/// contains `.` or `:`, is `localhost`, or has uppercase letters, which a
/// repository path cannot.
fn split_domain(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => ("docker.io", name),
    }
}

fn parse_host(domain: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return Err(format!("invalid registry host {domain:?}: missing ']'"));
        };
        if ip.parse::<Ipv6Addr>().is_err() {
            return Err(format!(
                "invalid registry host {domain:?}: bad IPv6 address"
            ));
        }
        match after {
            "" => (ip, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (ip, Some(port)),
                None => return Err(format!("invalid registry host {domain:?}")),
            },
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (domain, None),
        }
    };
    let valid_name = (!host.is_empty() && host.split('.').all(is_host_label))
        || host.parse::<Ipv6Addr>().is_ok();
    if !valid_name {
        return Err(format!("invalid registry host {domain:?}"));
    }
    let port = match port {
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Some(port),
            _ => return Err(format!("invalid port {text:?} in registry host {domain:?}")),
        },
        None => None,
    };
    Ok((host.to_ascii_lowercase(), port))
}

fn is_host_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// Checks the repository path against the distribution grammar: lowercase
/// alphanumeric components joined by `/`, with single separators `.`, `_`,
/// `__` or runs of `-` inside a component.
fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the repository name is empty".into());
    }
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!("repository name {path:?} must be lowercase"));
    }
    for component in path.split('/') {
        if !is_path_component(component) {
            return Err(format!(
                "invalid repository name {path:?}: component {component:?} must be lowercase \
                 letters and digits, separated by '.', '_', '__' or '-'"
            ));
        }
    }
    Ok(())
}

fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let valid = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !valid {
            return false;
        }
    }
    true
}

fn check_tag(tag: &str) -> Result<(), String> {
    let valid = !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid tag {tag:?}: expected up to {MAX_TAG_LEN} letters, digits, '_', '.' or '-', \
             not starting with '.' or '-'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0a90dcdbf21aa715eb55e6599066da22107e38b3127ad573bc6d6774748b13fa";

    fn parse(text: &str) -> Reference {
        Reference::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn bare_name_is_docker_hub_library() {
        let reference = parse("alpine");
        assert_eq!(reference.host, DOCKER_HUB_HOST);
        assert_eq!(reference.port, None);
        assert_eq!(reference.path, "library/alpine");
        assert_eq!(reference.tag.as_deref(), Some("latest"));
        assert_eq!(reference.to_string(), "docker.io/library/alpine:latest");
    }

    #[test]
    fn docker_io_host_maps_to_registry_host() {
        for text in [
            "docker.io/library/alpine:3.19",
            "index.docker.io/alpine:3.19",
        ] {
            let reference = parse(text);
            assert_eq!(reference.host, DOCKER_HUB_HOST, "{text}");
            assert_eq!(reference.path, "library/alpine", "{text}");
            assert_eq!(reference.tag.as_deref(), Some("3.19"), "{text}");
        }
        assert_eq!(parse("bitnami/redis").path, "bitnami/redis");
        assert_eq!(parse("bitnami/redis").host, DOCKER_HUB_HOST);
    }

    #[test]
    fn registry_host_detected_in_first_component() {
        let reference = parse("ghcr.io/org/tool:v1");
        assert_eq!(
            (reference.host.as_str(), reference.path.as_str()),
            ("ghcr.io", "org/tool")
        );
        let reference = parse("127.0.0.1:5000/bins");
        assert_eq!(reference.host, "127.0.0.1");
        assert_eq!(reference.port, Some(5000));
        assert_eq!(reference.tag.as_deref(), Some("latest"));
        assert_eq!(reference.authority(), "127.0.0.1:5000");
        let reference = parse("localhost/bins:1");
        assert_eq!(
            (reference.host.as_str(), reference.path.as_str()),
            ("localhost", "bins")
        );
        let reference = parse("[::1]:5000/a/b:t");
        assert_eq!(reference.host, "::1");
        assert_eq!(reference.authority(), "[::1]:5000");
        // Without a slash, "localhost:5000" is the repository "localhost"
        // with tag "5000", as the docker CLI reads it.
        let reference = parse("localhost:5000");
        assert_eq!(reference.path, "library/localhost");
        assert_eq!(reference.tag.as_deref(), Some("5000"));
    }

    #[test]
    fn digest_references_keep_digest() {
        let reference = parse(&format!("127.0.0.1:5000/bins@{DIGEST}"));
        assert_eq!(reference.tag, None);
        assert_eq!(reference.digest.as_ref().map(Digest::as_str), Some(DIGEST));
        assert_eq!(reference.manifest_key(), DIGEST);
        let reference = parse(&format!("bins:v1@{DIGEST}"));
        assert_eq!(reference.tag.as_deref(), Some("v1"));
        assert_eq!(reference.manifest_key(), DIGEST);
    }

    #[test]
    fn malformed_references_are_rejected() {
        let cases = [
            ("", "empty"),
            ("Alpine", "lowercase"),
            ("alpine:", "invalid tag"),
            ("alpine:-bad", "invalid tag"),
            ("alpine@sha256:abc", "invalid digest"),
            ("alpine@md5:0123", "unsupported digest"),
            ("host:99999/x", "invalid port"),
            ("host:abc/x/y:z:w", "invalid"),
            ("a//b", "invalid repository name"),
            ("registry.example/UPPER", "lowercase"),
            ("registry.example/", "empty"),
            ("registry.example/a-/b", "invalid repository name"),
            ("[::1/x", "missing ']'"),
            ("bad_host.example/x", "invalid registry host"),
        ];
        for (text, expected) in cases {
            let error = Reference::parse(text).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
        let long = format!("registry.example/{}", "a".repeat(250));
        assert!(Reference::parse(&long).unwrap_err().contains("longer than"));
    }

    #[test]
    fn path_separators_follow_grammar() {
        for valid in ["a", "a.b", "a_b", "a__b", "a---b", "a0/b-c/d.e"] {
            assert!(check_path(valid).is_ok(), "{valid}");
        }
        for invalid in ["_a", "a.", "a..b", "a___b", "a._b", "a/", "-a"] {
            assert!(check_path(invalid).is_err(), "{invalid}");
        }
    }

    #[test]
    fn loopback_hosts_are_recognized_without_resolving() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "localhost.example.com",
            "10.0.0.1",
            "::2",
            "registry.example",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
