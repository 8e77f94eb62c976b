//! Settlement matching over real HTTP on both backends: a Square export (made here from
//! Square's documented header) matched to two tills' card and external sales by reference,
//! amount, currency and time; confirm, reject and link by hand; a re-import changes nothing;
//! malformed files are refused whole with their line numbers. And the real sample exports of
//! Stripe, SumUp and PayPal (in `tests/fixtures`, see `SOURCES.md`) read as they are.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::ids::{EventId, TxId};
use fairtill_core::ledger::*;
use fairtill_core::Timestamp;
use fairtill_protocol::*;
use serde_json::{json, Value};
use uuid::Uuid;

const PASSWORD: &str = MANAGER_PASSWORD;

/// Square's Transactions export header (the 2018 layout, 44 columns).
const SQUARE_HEADER: &str = "Date,Time,Time Zone,Gross Sales,Discounts,Net Sales,Gift Card Sales,Tax,Tip,Partial Refunds,Total Collected,Source,Card,Card Entry Methods,Cash,Square Gift Card,Installment,Other Tender,Other Tender Type,Other Tender Note,Fees,Net Total,Transaction ID,Payment ID,Card Brand,PAN Suffix,Device Name,Staff Name,Staff ID,Details,Description,Event Type,Location,Dining Option,Customer ID,Customer Name,Customer Reference ID,Device Nickname,Deposit ID,Deposit Date,Deposit Details,Fee Percentage Rate,Fee Fixed Rate,Refund Reason";

