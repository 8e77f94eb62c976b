//! What the app's Event & till and Sell screens rely on: current event and staff, cash
//! sessions with over/short, product import and lookup, and an order's allowed actions.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::event::CaptureMode;
use fairtill_core::ledger::{ActionKind, RefundProgress, RefundStrategy};
use fairtill_core::money::Currency;
use fairtill_core::tax::{TaxMode, TaxPolicy};
use fairtill_core::SignedDuration;
use fairtill_store::{Actor, StoreError};

fn eur() -> Currency {
    Currency::from_code("EUR").unwrap()
}

#[test]
fn current_event_and_staff_survive_a_restart() {
    let db = temp_db();
    let event_id = {
        let mut till = open(&db);
        assert_eq!(till.settings().unwrap().event, None);
        let tax = TaxPolicy::new(
            TaxMode::Inclusive,
            "19".parse().unwrap(),
            "7".parse().unwrap(),
        )
        .unwrap();
        let event = till
            .create_event(
                "Craft Fair",
                eur(),
                tax,
                CaptureMode::Manual,
                SignedDuration::from_hours(48),
            )
            .unwrap();
        let err = till
            .create_event(
                " ",
                eur(),
                tax,
                CaptureMode::Automatic,
                SignedDuration::from_hours(1),
            )
            .unwrap_err();
        assert!(err.to_string().contains("name"), "{err}");
        till.set_settings(Some(event.id), " Ana ").unwrap();
        event.id
    };
    let till = open(&db);
    let settings = till.settings().unwrap();
    assert_eq!(settings.event.unwrap().id, event_id);
    assert_eq!(settings.staff, "Ana");
}

#[test]
fn a_cash_session_closes_with_over_short_against_the_ledger() {
    let db = temp_db();
    let mut till = open(&db);
    let ana = Actor {
        staff: "Ana".into(),
        event_id: None,
    };
    let nobody = Actor {
        staff: " ".into(),
        event_id: None,
    };
    assert!(matches!(
        till.open_till(&nobody, money("100.00", "EUR")),
        Err(StoreError::Invalid(_))
    ));
    let session = till.open_till(&ana, money("100.00", "EUR")).unwrap();
    assert_eq!(session.expected, money("100.00", "EUR"));
    let err = till.open_till(&ana, money("50.00", "EUR")).unwrap_err();
    assert!(err.to_string().contains("already open"), "{err}");

    // 30 + 12.50 in cash, 20 by card, then 12.50 refunded in cash.
    till.record_sale(&ana, draft_in("EUR", &[("mug", "15.00", 2)]), cash())
        .unwrap();
    let second = till
        .record_sale(&ana, draft_in("EUR", &[("pen", "12.50", 1)]), cash())
        .unwrap();
    let mut card = cash();
    card.method = fairtill_core::ledger::PaymentMethod::Card {
        last4: None,
        approval_code: None,
    };
    till.record_sale(&ana, draft_in("EUR", &[("bag", "20.00", 1)]), card)
        .unwrap();
    till.refund(
        &ana,
        second.transaction_id,
        RefundStrategy::Full,
        RefundProgress::Complete,
        None,
    )
    .unwrap();
    assert_eq!(
        till.current_session().unwrap().unwrap().expected,
        money("130.00", "EUR")
    );

    let closed = till
        .close_till(&ana, money("128.00", "EUR"), "coin dropped")
        .unwrap();
    let close = closed.close.unwrap();
    assert_eq!(close.expected, money("130.00", "EUR"));
    assert_eq!(close.over_short, money("-2.00", "EUR"));
    assert_eq!(close.note.as_deref(), Some("coin dropped"));
    assert!(till.current_session().unwrap().is_none());
    assert!(till
        .close_till(&ana, money("1.00", "EUR"), "")
        .unwrap_err()
        .to_string()
        .contains("not open"));

    // A sale after closing does not change the kept figures.
    till.record_sale(&ana, draft_in("EUR", &[("mug", "15.00", 1)]), cash())
        .unwrap();
    drop(till);
    let till = open(&db);
    let sessions = till.sessions(10).unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0].close.as_ref().unwrap().over_short,
        money("-2.00", "EUR")
    );
}

