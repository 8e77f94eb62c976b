//! CSV import of historical or external-system sales. Every row is checked first; if any row
//! is bad, each bad row is reported with its line number and reason and nothing is imported.
//! Otherwise all rows are imported in one transaction.
//!
//! Columns (header names, any order, case-insensitive; others are ignored):
//! `created_at`, `amount`, `currency` (required); `item`, `sku`, `quantity`, `method`
//! (`cash`, `card`, `external`), `external_system`, `external_reference`, `card_last4`,
//! `approval_code`, `result`, `kind` (only `sale`), `customer_name`, `customer_email`,
//! `customer_phone`, `staff`, `event_id`, `note`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;

use fairtill_core::csv_text::{decimal_point, sniff, Lines};
use fairtill_core::customer::Customer;
use fairtill_core::event::SaleContext;
use fairtill_core::ids::{EventId, OrderId};
use fairtill_core::ledger::reference::logged_reference;
use fairtill_core::ledger::{
    Command, Fact, Ledger, Payment, PaymentKind, PaymentMethod, Stamp, TxKind, TxResult,
};
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{Order, OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxPolicy};
use fairtill_core::Timestamp;
use rusqlite::TransactionBehavior;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::records;
use crate::till::{truncate_ms, Till};

/// A bad row: its line in the file and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// Every bad row of a refused import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportErrors {
    /// The bad rows, in file order.
    pub rows: Vec<RowError>,
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nothing was imported: {} row(s) have problems",
            self.rows.len()
        )?;
        for r in self.rows.iter().take(50) {
            write!(f, "\n  line {}: {}", r.line, r.reason)?;
        }
        if self.rows.len() > 50 {
            write!(f, "\n  … and {} more", self.rows.len() - 50)?;
        }
        Ok(())
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Sales imported.
    pub imported: u64,
}

struct Row {
    created_at: Timestamp,
    draft: OrderDraft,
    payment_method: PaymentMethod,
    result: TxResult,
    staff: String,
    event_id: Option<EventId>,
}

fn parse_time(text: &str) -> std::result::Result<Timestamp, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(truncate_ms(ts));
    }
    t.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| truncate_ms(z.timestamp()))
        .ok_or_else(|| {
            format!("created_at {t:?} is not a date and time (use 2026-06-01T14:30:00Z)")
        })
}

/// One row; `decimal_comma` when the file is separated by semicolons, as files with decimal
/// commas are.
fn parse_row(
    get: &dyn Fn(&str) -> Option<String>,
    decimal_comma: bool,
) -> std::result::Result<Row, String> {
    let required = |name: &str| get(name).ok_or_else(|| format!("{name} is empty"));
    let created_at = parse_time(&required("created_at")?)?;
    let currency = Currency::from_code(&required("currency")?).map_err(|e| e.to_string())?;
    let amount = required("amount")?;
    let amount = if decimal_comma {
        decimal_point(&amount)
    } else {
        amount
    };
    let amount = Money::parse(&amount, currency).map_err(|e| e.to_string())?;
    amount
        .require_positive("amount")
        .map_err(|e| e.to_string())?;
    if let Some(kind) = get("kind") {
        if !kind.eq_ignore_ascii_case("sale") {
            return Err(format!("kind {kind:?}: only sales can be imported"));
        }
    }
    let quantity: u32 = match get("quantity") {
        Some(q) => q
            .parse()
            .ok()
            .filter(|q| *q >= 1)
            .ok_or_else(|| format!("quantity {q:?} must be a whole number of at least 1"))?,
        None => 1,
    };
    if amount.minor() % i64::from(quantity) != 0 {
        return Err(format!(
            "amount {amount} does not divide evenly into {quantity} units"
        ));
    }
    let unit_price = Money::from_minor(amount.minor() / i64::from(quantity), currency);
    let reference = get("external_reference");
    let method = match get("method").map(|m| m.to_ascii_lowercase()).as_deref() {
        Some("cash") => PaymentMethod::Cash,
        Some("card") => PaymentMethod::Card {
            last4: get("card_last4"),
            approval_code: get("approval_code"),
        },
        Some("external") | None if reference.is_some() => PaymentMethod::External {
            system: get("external_system")
                .ok_or("external_system is empty (which system took the payment?)")?,
            reference: reference.clone().unwrap_or_default(),
        },
        Some("external") => {
            return Err("external_reference is empty for an external payment".into())
        }
        None => PaymentMethod::Cash,
        Some(other) => return Err(format!("method {other:?} must be cash, card or external")),
    };
    let result = match get("result") {
        Some(r) => TxResult::parse(&r.to_ascii_lowercase()).ok_or_else(|| {
            format!("result {r:?} is not one of approved, declined, abandoned, canceled")
        })?,
        None => TxResult::Approved,
    };
    if result == TxResult::Unknown {
        return Err(
            "result unknown cannot be imported; import sales whose outcome is known".into(),
        );
    }
    let customer = Customer {
        name: get("customer_name"),
        email: get("customer_email"),
        phone: get("customer_phone"),
        billing_address: None,
    };
    let event_id = get("event_id")
        .map(|e| {
            e.parse::<EventId>()
                .map_err(|_| format!("event_id {e:?} is not an event id"))
        })
        .transpose()?;
    let draft = OrderDraft {
        currency,
        lines: vec![OrderLine {
            sku: get("sku").unwrap_or_else(|| "IMPORTED".into()),
            name: get("item").unwrap_or_else(|| "Imported sale".into()),
            unit_price,
            quantity,
            tax_category: TaxCategory::Exempt,
            discount: None,
            price_override_reason: None,
        }],
        discount: None,
        tax: TaxPolicy::none(),
        customer: Some(customer),
        note: get("note"),
        referrer: None,
    }
    .with_checked_customer()
    .map_err(|e| e.to_string())?;
    draft.totals().map_err(|e| e.to_string())?;
    Ok(Row {
        created_at,
        draft,
        payment_method: method,
        result,
        staff: get("staff").unwrap_or_else(|| "import".into()),
        event_id,
    })
}

