//! The operations endpoint: `/healthz` (alive), `/readyz` (connected and assigned), `/metrics`.
//!
//! It has no authentication: it is meant for a scraper inside the deployment's network (the
//! default binds `0.0.0.0:9464`, as a container needs); bind `127.0.0.1:9464` or
//! `localhost:9464` to keep it on the machine.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::health::Health;
use super::metrics::Metrics;

#[derive(Clone)]
struct Ops {
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

/// The router, for embedding in another server or testing without a socket.
pub fn router(health: Arc<Health>, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(Ops { health, metrics })
}

async fn readyz(State(ops): State<Ops>) -> impl IntoResponse {
    match ops.health.ready() {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        ),
    }
}

/// OpenMetrics for a scraper that asks for it (Prometheus does), the classic text format
/// (0.0.4) otherwise: `promtool`, curl and older agents ask for nothing or for `text/plain`.
async fn metrics_text(State(ops): State<Ops>, headers: HeaderMap) -> impl IntoResponse {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if wants_open_metrics(&accept) {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            ops.metrics.encode(),
        )
    } else {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            ops.metrics.encode_classic(),
        )
    }
}

/// True when `accept` prefers OpenMetrics to plain text (by q-value; OpenMetrics on a tie).
fn wants_open_metrics(accept: &str) -> bool {
    let q = |wanted: &str| -> f32 {
        accept
            .split(',')
            .filter_map(|part| {
                let mut fields = part.split(';').map(str::trim);
                let media = fields.next()?;
                if media != wanted {
                    return None;
                }
                let q = fields
                    .find_map(|f| f.strip_prefix("q="))
                    .and_then(|v| v.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some(q)
            })
            .fold(0.0, f32::max)
    };
    let open = q("application/openmetrics-text");
    open > 0.0 && open >= q("text/plain").max(q("*/*"))
}

/// Binds `listen` and serves (the operations routes, and `extra`'s when given) until `stop` turns true. Returns the bound address (useful with
/// port 0) and the server task.
pub async fn serve(
    listen: &str,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    extra: Option<Router>,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let mut app = router(health, metrics);
    if let Some(extra) = extra {
        app = app.merge(extra);
    }
    let task = tokio::spawn(async move {
        let shutdown = async move {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(error = %e, "http endpoint stopped");
        }
    });
    Ok((addr, task))
}

#[cfg(test)]
mod tests {
    use super::wants_open_metrics;

    #[test]
    fn accept_negotiation() {
        // Prometheus 2.x and 3.x.
        assert!(wants_open_metrics(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(!wants_open_metrics(""));
        assert!(!wants_open_metrics("*/*"));
        assert!(!wants_open_metrics("text/plain"));
        assert!(!wants_open_metrics(
            "text/plain;version=0.0.4,application/openmetrics-text;q=0.5"
        ));
    }
}
