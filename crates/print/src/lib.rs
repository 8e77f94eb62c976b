//! fairtill-print: receipts on a thermal printer.
//!
//! A [`Receipt`](fairtill_core::receipt::Receipt) (the same one the server emails) is laid out
//! for 58 or 80 mm paper as ESC/POS bytes by [`layout::render`], with its number as a QR code or
//! a barcode and a cut at the end; [`send::send`] hands the bytes to a printer on the network
//! (raw TCP, port 9100) or a USB printer device, asking a network printer first whether it can
//! print, so "out of paper" and "cover open" come back as clear errors. Nothing here touches the
//! sale: the till prints after the sale is durable, and a failed print loses nothing.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod error;
pub mod layout;
pub mod send;

pub use error::PrintError;
pub use layout::{render, AtTheTill, Layout};
pub use send::{send, Target};
