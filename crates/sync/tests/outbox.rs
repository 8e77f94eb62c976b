//! Everything a device records becomes valid wire records, in push order, exactly once.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{draft, usd};

use fairtill_core::ledger::*;
use fairtill_core::offer::OfferLine;
use fairtill_core::tax::TaxCategory;
use fairtill_core::SignedDuration;
use fairtill_protocol::RecordType;
use fairtill_store::{Actor, Tender, Till};

#[test]
fn every_kind_of_record_leaves_the_outbox_valid_and_in_push_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = Till::open(&dir.path().join("till.db")).unwrap();
    let actor = Actor {
        staff: "ana".into(),
        event_id: None,
    };
    let cash = Tender {
        kind: PaymentKind::Sale,
        method: PaymentMethod::Cash,
        result: TxResult::Approved,
        amount: None,
    };
    let fair = till
        .create_event(
            "Spring Craft Fair",
            usd("1").currency(),
            fairtill_core::tax::TaxPolicy::none(),
            fairtill_core::event::CaptureMode::Automatic,
            SignedDuration::from_hours(72),
        )
        .unwrap();
    let sale = till.record_sale(&actor, draft("20"), cash.clone()).unwrap();
    let refund = till
        .refund(
            &actor,
            sale.transaction_id,
            RefundStrategy::Amount { amount: usd("5") },
            RefundProgress::Pending,
            None,
        )
        .unwrap();
    till.resolve(
        &actor,
        refund,
        TxResult::Approved,
        Some("terminal confirmed".into()),
    )
    .unwrap();
    let card = PaymentMethod::Card {
        last4: None,
        approval_code: None,
    };
    let auth = Tender {
        kind: PaymentKind::Authorize {
            capture_window: SignedDuration::from_hours(48),
        },
        method: card,
        ..cash
    };
    let authorized = till.record_sale(&actor, draft("30"), auth).unwrap();
    till.capture(&actor, authorized.transaction_id, usd("10"))
        .unwrap();
    let open = till.place_order(&actor, draft("7")).unwrap();
    till.write_off(&actor, open.id, "walked away").unwrap();
    let line = OfferLine {
        sku: "MUG".into(),
        name: "Mug".into(),
        unit_price: usd("8"),
        quantity: 2,
        tax_category: TaxCategory::Standard,
    };
    let offer = till
        .save_offer("Two mugs", usd("1").currency(), vec![line])
        .unwrap();
    till.retire_offer(&actor, offer.id()).unwrap();
    // A cash session: opened after the cash sale, so the drawer should hold the float alone.
    let session = till.open_till(&actor, usd("50")).unwrap();
    till.close_till(&actor, usd("70"), "a tip jar emptied in")
        .unwrap();

    let pending = fairtill_sync::pending(&till, 1000).unwrap();
    let types: Vec<RecordType> = pending.iter().map(|p| p.record.key().record_type).collect();
    assert_eq!(
        types,
        vec![
            RecordType::Event,
            RecordType::Order,
            RecordType::Order,
            RecordType::Order,
            RecordType::Transaction,
            RecordType::Transaction,
            RecordType::Transaction,
            RecordType::Transaction,
            RecordType::ResultChange,
            RecordType::WriteOff,
            RecordType::Offer,
            RecordType::OfferRetirement,
            RecordType::TillOpened,
            RecordType::TillClosed,
        ]
    );
    assert_eq!(
        pending[0].record,
        fairtill_protocol::Record::Event { event: fair },
        "the event made here goes first, whole"
    );
    let device = till.device().id;
    assert!(pending.iter().any(|p| p.record
        == fairtill_protocol::Record::TillOpened {
            session_id: session.id,
            device_id: device,
            event_id: None,
            float: usd("50"),
            opened_at: session.opened_at,
            opened_by: "ana".into(),
        }));
    let Some(fairtill_protocol::Record::TillClosed {
        session_id,
        counted,
        expected,
        note,
        closed_by,
        ..
    }) = pending.last().map(|p| &p.record)
    else {
        panic!("the closing is pushed last")
    };
    assert_eq!(*session_id, session.id);
    assert_eq!((*counted, *expected), (usd("70"), usd("50")));
    assert_eq!(note.as_deref(), Some("a tip jar emptied in"));
    assert_eq!(closed_by, "ana");
    for p in &pending {
        p.record
            .validate()
            .unwrap_or_else(|e| panic!("{:?} is not valid: {e}", p.record.key()));
    }
    let keys: std::collections::BTreeSet<_> = pending.iter().map(|p| p.record.key()).collect();
    assert_eq!(keys.len(), pending.len(), "keys are unique");

    // Small batches walk the same records; acknowledging moves the watermark.
    let first = fairtill_sync::pending(&till, 4).unwrap();
    assert_eq!(first.len(), 4);
    for p in &first {
        till.outbox_ack(p.store_type, p.seq).unwrap();
    }
    let rest = fairtill_sync::pending(&till, 1000).unwrap();
    assert_eq!(rest.len(), pending.len() - 4);
    assert_eq!(rest[0].record, pending[4].record);
}
