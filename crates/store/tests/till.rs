//! The device store on a real file database: durable sales, the ledger rules through SQLite,
//! append-only history, queries, CSV, backups, damaged and newer databases.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::csv_text::ExportFor;
use fairtill_core::customer::Customer;
use fairtill_core::ledger::*;
use fairtill_core::SignedDuration;
use fairtill_store::{StoreError, Tender, Till, TxFilter};

#[test]
fn a_recorded_sale_is_there_after_reopening() {
    let db = temp_db();
    let sale = {
        let mut till = open(&db);
        till.record_sale(&actor(), draft(&[("mug", "12.50", 2)]), cash())
            .unwrap()
    };
    assert_eq!(sale.receipt, "T1-000001");
    assert_eq!(sale.total, usd("25.00"));
    let till = open(&db);
    let view = till.order(sale.order_id).unwrap();
    assert_eq!(view.status, OrderStatus::Paid);
    assert_eq!(view.paid, usd("25.00"));
    let second = {
        let mut till = till;
        till.record_sale(&actor(), draft(&[("print", "5", 1)]), cash())
            .unwrap()
    };
    assert_eq!(
        second.receipt, "T1-000002",
        "receipt numbers continue per device"
    );
}

#[test]
fn two_programs_opening_a_new_database_at_once_share_one_device() {
    // The app and the command line (or a test) opening a database that does not exist yet, at
    // the same moment: both open it, with the same device, and neither fails.
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.db");
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    Till::open(&path).map(|t| t.device().clone())
                })
            })
            .collect();
        let devices: Vec<_> = openers
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("round {round}: {e:?}"))
            })
            .collect();
        assert_eq!(devices[0].id, devices[1].id, "round {round}");
        assert_eq!(devices[0].code, "T1");
    }
}

#[test]
fn pragmas_are_set_for_durability() {
    let db = temp_db();
    let till = open(&db);
    let c = till.connection();
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    let sync: i64 = c
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    let fk: i64 = c
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
}

#[test]
fn authorize_capture_twice_void_the_remainder_then_refund() {
    let db = temp_db();
    let mut till = open(&db);
    let tender = Tender {
        kind: PaymentKind::Authorize {
            capture_window: SignedDuration::from_hours(168),
        },
        method: PaymentMethod::Card {
            last4: Some("4242".into()),
            approval_code: Some("A1B2".into()),
        },
        result: TxResult::Approved,
        amount: None,
    };
    let sale = till
        .record_sale(&actor(), draft(&[("print", "100.00", 1)]), tender)
        .unwrap();
    let auth = sale.transaction_id;
    let cap1 = till.capture(&actor(), auth, usd("30.00")).unwrap();
    till.capture(&actor(), auth, usd("20.00")).unwrap();
    let err = till.capture(&actor(), auth, usd("50.01")).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Ledger(LedgerError::CaptureExceedsAuthorization { .. })
        ),
        "{err}"
    );
    let void = till
        .void(&actor(), auth, Some("customer took only two".into()))
        .unwrap();
    assert_eq!(till.transaction(void).unwrap().amount, usd("50.00"));
    till.refund(
        &actor(),
        cap1,
        RefundStrategy::Amount {
            amount: usd("10.00"),
        },
        RefundProgress::Complete,
        None,
    )
    .unwrap();
    let view = open(&db).order(sale.order_id).unwrap();
    assert_eq!(view.status, OrderStatus::PartlyRefunded);
    assert_eq!(view.paid, usd("50.00"));
    assert_eq!(view.refunded, usd("10.00"));
    assert_eq!(view.transactions.len(), 5);
}

