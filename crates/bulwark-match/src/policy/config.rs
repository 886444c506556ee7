//! The project configuration file, `.bulwark.yaml`.
//!
//! ```yaml
//! exceptions:
//!   - vulnerability: CVE-2023-5678     # or GHSA-..., any alias matches
//!     package: openssl                 # optional scopes, all must match
//!     purl: pkg:apk/alpine/openssl     # versionless: any version
//!     path: "lib/apk/db/*"             # glob over the package's files
//!     image: "registry.example.com/app:*"
//!     reason: DH parameters come from our own configuration only
//!     owner: platform-team
//!     expires: 2025-06-30              # last day the exception applies
//!   - rule: aws-access-key-id          # a secret or misconfiguration rule
//!     path: "test/fixtures/**"
//!     reason: fake keys in test fixtures
//!     owner: security@example.com
//!     expires: 2026-01-31
//! ```
//!
//! Unknown keys are errors, because a misspelled key would otherwise
//! silently widen or disable an exception.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use thiserror::Error;

use super::Date;
use crate::purl::{self, Purl};

/// Name of the configuration file looked up in the working directory.
pub const CONFIG_FILE_NAME: &str = ".bulwark.yaml";

/// The project configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// File the configuration was read from; `None` for the empty default.
    pub path: Option<PathBuf>,
    /// Exceptions, in file order.
    pub exceptions: Vec<Exception>,
}

/// Target of an exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionTarget {
    /// A vulnerability id; a finding matches when its id or any alias is
    /// equal, ignoring ASCII case.
    Vulnerability(String),
    /// A secret-scanning or misconfiguration rule id.
    Rule(String),
}

/// One entry of `exceptions:`.
#[derive(Debug, Clone)]
pub struct Exception {
    /// Position in the `exceptions:` list, from 0.
    pub index: usize,
    /// The vulnerability or rule it applies to.
    pub target: ExceptionTarget,
    /// Package name scope: the installed name or the advisory's (source
    /// package) name.
    pub package: Option<String>,
    /// Package URL scope. A purl without version matches every version,
    /// and qualifiers that it states must be present and equal.
    pub purl: Option<Purl>,
    /// Glob over the files that prove the package.
    pub path: Option<Pattern>,
    /// Glob over the scanned image's name, tags and digest.
    pub image: Option<Pattern>,
    /// Reason the risk is accepted.
    pub reason: String,
    /// Person or team accountable for the exception.
    pub owner: String,
    /// Last day the exception applies.
    pub expires: Date,
}

impl Exception {
    /// Returns `exceptions[N]` with the vulnerability or rule id, for
    /// messages and reports.
    pub fn label(&self) -> String {
        let id = match &self.target {
            ExceptionTarget::Vulnerability(id) | ExceptionTarget::Rule(id) => id,
        };
        format!("exceptions[{}] ({id})", self.index)
    }
}

/// A glob pattern with the text it was written as.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The glob as written.
    pub text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// Compiles a glob in which `*` and `?` stay within one path segment,
    /// `**` crosses segments, and `[...]` is a character class.
    fn new(text: &str) -> Result<Self, globset::Error> {
        let glob = Glob::new(text.trim_start_matches('/'))?;
        let mut builder = globset::GlobBuilder::new(glob.glob());
        builder.literal_separator(true);
        Ok(Self {
            text: text.to_owned(),
            matcher: builder.build()?.compile_matcher(),
        })
    }

    /// Returns whether `candidate` matches, ignoring a leading `/` on
    /// both.
    pub fn is_match(&self, candidate: &str) -> bool {
        self.matcher.is_match(candidate.trim_start_matches('/'))
    }
}

/// An invalid configuration file.
#[derive(Debug, Error)]
#[error("invalid config file {}: {message}", path.display())]
pub struct ConfigError {
    /// The configuration file.
    pub path: PathBuf,
    /// The problem and the entry or line it is in.
    pub message: String,
}

/// The file as written, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    exceptions: Vec<RawException>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    vulnerability: Option<String>,
    rule: Option<String>,
    package: Option<String>,
    purl: Option<String>,
    path: Option<String>,
    image: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
}

