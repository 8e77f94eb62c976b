//! The schema a fresh server database has on each backend, as `docs/schema/server-sqlite.sql`
//! and `docs/schema/server-postgres.sql`: written by these tests and committed, so a schema
//! change shows in review as a change to those files (the test script fails when a committed
//! dump is stale, like the TypeScript bindings).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{Db, Kind};
use fairtill_server::storage::Storage;

fn write_if_changed(name: &str, text: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schema")
        .join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        std::fs::write(&path, text).unwrap();
    }
}

#[tokio::test]
async fn the_committed_sqlite_schema_dump_is_current() {
    let db = Db::new(Kind::Sqlite);
    drop(Storage::open(&db.spec).await.unwrap());
    let conn = rusqlite::Connection::open(&db.spec).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_master
             WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .unwrap();
    let rows: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut text = format!(
        "-- The server's SQLite schema at version {version}, as a fresh database has it.\n\
         -- Written by crates/server/tests/schema.rs; do not edit.\n"
    );
    for (kind, name, sql) in rows {
        text.push_str(&format!("\n-- {kind} {name}\n{sql};\n"));
    }
    write_if_changed("server-sqlite.sql", &text);
}

/// The catalog queries that describe the public schema: tables with their columns and
/// constraints, indexes, functions and triggers (what pg_trgm itself brings is left out).
const CATALOG: &[(&str, &str)] = &[
    (
        "column",
        "SELECT table_name || '.' || column_name || ' ' || data_type
                || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
                || coalesce(' DEFAULT ' || column_default, '')
         FROM information_schema.columns WHERE table_schema = 'public'
         ORDER BY table_name, ordinal_position",
    ),
    (
        "constraint",
        "SELECT c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = 'public' AND c.conrelid <> 0 ORDER BY 1",
    ),
    (
        "index",
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname",
    ),
    (
        "function",
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
         ORDER BY p.proname",
    ),
    (
        "trigger",
        "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY c.relname, t.tgname",
    ),
];

#[tokio::test]
async fn the_committed_postgres_schema_dump_is_current() {
    let db = Db::new(Kind::Postgres);
    drop(Storage::open(&db.spec).await.unwrap());
    let spec = db.spec.clone();
    // The synchronous client runs its own runtime: keep it off the test's async threads.
    let text = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&spec, postgres::NoTls).unwrap();
        let mut text = String::from(
            "-- The server's PostgreSQL schema, as a fresh database has it (from the catalog).\n\
             -- Written by crates/server/tests/schema.rs; do not edit.\n",
        );
        for (what, sql) in CATALOG {
            text.push_str(&format!("\n-- {what}s\n"));
            for row in client.query(*sql, &[]).unwrap() {
                let line: String = row.get(0);
                text.push_str(line.trim_end());
                text.push_str(if line.contains('\n') { "\n\n" } else { "\n" });
            }
        }
        text
    })
    .join()
    .unwrap();
    write_if_changed("server-postgres.sql", &text);
}
