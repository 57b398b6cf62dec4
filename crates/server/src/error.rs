//! Every error the API returns: one table of stable codes and HTTP statuses (the codes
//! are part of the API; never rename one), bodies `{"code", "message"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A stable error code. The OpenAPI document lists them with their statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MissingApiKey,
    InvalidApiKey,
    Forbidden,
    RateLimited,
    PayloadTooLarge,
    EmptyBody,
    MalformedBody,
    InvalidEvent,
    InvalidParameter,
    InvalidJustification,
    NotFound,
    DecisionNotFound,
    AccountNotFound,
    EmployeeNotFound,
    CaseNotFound,
    EntityNotFound,
    InvalidTransition,
    MethodNotAllowed,
    StorageUnavailable,
    Internal,
}

/// `(code, HTTP status, when)`: the one table of API errors.
pub const ERROR_TABLE: &[(ErrorCode, u16, &str)] = &[
    (
        ErrorCode::MissingApiKey,
        401,
        "no `Authorization: Bearer KEY` header",
    ),
    (
        ErrorCode::InvalidApiKey,
        401,
        "the key is not known (create one with `clawback keys create`)",
    ),
    (ErrorCode::Forbidden, 403, "the key's role may not do this"),
    (
        ErrorCode::RateLimited,
        429,
        "the key sent more requests than its rate limit; retry after `Retry-After` seconds",
    ),
    (
        ErrorCode::PayloadTooLarge,
        413,
        "the request body is over the size limit",
    ),
    (ErrorCode::EmptyBody, 400, "the request body holds no event"),
    (
        ErrorCode::MalformedBody,
        400,
        "the body is not one JSON object, a JSON array of objects or JSON Lines",
    ),
    (
        ErrorCode::InvalidEvent,
        400,
        "no event of the request was valid; the message names the item, the field and the reason",
    ),
    (
        ErrorCode::InvalidParameter,
        400,
        "a path or query parameter is not valid; the message names it",
    ),
    (
        ErrorCode::InvalidJustification,
        400,
        "`X-Justification` must be 1..=128 printable characters",
    ),
    (ErrorCode::NotFound, 404, "no such route"),
    (
        ErrorCode::DecisionNotFound,
        404,
        "no decision for this point and id",
    ),
    (
        ErrorCode::AccountNotFound,
        404,
        "no event named this account",
    ),
    (
        ErrorCode::EmployeeNotFound,
        404,
        "no event named this employee",
    ),
    (
        ErrorCode::CaseNotFound,
        404,
        "no case with this id (list them with `GET /v1/cases`)",
    ),
    (
        ErrorCode::EntityNotFound,
        404,
        "no event named this entity (order, device, …)",
    ),
    (
        ErrorCode::InvalidTransition,
        409,
        "the case's status may not move to the one asked; the message lists the allowed ones",
    ),
    (
        ErrorCode::MethodNotAllowed,
        405,
        "the route does not take this method",
    ),
    (
        ErrorCode::StorageUnavailable,
        503,
        "the event log or the case store failed; nothing of the request was acknowledged",
    ),
    (ErrorCode::Internal, 500, "a bug; the message says where"),
];

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        let code = ERROR_TABLE
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or(500, |(_, s, _)| *s);
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// For people: what was wrong and what to do.
    pub message: String,
}

/// An error on its way to becoming a response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds, for `rate_limited`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: self.message,
        };
        let mut resp = (self.code.status(), axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// The table as Markdown, for the OpenAPI document's description.
pub fn table_markdown() -> String {
    let mut s = String::from(
        "Errors are `{\"code\", \"message\"}`; `code` is stable:\n\n| code | status | when |\n|---|---|---|\n",
    );
    for (code, status, when) in ERROR_TABLE {
        s.push_str(&format!("| `{}` | {status} | {when} |\n", code.as_str()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_in_the_table_once() {
        let all = [
            ErrorCode::MissingApiKey,
            ErrorCode::InvalidApiKey,
            ErrorCode::Forbidden,
            ErrorCode::RateLimited,
            ErrorCode::PayloadTooLarge,
            ErrorCode::EmptyBody,
            ErrorCode::MalformedBody,
            ErrorCode::InvalidEvent,
            ErrorCode::InvalidParameter,
            ErrorCode::InvalidJustification,
            ErrorCode::NotFound,
            ErrorCode::DecisionNotFound,
            ErrorCode::AccountNotFound,
            ErrorCode::EmployeeNotFound,
            ErrorCode::CaseNotFound,
            ErrorCode::EntityNotFound,
            ErrorCode::InvalidTransition,
            ErrorCode::MethodNotAllowed,
            ErrorCode::StorageUnavailable,
            ErrorCode::Internal,
        ];
        assert_eq!(all.len(), ERROR_TABLE.len());
        for c in all {
            assert_eq!(
                ERROR_TABLE.iter().filter(|(x, _, _)| *x == c).count(),
                1,
                "{c:?}"
            );
        }
        assert_eq!(
            ErrorCode::RateLimited.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(ErrorCode::MissingApiKey.as_str(), "missing_api_key");
    }
}
