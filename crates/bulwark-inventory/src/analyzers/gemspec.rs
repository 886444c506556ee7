//! Reads the gemspecs that RubyGems writes for installed gems, such as
//! `specifications/rake-13.0.3.gemspec`.
//!
//! These files are Ruby, but RubyGems writes them from a fixed template:
//! `Gem::Specification.new do |s|` followed by one `s.attribute = literal`
//! per line. Only those literal forms are read; the Ruby is never evaluated.

use std::collections::BTreeMap;

use bulwark_image::EntryInfo;

use crate::analyzer::{Analyzer, Fact};
use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Reads installed gem specifications under a `specifications/` directory.
pub struct GemspecAnalyzer;

impl Analyzer for GemspecAnalyzer {
    fn name(&self) -> &'static str {
        "gemspec"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        let path = info.path;
        path.ends_with(".gemspec")
            && (path.starts_with("specifications/") || path.contains("/specifications/"))
    }

    fn analyze(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = std::str::from_utf8(data).map_err(|e| format!("not UTF-8 text: {e}"))?;
        Ok(parse(text)?.into_iter().map(Fact::Package).collect())
    }
}

/// Parses one gemspec. A file without a `Gem::Specification.new` block
/// describes no gem and gives no package; a block without a literal name
/// and version is an error.
fn parse(text: &str) -> Result<Option<Package>, String> {
    let mut block_var = None;
    let mut constants: BTreeMap<&str, String> = BTreeMap::new();
    let mut name = None;
    let mut version = None;
    let mut licenses = Vec::new();
    let mut runtime = Vec::new();
    let mut development = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        let Some(var) = block_var else {
            if let Some(var) = block_variable(line) {
                block_var = Some(var);
            } else if let Some((constant, value)) = constant_assignment(line) {
                // Source gemspecs sometimes set `VERSION = '1.0'` first.
                constants.insert(constant, value);
            }
            continue;
        };
        let Some(rest) = line.strip_prefix(var).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        if let Some((kind, gem)) = dependency_call(rest) {
            match kind {
                DependencyKind::Runtime => runtime.push(gem),
                DependencyKind::Development => development.push(gem),
            }
            continue;
        }
        let Some((attribute, value)) = rest.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match attribute.trim() {
            "name" => {
                name =
                    Some(literal(value, &constants).ok_or_else(|| invalid(number, "name", value))?)
            }
            "version" => {
                version = Some(
                    literal(value, &constants).ok_or_else(|| invalid(number, "version", value))?,
                );
            }
            "license" => {
                licenses = vec![
                    literal(value, &constants).ok_or_else(|| invalid(number, "license", value))?,
                ]
            }
            "licenses" => {
                licenses = string_list(value)
                    .or_else(|| literal(value, &constants).map(|l| vec![l]))
                    .ok_or_else(|| invalid(number, "licenses", value))?;
            }
            _ => {}
        }
    }
    let Some(var) = block_var else {
        return Ok(None);
    };
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("no `{var}.name` string in the specification"))?;
    let version = version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("no `{var}.version` string in the specification of {name}"))?;
    let mut package = Package::new(PackageKind::Gem, &name, &version);
    package.purl = PurlBuilder::new("gem", &name).version(&version).build();
    package.licenses = licenses.into_iter().filter(|l| !l.is_empty()).collect();
    // Some RubyGems versions write each dependency twice: a typed call,
    // and an untyped `add_dependency` call as a fallback for old RubyGems.
    runtime.retain(|gem| !development.contains(gem));
    runtime.dedup();
    package.depends_on = runtime;
    Ok(Some(package))
}

fn invalid(line: usize, attribute: &str, value: &str) -> String {
    format!("line {line}: {attribute} is not a string literal: {value:?}")
}

/// Returns `s` from `Gem::Specification.new do |s|`.
fn block_variable(line: &str) -> Option<&str> {
    let rest = line.split_once("Gem::Specification.new")?.1;
    let inner = rest.split_once('|')?.1.split_once('|')?.0.trim();
    (!inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(inner)
}

/// Reads a top-level `CONSTANT = "literal"` line.
fn constant_assignment(line: &str) -> Option<(&str, String)> {
    let (constant, value) = line.split_once('=')?;
    let constant = constant.trim();
    let starts_upper = constant
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase());
    let valid = constant
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !starts_upper || !valid {
        return None;
    }
    Some((constant, parse_string(value.trim())?.0))
}

