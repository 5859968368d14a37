//! The automerge-repo wire protocol: every message is one CBOR map in one binary websocket
//! frame. [`decode`] reads what a client sends, [`WireMessage::encode`] writes what the relay
//! sends, in the shapes samod and the JS automerge-repo (cbor-x) produce and accept.
//!
//! The decoder reads untrusted bytes, so it is strict and bounded: a top-level map with
//! string keys; every field it knows must have its type (a text field is a definite-length
//! UTF-8 string, `data` a definite-length byte string, counters unsigned integers or the
//! integral floats cbor-x writes for JavaScript numbers); text fields, lists and nesting have
//! caps ([`MAX_TEXT`], [`MAX_LIST`], [`MAX_DEPTH`]), unknown fields are skipped by a walk that
//! allocates nothing, and a message never allocates more than the frame holds. It never
//! panics; anything it cannot use is a [`WireError`] saying what was wrong.

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

use super::doc_id::DocId;

/// Longest text field (peer ids, storage ids, session ids, error messages), in bytes.
pub const MAX_TEXT: usize = 1024;
/// Most entries in a list field (protocol versions, storage ids, heads) or the top-level map.
pub const MAX_LIST: u64 = 256;
/// Deepest nesting of a value the decoder skips.
pub const MAX_DEPTH: usize = 16;

/// The protocol version this relay speaks.
pub const PROTOCOL_V1: &str = "1";

/// What a peer says about itself in `join` / `peer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    pub storage_id: Option<String>,
    pub is_ephemeral: bool,
}

/// One storage id's heads in a `remote-heads-changed` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHeads {
    pub storage_id: String,
    pub heads: Vec<String>,
    pub timestamp: u64,
}

/// A protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireMessage {
    Join {
        sender: String,
        versions: Vec<String>,
        metadata: Option<PeerMetadata>,
    },
    Peer {
        sender: String,
        target: String,
        version: String,
        metadata: Option<PeerMetadata>,
    },
    Leave {
        sender: String,
    },
    Request {
        doc: DocId,
        sender: String,
        target: String,
        data: Vec<u8>,
    },
    Sync {
        doc: DocId,
        sender: String,
        target: String,
        data: Vec<u8>,
    },
    DocUnavailable {
        doc: DocId,
        sender: String,
        target: String,
    },
    Ephemeral {
        doc: DocId,
        sender: String,
        target: String,
        count: u64,
        session: String,
        data: Vec<u8>,
    },
    Error {
        message: String,
    },
    RemoteSubscriptionChange {
        sender: String,
        target: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    RemoteHeadsChanged {
        doc: DocId,
        sender: String,
        target: String,
        heads: Vec<RemoteHeads>,
    },
}

/// Why a frame is not a message this relay can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("malformed CBOR: {0}")]
    Cbor(String),
    #[error("a message must be a CBOR map with text keys")]
    NotAMap,
    #[error("a message has more than {MAX_LIST} fields")]
    TooManyFields,
    #[error("field {0:?} has the wrong type")]
    WrongType(&'static str),
    #[error("field {0:?} is too long")]
    TooLong(&'static str),
    #[error("a value is nested deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("the message has no type")]
    MissingType,
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("a {kind} message needs field {field:?}")]
    MissingField {
        kind: &'static str,
        field: &'static str,
    },
    #[error("documentId is not a document id")]
    BadDocumentId,
    #[error("bytes after the message")]
    TrailingBytes,
}

impl From<minicbor::decode::Error> for WireError {
    fn from(e: minicbor::decode::Error) -> Self {
        WireError::Cbor(e.to_string())
    }
}

/// The fields of one message as found, before they are checked against its type.
#[derive(Default)]
struct Fields<'a> {
    kind: Option<&'a str>,
    sender: Option<&'a str>,
    target: Option<&'a str>,
    doc: Option<DocId>,
    data: Option<&'a [u8]>,
    count: Option<u64>,
    session: Option<&'a str>,
    message: Option<&'a str>,
    version: Option<&'a str>,
    versions: Option<Vec<String>>,
    metadata: Option<PeerMetadata>,
    add: Option<Vec<String>>,
    remove: Option<Vec<String>>,
    heads: Option<Vec<RemoteHeads>>,
}

