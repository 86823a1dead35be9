//! The SQLite and PostgreSQL migration folders must stay in step: same migrations, same
//! tables, same columns — only the dialect may differ.

use std::collections::BTreeSet;
use std::path::Path;

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// `table.column` for every column created, plus index names, from an up.sql.
fn shape(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in sql.lines().map(str::trim) {
        let upper = line.to_uppercase();
        if let Some(rest) = upper.strip_prefix("CREATE TABLE ") {
            table = rest.split_whitespace().next().map(|t| t.to_lowercase());
            continue;
        }
        if upper.starts_with("CREATE INDEX") || upper.starts_with("CREATE UNIQUE INDEX") {
            out.insert(
                line.split_whitespace()
                    .nth(if upper.starts_with("CREATE UNIQUE") { 3 } else { 2 })
                    .unwrap_or("")
                    .to_lowercase(),
            );
            continue;
        }
        if line.starts_with(')') {
            table = None;
            continue;
        }
        if let Some(t) = &table {
            let first = line.split_whitespace().next().unwrap_or("");
            if !first.is_empty()
                && !["UNIQUE", "PRIMARY", "FOREIGN", "CHECK", "CONSTRAINT", "--"].iter().any(|k| upper.starts_with(k))
            {
                out.insert(format!("{t}.{}", first.to_lowercase()));
            }
        }
    }
    out
}

#[test]
fn sqlite_and_postgres_migrations_match() {
    let sqlite = migration_names("sqlite");
    let postgres = migration_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "every migration needs a twin with the same name");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for name in &sqlite {
        for file in ["up.sql", "down.sql"] {
            let a = std::fs::read_to_string(root.join("sqlite").join(name).join(file))
                .unwrap_or_else(|_| panic!("sqlite/{name}/{file}"));
            let b = std::fs::read_to_string(root.join("postgres").join(name).join(file))
                .unwrap_or_else(|_| panic!("postgres/{name}/{file}"));
            assert_eq!(shape(&a), shape(&b), "{name}/{file} differs between backends");
        }
    }
}
