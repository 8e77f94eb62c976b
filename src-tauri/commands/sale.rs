//! Sell commands: cart totals, taking payment, the receipt.

use fairtill_core::customer::Customer;
use fairtill_core::event::{Event, DEFAULT_CAPTURE_WINDOW};
use fairtill_core::ids::{CustomerId, OrderId};
use fairtill_core::ledger::{OrderView, Payment, PaymentKind, PaymentMethod, TxResult};
use fairtill_core::money::Money;
use fairtill_core::order::{Discount, OrderDraft, OrderLine, OrderTotals};
use fairtill_core::tax::TaxPolicy;
use fairtill_store::{RecordedSale, Tender, Till};
use serde::{Deserialize, Serialize};

use super::{actor, amount, invalid, till as lock};
use crate::error::ApiError;
use crate::AppState;

/// The cart as the Sell screen holds it. Currency and tax come from the current event.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Cart {
    /// Lines, in the order added.
    pub lines: Vec<OrderLine>,
    /// A discount on the whole order.
    pub discount: Option<Discount>,
    /// The customer, if given.
    pub customer: Option<Customer>,
    /// A free note.
    pub note: Option<String>,
    /// Who referred the customer, if anyone (for their commission).
    #[serde(default)]
    #[ts(optional)]
    pub referrer: Option<String>,
}

/// How the customer pays.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TenderInput {
    /// Cash; `tendered` is what the customer handed over (empty: the exact total).
    Cash {
        /// Amount handed over.
        tendered: String,
    },
    /// A card on the booth's separate terminal, taken there.
    Card {
        /// Last four digits, if noted.
        last4: Option<String>,
        /// The terminal's approval code, if noted.
        approval_code: Option<String>,
    },
    /// Paid in another system: log, don't charge.
    External {
        /// The other system's name.
        system: String,
        /// Its reference for the payment.
        reference: String,
    },
    /// A customer's card saved at the processor, charged by the server: recorded as waiting to
    /// charge, with the processor's answer to follow (`payment_result`).
    CardOnFile {
        /// Whose card.
        customer: CustomerId,
        /// The processor's id of the card.
        card: String,
        /// Hold the money on the card, to capture later (an authorization), instead of taking it.
        hold: bool,
    },
    /// Authorized on the terminal now, captured later.
    Authorize {
        /// Last four digits, if noted.
        last4: Option<String>,
        /// The terminal's approval code, if noted.
        approval_code: Option<String>,
    },
}

/// What the receipt view shows after payment.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Receipt {
    /// The recorded order and payment.
    pub sale: RecordedSale,
    /// The order as recorded, with its totals.
    pub order: OrderView,
    /// Cash handed over, for cash sales.
    pub tendered: Option<Money>,
    /// Change due, for cash sales.
    pub change: Option<Money>,
}

impl Receipt {
    /// The receipt of `sale` on `order`, with the cash handed over and the change, if paid in
    /// cash.
    fn of(sale: RecordedSale, order: OrderView, cash: Option<(Money, Money)>) -> Self {
        Receipt {
            sale,
            order,
            tendered: cash.map(|c| c.0),
            change: cash.map(|c| c.1),
        }
    }
}

/// The order draft of a cart at this till: the event's currency and tax.
pub(crate) fn draft(till: &Till, cart: Cart) -> Result<OrderDraft, ApiError> {
    let event = till.settings()?.event;
    let currency = match (&event, cart.lines.first()) {
        (Some(e), _) => e.currency,
        (None, Some(line)) => line.unit_price.currency(),
        (None, None) => return Err(invalid("the cart is empty: add an item first")),
    };
    Ok(OrderDraft {
        currency,
        lines: cart.lines,
        discount: cart.discount,
        tax: event.map(|e| e.tax).unwrap_or_else(TaxPolicy::none),
        customer: cart.customer.filter(|c| *c != Customer::default()),
        note: cart.note.filter(|n| !n.trim().is_empty()),
        referrer: cart
            .referrer
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty()),
    })
}

fn card(last4: Option<String>, approval_code: Option<String>) -> Result<PaymentMethod, ApiError> {
    let last4 = last4
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty());
    if let Some(l) = &last4 {
        if l.len() != 4 || !l.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(format!(
                "last four digits {l:?} must be exactly 4 digits"
            )));
        }
    }
    Ok(PaymentMethod::Card {
        last4,
        approval_code: approval_code
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
    })
}

/// True when the till's last sync round reached the server: a charge to a card on file is then
/// answered in seconds, and the event's offline limits do not apply.
/// How long an authorization made at this till may wait for its capture: the event's window.
fn capture_window(event: Option<&Event>) -> fairtill_core::SignedDuration {
    event.map_or(DEFAULT_CAPTURE_WINDOW, |e| e.capture_window)
}

fn online(state: &AppState) -> bool {
    state
        .sync
        .lock()
        .ok()
        .and_then(|s| s.as_ref().map(|h| h.status().online))
        .unwrap_or(false)
}

/// The cart's totals with the event's tax; `None` for an empty cart.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn cart_totals(
    state: tauri::State<'_, AppState>,
    cart: Cart,
) -> Result<Option<OrderTotals>, ApiError> {
    if cart.lines.is_empty() {
        return Ok(None);
    }
    let till = lock(&state)?;
    let draft = draft(&till, cart)?;
    Ok(Some(
        draft
            .with_checked_customer()
            .and_then(|d| d.totals())
            .map_err(|e| invalid(e.to_string()))?,
    ))
}

/// How a tender pays `due`: the payment's kind, method and result, and for cash what was
/// handed over and the change.
struct TenderPayment {
    kind: PaymentKind,
    method: PaymentMethod,
    result: TxResult,
    cash: Option<(Money, Money)>,
}

