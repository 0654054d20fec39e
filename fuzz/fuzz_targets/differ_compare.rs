#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| repro_fuzz::differ_compare(data));
