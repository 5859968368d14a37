// What adding to the grocery list said ("Added … to the grocery list."), with a link to the
// list and, until it is used, the Undo that takes the addition back; or the error.
/** "the grocery list", or the household's list when that is the one additions went to. */
export function listName(householdName: string | null | undefined): string {
  return householdName ? `the ${householdName} household list` : "the grocery list";
}

export function GroceryAddedStatus({ message, error, onUndo }: { message: string | null; error: string | null; onUndo?: () => void }) {
  return (
    <>
      {message && (
        <p role="status" className="ok">
          {message} <a href="#/grocery">Open the grocery list</a>
          {onUndo && (
            <>
              {" "}
              <button type="button" onClick={onUndo}>
                Undo
              </button>
            </>
          )}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </>
  );
}