/// Decodes one frame.
pub fn decode(frame: &[u8]) -> Result<WireMessage, WireError> {
    let mut d = Decoder::new(frame);
    let fields = read_fields(&mut d)?;
    if d.position() != frame.len() {
        return Err(WireError::TrailingBytes);
    }
    build(fields)
}

fn read_fields<'a>(d: &mut Decoder<'a>) -> Result<Fields<'a>, WireError> {
    if d.datatype()? != Type::Map {
        return Err(WireError::NotAMap);
    }
    let len = d.map()?.ok_or(WireError::NotAMap)?;
    if len > MAX_LIST {
        return Err(WireError::TooManyFields);
    }
    let mut f = Fields::default();
    for _ in 0..len {
        if d.datatype()? != Type::String {
            return Err(WireError::NotAMap);
        }
        match d.str()? {
            "type" => f.kind = Some(text(d, "type")?),
            "senderId" => f.sender = Some(text(d, "senderId")?),
            "targetId" => f.target = Some(text(d, "targetId")?),
            "documentId" => f.doc = Some(document_id(d)?),
            "data" => f.data = Some(bytes(d, "data")?),
            "count" => f.count = Some(number(d, "count")?),
            "sessionId" => f.session = Some(text(d, "sessionId")?),
            "message" => f.message = Some(text(d, "message")?),
            "selectedProtocolVersion" => f.version = Some(text(d, "selectedProtocolVersion")?),
            "supportedProtocolVersions" => {
                f.versions = Some(text_list(d, "supportedProtocolVersions")?);
            }
            "peerMetadata" | "metadata" => f.metadata = Some(metadata(d)?),
            // JS leaves optional lists undefined (or null) rather than out.
            "add" => f.add = optional(d, |d| text_list(d, "add"))?,
            "remove" => f.remove = optional(d, |d| text_list(d, "remove"))?,
            "newHeads" => f.heads = Some(new_heads(d)?),
            _ => skip(d)?,
        }
    }
    Ok(f)
}

fn build(f: Fields<'_>) -> Result<WireMessage, WireError> {
    let kind = f.kind.ok_or(WireError::MissingType)?;
    let kind: &'static str = match kind {
        "join" => "join",
        "peer" => "peer",
        "leave" => "leave",
        "request" => "request",
        "sync" => "sync",
        "doc-unavailable" => "doc-unavailable",
        "ephemeral" => "ephemeral",
        "error" => "error",
        "remote-subscription-change" => "remote-subscription-change",
        "remote-heads-changed" => "remote-heads-changed",
        other => {
            let shown: String = other.chars().take(64).collect();
            return Err(WireError::UnknownType(shown));
        }
    };
    let need = |field: &'static str| WireError::MissingField { kind, field };
    let sender = || f.sender.map(str::to_owned).ok_or(need("senderId"));
    let target = || f.target.map(str::to_owned).ok_or(need("targetId"));
    let doc = || f.doc.ok_or(need("documentId"));
    let data = || f.data.map(<[u8]>::to_vec).ok_or(need("data"));
    Ok(match kind {
        "join" => WireMessage::Join {
            sender: sender()?,
            versions: f
                .versions
                .clone()
                .ok_or(need("supportedProtocolVersions"))?,
            metadata: f.metadata.clone(),
        },
        "peer" => WireMessage::Peer {
            sender: sender()?,
            target: target()?,
            version: f
                .version
                .map(str::to_owned)
                .ok_or(need("selectedProtocolVersion"))?,
            metadata: f.metadata.clone(),
        },
        "leave" => WireMessage::Leave { sender: sender()? },
        "request" => WireMessage::Request {
            doc: doc()?,
            sender: sender()?,
            target: target()?,
            data: data()?,
        },
        "sync" => WireMessage::Sync {
            doc: doc()?,
            sender: sender()?,
            target: target()?,
            data: data()?,
        },
        "doc-unavailable" => WireMessage::DocUnavailable {
            doc: doc()?,
            sender: sender()?,
            target: target()?,
        },
        "ephemeral" => WireMessage::Ephemeral {
            doc: doc()?,
            sender: sender()?,
            target: target()?,
            count: f.count.ok_or(need("count"))?,
            session: f.session.map(str::to_owned).ok_or(need("sessionId"))?,
            data: data()?,
        },
        "error" => WireMessage::Error {
            message: f.message.map(str::to_owned).ok_or(need("message"))?,
        },
        "remote-subscription-change" => WireMessage::RemoteSubscriptionChange {
            sender: sender()?,
            target: target()?,
            add: f.add.clone().unwrap_or_default(),
            remove: f.remove.clone().unwrap_or_default(),
        },
        _ => WireMessage::RemoteHeadsChanged {
            doc: doc()?,
            sender: sender()?,
            target: target()?,
            heads: f.heads.clone().ok_or(need("newHeads"))?,
        },
    })
}

