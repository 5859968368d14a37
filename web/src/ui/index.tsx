// The one UI of Larder, for the web PWA and the desktop and mobile apps alike: a shell mounts
// it on an element with its `LarderClient` (whatever transport that client runs over) and the
// shell-specific hooks it has (see `Shell`).
import { StrictMode } from "react";
import { createRoot, type Root } from "react-dom/client";
import type { LarderClient } from "../client";
import { App } from "./App";
import type { Shell } from "./context";
import "./styles.css";

export type { Shell } from "./context";

export function mountApp(element: HTMLElement, client: LarderClient, shell: Shell = {}): Root {
  const root = createRoot(element);
  root.render(
    <StrictMode>
      <App client={client} shell={shell} />
    </StrictMode>,
  );
  return root;
}
