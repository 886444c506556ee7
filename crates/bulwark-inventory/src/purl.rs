//! Package URL construction, following the purl specification.

use std::fmt::Write;

/// Builds a purl string. Qualifiers are sorted by key and empty values are
/// dropped, so equal packages always give equal strings.
#[derive(Debug, Clone, Default)]
pub struct PurlBuilder {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

impl PurlBuilder {
    /// Starts a purl of type `ty` for package `name`.
    pub fn new(ty: &str, name: &str) -> Self {
        Self {
            ty: ty.to_ascii_lowercase(),
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// Sets the namespace; `/` separates its segments.
    pub fn namespace(mut self, namespace: &str) -> Self {
        if !namespace.is_empty() {
            self.namespace = Some(namespace.to_owned());
        }
        self
    }

    pub fn version(mut self, version: &str) -> Self {
        if !version.is_empty() {
            self.version = Some(version.to_owned());
        }
        self
    }

    /// Adds a qualifier, ignored when the value is empty.
    pub fn qualifier(mut self, key: &str, value: Option<&str>) -> Self {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.qualifiers
                .push((key.to_ascii_lowercase(), value.to_owned()));
        }
        self
    }

    pub fn subpath(mut self, subpath: &str) -> Self {
        if !subpath.is_empty() {
            self.subpath = Some(subpath.to_owned());
        }
        self
    }

    /// Renders the canonical purl string.
    pub fn build(mut self) -> String {
        let mut out = format!("pkg:{}/", self.ty);
        if let Some(namespace) = &self.namespace {
            for segment in namespace.split('/').filter(|s| !s.is_empty()) {
                out.push_str(&encode(segment));
                out.push('/');
            }
        }
        out.push_str(&encode(&self.name));
        if let Some(version) = &self.version {
            out.push('@');
            out.push_str(&encode(version));
        }
        self.qualifiers.sort();
        self.qualifiers.dedup_by(|a, b| a.0 == b.0);
        for (i, (key, value)) in self.qualifiers.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(key);
            out.push('=');
            out.push_str(&encode(value));
        }
        if let Some(subpath) = &self.subpath {
            out.push('#');
            let segments: Vec<String> = subpath
                .split('/')
                .filter(|s| !s.is_empty() && *s != "." && *s != "..")
                .map(encode)
                .collect();
            out.push_str(&segments.join("/"));
        }
        out
    }
}

/// Percent-encodes everything except unreserved characters and `:`,
/// which the purl specification leaves unencoded.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_purl_encodes_plus_and_sorts_qualifiers() {
        let purl = PurlBuilder::new("deb", "bash")
            .namespace("debian")
            .version("5.2.15-2+b13")
            .qualifier("distro", Some("debian-12.15"))
            .qualifier("arch", Some("amd64"))
            .build();
        assert_eq!(
            purl,
            "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12.15"
        );
    }

    #[test]
    fn npm_scope_is_encoded_in_namespace() {
        let purl = PurlBuilder::new("npm", "core")
            .namespace("@babel")
            .version("7.0.0")
            .build();
        assert_eq!(purl, "pkg:npm/%40babel/core@7.0.0");
    }

    #[test]
    fn empty_qualifiers_are_dropped() {
        let purl = PurlBuilder::new("apk", "musl")
            .namespace("alpine")
            .version("1.2.4-r0")
            .qualifier("arch", None)
            .qualifier("distro", Some(""))
            .build();
        assert_eq!(purl, "pkg:apk/alpine/musl@1.2.4-r0");
    }
}
