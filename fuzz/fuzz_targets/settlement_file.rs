//! The server's settlement-file reader: any bytes, read with every built-in processor format,
//! are read or refused in words; a bad row is named by a line that exists; nothing panics.
#![no_main]

mod common;

use fairtill_server::settlement::{formats, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read::header(data);
    let most = common::most_lines(data);
    for mapping in formats::builtin() {
        if let Ok(file) = read::read(data, &mapping, None) {
            for row in &file.rows {
                assert!(
                    row.line >= 1 && row.line <= most,
                    "line {} of {most}",
                    row.line
                );
            }
        }
    }
});
