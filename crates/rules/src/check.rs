//! The load-time gate for `when` expressions: a whitelist of syntax, variables and functions,
//! a small static type check against the [`Schema`], a depth cap, and the rewrites that make
//! evaluation predictable (integer literals become doubles, `size` returns a double, `has(x)`
//! becomes `x != null`).
//!
//! Anything not explicitly handled here is refused, so a newer `cel` that parses more syntax
//! cannot widen what analysts can write without this file changing.

use std::collections::BTreeSet;

use cel::IdedExpr;
use cel::common::ast::{CallExpr, Expr, LiteralValue, SourceInfo, operators as op};
use cel::common::types::CelDouble;

use crate::{MAX_DEPTH, Schema, VarType};

/// Name of the double-returning `size` the checker rewrites `size(s)` and `s.size()` into.
pub(crate) const SIZE_FN: &str = "clawback_size";
/// Internal names of `min`, `max` and `abs` (doubles only).
pub(crate) const MIN_FN: &str = "min";
pub(crate) const MAX_FN: &str = "max";
pub(crate) const ABS_FN: &str = "abs";

/// Function names analysts may call, for "did you mean" suggestions.
const ALLOWED_FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "has",
    "min",
    "max",
    "abs",
];

/// What the checker found wrong, and where (byte offset in the expression).
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) offset: usize,
    pub(crate) problem: Problem,
}

#[derive(Debug)]
pub(crate) enum Problem {
    UnknownVariable {
        name: String,
        suggestion: Option<String>,
    },
    UnknownFunction {
        name: String,
        suggestion: Option<String>,
    },
    NotAllowed {
        what: String,
        hint: String,
    },
    Type {
        message: String,
        hint: String,
    },
    TooDeep,
}

/// Static type of a sub-expression. `Dyn` is "could be anything"; it is accepted everywhere
/// and left to the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Number,
    Bool,
    Str,
    Null,
    Dyn,
}

impl Ty {
    fn of(v: VarType) -> Ty {
        match v {
            VarType::Number => Ty::Number,
            VarType::Bool => Ty::Bool,
            VarType::String => Ty::Str,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Number => "a number",
            Ty::Bool => "a bool",
            Ty::Str => "a string",
            Ty::Null => "null",
            Ty::Dyn => "a value",
        }
    }

    /// Whether a value of this type may stand where `want` is needed.
    fn fits(self, want: Ty) -> bool {
        self == want || self == Ty::Dyn
    }
}

pub(crate) struct Checker<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) info: &'a SourceInfo,
    pub(crate) src: &'a str,
    /// Schema indexes of the variables the expression reads.
    pub(crate) referenced: BTreeSet<usize>,
}

fn not_allowed(offset: usize, what: &str, hint: &str) -> Found {
    Found {
        offset,
        problem: Problem::NotAllowed {
            what: what.to_string(),
            hint: hint.to_string(),
        },
    }
}

fn type_error(offset: usize, message: String, hint: &str) -> Found {
    Found {
        offset,
        problem: Problem::Type {
            message,
            hint: hint.to_string(),
        },
    }
}

fn double_literal(v: f64) -> Expr {
    Expr::Literal(LiteralValue::Double(CelDouble::from(v)))
}

