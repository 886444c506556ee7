//! Dockerfile parser.
//!
//! Follows the BuildKit front end. It reads parser directives at the top of
//! the file (`# syntax=`, `# escape=`, `# check=`) and joins line
//! continuations made with the escape character, skipping comment and empty
//! lines inside them. It tells exec (JSON array) from shell form and reads
//! heredocs (`<<EOF`, `<<-EOF`, quoted delimiters) on `RUN`, `COPY` and `ADD`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::{Document, ParseError, PathSegment, Positions};

/// Instructions the BuildKit front end accepts.
const INSTRUCTIONS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// Instructions whose arguments may start with `--name=value` flags.
const FLAGGED: &[&str] = &["add", "copy", "from", "healthcheck", "run"];

/// Instructions that may carry heredocs.
const HEREDOC_INSTRUCTIONS: &[&str] = &["add", "copy", "run"];

struct Heredoc {
    delimiter: String,
    content: String,
}

struct Instruction {
    cmd: String,
    args: Vec<Value>,
    flags: Map<String, Value>,
    json_form: bool,
    heredocs: Vec<Heredoc>,
    line: u32,
    end_line: u32,
    original: String,
}

impl Instruction {
    fn to_json(&self) -> Value {
        let heredocs: Vec<Value> = self
            .heredocs
            .iter()
            .map(|h| json!({"delimiter": h.delimiter, "content": h.content}))
            .collect();
        let mut value = json!({
            "cmd": self.cmd,
            "args": self.args,
            "flags": self.flags,
            "json_form": self.json_form,
            "heredocs": heredocs,
            "line": self.line,
            "end_line": self.end_line,
            "original": self.original,
        });
        if self.cmd == "run"
            && let Some(commands) = self.simple_commands()
            && let Value::Object(fields) = &mut value
        {
            fields.insert("commands".to_owned(), commands);
        }
        value
    }

    /// Splits the script of a RUN instruction (its arguments joined with
    /// spaces, then a newline and the content of each heredoc) into simple
    /// commands at `&&`, `||`, `;`, `|` and newlines, each trimmed and with
    /// its space- or tab-separated words. `None` if an argument is not a
    /// string. Quotes and escapes are not interpreted, so a separator inside
    /// quotes splits too.
    fn simple_commands(&self) -> Option<Value> {
        let args: Vec<&str> = self.args.iter().map(Value::as_str).collect::<Option<_>>()?;
        let mut script = args.join(" ");
        for heredoc in &self.heredocs {
            script.push('\n');
            script.push_str(&heredoc.content);
        }
        let commands = split_commands(&script)
            .into_iter()
            .map(|text| {
                let words: Vec<&str> = text.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
                json!({"text": text, "words": words})
            })
            .collect();
        Some(Value::Array(commands))
    }
}

/// Splits a shell script at the first of `&&`, `||`, `;`, `|` or a newline
/// at each position, trims each part and drops empty parts.
fn split_commands(script: &str) -> Vec<&str> {
    let bytes = script.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        let width = match bytes[index] {
            b'&' if bytes.get(index + 1) == Some(&b'&') => 2,
            b'|' if bytes.get(index + 1) == Some(&b'|') => 2,
            b';' | b'|' | b'\n' => 1,
            _ => 0,
        };
        if width == 0 {
            index += 1;
            continue;
        }
        parts.push(&script[start..index]);
        index += width;
        start = index;
    }
    parts.push(&script[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect()
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// Parses a Dockerfile into one document.
pub(crate) fn parse(text: &str, display_path: &str) -> Result<Vec<Document>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let escape = parse_directives(&lines, display_path)?;
    let instructions = read_instructions(&lines, escape, display_path)?;
    Ok(vec![build_document(&instructions, escape, &lines)])
}

/// Reads the parser directives and returns the escape character.
fn parse_directives(lines: &[&str], display_path: &str) -> Result<char, ParseError> {
    let mut escape = '\\';
    let mut seen: Vec<String> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(comment) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = comment.split_once('=') else {
            break;
        };
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
            break;
        }
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            // An unknown directive is a comment and ends the directives.
            break;
        }
        if seen.contains(&name) {
            return Err(ParseError::at(
                display_path,
                line_number(index),
                1,
                format!("parser directive `{name}` is set twice"),
            ));
        }
        seen.push(name.clone());
        if name == "escape" {
            escape = match value.trim() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(ParseError::at(
                        display_path,
                        line_number(index),
                        1,
                        format!("invalid escape directive `{other}`: expected `\\` or a backtick"),
                    ));
                }
            };
        }
    }
    Ok(escape)
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Removes a trailing escape character (followed only by spaces or tabs)
/// and reports whether one was there.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(rest) => (rest, true),
        None => (line, false),
    }
}