#[test]
fn product_import_is_all_or_nothing_and_finds_by_barcode() {
    let db = temp_db();
    let mut till = open(&db);
    let bad = "sku,name,price,currency,tax_category,barcode,favourite\n\
               MUG,Mug,12.50,EUR,standard,4006381333931,yes\n\
               PEN,Pen,1.234,EUR,standard,,no\n\
               CAP,Cap,9.00,EUR,luxury,,\n\
               BAG,Bag,5.00,EUR,,4006381333931,\n";
    let err = till.import_products(bad.as_bytes()).unwrap_err();
    let StoreError::Import(errors) = err else {
        panic!("an import error")
    };
    let lines: Vec<u64> = errors.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 4, 5]);
    assert_eq!(till.product_count().unwrap(), 0);
    // The same file as Excel saves it (CRLF), with a blank line and a name in quotes that holds
    // a line break: the bad rows are named by the lines they are on.
    let excel = "sku,name,price,currency,tax_category,barcode,favourite\r\n\
                 MUG,\"Mug\r\nlarge\",12.50,EUR,standard,4006381333931,yes\r\n\
                 \r\n\
                 PEN,Pen,1.234,EUR,standard,,no\r\n\
                 CAP,Cap,9.00,EUR,luxury,,\r\n\
                 BAG,Bag,5.00,EUR,,4006381333931,\r\n";
    let StoreError::Import(errors) = till.import_products(excel.as_bytes()).unwrap_err() else {
        panic!("an import error")
    };
    let lines: Vec<u64> = errors.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![5, 6, 7], "{errors}");
    assert!(errors.rows[2].reason.contains("also on line 2"), "{errors}");
    // As a German Excel saves it: a byte-order mark, semicolons, decimal commas.
    let german = "\u{feff}sku;name;price;currency;tax_category;barcode;favourite\r\n\
                  KAF;Kaffee;2,80;EUR;reduced;;\r\n\
                  TAS;\"Tasse, groß\";1.012,50;EUR;standard;;\r\n";
    assert_eq!(till.import_products(german.as_bytes()).unwrap(), 2);
    let kaf = till.product_by_code("KAF").unwrap().unwrap();
    assert_eq!(kaf.name, "Kaffee");
    assert_eq!(kaf.unit_price.amount_string(), "2.80");
    let tas = till.product_by_code("TAS").unwrap().unwrap();
    assert_eq!(tas.name, "Tasse, groß");
    assert_eq!(tas.unit_price.amount_string(), "1012.50");

    let good = "sku,name,price,currency,tax_category,barcode,favourite\n\
                MUG,Mug,12.50,EUR,standard,4006381333931,yes\n\
                PEN,Pen,1.20,EUR,reduced,,no\n";
    assert_eq!(till.import_products(good.as_bytes()).unwrap(), 2);
    assert_eq!(
        till.product_by_code("4006381333931").unwrap().unwrap().sku,
        "MUG"
    );
    assert_eq!(till.product_by_code("pen").unwrap(), None);
    assert_eq!(till.product_by_code("PEN").unwrap().unwrap().name, "Pen");
    assert_eq!(till.favourites(10).unwrap().len(), 1);
    till.set_favourite("PEN", true).unwrap();
    assert_eq!(till.favourites(10).unwrap().len(), 2);
    assert!(matches!(
        till.set_favourite("NOPE", true),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn order_detail_offers_what_the_rules_allow() {
    let db = temp_db();
    let mut till = open(&db);
    let sale = till
        .record_sale(&actor(), draft(&[("mug", "10.00", 2)]), cash())
        .unwrap();
    let detail = till.order_detail(sale.order_id, &actor()).unwrap();
    assert_eq!(detail.view.transactions.len(), 1);
    let refund = detail
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Refund)
        .unwrap();
    assert_eq!(refund.refused, None);
    assert_eq!(refund.up_to, Some(usd("20.00")));
    let void = detail
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Void)
        .unwrap();
    assert!(void.refused.is_some());

    till.refund(
        &actor(),
        sale.transaction_id,
        RefundStrategy::Full,
        RefundProgress::Complete,
        None,
    )
    .unwrap();
    let detail = till.order_detail(sale.order_id, &actor()).unwrap();
    let refund = detail
        .actions
        .iter()
        .find(|a| a.kind == ActionKind::Refund)
        .unwrap();
    assert_eq!(
        refund.refused.as_deref(),
        Some("nothing is left to refund on this payment")
    );
}

/// Names of the products found, in order.
fn names(found: Vec<fairtill_core::catalog::Product>) -> Vec<String> {
    found.into_iter().map(|p| p.name).collect()
}

