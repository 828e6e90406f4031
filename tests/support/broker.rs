//! The test broker: tansu in-process, its sqlite files under the crate root.

use std::path::Path;

use timeline::stream::embedded::{EmbeddedBroker, sqlite_url};

/// Logs to the test output when `RUST_LOG` is set.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A broker for one test: tansu in-process on a random port, storing in a sqlite file under
/// `target/tmp` (the file outlives a stop, so the broker can be restarted on the same data).
///
/// sqlite rather than `memory://`: tansu 0.6's memory storage only serves fetches that start
/// on a batch boundary, so a consumer resuming in the middle of a batch (after a pause, a
/// restart or a rebalance) would stall. Its sqlite storage keeps records one by one.
pub struct TestBroker {
    broker: Option<EmbeddedBroker>,
    db: std::path::PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TestBroker {
    pub async fn start() -> TestBroker {
        init_logging();
        let dir = temp_dir();
        let db = dir.path().join("broker.db");
        let broker = sqlite_broker(&db, 0).await;
        let port = broker.addr().port();
        TestBroker {
            broker: Some(broker),
            db,
            port,
            _dir: dir,
        }
    }

    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the broker, keeping its data.
    pub async fn stop(&mut self) {
        if let Some(b) = self.broker.take() {
            b.stop().await;
        }
    }

    /// Starts it again on the same port and data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.broker = Some(sqlite_broker(&self.db, self.port).await);
    }
}

/// A fresh broker (see [`TestBroker`]).
pub async fn broker() -> TestBroker {
    TestBroker::start().await
}

/// A broker storing in sqlite at `path` (under the crate's target dir), on `port` (0 = any).
pub async fn sqlite_broker(path: &Path, port: u16) -> EmbeddedBroker {
    let url = sqlite_url(path).expect("sqlite path under the working directory");
    EmbeddedBroker::start(&url, port)
        .await
        .expect("embedded broker starts")
}

/// A fresh directory under `<crate>/target/test-brokers`: tansu's sqlite path must be under
/// the working directory (the crate root for tests), wherever `CARGO_TARGET_DIR` points.
pub fn temp_dir() -> tempfile::TempDir {
    let base = &Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-brokers");
    std::fs::create_dir_all(base).expect("target tmp dir");
    tempfile::tempdir_in(base).expect("temp dir")
}
