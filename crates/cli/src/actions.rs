//! The ledger's actions on recorded sales, as the app's order screen offers them: capture, void,
//! refund (all, an amount, or items), credit, write off, mark paid, replace a voided sale and
//! record a result. Each goes through the same ledger rules as in the app, so a refusal is the
//! same refusal (exit code 3), and each prints the order as it stands after.

use clap::{Args, Subcommand};
use fairtill_core::ids::{OrderId, TxId};
use fairtill_core::ledger::{
    OrderView, Payment, PaymentKind, PaymentMethod, RefundItem, RefundStrategy,
};
use fairtill_core::money::{Currency, Money};
use fairtill_store::{Actor, Till};

use crate::args::{input, parse_event, parse_result, resolve_order};

/// Who acts.
#[derive(Debug, Args)]
pub struct Who {
    /// Who does it (kept with the transaction).
    #[arg(long, default_value = "cli", global = true)]
    pub staff: String,
    /// The event id it is done at.
    #[arg(long, global = true)]
    pub event: Option<String>,
}

/// `act` subcommands.
#[derive(Debug, Subcommand)]
pub enum ActCmd {
    /// Capture part or all of an authorization.
    Capture {
        /// The authorization's transaction id.
        tx: String,
        /// How much to take, e.g. 10.00.
        #[arg(long)]
        amount: String,
    },
    /// Void an authorization's remainder, a logged sale entered by mistake, or a pending refund.
    Void {
        /// The transaction id.
        tx: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Refund a sale or capture: all of it, an amount of what is left, or items.
    Refund {
        /// The sale's or capture's transaction id.
        tx: String,
        /// All of it (nothing may have been refunded yet).
        #[arg(long, conflicts_with_all = ["amount", "items"])]
        all: bool,
        /// An amount of what is left, e.g. 5.00.
        #[arg(long, conflicts_with = "items")]
        amount: Option<String>,
        /// A line and how many of it: LINE:QTY, lines counted from 1 as the receipt lists them.
        /// Repeat for more lines.
        #[arg(long = "item", value_name = "LINE:QTY")]
        items: Vec<String>,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Pay a customer money beyond a refund (needs the manager who permits it).
    Credit {
        /// The amount, e.g. 15.00.
        #[arg(long)]
        amount: String,
        /// Its currency.
        #[arg(long, default_value = "USD")]
        currency: String,
        /// cash or card.
        #[arg(long, default_value = "cash")]
        method: String,
        /// An order it relates to (order id or receipt); repeat for more.
        #[arg(long = "order")]
        orders: Vec<String>,
        /// The manager who permits it.
        #[arg(long)]
        approved_by: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Write off what is still due on an order.
    WriteOff {
        /// Order id or receipt.
        order: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Mark an order paid (a logged sale for what is due), saying how it was paid.
    MarkPaid {
        /// Order id or receipt.
        order: String,
        /// How it was paid.
        #[arg(long)]
        note: String,
    },
    /// Replace a voided logged sale with a new payment for its orders.
    Replace {
        /// The voided sale's transaction id.
        tx: String,
        /// cash, card, or external (paid in another system).
        #[arg(long, default_value = "cash")]
        method: String,
        /// For external: the other system's name.
        #[arg(long)]
        system: Option<String>,
        /// For external: its reference.
        #[arg(long)]
        reference: Option<String>,
        /// The amount (default: what the voided sale was).
        #[arg(long)]
        amount: Option<String>,
    },
    /// Record the final result of a transaction whose result was unknown.
    Resolve {
        /// The transaction id.
        tx: String,
        /// approved, declined, abandoned or canceled.
        #[arg(long)]
        result: String,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
}

/// `act` arguments.
#[derive(Debug, Args)]
pub struct Act {
    /// What to do.
    #[command(subcommand)]
    pub action: ActCmd,
    /// Who does it.
    #[command(flatten)]
    pub who: Who,
}

fn tx_id(text: &str) -> anyhow::Result<TxId> {
    text.trim()
        .parse()
        .map_err(|_| input(format!("{text:?} is not a transaction id")))
}

fn money(text: &str, currency: Currency, what: &str) -> anyhow::Result<Money> {
    Money::parse(text.trim(), currency).map_err(|e| input(format!("{what}: {e}")))
}

fn method(
    name: &str,
    system: Option<&str>,
    reference: Option<&str>,
) -> anyhow::Result<PaymentMethod> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "cash" => PaymentMethod::Cash,
        "card" => PaymentMethod::Card {
            last4: None,
            approval_code: None,
        },
        "external" => PaymentMethod::External {
            system: system
                .ok_or_else(|| input("--method external needs --system"))?
                .into(),
            reference: reference
                .ok_or_else(|| input("--method external needs --reference"))?
                .into(),
        },
        other => {
            return Err(input(format!(
                "--method {other:?} must be cash, card or external"
            )))
        }
    })
}

/// A refund's items from `LINE:QTY` (lines from 1).
fn items(order: OrderId, specs: &[String]) -> anyhow::Result<Vec<RefundItem>> {
    specs
        .iter()
        .map(|spec| {
            let (line, quantity) = spec
                .split_once(':')
                .ok_or_else(|| input(format!("--item {spec:?} must look like LINE:QTY")))?;
            let line: u32 = line
                .trim()
                .parse()
                .ok()
                .filter(|l| *l >= 1)
                .ok_or_else(|| input(format!("--item {spec:?}: lines count from 1")))?;
            let quantity: u32 = quantity
                .trim()
                .parse()
                .map_err(|_| input(format!("--item {spec:?}: the quantity is a whole number")))?;
            Ok(RefundItem {
                order_id: order,
                line: line - 1,
                quantity,
            })
        })
        .collect()
}

/// Does the action and returns the order it touched, as it stands after.
pub fn run(till: &mut Till, act: &Act) -> anyhow::Result<OrderView> {
    let actor = Actor {
        staff: act.who.staff.clone(),
        event_id: parse_event(&act.who.event)?,
    };
    let order_of = |till: &Till, tx: TxId| -> anyhow::Result<OrderView> {
        let order = till
            .order_of(tx)?
            .ok_or_else(|| input(format!("transaction {tx} is not for one order")))?;
        Ok(till.order(order)?)
    };
    match &act.action {
        ActCmd::Capture { tx, amount } => {
            let tx = tx_id(tx)?;
            let currency = till.transaction(tx)?.amount.currency();
            till.capture(&actor, tx, money(amount, currency, "--amount")?)?;
            order_of(till, tx)
        }
        ActCmd::Void { tx, reason } => {
            let tx = tx_id(tx)?;
            till.void(&actor, tx, reason.clone())?;
            order_of(till, tx)
        }
        ActCmd::Refund {
            tx,
            all,
            amount,
            items: specs,
            reason,
        } => {
            let tx = tx_id(tx)?;
            let strategy = match (all, amount, specs.is_empty()) {
                (true, _, _) => RefundStrategy::Full,
                (false, Some(a), _) => {
                    let currency = till.transaction(tx)?.amount.currency();
                    RefundStrategy::Amount {
                        amount: money(a, currency, "--amount")?,
                    }
                }
                (false, None, false) => RefundStrategy::Items {
                    items: items(order_of(till, tx)?.order.id, specs)?,
                },
                (false, None, true) => {
                    return Err(input(
                        "say what to refund: --all, --amount or --item LINE:QTY",
                    ))
                }
            };
            let progress = till.refund_progress(tx)?;
            till.refund(&actor, tx, strategy, progress, reason.clone())?;
            order_of(till, tx)
        }
        ActCmd::Credit {
            amount,
            currency,
            method: how,
            orders,
            approved_by,
            reason,
        } => {
            let currency = Currency::from_code(currency.trim())?;
            let views = orders
                .iter()
                .map(|o| resolve_order(till, o))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let tx = till.credit(
                &actor,
                views.iter().map(|v| v.order.id).collect(),
                money(amount, currency, "--amount")?,
                method(how, None, None)?,
                approved_by,
                reason,
            )?;
            match views.first() {
                Some(v) => Ok(till.order(v.order.id)?),
                None => Err(input(format!(
                    "credit {tx} recorded; it names no order, so there is no order to show"
                ))),
            }
        }
        ActCmd::WriteOff { order, reason } => {
            let id = resolve_order(till, order)?.order.id;
            till.write_off(&actor, id, reason)?;
            Ok(till.order(id)?)
        }
        ActCmd::MarkPaid { order, note } => {
            let id = resolve_order(till, order)?.order.id;
            till.mark_paid(&actor, id, note)?;
            Ok(till.order(id)?)
        }
        ActCmd::Replace {
            tx,
            method: how,
            system,
            reference,
            amount,
        } => {
            let old = till.transaction(tx_id(tx)?)?;
            let amount = match amount {
                Some(a) => money(a, old.amount.currency(), "--amount")?,
                None => old.amount,
            };
            till.pay(
                &actor,
                Payment {
                    kind: PaymentKind::Sale,
                    order_ids: vec![],
                    amount,
                    method: method(how, system.as_deref(), reference.as_deref())?,
                    result: fairtill_core::ledger::TxResult::Approved,
                    replaces: Some(old.id),
                },
            )?;
            order_of(till, old.id)
        }
        ActCmd::Resolve { tx, result, note } => {
            let tx = tx_id(tx)?;
            till.resolve(&actor, tx, parse_result(result)?, note.clone())?;
            order_of(till, tx)
        }
    }
}
