//! The byte format of bulk document transfer between a device and the relay (`POST
//! /api/v1/docs/fetch` answers with it, `POST /api/v1/docs/upload` is sent in it), without the
//! network: a body is a sequence of frames, one per document,
//!
//! ```text
//! frame   = kind:u8  id_len:u8  id:[u8; id_len]  body_len:u32 (big-endian)  body:[u8; body_len]
//! kind    = 0: the document's saved bytes (automerge chunks, loadable by `Automerge::load`)
//!           1: unavailable (no such document, or not the caller's: the same answer for both)
//! ```
//!
//! [`FrameReader`] decodes frames from bytes as they arrive (a streamed answer is merged while it
//! is still coming in, and never held whole), within [`Limits`]. The relay and both clients use
//! this module, so the format is written once. Hand-written because the frames are a length
//! prefix and an id: any general container format (CBOR, a zip) would cost more to read than the
//! documents they carry.

use thiserror::Error;

/// The longest document id a frame may carry (automerge-repo ids are ~30 characters).
pub const MAX_ID_BYTES: usize = 64;
/// The media type of a body of frames.
pub const MEDIA_TYPE: &str = "application/vnd.larder.docs";
/// Documents per request, either way.
pub const MAX_BATCH_DOCS: usize = 500;

/// What one frame says about one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The document's saved bytes.
    Document { id: String, bytes: Vec<u8> },
    /// No such document for this user.
    Unavailable { id: String },
}

impl Frame {
    pub fn id(&self) -> &str {
        match self {
            Frame::Document { id, .. } | Frame::Unavailable { id } => id,
        }
    }
}

const KIND_DOCUMENT: u8 = 0;
const KIND_UNAVAILABLE: u8 = 1;
const HEADER_BYTES: usize = 2;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    #[error("a document id must be 1 to {MAX_ID_BYTES} bytes of UTF-8")]
    BadId,
    #[error("a document of {size} bytes is larger than the {limit} allowed")]
    TooLarge { size: usize, limit: usize },
    #[error("the body ends in the middle of a frame")]
    Truncated,
    #[error("more than {0} documents in one batch")]
    TooMany(usize),
}

/// Appends a frame with `id`'s saved `bytes` to `out`.
pub fn encode_document(out: &mut Vec<u8>, id: &str, bytes: &[u8]) {
    encode(out, KIND_DOCUMENT, id, bytes);
}

/// Appends a frame saying `id` is unavailable to `out`.
pub fn encode_unavailable(out: &mut Vec<u8>, id: &str) {
    encode(out, KIND_UNAVAILABLE, id, &[]);
}

/// Appends a frame whose body is several byte slices one after the other (a document's stored
/// chunks), without joining them first.
pub fn encode_document_parts(out: &mut Vec<u8>, id: &str, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    header(out, KIND_DOCUMENT, id, len);
    for part in parts {
        out.extend_from_slice(part);
    }
}

fn encode(out: &mut Vec<u8>, kind: u8, id: &str, body: &[u8]) {
    header(out, kind, id, body.len());
    out.extend_from_slice(body);
}

fn header(out: &mut Vec<u8>, kind: u8, id: &str, body_len: usize) {
    debug_assert!(!id.is_empty() && id.len() <= MAX_ID_BYTES);
    out.push(kind);
    out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&u32::try_from(body_len).unwrap_or(u32::MAX).to_be_bytes());
}

/// What a reader accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest document body.
    pub max_document_bytes: usize,
    /// The most frames.
    pub max_frames: usize,
}

/// Decodes frames from a body that arrives in pieces (see the module docs). Holds at most one
/// unfinished frame.
#[derive(Debug)]
pub struct FrameReader {
    limits: Limits,
    buf: Vec<u8>,
    /// Where unread bytes start in `buf`.
    start: usize,
    frames: usize,
}

impl FrameReader {
    pub fn new(limits: Limits) -> Self {
        FrameReader {
            limits,
            buf: Vec::new(),
            start: 0,
            frames: 0,
        }
    }

