//! [`Till`]: one device's database, with an API shaped for the app. Every operation that
//! records something runs in one `BEGIN IMMEDIATE` transaction: load what the rules need,
//! let `fairtill-core` decide, write the facts, commit. When a call returns `Ok`, the record
//! is on disk (WAL, `synchronous=FULL`) and survives a killed process or a power cut.

use std::path::{Path, PathBuf};

use fairtill_core::event::SaleContext;
use fairtill_core::ids::{DeviceId, EventId, OrderId, TxId};
use fairtill_core::ledger::{
    Action, Command, Fact, Ledger, OrderView, Payment, PaymentKind, PaymentMethod, RefundProgress,
    RefundStrategy, Stamp, TxResult,
};
use fairtill_core::money::Money;
use fairtill_core::order::{Order, OrderDraft};
use fairtill_core::{Clock, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db;
use crate::error::{Result, StoreError};
use crate::records::{self, ms};

/// The system clock, truncated to milliseconds (the stored precision).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        truncate_ms(Timestamp::now())
    }
}

/// A timestamp cut to whole milliseconds, as stored.
pub fn truncate_ms(t: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(t.as_millisecond()).unwrap_or(t)
}

/// This device, as recorded in its database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeviceInfo {
    /// Identifier.
    pub id: DeviceId,
    /// Short code that prefixes receipt numbers (`B3`).
    pub code: String,
    /// Name, e.g. "Booth 3".
    pub name: String,
}

/// How to set up a new database's device. Ignored when the database exists.
#[derive(Debug, Clone)]
pub struct DeviceSetup {
    /// Receipt prefix: 1–8 capital letters or digits.
    pub code: String,
    /// Name.
    pub name: String,
}

impl Default for DeviceSetup {
    fn default() -> Self {
        DeviceSetup {
            code: "T1".into(),
            name: "Till".into(),
        }
    }
}

/// Who is doing something at the till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Staff name or code.
    pub staff: String,
    /// Current event.
    pub event_id: Option<EventId>,
}

/// How a new sale is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    /// Sale now, or authorize to capture later.
    pub kind: PaymentKind,
    /// Cash, card on a terminal, or logged from another system.
    pub method: PaymentMethod,
    /// What happened (a declined card is recorded too).
    pub result: TxResult,
    /// Amount; the order total when absent.
    pub amount: Option<Money>,
}

/// What recording a sale produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecordedSale {
    /// The order.
    pub order_id: OrderId,
    /// Its receipt number.
    pub receipt: String,
    /// The payment transaction.
    pub transaction_id: TxId,
    /// The order total.
    pub total: Money,
}

/// An order with what may be done to it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OrderDetail {
    /// The order, its state and full history.
    pub view: OrderView,
    /// Every action that applies, allowed or refused with the reason.
    pub actions: Vec<Action>,
}

/// A device database. One writer: keep one `Till` per file.
pub struct Till {
    pub(crate) conn: Connection,
    device: DeviceInfo,
    path: PathBuf,
    clock: Box<dyn Clock + Send>,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till")
            .field("device", &self.device)
            .field("path", &self.path)
            .finish()
    }
}

fn check_code(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(StoreError::Invalid(format!(
            "device code {code:?} must be 1 to 8 letters or digits, like B3"
        )));
    }
    Ok(code)
}

