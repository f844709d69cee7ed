//! `POST /v1/submissions`: a council's signed release in, the coordinator's signed receipt out.

use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};

use super::{error::HttpError, state::AppState};
use crate::ingest::{MAX_BODY, check};

/// `POST /v1/submissions`: 201 with the receipt for a new submission, 200 with the same receipt
/// for the same bytes again, or the problem that refused it.
pub(super) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, HttpError> {
    let result = accept(&state, &headers, body).await;
    state.metrics.submission(match &result {
        Ok((StatusCode::CREATED, _)) => "accepted",
        Ok(_) => "repeated",
        Err(e) => e.kind().slug(),
    });
    result
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<msp_schemas::api::SubmissionAccepted>), HttpError> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if media.split(';').next().map(str::trim) != Some("application/jose") {
        return Err(HttpError::MediaType(media.to_owned()));
    }
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY)
    {
        return Err(HttpError::TooLarge);
    }
    let bytes = read_body(body).await?;
    let today = (state.clock)().date();
    let checked = check(&state.store, &state.keys, &bytes, today).await?;
    let logged = state.writer.submit(checked).await?;
    let status = if logged.new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(logged.body)))
}

/// The whole body, refused as too large as soon as it passes [`MAX_BODY`] (whether or not it
/// declared its length) and as unreadable when it breaks off.
async fn read_body(mut body: Body) -> Result<Vec<u8>, HttpError> {
    use hyper::body::Body as _;
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| HttpError::UnreadableBody)?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > MAX_BODY {
                return Err(HttpError::TooLarge);
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(bytes)
}