#[test]
fn search_finds_what_was_typed_anywhere_in_a_name_or_sku() {
    let db = temp_db();
    let mut till = open(&db);
    // 2,500 "Blue …" products make "blue" common (the name walk); the rest are rare (the
    // trigram index).
    let mut csv = String::from("sku,name,price,currency\n");
    for i in 0..2500 {
        csv.push_str(&format!("B{i:04},Blue mug {i:04},5.00,EUR\n"));
    }
    csv.push_str("TEA-01,Green tea 250g,4.20,EUR\n");
    csv.push_str("TEA-02,\"Mint \"\"fresh\"\" tea\",4.20,EUR\n");
    csv.push_str("HON-01,Honey jar,8.00,EUR\n");
    csv.push_str("X-100%,Sale 100% wool scarf,20.00,EUR\n");
    till.import_products(csv.as_bytes()).unwrap();

    // Rare text, in any case, in the middle of a name, sorted by name.
    assert_eq!(
        names(till.search_products("TEA", 10).unwrap()),
        vec!["Green tea 250g", "Mint \"fresh\" tea"]
    );
    assert_eq!(
        names(till.search_products("oney j", 10).unwrap()),
        vec!["Honey jar"]
    );
    // Part of a SKU, and an exact SKU first.
    assert_eq!(
        names(till.search_products("on-0", 10).unwrap()),
        vec!["Honey jar"]
    );
    assert_eq!(
        names(till.search_products("TEA-02", 10).unwrap()),
        vec!["Mint \"fresh\" tea"]
    );
    // Quotes and LIKE's own characters are plain text.
    assert_eq!(
        names(till.search_products("\"fresh\"", 10).unwrap()),
        vec!["Mint \"fresh\" tea"]
    );
    assert_eq!(
        names(till.search_products("100%", 10).unwrap()),
        vec!["Sale 100% wool scarf"]
    );
    assert_eq!(
        names(till.search_products("0%_", 10).unwrap()),
        Vec::<String>::new()
    );
    // Nothing matches: an empty list, not an error.
    assert!(till.search_products("zzz", 10).unwrap().is_empty());
    // Two characters search names only.
    assert_eq!(
        names(till.search_products("ea", 10).unwrap()),
        vec!["Green tea 250g", "Mint \"fresh\" tea"]
    );

    // Common text: the first screenful by name, the same as the rare path would give.
    assert_eq!(
        names(till.search_products("blue", 3).unwrap()),
        vec!["Blue mug 0000", "Blue mug 0001", "Blue mug 0002"]
    );
    assert_eq!(
        names(till.search_products("mug 24", 200).unwrap()).len(),
        100
    );

    // A renamed product is found by its new name only; the index follows the table.
    let mut honey = till.product_by_code("HON-01").unwrap().unwrap();
    honey.name = "Acacia honey".into();
    till.save_product(honey).unwrap();
    assert_eq!(
        names(till.search_products("acacia", 10).unwrap()),
        vec!["Acacia honey"]
    );
    assert!(till.search_products("honey j", 10).unwrap().is_empty());
}

/// Found by fuzzing (`fuzz/fuzz_targets/product_import.rs`): a name holding NUL characters
/// failed the whole import as a database error. Now the row is refused by its line, in words,
/// and nothing is imported; the same for the historical-sales import.
#[test]
fn a_row_holding_nul_is_refused_by_its_line() {
    let mut till = open(&temp_db());
    let found: &[u8] = b"sku,name,price,currency,tax_category,barcode,favourite\n\
        MUG,\0\0\0\0Mug,12.50,EUR,standard,4006381333931,yes\n\
        BAG,Bag,5.00,EUR,,,\n";
    let StoreError::Import(errors) = till.import_products(found).unwrap_err() else {
        panic!("an import error")
    };
    assert_eq!(errors.rows.len(), 1, "{errors}");
    assert_eq!(errors.rows[0].line, 2);
    assert!(errors.rows[0].reason.contains("U+0000"), "{errors}");
    assert_eq!(till.product_count().unwrap(), 0);
    let sales: &[u8] =
        b"created_at,amount,currency,method,external_system,external_reference,customer_name\r\n\
        2026-05-01T10:00:00Z,5,USD,cash,,,\r\n\
        2026-05-01T11:00:00Z,5,USD,cash,,,Ana\0Silva\r\n";
    let StoreError::Import(errors) = till.import_csv(sales).unwrap_err() else {
        panic!("an import error")
    };
    assert_eq!(errors.rows.len(), 1, "{errors}");
    assert_eq!(errors.rows[0].line, 3);
    assert!(errors.rows[0].reason.contains("U+0000"), "{errors}");
}