#[test]
fn a_refused_operation_writes_nothing() {
    let db = temp_db();
    let mut till = open(&db);
    let sale = till
        .record_sale(&actor(), draft(&[("mug", "10", 1)]), cash())
        .unwrap();
    let count = |t: &Till| -> i64 {
        t.connection()
            .query_row("SELECT count(*) FROM transactions", [], |r| r.get(0))
            .unwrap()
    };
    let before = count(&till);
    assert!(till.void(&actor(), sale.transaction_id, None).is_err());
    let over = RefundStrategy::Amount {
        amount: usd("10.01"),
    };
    assert!(till
        .refund(
            &actor(),
            sale.transaction_id,
            over,
            RefundProgress::Complete,
            None
        )
        .is_err());
    assert_eq!(count(&till), before);
}

#[test]
fn logged_external_sales_keep_their_reference_and_refuse_duplicates() {
    let db = temp_db();
    let mut till = open(&db);
    let sale = till
        .log_external_sale(&actor(), draft(&[("print", "40", 1)]), "Shopify", "#1042")
        .unwrap();
    let tx = till.transaction(sale.transaction_id).unwrap();
    assert_eq!(
        tx.method,
        PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#1042".into()
        }
    );
    let again = till
        .log_external_sale(&actor(), draft(&[("print", "40", 1)]), "Shopify", "#1042")
        .unwrap_err();
    assert!(
        matches!(&again, StoreError::DuplicateReference { message } if message.contains(&sale.receipt)),
        "{again}"
    );
    // Voided by mistake, it can be logged again.
    till.void(&actor(), sale.transaction_id, Some("wrong customer".into()))
        .unwrap();
    till.log_external_sale(&actor(), draft(&[("print", "40", 1)]), "Shopify", "#1042")
        .unwrap();
}

#[test]
fn history_is_append_only_in_the_database_itself() {
    let db = temp_db();
    let mut till = open(&db);
    till.record_sale(&actor(), draft(&[("mug", "10", 1)]), cash())
        .unwrap();
    let c = till.connection();
    assert!(c
        .execute("UPDATE transactions SET amount_minor = 1", [])
        .is_err());
    assert!(
        c.execute("UPDATE transactions SET result = 'declined'", [])
            .is_err(),
        "an approved result is final"
    );
    assert!(c.execute("DELETE FROM transactions", []).is_err());
    assert!(c.execute("DELETE FROM orders", []).is_err());
    assert!(c.execute("UPDATE orders SET total_minor = 0", []).is_err());
}

#[test]
fn pending_refund_resolves_through_result_history() {
    let db = temp_db();
    let mut till = open(&db);
    let sale = till
        .record_sale(&actor(), draft(&[("mug", "10", 1)]), cash())
        .unwrap();
    let r = till
        .refund(
            &actor(),
            sale.transaction_id,
            RefundStrategy::Full,
            RefundProgress::Pending,
            None,
        )
        .unwrap();
    assert_eq!(
        till.order(sale.order_id).unwrap().refunds[0].status,
        RefundStatus::Pending
    );
    till.resolve(
        &actor(),
        r,
        TxResult::Approved,
        Some("processor confirmed".into()),
    )
    .unwrap();
    let till = open(&db);
    let tx = till.transaction(r).unwrap();
    assert_eq!(
        tx.history.iter().map(|h| h.result).collect::<Vec<_>>(),
        vec![TxResult::Unknown, TxResult::Approved]
    );
    assert_eq!(
        till.order(sale.order_id).unwrap().status,
        OrderStatus::Refunded
    );
}

