//! Build script: the migrations are embedded at compile time (`embed_migrations!`), and a
//! proc macro cannot ask cargo to watch a folder — so a new migration folder would otherwise
//! leave a stale build without it.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
