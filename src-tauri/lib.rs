//! Fairtill desktop shell.
pub fn run() {}