impl Config {
    /// Reads and validates a configuration file.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the file cannot be read, is not valid YAML, has
    /// an unknown key, or has an exception without `reason`, `owner` or a
    /// valid `expires` date.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            path: path.to_owned(),
            message: format!("failed to read it: {error}"),
        })?;
        Self::parse(&text, path)
    }

    /// Reads `.bulwark.yaml` from `dir` when it exists. Returns the empty
    /// configuration when it does not.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] as for [`Config::load`].
    pub fn discover(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join(CONFIG_FILE_NAME);
        if path.is_file() {
            tracing::debug!(path = %path.display(), "reading the project config");
            Self::load(&path)
        } else {
            Ok(Self::default())
        }
    }

    /// Parses and validates configuration text; `path` names it in errors.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] as for [`Config::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let error = |message: String| ConfigError {
            path: path.to_owned(),
            message,
        };
        // An empty file or one with only comments is an empty config.
        let raw: RawConfig = if text.trim().lines().all(is_blank_or_comment) {
            RawConfig::default()
        } else {
            yaml_serde::from_str(text).map_err(|e| error(e.to_string()))?
        };
        let exceptions = raw
            .exceptions
            .into_iter()
            .enumerate()
            .map(|(index, entry)| validate_exception(index, entry).map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            path: Some(path.to_owned()),
            exceptions,
        })
    }

    /// Returns the file name for messages: the path it was read from, or
    /// `.bulwark.yaml`.
    pub fn display_path(&self) -> String {
        self.path.as_deref().map_or_else(
            || CONFIG_FILE_NAME.to_owned(),
            |path| path.display().to_string(),
        )
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with('#')
}

