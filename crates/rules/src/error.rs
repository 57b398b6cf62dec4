//! Load errors. Every one names the place in the TOML file (1-based line and column, in
//! characters), the rule when it is known, what is wrong, and what to do about it: an analyst
//! reads them in a terminal or a CI log and has nothing else to go on.

use std::fmt;

/// Where a load error was found: the file, 1-based line and column (in characters) in the
/// TOML file, and the rule's id when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name given to [`crate::RuleSet::parse`]; only used in messages.
    pub file: String,
    /// 1-based line in the TOML file.
    pub line: usize,
    /// 1-based column in the TOML file, counted in characters.
    pub column: usize,
    /// The id of the rule the error is in, when known.
    pub rule: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if let Some(rule) = &self.rule {
            write!(f, "rule `{rule}`: ")?;
        }
        Ok(())
    }
}

/// Renders an optional "did you mean" suggestion.
pub(crate) struct DidYouMean<'a>(pub(crate) &'a Option<String>);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, " (did you mean `{s}`?)"),
            None => Ok(()),
        }
    }
}

/// Why a rules file was refused. Rules are checked completely at load so that nothing an
/// analyst wrote can fail in a way the engine has to guess about while deciding refunds.
///
/// `Display` gives one line: `file:line:column: rule `id`: what is wrong (what to do)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// The file is not valid TOML, or has a value of the wrong TOML type or an unknown key.
    #[error("{at}TOML error: {message} (compare with examples/rules.toml)")]
    Toml { at: Location, message: String },

    /// A required key of a `[[rule]]` is missing.
    #[error("{at}missing `{key}` (every [[rule]] needs {key} = \"...\")")]
    MissingKey { at: Location, key: &'static str },

    /// The `when` expression is not valid CEL.
    #[error(
        "{at}syntax error in `when`: {message} (check brackets, quotes and operators; see examples/rules.toml)"
    )]
    Syntax { at: Location, message: String },

    /// The `when` expression reads a variable the schema does not have.
    #[error("{at}unknown variable `{name}`{}", DidYouMean(suggestion))]
    UnknownVariable {
        at: Location,
        name: String,
        suggestion: Option<String>,
    },

    /// The `when` expression calls a function that is not on the whitelist.
    #[error(
        "{at}unknown function `{name}`{} (allowed: size, contains, startsWith, endsWith, has, min, max, abs, and the operators)",
        DidYouMean(suggestion)
    )]
    UnknownFunction {
        at: Location,
        name: String,
        suggestion: Option<String>,
    },

    /// The `when` expression uses CEL that rules deliberately do not allow (field access,
    /// maps, indexing, `matches`, calls with the wrong number of arguments, ...).
    #[error("{at}{what} is not allowed in rules ({hint})")]
    NotAllowed {
        at: Location,
        what: String,
        hint: String,
    },

    /// The `when` expression combines values of types that can never work together, or is
    /// not a condition (true or false) at all.
    #[error("{at}type error: {message} ({hint})")]
    Type {
        at: Location,
        message: String,
        hint: String,
    },

    /// The `when` expression is longer than [`crate::MAX_WHEN_CHARS`].
    #[error("{at}`when` is {chars} characters long; the limit is {max} (split the rule in two)")]
    TooLong {
        at: Location,
        chars: usize,
        max: usize,
    },

    /// The `when` expression nests deeper than [`crate::MAX_NESTING`] brackets or
    /// [`crate::MAX_DEPTH`] operators.
    #[error("{at}`when` nests too deeply (over {max} levels; flatten it or split the rule)")]
    TooDeep { at: Location, max: usize },

    /// `action` is not one of approve, hold, review, deny, tag.
    #[error(
        "{at}unknown action `{action}`{} (use one of: approve, hold, review, deny, tag)",
        DidYouMean(suggestion)
    )]
    UnknownAction {
        at: Location,
        action: String,
        suggestion: Option<String>,
    },

    /// `action = "tag"` without a `tag`.
    #[error("{at}action `tag` needs a tag (add tag = \"snake_case_tag\")")]
    TagMissing { at: Location },

    /// A `tag` on a rule whose action is not `tag`.
    #[error("{at}`tag` is only allowed with action = \"tag\" (remove it, or set action = \"tag\")")]
    TagNotAllowed { at: Location },

    /// `mode` is not enforce or shadow.
    #[error(
        "{at}unknown mode `{mode}` (use \"enforce\" or \"shadow\", or leave it out for enforce)"
    )]
    BadMode { at: Location, mode: String },

    /// Two rules have the same id.
    #[error(
        "{at}duplicate rule id `{id}`, first used on line {first_line} (give each rule its own id)"
    )]
    DuplicateId {
        at: Location,
        id: String,
        first_line: usize,
    },

    /// An id, reason code or tag is not snake_case.
    #[error(
        "{at}{key} `{value}` is not snake_case (use lowercase letters, digits and `_`, starting with a letter, e.g. `{}`)",
        crate::to_snake_case(value)
    )]
    NotSnakeCase {
        at: Location,
        key: &'static str,
        value: String,
    },
}

impl RulesError {
    /// Where the error is; every variant has one.
    pub fn location(&self) -> &Location {
        match self {
            RulesError::Toml { at, .. }
            | RulesError::MissingKey { at, .. }
            | RulesError::Syntax { at, .. }
            | RulesError::UnknownVariable { at, .. }
            | RulesError::UnknownFunction { at, .. }
            | RulesError::NotAllowed { at, .. }
            | RulesError::Type { at, .. }
            | RulesError::TooLong { at, .. }
            | RulesError::TooDeep { at, .. }
            | RulesError::UnknownAction { at, .. }
            | RulesError::TagMissing { at }
            | RulesError::TagNotAllowed { at }
            | RulesError::BadMode { at, .. }
            | RulesError::DuplicateId { at, .. }
            | RulesError::NotSnakeCase { at, .. } => at,
        }
    }

    /// 1-based line in the TOML file.
    pub fn line(&self) -> usize {
        self.location().line
    }

    /// 1-based column (characters) in the TOML file.
    pub fn column(&self) -> usize {
        self.location().column
    }

    /// The rule's id, when the error is inside a rule whose id is known.
    pub fn rule_id(&self) -> Option<&str> {
        self.location().rule.as_deref()
    }
}

/// The closest of `candidates` to `name`, if close enough to be a plausible typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = strsim::damerau_levenshtein(name, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
    (d <= limit).then(|| c.to_string())
}
