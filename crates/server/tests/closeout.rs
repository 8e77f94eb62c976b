//! Close-out over real HTTP on both backends: an event's figures for the whole event, each
//! device and each staff member, per currency and payment method, with discounts, cash
//! sessions (counted against expected) and open authorizations; as JSON and as CSV.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use fairtill_core::ids::{EventId, TxId};
use fairtill_core::ledger::*;
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{Discount, DiscountValue};
use fairtill_core::{SignedDuration, Timestamp};
use fairtill_protocol::*;
use serde_json::Value;
use uuid::Uuid;

const PASSWORD: &str = MANAGER_PASSWORD;

fn eur(t: &str) -> Money {
    Money::parse(t, Currency::from_code("EUR").unwrap()).unwrap()
}

fn card() -> PaymentMethod {
    PaymentMethod::Card {
        last4: Some("4242".into()),
        approval_code: None,
    }
}

fn authorize(t: &mut Till, amount: &str, minutes: i64) -> (Vec<Record>, TxId) {
    t.order_and_pay(
        usd(amount),
        card(),
        TxResult::Approved,
        PaymentKind::Authorize {
            capture_window: SignedDuration::from_mins(minutes),
        },
        |_| {},
    )
}

/// A currency's figures in a summary.
fn cur<'a>(s: &'a Summary, code: &str) -> &'a CurrencySummary {
    s.currencies
        .iter()
        .find(|c| c.currency.code() == code)
        .unwrap_or_else(|| panic!("no {code} in {s:?}"))
}

fn method<'a>(p: &'a CloseOutPart, name: &str, code: &str) -> &'a CurrencySummary {
    p.by_method
        .iter()
        .find(|m| m.method == name)
        .and_then(|m| m.currencies.iter().find(|c| c.currency.code() == code))
        .unwrap_or_else(|| panic!("no {name} {code} in {:?}", p.by_method))
}

fn part<'a>(parts: &'a [CloseOutPart], label: &str) -> &'a CloseOutPart {
    parts
        .iter()
        .find(|p| p.label == label)
        .unwrap_or_else(|| panic!("no part {label}"))
}

#[tokio::test]
async fn an_event_closes_out_on_sqlite() {
    an_event_closes_out(Kind::Sqlite).await
}

#[tokio::test]
async fn an_event_closes_out_on_postgres() {
    an_event_closes_out(Kind::Postgres).await
}

