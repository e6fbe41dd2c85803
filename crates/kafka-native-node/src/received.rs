//! A received batch on its way to JS: librdkafka's messages packed into a few large chunks and
//! columns, which `js/consumer.js` turns into message objects.

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A received batch in columns; `js/consumer.js` turns it into kafka-native's
/// `{messages: [{topic, partition, offset, payload, key}], repeats, misses}`.
///
/// Building one JS object per message through napi costs microseconds each; building them in JS
/// from a few large values costs tens of nanoseconds. Payloads and keys are packed into chunks
/// (one JS string, or one Buffer, per chunk of about `CHUNK_BYTES`), and each message's payload
/// and key are slices of its chunk. A kept slice keeps its chunk alive, so chunks stay small.
#[napi(object, object_from_js = false)]
pub struct ReceivedColumns {
    /// UTF-8 mode: the chunks as strings; positions are UTF-16 code units.
    #[napi(ts_type = "string[]")]
    pub texts: Vec<TextValue>,
    /// Buffer mode: the chunks as Buffers; positions are bytes.
    pub buffers: Vec<Buffer>,
    /// The index one past the last message of each chunk.
    pub chunk_ends: Vec<u32>,
    /// Per message: payload start (-1: null payload), payload end, key start (-1: no key), key end.
    pub bounds: Int32Array,
    pub partitions: Int32Array,
    pub offsets: Float64Array,
    /// Per message, its timestamp in ms since the Unix epoch (-1: none).
    pub timestamps: Float64Array,
    /// Headers of the messages that have any (most have none).
    pub headers: Vec<MessageHeaders>,
    /// The batch's topics; a batch of one topic (the usual) has no `topic_index`.
    pub topics: Vec<String>,
    /// Per message, its topic's index in `topics`, when there are several.
    pub topic_index: Option<Uint16Array>,
    pub repeats: f64,
    pub misses: f64,
}

#[napi(object, object_from_js = false)]
pub struct MessageHeaders {
    /// The message's index in the batch.
    pub index: u32,
    pub names: Vec<String>,
    pub values: Vec<Buffer>,
}

/// A text chunk on its way to JS. An ASCII chunk (the common case) becomes a string by a plain
/// copy (`napi_create_string_latin1`); anything else goes through V8's UTF-8 decoder.
pub enum TextValue {
    Ascii(Vec<u8>),
    Utf8(String),
}

impl ToNapiValue for TextValue {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        let string = match value {
            TextValue::Ascii(bytes) => env.create_string_latin1(&bytes)?,
            TextValue::Utf8(text) => env.create_string(&text)?,
        };
        Ok(string.raw())
    }
}

/// A batch copied out of librdkafka's messages into plain memory, on the fetch thread, so the
/// JS thread only turns finished chunks and columns into JS values.
pub struct PackedBatch {
    texts: Vec<TextValue>,
    buffers: Vec<Vec<u8>>,
    chunk_ends: Vec<u32>,
    bounds: Vec<i32>,
    partitions: Vec<i32>,
    offsets: Vec<f64>,
    timestamps: Vec<f64>,
    headers: Vec<(u32, Vec<String>, Vec<Vec<u8>>)>,
    topics: Vec<String>,
    topic_index: Option<Vec<u16>>,
    repeats: f64,
    misses: f64,
}

impl PackedBatch {
    pub fn into_columns(self) -> ReceivedColumns {
        ReceivedColumns {
            texts: self.texts,
            buffers: self.buffers.into_iter().map(Buffer::from).collect(),
            chunk_ends: self.chunk_ends,
            bounds: Int32Array::new(self.bounds),
            partitions: Int32Array::new(self.partitions),
            offsets: Float64Array::new(self.offsets),
            timestamps: Float64Array::new(self.timestamps),
            headers: self
                .headers
                .into_iter()
                .map(|(index, names, values)| MessageHeaders {
                    index,
                    names,
                    values: values.into_iter().map(Buffer::from).collect(),
                })
                .collect(),
            topics: self.topics,
            topic_index: self.topic_index.map(Uint16Array::new),
            repeats: self.repeats,
            misses: self.misses,
        }
    }
}

/// Chunks close once they reach this size, which bounds what one kept payload slice holds on to.
/// Under V8's large-object size (128 KiB) a chunk's string is made in the young generation,
/// whose pages are reused; a chunk of 1 MiB took fresh pages every time, and their page faults
/// were most of the JS thread's time consuming 1 KB messages (150k × 1 KB from Apache Kafka:
/// 0.36 s at 1 MiB, 0.27 s at 64 KiB, medians of 3; 100 B unchanged).
const CHUNK_BYTES: usize = 1 << 16;

/// Appends bytes to a chunk and returns their position in the chunk's JS form.
trait Chunk {
    /// An empty chunk with room for `bytes`, allocated once: growing a chunk of a megabyte by
    /// doubling copies it again and page-faults in fresh mappings at every step.
    fn with_capacity(bytes: usize) -> Self;
    fn push(&mut self, bytes: &[u8]) -> (i32, i32);
    fn byte_len(&self) -> usize;
}

/// A chunk that becomes a JS string: invalid UTF-8 is replaced lossily, as `Buffer#toString` does.
/// Kept as bytes, every piece valid UTF-8, so that ASCII (the common case) is checked once, a
/// word at a time, and never validated as UTF-8.
struct TextChunk {
    bytes: Vec<u8>,
    utf16_len: usize,
}

