//! Embeds every query file of `queries/` so the binary carries its queries.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("../../queries");
    let mut files = Vec::new();
    for sub in ["cohorts", "pupils", "measures"] {
        let folder = root.join(sub);
        println!("cargo:rerun-if-changed={}", folder.display());
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "sql") {
                println!("cargo:rerun-if-changed={}", path.display());
                let name = format!("{sub}/{}", entry.file_name().to_string_lossy());
                files.push((name, path.canonicalize().expect("file exists")));
            }
        }
    }
    files.sort();
    let mut code = String::from("&[\n");
    for (name, path) in files {
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a string");
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
