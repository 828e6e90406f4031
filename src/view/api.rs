//! The view over HTTP: the timeline page at `/` and its data at `/api/events`.
//!
//! Read-only, served from the [`EventTable`]. The page is one file compiled into the binary
//! (no build step, no CDN): it must work on a machine with no network beyond the service.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::table::{EventQuery, EventTable};

/// The timeline page.
pub const PAGE: &str = include_str!("page.html");

/// `/` (the page), `/api/events` (events matching `?actor=&type=&from=&to=&q=&limit=`) and
/// `/api/events/{key}` (one event's whole state).
pub fn router(table: Arc<EventTable>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/events", get(list))
        .route("/api/events/{key}", get(one))
        .with_state(table)
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}

async fn list(
    State(table): State<Arc<EventTable>>,
    Query(query): Query<EventQuery>,
) -> impl IntoResponse {
    // Filtering a large table is CPU work: off the async threads.
    match tokio::task::spawn_blocking(move || table.query(&query)).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("query failed: {e}\n"),
        )
            .into_response(),
    }
}

async fn one(State(table): State<Arc<EventTable>>, Path(key): Path<String>) -> impl IntoResponse {
    match table.get(&key) {
        Some(state) => Json(state).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!("no event with key {key:?}: keys are the `event_key` of records\n"),
        )
            .into_response(),
    }
}
