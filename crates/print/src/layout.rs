//! A receipt laid out for a thermal printer: text in the printer's standard font (32 columns on
//! 58 mm paper, 48 on 80 mm) in code page Windows-1252 (ESC t 16: Western European with €, and
//! typographic quotes and bullets), the receipt number as a QR code or a CODE39 barcode, and a
//! partial cut. The bytes come from the `escpos` crate. (Its table for code page 858 maps the
//! ASCII hyphen to 0xF0, so receipt numbers would print with a soft hyphen; its 1252 table is
//! right.)

use std::sync::{Arc, Mutex};

use escpos::driver::Driver;
use escpos::errors::Result as EscResult;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    BarcodeFont, BarcodeHeight, BarcodeOption, BarcodePosition, BarcodeWidth, JustifyMode,
    PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};
use fairtill_core::receipt::{Entry, Paper, Receipt, ReceiptCode};

use crate::PrintError;

/// How a receipt is printed: the paper's width and what carries its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// 58 or 80 mm.
    pub paper: Paper,
    /// QR code, barcode or neither.
    pub code: ReceiptCode,
}

/// What only the till knows, printed under the payments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtTheTill {
    /// Who served ("Sam").
    pub staff: Option<String>,
    /// Cash handed over, for a cash sale.
    pub tendered: Option<String>,
    /// Change given.
    pub change: Option<String>,
}

/// A driver that keeps what the printer would receive.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<u8>>>);

impl Driver for Capture {
    fn name(&self) -> String {
        "capture".into()
    }

    fn write(&self, data: &[u8]) -> EscResult<()> {
        self.0.lock()?.extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> EscResult<usize> {
        Ok(0)
    }

    fn flush(&self) -> EscResult<()> {
        Ok(())
    }
}

impl Capture {
    pub(crate) fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

/// The characters Windows-1252 has beyond ASCII; anything else is printed as its nearest ASCII
/// or `?` (a printer given UTF-8 prints gibberish).
const CP1252: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ";

/// `text` in characters the printer has.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c,
            '−' | '\u{2010}' | '\u{2011}' => '-',
            '\u{a0}' | '\t' => ' ',
            c if CP1252.contains(c) => c,
            _ => '?',
        })
        .collect()
}

/// `left` and `right` on one line of `width` columns, `right` flush right; a `left` too long
/// for both goes on lines of its own above.
fn row(left: &str, right: &str, width: usize) -> Vec<String> {
    let (left, right) = (printable(left), printable(right));
    let (l, r) = (left.chars().count(), right.chars().count());
    if l + 1 + r <= width {
        return vec![format!("{left}{}{right}", " ".repeat(width - l - r))];
    }
    let mut lines = wrap(&left, width);
    lines.push(format!("{right:>width$}"));
    lines
}

/// `text` cut into lines of at most `width` columns, at spaces where it can be; its leading
/// spaces indent every line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let text = printable(text);
    let rest = text.trim_start_matches(' ');
    let indent = (text.len() - rest.len()).min(width / 2);
    let pad = " ".repeat(indent);
    wrap_words(rest, width - indent)
        .into_iter()
        .map(|l| format!("{pad}{l}"))
        .collect()
}

fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        let used = line.chars().count();
        if used > 0 && used + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn entry(e: &Entry, width: usize) -> Vec<String> {
    let left = match &e.note {
        Some(note) => format!("{} ({note})", e.method),
        None => e.method.clone(),
    };
    row(&left, &e.amount, width)
}

