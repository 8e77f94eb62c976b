//! CSV text as other systems write it: the separator a file uses (comma, semicolon or tab),
//! a byte-order mark, a decimal comma, and each record's line counted exactly.
//!
//! The line: wrap the input in [`Lines`] and ask which line the record the csv crate read
//! starts on. The `csv` crate's own record lines count a file with CRLF line endings (what Excel
//! on Windows writes, and RFC 4180's own) one line short, and a file that mixes both somewhere
//! in between; its byte offset for a record is where it resumed reading, before the line break
//! and any blank lines it skipped, so the line is counted from the first byte after those.

use std::collections::VecDeque;
use std::io::{BufRead, Read};

/// A reader that keeps what it passed on since the last offset asked about, so the line of a
/// record's first byte can be told.
#[derive(Debug)]
pub struct Lines<R> {
    inner: R,
    /// Bytes passed on and not yet looked past, from offset `kept_from`.
    kept: VecDeque<u8>,
    kept_from: u64,
    /// The line `kept_from` is on (1 for the first).
    line: u64,
}

impl<R> Lines<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Lines<R> {
        Lines {
            inner,
            kept: VecDeque::new(),
            kept_from: 0,
            line: 1,
        }
    }

    /// The line (1 for the first) of the first byte at or after `offset` that is not a line
    /// break: where a record the csv crate says starts at `offset` really starts. (With CRLF it
    /// gives the offset of the `\n` that ends the line before, and before any blank lines it
    /// skipped.) Offsets must not go backwards between calls and must be within what was read.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.kept_from < offset {
            match self.kept.pop_front() {
                Some(b'\n') => self.line += 1,
                Some(_) => {}
                None => break,
            }
            self.kept_from += 1;
        }
        let breaks = self
            .kept
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count();
        self.line + breaks as u64
    }
}

/// The UTF-8 byte-order mark Excel writes at the start of a "CSV UTF-8" file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Who an export is written for. Excel (and LibreOffice) read a CSV file without a byte-order
/// mark in the computer's local code page, so "Müller" shows as "MÃ¼ller"; with the mark they
/// read it as UTF-8. Scripts and other programs may want the bytes with no mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExportFor {
    /// UTF-8 with a byte-order mark: opens as it is in a spreadsheet (the default).
    #[default]
    Spreadsheet,
    /// Plain UTF-8, for scripts.
    Script,
}

impl ExportFor {
    /// For scripts when `plain` is asked for, else for spreadsheets.
    pub fn plain(plain: bool) -> ExportFor {
        if plain {
            ExportFor::Script
        } else {
            ExportFor::Spreadsheet
        }
    }

    /// The bytes the file starts with, before its header line.
    pub fn preamble(self) -> &'static [u8] {
        match self {
            ExportFor::Spreadsheet => BOM,
            ExportFor::Script => b"",
        }
    }
}

/// The separator the header line uses: comma, semicolon or tab, whichever it has most of
/// (comma when it has none).
pub fn delimiter(bytes: &[u8]) -> u8 {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.iter().filter(|b| *b == d).count())
        .filter(|d| first.contains(d))
        .unwrap_or(b',')
}

/// Drops a byte-order mark at the start of `input` and tells the separator its header line
/// uses, from what is buffered (a header longer than the buffer is read as comma-separated).
pub fn sniff<R: BufRead>(input: &mut R) -> std::io::Result<u8> {
    if input.fill_buf()?.starts_with(BOM) {
        input.consume(BOM.len());
    }
    Ok(delimiter(input.fill_buf()?))
}

/// An amount written with a decimal comma (`12,50`, `1.234,50`), as files separated by
/// semicolons write them, in the decimal point form (`12.50`, `1234.50`); other text as it is.
pub fn decimal_point(text: &str) -> String {
    if !text.contains(',') {
        return text.to_string();
    }
    text.chars()
        .filter_map(|c| match c {
            '.' => None,
            ',' => Some('.'),
            c => Some(c),
        })
        .collect()
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend(&buf[..n]);
        Ok(n)
    }
}

/// Refuses a row with a field holding U+0000 (NUL): no system writes one on purpose, and
/// SQLite's text functions stop at it, so such a field could not be kept as read. Found by
/// fuzzing the product import.
pub fn nul_free<'a>(fields: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    if fields.into_iter().any(|f| f.contains('\0')) {
        return Err(
            "the row holds the character U+0000 (NUL), which no field may hold; remove it".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of each record after the header, read with the csv crate's offsets.
    fn lines_of(text: &str) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new().from_reader(Lines::new(text.as_bytes()));
        reader.headers().unwrap();
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {
                    let at = record.position().unwrap().byte();
                    out.push(reader.get_mut().line_at(at));
                }
                Ok(false) => return out,
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn separators_marks_and_decimal_commas_are_told() {
        assert_eq!(delimiter(b"a,b;c,d\n1;2"), b',');
        assert_eq!(delimiter(b"sku;name;price\r\n"), b';');
        assert_eq!(delimiter(b"sku\tname\n"), b'\t');
        assert_eq!(delimiter(b"sku\n"), b',');
        let mut input = std::io::BufReader::new(&b"\xEF\xBB\xBFsku;price\r\nA;1,20\r\n"[..]);
        assert_eq!(sniff(&mut input).unwrap(), b';');
        let mut rest = String::new();
        input.read_to_string(&mut rest).unwrap();
        assert!(rest.starts_with("sku;"), "{rest:?}");
        assert_eq!(decimal_point("12,50"), "12.50");
        assert_eq!(decimal_point("1.234,50"), "1234.50");
        assert_eq!(decimal_point("-3,5"), "-3.5");
        assert_eq!(decimal_point("12.50"), "12.50");
    }

    #[test]
    fn a_record_is_on_the_line_it_starts_on_whatever_the_line_endings() {
        assert_eq!(lines_of("a,b\n1,2\n3,x\n"), [2, 3]);
        assert_eq!(lines_of("a,b\r\n1,2\r\n3,x\r\n"), [2, 3]);
        assert_eq!(lines_of("a,b\r\n1,2\n3,x\r\n"), [2, 3]);
        // A quoted field that holds a newline: the next record starts two lines on.
        assert_eq!(lines_of("a,b\r\n\"1\r\nz\",2\r\n3,x\r\n"), [2, 4]);
        assert_eq!(lines_of("a,b\n\"1\nz\",2\n3,x"), [2, 4]);
        // Blank lines, which the reader skips.
        assert_eq!(lines_of("a,b\r\n1,2\r\n\r\n\r\n3,x\r\n"), [2, 5]);
        assert_eq!(lines_of("a,b\n1,2\n\n3,x\n"), [2, 4]);
    }
}