fn read_instructions(
    lines: &[&str],
    escape: char,
    display_path: &str,
) -> Result<Vec<Instruction>, ParseError> {
    let mut instructions = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let first = lines[index];
        if first.trim().is_empty() || is_comment(first) {
            index += 1;
            continue;
        }
        let start = index;
        let (text, mut continued) = strip_continuation(first.trim_start(), escape);
        let mut logical = text.to_owned();
        index += 1;
        while continued && index < lines.len() {
            let next = lines[index];
            index += 1;
            if is_comment(next) || next.trim().is_empty() {
                continue;
            }
            let (text, more) = strip_continuation(next, escape);
            logical.push_str(text);
            continued = more;
        }
        let mut end = index - 1;

        let keyword_end = logical.find(char::is_whitespace).unwrap_or(logical.len());
        let cmd = logical[..keyword_end].to_ascii_lowercase();
        if !INSTRUCTIONS.contains(&cmd.as_str()) {
            let shown: String = logical[..keyword_end].chars().take(40).collect();
            return Err(ParseError::at(
                display_path,
                line_number(start),
                1,
                format!("unknown instruction `{shown}`"),
            ));
        }
        let rest = logical[keyword_end..].trim();

        let (flags, body) = if FLAGGED.contains(&cmd.as_str()) {
            split_flags(rest)
        } else {
            (Map::new(), rest)
        };

        let mut heredocs = Vec::new();
        if HEREDOC_INSTRUCTIONS.contains(&cmd.as_str()) && !body.starts_with('[') {
            for marker in find_heredoc_markers(body) {
                let opened_at = end;
                let mut content = String::new();
                let mut closed = false;
                while index < lines.len() {
                    let raw = lines[index];
                    index += 1;
                    let line = if marker.strip_tabs {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    if line == marker.delimiter {
                        closed = true;
                        break;
                    }
                    content.push_str(line);
                    content.push('\n');
                }
                if !closed {
                    return Err(ParseError::at(
                        display_path,
                        line_number(opened_at),
                        1,
                        format!(
                            "heredoc `<<{}` is not terminated: no line `{}` follows",
                            marker.delimiter, marker.delimiter
                        ),
                    ));
                }
                end = index - 1;
                heredocs.push(Heredoc {
                    delimiter: marker.delimiter,
                    content,
                });
            }
        }

        let (args, json_form) = parse_args(&cmd, body, escape);
        instructions.push(Instruction {
            cmd,
            args,
            flags,
            json_form,
            heredocs,
            line: line_number(start),
            end_line: line_number(end),
            original: lines[start..=end].join("\n"),
        });
    }
    Ok(instructions)
}

/// Splits leading `--name=value` / `--name` flags off the arguments. A
/// repeated flag keeps its last value; a flag without a value is `"true"`.
fn split_flags(rest: &str) -> (Map<String, Value>, &str) {
    let mut flags = Map::new();
    let mut remaining = rest;
    while let Some(after) = remaining.strip_prefix("--") {
        let token_end = after.find(char::is_whitespace).unwrap_or(after.len());
        let token = &after[..token_end];
        if token.is_empty() {
            break;
        }
        let (name, value) = match token.split_once('=') {
            Some((name, value)) => (name, value),
            None => (token, "true"),
        };
        flags.insert(name.to_owned(), Value::String(value.to_owned()));
        remaining = after[token_end..].trim_start();
    }
    (flags, remaining)
}

struct HeredocMarker {
    delimiter: String,
    strip_tabs: bool,
}