/// The ESC/POS bytes of `receipt` laid out as `layout` says, with what only the till knows.
pub fn render(receipt: &Receipt, till: &AtTheTill, layout: &Layout) -> Result<Vec<u8>, PrintError> {
    let width = layout.paper.columns();
    let capture = Capture::default();
    let columns = u8::try_from(width).unwrap_or(u8::MAX);
    let options = PrinterOptions::new(Some(PageCode::WPC1252), None, columns);
    let mut p = Printer::new(capture.clone(), Protocol::default(), Some(options));
    let rule = "-".repeat(width);
    let lines = |p: &mut Printer<Capture>, lines: Vec<String>| -> Result<(), PrintError> {
        for line in lines {
            p.writeln(&line)?;
        }
        Ok(())
    };

    p.init()?.justify(JustifyMode::CENTER)?;
    if !receipt.seller.name.is_empty() {
        p.bold(true)?.size(2, 2)?;
        lines(&mut p, wrap(&receipt.seller.name, width / 2))?;
        p.reset_size()?.bold(false)?;
    }
    for line in &receipt.seller.address {
        lines(&mut p, wrap(line, width))?;
    }
    if let Some(tax_id) = &receipt.seller.tax_id {
        lines(&mut p, wrap(&format!("Tax id {tax_id}"), width))?;
    }
    p.feed()?.justify(JustifyMode::LEFT)?;
    lines(&mut p, row("Receipt", &receipt.number, width))?;
    lines(&mut p, row("Date", &receipt.date, width))?;
    if let Some(staff) = till.staff.as_deref().filter(|s| !s.is_empty()) {
        lines(&mut p, row("Served by", staff, width))?;
    }
    if let Some(name) = &receipt.customer_name {
        lines(&mut p, row("Customer", name, width))?;
    }
    p.writeln(&rule)?;
    for line in &receipt.lines {
        lines(
            &mut p,
            row(
                &format!("{} x {}", line.quantity, line.name),
                &line.amount,
                width,
            ),
        )?;
        if line.quantity > 1 {
            lines(&mut p, wrap(&format!("  {} each", line.unit_price), width))?;
        }
        if let Some(off) = &line.discount {
            lines(&mut p, row("  Discount", &format!("-{off}"), width))?;
        }
    }
    p.writeln(&rule)?;
    lines(&mut p, row("Subtotal", &receipt.subtotal, width))?;
    if let Some(off) = &receipt.discount {
        lines(&mut p, row("Discounts", &format!("-{off}"), width))?;
    }
    lines(&mut p, row(&receipt.tax_label, &receipt.tax, width))?;
    p.bold(true)?;
    lines(&mut p, row("TOTAL", &receipt.total, width))?;
    p.bold(false)?.writeln(&rule)?;
    for payment in &receipt.payments {
        lines(&mut p, entry(payment, width))?;
    }
    if let Some(tendered) = &till.tendered {
        lines(&mut p, row("Cash handed over", tendered, width))?;
    }
    if let Some(change) = &till.change {
        p.bold(true)?;
        lines(&mut p, row("Change", change, width))?;
        p.bold(false)?;
    }
    if !receipt.refunds.is_empty() {
        p.writeln("Refunds")?;
        for refund in &receipt.refunds {
            lines(&mut p, entry(refund, width))?;
        }
    }
    if let Some(due) = &receipt.balance_due {
        p.bold(true)?;
        lines(&mut p, row("Still due", due, width))?;
        p.bold(false)?;
    }
    p.feed()?.justify(JustifyMode::CENTER)?;
    let number = receipt.number.to_ascii_uppercase();
    match layout.code {
        ReceiptCode::Qr => {
            let size = match layout.paper {
                Paper::Mm58 => 5,
                Paper::Mm80 => 6,
            };
            let option = QRCodeOption::new(QRCodeModel::Model2, size, QRCodeCorrectionLevel::M);
            p.qrcode_option(&receipt.number, option)?;
        }
        ReceiptCode::Barcode => {
            let width = match layout.paper {
                Paper::Mm58 => BarcodeWidth::XS,
                Paper::Mm80 => BarcodeWidth::S,
            };
            let option = BarcodeOption::new(
                width,
                BarcodeHeight::S,
                BarcodeFont::A,
                BarcodePosition::Below,
            );
            p.code39_option(&number, option)?;
        }
        ReceiptCode::None => {}
    }
    p.writeln("Thank you!")?.feeds(3)?.partial_cut()?.print()?;
    Ok(capture.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fit_the_paper_and_long_names_wrap_above_their_amount() {
        assert_eq!(row("Tea", "2.00 EUR", 16), vec!["Tea     2.00 EUR"]);
        assert_eq!(
            row("1 x A very long product name", "12.00 EUR", 16),
            vec!["1 x A very long", "product name", "       12.00 EUR"]
        );
    }

    #[test]
    fn text_is_kept_to_what_windows_1252_has() {
        assert_eq!(printable("Müller • 5 € − ok"), "Müller • 5 € - ok");
        assert_eq!(printable("日本"), "??");
    }

    #[test]
    fn words_longer_than_a_line_are_cut_and_an_indent_is_kept() {
        assert_eq!(wrap("abcdefghij kl", 4), vec!["abcd", "efgh", "ij", "kl"]);
        assert_eq!(wrap("  12.50 EUR each", 12), vec!["  12.50 EUR", "  each"]);
    }
}
