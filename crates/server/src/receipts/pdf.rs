//! The receipt as a PDF (A4), written with `pdf-writer` (typst's maintained PDF writer: correct
//! objects, cross-reference table and streams, no layout engine it would bring along). Text is
//! set in the standard fonts every PDF reader has (Helvetica, and Courier for amounts, whose
//! fixed width lets them be right-aligned without font metrics), in WinAnsi encoding: Latin
//! letters with accents, €, • and dashes show as they are; anything else shows as `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::{Entry, Receipt};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 56.0;
const RIGHT: f32 = WIDTH - 56.0;
const BOTTOM: f32 = 64.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
const MONO: Name<'static> = Name(b"F3");

/// A character in WinAnsi (Windows-1252), the encoding of the standard fonts.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '™' => 0x99,
        '\t' | '\n' | '\r' => b' ',
        _ => b'?',
    }
}

fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

/// Pages of text, written top to bottom, a new page when one is full.
struct Pages {
    done: Vec<Content>,
    page: Content,
    y: f32,
}

impl Pages {
    fn new() -> Pages {
        Pages {
            done: Vec::new(),
            page: Content::new(),
            y: HEIGHT - 64.0,
        }
    }

    /// Room for `height` more points, on a new page if needed.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            let full = std::mem::replace(&mut self.page, Content::new());
            self.done.push(full);
            self.y = HEIGHT - 64.0;
        }
    }

    fn text(&mut self, font: Name<'_>, size: f32, x: f32, text: &str) {
        self.page
            .begin_text()
            .set_font(font, size)
            .next_line(x, self.y)
            .show(Str(&encode(text)))
            .end_text();
    }

    /// Text in Courier ending at `right`.
    fn right(&mut self, size: f32, right: f32, text: &str) {
        let width = text.chars().count() as f32 * 0.6 * size;
        self.text(MONO, size, right - width, text);
    }

    fn rule(&mut self) {
        self.page
            .set_line_width(0.5)
            .move_to(LEFT, self.y + 4.0)
            .line_to(RIGHT, self.y + 4.0)
            .stroke();
        self.y -= 8.0;
    }

    fn down(&mut self, by: f32) {
        self.y -= by;
    }

    fn finish(mut self) -> Vec<Content> {
        self.done.push(self.page);
        self.done
    }
}

fn label_and_amount(p: &mut Pages, label: &str, amount: &str, bold: bool) {
    p.room(16.0);
    p.text(if bold { BOLD } else { REGULAR }, 10.5, LEFT + 260.0, label);
    p.right(10.5, RIGHT, amount);
    p.down(15.0);
}

fn entries(p: &mut Pages, title: &str, entries: &[Entry]) {
    if entries.is_empty() {
        return;
    }
    p.room(40.0);
    p.down(8.0);
    p.text(BOLD, 11.0, LEFT, title);
    p.down(16.0);
    for e in entries {
        p.room(16.0);
        let what = match &e.note {
            Some(note) => format!("{} ({note})", e.method),
            None => e.method.clone(),
        };
        p.text(REGULAR, 10.0, LEFT, &what);
        p.right(10.0, RIGHT, &e.amount);
        p.down(15.0);
    }
}

/// The receipt as a PDF document.
pub fn render(r: &Receipt) -> Vec<u8> {
    let mut p = Pages::new();
    p.text(BOLD, 16.0, LEFT, &r.seller.name);
    p.down(18.0);
    for line in &r.seller.address {
        p.text(REGULAR, 10.0, LEFT, line);
        p.down(13.0);
    }
    if let Some(tax_id) = &r.seller.tax_id {
        p.text(REGULAR, 10.0, LEFT, &format!("Tax number: {tax_id}"));
        p.down(13.0);
    }
    p.down(14.0);
    p.text(BOLD, 13.0, LEFT, &format!("Receipt {}", r.number));
    p.down(16.0);
    p.text(REGULAR, 10.0, LEFT, &r.date);
    p.down(13.0);
    if let Some(name) = &r.customer_name {
        p.text(REGULAR, 10.0, LEFT, &format!("Customer: {name}"));
        p.down(13.0);
    }
    p.down(12.0);
    p.text(BOLD, 10.0, LEFT, "Item");
    p.text(BOLD, 10.0, LEFT + 260.0, "Qty");
    p.text(BOLD, 10.0, LEFT + 300.0, "Price");
    p.right(10.0, RIGHT, "Amount");
    p.down(6.0);
    p.rule();
    p.down(6.0);
    for line in &r.lines {
        p.room(30.0);
        p.text(REGULAR, 10.5, LEFT, &line.name);
        p.text(REGULAR, 10.5, LEFT + 260.0, &line.quantity.to_string());
        p.text(REGULAR, 10.5, LEFT + 300.0, &line.unit_price);
        p.right(10.5, RIGHT, &line.amount);
        p.down(14.0);
        if let Some(discount) = &line.discount {
            p.text(REGULAR, 9.0, LEFT + 12.0, &format!("Discount {discount}"));
            p.down(13.0);
        }
    }
    p.rule();
    p.down(4.0);
    label_and_amount(&mut p, "Subtotal", &r.subtotal, false);
    if let Some(discount) = &r.discount {
        label_and_amount(&mut p, "Discounts", &format!("-{discount}"), false);
    }
    label_and_amount(&mut p, &r.tax_label, &r.tax, false);
    label_and_amount(&mut p, "Total", &r.total, true);
    entries(&mut p, "Payments", &r.payments);
    entries(&mut p, "Refunds", &r.refunds);
    if let Some(due) = &r.balance_due {
        p.down(6.0);
        label_and_amount(&mut p, "Still due", due, true);
    }
    p.room(30.0);
    p.down(16.0);
    p.text(REGULAR, 9.0, LEFT, &format!("Status: {}", r.status));

    let pages = p.finish();
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let fonts = [Ref::new(3), Ref::new(4), Ref::new(5)];
    let info = Ref::new(6);
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i32::try_from(i).unwrap_or(0)))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(i32::try_from(pages.len()).unwrap_or(1));
    for (font, base) in
        fonts
            .iter()
            .zip([&b"Helvetica"[..], &b"Helvetica-Bold"[..], &b"Courier"[..]])
    {
        pdf.type1_font(*font)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(&format!("Receipt {}", r.number)))
        .producer(TextStr("Fairtill"));
    for (content, page_id) in pages.into_iter().zip(&page_ids) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut names = resources.fonts();
        names.pair(REGULAR, fonts[0]);
        names.pair(BOLD, fonts[1]);
        names.pair(MONO, fonts[2]);
        names.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_encoded_for_the_standard_fonts() {
        assert_eq!(encode("Müller €5 • ok"), b"M\xfcller \x805 \x95 ok");
        assert_eq!(encode("日本"), b"??");
    }
}
