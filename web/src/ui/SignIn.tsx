import { type FormEvent, useEffect, useState } from "react";
import type { SessionView } from "../client";
import { errorMessage, useApp } from "./context";

export function SignIn({
  defaultServer,
  reason,
  onSignedIn,
}: {
  defaultServer: string;
  reason?: string;
  onSignedIn: (s: SessionView) => void;
}) {
  const { client } = useApp();
  const [server, setServer] = useState(defaultServer);
  const [username, setUsername] = useState("");
  // A device that signed in before (and was signed out) starts with that relay and name.
  useEffect(() => {
    let live = true;
    client
      .lastSignIn()
      .then((last) => {
        if (!live || !last) return;
        setServer((typed) => (typed === defaultServer ? last.server : typed));
        setUsername((typed) => typed || last.user_name);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [client, defaultServer]);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await client.signIn(server, username, password));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card" onSubmit={submit}>
        <div className="signin-brand">
          <img src="/icons/icon-192.png" alt="" width="56" height="56" />
          <h1>Larder</h1>
          <p>Your recipes and grocery list, on every device.</p>
        </div>
        {reason && (
          <p role="status" className="notice-inline">
            {reason}
          </p>
        )}
        <label>
          Server
          <input
            type="url"
            value={server}
            onChange={(e) => setServer(e.target.value)}
            required
            autoComplete="url"
            placeholder="https://larder.example.org"
            // A fresh app knows no relay: its address is the first thing to type.
            autoFocus={!defaultServer}
          />
        </label>
        <label>
          Username
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoComplete="username"
            autoCapitalize="none"
            autoFocus={!!defaultServer}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="current-password"
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
