//! Throughput of the hot paths on a real tree:
//! `cargo run --release -p repro-artifact --example artifact_bench -- DIR [LEVEL...]`.
//! Prints MB/s for tree hashing, scanning (sha256 of every file), packing at each gzip level,
//! hashing the packed tarball and unpacking it.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a terminal tool or test harness; libraries never print

use std::path::Path;
use std::time::Instant;

use repro_artifact::{PackOptions, ScanOptions, UnpackLimits};

#[allow(clippy::print_stdout)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: artifact_bench DIR [LEVEL...]");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let levels: Vec<u32> = if args.len() > 2 {
        args[2..].iter().map(|l| l.parse().expect("level")).collect()
    } else {
        vec![1, 6, 9]
    };
    let t = Instant::now();
    let tree = repro_artifact::scan_dir(dir, &ScanOptions::default()).expect("scan");
    let bytes = tree.total_file_bytes();
    let mb = bytes as f64 / 1e6;
    let s = t.elapsed().as_secs_f64();
    println!("tree: {} entries, {mb:.1} MB", tree.len());
    println!("scan_dir (sha256 all files): {s:.3}s  {:.0} MB/s", mb / s);
    let t = Instant::now();
    let h = repro_artifact::tree_hash_dir(dir).expect("hash");
    let s = t.elapsed().as_secs_f64();
    println!("tree_hash_dir: {s:.3}s  {:.0} MB/s  {h}", mb / s);
    let out_dir = tempfile::tempdir().expect("tmp");
    for level in levels {
        let out = out_dir.path().join(format!("a{level}.tar.gz"));
        let t = Instant::now();
        let p = repro_artifact::pack_dir_with(
            dir,
            &out,
            |_| true,
            &PackOptions { level, ..Default::default() },
        )
        .expect("pack");
        let s = t.elapsed().as_secs_f64();
        println!(
            "pack_dir level {level}: {s:.3}s  {:.0} MB/s  ratio {:.3}  {}",
            mb / s,
            p.size as f64 / bytes as f64,
            p.git_tree_sha1
        );
        let t = Instant::now();
        let th = repro_artifact::tree_hash_tarball(&out).expect("tarball hash");
        let s = t.elapsed().as_secs_f64();
        println!("  tree_hash_tarball: {s:.3}s  {:.0} MB/s", mb / s);
        assert_eq!(th.git_tree_sha1, p.git_tree_sha1);
        let dest = out_dir.path().join(format!("u{level}"));
        let t = Instant::now();
        repro_artifact::unpack_tarball(&out, &dest, &UnpackLimits::default()).expect("unpack");
        let s = t.elapsed().as_secs_f64();
        println!("  unpack_tarball: {s:.3}s  {:.0} MB/s", mb / s);
    }
}
