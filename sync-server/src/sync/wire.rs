//! A peek at automerge-repo wire messages (CBOR maps): inbound, just enough to see which
//! document a peer is asking to sync, so the relay can give a new document to the first user
//! who sends it; outbound, which heads a sync message announces, so it waits until they are
//! durable. samod decodes inbound messages again and rejects anything malformed; this never
//! fails, it only answers `None` for what it doesn't recognise.

use std::str::FromStr;

use minicbor::data::Type;
use samod::DocumentId;

/// The fields of a wire message the relay looks at.
struct Peek<'a> {
    kind: Option<&'a str>,
    doc: Option<DocumentId>,
    data: Option<&'a [u8]>,
}

fn peek(msg: &[u8]) -> Option<Peek<'_>> {
    let mut d = minicbor::Decoder::new(msg);
    let entries = d.map().ok()??;
    let mut peek = Peek {
        kind: None,
        doc: None,
        data: None,
    };
    for _ in 0..entries {
        match d.str().ok()? {
            "type" => peek.kind = Some(d.str().ok()?),
            "documentId" => {
                peek.doc = match d.datatype().ok()? {
                    Type::String => DocumentId::from_str(d.str().ok()?).ok(),
                    Type::Bytes => DocumentId::try_from(d.bytes().ok()?.to_vec()).ok(),
                    _ => None,
                };
            }
            "data" => peek.data = Some(d.bytes().ok()?),
            _ => d.skip().ok()?,
        }
    }
    Some(peek)
}

/// The document a `sync` or `request` message is about (in its canonical string form), or
/// `None` for any other message, and for anything that isn't a well-formed message.
pub fn synced_document(msg: &[u8]) -> Option<String> {
    let peek = peek(msg)?;
    match peek.kind? {
        "sync" | "request" => peek.doc.map(|d| d.to_string()),
        _ => None,
    }
}

/// For a `sync` message the relay sends: the document and the heads it announces there.
pub fn announced_heads(msg: &[u8]) -> Option<(String, Vec<automerge::ChangeHash>)> {
    let peek = peek(msg)?;
    if peek.kind? != "sync" {
        return None;
    }
    let heads = super::durable_heads::sync_message_heads(peek.data?)?;
    Some((peek.doc?.to_string(), heads))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(entries: &[(&str, Value)]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut e = minicbor::Encoder::new(&mut buf);
        e.map(entries.len() as u64).unwrap();
        for (k, v) in entries {
            e.str(k).unwrap();
            match v {
                Value::Str(s) => e.str(s).unwrap(),
                Value::Bytes(b) => e.bytes(b).unwrap(),
                Value::Int(i) => e.u64(*i).unwrap(),
            };
        }
        buf
    }

    enum Value {
        Str(String),
        Bytes(Vec<u8>),
        Int(u64),
    }

    #[test]
    fn finds_the_document_of_sync_and_request_messages() {
        let id = test_id();
        for kind in ["sync", "request"] {
            let msg = encode(&[
                ("type", Value::Str(kind.into())),
                ("senderId", Value::Str("u.d".into())),
                ("count", Value::Int(3)),
                ("documentId", Value::Str(id.to_string())),
                ("data", Value::Bytes(vec![1, 2, 3])),
            ]);
            assert_eq!(synced_document(&msg), Some(id.to_string()), "{kind}");
        }
        let as_bytes = encode(&[
            ("documentId", Value::Bytes(id.as_bytes().to_vec())),
            ("type", Value::Str("sync".into())),
        ]);
        assert_eq!(synced_document(&as_bytes), Some(id.to_string()));
    }

    #[test]
    fn ignores_other_and_malformed_messages() {
        let id = test_id();
        let ephemeral = encode(&[
            ("type", Value::Str("ephemeral".into())),
            ("documentId", Value::Str(id.to_string())),
        ]);
        assert_eq!(synced_document(&ephemeral), None);
        let bad_id = encode(&[
            ("type", Value::Str("sync".into())),
            ("documentId", Value::Str("not-a-doc-id".into())),
        ]);
        assert_eq!(synced_document(&bad_id), None);
        assert_eq!(synced_document(b""), None);
        assert_eq!(synced_document(b"\xff\xff\xff garbage"), None);
        // A map claiming more entries than there are bytes.
        assert_eq!(
            synced_document(&[0xbb, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
            None
        );
    }

    #[test]
    fn reads_the_heads_an_outbound_sync_message_announces() {
        use automerge::sync::SyncDoc;
        let mut doc = automerge::Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            automerge::transaction::Transactable::put(tx, automerge::ROOT, "k", 1)?;
            Ok(())
        })
        .unwrap();
        let data = doc
            .generate_sync_message(&mut automerge::sync::State::new())
            .unwrap()
            .encode();
        let id = test_id();
        let sync = encode(&[
            ("type", Value::Str("sync".into())),
            ("documentId", Value::Str(id.to_string())),
            ("data", Value::Bytes(data.clone())),
        ]);
        assert_eq!(
            announced_heads(&sync),
            Some((id.to_string(), doc.get_heads()))
        );
        let request = encode(&[
            ("type", Value::Str("request".into())),
            ("documentId", Value::Str(id.to_string())),
            ("data", Value::Bytes(data)),
        ]);
        assert_eq!(announced_heads(&request), None);
        let no_data = encode(&[
            ("type", Value::Str("sync".into())),
            ("documentId", Value::Str(id.to_string())),
        ]);
        assert_eq!(announced_heads(&no_data), None);
    }

    fn test_id() -> DocumentId {
        DocumentId::try_from(vec![7u8; 16]).unwrap()
    }
}
