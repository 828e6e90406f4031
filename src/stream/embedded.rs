//! An in-process Kafka-compatible broker (tansu) for the demo (`timeline run --embedded`),
//! the tests and the bench: no Kafka installation, no Docker, one process.
//!
//! tansu's own `Broker::main` installs SIGINT/SIGTERM handlers and prints to the terminal, so we
//! drive the lower-level `serve` on a task of ours instead, silent, and stop it by aborting that
//! task: dropping it closes the listener, every connection and the storage engine.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use tokio::task::JoinHandle;
use url::Url;

/// Why the embedded broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "embedded broker: storage URL {url:?} is invalid ({reason}); use memory:// or sqlite://path.db"
    )]
    Storage { url: String, reason: String },
    #[error("embedded broker: no free port on 127.0.0.1: {0}")]
    Port(std::io::Error),
    #[error("embedded broker: cannot start ({0})")]
    Start(String),
    #[error(
        "embedded broker: not listening on {addr} after {waited:?}; is the port taken? set `embedded.port`"
    )]
    NotListening { addr: SocketAddr, waited: Duration },
}

/// A running in-process broker on 127.0.0.1.
#[derive(Debug)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
    storage: String,
    task: Option<JoinHandle<()>>,
}

/// A free TCP port on 127.0.0.1 (bound then released; another process could take it in
/// between, which tests tolerate by retrying).
pub fn free_port() -> std::io::Result<u16> {
    let l = StdListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// The `sqlite://` URL tansu needs for a database file at `path`.
///
/// tansu resolves the URL against the working directory even when it is absolute, and URL
/// parsing folds `..` segments away, so the file must lie under the working directory:
/// `sqlite://target/tmp/broker.db` for `<cwd>/target/tmp/broker.db`.
pub fn sqlite_url(path: &Path) -> std::io::Result<String> {
    let cwd = std::env::current_dir()?;
    let rel = if path.is_absolute() {
        path.strip_prefix(&cwd)
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "the embedded broker's sqlite file must be under the working directory {}",
                        cwd.display()
                    ),
                )
            })?
            .to_path_buf()
    } else {
        path.to_path_buf()
    };
    Ok(format!("sqlite://{}", rel.to_string_lossy()))
}

impl EmbeddedBroker {
    /// Starts a broker with `storage` (`memory://` or a `sqlite://` URL) on `port` (0 = any).
    /// Returns once it accepts connections.
    pub async fn start(storage: &str, port: u16) -> Result<EmbeddedBroker, EmbeddedError> {
        let storage_url = Url::parse(storage).map_err(|e| EmbeddedError::Storage {
            url: storage.to_owned(),
            reason: e.to_string(),
        })?;
        let port = if port == 0 {
            free_port().map_err(EmbeddedError::Port)?
        } else {
            port
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = Url::parse(&format!("tcp://{addr}"))
            .map_err(|e| EmbeddedError::Start(e.to_string()))?;
        // `Broker::builder()` needs the storage type spelled out; the builder's own default
        // (every parameter still unset) does not.
        let mut broker = tansu_broker::broker::Builder::<(), (), (), (), (), ()>::default()
            .node_id(tansu_broker::NODE_ID)
            .cluster_id("timeline-embedded")
            .incarnation_id(uuid::Uuid::new_v4())
            .advertised_listener(listener.clone())
            .storage(storage_url)
            .listener(listener)
            .silent(true)
            .build()
            .await
            .map_err(|e| EmbeddedError::Start(e.to_string()))?;
        let task = tokio::spawn(async move {
            if let Err(e) = broker.serve(tokio::time::Instant::now()).await {
                tracing::error!(error = %e, "embedded broker stopped");
            }
        });
        let waited = Duration::from_secs(10);
        let deadline = std::time::Instant::now() + waited;
        loop {
            if task.is_finished() {
                return Err(EmbeddedError::Start(format!(
                    "the broker task ended at start-up; is port {port} taken?"
                )));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            if std::time::Instant::now() >= deadline {
                task.abort();
                return Err(EmbeddedError::NotListening { addr, waited });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(EmbeddedBroker {
            addr,
            storage: storage.to_owned(),
            task: Some(task),
        })
    }

    /// `bootstrap.servers` for clients.
    pub fn bootstrap_servers(&self) -> String {
        self.addr.to_string()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The storage URL it was started with (to restart it on the same data).
    pub fn storage(&self) -> &str {
        &self.storage
    }

    /// Stops the broker: closes the listener and every connection.
    pub async fn stop(mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_is_relative_to_the_working_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            sqlite_url(&cwd.join("target/tmp/b.db")).unwrap(),
            "sqlite://target/tmp/b.db"
        );
        assert_eq!(
            sqlite_url(Path::new("data/b.db")).unwrap(),
            "sqlite://data/b.db"
        );
        assert!(sqlite_url(Path::new("/definitely/elsewhere.db")).is_err());
    }
}
