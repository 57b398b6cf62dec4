//! Analyst rules for Clawback: conditions written by fraud analysts, evaluated by the engine
//! for every refund request beside the trained model.
//!
//! Rules live in a TOML file (see `examples/rules.toml`); each `when` is a CEL expression
//! over the engine's point-in-time features. CEL is standard, side-effect free and not Turing
//! complete; on top of that this crate only admits a whitelist of syntax, variables and
//! functions, caps length and nesting, and type-checks every expression against the
//! [`Schema`] — all at load, so a rules file either loads completely or is refused with a
//! `file:line:column` error, and evaluation can never loop, touch the system, or meet a
//! construct nobody checked.
//!
//! What is allowed in `when`:
//! - the variables of the [`Schema`]: numbers are CEL doubles (write `1000` or `1000.0`, both
//!   work: integer literals are read as doubles), bools, strings; a missing value is `null`;
//! - literals: numbers, strings, `true`, `false`, `null`;
//! - operators `&&`, `||`, `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `+`, `-`, `*`, `/`,
//!   `c ? a : b`, and `x in [literal, ...]`;
//! - functions `size(s)`/`s.size()` (characters, as a number), `s.contains(t)`,
//!   `s.startsWith(t)`, `s.endsWith(t)`, `has(x)` (true when `x` is not missing),
//!   `min(a, b)`, `max(a, b)`, `abs(a)`.
//!
//! A rule whose evaluation fails at runtime (a missing value compared with a number, ...)
//! does not fire; the engine counts such failures.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use cel::common::types::CelBool;
use cel::{Context, Env, IdedExpr};
use serde::Deserialize;
use toml::Spanned;

mod check;
mod error;
mod eval;
mod pos;

pub use error::{Location, RulesError};

/// Longest `when` accepted, in characters: long conditions are unreadable and slow.
pub const MAX_WHEN_CHARS: usize = 2000;
/// Deepest bracket nesting accepted in `when`.
pub const MAX_NESTING: usize = 16;
/// Deepest operator nesting accepted in `when` (after parsing; `a || b || c` chains are
/// balanced by the parser and stay shallow).
pub const MAX_DEPTH: usize = 32;

/// The type of a schema variable, which decides how rules may use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarType {
    /// A number; a CEL double in rules.
    Number,
    /// True or false.
    Bool,
    /// Text.
    String,
}

/// One variable rules may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaVar {
    /// The name rules use, e.g. `amount_usd`.
    pub name: String,
    /// Its type, checked against every use at load.
    pub ty: VarType,
    /// One line saying what it means, for analysts and tooling.
    pub meaning: String,
}

/// The variables rules may read, in a fixed order; the engine builds it from its feature
/// registry, and passes values in the same order to [`RuleSet::evaluate`].
#[derive(Debug, Clone, Default)]
pub struct Schema {
    vars: Vec<SchemaVar>,
    index: HashMap<String, usize>,
}

impl Schema {
    /// A schema of `(name, type, one-line meaning)`, in the order values will be passed.
    /// If a name repeats, rules read the first one.
    pub fn new(vars: Vec<(String, VarType, String)>) -> Self {
        let vars: Vec<SchemaVar> = vars
            .into_iter()
            .map(|(name, ty, meaning)| SchemaVar { name, ty, meaning })
            .collect();
        let mut index = HashMap::with_capacity(vars.len());
        for (i, v) in vars.iter().enumerate() {
            index.entry(v.name.clone()).or_insert(i);
        }
        Schema { vars, index }
    }

    /// The variables, in order: `values[i]` passed to [`RuleSet::evaluate`] is `vars()[i]`.
    pub fn vars(&self) -> &[SchemaVar] {
        &self.vars
    }

    /// The position of the variable called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// The value of one schema variable for one refund request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A number (any [`VarType::Number`]).
    Number(f64),
    /// A bool.
    Bool(bool),
    /// A string, borrowed from the engine's state: nothing is copied to evaluate.
    Str(&'a str),
    /// Not known for this request; `null` in rules, so `x == null` and `has(x)` work and any
    /// other use of it makes the rule not fire.
    Missing,
}

/// What a fired rule asks the engine to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Approve the refund.
    Approve,
    /// Hold the refund until evidence arrives.
    Hold,
    /// Send the refund to a person.
    Review,
    /// Deny the refund.
    Deny,
    /// Only attach the tag to the decision.
    Tag(String),
}