#[test]
fn list_filters_and_pages_without_gaps_or_repeats() {
    let db = temp_db();
    let mut till = open(&db);
    for i in 0..25 {
        let mut d = draft(&[("mug", "3", 1)]);
        if i % 5 == 0 {
            d.customer = Some(Customer {
                name: Some(format!("Grace Hopper {i}")),
                ..Default::default()
            });
        }
        let method = if i % 2 == 0 {
            PaymentMethod::Cash
        } else {
            PaymentMethod::Card {
                last4: None,
                approval_code: None,
            }
        };
        till.record_sale(&actor(), d, Tender { method, ..cash() })
            .unwrap();
    }
    till.record_sale(&actor(), draft_in("EUR", &[("mug", "4", 1)]), cash())
        .unwrap();
    let all = TxFilter::default();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = till.list(&all, cursor.as_deref(), 7).unwrap();
        seen.extend(page.rows.iter().map(|r| r.id));
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(seen.len(), 26);
    assert_eq!(till.count(&all).unwrap(), 26);
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 26);
    let cash_only = TxFilter {
        method: Some("cash".into()),
        ..Default::default()
    };
    assert_eq!(till.list(&cash_only, None, 100).unwrap().rows.len(), 14);
    let grace = TxFilter {
        text: Some("grace".into()),
        ..Default::default()
    };
    let rows = till.list(&grace, None, 100).unwrap().rows;
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|r| r.customer_name.as_deref().unwrap().starts_with("Grace")));
    let eur = TxFilter {
        currency: Some(usd("1").currency()),
        ..Default::default()
    };
    assert_eq!(till.list(&eur, None, 100).unwrap().rows.len(), 25);
    let bad = TxFilter {
        method: Some("cheque".into()),
        ..Default::default()
    };
    assert!(matches!(
        till.list(&bad, None, 10),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn sql_summary_matches_the_ledger_summary() {
    let db = temp_db();
    let mut till = open(&db);
    let a = till
        .record_sale(&actor(), draft(&[("print", "100", 1)]), cash())
        .unwrap();
    till.refund(
        &actor(),
        a.transaction_id,
        RefundStrategy::Amount { amount: usd("30") },
        RefundProgress::Complete,
        None,
    )
    .unwrap();
    let declined = Tender {
        result: TxResult::Declined,
        method: PaymentMethod::Card {
            last4: None,
            approval_code: None,
        },
        ..cash()
    };
    till.record_sale(&actor(), draft(&[("mug", "5", 1)]), declined)
        .unwrap();
    let auth = Tender {
        kind: PaymentKind::Authorize {
            capture_window: SignedDuration::from_hours(1),
        },
        method: PaymentMethod::Card {
            last4: None,
            approval_code: None,
        },
        ..cash()
    };
    let au = till
        .record_sale(&actor(), draft(&[("print", "50", 1)]), auth)
        .unwrap();
    till.capture(&actor(), au.transaction_id, usd("20"))
        .unwrap();
    let logged = till
        .log_external_sale(&actor(), draft(&[("print", "7", 1)]), "Etsy", "E-9")
        .unwrap();
    till.void(&actor(), logged.transaction_id, None).unwrap();
    till.record_sale(&actor(), draft_in("JPY", &[("tea", "1200", 1)]), cash())
        .unwrap();
    let later = till
        .now()
        .checked_add(SignedDuration::from_hours(2))
        .unwrap();
    let sql = till.summary_at(&TxFilter::default(), later).unwrap();
    // The same facts through the in-memory ledger.
    let mut ledger = Ledger::new();
    let mut stmt = till
        .connection()
        .prepare("SELECT id FROM orders ORDER BY seq")
        .unwrap();
    let orders: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for o in orders {
        let v = till.order(o.parse().unwrap()).unwrap();
        ledger
            .apply(Fact::OrderPlaced {
                order: Box::new(v.order.clone()),
            })
            .unwrap();
        for t in v.transactions {
            ledger.apply(Fact::Recorded { tx: Box::new(t) }).unwrap();
        }
    }
    let mem = ledger.summary(later, |_| true);
    assert_eq!(sql, mem);
    let usd_sum = sql
        .currencies
        .iter()
        .find(|c| c.currency.code() == "USD")
        .unwrap();
    assert_eq!(
        usd_sum.net,
        usd("90.00"),
        "100 - 30 refunded + 20 captured; the voided logged sale nets to 0"
    );
    assert_eq!(
        usd_sum.canceled,
        usd("30.00"),
        "the expired authorization remainder"
    );
    assert_eq!(usd_sum.declined_count, 1);
    assert_eq!(sql.currencies.len(), 2);
}

#[test]
fn csv_export_streams_every_row_and_quotes_properly() {
    let db = temp_db();
    let mut till = open(&db);
    let mut d = draft(&[("mug", "3", 1)]);
    d.customer = Some(Customer {
        name: Some("O'Brien, \"Bob\"".into()),
        ..Default::default()
    });
    till.record_sale(&actor(), d, cash()).unwrap();
    till.log_external_sale(&actor(), draft(&[("print", "9.99", 1)]), "Square", "SQ,1")
        .unwrap();
    let mut out = Vec::new();
    assert_eq!(
        till.export_csv(&TxFilter::default(), ExportFor::Script, &mut out)
            .unwrap(),
        2
    );
    assert!(out.starts_with(b"id,receipt,"), "plain UTF-8 for scripts");
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"O'Brien, \"\"Bob\"\"\""), "{text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][5], "9.99");
    assert_eq!(&rows[1][9], "SQ,1");
    let external = TxFilter {
        method: Some("external".into()),
        ..Default::default()
    };
    let mut only = Vec::new();
    assert_eq!(
        till.export_csv(&external, ExportFor::Spreadsheet, &mut only)
            .unwrap(),
        1
    );
    assert!(
        only.starts_with(b"\xEF\xBB\xBFid,receipt,"),
        "for a spreadsheet, a byte-order mark"
    );
}

/// Excel on Windows writes CRLF (as RFC 4180 does), and files pass through tools that mix
/// line endings: a bad row is named by the line it is on in an editor, whatever the endings,
/// also after a quoted field that holds a line break.
#[test]
fn csv_import_names_the_line_a_bad_row_is_on_whatever_the_line_endings() {
    let db = temp_db();
    let mut till = open(&db);
    let header =
        "created_at,amount,currency,method,external_system,external_reference,customer_name";
    let rows = [
        "2026-05-01T10:00:00Z,12.50,USD,cash,,,\"Ana\nSilva\"",
        "2026-05-01T11:00:00Z,5,USD,cash,,,",
        "yesterday,5,USD,cash,,,",
        "2026-05-01T12:00:00Z,5,XYZ,cash,,,",
    ];
    for (name, ending) in [("LF", "\n"), ("CRLF", "\r\n")] {
        let file = format!("{header}{ending}{}{ending}", rows.join(ending));
        let err = till.import_csv(file.as_bytes()).unwrap_err();
        let StoreError::Import(errors) = err else {
            panic!("{name}: expected import errors, got {err}")
        };
        let lines: Vec<u64> = errors.rows.iter().map(|r| r.line).collect();
        // The header is line 1; the quoted name spans lines 2 and 3.
        assert_eq!(lines, vec![5, 6], "{name}: {errors}");
    }
    // A German export: a byte-order mark, semicolons and decimal commas, read as they are.
    let german = "\u{feff}created_at;amount;currency;method;external_system;external_reference;customer_name\r\n\
                  2026-05-01T10:00:00Z;12,50;EUR;cash;;;M\u{fc}ller\r\n\
                  2026-05-01T11:00:00Z;1.234,00;EUR;external;Shopify;#9;\r\n";
    let mut german_till = open(&temp_db());
    assert_eq!(
        german_till.import_csv(german.as_bytes()).unwrap().imported,
        2
    );
    let s = german_till.summary(&TxFilter::default()).unwrap();
    assert_eq!(s.currencies[0].net.amount_string(), "1246.50", "{s:?}");
    let mixed = format!(
        "{header}\r\n{}\n{}\r\n{}\n{}\r\n",
        rows[0], rows[1], rows[2], rows[3]
    );
    let StoreError::Import(errors) = till.import_csv(mixed.as_bytes()).unwrap_err() else {
        panic!("expected import errors")
    };
    let lines: Vec<u64> = errors.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![5, 6], "mixed: {errors}");
}