impl Chunk for TextChunk {
    fn with_capacity(bytes: usize) -> Self {
        TextChunk {
            bytes: Vec::with_capacity(bytes),
            utf16_len: 0,
        }
    }
    fn push(&mut self, bytes: &[u8]) -> (i32, i32) {
        let start = self.utf16_len;
        if bytes.is_ascii() {
            // One code unit per byte.
            self.bytes.extend_from_slice(bytes);
            self.utf16_len += bytes.len();
        } else {
            let text = String::from_utf8_lossy(bytes);
            self.bytes.extend_from_slice(text.as_bytes());
            self.utf16_len += utf16_len(text.as_bytes());
        }
        (start as i32, self.utf16_len as i32)
    }
    fn byte_len(&self) -> usize {
        self.bytes.len()
    }
}

impl TextChunk {
    /// ASCII exactly when there are as many UTF-16 code units as bytes: any other character
    /// takes more UTF-8 bytes (2 to 4) than code units (1 or 2).
    fn into_value(self) -> TextValue {
        if self.utf16_len == self.bytes.len() {
            return TextValue::Ascii(self.bytes);
        }
        // Valid UTF-8 piece by piece, so whole: the lossy arm never replaces anything.
        TextValue::Utf8(
            String::from_utf8(self.bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }
}

struct BufferChunk(Vec<u8>);

impl Chunk for BufferChunk {
    fn with_capacity(bytes: usize) -> Self {
        BufferChunk(Vec::with_capacity(bytes))
    }
    fn push(&mut self, bytes: &[u8]) -> (i32, i32) {
        let start = self.0.len();
        self.0.extend_from_slice(bytes);
        (start as i32, self.0.len() as i32)
    }
    fn byte_len(&self) -> usize {
        self.0.len()
    }
}

/// UTF-16 code units in valid UTF-8: one per character, two for characters beyond the BMP.
fn utf16_len(utf8: &[u8]) -> usize {
    utf8.iter()
        .map(|&b| usize::from((b & 0xC0) != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

fn pack<C: Chunk>(batch: &kafka_native::ReceivedBatch) -> (Vec<C>, PackedBatch) {
    let n = batch.len();
    let sizes: Vec<usize> = batch
        .iter()
        .map(|m| m.payload().map_or(0, <[u8]>::len) + m.key().map_or(0, <[u8]>::len))
        .collect();
    // Room for the messages from `first` until the chunk closes (invalid UTF-8 may still grow
    // a text chunk a little: each bad byte becomes a 3-byte U+FFFD).
    let capacity_from = |first: usize| {
        let mut bytes = 0;
        for size in &sizes[first..] {
            bytes += size;
            if bytes >= CHUNK_BYTES {
                break;
            }
        }
        bytes
    };
    let mut chunks = vec![C::with_capacity(capacity_from(0))];
    let mut chunk_ends = Vec::new();
    let mut bounds = Vec::with_capacity(n * 4);
    let mut partitions = Vec::with_capacity(n);
    let mut offsets = Vec::with_capacity(n);
    let mut timestamps = Vec::with_capacity(n);
    let mut headers = Vec::new();
    let mut topics: Vec<&str> = Vec::new();
    let mut topic_index = Vec::with_capacity(n);
    // The previous message and its topic's index: runs of one topic skip the names.
    let mut previous: Option<(kafka_native::Message<'_>, usize)> = None;
    for (i, m) in batch.iter().enumerate() {
        let index = match previous {
            Some((p, index)) if p.same_topic(&m) => index,
            _ => {
                let topic = m.topic();
                match topics.iter().position(|t| *t == topic) {
                    Some(index) => index,
                    None => {
                        topics.push(topic);
                        topics.len() - 1
                    }
                }
            }
        };
        previous = Some((m, index));
        topic_index.push(index as u16);
        let message_headers = m.headers();
        if !message_headers.is_empty() {
            let (names, values) = message_headers
                .into_iter()
                .map(|(name, value)| (name, value.to_vec()))
                .unzip();
            headers.push((i as u32, names, values));
        }
        let chunk = chunks.last_mut().expect("at least one chunk");
        let (start, end) = m.payload().map_or((-1, -1), |p| chunk.push(p));
        let (key_start, key_end) = m.key().map_or((-1, -1), |k| chunk.push(k));
        bounds.extend_from_slice(&[start, end, key_start, key_end]);
        partitions.push(m.partition());
        offsets.push(m.offset() as f64);
        timestamps.push(m.timestamp().map_or(-1.0, |t| t as f64));
        if chunk.byte_len() >= CHUNK_BYTES && i + 1 < n {
            chunk_ends.push(i as u32 + 1);
            chunks.push(C::with_capacity(capacity_from(i + 1)));
        }
    }
    chunk_ends.push(n as u32);
    let packed = PackedBatch {
        texts: Vec::new(),
        buffers: Vec::new(),
        chunk_ends,
        bounds,
        partitions,
        offsets,
        timestamps,
        headers,
        topic_index: (topics.len() > 1).then_some(topic_index),
        topics: topics.into_iter().map(str::to_string).collect(),
        repeats: batch.repeats as f64,
        misses: batch.misses as f64,
    };
    (chunks, packed)
}

/// The copy out of librdkafka's messages, on the fetch thread (a group's consumer) or the JS
/// thread (a pulled one, where JS turns the chunks into values next anyway).
pub fn pack_batch(batch: &kafka_native::ReceivedBatch, as_buffer: bool) -> PackedBatch {
    if as_buffer {
        let (chunks, mut packed) = pack::<BufferChunk>(batch);
        packed.buffers = chunks.into_iter().map(|c| c.0).collect();
        packed
    } else {
        let (chunks, mut packed) = pack::<TextChunk>(batch);
        packed.texts = chunks.into_iter().map(TextChunk::into_value).collect();
        packed
    }
}