/// Turns what staff chose into a payment of `due` (the whole total, or one part of a split).
fn tender_payment(
    state: &AppState,
    till: &Till,
    tender: TenderInput,
    due: Money,
) -> Result<TenderPayment, ApiError> {
    let event = till.settings()?.event;
    let currency = due.currency();
    let approved = |kind, method| TenderPayment {
        kind,
        method,
        result: TxResult::Approved,
        cash: None,
    };
    Ok(match tender {
        TenderInput::Cash { tendered } => {
            let given = if tendered.trim().is_empty() {
                due
            } else {
                amount(&tendered, currency, "cash tendered")?
            };
            if given.minor() < due.minor() {
                return Err(invalid(format!(
                    "{given} tendered is less than the {due} to pay"
                )));
            }
            let change = given.checked_sub(due).map_err(|e| invalid(e.to_string()))?;
            TenderPayment {
                cash: Some((given, change)),
                ..approved(PaymentKind::Sale, PaymentMethod::Cash)
            }
        }
        TenderInput::Card {
            last4,
            approval_code,
        } => approved(PaymentKind::Sale, card(last4, approval_code)?),
        TenderInput::External { system, reference } => approved(
            PaymentKind::Sale,
            PaymentMethod::External {
                system: system.trim().into(),
                reference: reference.trim().into(),
            },
        ),
        TenderInput::CardOnFile {
            customer,
            card,
            hold,
        } => {
            let view = till.customer(customer)?;
            let Some(saved) = view.cards.into_iter().find(|c| c.id == card) else {
                return Err(invalid(
                    "that card is no longer on file for this customer; choose another or save a new one",
                ));
            };
            if !online(state) {
                let limits = event.as_ref().map(|e| e.offline_cards).unwrap_or_default();
                let (waiting, oldest) = till.waiting_card_charges(currency)?;
                if let Some(why) = limits.refuse(due, waiting, oldest, till.now()) {
                    return Err(invalid(why));
                }
            }
            let kind = if hold {
                PaymentKind::Authorize {
                    capture_window: capture_window(event.as_ref()),
                }
            } else {
                PaymentKind::Sale
            };
            TenderPayment {
                kind,
                method: PaymentMethod::CardOnFile {
                    customer,
                    card: saved.id,
                    brand: saved.brand,
                    last4: saved.last4,
                },
                result: TxResult::Unknown,
                cash: None,
            }
        }
        TenderInput::Authorize {
            last4,
            approval_code,
        } => approved(
            PaymentKind::Authorize {
                capture_window: capture_window(event.as_ref()),
            },
            card(last4, approval_code)?,
        ),
    })
}

/// The amount of one part of a split payment, as typed: more than zero and no more than `due`.
/// Empty or absent: all of `due`.
fn part_of(part: Option<&str>, due: Money) -> Result<Money, ApiError> {
    let Some(text) = part.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(due);
    };
    let part = amount(text, due.currency(), "amount of this part")?;
    if !part.is_positive() {
        return Err(invalid("the amount of this part must be more than zero"));
    }
    if part.minor() > due.minor() {
        return Err(invalid(format!("{part} is more than the {due} still due")));
    }
    Ok(part)
}

/// Records the sale and its payment in one durable commit, and returns the receipt. With
/// `part`, the payment is the first part of a split: the order stays partly paid and the rest
/// is paid with `pay_part`.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn charge(
    state: tauri::State<'_, AppState>,
    cart: Cart,
    tender: TenderInput,
    part: Option<String>,
) -> Result<Receipt, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let draft = draft(&till, cart)?;
    let total = draft
        .clone()
        .with_checked_customer()
        .and_then(|d| d.totals())
        .map_err(|e| invalid(e.to_string()))?
        .total;
    let paying = part_of(part.as_deref(), total)?;
    let pay = tender_payment(&state, &till, tender, paying)?;
    let sale = till.record_sale(
        &who,
        draft,
        Tender {
            kind: pay.kind,
            method: pay.method,
            result: pay.result,
            amount: Some(paying),
        },
    )?;
    tracing::info!(receipt = %sale.receipt, total = %sale.total, paid = %paying, "sale recorded");
    let order = till.order(sale.order_id)?;
    Ok(Receipt::of(sale, order, pay.cash))
}

/// Pays the next part of a split payment (or what is still due) on a recorded order, and
/// returns the receipt as it stands.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn pay_part(
    state: tauri::State<'_, AppState>,
    order_id: OrderId,
    tender: TenderInput,
    part: Option<String>,
) -> Result<Receipt, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let before = till.order(order_id)?;
    if !before.balance_due.is_positive() {
        return Err(invalid(format!(
            "receipt {} has nothing left to pay",
            before.order.receipt
        )));
    }
    let paying = part_of(part.as_deref(), before.balance_due)?;
    let pay = tender_payment(&state, &till, tender, paying)?;
    let transaction_id = till.pay(
        &who,
        Payment {
            kind: pay.kind,
            order_ids: vec![order_id],
            amount: paying,
            method: pay.method,
            result: pay.result,
            replaces: None,
        },
    )?;
    tracing::info!(receipt = %before.order.receipt, paid = %paying, "part paid");
    let order = till.order(order_id)?;
    let sale = RecordedSale {
        order_id,
        receipt: order.order.receipt.clone(),
        transaction_id,
        total: order.totals.total,
    };
    Ok(Receipt::of(sale, order, pay.cash))
}

/// The receipt of an existing order (to print again).
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn receipt(
    state: tauri::State<'_, AppState>,
    order_id: fairtill_core::ids::OrderId,
) -> Result<OrderView, ApiError> {
    Ok(lock(&state)?.order(order_id)?)
}
