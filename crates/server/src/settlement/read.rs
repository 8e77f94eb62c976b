//! Reading a settlement file with a [`ColumnMapping`]: every payment and refund, or every bad
//! row with its line number (a file is taken whole or not at all).
//!
//! Amounts are read as exports write them: `$22.50`, `"$1,149.00 "`, `($33.62)`, `-75,57`.
//! Times without a zone are read as UTC; an export in local time is still found, because
//! suggestions look within a window of hours either side.

use fairtill_core::money::{Currency, Money};
use fairtill_core::Decimal;
use fairtill_core::Timestamp;
use fairtill_protocol::{ColumnMapping, SettlementKind, SettlementRow};
use jiff::civil;

use super::formats::find;
use fairtill_core::csv_text::{delimiter, Lines, BOM};

/// A bad row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Its line in the file.
    pub line: u64,
    /// What is wrong, in words.
    pub message: String,
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not text, or no header.
    #[error("{0}")]
    File(String),
    /// A column the mapping needs is not in the header.
    #[error("the file has no {what} column (looked for {names})")]
    MissingColumn {
        /// Which value.
        what: &'static str,
        /// The header names tried.
        names: String,
    },
    /// The file names no currency and none was given.
    #[error("this file has no currency column: say which currency its amounts are in")]
    NeedsCurrency,
    /// Rows that could not be read; nothing was imported.
    #[error("{} rows could not be read, nothing was imported; first: line {}: {}", .0.len(), .0[0].line, .0[0].message)]
    Rows(Vec<RowError>),
}

/// What a file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFile {
    /// Payments and refunds, in file order.
    pub rows: Vec<SettlementRow>,
    /// Rows that moved no money through the processor.
    pub skipped: u64,
}

/// A CSV reader over `bytes`: byte-order mark dropped, rows of any length, the delimiter the
/// header line uses.
fn reader(bytes: &[u8]) -> csv::Reader<Lines<&[u8]>> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter(bytes))
        .from_reader(Lines::new(bytes))
}

/// The reader's header, trimmed.
fn header_of(reader: &mut csv::Reader<Lines<&[u8]>>) -> Result<Vec<String>, ReadError> {
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| {
            ReadError::File("the file is not CSV text in UTF-8; export it again as CSV".into())
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(ReadError::File("the file is empty".into()));
    }
    Ok(header)
}

/// The header of a file, trimmed (to recognise its format).
pub fn header(bytes: &[u8]) -> Result<Vec<String>, ReadError> {
    header_of(&mut reader(bytes))
}

