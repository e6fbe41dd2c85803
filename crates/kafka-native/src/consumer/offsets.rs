//! Offset files: `<offset_directory>/<topic>-<partition>.offset`, holding the last processed
//! offset in decimal and a newline (kafka-native's exact format), and the `kn-offsets` writer.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use crate::error::{ErrorCode, KafkaError};
use crate::native::{NativeClient, PartitionList};

/// Where a consumer keeps its progress: the offset directory, or (for a consumer group) the
/// brokers.
pub trait OffsetStore: Send + 'static {
    /// Called once the consumer knows its partitions, before it loads them.
    fn prepare(&mut self, _partitions: &[i32]) -> Result<(), KafkaError> {
        Ok(())
    }
    /// The last processed offset of a partition of the consumer's topic, if any was recorded.
    fn load(&self, partition: i32) -> Result<Option<i64>, KafkaError>;
    /// Records each `(topic, partition, last processed offset)`, durably.
    fn store(&mut self, offsets: &[(&str, i32, i64)]) -> Result<(), KafkaError>;
    /// Whether a failed `store` may succeed if tried again shortly.
    fn is_transient(&self, _error: &KafkaError) -> bool {
        false
    }
}

/// A check file (`.<topic>.check.<random>.tmp`) older than this is a leftover of a crash: a
/// check takes milliseconds. (Another consumer of the topic may be checking right now.)
const STALE_AFTER: Duration = Duration::from_secs(60);

/// kafka-native's offset directory: one file per topic-partition.
///
/// Each file is replaced atomically through a temp file named
/// `.<topic>-<partition>.offset.<random>.tmp`; one a crash left behind is removed when a
/// consumer of that partition starts. Files get mode 0666 less the umask (0644 usually).
pub struct OffsetDirectory {
    dir: PathBuf,
    topic: String,
}

impl OffsetDirectory {
    /// Creates the directory if needed and checks it can be written. `topic` must already be a
    /// legal Kafka topic name, so file names stay inside the directory.
    pub fn open(dir: impl Into<PathBuf>, topic: &str) -> Result<Self, KafkaError> {
        let dir = dir.into();
        let io = |source| KafkaError::OffsetDirectory {
            path: dir.clone(),
            source,
        };
        fs::create_dir_all(&dir).map_err(io)?;
        let store = OffsetDirectory {
            dir: dir.clone(),
            topic: topic.to_string(),
        };
        store.temp_file(&format!(".{topic}.check.")).map_err(io)?;
        Ok(store)
    }

    /// The offset file of `partition`.
    pub fn path(&self, partition: i32) -> PathBuf {
        self.dir
            .join(format!("{}-{}.offset", self.topic, partition))
    }

    fn temp_prefix(&self, partition: i32) -> String {
        format!(".{}-{}.offset.", self.topic, partition)
    }

    /// A temp file in the directory, mode 0666 less the umask; removed on drop.
    fn temp_file(&self, prefix: &str) -> std::io::Result<tempfile::NamedTempFile> {
        tempfile::Builder::new()
            .prefix(prefix)
            .suffix(".tmp")
            .permissions(fs::Permissions::from_mode(0o666))
            .tempfile_in(&self.dir)
    }