/// This database's device, if it has one yet.
fn read_device(conn: &Connection) -> Result<Option<DeviceInfo>> {
    let row = conn
        .query_row("SELECT device_id, code, name FROM device", [], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    row.map(|(id, code, name)| {
        Ok(DeviceInfo {
            id: DeviceId(
                id.parse()
                    .map_err(|_| StoreError::Decode(format!("device id {id:?}")))?,
            ),
            code,
            name,
        })
    })
    .transpose()
}

impl Till {
    /// Opens the database at `path`, creating it with a default device if new.
    pub fn open(path: &Path) -> Result<Till> {
        Till::open_with(path, &DeviceSetup::default(), Box::new(SystemClock))
    }

    /// Opens with a device setup (used only when the database is new) and a clock.
    pub fn open_with(
        path: &Path,
        setup: &DeviceSetup,
        clock: Box<dyn Clock + Send>,
    ) -> Result<Till> {
        let conn = db::open_connection(path)?;
        let device = match read_device(&conn)? {
            Some(device) => device,
            None => {
                let code = check_code(&setup.code)?;
                let name = setup.name.trim();
                if name.is_empty() {
                    return Err(StoreError::Invalid("device name cannot be empty".into()));
                }
                // Another process (the app and the command line, say) may be making this new
                // database at the same moment: the first device stored wins and both use it.
                conn.execute(
                    "INSERT INTO device (singleton, device_id, code, name, created_at) VALUES (1, ?1, ?2, ?3, ?4)
                     ON CONFLICT (singleton) DO NOTHING",
                    params![Uuid::now_v7().to_string(), code, name, ms(clock.now())],
                )?;
                read_device(&conn)?.ok_or_else(|| {
                    StoreError::Decode("the device was stored but cannot be read back".into())
                })?
            }
        };
        Ok(Till {
            conn,
            device,
            path: path.to_path_buf(),
            clock,
        })
    }

    /// This device.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Now, from the till's clock.
    pub fn now(&self) -> Timestamp {
        truncate_ms(self.clock.now())
    }

    /// The underlying connection, for read-only use by tests and tools.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn stamp(&self, actor: &Actor) -> Result<Stamp> {
        if actor.staff.trim().is_empty() {
            return Err(StoreError::Invalid(
                "say who is at the till (staff name)".into(),
            ));
        }
        Ok(Stamp {
            id: Uuid::now_v7(),
            at: self.now(),
            context: SaleContext {
                device_id: self.device.id,
                event_id: actor.event_id,
                staff: actor.staff.trim().to_string(),
            },
        })
    }

    /// The next receipt number of this device.
    fn next_receipt(conn: &Connection, device: &DeviceInfo) -> Result<String> {
        let next = records::next_receipt_seq(conn, &device.id.0.to_string())?;
        Ok(records::receipt_number(&device.code, next))
    }

    /// Refuses logging an external payment whose reference is already logged and still held
    /// (`fairtill_core::ledger::reference`).
    fn check_external_reference(conn: &Connection, facts: &[Fact]) -> Result<()> {
        for fact in facts {
            let Fact::Recorded { tx } = fact else {
                continue;
            };
            let Some(logged) = tx.logged_reference() else {
                continue;
            };
            if let Some(receipt) = records::logged_reference(conn, logged)? {
                return Err(StoreError::DuplicateReference {
                    message: logged.already_logged(&receipt),
                });
            }
        }
        Ok(())
    }

    /// Runs a ledger command in one immediate transaction and returns the facts recorded.
    pub fn execute(&mut self, actor: &Actor, command: Command) -> Result<Vec<Fact>> {
        let stamp = self.stamp(actor)?;
        let (txs, orders) = touched(&command);
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ledger = records::load_neighbourhood(&db, &txs, &orders)?;
        let facts = ledger.decide(&command, &stamp)?;
        Self::check_external_reference(&db, &facts)?;
        crate::customers::check_card_on_file(&db, &facts)?;
        records::insert_facts(&db, &facts, &ledger)?;
        db.commit()?;
        Ok(facts)
    }

    /// Places an order (open, to be paid later). Returns it with its receipt number.
    pub fn place_order(&mut self, actor: &Actor, draft: OrderDraft) -> Result<Order> {
        let stamp = self.stamp(actor)?;
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let receipt = Self::next_receipt(&db, &self.device)?;
        let order = Order::place(
            OrderId(stamp.id),
            receipt,
            stamp.context.clone(),
            stamp.at,
            draft,
        )?;
        let ledger = Ledger::new();
        let facts = ledger.decide(
            &Command::PlaceOrder {
                order: Box::new(order.clone()),
            },
            &stamp,
        )?;
        records::insert_facts(&db, &facts, &ledger)?;
        db.commit()?;
        Ok(order)
    }

    /// Records a sale (or authorization) of a new order: the order and its payment in one commit.
    pub fn record_sale(
        &mut self,
        actor: &Actor,
        draft: OrderDraft,
        tender: Tender,
    ) -> Result<RecordedSale> {
        let order_stamp = self.stamp(actor)?;
        let db = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let receipt = Self::next_receipt(&db, &self.device)?;
        let order = Order::place(
            OrderId(order_stamp.id),
            receipt,
            order_stamp.context.clone(),
            order_stamp.at,
            draft,
        )?;
        let total = order.totals()?.total;
        let mut ledger = Ledger::new();
        let mut facts = ledger.execute(
            &Command::PlaceOrder {
                order: Box::new(order.clone()),
            },
            &order_stamp,
        )?;
        let payment = Payment {
            kind: tender.kind,
            order_ids: vec![order.id],
            amount: tender.amount.unwrap_or(total),
            method: tender.method,
            result: tender.result,
            replaces: None,
        };
        let pay_stamp = Stamp {
            id: Uuid::now_v7(),
            ..order_stamp
        };
        let paid = ledger.decide(&Command::Pay(payment), &pay_stamp)?;
        Self::check_external_reference(&db, &paid)?;
        crate::customers::check_card_on_file(&db, &paid)?;
        let transaction_id = match paid.first() {
            Some(Fact::Recorded { tx }) => tx.id,
            _ => return Err(StoreError::Invalid("payment recorded nothing".into())),
        };
        facts.extend(paid);
        records::insert_facts(&db, &facts, &ledger)?;
        db.commit()?;
        Ok(RecordedSale {
            order_id: order.id,
            receipt: order.receipt,
            transaction_id,
            total,
        })
    }

    /// Logs a sale paid in another system ("log, don't charge").
    pub fn log_external_sale(
        &mut self,
        actor: &Actor,
        draft: OrderDraft,
        system: &str,
        reference: &str,
    ) -> Result<RecordedSale> {
        let tender = Tender {
            kind: PaymentKind::Sale,
            method: PaymentMethod::External {
                system: system.trim().into(),
                reference: reference.trim().into(),
            },
            result: TxResult::Approved,
            amount: None,
        };
        self.record_sale(actor, draft, tender)
    }

    /// Pays existing orders (zero, one or several).
    pub fn pay(&mut self, actor: &Actor, payment: Payment) -> Result<TxId> {
        first_tx(self.execute(actor, Command::Pay(payment))?)
    }

    /// Captures part or all of an authorization: taken now, or for a card on file, sent to
    /// the processor by the server (recorded waiting, rule 14).
    pub fn capture(&mut self, actor: &Actor, authorization: TxId, amount: Money) -> Result<TxId> {
        let result = if self.transaction(authorization)?.method.is_processor() {
            TxResult::Unknown
        } else {
            TxResult::Approved
        };
        first_tx(self.execute(
            actor,
            Command::Capture {
                authorization,
                amount,
                result,
            },
        )?)
    }

    /// Voids an authorization's remainder, a mistaken logged sale, or a pending refund.
    pub fn void(&mut self, actor: &Actor, target: TxId, reason: Option<String>) -> Result<TxId> {
        first_tx(self.execute(actor, Command::Void { target, reason })?)
    }

    /// How a refund of `parent` made here goes through: handed back now, or for a card on
    /// file, pending until the processor finishes it (rule 14).
    pub fn refund_progress(&self, parent: TxId) -> Result<RefundProgress> {
        Ok(if self.transaction(parent)?.method.is_processor() {
            RefundProgress::Pending
        } else {
            RefundProgress::Complete
        })
    }

    /// Refunds against a sale or capture.
    pub fn refund(
        &mut self,
        actor: &Actor,
        parent: TxId,
        strategy: RefundStrategy,
        progress: RefundProgress,
        reason: Option<String>,
    ) -> Result<TxId> {
        first_tx(self.execute(
            actor,
            Command::Refund {
                parent,
                strategy,
                progress,
                reason,
            },
        )?)
    }

    /// Pays a credit (needs a manager's name).
    pub fn credit(
        &mut self,
        actor: &Actor,
        order_ids: Vec<OrderId>,
        amount: Money,
        method: PaymentMethod,
        approved_by: &str,
        reason: &str,
    ) -> Result<TxId> {
        first_tx(self.execute(
            actor,
            Command::Credit {
                order_ids,
                amount,
                method,
                approved_by: approved_by.into(),
                reason: reason.into(),
            },
        )?)
    }

    /// Records the final result of a transaction whose result was unknown.
    pub fn resolve(
        &mut self,
        actor: &Actor,
        tx: TxId,
        result: TxResult,
        note: Option<String>,
    ) -> Result<()> {
        self.execute(actor, Command::ResolveResult { tx, result, note })
            .map(|_| ())
    }

    /// Writes off what is due on an open order.
    pub fn write_off(&mut self, actor: &Actor, order: OrderId, reason: &str) -> Result<()> {
        self.execute(
            actor,
            Command::WriteOff {
                order,
                reason: reason.into(),
            },
        )
        .map(|_| ())
    }

    /// Marks an open order as paid.
    pub fn mark_paid(&mut self, actor: &Actor, order: OrderId, note: &str) -> Result<TxId> {
        first_tx(self.execute(
            actor,
            Command::MarkPaid {
                order,
                note: note.into(),
            },
        )?)
    }

    /// One order with its state and full history, at the till's now.
    pub fn order(&self, id: OrderId) -> Result<OrderView> {
        let ledger = records::load_neighbourhood(&self.conn, &[], &[id])?;
        Ok(ledger.order_view(id, self.now())?)
    }

    /// One order with its history and every action the rules allow on it now (or why not),
    /// for `actor` at this device.
    pub fn order_detail(&self, id: OrderId, actor: &Actor) -> Result<OrderDetail> {
        let ledger = records::load_neighbourhood(&self.conn, &[], &[id])?;
        let now = self.now();
        let context = SaleContext {
            device_id: self.device.id,
            event_id: actor.event_id,
            staff: if actor.staff.trim().is_empty() {
                "till".into()
            } else {
                actor.staff.trim().into()
            },
        };
        Ok(OrderDetail {
            view: ledger.order_view(id, now)?,
            actions: ledger.order_actions(id, now, &context)?,
        })
    }

    /// The order a transaction belongs to, if any.
    pub fn order_of(&self, tx: TxId) -> Result<Option<OrderId>> {
        let id: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT order_id FROM transactions WHERE id = ?1")?
            .query_row([tx.0.to_string()], |r| r.get(0))
            .optional()?;
        match id {
            None => Err(StoreError::NotFound(format!("transaction {tx}"))),
            Some(None) => Ok(None),
            Some(Some(o)) => Ok(Some(OrderId(
                o.parse().map_err(|_| StoreError::Decode(o.clone()))?,
            ))),
        }
    }

    /// A transaction with its full result history.
    pub fn transaction(&self, id: TxId) -> Result<fairtill_core::ledger::Transaction> {
        records::load_transaction(&self.conn, &id.0.to_string())?
            .ok_or_else(|| StoreError::NotFound(format!("transaction {id}")))
    }
}

fn first_tx(facts: Vec<Fact>) -> Result<TxId> {
    facts
        .into_iter()
        .find_map(|f| match f {
            Fact::Recorded { tx } => Some(tx.id),
            Fact::OrderPlaced { .. } | Fact::ResultChanged { .. } | Fact::WrittenOff { .. } => None,
        })
        .ok_or_else(|| StoreError::Invalid("nothing was recorded".into()))
}

/// The transactions and orders a command reads.
fn touched(command: &Command) -> (Vec<TxId>, Vec<OrderId>) {
    match command {
        Command::PlaceOrder { .. } => (vec![], vec![]),
        Command::Pay(p) => (p.replaces.into_iter().collect(), p.order_ids.clone()),
        Command::Capture { authorization, .. } => (vec![*authorization], vec![]),
        Command::Void { target, .. } => (vec![*target], vec![]),
        Command::Refund { parent, .. } => (vec![*parent], vec![]),
        Command::Credit { order_ids, .. } => (vec![], order_ids.clone()),
        Command::ResolveResult { tx, .. } => (vec![*tx], vec![]),
        Command::WriteOff { order, .. } | Command::MarkPaid { order, .. } => (vec![], vec![*order]),
    }
}
