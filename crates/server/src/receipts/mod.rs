//! Receipts sent by email: the receipt as the customer reads it ([`Receipt`], built from the
//! order's view across tills), its PDF ([`pdf`]), and the operator's templates for the message
//! ([`templates`]).

pub mod pdf;
pub mod templates;

pub use fairtill_core::receipt::{method_label, Entry, Line, Receipt, Seller};