/// A Square row: its time, Total Collected as Square writes it, Payment ID, PAN suffix, and
/// event type.
fn square_row(at: Timestamp, total: &str, payment_id: &str, pan: &str, event: &str) -> String {
    let header: Vec<&str> = SQUARE_HEADER.split(',').collect();
    let zoned = at.to_zoned(jiff::tz::TimeZone::UTC);
    let mut cells = vec![String::new(); header.len()];
    let mut set = |name: &str, value: String| {
        let i = header.iter().position(|h| *h == name).unwrap();
        cells[i] = value;
    };
    set("Date", zoned.strftime("%Y-%m-%d").to_string());
    set("Time", zoned.strftime("%H:%M:%S").to_string());
    set("Time Zone", "UTC".into());
    set("Total Collected", total.into());
    set("Transaction ID", format!("T-{payment_id}"));
    set("Payment ID", payment_id.into());
    set("PAN Suffix", pan.into());
    set("Event Type", event.into());
    set("Staff Name", "Ana".into());
    cells
        .iter()
        .map(|c| {
            if c.contains(',') || c.contains(' ') {
                format!("\"{c}\"")
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn card(last4: &str) -> PaymentMethod {
    PaymentMethod::Card {
        last4: Some(last4.into()),
        approval_code: None,
    }
}

fn square(reference: &str) -> PaymentMethod {
    PaymentMethod::External {
        system: "Square".into(),
        reference: reference.into(),
    }
}

fn time_of(records: &[Record], id: TxId) -> Timestamp {
    records
        .iter()
        .find_map(|r| match r {
            Record::Transaction { transaction } if transaction.id == id => {
                Some(transaction.created_at)
            }
            _ => None,
        })
        .unwrap()
}

struct Manager<'a> {
    api: &'a Api,
    token: String,
}

impl Manager<'_> {
    async fn upload(&self, query: &str, body: Vec<u8>) -> (u16, Value) {
        let res = self
            .api
            .http
            .post(format!("{}/v1/manager/settlements?{query}", self.api.url))
            .header(
                API_VERSION_HEADER,
                fairtill_protocol::API_VERSION.to_string(),
            )
            .header("content-type", "text/csv")
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    async fn import(&self, query: &str, body: Vec<u8>) -> SettlementReport {
        let (status, v) = self.upload(query, body).await;
        assert_eq!(status, 200, "{v}");
        serde_json::from_value(v).unwrap()
    }

    async fn decide(&self, report: &SettlementReport, line: u64, body: Value) -> (u16, Value) {
        self.api
            .post(
                &format!("/v1/manager/settlements/{}/rows/{line}", report.import.id),
                Some(&self.token),
                body,
            )
            .await
    }

    /// A decision that must be refused (400) in words containing `words`.
    async fn refused(&self, report: &SettlementReport, line: u64, body: Value, words: &str) {
        let (status, v) = self.decide(report, line, body).await;
        assert_eq!(status, 400, "{v}");
        assert!(v["message"].as_str().unwrap().contains(words), "{v}");
    }

    /// A decision that must be taken; the report after it.
    async fn decided(&self, report: &SettlementReport, line: u64, body: Value) -> SettlementReport {
        let (status, v) = self.decide(report, line, body).await;
        assert_eq!(status, 200, "{v}");
        serde_json::from_value(v).unwrap()
    }
}

fn states(report: &SettlementReport) -> Vec<(String, MatchState)> {
    report
        .matches
        .iter()
        .map(|m| (m.row.reference.clone(), m.state))
        .collect()
}

#[tokio::test]
async fn settlements_match_on_sqlite() {
    settlements_match(Kind::Sqlite).await
}

#[tokio::test]
async fn settlements_match_on_postgres() {
    settlements_match(Kind::Postgres).await
}

async fn settlements_match(kind: Kind) {
    let server = with_manager(kind, &["Booth 1", "Back office"]);
    let api = &server.api;
    let (code_a, code_b) = (&server.codes[0], &server.codes[1]);
    let event = EventId(Uuid::now_v7());
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    b.base = a.base + 600;
    let token_a = api.enroll(code_a, a.device).await;
    let token_b = api.enroll(code_b, b.device).await;

    // Booth 1 takes cards on Square's terminal; the back office logs Square sales made
    // elsewhere with Square's payment id.
    let mut records = Vec::new();
    let (r, card_2250) = a.sale_with(usd("22.50"), card("1111"), TxResult::Approved, |_| {});
    records.extend(r);
    let (r, card_800) = a.sale_with(usd("8.00"), card("4444"), TxResult::Approved, |_| {});
    records.extend(r);
    let (r, card_500) = a.sale_with(usd("5.00"), card("5555"), TxResult::Approved, |_| {});
    records.extend(r);
    let (r, card_4000) = a.sale_with(usd("40.00"), card("7777"), TxResult::Approved, |_| {});
    records.extend(r);
    records.extend(a.run(Command::Refund {
        parent: card_4000,
        strategy: RefundStrategy::Amount { amount: usd("10") },
        progress: RefundProgress::Complete,
        reason: None,
    }));
    api.push(&token_a, &records).await;
    let mut logged = Vec::new();
    let (r, logged_30) = b.sale("30", square("PAY-2"));
    logged.extend(r);
    logged.extend(b.sale("12", square("PAY-3")).0);
    api.push(&token_b, &logged).await;

    let at = |id| time_of(&records, id);
    let later = |t: Timestamp, minutes: i64| {
        t.checked_add(jiff::SignedDuration::from_mins(minutes))
            .unwrap()
    };
    let rows = [
        square_row(
            later(at(card_2250), 3),
            "$22.50",
            "PAY-1",
            "1111",
            "Payment",
        ),
        square_row(
            time_of(&logged, logged_30),
            "$30.00",
            "PAY-2",
            "",
            "Payment",
        ),
        square_row(at(card_500), "$12.50", "PAY-3", "", "Payment"),
        square_row(at(card_800), "$8.00", "PAY-4", "9999", "Payment"),
        square_row(at(card_4000), "$40.00", "PAY-5", "7777", "Payment"),
        square_row(
            later(at(card_4000), 5),
            "($10.00)",
            "PAY-5R",
            "7777",
            "Refund",
        ),
        square_row(at(card_500), "$1,149.00 ", "PAY-6", "", "Payment"),
    ];
    let file = format!("{SQUARE_HEADER}\n{}\n", rows.join("\n")).into_bytes();
    let manager = Manager {
        api,
        token: api.login("alex", PASSWORD).await,
    };
    let report = manager
        .import("file_name=square-nov.csv&currency=USD", file.clone())
        .await;
    assert_eq!(report.import.format, "Square transactions");
    assert_eq!((report.import.rows, report.import.skipped), (7, 0));
    assert!(!report.already_imported);
    assert_eq!(
        states(&report),
        vec![
            ("PAY-3".to_string(), MatchState::AmountMismatch),
            ("PAY-1".to_string(), MatchState::Suggested),
            ("PAY-5".to_string(), MatchState::Suggested),
            ("PAY-5R".to_string(), MatchState::Suggested),
            ("PAY-2".to_string(), MatchState::Matched),
        ]
    );
    let mismatch = &report.matches[0];
    assert_eq!(mismatch.difference, usd("0.50"));
    assert_eq!(mismatch.entry.device_name, "Back office");
    assert_eq!(report.matches[1].entry.id, card_2250);
    assert_eq!(report.matches[3].entry.kind, "refund");
    // PAY-4's card digits differ from the 8.00 sale's, and nobody sold for 1,149.00.
    let unmatched: Vec<&str> = report
        .unmatched_rows
        .iter()
        .map(|r| r.reference.as_str())
        .collect();
    assert_eq!(unmatched, vec!["PAY-4", "PAY-6"]);
    assert_eq!(report.unmatched_rows[1].amount, usd("1149.00"));
    let left: Vec<TxId> = report.unmatched_entries.iter().map(|e| e.id).collect();
    assert_eq!(left, vec![card_800, card_500]);

    // Square's export names no currency: the import says which.
    let (status, v) = manager.upload("", file.clone()).await;
    assert_eq!(status, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("no currency column"),
        "{v}"
    );

    // The same file again changes nothing.
    let again = manager
        .import(
            "file_name=copy-of-square-nov.csv&currency=USD",
            file.clone(),
        )
        .await;
    assert!(again.already_imported);
    assert_eq!(again.import.id, report.import.id);
    assert_eq!(states(&again), states(&report));

    // Confirm the suggestion for PAY-1; a match that is not a suggestion cannot be confirmed.
    let line = |r: &SettlementReport, reference: &str| {
        r.matches
            .iter()
            .map(|m| &m.row)
            .chain(r.unmatched_rows.iter())
            .find(|row| row.reference == reference)
            .unwrap()
            .line
    };
    let after = manager
        .decided(
            &report,
            line(&report, "PAY-1"),
            json!({ "action": "confirm" }),
        )
        .await;
    assert!(states(&after).contains(&("PAY-1".to_string(), MatchState::Confirmed)));
    manager
        .refused(
            &report,
            line(&report, "PAY-2"),
            json!({ "action": "confirm" }),
            "not a suggestion",
        )
        .await;

    // Link PAY-4 to the 8.00 sale by hand; the same sale cannot go with a second row.
    let after = manager
        .decided(
            &report,
            line(&report, "PAY-4"),
            json!({ "action": "link", "transaction_id": card_800 }),
        )
        .await;
    assert!(states(&after).contains(&("PAY-4".to_string(), MatchState::Linked)));
    let left: Vec<TxId> = after.unmatched_entries.iter().map(|e| e.id).collect();
    assert_eq!(left, vec![card_500]);
    manager
        .refused(
            &report,
            line(&report, "PAY-6"),
            json!({ "action": "link", "transaction_id": card_800 }),
            "already goes with line",
        )
        .await;
    // A payment row cannot be linked to a refund.
    let refund_id = after
        .matches
        .iter()
        .find(|m| m.row.reference == "PAY-5R")
        .unwrap()
        .entry
        .id;
    manager
        .refused(
            &report,
            line(&report, "PAY-6"),
            json!({ "action": "link", "transaction_id": refund_id }),
            "is a refund",
        )
        .await;

    // Reject the PAY-5 suggestion: its row and sale are unmatched again.
    let after = manager
        .decided(
            &report,
            line(&report, "PAY-5"),
            json!({ "action": "reject" }),
        )
        .await;
    assert!(after.unmatched_rows.iter().any(|r| r.reference == "PAY-5"));
    assert!(after.unmatched_entries.iter().any(|e| e.id == card_4000));

    // Every decision is in the audit log.
    let audit = api.get_json("/v1/manager/audit", &manager.token).await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "import_settlement",
        "confirm_settlement_match",
        "link_settlement_match",
        "reject_settlement_match",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    // A malformed file is refused whole, with its lines.
    let bad = format!(
        "{SQUARE_HEADER}\n{}\n{}\n{}\n",
        square_row(at(card_500), "$9.00", "PAY-7", "", "Payment"),
        square_row(at(card_500), "lots", "PAY-8", "", "Payment"),
        square_row(at(card_500), "", "PAY-9", "", "Payment"),
    );
    let (status, v) = manager.upload("currency=USD", bad.into_bytes()).await;
    assert_eq!(status, 400);
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("nothing was imported"), "{message}");
    assert!(
        message.contains("line 3: the amount \"lots\" is not a number"),
        "{message}"
    );
    assert!(
        message.contains("line 4: the amount \"\" is not a number"),
        "{message}"
    );
    let (status, v) = manager
        .upload("", b"when,what,how much\n2026-11-22,tea,4.00\n".to_vec())
        .await;
    assert_eq!(status, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("Square transactions"),
        "{v}"
    );
    let imports = api
        .get_json("/v1/manager/settlements", &manager.token)
        .await;
    assert_eq!(imports.as_array().unwrap().len(), 1);

    // An unknown format, read with a mapping the manager saves.
    let mapping = json!({
        "name": "Booth bank",
        "reference": ["Ref"],
        "amount": ["Betrag"],
        "date": ["Tag"],
        "day_first": true
    });
    let (status, v) = api
        .post(
            "/v1/manager/settlement-formats",
            Some(&manager.token),
            mapping,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = api
        .post(
            "/v1/manager/settlement-formats",
            Some(&manager.token),
            json!({ "name": "Square transactions", "reference": ["a"], "amount": ["b"], "date": ["c"] }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("built-in"), "{v}");
    let formats = api
        .get_json("/v1/manager/settlement-formats", &manager.token)
        .await;
    assert!(formats
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "Booth bank"));
    let day = at(card_500)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%d.%m.%Y")
        .to_string();
    let bank = format!("Tag;Ref;Betrag\n{day};PAY-2;30,00\n");
    let (status, v) = manager
        .upload("format=Booth%20bank", bank.clone().into_bytes())
        .await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("currency"), "{v}");
    let report = manager
        .import("format=booth%20bank&currency=usd", bank.into_bytes())
        .await;
    assert_eq!(
        states(&report),
        vec![("PAY-2".to_string(), MatchState::Matched)]
    );

    // Only managers.
    let (status, _) = api.get("/v1/manager/settlements", Some(&token_a)).await;
    assert_eq!(status, 403);
}

/// An export re-saved by a spreadsheet with its id columns emptied: the rows are read and
/// suggested by amount, currency and time, with no reference; a row with no amount or no date
/// is still refused by its line.
#[tokio::test]
async fn rows_without_a_reference_are_matched_by_amount_and_time() {
    let server = with_manager(Kind::Sqlite, &["Booth 1"]);
    let api = &server.api;
    let event = EventId(Uuid::now_v7());
    let mut till = Till::new(event);
    let token = api.enroll(&server.codes[0], till.device).await;
    let mut records = Vec::new();
    let (r, first) = till.sale_with(usd("22.50"), card("1111"), TxResult::Approved, |_| {});
    records.extend(r);
    let (r, second) = till.sale_with(usd("8.00"), card("4444"), TxResult::Approved, |_| {});
    records.extend(r);
    api.push(&token, &records).await;
    let manager = Manager {
        api,
        token: api.login("alex", PASSWORD).await,
    };
    let no_ids = |row: String| row.replace(",T-,,", ",,,");
    let rows = [
        no_ids(square_row(
            time_of(&records, first),
            "$22.50",
            "",
            "1111",
            "Payment",
        )),
        no_ids(square_row(
            time_of(&records, second),
            "$8.00",
            "",
            "4444",
            "Payment",
        )),
    ];
    // Excel's line endings, and a row whose amount was lost as well: refused, by its line.
    let broken = no_ids(square_row(time_of(&records, second), "", "", "", "Payment"));
    let file = format!("{SQUARE_HEADER}\r\n{}\r\n{broken}\r\n", rows.join("\r\n"));
    let (status, v) = manager.upload("currency=USD", file.into_bytes()).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("line 4"), "{v}");
    let file = format!("{SQUARE_HEADER}\r\n{}\r\n", rows.join("\r\n"));
    let report = manager.import("currency=USD", file.into_bytes()).await;
    assert_eq!(report.import.rows, 2);
    let got: Vec<(String, MatchState, String)> = report
        .matches
        .iter()
        .map(|m| (m.row.reference.clone(), m.state, m.entry.id.to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            (String::new(), MatchState::Suggested, first.to_string()),
            (String::new(), MatchState::Suggested, second.to_string()),
        ]
    );
}

#[tokio::test]
async fn real_exports_read_as_they_are() {
    let server = with_manager(Kind::Sqlite, &[]);
    let api = &server.api;
    let manager = Manager {
        api,
        token: api.login("alex", PASSWORD).await,
    };
    let read = |name: &'static str, query: &'static str| {
        let manager = &manager;
        async move {
            let r = manager.import(query, fixture(name)).await;
            (r.import.format.clone(), r.import.rows, r.import.skipped)
        }
    };
    assert_eq!(
        read("stripe-unified-payments.csv", "").await,
        ("Stripe payments".to_string(), 1, 0)
    );
    assert_eq!(
        read("stripe-balance-change-itemized-2025.csv", "").await,
        ("Stripe balance change (itemized)".to_string(), 2, 0)
    );
    // PayPal: three payments received and two refunds; purchases, conversions and holds skipped.
    assert_eq!(
        read("paypal-activity-en-2014-refunds.csv", "").await,
        ("PayPal activity".to_string(), 5, 52)
    );
    // SumUp names no currency. The French file holds four sales and a refund, besides payouts.
    let (status, v) = manager
        .upload("", fixture("sumup-transactions-fr-refund.csv"))
        .await;
    assert_eq!(status, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("no currency column"),
        "{v}"
    );
    assert_eq!(
        read("sumup-transactions-fr-refund.csv", "currency=CHF").await,
        ("SumUp transactions".to_string(), 5, 4)
    );
    // A real bar's month: 724 card sales; payouts, cash, canceled and failed attempts skipped.
    assert_eq!(
        read("sumup-transactions-de.csv", "currency=CHF").await,
        ("SumUp transactions".to_string(), 724, 1214)
    );
    // A download cut off in the middle of a sale: the broken row is named, nothing imported.
    let whole = String::from_utf8(fixture("sumup-transactions-de-2025-10.csv")).unwrap();
    let second_line = whole.lines().nth(1).unwrap();
    let cut = format!(
        "{}\n{}",
        whole.lines().next().unwrap(),
        &second_line[..second_line.len() / 2]
    );
    let (status, v) = manager.upload("currency=CHF", cut.into_bytes()).await;
    assert_eq!(status, 400);
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("nothing was imported"), "{message}");
    assert!(
        message.contains("line 2: the amount \"\" is not a number"),
        "{message}"
    );
    // The whole file reads: one card sale, its payout skipped.
    assert_eq!(
        read("sumup-transactions-de-2025-10.csv", "currency=CHF").await,
        ("SumUp transactions".to_string(), 1, 1)
    );
    // A year of a busy account is larger than a push (4 MiB): settlement files may be 64 MiB.
    let mut big = String::from("Date,Time,Time Zone,Total Collected,Payment ID,Event Type\n");
    while big.len() < 6 * 1024 * 1024 {
        big.push_str("2026-06-01,10:00:00,UTC,$10.00,DEPOSIT-0000000000000000000000,Deposit\n");
    }
    let report = manager.import("currency=USD", big.into_bytes()).await;
    assert_eq!(report.import.rows, 0);
    assert!(report.import.skipped > 80_000);
    // This Stripe sample was pseudonymized down to its currency ("por"): refused, with lines.
    let (status, v) = manager
        .upload("", fixture("stripe-balance-all-transactions.csv"))
        .await;
    assert_eq!(status, 400);
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("5 rows could not be read"), "{message}");
    assert!(
        message.contains("line 3: \"por\" is not a currency code"),
        "{message}"
    );
}
