//! The codec against the shapes samod and cbor-x write, and against malformed frames.

use super::*;

fn doc() -> DocId {
    DocId::from_bytes(&[7u8; 16]).unwrap()
}

fn all_kinds() -> Vec<WireMessage> {
    let meta = Some(PeerMetadata {
        storage_id: Some("store-1".into()),
        is_ephemeral: false,
    });
    vec![
        WireMessage::Join {
            sender: "a.b".into(),
            versions: vec!["1".into()],
            metadata: meta.clone(),
        },
        WireMessage::Join {
            sender: "a.b".into(),
            versions: vec!["1".into(), "2".into()],
            metadata: None,
        },
        WireMessage::Peer {
            sender: "relay".into(),
            target: "a.b".into(),
            version: "1".into(),
            metadata: meta,
        },
        WireMessage::Leave {
            sender: "a.b".into(),
        },
        WireMessage::Request {
            doc: doc(),
            sender: "a.b".into(),
            target: "relay".into(),
            data: vec![0x42, 0],
        },
        WireMessage::Sync {
            doc: doc(),
            sender: "a.b".into(),
            target: "relay".into(),
            data: vec![1, 2, 3],
        },
        WireMessage::DocUnavailable {
            doc: doc(),
            sender: "relay".into(),
            target: "a.b".into(),
        },
        WireMessage::Ephemeral {
            doc: doc(),
            sender: "a.b".into(),
            target: "relay".into(),
            count: 3,
            session: "s".into(),
            data: vec![9],
        },
        WireMessage::Error {
            message: "no".into(),
        },
        WireMessage::RemoteSubscriptionChange {
            sender: "a.b".into(),
            target: "relay".into(),
            add: vec!["x".into()],
            remove: vec![],
        },
        WireMessage::RemoteHeadsChanged {
            doc: doc(),
            sender: "relay".into(),
            target: "a.b".into(),
            heads: vec![RemoteHeads {
                storage_id: "x".into(),
                heads: vec!["h".into()],
                timestamp: 5,
            }],
        },
    ]
}

#[test]
fn every_message_round_trips() {
    for msg in all_kinds() {
        assert_eq!(decode(&msg.encode()), Ok(msg.clone()), "{msg:?}");
    }
}

#[test]
fn reads_samods_encoding() {
    // samod's encoder writes a sync message's fields in this order, the id as text.
    let id = samod::DocumentId::try_from(vec![7u8; 16]).unwrap();
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(5).unwrap();
    e.str("type").unwrap().str("sync").unwrap();
    e.str("documentId").unwrap().str(&id.to_string()).unwrap();
    e.str("senderId").unwrap().str("u.d").unwrap();
    e.str("targetId").unwrap().str("larder-relay").unwrap();
    e.str("data").unwrap().bytes(&[1, 2]).unwrap();
    let msg = decode(&e.into_writer()).unwrap();
    assert_eq!(
        msg,
        WireMessage::Sync {
            doc: doc(),
            sender: "u.d".into(),
            target: "larder-relay".into(),
            data: vec![1, 2],
        }
    );
}

#[test]
fn reads_what_cbor_x_writes_for_javascript_values() {
    // Numbers as float64, an undefined storage id, an undefined `remove`, and an unknown
    // nested field.
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(8).unwrap();
    e.str("type").unwrap().str("ephemeral").unwrap();
    e.str("senderId").unwrap().str("u.d").unwrap();
    e.str("targetId").unwrap().str("r").unwrap();
    e.str("count").unwrap().f64(12.0).unwrap();
    e.str("sessionId").unwrap().str("s").unwrap();
    e.str("documentId").unwrap().bytes(&[7u8; 16]).unwrap();
    e.str("data").unwrap().bytes(&[1]).unwrap();
    e.str("extra").unwrap().map(1).unwrap();
    e.str("deep")
        .unwrap()
        .array(2)
        .unwrap()
        .u8(1)
        .unwrap()
        .tag(minicbor::data::Tag::new(1))
        .unwrap()
        .u8(2)
        .unwrap();
    let msg = decode(&e.into_writer()).unwrap();
    assert!(
        matches!(msg, WireMessage::Ephemeral { count: 12, .. }),
        "{msg:?}"
    );

    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(4).unwrap();
    e.str("type").unwrap().str("join").unwrap();
    e.str("senderId").unwrap().str("u.d").unwrap();
    e.str("supportedProtocolVersions")
        .unwrap()
        .array(1)
        .unwrap()
        .str("1")
        .unwrap();
    e.str("peerMetadata").unwrap().map(2).unwrap();
    e.str("storageId").unwrap().undefined().unwrap();
    e.str("isEphemeral").unwrap().bool(true).unwrap();
    let msg = decode(&e.into_writer()).unwrap();
    assert_eq!(
        msg,
        WireMessage::Join {
            sender: "u.d".into(),
            versions: vec!["1".into()],
            metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: true
            }),
        }
    );

    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(5).unwrap();
    e.str("type")
        .unwrap()
        .str("remote-subscription-change")
        .unwrap();
    e.str("senderId").unwrap().str("u.d").unwrap();
    e.str("targetId").unwrap().str("r").unwrap();
    e.str("add").unwrap().array(1).unwrap().str("x").unwrap();
    e.str("remove").unwrap().undefined().unwrap();
    assert!(matches!(
        decode(&e.into_writer()),
        Ok(WireMessage::RemoteSubscriptionChange { ref add, ref remove, .. }) if add.len() == 1 && remove.is_empty()
    ));
}

