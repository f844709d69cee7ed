//! `POST /v1/submissions`: a council's signed release in, the coordinator's signed receipt out.

use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use msp_schemas::ProblemType;

use super::{ApiError, AppState};
use crate::ingest::{MAX_BODY, check};

pub(super) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let result = accept(&state, &headers, body).await;
    state.metrics.submission(match &result {
        Ok((StatusCode::CREATED, _)) => "accepted",
        Ok(_) => "repeated",
        Err(e) => e.0.kind.slug(),
    });
    result
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<msp_schemas::api::SubmissionAccepted>), ApiError> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if media.split(';').next().map(str::trim) != Some("application/jose") {
        return Err(ApiError::new(
            ProblemType::UnsupportedMediaType,
            format!("the body was sent as {media:?}; send the compact JWS as application/jose"),
        ));
    }
    let too_large = || ApiError::new(ProblemType::PayloadTooLarge, format!("the body is larger than {MAX_BODY} bytes"));
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY)
    {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| too_large())?;
    let today = (state.clock)().date();
    let checked = check(&state.store, &state.keys, &bytes, today).await?;
    let logged = state.writer.submit(checked).await?;
    let status = if logged.new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(logged.body)))
}
