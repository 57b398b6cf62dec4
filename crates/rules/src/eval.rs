//! Evaluation plumbing: the CEL environment rules run in, and the resolver that hands the
//! engine's values to CEL without building a map per request.

use std::sync::Arc;

use cel::common::types::{CelBool, CelDouble, CelNull, CelString, DOUBLE_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::context::VariableResolver;
use cel::{DeclarationError, Env, ExecutionError};

use crate::Value;
use crate::check::{ABS_FN, MAX_FN, MIN_FN, SIZE_FN};

static NULL: CelNull = CelNull;
static TRUE: CelBool = CelBool::TRUE;
static FALSE: CelBool = CelBool::FALSE;

/// The standard CEL library (no macros, so nothing can loop) plus the double-only helpers the
/// checker rewrites calls into.
pub(crate) fn env() -> Result<Arc<Env>, DeclarationError> {
    let mut env = Env::default().with_optional_support(false).with_stdlib();
    env.add_overload(SIZE_FN, "clawback_size_string", vec![STRING_TYPE], size)?;
    env.add_overload(
        MIN_FN,
        "clawback_min_double",
        vec![DOUBLE_TYPE, DOUBLE_TYPE],
        min,
    )?;
    env.add_overload(
        MAX_FN,
        "clawback_max_double",
        vec![DOUBLE_TYPE, DOUBLE_TYPE],
        max,
    )?;
    env.add_overload(ABS_FN, "clawback_abs_double", vec![DOUBLE_TYPE], abs)?;
    Ok(Arc::new(env))
}

fn double_arg(args: &[CowVal<'_, '_>], i: usize, function: &str) -> Result<f64, ExecutionError> {
    args.get(i)
        .and_then(|a| a.downcast_ref::<CelDouble>())
        .map(|d| *d.inner())
        .ok_or_else(|| ExecutionError::function_error(function, "expects a number"))
}

fn size<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let n = args
        .first()
        .and_then(|a| a.downcast_ref::<CelString>())
        .map(|s| s.inner().chars().count())
        .ok_or_else(|| ExecutionError::function_error("size", "expects a string"))?;
    Ok(CowVal::owned(CelDouble::from(n as f64)))
}

fn min<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (a, b) = (double_arg(&args, 0, "min")?, double_arg(&args, 1, "min")?);
    Ok(CowVal::owned(CelDouble::from(a.min(b))))
}

fn max<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let (a, b) = (double_arg(&args, 0, "max")?, double_arg(&args, 1, "max")?);
    Ok(CowVal::owned(CelDouble::from(a.max(b))))
}

fn abs<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let a = double_arg(&args, 0, "abs")?;
    Ok(CowVal::owned(CelDouble::from(a.abs())))
}

/// Resolves the referenced variables of a rule set from the engine's value slice.
pub(crate) struct Vars<'s, 'a> {
    /// (name, schema index), sorted by name: only the variables some rule reads.
    pub(crate) names: &'s [(String, usize)],
    pub(crate) values: &'s [Value<'a>],
}

impl VariableResolver for Vars<'_, '_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let at = self
            .names
            .binary_search_by(|(n, _)| n.as_str().cmp(variable))
            .ok()?;
        let index = self.names.get(at)?.1;
        // A short slice is an engine bug; reading it as missing keeps evaluation total.
        let value = self.values.get(index).copied().unwrap_or(Value::Missing);
        Some(match value {
            Value::Number(x) => CowVal::owned(CelDouble::from(x)),
            Value::Bool(true) => CowVal::Borrowed(&TRUE),
            Value::Bool(false) => CowVal::Borrowed(&FALSE),
            Value::Str(s) => CowVal::owned(CelString::from(s)),
            Value::Missing => CowVal::Borrowed(&NULL),
        })
    }
}
