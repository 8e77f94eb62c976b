//! This till's receipt printer ([`PrinterSettings`]): where it is, its paper, what carries the
//! receipt number, whether every sale prints, and the seller's details at the top. Where the
//! address points is checked by the app (fairtill-print) before it is saved.

use fairtill_core::receipt::{Paper, ReceiptCode, Seller};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::till::Till;

/// The till's receipt printer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PrinterSettings {
    /// `192.168.1.50:9100` or `/dev/usb/lp0`; empty: no receipt printer.
    pub address: String,
    /// The paper's width.
    pub paper: Paper,
    /// What carries the receipt number.
    pub code: ReceiptCode,
    /// Print a receipt after every sale, without pressing P.
    pub auto_print: bool,
    /// The business's name at the top (empty: the event's name).
    pub seller_name: String,
    /// Its address, a line each.
    pub seller_address: Vec<String>,
    /// Its tax number, if printed.
    pub tax_id: String,
}

impl PrinterSettings {
    /// The seller as receipts name them, `fallback` (the event's name) when none is set.
    pub fn seller(&self, fallback: &str) -> Seller {
        let name = if self.seller_name.trim().is_empty() {
            fallback
        } else {
            &self.seller_name
        };
        Seller {
            name: name.trim().to_string(),
            address: self.seller_address.clone(),
            tax_id: Some(self.tax_id.trim().to_string()).filter(|t| !t.is_empty()),
        }
    }
}

fn paper_name(p: Paper) -> &'static str {
    match p {
        Paper::Mm58 => "mm58",
        Paper::Mm80 => "mm80",
    }
}

fn code_name(c: ReceiptCode) -> &'static str {
    match c {
        ReceiptCode::Qr => "qr",
        ReceiptCode::Barcode => "barcode",
        ReceiptCode::None => "none",
    }
}

fn check(what: &str, text: &str, most: usize) -> Result<()> {
    if text.chars().count() > most {
        return Err(StoreError::Invalid(format!(
            "the {what} is too long ({most} characters at most)"
        )));
    }
    Ok(())
}

impl Till {
    /// The receipt printer's settings.
    pub fn printer(&self) -> Result<PrinterSettings> {
        self.conn
            .prepare_cached(
                "SELECT address, paper, code, auto_print, seller_name, seller_address, tax_id
                 FROM printer_settings WHERE singleton = 1",
            )?
            .query_row([], |r| {
                let paper: String = r.get(1)?;
                let code: String = r.get(2)?;
                let address: String = r.get(5)?;
                Ok(PrinterSettings {
                    address: r.get(0)?,
                    paper: if paper == "mm58" {
                        Paper::Mm58
                    } else {
                        Paper::Mm80
                    },
                    code: match code.as_str() {
                        "barcode" => ReceiptCode::Barcode,
                        "none" => ReceiptCode::None,
                        _ => ReceiptCode::Qr,
                    },
                    auto_print: r.get(3)?,
                    seller_name: r.get(4)?,
                    seller_address: address
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string)
                        .collect(),
                    tax_id: r.get(6)?,
                })
            })
            .map_err(StoreError::from)
    }

    /// Saves the receipt printer's settings (texts trimmed, blank address lines dropped).
    pub fn set_printer(&mut self, settings: &PrinterSettings) -> Result<PrinterSettings> {
        let address = settings.address.trim();
        check("printer's address", address, 200)?;
        check("business name", settings.seller_name.trim(), 80)?;
        check("tax id", settings.tax_id.trim(), 40)?;
        let lines: Vec<&str> = settings
            .seller_address
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() > 4 {
            return Err(StoreError::Invalid(
                "the address has more than 4 lines".into(),
            ));
        }
        for line in &lines {
            check("address line", line, 80)?;
        }
        self.conn.execute(
            "UPDATE printer_settings SET address = ?1, paper = ?2, code = ?3, auto_print = ?4,
                 seller_name = ?5, seller_address = ?6, tax_id = ?7 WHERE singleton = 1",
            params![
                address,
                paper_name(settings.paper),
                code_name(settings.code),
                settings.auto_print,
                settings.seller_name.trim(),
                lines.join("\n"),
                settings.tax_id.trim()
            ],
        )?;
        self.printer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_settings_are_kept_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut till = Till::open(&dir.path().join("t.db")).unwrap();
        assert_eq!(till.printer().unwrap(), PrinterSettings::default());
        let saved = till
            .set_printer(&PrinterSettings {
                address: " 192.168.1.50:9100 ".into(),
                paper: Paper::Mm58,
                code: ReceiptCode::Barcode,
                auto_print: true,
                seller_name: "Müller Crafts".into(),
                seller_address: vec!["Hall 3".into(), "  ".into(), "Frankfurt".into()],
                tax_id: "DE123".into(),
            })
            .unwrap();
        assert_eq!(saved.address, "192.168.1.50:9100");
        assert_eq!(saved.seller_address, vec!["Hall 3", "Frankfurt"]);
        assert_eq!(till.printer().unwrap(), saved);
        assert_eq!(saved.seller("Fair").name, "Müller Crafts");
        let e = till
            .set_printer(&PrinterSettings {
                seller_name: "x".repeat(81),
                ..saved.clone()
            })
            .unwrap_err();
        assert!(e.to_string().contains("too long"), "{e}");
        assert_eq!(
            till.printer().unwrap(),
            saved,
            "a refused change changes nothing"
        );
    }
}