impl Checker<'_> {
    /// Checks and rewrites the whole expression, which must be a condition.
    pub(crate) fn check_root(&mut self, e: &mut IdedExpr) -> Result<(), Found> {
        let ty = self.check(e, 1)?;
        if ty.fits(Ty::Bool) {
            Ok(())
        } else {
            Err(type_error(
                self.offset(e.id),
                format!("`when` must be true or false, but this is {}", ty.name()),
                "write a comparison, e.g. `amount_usd >= 1000.0`",
            ))
        }
    }

    fn offset(&self, id: u64) -> usize {
        self.info
            .offset_for(id)
            .map_or(0, |(start, _)| start as usize)
    }

    /// Offset of a call's function name: the parser records the `(`, the name is just before.
    fn name_offset(&self, id: u64, name: &str) -> usize {
        let paren = self.offset(id);
        let before = self.src.get(..paren).unwrap_or("").trim_end();
        if before.ends_with(name) {
            before.len() - name.len()
        } else {
            paren
        }
    }

    fn check(&mut self, e: &mut IdedExpr, depth: usize) -> Result<Ty, Found> {
        let at = self.offset(e.id);
        if depth > MAX_DEPTH {
            return Err(Found {
                offset: at,
                problem: Problem::TooDeep,
            });
        }
        match &mut e.expr {
            Expr::Literal(lit) => match lit {
                LiteralValue::Boolean(_) => Ok(Ty::Bool),
                LiteralValue::Double(_) => Ok(Ty::Number),
                LiteralValue::Int(i) => {
                    let v = *i.inner() as f64;
                    e.expr = double_literal(v);
                    Ok(Ty::Number)
                }
                LiteralValue::UInt(u) => {
                    let v = *u.inner() as f64;
                    e.expr = double_literal(v);
                    Ok(Ty::Number)
                }
                LiteralValue::Null => Ok(Ty::Null),
                LiteralValue::String(_) => Ok(Ty::Str),
                LiteralValue::Bytes(_) => Err(not_allowed(
                    at,
                    "a bytes literal",
                    "use a string literal instead",
                )),
            },
            Expr::Ident(name) => match self.schema.index_of(name) {
                Some(i) => {
                    self.referenced.insert(i);
                    Ok(Ty::of(self.schema.vars()[i].ty))
                }
                None => Err(Found {
                    offset: at,
                    problem: Problem::UnknownVariable {
                        suggestion: crate::error::suggest(
                            name,
                            self.schema.vars().iter().map(|v| v.name.as_str()),
                        ),
                        name: name.clone(),
                    },
                }),
            },
            Expr::Call(_) => self.check_call(e, depth),
            Expr::Select(_) => Err(not_allowed(
                at,
                "field access (`.name`)",
                "variables are plain values; use the variable's name on its own",
            )),
            Expr::List(_) => Err(not_allowed(
                at,
                "a list outside `x in [...]`",
                "lists may only appear on the right of `in`",
            )),
            Expr::Map(_) | Expr::Struct(_) => Err(not_allowed(
                at,
                "a map or message literal",
                "compare variables with plain values instead",
            )),
            Expr::Comprehension(_) => Err(not_allowed(
                at,
                "a comprehension",
                "rules cannot loop; write the condition out",
            )),
            Expr::Unspecified => Err(not_allowed(
                at,
                "an incomplete expression",
                "fix the syntax of `when`",
            )),
        }
    }

    fn check_call(&mut self, e: &mut IdedExpr, depth: usize) -> Result<Ty, Found> {
        let at = self.offset(e.id);
        let id = e.id;
        let Expr::Call(call) = &mut e.expr else {
            return Err(not_allowed(at, "an expression", "fix the syntax"));
        };
        let name = call.func_name.clone();
        let argc = call.args.len();
        let member = call.target.is_some();
        let d = depth + 1;
        match (name.as_str(), member, argc) {
            (op::LOGICAL_AND | op::LOGICAL_OR, false, 2) => {
                for a in &mut call.args {
                    let t = self.check(a, d)?;
                    self.want(a.id, t, Ty::Bool, &name)?;
                }
                Ok(Ty::Bool)
            }
            (op::LOGICAL_NOT, false, 1) => {
                let a = &mut call.args[0];
                let t = self.check(a, d)?;
                self.want(a.id, t, Ty::Bool, "!")?;
                Ok(Ty::Bool)
            }
            (op::NEGATE, false, 1) => {
                let a = &mut call.args[0];
                let t = self.check(a, d)?;
                self.want(a.id, t, Ty::Number, "-")?;
                Ok(Ty::Number)
            }
            (op::CONDITIONAL, false, 3) => {
                let c = self.check(&mut call.args[0], d)?;
                self.want(call.args[0].id, c, Ty::Bool, "? :")?;
                let a = self.check(&mut call.args[1], d)?;
                let b = self.check(&mut call.args[2], d)?;
                Ok(if a == b { a } else { Ty::Dyn })
            }
            (op::EQUALS | op::NOT_EQUALS, false, 2) => {
                let a = self.check(&mut call.args[0], d)?;
                let b = self.check(&mut call.args[1], d)?;
                let known = |t: Ty| !matches!(t, Ty::Dyn | Ty::Null);
                if known(a) && known(b) && a != b {
                    return Err(type_error(
                        at,
                        format!(
                            "`{}` compares {} with {}",
                            op_text(&name),
                            a.name(),
                            b.name()
                        ),
                        "values of different types are never equal; compare like with like",
                    ));
                }
                Ok(Ty::Bool)
            }
            (op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS, false, 2) => {
                let a = self.check(&mut call.args[0], d)?;
                let b = self.check(&mut call.args[1], d)?;
                if a == Ty::Null || b == Ty::Null {
                    return Err(type_error(
                        at,
                        format!("`{}` with null is always an error", op_text(&name)),
                        "test for a missing value with `x == null` or `x != null`",
                    ));
                }
                if a != Ty::Dyn && b != Ty::Dyn && a != b {
                    return Err(type_error(
                        at,
                        format!(
                            "`{}` compares {} with {}",
                            op_text(&name),
                            a.name(),
                            b.name()
                        ),
                        "compare like with like",
                    ));
                }
                Ok(Ty::Bool)
            }
            (op::ADD, false, 2) => {
                let a = self.check(&mut call.args[0], d)?;
                let b = self.check(&mut call.args[1], d)?;
                match (a, b) {
                    (Ty::Number, Ty::Number) => Ok(Ty::Number),
                    (Ty::Str, Ty::Str) => Ok(Ty::Str),
                    (Ty::Dyn, t) | (t, Ty::Dyn) if matches!(t, Ty::Number | Ty::Str | Ty::Dyn) => {
                        Ok(t)
                    }
                    _ => Err(type_error(
                        at,
                        format!("`+` of {} and {}", a.name(), b.name()),
                        "`+` adds two numbers or joins two strings",
                    )),
                }
            }
            (op::SUBSTRACT | op::MULTIPLY | op::DIVIDE, false, 2) => {
                for a in &mut call.args {
                    let t = self.check(a, d)?;
                    self.want(a.id, t, Ty::Number, op_text(&name))?;
                }
                Ok(Ty::Number)
            }
            (op::MODULO, false, 2) => Err(not_allowed(
                at,
                "`%`",
                "numbers in rules are decimals and CEL has no remainder for them",
            )),
            (op::IN, false, 2) => {
                let lhs = self.check(&mut call.args[0], d)?;
                let list_at = self.offset(call.args[1].id);
                let Expr::List(list) = &mut call.args[1].expr else {
                    return Err(not_allowed(
                        list_at,
                        "`in` on something other than a literal list",
                        "write the values out, e.g. `channel in [\"web\", \"app\"]`",
                    ));
                };
                if !list.optional_indices.is_empty() {
                    return Err(not_allowed(
                        list_at,
                        "optional list entries",
                        "remove the `?`",
                    ));
                }
                for el in &mut list.elements {
                    let el_at = self.offset(el.id);
                    if !matches!(el.expr, Expr::Literal(_)) {
                        return Err(not_allowed(
                            el_at,
                            "a non-literal in an `in` list",
                            "list plain values only, e.g. [\"web\", \"app\"]",
                        ));
                    }
                    let t = self.check(el, d + 1)?;
                    if lhs != Ty::Dyn && t != lhs {
                        return Err(type_error(
                            el_at,
                            format!(
                                "`in` looks for {} in a list holding {}",
                                lhs.name(),
                                t.name()
                            ),
                            "list values of the same type as the left side",
                        ));
                    }
                }
                Ok(Ty::Bool)
            }
            ("size", false, 1) | ("size", true, 0) => {
                let mut arg = if let Some(t) = call.target.take() {
                    *t
                } else {
                    call.args.remove(0)
                };
                let t = self.check(&mut arg, d)?;
                self.want(arg.id, t, Ty::Str, "size")?;
                *call = CallExpr {
                    func_name: SIZE_FN.to_string(),
                    target: None,
                    args: vec![arg],
                };
                Ok(Ty::Number)
            }
            ("contains" | "startsWith" | "endsWith", true, 1) => {
                if let Some(target) = call.target.as_deref_mut() {
                    let t = self.check(target, d)?;
                    self.want(target.id, t, Ty::Str, &name)?;
                }
                let a = &mut call.args[0];
                let t = self.check(a, d)?;
                self.want(a.id, t, Ty::Str, &name)?;
                Ok(Ty::Bool)
            }
            ("has", false, 1) => {
                let arg = &mut call.args[0];
                if !matches!(arg.expr, Expr::Ident(_)) {
                    return Err(not_allowed(
                        self.offset(arg.id),
                        "has() of anything but a variable",
                        "write has(variable_name); it is true when the value is not missing",
                    ));
                }
                self.check(arg, d)?;
                let arg = std::mem::take(arg);
                e.expr = Expr::Call(CallExpr {
                    func_name: op::NOT_EQUALS.to_string(),
                    target: None,
                    args: vec![
                        arg,
                        IdedExpr {
                            id: 0,
                            expr: Expr::Literal(LiteralValue::Null),
                        },
                    ],
                });
                Ok(Ty::Bool)
            }
            ("min" | "max", false, 2) | ("abs", false, 1) => {
                for a in &mut call.args {
                    let t = self.check(a, d)?;
                    self.want(a.id, t, Ty::Number, &name)?;
                }
                call.func_name = match name.as_str() {
                    "min" => MIN_FN,
                    "max" => MAX_FN,
                    _ => ABS_FN,
                }
                .to_string();
                Ok(Ty::Number)
            }
            ("matches", _, _) => Err(not_allowed(
                self.name_offset(id, &name),
                "`matches` (regular expressions)",
                "cel 0.15 compiles the pattern on every evaluation; use contains, startsWith or endsWith",
            )),
            (op::INDEX | op::OPT_INDEX | op::OPT_SELECT | op::NOT_STRICTLY_FALSE, _, _) => {
                Err(not_allowed(
                    at,
                    "indexing",
                    "variables are plain values; use the variable's name on its own",
                ))
            }
            (n, _, _) if ALLOWED_FUNCTIONS.contains(&n) || n.starts_with(['_', '@', '!', '-']) => {
                let n = n.to_string();
                Err(not_allowed(
                    self.name_offset(id, &n),
                    &format!(
                        "`{}` with {argc} argument{}{}",
                        op_text(&n),
                        if argc == 1 { "" } else { "s" },
                        if member { " on a value" } else { "" }
                    ),
                    "check the call: size(s) or s.size(), s.contains(t), s.startsWith(t), \
                     s.endsWith(t), has(x), min(a, b), max(a, b), abs(a)",
                ))
            }
            (n, _, _) => Err(Found {
                offset: self.name_offset(id, n),
                problem: Problem::UnknownFunction {
                    name: n.to_string(),
                    suggestion: crate::error::suggest(n, ALLOWED_FUNCTIONS.iter().copied()),
                },
            }),
        }
    }

    fn want(&self, id: u64, got: Ty, want: Ty, what: &str) -> Result<(), Found> {
        if got.fits(want) {
            Ok(())
        } else {
            Err(type_error(
                self.offset(id),
                format!(
                    "`{}` needs {} here, not {}",
                    op_text(what),
                    want.name(),
                    got.name()
                ),
                "check the variable's type in the schema",
            ))
        }
    }
}

/// How an operator is written in source, for messages.
fn op_text(name: &str) -> &str {
    match name {
        op::LOGICAL_AND => "&&",
        op::LOGICAL_OR => "||",
        op::LOGICAL_NOT => "!",
        op::NEGATE => "-",
        op::EQUALS => "==",
        op::NOT_EQUALS => "!=",
        op::LESS => "<",
        op::LESS_EQUALS => "<=",
        op::GREATER => ">",
        op::GREATER_EQUALS => ">=",
        op::ADD => "+",
        op::SUBSTRACT => "-",
        op::MULTIPLY => "*",
        op::DIVIDE => "/",
        op::MODULO => "%",
        op::IN => "in",
        op::CONDITIONAL => "? :",
        other => other,
    }
}