/// Finds `<<WORD`, `<<-WORD`, `<<"WORD"` and `<<'WORD'` markers in order.
/// Here-strings (`<<<`) and shifts such as `1 << 2` are not markers.
fn find_heredoc_markers(body: &str) -> Vec<HeredocMarker> {
    let bytes = body.as_bytes();
    let mut markers = Vec::new();
    let mut at = 0;
    while let Some(found) = body[at..].find("<<") {
        let start = at + found;
        at = start + 2;
        if start > 0 && bytes[start - 1] == b'<' {
            continue;
        }
        let mut cursor = start + 2;
        if bytes.get(cursor) == Some(&b'<') {
            at = cursor + 1;
            continue;
        }
        let strip_tabs = bytes.get(cursor) == Some(&b'-');
        if strip_tabs {
            cursor += 1;
        }
        let quote = match bytes.get(cursor) {
            Some(&q @ (b'"' | b'\'')) => {
                cursor += 1;
                Some(q)
            }
            _ => None,
        };
        let word_start = cursor;
        while let Some(&c) = bytes.get(cursor) {
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.' {
                cursor += 1;
            } else {
                break;
            }
        }
        let word = &body[word_start..cursor];
        let starts_well = word
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !starts_well {
            continue;
        }
        if let Some(q) = quote {
            if bytes.get(cursor) != Some(&q) {
                continue;
            }
            cursor += 1;
        }
        at = cursor;
        markers.push(HeredocMarker {
            delimiter: word.to_owned(),
            strip_tabs,
        });
    }
    markers
}

/// Parses `["a", "b"]` as a list of strings, or returns `None`.
fn parse_exec_form(body: &str) -> Option<Vec<Value>> {
    if !body.starts_with('[') {
        return None;
    }
    let items: Vec<Value> = serde_json::from_str(body).ok()?;
    items.iter().all(Value::is_string).then_some(items)
}

fn words(body: &str) -> Vec<Value> {
    body.split_whitespace()
        .map(|word| Value::String(word.to_owned()))
        .collect()
}

fn parse_args(cmd: &str, body: &str, escape: char) -> (Vec<Value>, bool) {
    match cmd {
        "run" | "cmd" | "entrypoint" | "shell" => match parse_exec_form(body) {
            Some(items) => (items, true),
            None => (vec![Value::String(body.to_owned())], false),
        },
        "copy" | "add" | "volume" => match parse_exec_form(body) {
            Some(items) => (items, true),
            None => (words(body), false),
        },
        "healthcheck" => {
            let (kind, command) = match body.find(char::is_whitespace) {
                Some(split) => (&body[..split], body[split..].trim()),
                None => (body, ""),
            };
            let mut args = vec![Value::String(kind.to_owned())];
            if !kind.eq_ignore_ascii_case("cmd") {
                return (args, false);
            }
            match parse_exec_form(command) {
                Some(items) => {
                    args.extend(items);
                    (args, true)
                }
                None => {
                    args.push(Value::String(command.to_owned()));
                    (args, false)
                }
            }
        }
        "env" | "label" | "arg" => {
            let pairs = parse_key_values(body, escape, cmd != "arg");
            (pairs.into_iter().map(Value::String).collect(), false)
        }
        _ => (words(body), false),
    }
}

/// Parses `KEY=VALUE` pairs (quotes removed) or the legacy `KEY VALUE`
/// form of ENV and LABEL, returned as `KEY=VALUE` strings. `ARG NAME`
/// without a default stays `NAME`.
fn parse_key_values(body: &str, escape: char, allow_legacy: bool) -> Vec<String> {
    let first_word_end = body.find(char::is_whitespace).unwrap_or(body.len());
    if allow_legacy && !body[..first_word_end].contains('=') {
        let value = body[first_word_end..].trim();
        if value.is_empty() {
            return vec![body.to_owned()];
        }
        return vec![format!("{}={}", &body[..first_word_end], value)];
    }
    split_shell_words(body, escape)
}