fn text<'a>(d: &mut Decoder<'a>, field: &'static str) -> Result<&'a str, WireError> {
    if d.datatype()? != Type::String {
        return Err(WireError::WrongType(field));
    }
    let s = d.str()?;
    if s.len() > MAX_TEXT {
        return Err(WireError::TooLong(field));
    }
    Ok(s)
}

fn bytes<'a>(d: &mut Decoder<'a>, field: &'static str) -> Result<&'a [u8], WireError> {
    if d.datatype()? != Type::Bytes {
        return Err(WireError::WrongType(field));
    }
    Ok(d.bytes()?)
}

/// An unsigned integer, or a float holding one (cbor-x writes JavaScript numbers that way).
fn number(d: &mut Decoder<'_>, field: &'static str) -> Result<u64, WireError> {
    match d.datatype()? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Ok(d.u64()?),
        Type::F16 | Type::F32 | Type::F64 => {
            let x = d.f64()?;
            // 2^64 as f64: every integral value below it converts exactly.
            if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 18_446_744_073_709_551_616.0 {
                Ok(x as u64)
            } else {
                Err(WireError::WrongType(field))
            }
        }
        _ => Err(WireError::WrongType(field)),
    }
}

fn document_id(d: &mut Decoder<'_>) -> Result<DocId, WireError> {
    match d.datatype()? {
        Type::String => d.str()?.parse().map_err(|_| WireError::BadDocumentId),
        Type::Bytes => DocId::from_bytes(d.bytes()?).map_err(|_| WireError::BadDocumentId),
        _ => Err(WireError::WrongType("documentId")),
    }
}

fn list_len(d: &mut Decoder<'_>, field: &'static str) -> Result<u64, WireError> {
    if d.datatype()? != Type::Array {
        return Err(WireError::WrongType(field));
    }
    let len = d.array()?.ok_or(WireError::WrongType(field))?;
    if len > MAX_LIST {
        return Err(WireError::TooLong(field));
    }
    Ok(len)
}

fn text_list(d: &mut Decoder<'_>, field: &'static str) -> Result<Vec<String>, WireError> {
    let len = list_len(d, field)?;
    (0..len)
        .map(|_| text(d, field).map(str::to_owned))
        .collect()
}

