//! Terraform modules: every `*.tf` file of one directory becomes one input
//! document.
//!
//! Variable defaults, `terraform.tfvars` and `*.auto.tfvars` values, and
//! locals are resolved where they reduce to literals. Any other expression
//! stays as its source text wrapped in `${...}`. Local modules
//! (`source = "./x"`) are parsed recursively.

use std::cell::{Cell, RefCell};
use std::fs;
use std::path::{Component, Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};
use serde_json::{Map, Value};

use crate::ignore::{CommentStyle, find_ignores};
use crate::{
    Document, FileContent, FileKind, InlineIgnore, MAX_FILE_SIZE, ParseError, ParsedFile,
    PathSegment, Positions,
};

/// Deepest chain of local modules followed from one root module.
const MAX_MODULE_DEPTH: usize = 5;

/// Most local modules loaded for one root module, counting every `module`
/// block followed. Without it, five levels of eight blocks that each call
/// the next directory would load 8^5 modules.
const MAX_MODULE_LOADS: usize = 100;

/// Key that holds the labels of a nested block, such as `"ingress"` of
/// `dynamic "ingress" { ... }`.
pub const LABELS_KEY: &str = "__labels";

struct SourceFile {
    display: String,
    text: String,
    body: Body,
    /// Byte offset at which each line of `text` starts, so positions are
    /// found by binary search instead of by rescanning the text.
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(display: String, text: String, body: Body) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        SourceFile {
            display,
            text,
            body,
            line_starts,
        }
    }

    /// Returns the 1-based line and column (in characters) of a byte offset.
    fn line_column(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        // Lines that start at or before `offset`; the first always does.
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        let column = self.text[line_start..offset].chars().count() + 1;
        (crate::yaml::to_u32(line), crate::yaml::to_u32(column))
    }
}

/// State shared by one walk through a root module and its local modules.
struct ModuleWalk {
    /// Canonical scan root. Local module sources outside it are not followed.
    root: PathBuf,
    /// Canonical directories of the modules being loaded, outermost first.
    chain: RefCell<Vec<PathBuf>>,
    /// Local modules loaded so far.
    loaded: Cell<usize>,
}

impl ModuleWalk {
    fn new(root: PathBuf, root_module: &Path) -> Self {
        let chain = fs::canonicalize(root_module).into_iter().collect();
        ModuleWalk {
            root,
            chain: RefCell::new(chain),
            loaded: Cell::new(0),
        }
    }
}

struct Module {
    document: Map<String, Value>,
    positions: Positions,
    ignores: Vec<InlineIgnore>,
    end_line: u32,
}

/// Parses the module in `dir`. Local module sources are followed only while
/// they stay inside `scan_root`.
pub(crate) fn parse_module(
    dir: &Path,
    display_dir: &str,
    scan_root: &Path,
) -> Result<ParsedFile, ParseError> {
    let root = fs::canonicalize(scan_root)
        .map_err(|err| ParseError::new(display_dir, format!("cannot resolve scan root: {err}")))?;
    let walk = ModuleWalk::new(root, dir);
    let module = load_module(dir, display_dir, &walk, Map::new(), 0)?;
    Ok(module_to_parsed_file(module, display_dir))
}