#[test]
fn csv_import_is_all_or_nothing_with_line_numbers() {
    let db = temp_db();
    let mut till = open(&db);
    let bad =
        "created_at,amount,currency,method,external_system,external_reference,customer_email\n\
               2026-05-01T10:00:00Z,12.50,USD,external,Shopify,#1,a@example.org\n\
               2026-05-01T11:00:00Z,1000.5,JPY,cash,,,\n\
               yesterday,5,USD,cash,,,\n\
               2026-05-01T12:00:00Z,5,USD,external,Shopify,#1,\n\
               2026-05-01T13:00:00Z,5,XYZ,cash,,,\n\
               2026-05-01T14:00:00Z,5,USD,cash,,,not-an-email\n";
    let err = till.import_csv(bad.as_bytes()).unwrap_err();
    let StoreError::Import(errors) = err else {
        panic!("expected import errors, got {err}")
    };
    let lines: Vec<u64> = errors.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7], "{errors}");
    assert!(
        errors.rows[0].reason.contains("JPY"),
        "{}",
        errors.rows[0].reason
    );
    assert!(
        errors.rows[2].reason.contains("line 2"),
        "{}",
        errors.rows[2].reason
    );
    let n: i64 = till
        .connection()
        .query_row("SELECT count(*) FROM transactions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "nothing was imported");

    let good =
        "created_at,amount,currency,method,external_system,external_reference,item,quantity\n\
                2026-05-01T10:00:00Z,12.50,USD,external,Shopify,#1,Poster,1\n\
                2026-05-01 11:00:00,3000,JPY,cash,,,Tea,3\n";
    assert_eq!(till.import_csv(good.as_bytes()).unwrap().imported, 2);
    let s = till.summary(&TxFilter::default()).unwrap();
    assert_eq!(s.currencies.len(), 2);
    let again = till.import_csv(good.as_bytes()).unwrap_err();
    assert!(
        again.to_string().contains("already logged"),
        "re-importing is refused: {again}"
    );
}

