//! samod's `Dialer` for the relay: each (re)connection asks for a fresh one-time ticket with the
//! session token, then opens the websocket with it, so the long-lived token never travels in a
//! URL. A rejected session is a permanent failure: the engine goes to "signed out".

use futures_util::future::BoxFuture;
use futures_util::{SinkExt, StreamExt};
use samod::{DialError, Dialer, PeerId, Transport};
use tokio_tungstenite::tungstenite::Message;

use super::relay::{RelayClient, RelayError};

/// The relay's samod peer id.
pub const RELAY_PEER_ID: &str = "larder-relay";

pub struct RelayDialer {
    pub client: RelayClient,
    pub token: String,
    pub peer_id: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DialFailure(pub String);

impl Dialer for RelayDialer {
    type Error = RelayError;

    fn url(&self) -> url::Url {
        self.client
            .sync_url("…")
            .unwrap_or_else(|_| url::Url::parse("ws://invalid/").expect("static url"))
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Self::Error>>> {
        let client = self.client.clone();
        let token = self.token.clone();
        let peer_id = self.peer_id.clone();
        Box::pin(async move {
            let ticket = match client.ticket(&token, &peer_id).await {
                Ok(ticket) => ticket,
                Err(RelayError::Unauthorized) => {
                    return Err(DialError::PermanentFailure(RelayError::Unauthorized));
                }
                Err(err) => return Err(DialError::transient(DialFailure(err.to_string()))),
            };
            let url = client
                .sync_url(&ticket)
                .map_err(|e| DialError::transient(DialFailure(e.to_string())))?;
            // TCP_NODELAY: sync messages are small and latency-bound.
            let (socket, _) =
                tokio_tungstenite::connect_async_with_config(url.as_str(), None, true)
                    .await
                    .map_err(|e| DialError::transient(DialFailure(e.to_string())))?;
            let (sink, stream) = socket.split();
            let stream = stream.filter_map(|message| async move {
                match message {
                    Ok(Message::Binary(bytes)) => Some(Ok(bytes.to_vec())),
                    Ok(Message::Close(_)) => None,
                    Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => None,
                    Ok(Message::Text(_)) => {
                        Some(Err(DialFailure("the relay sent a text frame".to_string())))
                    }
                    Err(err) => Some(Err(DialFailure(err.to_string()))),
                }
            });
            let sink = sink.sink_map_err(|e| DialFailure(e.to_string())).with(
                |bytes: Vec<u8>| async move { Ok::<_, DialFailure>(Message::Binary(bytes.into())) },
            );
            // Bound to the relay's identity, so a handshake from anything else is refused.
            Ok(Transport::new(stream.boxed(), Box::pin(sink))
                .with_expected_peer_id(PeerId::from(RELAY_PEER_ID)))
        })
    }
}