/// Reads `bytes` with `mapping`. `currency` is used where the file names none.
pub fn read(
    bytes: &[u8],
    mapping: &ColumnMapping,
    currency: Option<Currency>,
) -> Result<ReadFile, ReadError> {
    let mut reader = reader(bytes);
    let header = header_of(&mut reader)?;
    let column = |what: &'static str, names: &Vec<String>| {
        find(&header, names).ok_or_else(|| ReadError::MissingColumn {
            what,
            names: names.join(", "),
        })
    };
    let optional = |names: &Vec<String>| find(&header, names);
    let reference = column("reference", &mapping.reference)?;
    let amount = column("amount", &mapping.amount)?;
    let date = column("date", &mapping.date)?;
    let time = optional(&mapping.time);
    let kind = optional(&mapping.kind);
    if !mapping.kind.is_empty() && kind.is_none() {
        column("kind", &mapping.kind)?;
    }
    let currency_column = optional(&mapping.currency);
    if currency_column.is_none() && currency.is_none() {
        return Err(ReadError::NeedsCurrency);
    }
    let last4 = optional(&mapping.last4);
    let approval = optional(&mapping.approval_code);
    let skips: Vec<(usize, &Vec<String>)> = mapping
        .skip
        .iter()
        .filter_map(|rule| optional(&rule.column).map(|i| (i, &rule.values)))
        .collect();
    let is_one_of =
        |value: &str, list: &[String]| list.iter().any(|v| v.eq_ignore_ascii_case(value));

    let mut out = ReadFile {
        rows: Vec::new(),
        skipped: 0,
    };
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| reader.get_mut().line_at(p.byte()));
                errors.push(RowError {
                    line,
                    message: "the row is not readable text".into(),
                });
                continue;
            }
        }
        let line = record
            .position()
            .map_or(0, |p| reader.get_mut().line_at(p.byte()));
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if skips.iter().any(|(i, values)| is_one_of(cell(*i), values)) {
            out.skipped += 1;
            continue;
        }
        let stated = match kind.map(cell) {
            None => None,
            Some(k) if is_one_of(k, &mapping.refund_kinds) => Some(SettlementKind::Refund),
            Some(k) if mapping.payment_kinds.is_empty() || is_one_of(k, &mapping.payment_kinds) => {
                Some(SettlementKind::Payment)
            }
            Some(_) => {
                out.skipped += 1;
                continue;
            }
        };
        let mut fail = |message: String| errors.push(RowError { line, message });
        let Some(value) = parse_amount(cell(amount)) else {
            fail(format!("the amount {:?} is not a number", cell(amount)));
            continue;
        };
        let kind = match (stated, value.is_sign_negative()) {
            _ if value.is_zero() => {
                out.skipped += 1;
                continue;
            }
            (Some(SettlementKind::Refund), _) | (None, true) => SettlementKind::Refund,
            (Some(SettlementKind::Payment) | None, false) => SettlementKind::Payment,
            // Money going out that is not a refund (a purchase, a fee): not a sale.
            (Some(SettlementKind::Payment), true) => {
                out.skipped += 1;
                continue;
            }
        };
        let row_currency = match currency_column.map(cell) {
            Some(code) if !code.is_empty() => match Currency::from_code(&code.to_ascii_uppercase())
            {
                Ok(c) => c,
                Err(_) => {
                    fail(format!("{code:?} is not a currency code"));
                    continue;
                }
            },
            _ => match currency {
                Some(c) => c,
                None => {
                    fail("the row has no currency".into());
                    continue;
                }
            },
        };
        let money = match Money::from_decimal(value.abs(), row_currency) {
            Ok(m) => m,
            Err(_) => {
                fail(format!(
                    "the amount {:?} has more decimals than {} allows",
                    cell(amount),
                    row_currency.code()
                ));
                continue;
            }
        };
        // A spreadsheet that re-saved an export may have emptied its id columns: the row is
        // still money that moved, matched by amount, currency and time instead.
        let reference_text = cell(reference);
        let Some(at) = parse_time(cell(date), time.map(cell), mapping.day_first) else {
            fail(format!(
                "the date {:?} is not a date this reader knows (e.g. 2026-11-22 14:05:00, 22.11.2026, 11/22/2026)",
                [cell(date), time.map(cell).unwrap_or("")].join(" ").trim()
            ));
            continue;
        };
        let digits = |i: Option<usize>| {
            i.map(cell).and_then(|v| {
                let d: String = v.chars().filter(char::is_ascii_digit).collect();
                (d.len() >= 4).then(|| d[d.len() - 4..].to_string())
            })
        };
        out.rows.push(SettlementRow {
            line,
            kind,
            reference: reference_text.to_string(),
            amount: money,
            at,
            last4: digits(last4),
            approval_code: approval
                .map(cell)
                .filter(|v| !v.is_empty())
                .map(str::to_string),
        });
    }
    if !errors.is_empty() {
        return Err(ReadError::Rows(errors));
    }
    Ok(out)
}

/// An amount as exports write it, signed; `None` if it is not one.
pub fn parse_amount(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let negative = (t.starts_with('(') && t.ends_with(')')) || t.contains('-');
    let kept: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    if !kept.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    // Which of '.' and ',' is the decimal mark: the last one, unless it is a lone ','
    // followed by three digits (1,149) or the mark repeats (1.234.567).
    let last_dot = kept.rfind('.');
    let last_comma = kept.rfind(',');
    let count = |c: char| kept.chars().filter(|x| *x == c).count();
    let decimal_mark = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => (count('.') == 1).then_some('.'),
        (None, Some(c)) => (count(',') == 1 && kept.len() - c - 1 != 3).then_some(','),
        (None, None) => None,
    };
    let plain: String = kept
        .chars()
        .filter_map(|c| match c {
            '.' | ',' if Some(c) == decimal_mark => Some('.'),
            '.' | ',' => None,
            d => Some(d),
        })
        .collect();
    let value: Decimal = plain.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// A date (and time) as exports write them, read as UTC.
