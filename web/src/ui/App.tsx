// The app's frame: sign-in until there is a session, then the header (brand, sync status), the
// navigation (a top bar on wide screens, a bottom bar on phones) and the routed screen.
import { useCallback, useEffect, useMemo, useState } from "react";
import type { LarderClient, SessionView } from "../client";
import { AppContext, type AppContextValue, type Shell, errorMessage } from "./context";
import { CookMode } from "./CookMode";
import { Editor } from "./Editor";
import { Grocery } from "./Grocery";
import { History, VersionView } from "./History";
import { useHashRoute } from "./hooks";
import { Import } from "./Import";
import { More } from "./More";
import { Plan } from "./Plan";
import { RecentlyDeleted } from "./RecentlyDeleted";
import { RecipeView } from "./RecipeView";
import { Search } from "./Search";
import { SignIn } from "./SignIn";
import { SyncStatus } from "./SyncStatus";
import { TimerBar } from "./cook-timers";
import { UpdatePrompt } from "./UpdatePrompt";

/** Set while this device is signed in, removed by "Sign out": tells a lost session apart. */
const SIGNED_IN = "larder.signedIn";
const SESSION_ENDED =
  "Your session has ended (signed out elsewhere, or the server refused it). Your recipes are still on this device; sign in to sync again.";

type Phase = { kind: "starting" } | { kind: "failed"; error: string } | { kind: "signed_out"; reason?: string } | { kind: "signed_in"; session: SessionView };

