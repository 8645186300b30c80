//! What a request is answered with: an [`Answer`] as plain data (what a job renders and an
//! Idempotency-Key records), the error envelope (api.md §3.1), and the plain JSON of the health
//! endpoints.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use loyalpos_app::{ApiError, ApiResult, Code};
use serde::Serialize;

/// A 200 with a JSON body serialised once, straight from the wire type.
pub fn ok_json<T: Serialize + ?Sized>(value: &T) -> ApiResult<Response> {
    Answer::json(value).map(IntoResponse::into_response)
}

/// An answer as plain data: what a job renders (and an Idempotency-Key records) before it is sent.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// A 200 with a JSON body serialised once, straight from the wire type.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> ApiResult<Answer> {
        let json = serde_json::to_string(value).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(Answer::json_text(json))
    }

    /// A 200 whose body is JSON rendered already.
    pub fn json_text(json: String) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Answer {
            status: StatusCode::OK,
            headers,
            body: Bytes::from(json),
        }
    }

    /// The error envelope (api.md §3.1) as an answer.
    pub fn error(err: &ApiError, support_id: &str) -> Answer {
        let body = ErrorEnvelope {
            status: "error",
            error: err.code.exception(),
            error_details: &err.details,
            error_user: err.code.user_text(),
            code: err.code as u16,
            support_id,
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match err.code {
            Code::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Code::MethodNotAllowed => {
                if let Some(allow) = err
                    .allow
                    .as_deref()
                    .and_then(|a| HeaderValue::from_str(a).ok())
                {
                    headers.insert(header::ALLOW, allow);
                }
            }
            Code::RateLimited | Code::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        Answer {
            status: StatusCode::from_u16(err.code.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers,
            body: Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// The error envelope (api.md §3.1). The reason phrase is the standard one; clients must not rely on it.
/// The API's error answer (api.md §1.4): the catalogue's exception, code and German user text, and
/// the support id the log line carries.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ErrorEnvelope<'a> {
    #[schemars(extend("const" = "error"))]
    status: &'static str,
    error: &'static str,
    error_details: &'a str,
    error_user: &'static str,
    code: u16,
    #[serde(rename = "supportId")]
    #[schemars(regex(pattern = r"^[0-9a-f]{32}$"))]
    support_id: &'a str,
}

pub fn error_response(err: &ApiError, support_id: &str) -> Response {
    Answer::error(err, support_id).into_response()
}

/// Health endpoints answer outside the API envelope conventions but still as JSON.
pub fn plain_status(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
