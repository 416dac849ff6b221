//! A JSON extractor whose rejections are API errors (with codes) instead of plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Like `axum::Json`, but a bad body answers `invalid_json`, `unknown_field` or
/// `body_too_large` in the API's error shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(rejection_to_error(rejection)),
        }
    }
}

fn rejection_to_error(r: JsonRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is larger than this endpoint accepts",
        );
    }
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        other => serde_error(&other.body_text()),
    }
}

/// Turns serde's message into a coded error, pointing at the field when serde names one.
pub fn serde_error(text: &str) -> ApiError {
    if let Some(field) = between(text, "unknown field `", "`") {
        return ApiError::field(
            "unknown_field",
            field,
            format!("unknown field `{field}`; see /v1/openapi.json for the accepted fields"),
        );
    }
    if let Some(field) = between(text, "missing field `", "`") {
        return ApiError::field("missing_field", field, format!("`{field}` is required"));
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_json",
        text.trim_start_matches("Failed to deserialize the JSON body into the target type: ")
            .to_string(),
    )
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}
