//! Sell commands: cart totals, taking payment, the receipt.

use fairtill_core::customer::Customer;
use fairtill_core::event::{Event, DEFAULT_CAPTURE_WINDOW};
use fairtill_core::ids::CustomerId;
use fairtill_core::ledger::{OrderView, PaymentKind, PaymentMethod, TxResult};
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

/// Records the sale and its payment in one durable commit, and returns the receipt.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn charge(
    state: tauri::State<'_, AppState>,
    cart: Cart,
    tender: TenderInput,
) -> Result<Receipt, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let event = till.settings()?.event;
    let draft = draft(&till, cart)?;
    let currency = draft.currency;
    let total = draft
        .clone()
        .with_checked_customer()
        .and_then(|d| d.totals())
        .map_err(|e| invalid(e.to_string()))?
        .total;
    let mut cash = None;
    let mut result = TxResult::Approved;
    let (kind, method) = match tender {
        TenderInput::Cash { tendered } => {
            let given = if tendered.trim().is_empty() {
                total
            } else {
                amount(&tendered, currency, "cash tendered")?
            };
            if given.minor() < total.minor() {
                return Err(invalid(format!(
                    "{} tendered is less than the total of {}",
                    given, total
                )));
            }
            cash = Some((
                given,
                given
                    .checked_sub(total)
                    .map_err(|e| invalid(e.to_string()))?,
            ));
            (PaymentKind::Sale, PaymentMethod::Cash)
        }
        TenderInput::Card {
            last4,
            approval_code,
        } => (PaymentKind::Sale, card(last4, approval_code)?),
        TenderInput::External { system, reference } => (
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
            result = TxResult::Unknown;
            if !online(&state) {
                let limits = event.as_ref().map(|e| e.offline_cards).unwrap_or_default();
                let (waiting, oldest) = till.waiting_card_charges(currency)?;
                if let Some(why) = limits.refuse(total, waiting, oldest, till.now()) {
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
            (
                kind,
                PaymentMethod::CardOnFile {
                    customer,
                    card: saved.id,
                    brand: saved.brand,
                    last4: saved.last4,
                },
            )
        }
        TenderInput::Authorize {
            last4,
            approval_code,
        } => (
            PaymentKind::Authorize {
                capture_window: capture_window(event.as_ref()),
            },
            card(last4, approval_code)?,
        ),
    };
    let sale = till.record_sale(
        &who,
        draft,
        Tender {
            kind,
            method,
            result,
            amount: None,
        },
    )?;
    tracing::info!(receipt = %sale.receipt, total = %sale.total, "sale recorded");
    let order = till.order(sale.order_id)?;
    Ok(Receipt {
        sale,
        order,
        tendered: cash.map(|c| c.0),
        change: cash.map(|c| c.1),
    })
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
