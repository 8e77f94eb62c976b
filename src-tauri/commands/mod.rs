//! Tauri commands: parse, call the store or the sync client, map errors to `{ code, message }`.

pub mod sync;
pub mod till;