/// Products made, changed, re-priced and retired at the till: each change is a new version
/// waiting to sync; a retired product is hidden from selling but kept for the sales that sold
/// it; the grid has a tab per category; a pulled version applies unless the till holds a newer
/// change of its own.
#[test]
fn products_are_made_changed_and_retired_at_the_till_and_versions_decide_what_a_pull_changes() {
    use fairtill_core::catalog::Product;
    use fairtill_store::Remote;
    let mut till = open(&temp_db());
    let eur = |t: &str| money(t, "EUR");
    let waiting = |till: &fairtill_store::Till| till.outbox().unwrap().total;
    let tea = Product::new(
        "TEA",
        "Green tea",
        eur("4.20"),
        fairtill_core::tax::TaxCategory::Reduced,
        None,
    )
    .unwrap()
    .with_looks(Some("Drinks"), Some("#2E7D6B"))
    .unwrap();
    let saved = till.save_product(tea.clone()).unwrap();
    assert_eq!(
        (saved.version, saved.colour.as_deref()),
        (1, Some("#2e7d6b"))
    );
    let mug = Product::new(
        "MUG",
        "Mug",
        eur("12.50"),
        fairtill_core::tax::TaxCategory::Standard,
        Some("4006381333931"),
    )
    .unwrap()
    .with_looks(Some("Kitchen"), None)
    .unwrap();
    till.save_product(mug.clone()).unwrap();
    till.save_product(
        Product::new(
            "CARD",
            "Card",
            eur("3.50"),
            fairtill_core::tax::TaxCategory::Standard,
            None,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(waiting(&till), 3, "three products wait to sync");

    // A sale keeps the price it was sold at when the product is re-priced.
    let sale = till
        .record_sale(&actor(), draft_in("EUR", &[("TEA", "4.20", 1)]), cash())
        .unwrap();
    let dearer = till
        .save_product(Product {
            unit_price: eur("4.80"),
            ..saved.clone()
        })
        .unwrap();
    assert_eq!(dearer.version, 2);
    assert_eq!(till.order(sale.order_id).unwrap().totals.total, eur("4.20"));

    // A barcode another product has is refused in words; nothing changes.
    let err = till
        .save_product(Product {
            barcode: Some("4006381333931".into()),
            ..dearer.clone()
        })
        .unwrap_err();
    assert!(err.to_string().contains("already on product MUG"), "{err}");
    let err = till
        .save_product(Product {
            colour: Some("teal".into()),
            ..dearer.clone()
        })
        .unwrap_err();
    assert!(err.to_string().contains("#rrggbb"), "{err}");
    assert_eq!(till.product("TEA").unwrap(), dearer);

    // The grid: categories by name, then the products with none.
    let grid = till.sell_grid(50).unwrap();
    let tabs: Vec<(&str, usize)> = grid
        .iter()
        .map(|t| (t.category.as_str(), t.products.len()))
        .collect();
    assert_eq!(tabs, [("Drinks", 1), ("Kitchen", 1), ("", 1)]);

    // Retired: not found by search, code or grid; listed on the catalog screen; back again.
    till.set_retired("MUG", true).unwrap();
    assert!(till.search_products("mug", 10).unwrap().is_empty());
    assert_eq!(till.product_by_code("4006381333931").unwrap(), None);
    assert_eq!(till.sell_grid(50).unwrap().len(), 2);
    assert!(till.catalog("mug", 10).unwrap()[0].retired);
    assert_eq!(till.product_count().unwrap(), 2);
    till.set_retired("MUG", false).unwrap();
    assert_eq!(
        till.product_by_code("4006381333931")
            .unwrap()
            .unwrap()
            .version,
        3
    );

    // Pulled versions: an older one than the till's own change is not applied; one as new as
    // it (a manager published while the till changed it) wins and leaves the outbox.
    let before = waiting(&till);
    let old = Product {
        unit_price: eur("1.00"),
        version: 1,
        ..dearer.clone()
    };
    let applied = till
        .apply_remote(&[Remote::Product(old)], None, "1")
        .unwrap();
    assert_eq!((applied.stored, applied.already_had), (0, 1));
    assert_eq!(till.product("TEA").unwrap().unit_price, eur("4.80"));
    let published = Product {
        unit_price: eur("5.00"),
        version: 2,
        ..dearer.clone()
    };
    till.apply_remote(&[Remote::Product(published.clone())], None, "2")
        .unwrap();
    assert_eq!(till.product("TEA").unwrap(), published);
    assert_eq!(
        waiting(&till),
        before - 1,
        "the till's own change gave way to the server's"
    );
    // A pulled product takes its barcode from the one that had it, instead of failing the page.
    let scanned = Product::new(
        "JUG",
        "Jug",
        eur("20"),
        fairtill_core::tax::TaxCategory::Standard,
        Some("4006381333931"),
    )
    .unwrap();
    till.apply_remote(
        &[Remote::Product(Product {
            version: 1,
            ..scanned
        })],
        None,
        "3",
    )
    .unwrap();
    assert_eq!(
        till.product_by_code("4006381333931").unwrap().unwrap().sku,
        "JUG"
    );
}
