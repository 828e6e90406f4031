//! A replay's progress under its own name: a JSON file per replay, replaced atomically.
//!
//! The file records, per partition, the next offset to read and the end fixed when the replay
//! first started, so a resumed replay finishes the same window even on a live topic. It only
//! ever covers messages whose records (or dead letter) the broker has acknowledged: the
//! position of a partition comes from the stream service's in-order [`Tracker`], so a message
//! still in flight holds back the checkpoint of every later message of its partition.
//!
//! The [`Ledger`] keeps the counts (messages, records, dead letters) of finished messages until
//! the checkpoint passes them, so the totals in the file count every covered message exactly
//! once, across any number of interruptions and resumes.
//!
//! [`Tracker`]: crate::stream::scaffold::Tracker

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::stream::scaffold::Tp;

use super::window::Selection;

/// Version of the file layout; a file of another version is refused, not guessed at.
pub const FORMAT_VERSION: u32 = 1;

/// Counts of covered messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Messages read (in the window or not).
    pub messages: u64,
    /// Of those, messages in the time window (extracted or dead-lettered).
    pub in_window: u64,
    /// Records produced and acknowledged.
    pub records: u64,
    /// Dead letters produced and acknowledged.
    pub dead_letters: u64,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.messages += o.messages;
        self.in_window += o.in_window;
        self.records += o.records;
        self.dead_letters += o.dead_letters;
    }
}

/// One partition in the checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionCheckpoint {
    pub topic: String,
    pub partition: i32,
    /// Where this replay started reading the partition.
    pub start: i64,
    /// The next offset to read: everything before it is done.
    pub next: i64,
    /// The exclusive end, fixed when the replay first started.
    pub end: i64,
}

impl PartitionCheckpoint {
    pub fn is_done(&self) -> bool {
        self.next >= self.end
    }
}

/// The checkpoint file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub name: String,
    pub input_topics: Vec<String>,
    pub output_topic: String,
    pub selection: Selection,
    /// The extractor that produced the records so far (a resume with another one warns).
    pub extractor_version: String,
    /// RFC 3339.
    pub started_at: String,
    pub updated_at: String,
    /// Every partition reached its end.
    pub complete: bool,
    pub partitions: Vec<PartitionCheckpoint>,
    pub totals: Totals,
}

impl Checkpoint {
    /// The partition entry of `topic`/`partition`.
    pub fn partition(&self, topic: &str, partition: i32) -> Option<&PartitionCheckpoint> {
        self.partitions
            .iter()
            .find(|p| p.topic == topic && p.partition == partition)
    }

    /// Why this checkpoint cannot be resumed with these settings, if it cannot.
    pub fn mismatch(
        &self,
        input_topics: &[String],
        output_topic: &str,
        selection: &Selection,
    ) -> Option<String> {
        let mut mine = self.input_topics.clone();
        let mut theirs = input_topics.to_vec();
        mine.sort();
        theirs.sort();
        if mine != theirs {
            return Some(format!(
                "it reads topics {:?}, this run {:?}",
                self.input_topics, input_topics
            ));
        }
        if self.output_topic != output_topic {
            return Some(format!(
                "it writes to `{}`, this run to `{output_topic}`",
                self.output_topic
            ));
        }
        if &self.selection != selection {
            return Some(
                "it was started with another window (--from/--to/--from-offsets/--to-offsets)"
                    .into(),
            );
        }
        None
    }
}

/// Why a checkpoint could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(
        "cannot {action} the replay checkpoint {path}: {source}; check `replay.checkpoint_dir` is writable"
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the replay checkpoint {path} is unreadable ({reason}); delete it or run with --restart"
    )]
    Corrupt { path: PathBuf, reason: String },
}

