//! The till's product import: any bytes are imported whole or refused with the bad rows named
//! by lines that exist in the file; nothing panics.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut till = common::till().lock().expect("the till");
    common::check_import(till.import_products(data), data);
});
