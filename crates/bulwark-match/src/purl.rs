//! Parsing of package URLs (<https://github.com/package-url/purl-spec>).

use std::collections::BTreeMap;

/// A parsed package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// Type, lowercase (`deb`, `npm`).
    pub ty: String,
    /// Namespace segments joined by `/`, decoded; empty when absent.
    pub namespace: String,
    /// Name, decoded.
    pub name: String,
    /// Version, decoded.
    pub version: Option<String>,
    /// Qualifiers, keys lowercase, values decoded.
    pub qualifiers: BTreeMap<String, String>,
}

/// Parses a package URL. Returns a reason when it is not one.
pub fn parse(text: &str) -> Result<Purl, String> {
    let rest = text
        .trim()
        .strip_prefix("pkg:")
        .ok_or_else(|| "does not start with \"pkg:\"".to_owned())?;
    let rest = rest.trim_start_matches('/');
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (rest, qualifier_text) = rest.split_once('?').unwrap_or((rest, ""));
    let mut qualifiers = BTreeMap::new();
    for pair in qualifier_text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("qualifier {pair:?} has no value"))?;
        let value = decode(value)?;
        if !value.is_empty() {
            qualifiers.insert(key.to_ascii_lowercase(), value);
        }
    }
    let (path, version) = match rest.rsplit_once('@') {
        // An `@` inside the path belongs to an npm scope (`%40` when
        // encoded, but some tools write it raw).
        Some((path, version)) if path.contains('/') || !path.starts_with('@') => {
            (path, Some(decode(version)?))
        }
        _ => (rest, None),
    };
    let (ty, path) = path
        .split_once('/')
        .ok_or_else(|| "has no name after the type".to_owned())?;
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect::<Result<_, _>>()?;
    let Some((name, namespace)) = segments.split_last() else {
        return Err("has an empty name".to_owned());
    };
    Ok(Purl {
        ty: ty.to_ascii_lowercase(),
        namespace: namespace.join("/"),
        name: name.clone(),
        version: version.filter(|v| !v.is_empty()),
        qualifiers,
    })
}

/// Decodes `%XX` escapes.
fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid percent escape in {text:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{text:?} decodes to invalid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_with_qualifiers() {
        let purl = parse(
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl",
        )
        .unwrap();
        assert_eq!(purl.ty, "deb");
        assert_eq!(purl.namespace, "debian");
        assert_eq!(purl.name, "libssl3");
        assert_eq!(purl.version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(purl.qualifiers["distro"], "debian-12");
    }

    #[test]
    fn npm_scope_encoded_or_raw() {
        for text in ["pkg:npm/%40babel/core@7.0.0", "pkg:npm/@babel/core@7.0.0"] {
            let purl = parse(text).unwrap();
            assert_eq!(purl.namespace, "@babel", "{text}");
            assert_eq!(purl.name, "core");
            assert_eq!(purl.version.as_deref(), Some("7.0.0"));
        }
    }

    #[test]
    fn rejects_non_purls() {
        assert!(parse("npm/lodash@1").is_err());
        assert!(parse("pkg:npm").is_err());
        assert!(parse("pkg:npm/a%zz@1").is_err());
    }
}