enum DependencyKind {
    Runtime,
    Development,
}

/// Reads `add_runtime_dependency(%q<rack>.freeze, [...])` and its kin.
fn dependency_call(rest: &str) -> Option<(DependencyKind, String)> {
    let (method, arguments) = rest.split_once(['(', ' '])?;
    let kind = match method {
        "add_runtime_dependency" | "add_dependency" => DependencyKind::Runtime,
        "add_development_dependency" => DependencyKind::Development,
        _ => return None,
    };
    let (gem, _) = parse_string(arguments.trim_start())?;
    Some((kind, gem))
}

/// Reads a string literal, with an optional `.freeze`, or a constant that
/// the file set earlier. Anything after it must be a comment.
fn literal(value: &str, constants: &BTreeMap<&str, String>) -> Option<String> {
    if let Some((text, rest)) = parse_string(value) {
        return only_comment(rest).then_some(text);
    }
    let end = value
        .find(|c: char| c.is_whitespace() || c == '#')
        .unwrap_or(value.len());
    let (constant, rest) = value.split_at(end);
    let constant = constant.strip_suffix(".freeze").unwrap_or(constant);
    constants
        .get(constant)
        .filter(|_| only_comment(rest))
        .cloned()
}

/// Reads `["a".freeze, "b".freeze]`.
fn string_list(value: &str) -> Option<Vec<String>> {
    let mut rest = value.strip_prefix('[')?.trim_start();
    let mut items = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(']') {
            return only_comment(after).then_some(items);
        }
        let (item, after) = parse_string(rest)?;
        items.push(item);
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
}

fn only_comment(rest: &str) -> bool {
    let rest = rest.trim();
    rest.is_empty() || rest.starts_with('#')
}

/// Parses one Ruby string literal (`"…"`, `'…'` or `%q<…>`) and an optional
/// `.freeze`, returning its value and the text after it. Interpolation is
/// kept as written.
fn parse_string(text: &str) -> Option<(String, &str)> {
    let (value, rest) = if let Some(body) = text.strip_prefix('"') {
        double_quoted(body)?
    } else if let Some(body) = text.strip_prefix('\'') {
        single_quoted(body)?
    } else if let Some(body) = text.strip_prefix("%q") {
        let mut chars = body.chars();
        let close = match chars.next()? {
            '<' => '>',
            '(' => ')',
            '[' => ']',
            '{' => '}',
            other => other,
        };
        let body = chars.as_str();
        let end = body.find(close)?;
        (body[..end].to_owned(), &body[end + close.len_utf8()..])
    } else {
        return None;
    };
    Some((value, rest.strip_prefix(".freeze").unwrap_or(rest)))
}

fn double_quoted(body: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                    value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => value.push(other),
            },
            _ => value.push(c),
        }
    }
    None
}

fn single_quoted(body: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => return Some((value, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                escaped @ ('\\' | '\'') => value.push(escaped),
                other => {
                    value.push('\\');
                    value.push(other);
                }
            },
            _ => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_literals_and_runtime_dependencies() {
        let spec = "Gem::Specification.new do |s|\n  s.name = \"rss\".freeze\n  s.version = \"0.2.9\"\n  s.licenses = [\"BSD-2-Clause\".freeze, 'Ruby']\n  if s.respond_to? :add_runtime_dependency then\n    s.add_runtime_dependency(%q<rexml>.freeze, [\">= 0\"])\n    s.add_development_dependency(%q<rake>.freeze, [\">= 0\"])\n  else\n    s.add_dependency(%q<rexml>.freeze, [\">= 0\"])\n    s.add_dependency(%q<rake>.freeze, [\">= 0\"])\n  end\nend\n";
        let package = parse(spec).unwrap().unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("rss", "0.2.9")
        );
        assert_eq!(package.licenses, vec!["BSD-2-Clause", "Ruby"]);
        assert_eq!(package.depends_on, vec!["rexml"]);
        assert_eq!(package.purl, "pkg:gem/rss@0.2.9");
    }

    #[test]
    fn computed_version_is_an_error() {
        let spec = "Gem::Specification.new do |spec|\n  spec.name = 'app'\n  spec.version = App::VERSION\nend\n";
        let error = parse(spec).unwrap_err();
        assert!(error.contains("version is not a string literal"), "{error}");
    }
}