/// `undefined` or `null` as absent, anything else read by `read`.
fn optional<T>(
    d: &mut Decoder<'_>,
    read: impl FnOnce(&mut Decoder<'_>) -> Result<T, WireError>,
) -> Result<Option<T>, WireError> {
    match d.datatype()? {
        Type::Undefined | Type::Null => {
            d.skip()?;
            Ok(None)
        }
        _ => read(d).map(Some),
    }
}

fn metadata(d: &mut Decoder<'_>) -> Result<PeerMetadata, WireError> {
    if d.datatype()? != Type::Map {
        return Err(WireError::WrongType("peerMetadata"));
    }
    let len = d.map()?.ok_or(WireError::WrongType("peerMetadata"))?;
    if len > MAX_LIST {
        return Err(WireError::TooLong("peerMetadata"));
    }
    let mut meta = PeerMetadata::default();
    for _ in 0..len {
        if d.datatype()? != Type::String {
            return Err(WireError::WrongType("peerMetadata"));
        }
        match d.str()? {
            "storageId" => {
                meta.storage_id = optional(d, |d| text(d, "storageId").map(str::to_owned))?;
            }
            "isEphemeral" => {
                meta.is_ephemeral = match d.datatype()? {
                    Type::Bool => d.bool()?,
                    Type::Undefined | Type::Null => {
                        d.skip()?;
                        false
                    }
                    _ => return Err(WireError::WrongType("isEphemeral")),
                }
            }
            _ => skip(d)?,
        }
    }
    Ok(meta)
}

fn new_heads(d: &mut Decoder<'_>) -> Result<Vec<RemoteHeads>, WireError> {
    if d.datatype()? != Type::Map {
        return Err(WireError::WrongType("newHeads"));
    }
    let len = d.map()?.ok_or(WireError::WrongType("newHeads"))?;
    if len > MAX_LIST {
        return Err(WireError::TooLong("newHeads"));
    }
    let mut out = Vec::new();
    for _ in 0..len {
        let storage_id = text(d, "newHeads")?.to_owned();
        if d.datatype()? != Type::Map {
            return Err(WireError::WrongType("newHeads"));
        }
        let entries = d.map()?.ok_or(WireError::WrongType("newHeads"))?;
        if entries > MAX_LIST {
            return Err(WireError::TooLong("newHeads"));
        }
        let mut heads = Vec::new();
        let mut timestamp = 0;
        for _ in 0..entries {
            match text(d, "newHeads")? {
                "heads" => heads = text_list(d, "heads")?,
                "timestamp" => timestamp = number(d, "timestamp")?,
                _ => skip(d)?,
            }
        }
        out.push(RemoteHeads {
            storage_id,
            heads,
            timestamp,
        });
    }
    Ok(out)
}

/// Skips one value of a field this relay doesn't read: definite-length containers only (the
/// protocol's encoders write no other kind), at most [`MAX_DEPTH`] deep. Allocates nothing:
/// the only state is the count of values still to skip at each open level.
fn skip(d: &mut Decoder<'_>) -> Result<(), WireError> {
    let mut pending: [u64; MAX_DEPTH] = [0; MAX_DEPTH];
    let mut depth = 0usize;
    pending[0] = 1;
    loop {
        while pending[depth] == 0 {
            if depth == 0 {
                return Ok(());
            }
            depth -= 1;
        }
        pending[depth] -= 1;
        let children = match d.datatype()? {
            Type::Array => d
                .array()?
                .ok_or(WireError::Cbor("indefinite array".into()))?,
            Type::Map => d
                .map()?
                .ok_or(WireError::Cbor("indefinite map".into()))?
                .checked_mul(2)
                .ok_or(WireError::Cbor("map too long".into()))?,
            Type::Tag => {
                d.tag()?;
                pending[depth] += 1; // the tagged value itself
                0
            }
            Type::BytesIndef | Type::StringIndef | Type::ArrayIndef | Type::MapIndef => {
                return Err(WireError::Cbor("indefinite-length value".into()));
            }
            Type::Break | Type::Unknown(_) => {
                return Err(WireError::Cbor("not a value".into()));
            }
            _ => {
                d.skip()?; // a scalar, string or byte string
                0
            }
        };
        if children > 0 {
            if depth + 1 >= MAX_DEPTH {
                return Err(WireError::TooDeep);
            }
            depth += 1;
            pending[depth] = children;
        }
    }
}

type Enc = Encoder<Vec<u8>>;
type EncResult = Result<(), minicbor::encode::Error<std::convert::Infallible>>;

fn encode_with(f: impl FnOnce(&mut Enc) -> EncResult) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    // Writing into a Vec cannot fail.
    f(&mut e).expect("encoding into a Vec");
    e.into_writer()
}

fn write_metadata(e: &mut Enc, meta: &PeerMetadata) -> EncResult {
    e.map(if meta.storage_id.is_some() { 2 } else { 1 })?;
    if let Some(id) = &meta.storage_id {
        e.str("storageId")?.str(id)?;
    }
    e.str("isEphemeral")?.bool(meta.is_ephemeral)?;
    Ok(())
}

/// A `sync` frame, written straight from its parts (the relay's hot path: no message value
/// is built, the document id is already text).
pub fn sync_frame(doc: &str, sender: &str, target: &str, data: &[u8]) -> Vec<u8> {
    encode_with(|e| {
        e.map(5)?.str("type")?.str("sync")?;
        e.str("documentId")?.str(doc)?;
        e.str("senderId")?.str(sender)?;
        e.str("targetId")?.str(target)?;
        e.str("data")?.bytes(data)?;
        Ok(())
    })
}