export function App({ client, shell }: { client: LarderClient; shell: Shell }) {
  const [phase, setPhase] = useState<Phase>({ kind: "starting" });
  const [changes, setChanges] = useState(0);
  const [errors, setErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useHashRoute();

  const reportError = useCallback((e: unknown) => setErrors((list) => [...list, errorMessage(e)]), []);
  const navigate = useCallback((path: string) => {
    location.hash = path;
  }, []);


  useEffect(() => {
    let live = true;
    Promise.resolve(shell.ready)
      .then(() => client.session())
      .then(
        (session) => {
          if (!live) return;
          if (session) {
            localStorage.setItem(SIGNED_IN, session.user_id);
            setPhase({ kind: "signed_in", session });
          }
          // Signed in when last open, and not signed out here: the session was lost meanwhile.
          else setPhase({ kind: "signed_out", reason: localStorage.getItem(SIGNED_IN) ? SESSION_ENDED : undefined });
        },
        (e: unknown) => live && setPhase({ kind: "failed", error: errorMessage(e) }),
      );
    shell.notice?.then((text) => live && setNotice(text), () => undefined);
    return () => {
      live = false;
    };
  }, [client, shell]);

  // Every change refreshes the screens, except an import's progress (the import screen
  // listens to that itself; the recipes' own events follow).
  useEffect(() => client.onChange((event) => event.kind !== "import_progress" && setChanges((n) => n + 1)), [client]);

  // Signed in: ask the browser to keep this device's data (the shell knows how, if it must).
  const [dataKept, setDataKept] = useState<boolean | null>(null);
  const signedIn = phase.kind === "signed_in";
  useEffect(() => {
    if (!signedIn || !shell.keepData) return;
    let live = true;
    shell.keepData().then(
      (kept) => live && setDataKept(kept),
      () => live && setDataKept(false),
    );
    return () => {
      live = false;
    };
  }, [signedIn, shell]);

  const context = useMemo<AppContextValue>(
    () => ({ client, changes, reportError, navigate }),
    [client, changes, reportError, navigate],
  );

  let body;
  if (phase.kind === "starting") {
    body = (
      <main className="centered">
        <p role="status">Starting Larder…</p>
      </main>
    );
  } else if (phase.kind === "failed") {
    body = (
      <main className="centered">
        <p role="alert" className="error">
          {phase.error}
        </p>
      </main>
    );
  } else if (phase.kind === "signed_out") {
    body = (
      <SignIn
        defaultServer={shell.defaultServer ?? ""}
        reason={phase.reason}
        onSignedIn={(session) => {
          localStorage.setItem(SIGNED_IN, session.user_id);
          setPhase({ kind: "signed_in", session });
          navigate("/");
        }}
      />
    );
  } else {
    body = (
      <Frame
        route={route}
        session={phase.session}
        dataKept={dataKept}
        onSignedOut={(lost) => {
          sessionStorage.removeItem("larder.query");
          if (!lost) localStorage.removeItem(SIGNED_IN);
          setPhase({ kind: "signed_out", reason: lost ? SESSION_ENDED : undefined });
        }}
      />
    );
  }

  return (
    <AppContext.Provider value={context}>
      <div className="app">
        {shell.onUpdate && shell.applyUpdate && (
          <UpdatePrompt onUpdate={shell.onUpdate} applyUpdate={shell.applyUpdate} />
        )}
        {notice && <p className="notice">{notice}</p>}
        {errors.length > 0 && (
          <div role="alert" className="error banner">
            {errors.map((e, i) => (
              <p key={i}>{e}</p>
            ))}
            <button type="button" onClick={() => setErrors([])}>
              Dismiss
            </button>
          </div>
        )}
        {body}
      </div>
    </AppContext.Provider>
  );
}

function Frame({
  route,
  session,
  dataKept,
  onSignedOut,
}: {
  route: string;
  session: SessionView;
  /** Whether the browser keeps this device's data; null where it is not the browser's call. */
  dataKept: boolean | null;
  /** `lost`: the session ended elsewhere (not "Sign out" here). */
  onSignedOut: (lost: boolean) => void;
}) {
  const parts = route.split("/").filter(Boolean);
  const [section, id, version] = [parts[0] ?? "", parts[1], parts[2]];
  // Cook mode takes the whole screen: no header, no navigation.
  if (section === "cook" && id) {
    const servings = Number(parts[2]);
    return <CookMode key={id} id={id} servings={servings > 0 ? servings : undefined} />;
  }

  let screen;
  let split = false;
  let wide = false;
  switch (section) {
    case "recipe":
      split = true;
      screen = id ? <RecipeView key={id} id={id} /> : null;
      break;
    case "history":
      split = true;
      screen = id ? (
        version ? (
          <VersionView key={`${id}-${version}`} id={id} version={decodeURIComponent(version)} />
        ) : (
          <History key={id} id={id} />
        )
      ) : null;
      break;
    case "deleted":
      screen = <RecentlyDeleted />;
      break;
    case "new":
      screen = <Editor key="new" />;
      break;
    case "edit":
      screen = id ? <Editor key={`edit-${id}`} id={id} /> : null;
      break;
    case "grocery":
      screen = <Grocery />;
      break;
    case "plan":
      wide = true;
      screen = <Plan key={id ?? "this-week"} date={id} />;
      break;
    case "import":
      screen = <Import />;
      break;
    case "more":
      screen = <More session={session} dataKept={dataKept} onSignedOut={() => onSignedOut(false)} />;
      break;
    default:
      split = true;
      screen = null;
  }

  const current = (name: string) => (section === name || (name === "" && (section === "recipe" || section === "history")) ? "page" : undefined);
  return (
    <>
      <header className="topbar">
        <a className="brand" href="#/">
          <img src="/icons/icon-192.png" alt="" width="28" height="28" />
          Larder
        </a>
        <SyncStatus onSignedOut={() => onSignedOut(true)} />
      </header>
      <nav className="mainnav" aria-label="Main">
        <a href="#/" aria-current={current("")}>
          <span aria-hidden="true" className="icon">⌕</span>
          Search
        </a>
        <a href="#/grocery" aria-current={current("grocery")}>
          <span aria-hidden="true" className="icon">☑</span>
          Grocery list
        </a>
        <a href="#/plan" aria-current={current("plan")}>
          <span aria-hidden="true" className="icon">▦</span>
          Plan
        </a>
        <a href="#/new" aria-current={current("new")}>
          <span aria-hidden="true" className="icon">+</span>
          New recipe
        </a>
        <a href="#/more" aria-current={current("more") ?? current("import") ?? current("deleted")}>
          <span aria-hidden="true" className="icon">⋯</span>
          More
        </a>
      </nav>
      <TimerBar />
      {split ? (
        <main className={`split ${screen ? "has-detail" : ""}`}>
          <section className="list-pane" aria-label="Recipes">
            <Search selected={section === "recipe" || section === "history" ? id : undefined} />
          </section>
          <section className="detail-pane" aria-label="Recipe">
            {screen ?? <p className="empty">Choose a recipe, or add a new one.</p>}
          </section>
        </main>
      ) : (
        <main className={wide ? "single wide" : "single"}>{screen}</main>
      )}
    </>
  );
}