fn join_display(dir: &str, name: &str) -> String {
    if dir.is_empty() || dir == "." {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn read_text(path: &Path, display: &str) -> Result<String, ParseError> {
    let bytes = match crate::read_regular_file(path) {
        Ok(FileContent::Whole(bytes)) => bytes,
        Ok(FileContent::TooLarge { size, .. }) => {
            return Err(ParseError::new(
                display,
                format!("file is {size} bytes, larger than the {MAX_FILE_SIZE}-byte limit"),
            ));
        }
        Err(err) => return Err(ParseError::new(display, err.to_string())),
    };
    String::from_utf8(bytes).map_err(|err| {
        ParseError::new(
            display,
            format!(
                "file is not valid UTF-8 (at byte {})",
                err.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Parses one HCL file body.
pub(crate) fn parse_hcl(text: &str, display: &str) -> Result<Body, ParseError> {
    hcl_edit::parser::parse_body(text).map_err(|err| {
        let location = err.location();
        ParseError::at(
            display,
            crate::yaml::to_u32(location.line()),
            crate::yaml::to_u32(location.column()),
            err.message().to_owned(),
        )
    })
}

fn list_dir(dir: &Path, display_dir: &str) -> Result<Vec<(String, PathBuf)>, ParseError> {
    let entries = fs::read_dir(dir)
        .map_err(|err| ParseError::new(display_dir, format!("cannot read directory: {err}")))?;
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| Some((entry.file_name().into_string().ok()?, entry.path())))
        .collect();
    files.sort();
    Ok(files)
}

fn load_module(
    dir: &Path,
    display_dir: &str,
    walk: &ModuleWalk,
    inputs: Map<String, Value>,
    depth: usize,
) -> Result<Module, ParseError> {
    let mut sources = Vec::new();
    let mut json_sources = Vec::new();
    let mut tfvars = Vec::new();
    for (name, path) in list_dir(dir, display_dir)? {
        let display = join_display(display_dir, &name);
        if name.ends_with(".tf") {
            let text = read_text(&path, &display)?;
            let body = parse_hcl(&text, &display)?;
            sources.push(SourceFile::new(display, text, body));
        } else if name.ends_with(".tf.json") {
            let text = read_text(&path, &display)?;
            let value: Value = serde_json::from_str(&text).map_err(|err| {
                ParseError::at(
                    &display,
                    crate::yaml::to_u32(err.line()),
                    crate::yaml::to_u32(err.column()),
                    err.to_string(),
                )
            })?;
            json_sources.push(value);
        } else if name == "terraform.tfvars" || name.ends_with(".auto.tfvars") {
            tfvars.push((name, path, display));
        }
    }
    // Terraform applies terraform.tfvars first, then *.auto.tfvars in
    // lexical order.
    tfvars.sort_by_key(|(name, ..)| (name != "terraform.tfvars", name.clone()));
    let mut tfvar_files = Vec::new();
    for (_, path, display) in &tfvars {
        let text = read_text(path, display)?;
        let body = parse_hcl(&text, display)?;
        tfvar_files.push((text, body));
    }
    build_module(
        &sources,
        json_sources,
        &tfvar_files,
        inputs,
        dir,
        display_dir,
        walk,
        depth,
    )
}

/// Parses one `.tf` file alone as a module without tfvars.
pub(crate) fn parse_single_file(
    path: &Path,
    display: &str,
    text: &str,
) -> Result<ParsedFile, ParseError> {
    let body = parse_hcl(text, display)?;
    let source = SourceFile::new(display.to_owned(), text.to_owned(), body);
    let dir = path.parent().unwrap_or(Path::new("."));
    let display_dir = match display.rsplit_once('/') {
        Some((dir, _)) => dir,
        None => ".",
    };
    let module = build_module(
        &[source],
        Vec::new(),
        &[],
        Map::new(),
        dir,
        display_dir,
        &ModuleWalk::new(dir.to_path_buf(), dir),
        0,
    )?;
    Ok(module_to_parsed_file(module, display))
}

fn module_to_parsed_file(module: Module, display: &str) -> ParsedFile {
    let mut input = Map::new();
    input.insert("kind".to_owned(), Value::String("terraform".to_owned()));
    input.extend(module.document);
    let mut positions = module.positions;
    positions.insert(Vec::new(), 1, 1);
    ParsedFile {
        path: display.to_owned(),
        kind: FileKind::Terraform,
        documents: vec![Document {
            index: 0,
            input: Value::Object(input),
            positions,
            start_line: 1,
            end_line: module.end_line,
            resource: None,
        }],
        ignores: module.ignores,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_module(
    sources: &[SourceFile],
    json_sources: Vec<Value>,
    tfvar_files: &[(String, Body)],
    inputs: Map<String, Value>,
    dir: &Path,
    display_dir: &str,
    walk: &ModuleWalk,
    depth: usize,
) -> Result<Module, ParseError> {
    let mut variables = Map::new();
    for source in sources {
        for block in blocks(&source.body, "variable") {
            if let Some(name) = label(block, 0)
                && let Some(default) = attribute(&block.body, "default")
            {
                let value = resolve(default, &source.text, &Context::new());
                variables.insert(name, value);
            }
        }
    }
    for (text, body) in tfvar_files {
        for structure in body.iter() {
            if let Structure::Attribute(attr) = structure {
                let value = resolve(&attr.value, text, &Context::new());
                variables.insert(attr.key.value().as_str().to_owned(), value);
            }
        }
    }
    variables.extend(inputs);

    let locals = resolve_locals(sources, &variables);
    let context = make_context(&variables, &locals);

    let mut module = Module {
        document: Map::new(),
        positions: Positions::new(),
        ignores: Vec::new(),
        end_line: 1,
    };
    for source in sources {
        module.end_line = module
            .end_line
            .max(crate::yaml::to_u32(source.text.lines().count()));
        for mut ignore in find_ignores(&source.text, CommentStyle::Hcl) {
            ignore.file = Some(source.display.clone());
            module.ignores.push(ignore);
        }
        let mut converter = Converter {
            source,
            context: &context,
            locals: &locals,
            positions: &mut module.positions,
        };
        for structure in source.body.iter() {
            let Structure::Block(block) = structure else {
                continue;
            };
            converter.top_level_block(
                block,
                &mut module.document,
                dir,
                display_dir,
                walk,
                depth,
                &mut module.ignores,
            )?;
        }
    }
    for value in json_sources {
        merge_json_module(&mut module.document, value);
    }
    Ok(module)
}

/// Merges a `*.tf.json` file into the module document.
// TODO: `*.tf.json` values are merged as written: no positions, no
// reference resolution, and nested blocks keep their JSON shape.
fn merge_json_module(document: &mut Map<String, Value>, value: Value) {
    let Value::Object(sections) = value else {
        return;
    };
    for (section, content) in sections {
        match (document.get_mut(&section), content) {
            (Some(Value::Object(existing)), Value::Object(new)) => {
                for (key, item) in new {
                    match (existing.get_mut(&key), item) {
                        (Some(Value::Object(inner)), Value::Object(new_inner)) => {
                            inner.extend(new_inner)
                        }
                        (_, item) => {
                            existing.insert(key, item);
                        }
                    }
                }
            }
            (_, content) => {
                document.insert(section, content);
            }
        }
    }
}

fn blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.iter()
        .filter_map(Structure::as_block)
        .filter(move |block| block.ident.value().as_str() == ident)
}

fn attribute<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.iter()
        .filter_map(Structure::as_attribute)
        .find(|attr| attr.key.value().as_str() == key)
        .map(|attr| &attr.value)
}

fn label(block: &Block, index: usize) -> Option<String> {
    block.labels.get(index).map(|label| match label {
        BlockLabel::Ident(ident) => ident.value().as_str().to_owned(),
        BlockLabel::String(text) => text.value().clone(),
    })
}

/// Resolves locals that reduce to literals, in as many passes as needed for
/// locals that refer to other locals.
fn resolve_locals(sources: &[SourceFile], variables: &Map<String, Value>) -> Map<String, Value> {
    let mut pending: Vec<(String, &Expression, &str)> = Vec::new();
    for source in sources {
        for block in blocks(&source.body, "locals") {
            for structure in block.body.iter() {
                if let Structure::Attribute(attr) = structure {
                    pending.push((
                        attr.key.value().as_str().to_owned(),
                        &attr.value,
                        &source.text,
                    ));
                }
            }
        }
    }
    let mut locals = Map::new();
    loop {
        let context = make_context(variables, &locals);
        let before = pending.len();
        pending.retain(|(name, expr, _)| match evaluate(expr, &context) {
            Some(value) => {
                locals.insert(name.clone(), value);
                false
            }
            None => true,
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    // Locals that did not reduce to literals keep their partly resolved
    // form (for example an object with one unknown attribute).
    let context = make_context(variables, &locals);
    for (name, expr, text) in pending {
        locals.insert(name, resolve(expr, text, &context));
    }
    locals
}

fn make_context(variables: &Map<String, Value>, locals: &Map<String, Value>) -> Context<'static> {
    let mut context = Context::new();
    let to_hcl = |map: &Map<String, Value>| hcl::to_value(map).unwrap_or(hcl::Value::Null);
    context.declare_var("var", to_hcl(variables));
    context.declare_var("local", to_hcl(locals));
    context
}

/// Evaluates an expression fully, or returns `None` if any part of it is
/// unknown (a resource attribute, a function, a variable without value).
fn evaluate(expr: &Expression, context: &Context) -> Option<Value> {
    let expr: hcl::Expression = expr.clone().into();
    let value = expr.evaluate(context).ok()?;
    let value = serde_json::to_value(value).ok()?;
    // Unresolved placeholders of variables and locals are unknown too.
    (!contains_placeholder(&value)).then_some(value)
}

fn contains_placeholder(value: &Value) -> bool {
    match value {
        Value::String(text) => text.starts_with("${") && text.ends_with('}'),
        Value::Array(items) => items.iter().any(contains_placeholder),
        Value::Object(map) => map.values().any(contains_placeholder),
        _ => false,
    }
}

fn source_text<'a>(expr: &Expression, text: &'a str) -> &'a str {
    expr.span()
        .and_then(|range| text.get(range))
        .unwrap_or_default()
        .trim()
}

/// Converts an expression to JSON: literal values and resolvable
/// expressions become JSON values, arrays and objects are converted item by
/// item, and anything else becomes `"${source text}"`.
fn resolve(expr: &Expression, text: &str, context: &Context) -> Value {
    match expr {
        Expression::Array(array) => array
            .iter()
            .map(|item| resolve(item, text, context))
            .collect(),
        Expression::Object(object) => {
            let mut map = Map::new();
            for (key, value) in object.iter() {
                let key = match key {
                    ObjectKey::Ident(ident) => ident.value().as_str().to_owned(),
                    ObjectKey::Expression(key_expr) => match evaluate(key_expr, context) {
                        Some(Value::String(key)) => key,
                        Some(other) => other.to_string(),
                        None => source_text(key_expr, text).to_owned(),
                    },
                };
                map.insert(key, resolve(value.expr(), text, context));
            }
            Value::Object(map)
        }
        Expression::Parenthesis(inner) => resolve(inner.inner(), text, context),
        _ => match evaluate(expr, context) {
            Some(value) => value,
            None => unresolved(expr, text),
        },
    }
}

fn unresolved(expr: &Expression, text: &str) -> Value {
    let source = source_text(expr, text);
    match expr {
        Expression::StringTemplate(_) => {
            let inner = source
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(source);
            Value::String(inner.to_owned())
        }
        Expression::HeredocTemplate(_) => Value::String(source.to_owned()),
        _ => Value::String(format!("${{{source}}}")),
    }
}

struct Converter<'a> {
    source: &'a SourceFile,
    context: &'a Context<'a>,
    locals: &'a Map<String, Value>,
    positions: &'a mut Positions,
}

fn key(text: &str) -> PathSegment {
    PathSegment::Key(text.to_owned())
}

impl Converter<'_> {
    fn record(&mut self, path: Vec<PathSegment>, span: Option<std::ops::Range<usize>>) {
        if let Some(range) = span {
            let (line, column) = self.source.line_column(range.start);
            self.positions
                .insert_in_file(path, &self.source.display, line, column);
        }
    }

    /// Converts a block body: attributes become values, nested blocks
    /// become arrays of objects.
    fn body(&mut self, body: &Body, path: &[PathSegment]) -> Map<String, Value> {
        let mut map = Map::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.value().as_str();
                    let mut attr_path = path.to_vec();
                    attr_path.push(key(name));
                    self.record(attr_path, attr.span());
                    let value = resolve(&attr.value, &self.source.text, self.context);
                    map.insert(name.to_owned(), value);
                }
                Structure::Block(block) => {
                    let name = block.ident.value().as_str().to_owned();
                    let index = map.get(&name).and_then(Value::as_array).map_or(0, Vec::len);
                    let mut block_path = path.to_vec();
                    block_path.push(key(&name));
                    block_path.push(PathSegment::Index(index));
                    self.record(block_path.clone(), block.span());
                    let mut item = self.body(&block.body, &block_path);
                    if !block.labels.is_empty() {
                        let labels = (0..block.labels.len())
                            .filter_map(|i| label(block, i))
                            .map(Value::String)
                            .collect();
                        item.insert(LABELS_KEY.to_owned(), Value::Array(labels));
                    }
                    if name == "dynamic"
                        && let Some((kind, content)) = dynamic_content(block)
                    {
                        // A dynamic block generates blocks of its label's
                        // type from its `content`, as many as `for_each`
                        // has items. One instance stands for them all: its
                        // attributes that use the iterator stay unresolved
                        // (`${...}`), so checks treat them as unknown.
                        let index = map.get(&kind).and_then(Value::as_array).map_or(0, Vec::len);
                        let mut instance_path = path.to_vec();
                        instance_path.push(key(&kind));
                        instance_path.push(PathSegment::Index(index));
                        self.record(instance_path.clone(), block.span());
                        let mut instance = self.body(&content.body, &instance_path);
                        instance.insert(DYNAMIC_KEY.to_owned(), Value::Bool(true));
                        push_block(&mut map, kind, instance);
                    }
                    push_block(&mut map, name, item);
                }
            }
        }
        map
    }

    #[allow(clippy::too_many_arguments)]
    fn top_level_block(
        &mut self,
        block: &Block,
        document: &mut Map<String, Value>,
        dir: &Path,
        display_dir: &str,
        walk: &ModuleWalk,
        depth: usize,
        ignores: &mut Vec<InlineIgnore>,
    ) -> Result<(), ParseError> {
        let ident = block.ident.value().as_str();
        let labels: Vec<String> = (0..block.labels.len())
            .filter_map(|i| label(block, i))
            .collect();
        match (ident, labels.as_slice()) {
            ("locals", _) => {
                let path = vec![key("locals")];
                let body = self.body(&block.body, &path);
                // Store the resolved values, which include locals built
                // from other locals.
                let locals = section(document, "locals");
                for (name, value) in body {
                    let value = self.locals.get(&name).cloned().unwrap_or(value);
                    locals.insert(name, value);
                }
            }
            ("provider" | "terraform", _) => {
                let (container, name) = if ident == "provider" {
                    (
                        section(document, "provider"),
                        labels.first().cloned().unwrap_or_default(),
                    )
                } else {
                    (document as &mut Map<String, Value>, "terraform".to_owned())
                };
                let index = container
                    .get(&name)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let path = if ident == "provider" {
                    vec![key("provider"), key(&name), PathSegment::Index(index)]
                } else {
                    vec![key("terraform"), PathSegment::Index(index)]
                };
                self.record(path.clone(), block.span());
                let body = self.body(&block.body, &path);
                let container = if ident == "provider" {
                    section(document, "provider")
                } else {
                    document
                };
                let entry = container
                    .entry(name)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    items.push(Value::Object(body));
                }
            }
            ("variable", [name, ..]) => {
                let path = vec![key("variable"), key(name)];
                self.record(path.clone(), block.span());
                let mut body = self.body(&block.body, &path);
                if let Some(type_expr) = attribute(&block.body, "type") {
                    let type_text = source_text(type_expr, &self.source.text).to_owned();
                    body.insert("type".to_owned(), Value::String(type_text));
                }
                section(document, "variable").insert(name.clone(), Value::Object(body));
            }
            ("module", [name, ..]) => {
                let path = vec![key("module"), key(name)];
                self.record(path.clone(), block.span());
                let mut body = self.body(&block.body, &path);
                let child = match body.get("source") {
                    Some(Value::String(source)) if is_local_source(source) => self.child_module(
                        source,
                        &body,
                        dir,
                        display_dir,
                        walk,
                        depth,
                        &path,
                        ignores,
                    )?,
                    _ => None,
                };
                if let Some(child) = child {
                    body.insert("resources".to_owned(), Value::Object(child));
                }
                section(document, "module").insert(name.clone(), Value::Object(body));
            }
            (_, [kind, name]) => {
                let path = vec![key(ident), key(kind), key(name)];
                self.record(path.clone(), block.span());
                let body = self.body(&block.body, &path);
                let by_type = section(document, ident)
                    .entry(kind.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(by_type) = by_type {
                    by_type.insert(name.clone(), Value::Object(body));
                }
            }
            (_, [name]) => {
                let path = vec![key(ident), key(name)];
                self.record(path.clone(), block.span());
                let body = self.body(&block.body, &path);
                section(document, ident).insert(name.clone(), Value::Object(body));
            }
            _ => {
                let index = document
                    .get(ident)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let path = vec![key(ident), PathSegment::Index(index)];
                self.record(path.clone(), block.span());
                let body = self.body(&block.body, &path);
                let entry = document
                    .entry(ident.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    items.push(Value::Object(body));
                }
            }
        }
        Ok(())
    }

    /// Parses a local child module and moves its positions under
    /// `module.<name>.resources`.
    #[allow(clippy::too_many_arguments)]
    fn child_module(
        &mut self,
        source: &str,
        arguments: &Map<String, Value>,
        dir: &Path,
        display_dir: &str,
        walk: &ModuleWalk,
        depth: usize,
        path: &[PathSegment],
        ignores: &mut Vec<InlineIgnore>,
    ) -> Result<Option<Map<String, Value>>, ParseError> {
        if depth + 1 > MAX_MODULE_DEPTH {
            tracing::warn!(
                module = source,
                dir = display_dir,
                "local module chain is deeper than {MAX_MODULE_DEPTH}; not followed"
            );
            return Ok(None);
        }
        let Ok(child_dir) = fs::canonicalize(dir.join(source)) else {
            tracing::debug!(
                module = source,
                dir = display_dir,
                "local module directory not found"
            );
            return Ok(None);
        };
        if !child_dir.starts_with(&walk.root) {
            tracing::debug!(
                module = source,
                dir = display_dir,
                "local module is outside the scan root; not followed"
            );
            return Ok(None);
        }
        let child_display = normalize_display(display_dir, source);
        let mut inputs = arguments.clone();
        inputs.retain(|name, value| {
            !matches!(
                name.as_str(),
                "source" | "version" | "providers" | "count" | "for_each" | "depends_on"
            ) && !contains_placeholder(value)
        });
        if walk.chain.borrow().contains(&child_dir) {
            tracing::warn!(
                module = source,
                dir = display_dir,
                "local module calls a module that contains it; not followed"
            );
            return Ok(None);
        }
        if walk.loaded.get() >= MAX_MODULE_LOADS {
            tracing::warn!(
                module = source,
                dir = display_dir,
                "more than {MAX_MODULE_LOADS} local modules under one root module; not followed"
            );
            return Ok(None);
        }
        walk.loaded.set(walk.loaded.get() + 1);
        walk.chain.borrow_mut().push(child_dir.clone());
        let child = load_module(&child_dir, &child_display, walk, inputs, depth + 1);
        walk.chain.borrow_mut().pop();
        let child = child?;
        let mut prefix = path.to_vec();
        prefix.push(key("resources"));
        self.positions.absorb(&prefix, child.positions);
        ignores.extend(child.ignores);
        Ok(Some(child.document))
    }
}

fn section<'a>(document: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    let entry = document
        .entry(name.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    match entry {
        Value::Object(map) => map,
        _ => unreachable!("the entry was just made an object"),
    }
}

fn is_local_source(source: &str) -> bool {
    source == "." || source == ".." || source.starts_with("./") || source.starts_with("../")
}

/// Joins a display directory and a relative module source lexically:
/// `examples/simple` + `../../` is `.`.
fn normalize_display(display_dir: &str, source: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let joined = PathBuf::from(if display_dir.is_empty() {
        "."
    } else {
        display_dir
    })
    .join(source);
    for component in joined.components() {
        match component {
            Component::ParentDir if parts.pop().is_none() => parts.push("..".to_owned()),
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Key set to `true` on a block instance that stands for the blocks a
/// `dynamic` block generates.
pub const DYNAMIC_KEY: &str = "__dynamic";

/// Returns the block type a `dynamic` block generates and its `content`
/// block.
fn dynamic_content(block: &Block) -> Option<(String, &Block)> {
    let kind = label(block, 0)?;
    let content = block.body.iter().find_map(|structure| match structure {
        Structure::Block(inner) if inner.ident.value().as_str() == "content" => Some(inner),
        _ => None,
    })?;
    Some((kind, content))
}

/// Appends a block instance to the array under `name`.
fn push_block(map: &mut Map<String, Value>, name: String, item: Map<String, Value>) {
    let entry = map.entry(name).or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = entry {
        items.push(Value::Object(item));
    } else {
        // An attribute and a block share the name: keep both.
        let previous = entry.take();
        *entry = Value::Array(vec![previous, Value::Object(item)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_module_paths() {
        assert_eq!(normalize_display("examples/simple", "../../"), ".");
        assert_eq!(normalize_display(".", "./modules/x"), "modules/x");
        assert_eq!(normalize_display("a", "../b/./c"), "b/c");
    }
}