#[test]
fn offers_are_immutable_and_retire() {
    use fairtill_core::offer::OfferLine;
    use fairtill_core::tax::TaxCategory;
    let db = temp_db();
    let mut till = open(&db);
    let line = OfferLine {
        sku: "MUG".into(),
        name: "Mug".into(),
        unit_price: usd("8"),
        quantity: 2,
        tax_category: TaxCategory::Standard,
    };
    let offer = till
        .save_offer("Two mugs", usd("1").currency(), vec![line.clone()])
        .unwrap();
    assert!(
        till.save_offer("two MUGS", usd("1").currency(), vec![line.clone()])
            .is_err(),
        "name taken"
    );
    assert!(till
        .connection()
        .execute("UPDATE offers SET name = 'x'", [])
        .is_err());
    assert!(till.connection().execute("DELETE FROM offers", []).is_err());
    till.retire_offer(&actor(), offer.id()).unwrap();
    assert!(till.offers(false).unwrap().is_empty());
    let all = till.offers(true).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].retired_at.is_some());
    assert_eq!(all[0].offer, offer);
    till.save_offer("Two mugs", usd("1").currency(), vec![line])
        .unwrap();
}

#[test]
fn outbox_counts_what_has_not_synced_and_acks_by_watermark() {
    let db = temp_db();
    let mut till = open(&db);
    till.record_sale(&actor(), draft(&[("mug", "3", 1)]), cash())
        .unwrap();
    till.record_sale(&actor(), draft(&[("mug", "3", 1)]), cash())
        .unwrap();
    assert_eq!(till.outbox().unwrap().total, 4);
    let batch = till.outbox_batch("transaction", 10).unwrap();
    assert_eq!(batch.len(), 2);
    let body: Transaction = serde_json::from_str(&batch[0].1).unwrap();
    assert_eq!(body.kind, TxKind::Sale);
    till.outbox_ack("transaction", batch[1].0).unwrap();
    let orders = till.outbox_batch("order", 10).unwrap();
    till.outbox_ack("order", orders.last().unwrap().0).unwrap();
    assert_eq!(till.outbox().unwrap().total, 0);
    till.record_sale(&actor(), draft(&[("mug", "3", 1)]), cash())
        .unwrap();
    assert_eq!(open(&db).outbox().unwrap().total, 2);
}