/// Where the checkpoint of one replay name lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    /// `<dir>/<name>.json`. The name must be a plain file name (checked by the caller with
    /// [`valid_name`]).
    pub fn new(dir: &Path, name: &str) -> CheckpointFile {
        CheckpointFile {
            path: dir.join(format!("{name}.json")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The checkpoint, or `None` when this name has none yet.
    pub fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(CheckpointError::Io {
                    action: "read",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| CheckpointError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        if cp.version != FORMAT_VERSION {
            return Err(CheckpointError::Corrupt {
                path: self.path.clone(),
                reason: format!(
                    "format version {} (this timeline writes {FORMAT_VERSION})",
                    cp.version
                ),
            });
        }
        Ok(Some(cp))
    }

    /// Replaces the checkpoint atomically: written to a temporary file in the same directory,
    /// synced, then renamed over the old one, so a crash leaves either the old or the new
    /// file, never a torn one.
    pub fn save(&self, cp: &Checkpoint) -> Result<(), CheckpointError> {
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| CheckpointError::Io {
                action,
                path,
                source,
            }
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(io("create the directory of", &self.path))?;
        let tmp = self.path.with_extension("json.tmp");
        let mut bytes = serde_json::to_vec_pretty(cp).map_err(|e| CheckpointError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        bytes.push(b'\n');
        let mut f = File::create(&tmp).map_err(io("write", &tmp))?;
        f.write_all(&bytes).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("sync", &tmp))?;
        drop(f);
        fs::rename(&tmp, &self.path).map_err(io("replace", &self.path))?;
        // Make the rename itself durable; not every platform can open a directory, and the
        // rename is already atomic, so a failure here is not an error.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Removes the checkpoint (for `--restart`).
    pub fn remove(&self) -> Result<(), CheckpointError> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CheckpointError::Io {
                action: "remove",
                path: self.path.clone(),
                source,
            }),
        }
    }
}

/// A replay name is a file name: letters, digits, `.`, `_`, `-`, not starting with `.`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[derive(Debug)]
struct PartLedger {
    start: i64,
    next: i64,
    end: i64,
    /// Counts of finished messages at or past `next`, by offset.
    finished: BTreeMap<i64, Totals>,
}

#[derive(Debug, Default)]
struct LedgerState {
    parts: HashMap<Tp, PartLedger>,
    /// Partitions in checkpoint order.
    order: Vec<Tp>,
    totals: Totals,
}

/// Per-partition positions and exact totals of what the checkpoint covers. See the module docs.
#[derive(Debug, Default)]
pub struct Ledger {
    state: Mutex<LedgerState>,
}

impl Ledger {
    /// Starts from `parts` and the totals of earlier runs.
    pub fn new(parts: &[PartitionCheckpoint], totals: Totals) -> Ledger {
        let mut state = LedgerState {
            totals,
            ..LedgerState::default()
        };
        for p in parts {
            let tp = Tp::new(&p.topic, p.partition);
            state.order.push(tp.clone());
            state.parts.insert(
                tp,
                PartLedger {
                    start: p.start,
                    next: p.next,
                    end: p.end,
                    finished: BTreeMap::new(),
                },
            );
        }
        Ledger {
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> MutexGuard<'_, LedgerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records what one message gave. Call before the message can finish (before the
    /// processing step's own part is done), so its counts are here when the position passes it.
    pub fn note(&self, tp: &Tp, offset: i64, counts: Totals) {
        let mut s = self.lock();
        if let Some(p) = s.parts.get_mut(tp)
            && offset >= p.next
        {
            p.finished.insert(offset, counts);
        }
    }

    /// Moves a partition's checkpoint to `position` (everything before it acknowledged).
    pub fn advance(&self, tp: &Tp, position: i64) {
        let mut s = self.lock();
        let s = &mut *s;
        let Some(p) = s.parts.get_mut(tp) else {
            return;
        };
        let position = position.min(p.end);
        if position <= p.next {
            return;
        }
        let later = p.finished.split_off(&position);
        for counts in std::mem::replace(&mut p.finished, later).values() {
            s.totals.add(counts);
        }
        p.next = position;
    }

    /// Marks a partition fully read and acknowledged: its checkpoint moves to its end (past any
    /// offsets that hold no message, like transaction markers).
    pub fn finish(&self, tp: &Tp) {
        let end = self.lock().parts.get(tp).map(|p| p.end);
        if let Some(end) = end {
            self.advance(tp, end);
        }
    }

    /// The partitions and totals as they should be written now.
    pub fn snapshot(&self) -> (Vec<PartitionCheckpoint>, Totals) {
        let s = self.lock();
        let parts = s
            .order
            .iter()
            .filter_map(|tp| {
                s.parts.get(tp).map(|p| PartitionCheckpoint {
                    topic: tp.topic.to_string(),
                    partition: tp.partition,
                    start: p.start,
                    next: p.next,
                    end: p.end,
                })
            })
            .collect();
        (parts, s.totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(records: u64) -> Totals {
        Totals {
            messages: 1,
            in_window: 1,
            records,
            dead_letters: 0,
        }
    }

    #[test]
    fn ledger_counts_only_what_the_position_passed() {
        let parts = vec![PartitionCheckpoint {
            topic: "a".into(),
            partition: 0,
            start: 10,
            next: 10,
            end: 20,
        }];
        let l = Ledger::new(&parts, Totals::default());
        let tp = Tp::new("a", 0);
        l.note(&tp, 10, one(2));
        l.note(&tp, 12, one(5));
        l.advance(&tp, 11);
        assert_eq!(l.snapshot().1.records, 2);
        l.note(&tp, 11, one(1));
        l.advance(&tp, 13);
        let (p, t) = l.snapshot();
        assert_eq!((p[0].next, t.messages, t.records), (13, 3, 8));
        // Going back is ignored; the end caps the position.
        l.advance(&tp, 12);
        l.finish(&tp);
        assert_eq!(l.snapshot().0[0].next, 20);
        assert!(l.snapshot().0[0].is_done());
        // A late note below the checkpoint is not counted twice.
        l.note(&tp, 11, one(9));
        l.advance(&tp, 25);
        assert_eq!(l.snapshot().1.records, 8);
    }

    #[test]
    fn save_replaces_atomically_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let f = CheckpointFile::new(&dir.path().join("sub"), "nightly");
        assert_eq!(f.load().unwrap(), None);
        let mut cp = Checkpoint {
            version: FORMAT_VERSION,
            name: "nightly".into(),
            input_topics: vec!["articles".into()],
            output_topic: "timeline".into(),
            selection: Selection {
                start: super::super::window::Start::Beginning,
                end: None,
                window: Default::default(),
            },
            extractor_version: crate::EXTRACTOR_VERSION.into(),
            started_at: "2025-11-25T00:00:00Z".into(),
            updated_at: "2025-11-25T00:00:00Z".into(),
            complete: false,
            partitions: vec![],
            totals: Totals::default(),
        };
        f.save(&cp).unwrap();
        cp.complete = true;
        f.save(&cp).unwrap();
        assert_eq!(f.load().unwrap(), Some(cp.clone()));
        assert!(!f.path().with_extension("json.tmp").exists());
        assert_eq!(
            cp.mismatch(&["articles".into()], "timeline", &cp.selection.clone()),
            None
        );
        assert!(
            cp.mismatch(&["articles".into()], "other", &cp.selection.clone())
                .is_some()
        );
        std::fs::write(f.path(), "{").unwrap();
        assert!(matches!(f.load(), Err(CheckpointError::Corrupt { .. })));
        f.remove().unwrap();
        assert_eq!(f.load().unwrap(), None);
    }

    #[test]
    fn names_are_plain_file_names() {
        assert!(valid_name("backfill-2025.11_v2"));
        for bad in ["", ".hidden", "a/b", "../x", "a b"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