/// Splits on unquoted whitespace, removing quotes and escape characters the
/// way the BuildKit word parser does for ENV, LABEL and ARG.
fn split_shell_words(body: &str, escape: char) -> Vec<String> {
    let mut result = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    result.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '"' => {
                in_word = true;
                while let Some(inner) = chars.next() {
                    if inner == '"' {
                        break;
                    }
                    if inner == escape {
                        match chars.next() {
                            Some(next @ ('"' | '$')) => word.push(next),
                            Some(next) if next == escape => word.push(next),
                            Some(next) => {
                                word.push(inner);
                                word.push(next);
                            }
                            None => word.push(inner),
                        }
                        continue;
                    }
                    word.push(inner);
                }
            }
            '\'' => {
                in_word = true;
                for inner in chars.by_ref() {
                    if inner == '\'' {
                        break;
                    }
                    word.push(inner);
                }
            }
            c if c == escape => {
                in_word = true;
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        result.push(word);
    }
    result
}

/// Expands `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`,
/// `${NAME:+word}` and `${NAME+word}` with the known ARG values. A reference
/// to an ARG without a known value stays as written, so checks can tell the
/// value is only known at build time.
fn substitute(text: &str, args: &HashMap<String, Option<String>>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(inner_start) = after.strip_prefix('{') {
            let Some(close) = inner_start.find('}') else {
                out.push_str(&rest[dollar..]);
                return out;
            };
            let inner = &inner_start[..close];
            let reference = &rest[dollar..dollar + 2 + close + 1];
            out.push_str(&expand_braced(inner, reference, args));
            rest = &inner_start[close + 1..];
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..name_len];
            match args.get(name) {
                Some(Some(value)) if !name.is_empty() => out.push_str(value),
                _ => out.push_str(&rest[dollar..dollar + 1 + name_len]),
            }
            rest = &after[name_len..];
        }
    }
    out.push_str(rest);
    out
}

fn expand_braced(inner: &str, reference: &str, args: &HashMap<String, Option<String>>) -> String {
    let name_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, operator) = inner.split_at(name_len);
    // `None`: no such ARG; `Some(None)`: an ARG without a default.
    let value: Option<Option<String>> = args.get(name).cloned();
    let (op, word) = if let Some(word) = operator.strip_prefix(":-") {
        (":-", word)
    } else if let Some(word) = operator.strip_prefix(":+") {
        (":+", word)
    } else if let Some(word) = operator.strip_prefix('-') {
        ("-", word)
    } else if let Some(word) = operator.strip_prefix('+') {
        ("+", word)
    } else {
        ("", operator)
    };
    match op {
        "" if !word.is_empty() => reference.to_owned(),
        "" => match value {
            Some(Some(value)) => value,
            _ => reference.to_owned(),
        },
        ":-" => match value {
            Some(Some(value)) if !value.is_empty() => value,
            _ => word.to_owned(),
        },
        "-" => match value {
            Some(Some(value)) => value,
            _ => word.to_owned(),
        },
        ":+" => match value {
            Some(Some(value)) if !value.is_empty() => word.to_owned(),
            Some(Some(_)) => String::new(),
            _ => reference.to_owned(),
        },
        _ => match value {
            Some(Some(_)) => word.to_owned(),
            _ => reference.to_owned(),
        },
    }
}

