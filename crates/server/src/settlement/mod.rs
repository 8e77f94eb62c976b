//! Settlement files from card processors and other sales systems: reading them (built-in
//! formats or a saved column mapping) and matching their rows to the tills' transactions.
//! Storing imports and matches is in `storage::settlement`.

pub mod formats;
pub mod matching;
pub mod read;