    /// Removes what a crash left, and only files this package names: temp files of these
    /// partitions, and this topic's check files that are clearly stale. Other programs' files
    /// stay, whatever their names (tempfile's default `.tmpXXXXXX` included): the directory may
    /// be shared.
    fn remove_stale_temp_files(&self, partitions: &[i32]) -> std::io::Result<()> {
        let ours: Vec<String> = partitions.iter().map(|&p| self.temp_prefix(p)).collect();
        let check = format!(".{}.check.", self.topic);
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let stale = name.starts_with(&check)
                && name.ends_with(".tmp")
                && entry
                    .metadata()?
                    .modified()?
                    .elapsed()
                    .is_ok_and(|age| age > STALE_AFTER);
            let ours = name.ends_with(".tmp") && ours.iter().any(|prefix| name.starts_with(prefix));
            if ours || stale {
                match fs::remove_file(entry.path()) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

impl OffsetStore for OffsetDirectory {
    fn prepare(&mut self, partitions: &[i32]) -> Result<(), KafkaError> {
        self.remove_stale_temp_files(partitions)
            .map_err(|source| KafkaError::OffsetDirectory {
                path: self.dir.clone(),
                source,
            })
    }

    fn load(&self, partition: i32) -> Result<Option<i64>, KafkaError> {
        let path = self.path(partition);
        let content = match fs::read_to_string(&path) {
            Ok(content) => content,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(KafkaError::Io { path, source }),
        };
        match content.trim().parse::<i64>() {
            Ok(offset) if offset >= -1 => Ok(Some(offset)),
            _ => Err(KafkaError::CorruptOffsetFile { path, content }),
        }
    }

    fn store(&mut self, offsets: &[(&str, i32, i64)]) -> Result<(), KafkaError> {
        // Every file is written even when one fails; the first failure is reported. The
        // directory is synced once for all the renames.
        let mut result = Ok(());
        let mut renamed = false;
        for &(_, partition, offset) in offsets {
            let stored = self.replace_one(partition, offset);
            renamed |= stored.is_ok();
            result = result.and(stored);
        }
        if renamed {
            result = result.and(sync_directory(&self.dir));
        }
        result
    }
}

impl OffsetDirectory {
    /// Temp file in the same directory, fsync, rename over the file: a reader (or a crash,
    /// once the directory is synced) sees the old content or the new one, never a torn write.
    fn replace_one(&mut self, partition: i32, offset: i64) -> Result<(), KafkaError> {
        let path = self.path(partition);
        let io = |source| KafkaError::Io {
            path: path.clone(),
            source,
        };
        let mut tmp = self.temp_file(&self.temp_prefix(partition)).map_err(io)?;
        tmp.write_all(format!("{offset}\n").as_bytes())
            .map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

fn sync_directory(dir: &Path) -> Result<(), KafkaError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| KafkaError::Io {
            path: dir.to_path_buf(),
            source,
        })
}

/// Keeps nothing: every partition starts at the consumer's `start_offset`.
pub(crate) struct NoOffsetStore;

impl OffsetStore for NoOffsetStore {
    fn load(&self, _partition: i32) -> Result<Option<i64>, KafkaError> {
        Ok(None)
    }

    fn store(&mut self, _offsets: &[(&str, i32, i64)]) -> Result<(), KafkaError> {
        Ok(())
    }
}

/// A consumer group's offsets: committed to the brokers, one request per burst. librdkafka
/// reads the committed offsets itself when partitions are assigned.
pub(crate) struct GroupCommits {
    pub(crate) client: Arc<NativeClient>,
}

impl OffsetStore for GroupCommits {
    fn load(&self, _partition: i32) -> Result<Option<i64>, KafkaError> {
        Ok(None)
    }

    fn store(&mut self, offsets: &[(&str, i32, i64)]) -> Result<(), KafkaError> {
        // Kafka commits the next offset to read.
        let next: Vec<(&str, i32, i64)> = offsets.iter().map(|&(t, p, o)| (t, p, o + 1)).collect();
        self.client.commit(&PartitionList::of(&next)?)
    }

    /// A group that is completing a rebalance (its generation about to change), or whose
    /// coordinator is moving, refuses commits for a moment; librdkafka completes the join by
    /// itself, and the Java client retries too. The partitions stay ours meanwhile: with
    /// cooperative assignment they are only given up through the revoke hook, which waits for
    /// this. A member no longer in the group (UNKNOWN_MEMBER_ID: fenced) is final.
    fn is_transient(&self, error: &KafkaError) -> bool {
        matches!(
            error.code(),
            Some(
                ErrorCode::RebalanceInProgress
                    | ErrorCode::IllegalGeneration
                    | ErrorCode::CoordinatorLoadInProgress
                    | ErrorCode::CoordinatorNotAvailable
                    | ErrorCode::NotCoordinator
                    | ErrorCode::RequestTimedOut
                    | ErrorCode::OperationTimedOut
                    | ErrorCode::BrokerTransportFailure
                    | ErrorCode::StaleMemberEpoch
            )
        )
    }
}

/// Why a flush did not end with everything stored.
#[derive(Debug)]
pub(crate) enum FlushError {
    /// Still being tried (a transient refusal) when the wait ended.
    NotYet(Duration),
    /// Given up: the store failed for good.
    Failed(String),
}

impl std::fmt::Display for FlushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlushError::NotYet(limit) => write!(f, "not stored within {limit:?}"),
            FlushError::Failed(reason) => f.write_str(reason),
        }
    }
}