impl Till {
    /// Imports sales from CSV: all rows, or none with every bad row reported.
    pub fn import_csv<R: Read>(&mut self, input: R) -> Result<ImportReport> {
        // As other systems write it: a byte-order mark, semicolons and decimal commas.
        let mut input = std::io::BufReader::new(input);
        let separator = sniff(&mut input).map_err(|e| {
            StoreError::Import(ImportErrors {
                rows: vec![RowError {
                    line: 1,
                    reason: format!("the file could not be read: {e}"),
                }],
            })
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .trim(csv::Trim::All)
            .delimiter(separator)
            .from_reader(Lines::new(input));
        let headers: BTreeMap<String, usize> = reader
            .headers()
            .map_err(|e| {
                StoreError::Import(ImportErrors {
                    rows: vec![RowError {
                        line: 1,
                        reason: e.to_string(),
                    }],
                })
            })?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                    i,
                )
            })
            .collect();
        let missing: Vec<&str> = ["created_at", "amount", "currency"]
            .into_iter()
            .filter(|c| !headers.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            let reason = format!("the header has no {} column", missing.join(", "));
            return Err(StoreError::Import(ImportErrors {
                rows: vec![RowError { line: 1, reason }],
            }));
        }
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut seen_refs: BTreeMap<(String, String), u64> = BTreeMap::new();
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
                        reason: format!("not a valid CSV row: {e}"),
                    });
                    // A row the reader cannot take ends what it can read of the file.
                    if !matches!(
                        e.kind(),
                        csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                    ) {
                        break;
                    }
                    continue;
                }
            }
            let line = record
                .position()
                .map_or(0, |p| reader.get_mut().line_at(p.byte()));
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if let Err(reason) = fairtill_core::csv_text::nul_free(record.iter()) {
                errors.push(RowError { line, reason });
                continue;
            }
            let get = |name: &str| -> Option<String> {
                headers
                    .get(name)
                    .and_then(|i| record.get(*i))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            match parse_row(&get, separator == b';') {
                Ok(row) => {
                    // Imported payments are logged sales: the rule of one reference, once.
                    if let Some(logged) = logged_reference(TxKind::Sale, &row.payment_method) {
                        let key = (logged.system.to_string(), logged.reference.to_string());
                        if let Some(first) = seen_refs.insert(key, line) {
                            errors.push(RowError {
                                line,
                                reason: format!(
                                    "{} reference {} is also on line {first}",
                                    logged.system, logged.reference
                                ),
                            });
                            continue;
                        }
                        if let Some(receipt) = records::logged_reference(&self.conn, logged)? {
                            errors.push(RowError {
                                line,
                                reason: logged.already_logged(&receipt),
                            });
                            continue;
                        }
                    }
                    rows.push(row);
                }
                Err(reason) => errors.push(RowError { line, reason }),
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Import(ImportErrors { rows: errors }));
        }
        if rows.is_empty() {
            return Err(StoreError::Import(ImportErrors {
                rows: vec![RowError {
                    line: 1,
                    reason: "the file has no rows to import".into(),
                }],
            }));
        }
        let device = self.device().clone();
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let first = records::next_receipt_seq(&db, &device.id.0.to_string())?;
        let empty = Ledger::new();
        let mut seen_ids = BTreeSet::new();
        for (next, row) in (first..).zip(rows) {
            let context = SaleContext {
                device_id: device.id,
                event_id: row.event_id,
                staff: row.staff,
            };
            let stamp = Stamp {
                id: Uuid::now_v7(),
                at: row.created_at,
                context,
            };
            let receipt = records::receipt_number(&device.code, next);
            let order = Order::place(
                OrderId(stamp.id),
                receipt,
                stamp.context.clone(),
                stamp.at,
                row.draft,
            )?;
            let total = order.totals()?.total;
            let mut facts = vec![Fact::OrderPlaced {
                order: Box::new(order.clone()),
            }];
            let mut ledger = empty.clone();
            ledger.apply(facts[0].clone())?;
            let payment = Payment {
                kind: PaymentKind::Sale,
                order_ids: vec![order.id],
                amount: total,
                method: row.payment_method,
                result: row.result,
                replaces: None,
            };
            let pay_stamp = Stamp {
                id: Uuid::now_v7(),
                ..stamp
            };
            facts.extend(ledger.decide(&Command::Pay(payment), &pay_stamp)?);
            seen_ids.insert(order.id);
            records::insert_facts(&db, &facts, &ledger)?;
        }
        db.commit()?;
        Ok(ImportReport {
            imported: seen_ids.len() as u64,
        })
    }
}
