//! Reads Elixir's `mix.lock`, an Elixir map literal from each dependency's
//! application name to a tuple:
//!
//! - `{:hex, :package, "version", "checksum", [managers], [deps], "repo", "checksum"}`
//!   where each dep is `{:app, "requirement", [hex: :package, repo: "hexpm", optional: false]}`;
//! - `{:git, "url", "revision", [options]}` for dependencies fetched with git;
//! - `{:path, "directory", [options]}` for dependencies in a local directory.
//!
//! The literal is read by a small term parser; nothing is evaluated.

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads Mix lockfiles.
pub struct MixLockAnalyzer;

impl Analyzer for MixLockAnalyzer {
    fn name(&self) -> &'static str {
        "mix-lock"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        info.path.rsplit('/').next() == Some("mix.lock")
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        Ok(parse(text)?.into_iter().map(Fact::Package).collect())
    }
}

/// An Elixir literal, as far as lockfiles use them.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Map(Vec<(Term, Term)>),
    Tuple(Vec<Term>),
    List(Vec<Term>),
    Str(String),
    Atom(String),
    /// Numbers and bare words such as `true` or `nil`, kept as written.
    Word(String),
}

impl Term {
    fn as_atom(&self) -> Option<&str> {
        match self {
            Self::Atom(atom) => Some(atom),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(text) => Some(text),
            _ => None,
        }
    }
}

/// A locked dependency before references are resolved.
struct Locked {
    app: String,
    package: Package,
    /// Application names of the dependencies.
    dependencies: Vec<String>,
}

fn parse(text: &str) -> Result<Vec<Package>, String> {
    let mut parser = TermParser::new(text);
    parser.skip_space();
    if parser.at_end() {
        return Ok(Vec::new());
    }
    let Term::Map(entries) = parser.term(0)? else {
        return Err("line 1: expected a map `%{...}`".to_owned());
    };
    parser.skip_space();
    if !parser.at_end() {
        return Err(parser.error("unexpected text after the map"));
    }
    let mut locked = Vec::new();
    for (line, (key, value)) in parser.entry_lines.iter().zip(entries) {
        let app = key
            .as_str()
            .or_else(|| key.as_atom())
            .ok_or_else(|| format!("line {line}: expected a string key, found {key:?}"))?
            .to_owned();
        if let Some(entry) = locked_entry(&app, *line, &value)? {
            locked.push(entry);
        }
    }
    let versions: BTreeMap<&str, String> = locked
        .iter()
        .filter(|l| !l.package.version.is_empty())
        .map(|l| {
            (
                l.app.as_str(),
                format!("{}@{}", l.package.name, l.package.version),
            )
        })
        .collect();
    let mut references = Vec::new();
    for entry in &locked {
        references.push(
            entry
                .dependencies
                .iter()
                .map(|app| {
                    versions
                        .get(app.as_str())
                        .cloned()
                        .unwrap_or_else(|| app.clone())
                })
                .collect::<Vec<_>>(),
        );
    }
    Ok(locked
        .into_iter()
        .zip(references)
        .map(|(entry, depends_on)| Package {
            depends_on,
            ..entry.package
        })
        .collect())
}