enum Command {
    Record {
        topic: Arc<str>,
        partition: i32,
        offset: i64,
    },
    /// Like `Record`, but replacing what is pending even when it is higher (a seek back).
    Set {
        topic: Arc<str>,
        partition: i32,
        offset: i64,
    },
    /// Reply once everything received before this is stored.
    Flush(Sender<Result<(), String>>),
    /// Drop what is pending for these partitions (given up before it could be stored).
    Forget(Vec<(Arc<str>, i32)>),
}

/// The `kn-offsets` thread: keeps only the newest offset per partition and stores what a burst
/// brought at once, so at most one write per partition is in flight and later offsets coalesce.
pub(crate) struct OffsetWriter {
    tx: Option<Sender<Command>>,
    handle: Option<JoinHandle<()>>,
}

impl OffsetWriter {
    pub(crate) fn spawn(
        store: Box<dyn OffsetStore>,
        on_error: impl Fn(KafkaError) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<Command>();
        let handle = std::thread::Builder::new()
            .name("kn-offsets".into())
            .spawn(move || {
                WriterLoop {
                    store,
                    on_error: Box::new(on_error),
                    pending: BTreeMap::new(),
                    flushes: Vec::new(),
                    last_error: None,
                    failing_since: None,
                }
                .run(&rx)
            })?;
        Ok(OffsetWriter {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    pub(crate) fn record(&self, topic: Arc<str>, partition: i32, offset: i64) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Command::Record {
                topic,
                partition,
                offset,
            });
        }
    }

    /// Records `offset` as the last processed of the partition even if a higher one is pending:
    /// a seek moved the partition back (or on), and the next start reads from `offset + 1`.
    pub(crate) fn set(&self, topic: Arc<str>, partition: i32, offset: i64) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Command::Set {
                topic,
                partition,
                offset,
            });
        }
    }

    /// Waits until everything recorded so far is stored; reports a failed write. A finished
    /// writer has nothing left to store.
    pub(crate) fn flush(&self) -> Result<(), String> {
        self.flush_within(None).map_err(|e| e.to_string())
    }

    /// [`OffsetWriter::flush`], waiting at most `limit` (`None`: as long as it takes).
    pub(crate) fn flush_within(&self, limit: Option<Duration>) -> Result<(), FlushError> {
        let Some(reply_rx) = self.request_flush() else {
            return Ok(());
        };
        let reply = match limit {
            None => reply_rx.recv().unwrap_or(Ok(())),
            Some(limit) => match reply_rx.recv_timeout(limit) {
                Ok(reply) => reply,
                Err(_) => return Err(FlushError::NotYet(limit)),
            },
        };
        reply.map_err(FlushError::Failed)
    }

    /// Asks for everything recorded so far to be stored; the answer comes on the receiver
    /// (`None`: the writer has ended). For a caller that waits without holding the writer.
    pub(crate) fn request_flush(&self) -> Option<Receiver<Result<(), String>>> {
        let tx = self.tx.as_ref()?;
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        tx.send(Command::Flush(reply_tx)).ok()?;
        Some(reply_rx)
    }

    /// Drops what is still pending for `partitions`.
    pub(crate) fn forget(&self, partitions: Vec<(Arc<str>, i32)>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Command::Forget(partitions));
        }
    }

    /// Stores everything recorded so far, ends the thread, and reports a failed write.
    pub(crate) fn finish(&mut self) -> Result<(), String> {
        let result = self.flush();
        let Some(tx) = self.tx.take() else {
            return result;
        };
        drop(tx);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
        result
    }
}

impl Drop for OffsetWriter {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn drain(rx: &Receiver<Command>) -> impl Iterator<Item = Command> + '_ {
    std::iter::from_fn(|| rx.try_recv().ok())
}

/// How long the writer keeps retrying a store that failed for a transient reason (a group
/// rebalancing, its coordinator moving), and how long it waits between tries.
const RETRY_FOR: Duration = Duration::from_secs(30);
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// The least time between two stores while offsets keep coming (a store right away after a
/// quiet spell; a flush, at once). Storing back to back cost a consumer of 64 partitions a
/// tenth of its throughput on 2 cores (an fsync per file, 150k × 1 KB from the MockCluster),
/// and a crash can lose at most this much progress more (its messages are read again).
const STORE_EVERY: Duration = Duration::from_millis(100);

/// The `kn-offsets` thread's state.
struct WriterLoop {
    store: Box<dyn OffsetStore>,
    on_error: Box<dyn Fn(KafkaError) + Send>,
    /// The newest offset per topic-partition not stored yet.
    pending: BTreeMap<(Arc<str>, i32), i64>,
    /// Flushes waiting for `pending` to be stored.
    flushes: Vec<Sender<Result<(), String>>>,
    last_error: Option<String>,
    /// Since when a transient failure has kept `pending` from being stored.
    failing_since: Option<std::time::Instant>,
}

