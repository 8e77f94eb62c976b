//! Migrations: every step from the first yields the same schema as a fresh database.
#![allow(clippy::unwrap_used, missing_docs)]

use fairtill_store::db::{migrations, MIGRATIONS};
use rusqlite::Connection;

fn schema(conn: &Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn the_migration_list_is_valid() {
    migrations().validate().unwrap();
}

#[test]
fn upgrading_from_every_earlier_version_equals_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let fresh_path = dir.path().join("fresh.db");
    let mut fresh = Connection::open(&fresh_path).unwrap();
    migrations().to_latest(&mut fresh).unwrap();
    let expected = schema(&fresh);
    for start in 0..=MIGRATIONS.len() {
        let path = dir.path().join(format!("from-{start}.db"));
        let mut conn = Connection::open(&path).unwrap();
        migrations().to_version(&mut conn, start).unwrap();
        drop(conn);
        let till = fairtill_store::Till::open(&path).unwrap();
        assert_eq!(
            schema(till.connection()),
            expected,
            "upgrading from version {start}"
        );
    }
}

/// The schema a fresh till database has, as `docs/schema/device.sql`: written by this test and
/// committed, so a change to the schema shows in review as a change to that file (the test
/// script fails when the committed file is stale, like the TypeScript bindings).
#[test]
fn the_committed_schema_dump_is_current() {
    let dir = tempfile::tempdir().unwrap();
    let till = fairtill_store::Till::open(&dir.path().join("till.db")).unwrap();
    let version: i64 = till
        .connection()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let mut text = format!(
        "-- The till's schema at version {version}, as a fresh database has it.\n\
         -- Written by crates/store/tests/migrations.rs; do not edit.\n"
    );
    for (kind, name, sql) in schema(till.connection()) {
        if sql.is_empty() {
            continue;
        }
        text.push_str(&format!("\n-- {kind} {name}\n{sql};\n"));
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/device.sql");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).unwrap();
    }
}