fn locked_entry(app: &str, line: usize, value: &Term) -> Result<Option<Locked>, String> {
    let invalid = |what: &str| format!("line {line}: {app}: {what}");
    let Term::Tuple(items) = value else {
        return Err(invalid(
            "expected a tuple such as {:hex, :name, \"version\", ...}",
        ));
    };
    match items.first().and_then(Term::as_atom) {
        Some("hex") => {
            let name = items.get(1).and_then(Term::as_atom).ok_or_else(|| {
                invalid("expected the package name as the second element of the :hex tuple")
            })?;
            let version = items.get(2).and_then(Term::as_str).ok_or_else(|| {
                invalid("expected the version string as the third element of the :hex tuple")
            })?;
            let mut dependencies = Vec::new();
            if let Some(Term::List(deps)) = items.get(5) {
                for dep in deps {
                    match dep {
                        Term::Tuple(parts) if parts.first().and_then(Term::as_atom).is_some() => {
                            dependencies.push(parts[0].as_atom().unwrap_or_default().to_owned());
                        }
                        _ => {
                            return Err(invalid(
                                "expected each dependency as {:app, \"requirement\", [...]}",
                            ));
                        }
                    }
                }
            }
            // Packages of a Hex organization come from the repo `hexpm:org`.
            let organization = items
                .get(6)
                .and_then(Term::as_str)
                .and_then(|repo| repo.strip_prefix("hexpm:"))
                .unwrap_or_default();
            let mut package = Package::new(PackageKind::Hex, name, version);
            package.purl = PurlBuilder::new("hex", name)
                .namespace(organization)
                .version(version)
                .build();
            Ok(Some(Locked {
                app: app.to_owned(),
                package,
                dependencies,
            }))
        }
        Some("git") => {
            let url = items.get(1).and_then(Term::as_str).ok_or_else(|| {
                invalid("expected the repository URL as the second element of the :git tuple")
            })?;
            let revision = items.get(2).and_then(Term::as_str).unwrap_or_default();
            // A git dependency has no release version, so the revision is
            // kept in the purl's vcs_url.
            let mut package = Package::new(PackageKind::Hex, app, "");
            let base = if url.contains("://") && !url.starts_with("git+") {
                format!("git+{url}")
            } else {
                url.to_owned()
            };
            let vcs_url = if revision.is_empty() {
                base
            } else {
                format!("{base}@{revision}")
            };
            package.purl = PurlBuilder::new("hex", app)
                .qualifier("vcs_url", Some(&vcs_url))
                .build();
            Ok(Some(Locked {
                app: app.to_owned(),
                package,
                dependencies: Vec::new(),
            }))
        }
        Some("path") => {
            // A dependency in a local directory is part of the project tree
            // and has no release version.
            let mut package = Package::new(PackageKind::Hex, app, "");
            package.purl = PurlBuilder::new("hex", app).build();
            Ok(Some(Locked {
                app: app.to_owned(),
                package,
                dependencies: Vec::new(),
            }))
        }
        Some(other) => {
            tracing::debug!(
                app,
                source = other,
                "skipping dependency from an unknown source"
            );
            Ok(None)
        }
        None => Err(invalid(
            "expected the source atom (:hex or :git) as the first element",
        )),
    }
}

/// Deeper nesting than this is not a lockfile.
const MAX_DEPTH: usize = 32;

struct TermParser<'a> {
    text: &'a str,
    position: usize,
    /// Line of each top-level map entry, filled while parsing the map.
    entry_lines: Vec<usize>,
    /// Position and line number last counted, so that numbering the lines
    /// of a long file stays linear.
    counted: std::cell::Cell<(usize, usize)>,
}

