//! `# bulwark:ignore` comments.
//!
//! Syntax: `# bulwark:ignore RULE-ID[,RULE-ID] [reason="..."] [owner=...]
//! [expires=YYYY-MM-DD]`, also with `//` in HCL. A comment alone on its line
//! applies to the next line that is neither blank nor a comment. A comment
//! after other text applies to its own line.

use crate::InlineIgnore;

const MARKER: &str = "bulwark:ignore";

/// Comment syntax of a file kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommentStyle {
    /// `#` comments only at the start of a line (Dockerfile).
    HashLine,
    /// `#` comments at the start of a line or after whitespace (YAML).
    Hash,
    /// `#` and `//` comments (HCL).
    Hcl,
}

/// Finds every ignore comment in `text`.
pub(crate) fn find_ignores(text: &str, style: CommentStyle) -> Vec<InlineIgnore> {
    let lines: Vec<&str> = text.lines().collect();
    let mut ignores = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((comment_start, directive)) = find_directive(line, style) else {
            continue;
        };
        let trailing = !line[..comment_start].trim().is_empty();
        let target = if trailing {
            Some(index)
        } else {
            (index + 1..lines.len()).find(|&next| !is_blank_or_comment(lines[next], style))
        };
        // A comment at the end of the file applies to nothing.
        let Some(target) = target else {
            continue;
        };
        if let Some(mut ignore) = parse_directive(directive) {
            ignore.line = u32::try_from(target + 1).unwrap_or(u32::MAX);
            ignores.push(ignore);
        }
    }
    ignores
}

fn is_blank_or_comment(line: &str, style: CommentStyle) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty()
        || trimmed.starts_with('#')
        || (style == CommentStyle::Hcl && trimmed.starts_with("//"))
}

/// Returns the byte offset where the comment starts and the text after the
/// marker.
fn find_directive(line: &str, style: CommentStyle) -> Option<(usize, &str)> {
    let mut search_from = 0;
    while let Some(found) = line[search_from..].find(MARKER) {
        let marker_at = search_from + found;
        search_from = marker_at + MARKER.len();
        let before = line[..marker_at].trim_end();
        let comment_start = if before.ends_with("//") && style == CommentStyle::Hcl {
            before.len() - 2
        } else if before.ends_with('#') {
            before.len() - 1
        } else {
            continue;
        };
        let prefix = &line[..comment_start];
        let starts_comment = match style {
            CommentStyle::HashLine => prefix.trim().is_empty(),
            CommentStyle::Hash | CommentStyle::Hcl => {
                prefix.is_empty() || prefix.ends_with(char::is_whitespace)
            }
        };
        let rest = &line[marker_at + MARKER.len()..];
        if starts_comment && (rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            return Some((comment_start, rest));
        }
    }
    None
}

/// Parses the text after the marker: rule ids, then `key=value` fields.
fn parse_directive(text: &str) -> Option<InlineIgnore> {
    let mut ignore = InlineIgnore {
        line: 0,
        rule_ids: Vec::new(),
        reason: None,
        owner: None,
        expires: None,
        file: None,
    };
    for (key, value) in split_fields(text) {
        match key.as_deref() {
            None => ignore.rule_ids.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned),
            ),
            Some("reason") => ignore.reason = Some(value),
            Some("owner") => ignore.owner = Some(value),
            Some("expires") => ignore.expires = Some(value),
            Some(other) => {
                tracing::debug!(field = other, "unknown field in bulwark:ignore comment");
            }
        }
    }
    if ignore.rule_ids.is_empty() {
        tracing::debug!(comment = text, "bulwark:ignore comment names no rule id");
        return None;
    }
    Some(ignore)
}

/// Splits `a,b reason="x y" owner=z` into `(None, "a,b")`,
/// `(Some("reason"), "x y")` and `(Some("owner"), "z")`.
fn split_fields(text: &str) -> Vec<(Option<String>, String)> {
    let mut fields = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut key = None;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == '=' && key.is_none() {
                key = Some(std::mem::take(&mut word));
                if chars.next_if_eq(&'"').is_some() {
                    // Quoted value: read up to the closing quote.
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => {
                                if let Some(escaped) = chars.next() {
                                    word.push(escaped);
                                }
                            }
                            other => word.push(other),
                        }
                    }
                }
                continue;
            }
            word.push(c);
        }
        fields.push((key, word));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_comment_applies_to_own_line() {
        let text = "a: 1\nb: 2 # bulwark:ignore R1\n";
        let ignores = find_ignores(text, CommentStyle::Hash);
        assert_eq!(ignores.len(), 1);
        assert_eq!(ignores[0].line, 2);
    }

    #[test]
    fn standalone_comment_skips_blank_and_comment_lines() {
        let text = "# bulwark:ignore R1,R2 reason=\"a b\" owner=team expires=2027-01-31\n\n# other\nx: 1\n";
        let ignores = find_ignores(text, CommentStyle::Hash);
        assert_eq!(ignores.len(), 1);
        assert_eq!(ignores[0].line, 4);
        assert_eq!(ignores[0].rule_ids, ["R1", "R2"]);
        assert_eq!(ignores[0].reason.as_deref(), Some("a b"));
        assert_eq!(ignores[0].owner.as_deref(), Some("team"));
        assert_eq!(ignores[0].expires.as_deref(), Some("2027-01-31"));
    }

    #[test]
    fn marker_inside_value_is_not_a_comment() {
        let text = "a: x#bulwark:ignore R1\n";
        assert!(find_ignores(text, CommentStyle::Hash).is_empty());
    }

    #[test]
    fn hcl_slash_comment() {
        let text = "resource \"a\" \"b\" {\n  // bulwark:ignore R1\n  x = 1\n}\n";
        let ignores = find_ignores(text, CommentStyle::Hcl);
        assert_eq!(ignores.len(), 1);
        assert_eq!(ignores[0].line, 3);
    }
}
