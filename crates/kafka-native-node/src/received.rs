//! A received batch on its way to JS: librdkafka's messages packed into a few large chunks and
//! columns, which `js/client/consumer.js` turns into message objects.

use std::ops::Range;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A received batch in columns; `js/client/consumer.js` turns it into kafka-native's
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
    /// ASCII payloads and keys where librdkafka read them, in the batch that holds them.
    Backed(Arc<kafka_native::ReceivedBatch>, Stretch),
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
            TextValue::Backed(batch, stretch) => {
                let bytes = batch
                    .get(stretch.message)
                    .and_then(|m| m.payload_backing())
                    .and_then(|backing| backing.get(stretch.start..stretch.end))
                    .ok_or_else(|| {
                        Error::from_reason("kafka-native: a received chunk's bytes are gone")
                    })?;
                env.create_string_latin1(bytes)?
            }
        };
        Ok(string.raw())
    }
}

/// A batch packed into chunks and columns on the JS thread, which turns them into JS values
/// next: text chunks may still be stretches of the batch (`TextValue::Backed`).
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
/// whose pages are reused; a larger chunk takes fresh pages every time, and their page faults
/// become most of the JS thread's time consuming 1 KB messages.
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

/// Where a chunk's bytes come from.
enum Piece<C> {
    /// Copied into a chunk of their own.
    Copied(C),
    /// Left where librdkafka read them (see `Stretch`).
    Backed(Stretch),
}

impl<C> Piece<C> {
    /// The chunk, packed without stretches (which are then none).
    fn copied(self) -> Option<C> {
        match self {
            Piece::Copied(chunk) => Some(chunk),
            Piece::Backed(_) => None,
        }
    }
}

/// Payloads and keys of consecutive messages where librdkafka read them: `start..end` of the
/// backing of message `message`'s payload (`kafka_native::Message::payload_backing`, a Fetch
/// response or a decompressed batch), with the few bytes of Kafka's record format between
/// them. Made a JS string straight from there, a stretch costs one copy where a copied chunk
/// costs two. Text only, and ASCII only: read as Latin-1, each byte is one code unit, so
/// positions are byte offsets, and the record bytes between never show (JS reaches no part of
/// a string outside its slices; a Buffer's `.buffer` would show them).
#[derive(Clone, Copy)]
pub struct Stretch {
    message: usize,
    start: usize,
    end: usize,
}

/// The most record bytes a stretch takes in between one message and the next: a record's own
/// fields (about ten bytes) and its headers, but not a long run of other data.
const MAX_GAP: usize = 256;

/// A message's payload and key as positions in the backing of its payload.
struct Span<'b> {
    backing: &'b [u8],
    payload: Range<usize>,
    key: Option<Range<usize>>,
}

impl<'b> Span<'b> {
    /// Where both lie in the backing and are ASCII.
    fn of(m: &kafka_native::Message<'b>, payload: &'b [u8], key: Option<&'b [u8]>) -> Option<Self> {
        if !payload.is_ascii() || !key.is_none_or(<[u8]>::is_ascii) {
            return None;
        }
        let backing = m.payload_backing()?;
        let key = match key {
            Some(key) => Some(position(backing, key)?),
            None => None,
        };
        Some(Span {
            payload: position(backing, payload)?,
            backing,
            key,
        })
    }

    fn low(&self) -> usize {
        self.key
            .as_ref()
            .map_or(self.payload.start, |k| k.start.min(self.payload.start))
    }

    fn high(&self) -> usize {
        self.key
            .as_ref()
            .map_or(self.payload.end, |k| k.end.max(self.payload.end))
    }
}

/// Where `inner` lies in `outer`, if it does.
fn position(outer: &[u8], inner: &[u8]) -> Option<Range<usize>> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    let end = start.checked_add(inner.len())?;
    (end <= outer.len()).then_some(start..end)
}

/// A batch's chunks while it is packed: each holds the bytes of a run of messages, the last
/// one still open.
struct Chunks<'b, C> {
    closed: Vec<Piece<C>>,
    /// The index one past the last message of each closed chunk.
    ends: Vec<u32>,
    /// With the backing a stretch lies in.
    open: Option<(Piece<C>, Option<&'b [u8]>)>,
}