/// Returns a trimmed, non-empty value, or `None`.
fn present(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

fn validate_exception(index: usize, entry: RawException) -> Result<Exception, String> {
    let target = match (present(entry.vulnerability), present(entry.rule)) {
        (Some(id), None) => ExceptionTarget::Vulnerability(id),
        (None, Some(id)) => ExceptionTarget::Rule(id),
        (Some(_), Some(_)) => {
            return Err(format!(
                "exceptions[{index}]: set either `vulnerability` or `rule`, not both"
            ));
        }
        (None, None) => {
            return Err(format!(
                "exceptions[{index}]: missing `vulnerability` (a vulnerability id) or `rule` \
                 (a rule id)"
            ));
        }
    };
    let label = match &target {
        ExceptionTarget::Vulnerability(id) | ExceptionTarget::Rule(id) => {
            format!("exceptions[{index}] ({id})")
        }
    };

    let missing: Vec<&str> = [
        ("reason", entry.reason.as_deref()),
        ("owner", entry.owner.as_deref()),
        ("expires", entry.expires.as_deref()),
    ]
    .into_iter()
    .filter(|(_, value)| value.is_none_or(|text| text.trim().is_empty()))
    .map(|(key, _)| key)
    .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{label}: missing {}: every exception needs a reason, an owner and an expires date",
            missing
                .iter()
                .map(|key| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let expires_text = present(entry.expires).unwrap_or_default();
    let expires = Date::parse(&expires_text).ok_or_else(|| {
        format!("{label}: `expires` is {expires_text:?}, expected a date as YYYY-MM-DD")
    })?;

    let purl = present(entry.purl)
        .map(|text| {
            purl::parse(&text).map_err(|reason| {
                format!("{label}: `purl` {text:?} is not a package URL: {reason}")
            })
        })
        .transpose()?;
    let pattern = |key: &str, value: Option<String>| {
        present(value)
            .map(|text| {
                Pattern::new(&text)
                    .map_err(|e| format!("{label}: `{key}` {text:?} is not a valid glob: {e}"))
            })
            .transpose()
    };
    let path = pattern("path", entry.path)?;
    let image = pattern("image", entry.image)?;

    Ok(Exception {
        index,
        target,
        package: present(entry.package),
        purl,
        path,
        image,
        reason: present(entry.reason).unwrap_or_default(),
        owner: present(entry.owner).unwrap_or_default(),
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("project/.bulwark.yaml"))
    }

    fn message(text: &str) -> String {
        parse(text).expect_err("config is invalid").to_string()
    }

    const VALID: &str = "\
exceptions:
  - vulnerability: CVE-2023-5678
    package: openssl
    purl: pkg:apk/alpine/openssl
    path: lib/apk/db/*
    image: registry.example.com/app:*
    reason: not reachable
    owner: platform-team
    expires: 2025-06-30
  - rule: aws-access-key-id
    reason: fixtures
    owner: security
    expires: '2026-01-31'
";

    #[test]
    fn parse_valid_config() {
        let config = parse(VALID).expect("valid config");
        assert_eq!(config.exceptions.len(), 2);
        let first = &config.exceptions[0];
        assert_eq!(
            first.target,
            ExceptionTarget::Vulnerability("CVE-2023-5678".to_owned())
        );
        assert_eq!(first.package.as_deref(), Some("openssl"));
        assert_eq!(
            first.purl.as_ref().map(|p| p.name.as_str()),
            Some("openssl")
        );
        assert!(
            first
                .path
                .as_ref()
                .expect("path")
                .is_match("lib/apk/db/installed")
        );
        assert!(
            !first
                .path
                .as_ref()
                .expect("path")
                .is_match("lib/apk/db/sub/installed")
        );
        assert!(
            first
                .image
                .as_ref()
                .expect("image")
                .is_match("registry.example.com/app:1.2")
        );
        assert_eq!(first.expires.to_string(), "2025-06-30");
        assert_eq!(first.label(), "exceptions[0] (CVE-2023-5678)");
        assert_eq!(
            config.exceptions[1].target,
            ExceptionTarget::Rule("aws-access-key-id".to_owned())
        );
    }

    #[test]
    fn parse_empty_file() {
        assert!(parse("").expect("empty config").exceptions.is_empty());
        assert!(
            parse("# nothing yet\n")
                .expect("empty config")
                .exceptions
                .is_empty()
        );
        assert!(
            parse("exceptions: []\n")
                .expect("empty config")
                .exceptions
                .is_empty()
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let text = VALID.replace("    reason: not reachable", "    reson: not reachable");
        let message = message(&text);
        assert!(message.contains("project/.bulwark.yaml"), "{message}");
        assert!(message.contains("unknown field `reson`"), "{message}");
        assert!(message.contains("exceptions[0]"), "{message}");
        let message = self::message("exception: []\n");
        assert!(message.contains("unknown field `exception`"), "{message}");
    }

    #[test]
    fn missing_fields_are_named() {
        let text = "exceptions:\n  - vulnerability: CVE-2024-1\n    reason: r\n";
        let message = message(text);
        assert!(message.contains("exceptions[0] (CVE-2024-1)"), "{message}");
        assert!(message.contains("missing `owner`, `expires`"), "{message}");
        let text = "exceptions:\n  - vulnerability: CVE-2024-1\n    reason: ''\n    owner: o\n    expires: 2025-01-01\n";
        assert!(self::message(text).contains("missing `reason`"));
    }

    #[test]
    fn target_is_required_once() {
        let text = "exceptions:\n  - reason: r\n    owner: o\n    expires: 2025-01-01\n";
        assert!(message(text).contains("missing `vulnerability`"));
        let text = "exceptions:\n  - vulnerability: CVE-1\n    rule: r\n    reason: r\n    owner: o\n    expires: 2025-01-01\n";
        assert!(message(text).contains("not both"));
    }

    #[test]
    fn invalid_values_are_named() {
        let base = "exceptions:\n  - vulnerability: CVE-1\n    reason: r\n    owner: o\n";
        let message = message(&format!("{base}    expires: 2025-02-30\n"));
        assert!(message.contains("`expires` is \"2025-02-30\""), "{message}");
        let message = self::message(&format!("{base}    expires: 2025-01-01\n    purl: npm/x\n"));
        assert!(
            message.contains("`purl` \"npm/x\" is not a package URL"),
            "{message}"
        );
        let message = self::message(&format!(
            "{base}    expires: 2025-01-01\n    path: 'a/[b'\n"
        ));
        assert!(
            message.contains("`path` \"a/[b\" is not a valid glob"),
            "{message}"
        );
    }

    #[test]
    fn yaml_errors_have_location() {
        let message = message("exceptions: 3\n");
        assert!(message.contains("line 1"), "{message}");
    }
}