impl WriterLoop {
    fn run(mut self, rx: &Receiver<Command>) {
        let mut last_store: Option<Instant> = None;
        loop {
            // The next store is due STORE_EVERY after the last (RETRY_BACKOFF after one that
            // failed for a transient reason); none before the first.
            let due = last_store.map(|t| {
                t + if self.failing_since.is_some() {
                    RETRY_BACKOFF
                } else {
                    STORE_EVERY
                }
            });
            // Wait for work; with offsets pending, only until their store is due.
            let first = match (self.pending.is_empty(), due) {
                (true, _) => match rx.recv() {
                    Ok(command) => Some(command),
                    Err(_) => return,
                },
                (false, None) => rx.try_recv().ok(),
                (false, Some(due)) => match rx.recv_deadline(due) {
                    Ok(command) => Some(command),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                        std::thread::sleep(due.saturating_duration_since(Instant::now()));
                        None
                    }
                },
            };
            for command in first.into_iter().chain(drain(rx)) {
                match command {
                    Command::Record {
                        topic,
                        partition,
                        offset,
                    } => {
                        let newest = self.pending.entry((topic, partition)).or_insert(offset);
                        *newest = (*newest).max(offset);
                    }
                    Command::Set {
                        topic,
                        partition,
                        offset,
                    } => {
                        self.pending.insert((topic, partition), offset);
                    }
                    Command::Flush(reply) => self.flushes.push(reply),
                    Command::Forget(partitions) => {
                        for key in partitions {
                            self.pending.remove(&key);
                        }
                    }
                }
            }
            let now = Instant::now();
            if !self.flushes.is_empty() || due.is_none_or(|due| now >= due) {
                if !self.pending.is_empty() {
                    last_store = Some(now);
                }
                self.store_pending();
            }
            if self.pending.is_empty() {
                for reply in self.flushes.drain(..) {
                    let _ = reply.send(self.last_error.take().map_or(Ok(()), Err));
                }
            }
        }
    }

    fn store_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let offsets: Vec<(&str, i32, i64)> = self
            .pending
            .iter()
            .map(|((topic, partition), offset)| (&**topic, *partition, *offset))
            .collect();
        match self.store.store(&offsets) {
            Ok(()) => {}
            Err(e)
                if self.store.is_transient(&e)
                    && self
                        .failing_since
                        .get_or_insert_with(std::time::Instant::now)
                        .elapsed()
                        < RETRY_FOR =>
            {
                return; // kept, tried again after the backoff
            }
            Err(e) => {
                self.last_error = Some(e.to_string());
                (self.on_error)(e);
            }
        }
        self.pending.clear();
        self.failing_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    /// Counts its stores and keeps the newest offset of partition 0.
    #[derive(Clone, Default)]
    struct CountingStore(Arc<Mutex<(usize, Option<i64>)>>);

    impl OffsetStore for CountingStore {
        fn load(&self, _partition: i32) -> Result<Option<i64>, KafkaError> {
            Ok(None)
        }
        fn store(&mut self, offsets: &[(&str, i32, i64)]) -> Result<(), KafkaError> {
            let mut state = self.0.lock();
            state.0 += 1;
            state.1 = offsets.iter().map(|o| o.2).max();
            Ok(())
        }
    }

    #[test]
    fn offsets_that_keep_coming_are_stored_at_most_every_store_interval_and_a_flush_stores_at_once()
    {
        let store = CountingStore::default();
        let writer = OffsetWriter::spawn(Box::new(store.clone()), |_| {}).unwrap();
        let topic: Arc<str> = "t".into();
        let started = Instant::now();
        let mut offset = 0;
        // A record a millisecond for half a second: back to back, that would be ~500 stores.
        while started.elapsed() < Duration::from_millis(500) {
            writer.record(topic.clone(), 0, offset);
            offset += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        // Flushed at once, not when the next store would be due.
        writer.flush().unwrap();
        let elapsed = started.elapsed();
        let (stores, newest) = *store.0.lock();
        assert_eq!(newest, Some(offset - 1));
        let most = (elapsed.as_millis() / STORE_EVERY.as_millis()) as usize + 2;
        assert!(
            stores <= most,
            "{stores} stores of {offset} records in {elapsed:?}: at most {most}"
        );
    }
}