/// The bytes a chunk opened for messages of these sizes (payload and key) will hold: their sum,
/// up to the first that reaches `CHUNK_BYTES`.
fn chunk_capacity(sizes: impl Iterator<Item = usize>) -> usize {
    let mut bytes = 0;
    for size in sizes {
        bytes += size;
        if bytes >= CHUNK_BYTES {
            break;
        }
    }
    bytes
}

impl<'b, C: Chunk> Chunks<'b, C> {
    fn new() -> Self {
        Chunks {
            closed: Vec::new(),
            ends: Vec::new(),
            open: None,
        }
    }

    /// Opens a chunk that starts with message `i`: the open one closes before it.
    fn open(&mut self, i: usize, piece: Piece<C>, backing: Option<&'b [u8]>) {
        if let Some((last, _)) = self.open.replace((piece, backing)) {
            self.closed.push(last);
            self.ends.push(i as u32);
        }
    }

    /// Places message `i`'s payload and key in a copied chunk; their positions there.
    fn copy(
        &mut self,
        i: usize,
        capacity: impl FnOnce() -> usize,
        payload: Option<&[u8]>,
        key: Option<&[u8]>,
    ) -> [i32; 4] {
        let push = |chunk: &mut C| {
            let (start, end) = payload.map_or((-1, -1), |p| chunk.push(p));
            let (key_start, key_end) = key.map_or((-1, -1), |k| chunk.push(k));
            [start, end, key_start, key_end]
        };
        if let Some((Piece::Copied(chunk), _)) = &mut self.open {
            if chunk.byte_len() < CHUNK_BYTES {
                return push(chunk);
            }
        }
        let mut chunk = C::with_capacity(capacity());
        let bounds = push(&mut chunk);
        self.open(i, Piece::Copied(chunk), None);
        bounds
    }

    /// Places message `i`'s payload and key in a stretch of their backing, the open one when
    /// they follow it closely; their positions there.
    fn stretch(&mut self, i: usize, span: &Span<'b>) -> [i32; 4] {
        let (low, high) = (span.low(), span.high());
        let at = |start: usize| {
            let (key_start, key_end) = span.key.as_ref().map_or((-1, -1), |k| {
                ((k.start - start) as i32, (k.end - start) as i32)
            });
            [
                (span.payload.start - start) as i32,
                (span.payload.end - start) as i32,
                key_start,
                key_end,
            ]
        };
        if let Some((Piece::Backed(open), Some(backing))) = &mut self.open {
            if std::ptr::eq(backing.as_ptr(), span.backing.as_ptr())
                && low >= open.end
                && low - open.end <= MAX_GAP
                && open.end - open.start < CHUNK_BYTES
            {
                open.end = high;
                return at(open.start);
            }
        }
        let stretch = Stretch {
            message: i,
            start: low,
            end: high,
        };
        self.open(i, Piece::Backed(stretch), Some(span.backing));
        at(low)
    }

    /// The chunks, and the index one past the last message of each (`n` messages in all).
    fn finish(mut self, n: usize) -> (Vec<Piece<C>>, Vec<u32>) {
        let (last, _) = self
            .open
            .take()
            .unwrap_or_else(|| (Piece::Copied(C::with_capacity(0)), None));
        self.closed.push(last);
        self.ends.push(n as u32);
        (self.closed, self.ends)
    }
}

/// Packs a batch's payloads and keys into chunks, and the rest into columns. `backed`: text
/// chunks may be stretches of librdkafka's memory, made JS strings while the batch lives.
fn pack<C: Chunk>(
    batch: &kafka_native::ReceivedBatch,
    backed: bool,
) -> (Vec<Piece<C>>, PackedBatch) {
    let n = batch.len();
    // Room for the messages from `first` until the chunk closes (invalid UTF-8 may still grow
    // a text chunk a little: each bad byte becomes a 3-byte U+FFFD). Read only when a copied
    // chunk opens, so a batch packed in stretches reads no sizes ahead.
    let capacity_from = |first: usize| {
        chunk_capacity(
            (first..n)
                .filter_map(|i| batch.get(i))
                .map(|m| m.payload().map_or(0, <[u8]>::len) + m.key().map_or(0, <[u8]>::len)),
        )
    };
    let mut chunks = Chunks::new();
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
        let (payload, key) = (m.payload(), m.key());
        let span = match payload {
            Some(payload) if backed => Span::of(&m, payload, key),
            _ => None,
        };
        bounds.extend_from_slice(&match span {
            Some(span) => chunks.stretch(i, &span),
            // Nothing to place: in whichever chunk is open.
            None if payload.is_none() && key.is_none() => [-1; 4],
            None => chunks.copy(i, || capacity_from(i), payload, key),
        });
        partitions.push(m.partition());
        offsets.push(m.offset() as f64);
        timestamps.push(m.timestamp().map_or(-1.0, |t| t as f64));
    }
    let (pieces, chunk_ends) = chunks.finish(n);
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
    (pieces, packed)
}