#[test]
fn backup_and_restore_keep_every_sale_and_never_delete_the_current_file() {
    let db = temp_db();
    let backup = db.dir.path().join("backup.db");
    let first = {
        let mut till = open(&db);
        let first = till
            .record_sale(&actor(), draft(&[("mug", "3", 1)]), cash())
            .unwrap();
        till.backup_to(&backup).unwrap();
        assert!(till.backup_to(&backup).is_err(), "never overwrites");
        till.record_sale(&actor(), draft(&[("mug", "4", 1)]), cash())
            .unwrap();
        first
    };
    let kept = fairtill_store::restore(&backup, &db.path).unwrap().unwrap();
    assert!(kept.exists(), "the database before the restore is kept");
    let till = open(&db);
    assert_eq!(
        till.list(&TxFilter::default(), None, 10)
            .unwrap()
            .rows
            .len(),
        1
    );
    assert_eq!(
        till.order(first.order_id).unwrap().status,
        OrderStatus::Paid
    );
    assert_eq!(
        Till::open(&kept)
            .unwrap()
            .list(&TxFilter::default(), None, 10)
            .unwrap()
            .rows
            .len(),
        2
    );
    let rolled = till
        .rolling_backup(&db.dir.path().join("rolling"), 2)
        .unwrap();
    assert!(rolled.exists());
}

