//! Why a receipt did not print, in words for the person at the till.

/// A print that did not happen. Each message says what to check; none undoes anything.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The address or device is not one a printer can have.
    #[error("{0}")]
    Setting(String),
    /// Nothing answered at the address, or the device is not there.
    #[error("the printer at {target} does not answer ({reason}): check that it is switched on and connected")]
    Unreachable {
        /// Where it was looked for.
        target: String,
        /// What the system said.
        reason: String,
    },
    /// The printer says its paper ran out.
    #[error("the printer at {0} is out of paper: load a new roll and print again")]
    OutOfPaper(String),
    /// The printer says its cover is open.
    #[error("the printer at {0} has its cover open: close it and print again")]
    CoverOpen(String),
    /// The printer says it is off line for another reason (an error, a jam, the cutter).
    #[error("the printer at {0} reports an error: check it (paper jam, cutter) and print again")]
    Offline(String),
    /// The printer took the connection but not the whole receipt in time.
    #[error(
        "the printer at {target} stopped taking the receipt ({reason}): check it and print again"
    )]
    Interrupted {
        /// Where it was sent.
        target: String,
        /// What the system said.
        reason: String,
    },
    /// The receipt could not be laid out (a bug, not the printer's fault).
    #[error("the receipt could not be laid out for printing: {0}")]
    Layout(String),
}

impl From<escpos::errors::PrinterError> for PrintError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        PrintError::Layout(e.to_string())
    }
}
