// automerge-repo's websocket client adapter for the relay's one-time tickets: every connection
// attempt (the first, and each reconnection after the relay restarts or the network returns)
// first asks for a fresh ticket, since a used one is refused.
import type { PeerId, PeerMetadata } from "@automerge/automerge-repo/slim";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

/** How long to wait between attempts to reconnect. */
const RETRY_MS = 1000;

export class TicketedWebSocketAdapter extends WebSocketClientAdapter {
  private asking = false;

  constructor(
    private readonly socketUrl: (ticket: string) => string,
    private readonly newTicket: () => Promise<string>,
  ) {
    super(socketUrl(""), RETRY_MS);
  }

  override connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    if (this.asking) return;
    this.asking = true;
    this.newTicket()
      .then((ticket) => {
        // `url` is read-only in the adapter's types only; it reads the field on every connect.
        (this as { url: string }).url = this.socketUrl(ticket);
      })
      .catch(() => {
        // Unreachable or signed out: this attempt fails and the adapter tries again later
        // (the sync link stops it if the session was rejected).
      })
      .finally(() => {
        this.asking = false;
        super.connect(peerId, peerMetadata);
      });
  }
}
