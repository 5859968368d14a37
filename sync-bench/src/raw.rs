//! A raw automerge-repo protocol peer: one websocket, the `join`/`peer` handshake, and
//! per-document `sync` messages driven straight by automerge's sync protocol. Used where a
//! samod repo on the client side would be the bottleneck or hide what crosses the wire (idle
//! connections; one device holding thousands of documents).

use std::sync::Arc;

use anyhow::{anyhow, bail};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::target::{Account, Counters, Socket, Target};

/// The automerge-repo `join` message of an ephemeral peer (no storage id: the server keeps no
/// sync state for it beyond the connection).
pub fn join_message(peer_id: &str) -> Vec<u8> {
    encode(|e| {
        e.map(4)?
            .str("type")?
            .str("join")?
            .str("senderId")?
            .str(peer_id)?
            .str("supportedProtocolVersions")?
            .array(1)?
            .str("1")?
            .str("peerMetadata")?
            .map(1)?
            .str("isEphemeral")?
            .bool(true)?;
        Ok(())
    })
}

/// A `sync` message carrying one automerge sync-protocol message for `doc`.
pub fn sync_message(doc: &str, sender: &str, target: &str, data: &[u8]) -> Vec<u8> {
    encode(|e| {
        e.map(5)?
            .str("type")?
            .str("sync")?
            .str("documentId")?
            .str(doc)?
            .str("senderId")?
            .str(sender)?
            .str("targetId")?
            .str(target)?
            .str("data")?
            .bytes(data)?;
        Ok(())
    })
}

type EncodeResult = Result<(), minicbor::encode::Error<std::convert::Infallible>>;

fn encode(f: impl FnOnce(&mut minicbor::Encoder<Vec<u8>>) -> EncodeResult) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    f(&mut e).expect("encoding into a Vec cannot fail");
    e.into_writer()
}

/// The fields of an inbound protocol message the benchmark looks at.
#[derive(Debug, Default)]
pub struct Inbound {
    pub kind: String,
    pub sender: Option<String>,
    pub document: Option<String>,
    pub data: Option<Vec<u8>>,
    pub message: Option<String>,
}

/// Decodes a protocol message (a CBOR map); `None` if it is not one.
pub fn decode(bytes: &[u8]) -> Option<Inbound> {
    let mut d = minicbor::Decoder::new(bytes);
    let len = d.map().ok()?;
    let mut out = Inbound::default();
    let mut i = 0_u64;
    loop {
        match len {
            Some(n) if i >= n => break,
            None if d.datatype().ok()? == minicbor::data::Type::Break => break,
            _ => {}
        }
        match d.str().ok()? {
            "type" => out.kind = d.str().ok()?.to_owned(),
            "senderId" => out.sender = Some(d.str().ok()?.to_owned()),
            "documentId" => out.document = Some(d.str().ok()?.to_owned()),
            "message" => out.message = Some(d.str().ok()?.to_owned()),
            "data" => out.data = Some(d.bytes().ok()?.to_vec()),
            _ => d.skip().ok()?,
        }
        i += 1;
    }
    (!out.kind.is_empty()).then_some(out)
}

/// Opens a websocket for a fresh peer id of `account` and completes the handshake; returns the
/// socket, our peer id and the server's.
pub async fn connect(
    target: &Target,
    account: &Account,
    config: WebSocketConfig,
    counters: Arc<Counters>,
) -> anyhow::Result<(Socket, String, String)> {
    let peer_id = target.new_peer_id(account);
    let mut ws = target
        .open_socket(account, &peer_id, config, Arc::clone(&counters))
        .await?;
    send(&mut ws, &counters, join_message(&peer_id)).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => {
                counters
                    .msgs_in
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let msg = decode(&b).ok_or_else(|| anyhow!("an undecodable message"))?;
                match msg.kind.as_str() {
                    "peer" => {
                        let server = msg
                            .sender
                            .ok_or_else(|| anyhow!("a peer message without senderId"))?;
                        return Ok((ws, peer_id, server));
                    }
                    "error" => bail!("the server refused the join: {:?}", msg.message),
                    other => bail!("unexpected {other:?} message before the handshake completed"),
                }
            }
            Some(Ok(Message::Close(_))) | None => bail!("the server closed during the handshake"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

/// Sends one protocol message, counting it.
pub async fn send(ws: &mut Socket, counters: &Counters, msg: Vec<u8>) -> anyhow::Result<()> {
    counters
        .msgs_out
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ws.send(Message::Binary(msg.into())).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_decode_back() {
        let join = decode(&join_message("u.0123")).unwrap();
        assert_eq!(join.kind, "join");
        assert_eq!(join.sender.as_deref(), Some("u.0123"));
        let sync = decode(&sync_message("doc", "me", "them", b"\x42\x00")).unwrap();
        assert_eq!(sync.kind, "sync");
        assert_eq!(sync.document.as_deref(), Some("doc"));
        assert_eq!(sync.data.as_deref(), Some(&b"\x42\x00"[..]));
        assert!(decode(b"\x01").is_none());
    }
}