fn build_document(instructions: &[Instruction], escape: char, lines: &[&str]) -> Document {
    let mut positions = Positions::new();
    positions.insert(Vec::new(), 1, 1);
    let mut global_args: HashMap<String, Option<String>> = HashMap::new();
    let mut top_args = Vec::new();
    let mut stages: Vec<Value> = Vec::new();
    let mut stage_instructions: Vec<Value> = Vec::new();

    let key = |k: &str| PathSegment::Key(k.to_owned());
    for instruction in instructions {
        if instruction.cmd == "from" {
            if let Some(Value::Object(stage)) = stages.last_mut() {
                stage.insert(
                    "instructions".to_owned(),
                    Value::Array(std::mem::take(&mut stage_instructions)),
                );
            }
            let words: Vec<&str> = instruction.args.iter().filter_map(Value::as_str).collect();
            let image = words.first().copied().unwrap_or("");
            let name = match words.as_slice() {
                [_, as_keyword, name, ..] if as_keyword.eq_ignore_ascii_case("as") => {
                    Value::String((*name).to_owned())
                }
                _ => Value::Null,
            };
            let index = stages.len();
            positions.insert(
                vec![key("stages"), PathSegment::Index(index)],
                instruction.line,
                1,
            );
            stages.push(json!({
                "index": index,
                "name": name,
                "base": substitute(image, &global_args),
                "instructions": [],
            }));
        } else if stages.is_empty() {
            if instruction.cmd == "arg" {
                for pair in instruction.args.iter().filter_map(Value::as_str) {
                    let (name, value) = match pair.split_once('=') {
                        Some((name, value)) => (name, Some(substitute(value, &global_args))),
                        None => (pair, None),
                    };
                    global_args.insert(name.to_owned(), value);
                }
            }
            positions.insert(
                vec![key("args"), PathSegment::Index(top_args.len())],
                instruction.line,
                1,
            );
            top_args.push(instruction.to_json());
            continue;
        }
        let stage_index = stages.len() - 1;
        positions.insert(
            vec![
                key("stages"),
                PathSegment::Index(stage_index),
                key("instructions"),
                PathSegment::Index(stage_instructions.len()),
            ],
            instruction.line,
            1,
        );
        stage_instructions.push(instruction.to_json());
    }
    if let Some(Value::Object(stage)) = stages.last_mut() {
        stage.insert("instructions".to_owned(), Value::Array(stage_instructions));
    }

    let end_line = lines
        .iter()
        .rposition(|line| !line.trim().is_empty())
        .map_or(1, line_number);
    Document {
        index: 0,
        input: json!({
            "kind": "dockerfile",
            "escape": escape.to_string(),
            "args": top_args,
            "stages": stages,
        }),
        positions,
        start_line: 1,
        end_line,
        resource: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, Option<&str>)]) -> HashMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect()
    }

    #[test]
    fn substitute_forms() {
        let known = args(&[("V", Some("1.22")), ("EMPTY", Some("")), ("UNSET", None)]);
        assert_eq!(substitute("golang:${V}", &known), "golang:1.22");
        assert_eq!(substitute("golang:$V-alpine", &known), "golang:1.22-alpine");
        assert_eq!(substitute("x:${EMPTY:-d}", &known), "x:d");
        assert_eq!(substitute("x:${EMPTY-d}", &known), "x:");
        assert_eq!(substitute("x:${V:+set}", &known), "x:set");
        assert_eq!(substitute("x:${UNSET}", &known), "x:${UNSET}");
        assert_eq!(substitute("x:${MISSING:-d}", &known), "x:d");
        assert_eq!(substitute("x:$MISSING", &known), "x:$MISSING");
    }

    #[test]
    fn shell_words_remove_quotes() {
        assert_eq!(
            split_shell_words(r#"A="x y" B='z w' C=a\ b"#, '\\'),
            ["A=x y", "B=z w", "C=a b"]
        );
    }

    #[test]
    fn split_commands_at_operators() {
        assert_eq!(
            split_commands("a && b || c; d | e\n\tf & g ||| h;;"),
            ["a", "b", "c", "d", "e", "f & g", "h"]
        );
        assert!(split_commands(" \n ").is_empty());
    }

    #[test]
    fn run_commands_include_heredocs() {
        let documents = parse(
            "FROM alpine\nRUN set -eux; \\\n\tapk add\tcurl <<EOF\nsudo  ls\nEOF\n",
            "Dockerfile",
        )
        .expect("Dockerfile parses");
        let run = &documents[0].input["stages"][0]["instructions"][1];
        assert_eq!(
            run["commands"],
            json!([
                {"text": "set -eux", "words": ["set", "-eux"]},
                {"text": "apk add\tcurl <<EOF", "words": ["apk", "add", "curl", "<<EOF"]},
                {"text": "sudo  ls", "words": ["sudo", "ls"]},
            ])
        );
    }

    #[test]
    fn heredoc_markers() {
        let found: Vec<String> =
            find_heredoc_markers("cat <<-\"EOT\" > a && x <<<y && echo $((1 << 2)) <<F2")
                .into_iter()
                .map(|m| m.delimiter)
                .collect();
        assert_eq!(found, ["EOT", "F2"]);
    }
}
