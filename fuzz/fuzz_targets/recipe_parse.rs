#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| repro_fuzz::recipe_parse(data));
