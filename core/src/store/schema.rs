//! The local database's schema and its versioned migrations. `PRAGMA user_version` holds the
//! version; `PRAGMA application_id` marks the file as Larder's so a foreign SQLite file is never
//! mistaken for a profile (or written to).

/// "LRDR" as a big-endian integer.
pub const APPLICATION_ID: i32 = 0x4C52_4452;

/// Migrations in order; migration `i` moves the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // v1: document chunks, materialised view, full-text index, local blobs.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

    -- The document store's chunks (samod / automerge-repo storage keys joined with '/').
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) WITHOUT ROWID;

    -- Documents whose view may not match their stored chunks: written in the same transaction
    -- as a chunk or a view row, cleared once both are known to agree (see store::view).
    CREATE TABLE dirty_docs (
        doc_id TEXT PRIMARY KEY,
        seq    INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE recipes (
        rowid         INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        title         TEXT NOT NULL,
        sort_key      TEXT NOT NULL,
        deleted       INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        heads         TEXT NOT NULL,
        summary       TEXT NOT NULL,  -- the RecipeSummary as JSON (search results)
        body          TEXT NOT NULL   -- the Recipe as JSON
    );
    CREATE INDEX recipes_live_by_title ON recipes (deleted, sort_key, id);

    CREATE TABLE ingredients (
        recipe_rowid  INTEGER NOT NULL REFERENCES recipes (rowid) ON DELETE CASCADE,
        position      INTEGER NOT NULL,
        id            TEXT NOT NULL,
        quantity      REAL,
        quantity_max  REAL,
        unit          TEXT NOT NULL,
        name          TEXT NOT NULL,
        note          TEXT NOT NULL,
        PRIMARY KEY (recipe_rowid, position)
    ) WITHOUT ROWID;

    CREATE TABLE recipe_tags (
        recipe_rowid  INTEGER NOT NULL REFERENCES recipes (rowid) ON DELETE CASCADE,
        tag           TEXT NOT NULL COLLATE NOCASE,
        PRIMARY KEY (recipe_rowid, tag)
    ) WITHOUT ROWID;
    CREATE INDEX recipe_tags_by_tag ON recipe_tags (tag);

    CREATE TABLE attachments (
        recipe_rowid  INTEGER NOT NULL REFERENCES recipes (rowid) ON DELETE CASCADE,
        sha256        TEXT NOT NULL,
        file_name     TEXT NOT NULL,
        media_type    TEXT NOT NULL,
        size          INTEGER NOT NULL,
        PRIMARY KEY (recipe_rowid, sha256)
    ) WITHOUT ROWID;

    CREATE TABLE grocery_lists (
        doc_id        TEXT PRIMARY KEY,
        heads         TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE grocery_items (
        list_id       TEXT NOT NULL,
        id            TEXT NOT NULL,
        name          TEXT NOT NULL,
        quantity      REAL,
        unit          TEXT NOT NULL,
        checked       INTEGER NOT NULL,
        sources       TEXT NOT NULL,   -- JSON array of recipe ids
        added_at      INTEGER NOT NULL,
        PRIMARY KEY (list_id, id)
    ) WITHOUT ROWID;

    -- Full-text index over live recipes; rowid = recipes.rowid. Contentless: the text lives in
    -- the recipes table already. The last word a user types is a prefix: prefix indexes for
    -- every length up to 8 answer it from one doclist, lazily (an unindexed prefix length makes
    -- FTS5 merge every matching term's doclist first: ~2 ms for "garlic" at 100,000 recipes, and
    -- 40 ms for a single letter), at the cost of a larger index. Ranking: bm25 with the title
    -- weighted most (store::search puts title matches first whatever the score).
    CREATE VIRTUAL TABLE recipe_fts USING fts5 (
        title, ingredients, tags, body,
        content = '',
        contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '1 2 3 4 5 6 7 8'
    );
    INSERT INTO recipe_fts (recipe_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 3.0, 1.0)');

    -- Attached files kept on this device, by content hash.
    CREATE TABLE blobs (
        sha256      TEXT PRIMARY KEY,
        media_type  TEXT NOT NULL,
        size        INTEGER NOT NULL,
        data        BLOB NOT NULL
    ) WITHOUT ROWID;
    "#,
    // v2: documents whose chunks the relay has not confirmed yet (sync's "pending").
    r#"
    CREATE TABLE unsynced_docs (
        doc_id TEXT PRIMARY KEY,
        seq    INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO unsynced_docs (doc_id, seq)
        SELECT DISTINCT substr(key, 1, instr(key, '/') - 1), 1 FROM kv WHERE instr(key, '/') > 0;
    "#,
    // v3: attachments waiting to be uploaded to the relay (filled when a file is attached;
    // emptied by sync once the relay has stored and verified the bytes). Files attached before
    // this version were never uploaded, so they start queued.
    r#"
    CREATE TABLE blob_uploads (
        sha256          TEXT PRIMARY KEY REFERENCES blobs (sha256) ON DELETE CASCADE,
        queued_at       INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT
    ) WITHOUT ROWID;
    INSERT INTO blob_uploads (sha256, queued_at) SELECT sha256, 0 FROM blobs;
    "#,
    // v4: the heads the relay last said it holds, per document, so that a document samod merely
    // re-saved (same heads) is not counted as a change waiting for the relay.
    r#"
    CREATE TABLE relay_heads (
        doc_id TEXT PRIMARY KEY,
        heads  TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // v5: where an imported recipe came from (its document's `import_key`), indexed so a
    // re-import finds the recipes it already made without loading their documents. Recipes
    // viewed before this version were re-read from their documents by nobody: their keys are
    // filled from the body JSON the view already holds.
    r#"
    ALTER TABLE recipes ADD COLUMN import_key TEXT;
    UPDATE recipes SET import_key = json_extract(body, '$.import_key')
        WHERE json_extract(body, '$.import_key') IS NOT NULL;
    CREATE INDEX recipes_by_import_key ON recipes (import_key) WHERE import_key IS NOT NULL;
    "#,
    // v6: the meal plan's view: the plan document's heads and slots, and its entries by date.
    r#"
    CREATE TABLE meal_plans (
        doc_id        TEXT PRIMARY KEY,
        heads         TEXT NOT NULL,
        slots         TEXT NOT NULL    -- JSON array of {id, name}
    ) WITHOUT ROWID;

    CREATE TABLE plan_entries (
        plan_id       TEXT NOT NULL,
        id            TEXT NOT NULL,
        date          TEXT NOT NULL,   -- YYYY-MM-DD
        slot          TEXT NOT NULL,
        recipe_id     TEXT,
        title         TEXT NOT NULL,
        servings      REAL,
        added_at      INTEGER NOT NULL,
        PRIMARY KEY (plan_id, id)
    ) WITHOUT ROWID;
    CREATE INDEX plan_entries_by_date ON plan_entries (plan_id, date);
    "#,
    // v7: recipes other users share with this one, as the relay last listed them; a share
    // revoked since stays as a tombstone so its document never comes back into the view.
    r#"
    CREATE TABLE shared_recipes (
        doc_id        TEXT PRIMARY KEY,
        owner_id      TEXT NOT NULL,
        owner_name    TEXT NOT NULL,
        mode          TEXT NOT NULL,   -- 'read' or 'edit'
        revoked       INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    "#,
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