impl<'a> TermParser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            position: 0,
            entry_lines: Vec::new(),
            counted: std::cell::Cell::new((0, 1)),
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    fn at_end(&self) -> bool {
        self.position >= self.text.len()
    }

    fn line(&self) -> usize {
        let (from, line) = self.counted.get();
        let (from, line) = if from <= self.position {
            (from, line)
        } else {
            (0, 1)
        };
        let line = line + self.text[from..self.position].matches('\n').count();
        self.counted.set((self.position, line));
        line
    }

    fn error(&self, message: &str) -> String {
        let found: String = self.rest().chars().take(20).collect();
        format!("line {}: {message}, found {found:?}", self.line())
    }

    fn skip_space(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.position += rest.len() - trimmed.len();
            if trimmed.starts_with('#') {
                self.position += trimmed.find('\n').unwrap_or(trimmed.len());
            } else {
                return;
            }
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.position += token.len();
            true
        } else {
            false
        }
    }

    fn term(&mut self, depth: usize) -> Result<Term, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("terms nested too deeply"));
        }
        self.skip_space();
        let rest = self.rest();
        if rest.starts_with("%{") {
            self.position += 2;
            let entries = self.sequence('}', depth, true)?;
            Ok(Term::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.unwrap_or(Term::Word(String::new()))))
                    .collect(),
            ))
        } else if rest.starts_with('{') {
            self.position += 1;
            Ok(Term::Tuple(self.items('}', depth)?))
        } else if rest.starts_with('[') {
            self.position += 1;
            Ok(Term::List(self.items(']', depth)?))
        } else if rest.starts_with('"') {
            self.position += 1;
            Ok(Term::Str(self.string()?))
        } else if let Some(after) = rest.strip_prefix(':') {
            self.position += 1;
            if after.starts_with('"') {
                self.position += 1;
                return Ok(Term::Atom(self.string()?));
            }
            let word = self.word();
            if word.is_empty() {
                return Err(self.error("expected an atom name after `:`"));
            }
            Ok(Term::Atom(word.to_owned()))
        } else {
            let word = self.word();
            if word.is_empty() {
                return Err(self.error("expected a term"));
            }
            Ok(Term::Word(word.to_owned()))
        }
    }

    /// Reads list or tuple items up to `close`. Keyword pairs such as
    /// `hex: :plug` become two-element tuples, as in Elixir.
    fn items(&mut self, close: char, depth: usize) -> Result<Vec<Term>, String> {
        Ok(self
            .sequence(close, depth, false)?
            .into_iter()
            .map(|(key, value)| match value {
                Some(value) => Term::Tuple(vec![key, value]),
                None => key,
            })
            .collect())
    }

    /// Reads comma-separated items up to `close`, with an optional trailing
    /// comma. With `pairs`, every item must be `key: value` or
    /// `key => value`; otherwise keyword items are allowed.
    fn sequence(
        &mut self,
        close: char,
        depth: usize,
        pairs: bool,
    ) -> Result<Vec<(Term, Option<Term>)>, String> {
        let mut out = Vec::new();
        let top_level_map = pairs && depth == 0;
        loop {
            self.skip_space();
            if self.rest().starts_with(close) {
                self.position += 1;
                return Ok(out);
            }
            if self.at_end() {
                return Err(self.error(&format!("unexpected end of file, expected `{close}`")));
            }
            if top_level_map {
                self.entry_lines.push(self.line());
            }
            let (key, value) = self.item(depth)?;
            if pairs && value.is_none() {
                return Err(self.error("expected `key: value` or `key => value`"));
            }
            out.push((key, value));
            self.skip_space();
            if self.eat(",") {
                continue;
            }
            if !self.rest().starts_with(close) {
                return Err(self.error(&format!("expected `,` or `{close}`")));
            }
        }
    }

    fn item(&mut self, depth: usize) -> Result<(Term, Option<Term>), String> {
        self.skip_space();
        // Keyword key: `name:` followed by space, or `"name":`.
        let word = {
            let rest = self.rest();
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '?' || c == '!'))
                .unwrap_or(rest.len());
            (end > 0 && rest[end..].starts_with(": ")).then(|| rest[..end].to_owned())
        };
        if let Some(word) = word {
            self.position += word.len() + 1;
            return Ok((Term::Atom(word), Some(self.term(depth + 1)?)));
        }
        let key = match self.term(depth + 1)? {
            Term::Str(name) if self.rest().starts_with(':') => {
                self.position += 1;
                return Ok((Term::Atom(name), Some(self.term(depth + 1)?)));
            }
            key => key,
        };
        if self.eat("=>") {
            return Ok((key, Some(self.term(depth + 1)?)));
        }
        Ok((key, None))
    }

    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| {
                !(c.is_alphanumeric() || matches!(c, '_' | '?' | '!' | '.' | '-' | '@'))
            })
            .unwrap_or(rest.len());
        self.position += end;
        &rest[..end]
    }

    /// Reads a double-quoted string after its opening quote.
    fn string(&mut self) -> Result<String, String> {
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.position += i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, 't')) => value.push('\t'),
                    Some((_, escaped)) => value.push(escaped),
                    None => break,
                },
                _ => value.push(c),
            }
        }
        Err(self.error("unterminated string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_entry_gives_package_and_edges() {
        let lock = "%{\n  \"plug\": {:hex, :plug, \"1.11.1\", \"f2\", [:mix], [{:mime, \"~> 1.0\", [hex: :mime, repo: \"hexpm\", optional: false]}], \"hexpm\", \"23\"},\n  \"mime\": {:hex, :mime, \"1.5.0\", \"20\", [:mix], [], \"hexpm:acme\", \"5\"},\n}\n";
        let packages = parse(lock).unwrap();
        assert_eq!(packages[0].purl, "pkg:hex/plug@1.11.1");
        assert_eq!(packages[0].depends_on, vec!["mime@1.5.0"]);
        assert_eq!(packages[1].purl, "pkg:hex/acme/mime@1.5.0");
    }

    #[test]
    fn unterminated_map_is_an_error() {
        let error = parse("%{\n  \"plug\": {:hex, :plug, \"1.0\"},\n").unwrap_err();
        assert!(error.contains("unexpected end of file"), "{error}");
    }
}