    /// Hands over the next bytes of the body.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, if one is buffered. An error means the body is bad: stop reading.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let rest = &self.buf[self.start..];
        if rest.len() < HEADER_BYTES {
            return Ok(None);
        }
        let kind = rest[0];
        if kind != KIND_DOCUMENT && kind != KIND_UNAVAILABLE {
            return Err(FrameError::UnknownKind(kind));
        }
        let id_len = usize::from(rest[1]);
        if id_len == 0 || id_len > MAX_ID_BYTES {
            return Err(FrameError::BadId);
        }
        let Some(len_bytes) = rest.get(HEADER_BYTES + id_len..HEADER_BYTES + id_len + 4) else {
            return Ok(None);
        };
        let body_len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let body_len = usize::try_from(body_len).unwrap_or(usize::MAX);
        if body_len > self.limits.max_document_bytes {
            return Err(FrameError::TooLarge {
                size: body_len,
                limit: self.limits.max_document_bytes,
            });
        }
        let body_at = HEADER_BYTES + id_len + 4;
        if rest.len() < body_at + body_len {
            return Ok(None);
        }
        if self.frames == self.limits.max_frames {
            return Err(FrameError::TooMany(self.limits.max_frames));
        }
        let id = std::str::from_utf8(&rest[HEADER_BYTES..HEADER_BYTES + id_len])
            .map_err(|_| FrameError::BadId)?
            .to_owned();
        let frame = if kind == KIND_DOCUMENT {
            Frame::Document {
                id,
                bytes: rest[body_at..body_at + body_len].to_vec(),
            }
        } else {
            Frame::Unavailable { id }
        };
        self.start += body_at + body_len;
        self.frames += 1;
        // Keep the buffer from growing with a long body: drop what was read once it dominates.
        if self.start > 1 << 20 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(Some(frame))
    }

    /// Call once the body has ended: an unfinished frame left over is an error.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.start == self.buf.len() {
            Ok(())
        } else {
            Err(FrameError::Truncated)
        }
    }

    /// Frames read so far.
    pub fn frames(&self) -> usize {
        self.frames
    }
}

/// Every frame of a whole body.
pub fn decode_all(body: &[u8], limits: Limits) -> Result<Vec<Frame>, FrameError> {
    let mut reader = FrameReader::new(limits);
    reader.push(body);
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame()? {
        frames.push(frame);
    }
    reader.finish()?;
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_document_bytes: 1024,
        max_frames: 4,
    };

    fn body() -> Vec<u8> {
        let mut out = Vec::new();
        encode_document(&mut out, "doc-a", b"abc");
        encode_unavailable(&mut out, "doc-b");
        encode_document_parts(&mut out, "doc-c", &[b"12", b"", b"345"]);
        out
    }

    #[test]
    fn round_trip_whole_and_byte_by_byte() {
        let expected = vec![
            Frame::Document {
                id: "doc-a".into(),
                bytes: b"abc".to_vec(),
            },
            Frame::Unavailable { id: "doc-b".into() },
            Frame::Document {
                id: "doc-c".into(),
                bytes: b"12345".to_vec(),
            },
        ];
        assert_eq!(decode_all(&body(), LIMITS).unwrap(), expected);
        let mut reader = FrameReader::new(LIMITS);
        let mut got = Vec::new();
        for byte in body() {
            reader.push(&[byte]);
            while let Some(frame) = reader.next_frame().unwrap() {
                got.push(frame);
            }
        }
        reader.finish().unwrap();
        assert_eq!(got, expected);
        assert_eq!(reader.frames(), 3);
    }

    #[test]
    fn bad_bodies_are_refused() {
        let whole = body();
        assert_eq!(
            decode_all(&whole[..whole.len() - 1], LIMITS),
            Err(FrameError::Truncated)
        );
        assert_eq!(
            decode_all(&[7, 1, b'x'], LIMITS),
            Err(FrameError::UnknownKind(7))
        );
        assert_eq!(decode_all(&[0, 0], LIMITS), Err(FrameError::BadId));
        assert_eq!(decode_all(&[0, 65], LIMITS), Err(FrameError::BadId));
        assert_eq!(
            decode_all(&[0, 2, 0xff, 0xfe, 0, 0, 0, 0], LIMITS),
            Err(FrameError::BadId)
        );
        let mut big = Vec::new();
        encode_document(&mut big, "d", &[0; 1025]);
        assert_eq!(
            decode_all(&big, LIMITS),
            Err(FrameError::TooLarge {
                size: 1025,
                limit: 1024
            })
        );
        // The size is refused from the header alone, before the body arrives.
        let mut reader = FrameReader::new(LIMITS);
        reader.push(&big[..8]);
        assert!(matches!(
            reader.next_frame(),
            Err(FrameError::TooLarge { .. })
        ));
        let mut many = Vec::new();
        for i in 0..5 {
            encode_unavailable(&mut many, &format!("d{i}"));
        }
        assert_eq!(decode_all(&many, LIMITS), Err(FrameError::TooMany(4)));
    }
}
