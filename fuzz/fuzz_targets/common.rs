//! Shared by the targets: a till to import into, and what an import's answer may be.
// Each target uses what it needs of this.
#![allow(dead_code)]

use std::sync::{Mutex, OnceLock};

use fairtill_store::{StoreError, Till};

/// One in-memory till for the whole run (opening one per input would be most of the work).
pub fn till() -> &'static Mutex<Till> {
    static TILL: OnceLock<Mutex<Till>> = OnceLock::new();
    TILL.get_or_init(|| {
        Mutex::new(Till::open(std::path::Path::new(":memory:")).expect("an in-memory till"))
    })
}

/// The most lines `data` can have, counting LF, CR LF and a lone CR each as one line end.
pub fn most_lines(data: &[u8]) -> u64 {
    let ends = data
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && data.get(i + 1) != Some(&b'\n')))
        .count();
    u64::try_from(ends).unwrap_or(u64::MAX).saturating_add(1)
}

/// An import of `data` either succeeded or named its bad rows by lines the file has.
pub fn check_import<T>(result: Result<T, StoreError>, data: &[u8]) {
    match result {
        Ok(_) => {}
        Err(StoreError::Import(errors)) => {
            let most = most_lines(data);
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
}