impl WireMessage {
    /// The message as one frame.
    pub fn encode(&self) -> Vec<u8> {
        encode_with(|e| {
            match self {
                WireMessage::Join {
                    sender,
                    versions,
                    metadata,
                } => {
                    e.map(if metadata.is_some() { 4 } else { 3 })?;
                    e.str("type")?.str("join")?;
                    e.str("senderId")?.str(sender)?;
                    e.str("supportedProtocolVersions")?
                        .array(versions.len() as u64)?;
                    for v in versions {
                        e.str(v)?;
                    }
                    if let Some(meta) = metadata {
                        e.str("peerMetadata")?;
                        write_metadata(e, meta)?;
                    }
                }
                WireMessage::Peer {
                    sender,
                    target,
                    version,
                    metadata,
                } => {
                    e.map(if metadata.is_some() { 5 } else { 4 })?;
                    e.str("type")?.str("peer")?;
                    e.str("senderId")?.str(sender)?;
                    e.str("targetId")?.str(target)?;
                    e.str("selectedProtocolVersion")?.str(version)?;
                    if let Some(meta) = metadata {
                        e.str("peerMetadata")?;
                        write_metadata(e, meta)?;
                    }
                }
                WireMessage::Leave { sender } => {
                    e.map(2)?.str("type")?.str("leave")?;
                    e.str("senderId")?.str(sender)?;
                }
                WireMessage::Request {
                    doc,
                    sender,
                    target,
                    data,
                }
                | WireMessage::Sync {
                    doc,
                    sender,
                    target,
                    data,
                } => {
                    let kind = if matches!(self, WireMessage::Sync { .. }) {
                        "sync"
                    } else {
                        "request"
                    };
                    e.map(5)?.str("type")?.str(kind)?;
                    e.str("documentId")?.str(&doc.to_string())?;
                    e.str("senderId")?.str(sender)?;
                    e.str("targetId")?.str(target)?;
                    e.str("data")?.bytes(data)?;
                }
                WireMessage::DocUnavailable {
                    doc,
                    sender,
                    target,
                } => {
                    e.map(4)?.str("type")?.str("doc-unavailable")?;
                    e.str("documentId")?.str(&doc.to_string())?;
                    e.str("senderId")?.str(sender)?;
                    e.str("targetId")?.str(target)?;
                }
                WireMessage::Ephemeral {
                    doc,
                    sender,
                    target,
                    count,
                    session,
                    data,
                } => {
                    e.map(7)?.str("type")?.str("ephemeral")?;
                    e.str("documentId")?.str(&doc.to_string())?;
                    e.str("senderId")?.str(sender)?;
                    e.str("targetId")?.str(target)?;
                    e.str("count")?.u64(*count)?;
                    e.str("sessionId")?.str(session)?;
                    e.str("data")?.bytes(data)?;
                }
                WireMessage::Error { message } => {
                    e.map(2)?.str("type")?.str("error")?;
                    e.str("message")?.str(message)?;
                }
                WireMessage::RemoteSubscriptionChange {
                    sender,
                    target,
                    add,
                    remove,
                } => {
                    e.map(5)?.str("type")?.str("remote-subscription-change")?;
                    e.str("senderId")?.str(sender)?;
                    e.str("targetId")?.str(target)?;
                    e.str("add")?.array(add.len() as u64)?;
                    for id in add {
                        e.str(id)?;
                    }
                    e.str("remove")?.array(remove.len() as u64)?;
                    for id in remove {
                        e.str(id)?;
                    }
                }
                WireMessage::RemoteHeadsChanged {
                    doc,
                    sender,
                    target,
                    heads,
                } => {
                    e.map(5)?.str("type")?.str("remote-heads-changed")?;
                    e.str("documentId")?.str(&doc.to_string())?;
                    e.str("senderId")?.str(sender)?;
                    e.str("targetId")?.str(target)?;
                    e.str("newHeads")?.map(heads.len() as u64)?;
                    for h in heads {
                        e.str(&h.storage_id)?.map(2)?;
                        e.str("heads")?.array(h.heads.len() as u64)?;
                        for head in &h.heads {
                            e.str(head)?;
                        }
                        e.str("timestamp")?.u64(h.timestamp)?;
                    }
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