/// Whether a rule's action is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Applied (the default).
    Enforce,
    /// Evaluated and logged, not applied: how a new rule is tried on live traffic.
    Shadow,
}

/// One analyst rule, as loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique snake_case id.
    pub id: String,
    /// What to do when it fires.
    pub action: Action,
    /// Snake_case reason code reported on the decision.
    pub reason: String,
    /// Free text for people.
    pub detail: Option<String>,
    /// Enforce or shadow.
    pub mode: Mode,
    /// 1-based line of the rule's `[[rule]]` header in the file.
    pub line: usize,
    /// The condition as written (decoded from TOML).
    pub when: String,
}

/// A loaded, fully checked rules file, ready to evaluate.
pub struct RuleSet {
    rules: Vec<Rule>,
    exprs: Vec<IdedExpr>,
    /// (name, schema index) of every variable some rule reads, sorted by name.
    names: Vec<(String, usize)>,
    env: Arc<Env>,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules)
            .field("referenced", &self.names)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Option<Spanned<String>>,
    when: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
    detail: Option<Spanned<String>>,
    mode: Option<Spanned<String>>,
}

/// Builds locations in one file.
struct Locator<'a> {
    src: &'a str,
    file: &'a str,
}

impl Locator<'_> {
    fn at(&self, offset: usize, rule: Option<&str>) -> Location {
        let (line, column) = pos::line_col(self.src, offset);
        Location {
            file: self.file.to_string(),
            line,
            column,
            rule: rule.map(str::to_string),
        }
    }
}

fn is_snake_case(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.ends_with('_')
        && !s.contains("__")
}

/// A snake_case spelling of `s`, suggested when an id or code is not.
pub(crate) fn to_snake_case(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
            prev_lower = true;
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
            prev_lower = false;
        }
    }
    let out = out.trim_matches('_').to_string();
    match out.chars().next() {
        Some(c) if c.is_ascii_lowercase() => out,
        _ => format!("r_{out}"),
    }
}

/// Byte offset in `expr` of the 1-based (line, column-in-characters) CEL reports.
fn expr_offset(expr: &str, line: isize, column: isize) -> usize {
    let mut offset = 0;
    for (i, l) in expr.split_inclusive('\n').enumerate() {
        if i + 1 == usize::try_from(line).unwrap_or(1).max(1) {
            let col = usize::try_from(column).unwrap_or(1).max(1) - 1;
            return offset + l.char_indices().nth(col).map_or(l.len(), |(byte, _)| byte);
        }
        offset += l.len();
    }
    expr.len()
}

/// CEL's syntax message without its prefix and its long list of expected tokens.
fn short_syntax_message(message: &str) -> String {
    let m = message.strip_prefix("Syntax error: ").unwrap_or(message);
    let m = m.split(" expecting {").next().unwrap_or(m);
    m.trim().to_string()
}

