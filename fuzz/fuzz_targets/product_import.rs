//! The till's product import: any bytes are imported whole or refused with the bad
//! rows named by lines that exist in the file; nothing panics.
#![no_main]

mod lines;

use std::sync::{Mutex, OnceLock};

use fairtill_store::{StoreError, Till};
use libfuzzer_sys::fuzz_target;

fn till() -> &'static Mutex<Till> {
    static TILL: OnceLock<Mutex<Till>> = OnceLock::new();
    TILL.get_or_init(|| {
        Mutex::new(Till::open(std::path::Path::new(":memory:")).expect("an in-memory till"))
    })
}

fuzz_target!(|data: &[u8]| {
    let mut till = till().lock().expect("the till");
    match till.import_products(data) {
        Ok(_) => {}
        Err(StoreError::Import(errors)) => {
            let most = lines::most_lines(data);
            for row in &errors.rows {
                assert!(
                    row.line >= 1 && row.line <= most,
                    "line {} of {most}",
                    row.line
                );
            }
        }
        Err(other) => panic!("an import failed for another reason than its rows: {other}"),
    }
});
