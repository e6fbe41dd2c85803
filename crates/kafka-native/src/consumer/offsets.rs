//! Offset files: `<offset_directory>/<topic>-<partition>.offset`, holding the last processed
//! offset in decimal and a newline (kafka-native's exact format), and the `kn-offsets` writer.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use crate::error::KafkaError;

/// Where a consumer keeps its progress. The offset directory is one; a consumer group commits to
/// the brokers instead.
pub trait OffsetStore: Send + 'static {
    /// Called once the consumer knows its partitions, before it loads them.
    fn prepare(&mut self, _partitions: &[i32]) -> Result<(), KafkaError> {
        Ok(())
    }
    /// The last processed offset of a partition, if any was recorded.
    fn load(&self, partition: i32) -> Result<Option<i64>, KafkaError>;
    /// Records `offset` as the last processed offset of `partition`, durably.
    fn store(&mut self, partition: i32, offset: i64) -> Result<(), KafkaError>;
}

/// Temp files older than this, in the naming of earlier versions (tempfile's `.tmpXXXXXX`),
/// are leftovers of a crash: a write takes milliseconds.
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

    /// Removes what a crash left: temp files of these partitions, and old-style or check temp
    /// files of this topic's directory that are clearly stale.
    fn remove_stale_temp_files(&self, partitions: &[i32]) -> std::io::Result<()> {
        let ours: Vec<String> = partitions.iter().map(|&p| self.temp_prefix(p)).collect();
        let check = format!(".{}.check.", self.topic);
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let old_style = name.len() == 10 && name.starts_with(".tmp");
            let stale = (old_style || name.starts_with(&check))
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

    fn store(&mut self, partition: i32, offset: i64) -> Result<(), KafkaError> {
        let path = self.path(partition);
        let io = |source| KafkaError::Io {
            path: path.clone(),
            source,
        };
        // Temp file in the same directory, fsync, rename over the file, fsync the directory: a
        // reader (or a crash) sees the old content or the new one, never a torn write.
        let mut tmp = self.temp_file(&self.temp_prefix(partition)).map_err(io)?;
        tmp.write_all(format!("{offset}\n").as_bytes())
            .map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        sync_directory(&self.dir)
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

    fn store(&mut self, _partition: i32, _offset: i64) -> Result<(), KafkaError> {
        Ok(())
    }
}

enum Command {
    Record {
        partition: i32,
        offset: i64,
    },
    /// Reply once everything received before this is on disk.
    Flush(Sender<Result<(), String>>),
}

/// The `kn-offsets` thread: keeps only the newest offset per partition and writes them one at a
/// time, so at most one write per partition is in flight and later offsets coalesce.
pub(crate) struct OffsetWriter {
    tx: Option<Sender<Command>>,
    handle: Option<JoinHandle<()>>,
}

impl OffsetWriter {
    pub(crate) fn spawn(
        mut store: Box<dyn OffsetStore>,
        on_error: impl Fn(KafkaError) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<Command>();
        let handle = std::thread::Builder::new()
            .name("kn-offsets".into())
            .spawn(move || {
                let mut last_error: Option<String> = None;
                while let Ok(first) = rx.recv() {
                    let mut pending = BTreeMap::new();
                    let mut flushes = Vec::new();
                    for command in std::iter::once(first).chain(drain(&rx)) {
                        match command {
                            Command::Record { partition, offset } => {
                                let newest = pending.entry(partition).or_insert(offset);
                                *newest = (*newest).max(offset);
                            }
                            Command::Flush(reply) => flushes.push(reply),
                        }
                    }
                    for (partition, offset) in pending {
                        if let Err(e) = store.store(partition, offset) {
                            last_error = Some(e.to_string());
                            on_error(e);
                        }
                    }
                    for reply in flushes {
                        let _ = reply.send(last_error.take().map_or(Ok(()), Err));
                    }
                }
            })?;
        Ok(OffsetWriter {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    pub(crate) fn record(&self, partition: i32, offset: i64) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Command::Record { partition, offset });
        }
    }

    /// Writes everything recorded so far, ends the thread, and reports a failed write.
    pub(crate) fn finish(&mut self) -> Result<(), String> {
        let Some(tx) = self.tx.take() else {
            return Ok(());
        };
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        let result = match tx.send(Command::Flush(reply_tx)) {
            Ok(()) => reply_rx.recv().unwrap_or(Ok(())),
            Err(_) => Ok(()),
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