fn encoded(f: impl FnOnce(&mut minicbor::Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    f(&mut e);
    e.into_writer()
}

#[test]
fn says_what_is_wrong_with_a_bad_frame() {
    let sync = all_kinds()[5].encode();
    assert!(matches!(
        decode(&sync[..sync.len() - 1]),
        Err(WireError::Cbor(_))
    ));
    assert!(matches!(decode(b""), Err(WireError::Cbor(_))));
    assert_eq!(decode(&[0x01]), Err(WireError::NotAMap));
    let mut trailing = sync.clone();
    trailing.push(0);
    assert_eq!(decode(&trailing), Err(WireError::TrailingBytes));
    // A map claiming 2^32 entries, and one with more fields than any message has.
    assert_eq!(
        decode(&[0xba, 0xff, 0xff, 0xff, 0xff]),
        Err(WireError::TooManyFields)
    );
    // A byte string claiming far more than the frame holds.
    let huge = encoded(|e| {
        e.map(1).unwrap().str("data").unwrap();
    });
    let mut huge = huge;
    huge.extend([0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert!(matches!(decode(&huge), Err(WireError::Cbor(_))));

    let no_type = encoded(|e| {
        e.map(1).unwrap().str("senderId").unwrap().str("x").unwrap();
    });
    assert_eq!(decode(&no_type), Err(WireError::MissingType));
    let unknown = encoded(|e| {
        e.map(1)
            .unwrap()
            .str("type")
            .unwrap()
            .str("teleport")
            .unwrap();
    });
    assert_eq!(
        decode(&unknown),
        Err(WireError::UnknownType("teleport".into()))
    );
    let wrong = encoded(|e| {
        e.map(2).unwrap();
        e.str("type").unwrap().str("sync").unwrap();
        e.str("senderId").unwrap().u32(5).unwrap();
    });
    assert_eq!(decode(&wrong), Err(WireError::WrongType("senderId")));
    let missing = encoded(|e| {
        e.map(2).unwrap();
        e.str("type").unwrap().str("sync").unwrap();
        e.str("senderId").unwrap().str("a").unwrap();
    });
    assert_eq!(
        decode(&missing),
        Err(WireError::MissingField {
            kind: "sync",
            field: "documentId"
        })
    );
    let bad_id = encoded(|e| {
        e.map(2).unwrap();
        e.str("type").unwrap().str("sync").unwrap();
        e.str("documentId").unwrap().str("nope").unwrap();
    });
    assert_eq!(decode(&bad_id), Err(WireError::BadDocumentId));
    let long = encoded(|e| {
        e.map(2).unwrap();
        e.str("type").unwrap().str("leave").unwrap();
        e.str("senderId")
            .unwrap()
            .str(&"x".repeat(MAX_TEXT + 1))
            .unwrap();
    });
    assert_eq!(decode(&long), Err(WireError::TooLong("senderId")));
    let negative = encoded(|e| {
        e.map(2).unwrap();
        e.str("type").unwrap().str("ephemeral").unwrap();
        e.str("count").unwrap().f64(-1.5).unwrap();
    });
    assert_eq!(decode(&negative), Err(WireError::WrongType("count")));
    let non_text_key = encoded(|e| {
        e.map(1).unwrap().u8(1).unwrap().u8(2).unwrap();
    });
    assert_eq!(decode(&non_text_key), Err(WireError::NotAMap));
}

#[test]
fn skipping_an_unknown_field_is_bounded() {
    let nested = |depth: usize| {
        encoded(|e| {
            e.map(2).unwrap();
            e.str("type").unwrap().str("leave").unwrap();
            e.str("x").unwrap();
            for _ in 0..depth {
                e.array(1).unwrap();
            }
            e.u8(0).unwrap();
        })
    };
    assert!(decode(&nested(MAX_DEPTH - 2)).is_err_and(|e| e
        == WireError::MissingField {
            kind: "leave",
            field: "senderId"
        }));
    assert_eq!(decode(&nested(MAX_DEPTH + 5)), Err(WireError::TooDeep));
    // Indefinite containers are refused rather than walked.
    let mut indefinite = encoded(|e| {
        e.map(2).unwrap();
        e.str("type").unwrap().str("leave").unwrap();
        e.str("x").unwrap();
    });
    indefinite.extend(std::iter::repeat_n(0x9f, 10_000));
    assert!(matches!(decode(&indefinite), Err(WireError::Cbor(_))));
}
