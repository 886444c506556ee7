//! Detection of functions that call themselves.
//!
//! OPA rejects recursion when it compiles a policy; regorus 0.14 does not,
//! and a function that keeps calling itself overflows the stack, which
//! aborts the process. User modules are checked before they are loaded.

/// Returns the name and 1-based line of the first function in `text` that
/// can call itself: directly, or through other functions of the same
/// module. Calls into other modules are not followed.
pub(crate) fn find_self_call(text: &str) -> Option<(String, u32)> {
    let definitions = function_definitions(text);
    let names: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
    // Calls of each definition to functions defined in this module, with
    // the line of the call.
    let edges: Vec<Vec<(usize, u32)>> = definitions
        .iter()
        .map(|definition| {
            let mut calls_here = Vec::new();
            for (line, code) in &definition.body {
                for (target, name) in names.iter().enumerate() {
                    if calls(code, name) {
                        calls_here.push((target, *line));
                    }
                }
            }
            calls_here
        })
        .collect();
    for (start, definition) in definitions.iter().enumerate() {
        // Depth-first search from each definition for a path back to a
        // definition of the same name.
        let mut stack: Vec<usize> = vec![start];
        let mut visited = vec![false; definitions.len()];
        while let Some(current) = stack.pop() {
            for &(target, line) in &edges[current] {
                if definitions[target].name == definition.name {
                    let line = if current == start {
                        line
                    } else {
                        definition.line
                    };
                    return Some((definition.name.clone(), line));
                }
                if !visited[target] {
                    visited[target] = true;
                    stack.push(target);
                }
            }
        }
    }
    None
}

/// One definition of a function: its name, head line and the code of its
/// lines, comments and strings removed.
struct Definition {
    name: String,
    line: u32,
    body: Vec<(u32, String)>,
}

fn function_definitions(text: &str) -> Vec<Definition> {
    let lines: Vec<&str> = text.lines().collect();
    let mut definitions = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let Some(name) = function_head(lines[index]) else {
            index += 1;
            continue;
        };
        let start = index;
        // The definition runs until the next line that starts a new
        // statement at column 0.
        let mut end = index + 1;
        while end < lines.len() && !starts_statement(lines[end]) {
            end += 1;
        }
        let head_rest = &lines[start][name.len()..];
        let head_rest = head_rest.split_once(')').map_or("", |(_, rest)| rest);
        let body = std::iter::once(head_rest)
            .chain(lines[start + 1..end].iter().copied())
            .enumerate()
            .map(|(offset, line)| ((start + offset + 1) as u32, code_of(line)))
            .collect();
        definitions.push(Definition {
            name,
            line: (start + 1) as u32,
            body,
        });
        index = end;
    }
    definitions
}

/// Returns the function name of a line such as `f(x) := ...` or
/// `f(x) if {`, written at column 0.
fn function_head(line: &str) -> Option<String> {
    let name: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if matches!(
        name.as_str(),
        "package" | "import" | "default" | "not" | "some" | "every"
    ) {
        return None;
    }
    line[name.len()..].starts_with('(').then_some(name)
}

/// Returns whether a line starts a new statement: text at column 0 that is
/// not a closing bracket or a comment.
fn starts_statement(line: &str) -> bool {
    line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// Returns the line without its comment and with string literals blanked.
fn code_of(line: &str) -> String {
    let mut code = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            code.push(' ');
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                code.push(' ');
            }
            '#' => break,
            _ => code.push(c),
        }
    }
    code
}

/// Returns whether `code` calls `name(`: the name as a whole word, not a
/// field (`x.name(`), followed by an opening parenthesis.
fn calls(code: &str, name: &str) -> bool {
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(found) = code[from..].find(name) {
        let at = from + found;
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = &code[at + name.len()..];
        let word_start =
            before.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'.'));
        if word_start && after.trim_start().starts_with('(') {
            return true;
        }
        from = at + name.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_direct_recursion() {
        let text = "package rec\n\nf(n) := 0 if n <= 0\n\nf(n) := f(n - 1) + 1 if n > 0\n";
        assert_eq!(find_self_call(text), Some(("f".to_owned(), 5)));
    }

    #[test]
    fn finds_recursion_in_body() {
        let text = "package rec\n\ndepth(x) := d if {\n\t# depth(x) in a comment is fine\n\td := depth(x.child) + 1\n}\n";
        assert_eq!(find_self_call(text), Some(("depth".to_owned(), 5)));
    }

    #[test]
    fn finds_mutual_recursion() {
        let text = "package rec\n\neven(n) := odd(n - 1)\n\nodd(n) := even(n - 1)\n";
        assert_eq!(find_self_call(text), Some(("even".to_owned(), 3)));
    }

    #[test]
    fn ignores_other_calls_and_strings() {
        let text = "package ok\n\nf(x) := g(x)\n\ng(x) := sprintf(\"g(%v)\", [x]) if {\n\tx.g(1)\n}\n\nh(x) := count(x)\n";
        assert_eq!(find_self_call(text), None);
    }
}
