#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| repro_fuzz::tar_tree(data));