async fn an_event_closes_out(kind: Kind) {
    let fixture = with_manager(kind, &["Booth 1", "Booth 2"]);
    let api = &fixture.api;
    let (code_a, code_b) = (&fixture.codes[0], &fixture.codes[1]);
    let event = EventId(Uuid::now_v7());
    // The day began two hours ago, so authorizations are judged against the server's clock.
    let base = Timestamp::now().as_second() - 7200;
    let mut a = Till::new(event);
    let mut b = Till::new(event);
    a.base = base;
    b.base = base + 3600;
    b.staff = "ben".into();
    let token_a = api.enroll(code_a, a.device).await;
    let token_b = api.enroll(code_b, b.device).await;

    // Booth 1, Ana: 100.00 cash; a 40.00 print with 4.00 off by card; a declined card
    // attempt; 30.00 of the cash sale refunded. Cleo logs an 18.00 Shopify sale.
    let mut records = Vec::new();
    let (sale, cash_sale) = a.sale("100", PaymentMethod::Cash);
    records.extend(sale);
    records.extend(
        a.sale_with(usd("40"), card(), TxResult::Approved, |d| {
            d.discount = Some(Discount {
                value: DiscountValue::Amount { amount: usd("4") },
                reason: "show special".into(),
            })
        })
        .0,
    );
    records.extend(a.sale_with(usd("20"), card(), TxResult::Declined, |_| {}).0);
    records.extend(a.run(Command::Refund {
        parent: cash_sale,
        strategy: RefundStrategy::Amount { amount: usd("30") },
        progress: RefundProgress::Complete,
        reason: Some("damaged".into()),
    }));
    a.staff = "cleo".into();
    records.extend(
        a.sale(
            "18",
            PaymentMethod::External {
                system: "Shopify".into(),
                reference: "#1001".into(),
            },
        )
        .0,
    );
    // Logged twice by mistake: the second is voided.
    let (twice, twice_id) = a.sale(
        "12",
        PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#1002".into(),
        },
    );
    records.extend(twice);
    records.extend(a.run(Command::Void {
        target: twice_id,
        reason: Some("logged twice".into()),
    }));
    let session_a = Uuid::now_v7();
    let opened = Record::TillOpened {
        session_id: session_a,
        device_id: a.device,
        event_id: Some(event),
        float: usd("50"),
        opened_at: Timestamp::from_second(base).unwrap(),
        opened_by: "ana".into(),
    };
    let closed = Record::TillClosed {
        session_id: session_a,
        closed_at: Timestamp::from_second(base + 3000).unwrap(),
        closed_by: "ana".into(),
        counted: usd("119.50"),
        expected: usd("120.00"),
        note: Some("a coin short".into()),
    };
    records.push(opened.clone());
    records.push(closed.clone());
    let outcomes = api.push(&token_a, &records).await;
    assert!(
        outcomes.iter().all(|o| *o == PushOutcome::Stored),
        "{outcomes:?}"
    );
    // Sessions are idempotent like everything else.
    assert_eq!(
        api.push(&token_a, &[opened, closed.clone()]).await,
        vec![PushOutcome::AlreadyHad, PushOutcome::AlreadyHad]
    );

    // Booth 2, Ben: 50.00 EUR cash with 10% off a line; three card authorizations: 80.00 (10 h
    // to capture, 30.00 captured), 25.00 (30 minutes: it lapsed uncaptured) and 60.00 (3 days).
    let mut records = b
        .sale_with(eur("50"), PaymentMethod::Cash, TxResult::Approved, |d| {
            d.lines[0].discount = Some(Discount {
                value: DiscountValue::Percent {
                    percent: "10".parse().unwrap(),
                },
                reason: "early bird".into(),
            })
        })
        .0;
    let (auth, held) = authorize(&mut b, "80", 10 * 60);
    records.extend(auth);
    records.extend(b.run(Command::Capture {
        authorization: held,
        amount: usd("30"),
        result: TxResult::Approved,
    }));
    records.extend(authorize(&mut b, "25", 30).0);
    records.extend(authorize(&mut b, "60", 72 * 60).0);
    records.push(Record::TillOpened {
        session_id: Uuid::now_v7(),
        device_id: b.device,
        event_id: Some(event),
        float: eur("20"),
        opened_at: Timestamp::from_second(base + 3600).unwrap(),
        opened_by: "ben".into(),
    });
    let outcomes = api.push(&token_b, &records).await;
    assert!(
        outcomes.iter().all(|o| *o == PushOutcome::Stored),
        "{outcomes:?}"
    );
    // A till cannot close another till's session.
    let forged = Record::TillClosed {
        session_id: session_a,
        closed_at: Timestamp::now(),
        closed_by: "ben".into(),
        counted: usd("0"),
        expected: usd("0"),
        note: None,
    };
    let PushOutcome::Invalid { reason } = &api.push(&token_b, &[forged]).await[0] else {
        panic!("a forged close is refused")
    };
    assert!(reason.contains("pushes only its own records"), "{reason}");
    // A malformed close is refused in words.
    let bad = Record::TillClosed {
        session_id: Uuid::now_v7(),
        closed_at: Timestamp::now(),
        closed_by: " ".into(),
        counted: usd("1"),
        expected: usd("1"),
        note: None,
    };
    let PushOutcome::Invalid { reason } = &api.push(&token_b, &[bad]).await[0] else {
        panic!("a close without a name is refused")
    };
    assert!(reason.contains("who closed it"), "{reason}");

    let manager = api.login("alex", PASSWORD).await;
    let get = |query: String| {
        let api = &api;
        let manager = manager.clone();
        async move {
            let v: Value = api
                .get_json(&format!("/v1/manager/closeout?{query}"), &manager)
                .await;
            serde_json::from_value::<CloseOut>(v).unwrap()
        }
    };
    let all = get(format!("event={event}")).await;

    // The whole event.
    let usd_all = cur(&all.whole.summary, "USD");
    assert_eq!(usd_all.gross_sales, usd("196.00")); // 100 + 36 + 18 + 12 + 30 captured
    assert_eq!(usd_all.voided, usd("12.00")); // the sale logged by mistake
    assert_eq!(usd_all.refunded, usd("30.00"));
    assert_eq!(usd_all.net, usd("154.00"));
    assert_eq!(usd_all.authorized, usd("165.00"));
    assert_eq!(usd_all.captured, usd("30.00"));
    assert_eq!(usd_all.canceled, usd("25.00")); // the lapsed authorization
    assert_eq!(usd_all.declined_count, 1);
    assert_eq!(cur(&all.whole.summary, "EUR").net, eur("45.00"));
    assert_eq!(method(&all.whole, "cash", "USD").net, usd("70.00"));
    assert_eq!(method(&all.whole, "card", "USD").gross_sales, usd("66.00"));
    assert_eq!(method(&all.whole, "external", "USD").net, usd("18.00"));
    assert_eq!(method(&all.whole, "external", "USD").voided, usd("12.00"));
    assert_eq!(all.whole.discounts, vec![eur("5.00"), usd("4.00")]);
    assert_eq!(all.whole.discounted_orders, 2);
    assert_eq!(all.whole.over_short, vec![usd("-0.50")]);

    // Per device, by the names the manager gave them.
    let labels: Vec<&str> = all.devices.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, vec!["Booth 1", "Booth 2"]);
    let booth1 = part(&all.devices, "Booth 1");
    assert_eq!(booth1.key, a.device.to_string());
    assert_eq!(cur(&booth1.summary, "USD").net, usd("124.00"));
    assert_eq!(method(booth1, "cash", "USD").refunded, usd("30.00"));
    assert_eq!(method(booth1, "card", "USD").declined_count, 1);
    assert_eq!(booth1.discounts, vec![usd("4.00")]);
    assert_eq!(booth1.over_short, vec![usd("-0.50")]);
    let booth2 = part(&all.devices, "Booth 2");
    assert_eq!(cur(&booth2.summary, "USD").gross_sales, usd("30.00"));
    assert_eq!(cur(&booth2.summary, "EUR").gross_sales, eur("45.00"));
    assert_eq!(booth2.discounts, vec![eur("5.00")]);
    assert!(booth2.over_short.is_empty());

    // Per staff member.
    let labels: Vec<&str> = all.staff.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(labels, vec!["ana", "ben", "cleo"]);
    assert_eq!(
        cur(&part(&all.staff, "ana").summary, "USD").net,
        usd("106.00")
    );
    assert_eq!(part(&all.staff, "ana").over_short, vec![usd("-0.50")]);
    assert_eq!(
        cur(&part(&all.staff, "cleo").summary, "USD").net,
        usd("18.00")
    );

    // Cash sessions: counted against expected, and one still open.
    assert_eq!(all.sessions.len(), 2);
    let first = &all.sessions[0];
    assert_eq!(first.device_name, "Booth 1");
    assert_eq!(first.float, usd("50.00"));
    let count = first.close.as_ref().unwrap();
    assert_eq!(
        (count.expected, count.counted, count.over_short),
        (usd("120.00"), usd("119.50"), usd("-0.50"))
    );
    assert_eq!(count.note.as_deref(), Some("a coin short"));
    assert_eq!(all.sessions[1].opened_by, "ben");
    assert!(all.sessions[1].close.is_none());

    // Authorizations still holding money, soonest first; the lapsed one is not among them.
    let open: Vec<(Money, Money, bool)> = all
        .open_authorizations
        .iter()
        .map(|o| (o.amount, o.remaining, o.expires_soon))
        .collect();
    assert_eq!(
        open,
        vec![
            (usd("80.00"), usd("50.00"), true),
            (usd("60.00"), usd("60.00"), false)
        ]
    );
    assert_eq!(all.open_authorizations[0].device_name, "Booth 2");

    // The event is listed for the manager to pick, by id (it was made on a till).
    let events: Vec<EventSummary> =
        serde_json::from_value(api.get_json("/v1/manager/events", &manager).await).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].id, events[0].name.as_deref()), (event, None));
    assert_eq!(events[0].transactions, 12);

    // One device, one staff member.
    let only_b = get(format!("event={event}&device={}", b.device)).await;
    assert_eq!(only_b.devices.len(), 1);
    assert_eq!(cur(&only_b.whole.summary, "USD").authorized, usd("165.00"));
    assert_eq!(only_b.sessions.len(), 1);
    let cleo = get(format!("event={event}&staff=cleo")).await;
    assert_eq!(cleo.whole.summary.currencies.len(), 1);
    assert_eq!(cur(&cleo.whole.summary, "USD").gross_sales, usd("30.00"));
    assert_eq!(cur(&cleo.whole.summary, "USD").net, usd("18.00"));
    assert!(cleo.sessions.is_empty() && cleo.open_authorizations.is_empty());
    // Another event has nothing.
    let empty = get(format!("event={}", EventId(Uuid::now_v7()))).await;
    assert!(empty.whole.summary.currencies.is_empty() && empty.devices.is_empty());

    // Sales per hour, for the charts: on the hour, by till, staff and method.
    let hourly: Vec<HourlySales> = serde_json::from_value(
        api.get_json(
            &format!("/v1/manager/sales-by-hour?event={event}"),
            &manager,
        )
        .await,
    )
    .unwrap();
    assert!(hourly
        .iter()
        .all(|h| h.hour.as_millisecond() % 3_600_000 == 0));
    assert!(hourly.windows(2).all(|w| w[0].hour <= w[1].hour));
    let usd_of = |device: &str, method: &str, f: fn(&HourlySales) -> Money| {
        hourly
            .iter()
            .filter(|h| h.device_name == device && h.method == method)
            .map(f)
            .filter(|m| m.currency().code() == "USD")
            .map(|m| m.minor())
            .sum::<i64>()
    };
    assert_eq!(usd_of("Booth 1", "cash", |h| h.gross), 10_000);
    assert_eq!(usd_of("Booth 1", "cash", |h| h.refunded), 3_000);
    assert_eq!(usd_of("Booth 1", "card", |h| h.gross), 3_600); // the declined attempt is not a sale
    assert_eq!(usd_of("Booth 1", "external", |h| h.gross), 1_800); // the voided one left out
    assert_eq!(usd_of("Booth 2", "card", |h| h.gross), 3_000);

    // CSV for accounting: figures, sessions, authorizations.
    let csv_of = |part: &'static str| {
        let api = &api;
        let manager = manager.clone();
        async move {
            let (status, body) = api
                .get(
                    &format!("/v1/manager/closeout.csv?event={event}&part={part}"),
                    Some(&manager),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            assert!(
                body.starts_with('\u{feff}'),
                "for a spreadsheet: a byte-order mark"
            );
            let mut reader = csv::Reader::from_reader(body.as_bytes());
            let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
            let rows: Vec<Vec<String>> = reader
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect();
            (header, rows)
        }
    };
    let (header, rows) = csv_of("figures").await;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = |part: &str, name: &str, method: &str, currency: &str| {
        rows.iter()
            .find(|r| r[0] == part && r[1] == name && r[2] == method && r[3] == currency)
            .unwrap_or_else(|| panic!("no row {part} {name} {method} {currency}"))
            .clone()
    };
    let whole = row("event", "Whole event", "all", "USD");
    assert_eq!(whole[col("net")], "154.00");
    assert_eq!(whole[col("discounts")], "4.00");
    assert_eq!(whole[col("over_short")], "-0.50");
    assert_eq!(
        row("device", "Booth 1", "cash", "USD")[col("refunded")],
        "30.00"
    );
    assert_eq!(
        row("staff", "ben", "all", "EUR")[col("gross_sales")],
        "45.00"
    );
    let (_, sessions) = csv_of("sessions").await;
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0][10], "-0.50");
    let (_, held) = csv_of("authorizations").await;
    assert_eq!(held.len(), 2);
    assert_eq!(held[0][7], "50.00");

    // Bad requests say what to fix; devices may not read close-outs.
    let (status, body) = api.get("/v1/manager/closeout", Some(&manager)).await;
    assert_eq!(status, 400);
    assert!(body.contains("say which event"), "{body}");
    let (status, body) = api
        .get("/v1/manager/closeout?event=lunch", Some(&manager))
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("not an event id"), "{body}");
    let (status, body) = api
        .get(
            &format!("/v1/manager/closeout.csv?event={event}&part=totals"),
            Some(&manager),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("figures, sessions, authorizations"), "{body}");
    let (status, _) = api
        .get(
            &format!("/v1/manager/closeout?event={event}"),
            Some(&token_a),
        )
        .await;
    assert_eq!(status, 403);

    // Devices do not pull each other's cash sessions.
    let pulled = api.pull(&token_b, event).await;
    assert!(pulled
        .iter()
        .all(|r| !matches!(r, Record::TillOpened { .. } | Record::TillClosed { .. })));
    assert!(pulled
        .iter()
        .any(|r| matches!(r, Record::Transaction { .. })));
}