/// The first bracket in `expr` that nests deeper than [`MAX_NESTING`] (outside string
/// literals, roughly), as a byte offset.
fn too_deep_bracket(expr: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in expr.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

impl RuleSet {
    /// Loads and checks a rules file. `file` is only used in error messages.
    ///
    /// Everything is checked here — TOML, keys, ids, actions, modes, reason codes, and every
    /// `when` against the whitelist and the schema's types — so evaluation has nothing left
    /// to reject. The first problem found is returned.
    pub fn parse(src: &str, file: &str, schema: &Schema) -> Result<RuleSet, RulesError> {
        let loc = Locator { src, file };
        let raw: RawFile = toml::from_str(src).map_err(|e| RulesError::Toml {
            at: loc.at(e.span().map_or(0, |s| s.start), None),
            message: e.message().trim().to_string(),
        })?;
        let env = eval::env().map_err(|e| RulesError::NotAllowed {
            at: loc.at(0, None),
            what: format!("this build's CEL environment ({e})"),
            hint: "report this to the engine's maintainers".to_string(),
        })?;

        let mut rules = Vec::with_capacity(raw.rule.len());
        let mut exprs = Vec::with_capacity(raw.rule.len());
        let mut referenced = BTreeSet::new();
        let mut first_line: HashMap<String, usize> = HashMap::new();

        for spanned in raw.rule {
            let rule_start = spanned.span().start;
            let line = pos::line_col(src, rule_start).0;
            let r = spanned.into_inner();

            let Some(id) = r.id else {
                return Err(RulesError::MissingKey {
                    at: loc.at(rule_start, None),
                    key: "id",
                });
            };
            let id_at = id.span().start;
            let id = id.into_inner();
            let rid = Some(id.as_str());
            if !is_snake_case(&id) {
                return Err(RulesError::NotSnakeCase {
                    at: loc.at(id_at, None),
                    key: "id",
                    value: id,
                });
            }
            if let Some(&first) = first_line.get(&id) {
                return Err(RulesError::DuplicateId {
                    at: loc.at(id_at, rid),
                    id: id.clone(),
                    first_line: first,
                });
            }
            first_line.insert(id.clone(), line);

            let required = |v: Option<Spanned<String>>, key: &'static str| {
                v.ok_or_else(|| RulesError::MissingKey {
                    at: loc.at(rule_start, rid),
                    key,
                })
            };

            let action_s = required(r.action, "action")?;
            let action = match action_s.get_ref().as_str() {
                "approve" => Action::Approve,
                "hold" => Action::Hold,
                "review" => Action::Review,
                "deny" => Action::Deny,
                "tag" => {
                    let Some(tag) = &r.tag else {
                        return Err(RulesError::TagMissing {
                            at: loc.at(action_s.span().start, rid),
                        });
                    };
                    if !is_snake_case(tag.get_ref()) {
                        return Err(RulesError::NotSnakeCase {
                            at: loc.at(tag.span().start, rid),
                            key: "tag",
                            value: tag.get_ref().clone(),
                        });
                    }
                    Action::Tag(tag.get_ref().clone())
                }
                other => {
                    return Err(RulesError::UnknownAction {
                        at: loc.at(action_s.span().start, rid),
                        action: other.to_string(),
                        suggestion: error::suggest(
                            &other.to_ascii_lowercase(),
                            ["approve", "hold", "review", "deny", "tag"],
                        ),
                    });
                }
            };
            if let (Some(tag), false) = (&r.tag, matches!(action, Action::Tag(_))) {
                return Err(RulesError::TagNotAllowed {
                    at: loc.at(tag.span().start, rid),
                });
            }

            let reason = required(r.reason, "reason")?;
            if !is_snake_case(reason.get_ref()) {
                return Err(RulesError::NotSnakeCase {
                    at: loc.at(reason.span().start, rid),
                    key: "reason code",
                    value: reason.get_ref().clone(),
                });
            }

            let mode = match &r.mode {
                None => Mode::Enforce,
                Some(m) => match m.get_ref().as_str() {
                    "enforce" => Mode::Enforce,
                    "shadow" => Mode::Shadow,
                    other => {
                        return Err(RulesError::BadMode {
                            at: loc.at(m.span().start, rid),
                            mode: other.to_string(),
                        });
                    }
                },
            };

            let when = required(r.when, "when")?;
            let expr = compile_when(&loc, &when, rid, schema, &env, &mut referenced)?;

            rules.push(Rule {
                id,
                action,
                reason: reason.into_inner(),
                detail: r.detail.map(Spanned::into_inner),
                mode,
                line,
                when: when.into_inner(),
            });
            exprs.push(expr);
        }

        let mut names: Vec<(String, usize)> = referenced
            .into_iter()
            .filter_map(|i| schema.vars().get(i).map(|v| (v.name.clone(), i)))
            .collect();
        names.sort();
        Ok(RuleSet {
            rules,
            exprs,
            names,
            env,
        })
    }

    /// The rules, in file order; indexes match those [`RuleSet::evaluate`] reports.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The schema variables some rule reads (schema indexes, ascending): the engine only
    /// needs to compute these.
    pub fn referenced_vars(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.names.iter().map(|(_, i)| *i).collect();
        v.sort_unstable();
        v
    }

    /// Evaluates every rule, shadow ones included (the engine decides what to apply from
    /// [`Rule::mode`]).
    ///
    /// `values[i]` is the value of schema variable `i`. `fired` is cleared, then receives the
    /// indexes of the rules that fired, in file order. A rule whose evaluation fails (a
    /// missing value compared with a number, a result that is not a bool) does not fire and
    /// adds one to `errors`, which is never reset here so it can be a running counter.
    pub fn evaluate(&self, values: &[Value<'_>], fired: &mut Vec<usize>, errors: &mut u64) {
        fired.clear();
        let vars = eval::Vars {
            names: &self.names,
            values,
        };
        let mut ctx = Context::with_env(Arc::clone(&self.env));
        ctx.set_variable_resolver(&vars);
        for (i, expr) in self.exprs.iter().enumerate() {
            match cel::Value::resolve_val(expr, &ctx) {
                Ok(v) => match v.downcast_ref::<CelBool>() {
                    Some(b) if *b.inner() => fired.push(i),
                    Some(_) => {}
                    None => *errors += 1,
                },
                Err(_) => *errors += 1,
            }
        }
    }
}

/// Checks one `when` and returns the expression to evaluate.
fn compile_when(
    loc: &Locator<'_>,
    when: &Spanned<String>,
    rid: Option<&str>,
    schema: &Schema,
    env: &Env,
    referenced: &mut BTreeSet<usize>,
) -> Result<IdedExpr, RulesError> {
    let span = when.span();
    let expr = when.get_ref().as_str();
    let map = loc
        .src
        .get(span.clone())
        .and_then(|raw| pos::string_offsets(raw, expr));
    // Decoded byte offset in the expression -> location in the file.
    let at = |offset: usize| {
        let raw = map
            .as_ref()
            .and_then(|m| m.get(offset.min(m.len().saturating_sub(1))).copied())
            .unwrap_or(0);
        loc.at(span.start + raw, rid)
    };

    let chars = expr.chars().count();
    if chars > MAX_WHEN_CHARS {
        return Err(RulesError::TooLong {
            at: loc.at(span.start, rid),
            chars,
            max: MAX_WHEN_CHARS,
        });
    }
    if let Some(offset) = too_deep_bracket(expr) {
        return Err(RulesError::TooDeep {
            at: at(offset),
            max: MAX_NESTING,
        });
    }
    let (mut parsed, info) = env
        .parser()
        .parse_with_source_info(expr)
        .map_err(|errors| {
            let first = errors.errors.first();
            let (l, c) = first.map_or((1, 1), |e| e.pos);
            let message = first.map_or_else(|| "invalid expression".to_string(), |e| e.msg.clone());
            let offset = expr_offset(expr, l, c);
            if message.contains("recursion") {
                RulesError::TooDeep {
                    at: at(offset),
                    max: MAX_DEPTH,
                }
            } else {
                RulesError::Syntax {
                    at: at(offset),
                    message: short_syntax_message(&message),
                }
            }
        })?;
    let mut checker = check::Checker {
        schema,
        info: &info,
        src: expr,
        referenced: BTreeSet::new(),
    };
    checker.check_root(&mut parsed).map_err(|found| {
        let at = at(found.offset);
        match found.problem {
            check::Problem::UnknownVariable { name, suggestion } => RulesError::UnknownVariable {
                at,
                name,
                suggestion,
            },
            check::Problem::UnknownFunction { name, suggestion } => RulesError::UnknownFunction {
                at,
                name,
                suggestion,
            },
            check::Problem::NotAllowed { what, hint } => RulesError::NotAllowed { at, what, hint },
            check::Problem::Type { message, hint } => RulesError::Type { at, message, hint },
            check::Problem::TooDeep => RulesError::TooDeep { at, max: MAX_DEPTH },
        }
    })?;
    referenced.extend(checker.referenced);
    Ok(parsed)
}

#[cfg(test)]
mod tests;