#[test]
fn a_damaged_database_is_copied_aside_and_reported_never_deleted() {
    let db = temp_db();
    {
        let mut till = open(&db);
        for _ in 0..200 {
            till.record_sale(&actor(), draft(&[("mug", "3", 1)]), cash())
                .unwrap();
        }
        till.connection()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    // Scribble over pages in the middle of the file.
    let mut bytes = std::fs::read(&db.path).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len / 3..len / 3 + 8192] {
        *b = 0x5a;
    }
    std::fs::write(&db.path, &bytes).unwrap();
    let err = Till::open(&db.path).unwrap_err();
    let StoreError::Corrupt { copied_to, .. } = &err else {
        panic!("expected Corrupt, got {err}")
    };
    assert!(copied_to.exists());
    assert_eq!(
        std::fs::read(copied_to).unwrap(),
        bytes,
        "the copy is byte for byte what was there"
    );
    assert_eq!(
        std::fs::read(&db.path).unwrap(),
        bytes,
        "the original is not rewritten"
    );
    assert!(err.to_string().contains("Do not delete"));
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let db = temp_db();
    drop(open(&db));
    {
        let c = rusqlite::Connection::open(&db.path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&db.path).unwrap();
    let err = Till::open(&db.path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert_eq!(std::fs::read(&db.path).unwrap(), before);
}

#[test]
fn one_payment_for_two_orders_mark_paid_write_off_and_credit_through_sqlite() {
    let db = temp_db();
    let mut till = open(&db);
    let a = till
        .place_order(&actor(), draft(&[("print", "60", 1)]))
        .unwrap();
    let b = till
        .place_order(&actor(), draft(&[("mug", "40", 1)]))
        .unwrap();
    assert_eq!(
        (a.receipt.as_str(), b.receipt.as_str()),
        ("T1-000001", "T1-000002")
    );
    let both = till
        .pay(
            &actor(),
            Payment {
                kind: PaymentKind::Sale,
                order_ids: vec![a.id, b.id],
                amount: usd("100"),
                method: PaymentMethod::Cash,
                result: TxResult::Approved,
                replaces: None,
            },
        )
        .unwrap();
    till.refund(
        &actor(),
        both,
        RefundStrategy::Amount { amount: usd("30") },
        RefundProgress::Complete,
        None,
    )
    .unwrap();
    let till = open(&db);
    assert_eq!(till.order(a.id).unwrap().status, OrderStatus::Paid);
    assert_eq!(
        till.order(b.id).unwrap().status,
        OrderStatus::PartlyRefunded
    );
    assert_eq!(till.order(b.id).unwrap().refunded, usd("30.00"));

    let mut till = till;
    let open_order = till
        .place_order(&actor(), draft(&[("print", "25", 2)]))
        .unwrap();
    till.mark_paid(&actor(), open_order.id, "paid by bank transfer")
        .unwrap();
    assert_eq!(till.order(open_order.id).unwrap().status, OrderStatus::Paid);
    let lost = till
        .place_order(&actor(), draft(&[("print", "25", 1)]))
        .unwrap();
    till.write_off(&actor(), lost.id, "customer left without paying")
        .unwrap();
    let view = open(&db).order(lost.id).unwrap();
    assert_eq!(view.status, OrderStatus::WrittenOff);
    assert_eq!(view.write_off.unwrap().amount, usd("25.00"));

    let refused = till.credit(
        &actor(),
        vec![],
        usd("10"),
        PaymentMethod::Cash,
        "",
        "goodwill",
    );
    assert!(matches!(
        refused,
        Err(StoreError::Ledger(LedgerError::CreditNeedsManager))
    ));
    till.credit(
        &actor(),
        vec![a.id],
        usd("10"),
        PaymentMethod::Cash,
        "Maria",
        "goodwill",
    )
    .unwrap();
    let usd_sum = till.summary(&TxFilter::default()).unwrap().currencies[0].clone();
    assert_eq!(usd_sum.credited, usd("10.00"));
    assert_eq!(
        usd_sum.net,
        usd("110.00"),
        "100 + 50 marked paid - 30 refunded - 10 credited"
    );
}

#[test]
fn a_split_payment_and_a_refund_across_its_parts_are_durable_and_wait_to_sync() {
    let db = temp_db();
    let (order, card) = {
        let mut till = open(&db);
        let first = till
            .record_sale(
                &actor(),
                draft(&[("mug", "10.00", 3)]),
                Tender {
                    amount: Some(usd("12.00")),
                    ..cash()
                },
            )
            .unwrap();
        assert_eq!(
            till.order(first.order_id).unwrap().status,
            OrderStatus::PartlyPaid
        );
        let card = till
            .pay(
                &actor(),
                Payment {
                    kind: PaymentKind::Sale,
                    order_ids: vec![first.order_id],
                    amount: usd("18.00"),
                    method: PaymentMethod::Card {
                        last4: None,
                        approval_code: None,
                    },
                    result: TxResult::Approved,
                    replaces: None,
                },
            )
            .unwrap();
        (first.order_id, card)
    };
    let mut till = open(&db);
    assert_eq!(till.order(order).unwrap().status, OrderStatus::Paid);
    let waiting = till.outbox().unwrap().total;
    // Two mugs (20.00) asked of the card part (18.00): 2.00 of it from the cash part.
    till.refund(
        &actor(),
        card,
        RefundStrategy::Items {
            items: vec![RefundItem {
                order_id: order,
                line: 0,
                quantity: 2,
            }],
        },
        RefundProgress::Complete,
        Some("chipped".into()),
    )
    .unwrap();
    drop(till);
    let till = open(&db);
    let view = till.order(order).unwrap();
    let refunds: Vec<_> = view.refunds.iter().map(|r| r.amount).collect();
    assert_eq!(refunds, [usd("18.00"), usd("2.00")]);
    assert_eq!(view.refunded, usd("20.00"));
    assert_eq!(
        till.outbox().unwrap().total,
        waiting + 2,
        "both refunds wait to sync"
    );
}
