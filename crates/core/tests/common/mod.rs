//! Shared helpers for the ledger tests: a small till with a clock that only moves when told.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use fairtill_core::event::SaleContext;
use fairtill_core::ids::{DeviceId, OrderId, TxId};
use fairtill_core::ledger::*;
use fairtill_core::money::{Currency, Money};
use fairtill_core::order::{Order, OrderDraft, OrderLine};
use fairtill_core::tax::{TaxCategory, TaxPolicy};
use fairtill_core::{SignedDuration, Timestamp};
use uuid::Uuid;

pub struct Till {
    pub ledger: Ledger,
    pub now: Timestamp,
    next: u128,
}

pub fn usd(text: &str) -> Money {
    Money::parse(text, Currency::from_code("USD").unwrap()).unwrap()
}

pub fn eur(text: &str) -> Money {
    Money::parse(text, Currency::from_code("EUR").unwrap()).unwrap()
}

pub fn line(name: &str, price: &str, quantity: u32) -> OrderLine {
    OrderLine {
        sku: name.to_uppercase(),
        name: name.into(),
        unit_price: usd(price),
        quantity,
        tax_category: TaxCategory::Standard,
        discount: None,
        price_override_reason: None,
    }
}

pub fn card() -> PaymentMethod {
    PaymentMethod::Card {
        last4: Some("4242".into()),
        approval_code: None,
    }
}

pub fn external(reference: &str) -> PaymentMethod {
    PaymentMethod::External {
        system: "Shopify".into(),
        reference: reference.into(),
    }
}

impl Till {
    pub fn new() -> Self {
        Till {
            ledger: Ledger::new(),
            now: "2026-06-01T10:00:00Z".parse().unwrap(),
            next: 1,
        }
    }

    pub fn stamp(&mut self) -> Stamp {
        self.next += 1;
        self.now = self.now.checked_add(SignedDuration::from_secs(1)).unwrap();
        Stamp {
            id: Uuid::from_u128(self.next),
            at: self.now,
            context: SaleContext {
                device_id: DeviceId(Uuid::nil()),
                event_id: None,
                staff: "ana".into(),
            },
        }
    }

    pub fn advance(&mut self, d: SignedDuration) {
        self.now = self.now.checked_add(d).unwrap();
    }

    pub fn run(&mut self, cmd: Command) -> Result<Vec<Fact>, LedgerError> {
        let stamp = self.stamp();
        self.ledger.execute(&cmd, &stamp)
    }

    pub fn tx_id(facts: &[Fact]) -> TxId {
        match &facts[0] {
            Fact::Recorded { tx } => tx.id,
            other => panic!("expected a transaction, got {other:?}"),
        }
    }

    pub fn order(&mut self, lines: Vec<OrderLine>) -> OrderId {
        let stamp = self.stamp();
        let id = OrderId(stamp.id);
        let draft = OrderDraft {
            currency: Currency::from_code("USD").unwrap(),
            lines,
            discount: None,
            tax: TaxPolicy::none(),
            customer: None,
            note: None,
            referrer: None,
        };
        let order = Order::place(
            id,
            format!("T1-{:06}", self.next),
            stamp.context.clone(),
            stamp.at,
            draft,
        )
        .unwrap();
        self.ledger
            .execute(
                &Command::PlaceOrder {
                    order: Box::new(order),
                },
                &stamp,
            )
            .unwrap();
        id
    }

    pub fn pay(
        &mut self,
        order: OrderId,
        kind: PaymentKind,
        amount: Money,
        method: PaymentMethod,
        result: TxResult,
    ) -> Result<TxId, LedgerError> {
        let facts = self.run(Command::Pay(Payment {
            kind,
            order_ids: vec![order],
            amount,
            method,
            result,
            replaces: None,
        }))?;
        Ok(Self::tx_id(&facts))
    }

    pub fn sale(&mut self, order: OrderId, amount: Money) -> TxId {
        self.pay(
            order,
            PaymentKind::Sale,
            amount,
            PaymentMethod::Cash,
            TxResult::Approved,
        )
        .unwrap()
    }

    pub fn authorize(&mut self, order: OrderId, amount: Money) -> TxId {
        let kind = PaymentKind::Authorize {
            capture_window: SignedDuration::from_hours(24 * 7),
        };
        self.pay(order, kind, amount, card(), TxResult::Approved)
            .unwrap()
    }

    pub fn capture(&mut self, auth: TxId, amount: Money) -> Result<TxId, LedgerError> {
        self.run(Command::Capture {
            authorization: auth,
            amount,
            result: TxResult::Approved,
        })
        .map(|f| Self::tx_id(&f))
    }

    pub fn void(&mut self, target: TxId) -> Result<TxId, LedgerError> {
        self.run(Command::Void {
            target,
            reason: Some("test".into()),
        })
        .map(|f| Self::tx_id(&f))
    }

    pub fn refund(
        &mut self,
        parent: TxId,
        strategy: RefundStrategy,
        progress: RefundProgress,
    ) -> Result<TxId, LedgerError> {
        self.run(Command::Refund {
            parent,
            strategy,
            progress,
            reason: Some("customer returned it".into()),
        })
        .map(|f| Self::tx_id(&f))
    }

    pub fn refund_amount(&mut self, parent: TxId, amount: Money) -> Result<TxId, LedgerError> {
        self.refund(
            parent,
            RefundStrategy::Amount { amount },
            RefundProgress::Complete,
        )
    }

    pub fn status(&self, order: OrderId) -> OrderStatus {
        self.ledger.order_view(order, self.now).unwrap().status
    }

    pub fn view(&self, order: OrderId) -> OrderView {
        self.ledger.order_view(order, self.now).unwrap()
    }
}