pub fn parse_time(date: &str, time: Option<&str>, day_first: bool) -> Option<Timestamp> {
    let text = match time.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => format!("{} {t}", date.trim()),
        None => date.trim().to_string(),
    };
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    let with_time: &[&str] = if day_first {
        &[
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M",
            "%d/%m/%Y %H:%M:%S",
            "%d/%m/%Y %H:%M",
        ]
    } else {
        &[
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M",
            "%m/%d/%Y %H:%M:%S",
            "%m/%d/%Y %H:%M",
        ]
    };
    let date_only: &[&str] = if day_first {
        &["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]
    } else {
        &["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y"]
    };
    let civil = with_time
        .iter()
        .find_map(|f| civil::DateTime::strptime(f, &text).ok())
        .or_else(|| {
            date_only
                .iter()
                .find_map(|f| civil::Date::strptime(f, &text).ok())
                .map(|d| d.to_datetime(civil::Time::midnight()))
        })?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bad row is named by the line it is on, with LF, CRLF (Excel's) or both, also after a
    /// quoted field that holds a line break; good rows keep their lines too.
    #[test]
    fn a_bad_row_is_named_by_its_line_whatever_the_line_endings() {
        let mapping = super::super::formats::named("Stripe payments").unwrap();
        let header = "id,Created date (UTC),Amount,Currency,Description";
        let rows = [
            "pi_1,2026-05-01 10:00:00,12.50,usd,\"two\nlines\"",
            "pi_2,2026-05-01 11:00:00,5.00,usd,",
            "pi_3,2026-05-01 12:00:00,lots,usd,",
        ];
        for (name, ending) in [("LF", "\n"), ("CRLF", "\r\n")] {
            let file = format!("{header}{ending}{}{ending}", rows.join(ending));
            let good = format!("{header}{ending}{}{ending}", rows[..2].join(ending));
            let read_good = read(good.as_bytes(), &mapping, None).unwrap();
            let lines: Vec<u64> = read_good.rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, [2, 4], "{name}");
            match read(file.as_bytes(), &mapping, None) {
                Err(ReadError::Rows(errors)) => {
                    assert_eq!(errors.len(), 1, "{name}: {errors:?}");
                    assert_eq!(errors[0].line, 5, "{name}: {errors:?}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let mixed = format!("{header}\r\n{}\n{}\r\n{}\n", rows[0], rows[1], rows[2]);
        match read(mixed.as_bytes(), &mapping, None) {
            Err(ReadError::Rows(errors)) => assert_eq!(errors[0].line, 5, "mixed: {errors:?}"),
            other => panic!("mixed: {other:?}"),
        }
    }

    #[test]
    fn amounts_read_as_exports_write_them() {
        let d = |s: &str| parse_amount(s).map(|d| d.to_string());
        assert_eq!(d("$22.50").as_deref(), Some("22.50"));
        assert_eq!(d("\"$1,149.00 \"").as_deref(), Some("1149.00"));
        assert_eq!(d("($33.62)").as_deref(), Some("-33.62"));
        assert_eq!(d("-75,57").as_deref(), Some("-75.57"));
        assert_eq!(d("1.234,56").as_deref(), Some("1234.56"));
        assert_eq!(d("1,149").as_deref(), Some("1149"));
        assert_eq!(d("2.0").as_deref(), Some("2.0"));
        assert_eq!(d("abc"), None);
        assert_eq!(d(""), None);
    }

    #[test]
    fn dates_read_as_exports_write_them() {
        let t = |d: &str, time: Option<&str>, day_first: bool| {
            parse_time(d, time, day_first).map(|t| t.to_string())
        };
        assert_eq!(
            t("2025-10-12 17:04:11", None, false).as_deref(),
            Some("2025-10-12T17:04:11Z")
        );
        assert_eq!(
            t("2023-10-04 02:14", None, false).as_deref(),
            Some("2023-10-04T02:14:00Z")
        );
        assert_eq!(
            t("26.05.2014", Some("11:57:30"), true).as_deref(),
            Some("2014-05-26T11:57:30Z")
        );
        assert_eq!(
            t("12/27/2018", None, false).as_deref(),
            Some("2018-12-27T00:00:00Z")
        );
        assert_eq!(
            t("2022-11-10", Some("21:50:48"), false).as_deref(),
            Some("2022-11-10T21:50:48Z")
        );
        assert_eq!(t("tomorrow", None, false), None);
    }
}
