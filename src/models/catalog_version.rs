//! The catalog's version row: which database (`epoch`) and how many catalog writes it has
//! seen (`version`). Database triggers bump it with every write to plans, add-ons and credit
//! packs — whoever writes, through the app or not — so a cached catalog is known stale by one
//! primary-key read.

use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows};
use crate::schema::catalog_versions;

/// The id of the one version row.
pub const ROW: i64 = 1;

/// (epoch, version): which database, and how many catalog writes it has seen.
pub type CatalogStamp = (String, i64);

/// The catalog's stamp as committed now.
pub fn current(conn: &mut DbConnection) -> QueryResult<CatalogStamp> {
    catalog_versions::table.find(ROW).select((catalog_versions::epoch, catalog_versions::version)).first_row(conn)
}