/// A pulled batch, packed on the JS thread, which makes its JS values next: text chunks may be
/// stretches of librdkafka's memory, which the batch holds until they are made (Buffers are
/// copied: a Buffer outlives the batch).
pub fn pack_pulled(batch: kafka_native::ReceivedBatch, as_buffer: bool) -> PackedBatch {
    if as_buffer {
        let (pieces, mut packed) = pack::<BufferChunk>(&batch, false);
        packed.buffers = pieces
            .into_iter()
            .filter_map(Piece::copied)
            .map(|c| c.0)
            .collect();
        return packed;
    }
    let batch = Arc::new(batch);
    let (pieces, mut packed) = pack::<TextChunk>(&batch, true);
    packed.texts = pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Copied(chunk) => chunk.into_value(),
            Piece::Backed(stretch) => TextValue::Backed(batch.clone(), stretch),
        })
        .collect();
    packed
}

/// A share batch's records packed into chunks and columns, as a received batch is (they are
/// the core's copies, so every chunk is copied). `repeats` and `misses` are 0.
pub fn pack_share(records: &[kafka_native::ShareRecord], as_buffer: bool) -> PackedBatch {
    if as_buffer {
        let (chunks, mut packed) = pack_copied::<BufferChunk>(records);
        packed.buffers = chunks.into_iter().map(|c| c.0).collect();
        return packed;
    }
    let (chunks, mut packed) = pack_copied::<TextChunk>(records);
    packed.texts = chunks.into_iter().map(TextChunk::into_value).collect();
    packed
}

fn pack_copied<C: Chunk>(records: &[kafka_native::ShareRecord]) -> (Vec<C>, PackedBatch) {
    let n = records.len();
    let capacity_from =
        |first: usize| {
            chunk_capacity(records[first..].iter().map(|r| {
                r.payload.as_ref().map_or(0, Vec::len) + r.key.as_ref().map_or(0, Vec::len)
            }))
        };
    let mut chunks = Chunks::new();
    let mut packed = PackedBatch {
        texts: Vec::new(),
        buffers: Vec::new(),
        chunk_ends: Vec::new(),
        bounds: Vec::with_capacity(n * 4),
        partitions: Vec::with_capacity(n),
        offsets: Vec::with_capacity(n),
        timestamps: Vec::with_capacity(n),
        headers: Vec::new(),
        topics: Vec::new(),
        topic_index: None,
        repeats: 0.0,
        misses: 0.0,
    };
    let mut topic_index = Vec::with_capacity(n);
    for (i, r) in records.iter().enumerate() {
        let index = match packed.topics.iter().position(|t| **t == *r.topic) {
            Some(index) => index,
            None => {
                packed.topics.push(r.topic.to_string());
                packed.topics.len() - 1
            }
        };
        topic_index.push(index as u16);
        if !r.headers.is_empty() {
            let (names, values) = r.headers.iter().cloned().unzip();
            packed.headers.push((i as u32, names, values));
        }
        let (payload, key) = (r.payload.as_deref(), r.key.as_deref());
        packed
            .bounds
            .extend_from_slice(&if payload.is_none() && key.is_none() {
                [-1; 4]
            } else {
                chunks.copy(i, || capacity_from(i), payload, key)
            });
        packed.partitions.push(r.partition);
        packed.offsets.push(r.offset as f64);
        packed
            .timestamps
            .push(r.timestamp.map_or(-1.0, |t| t as f64));
    }
    let (pieces, chunk_ends) = chunks.finish(n);
    packed.chunk_ends = chunk_ends;
    packed.topic_index = (packed.topics.len() > 1).then_some(topic_index);
    (
        pieces.into_iter().filter_map(Piece::copied).collect(),
        packed,
    )
}
