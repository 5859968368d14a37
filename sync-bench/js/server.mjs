// The reference sync server larder-server is benchmarked against: npm's automerge-repo with its
// websocket server adapter (over `ws`) and its Node file-system storage, configured like
// automerge-repo's own sync-server (documents are shared only with peers that ask for them).
// Usage: node server.mjs PORT DATA_DIR   (listens on 127.0.0.1 only)
import { WebSocketServer } from "ws"
import { Repo } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"

const [port, dir] = process.argv.slice(2)
if (!port || !dir) {
  console.error("usage: node server.mjs PORT DATA_DIR")
  process.exit(2)
}

const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(port) })
const repo = new Repo({
  network: [new NodeWSServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: "js-sync-server",
  sharePolicy: async () => false,
})
wss.on("listening", () => console.log(`automerge-repo sync server on 127.0.0.1:${port}`))

// automerge-repo rejects some internal promises nobody awaits (e.g. a document that takes
// longer than 60 s to become ready under load); Node would exit on the first one. Log them and
// keep serving, so one slow document doesn't end every connection (run.sh counts them).
process.on("unhandledRejection", err => {
  console.error(`unhandled rejection: ${err?.stack ?? err}`)
})

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  wss.close()
  await repo.shutdown()
  process.exit(0)
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
