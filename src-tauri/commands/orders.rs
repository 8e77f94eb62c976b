//! Order commands: one order with its history and allowed actions, and those actions.
//! Each action returns the order as it stands afterwards.

use fairtill_core::ids::{OrderId, TxId};
use fairtill_core::ledger::{PaymentKind, PaymentMethod, RefundItem, RefundStrategy, TxResult};
use fairtill_store::{OrderDetail, Till};
use serde::Deserialize;

use super::{actor, amount, invalid, till as lock};
use crate::error::ApiError;
use crate::AppState;

/// How much to refund, as chosen on the order screen.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RefundInput {
    /// All of the payment.
    Full,
    /// Lines and quantities.
    Items {
        /// Line and units for each line refunded.
        items: Vec<RefundLine>,
    },
    /// An amount of what is left, e.g. `"12.50"`.
    Amount {
        /// The amount.
        amount: String,
    },
}

/// One line of an item refund.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RefundLine {
    /// 0-based line index in the order, as in the ledger.
    pub line: u32,
    /// Units to refund.
    pub quantity: u32,
}

fn currency_of(till: &Till, tx: TxId) -> Result<fairtill_core::money::Currency, ApiError> {
    Ok(till.transaction(tx)?.amount.currency())
}

fn detail_of_tx(till: &Till, tx: TxId) -> Result<OrderDetail, ApiError> {
    let order = till
        .order_of(tx)?
        .ok_or_else(|| invalid("this payment is not for one order"))?;
    Ok(till.order_detail(order, &till.settings()?.actor())?)
}

fn reason(text: String) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The order with its lines, customer, full history and what may be done now.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn order_detail(
    state: tauri::State<'_, AppState>,
    order_id: OrderId,
) -> Result<OrderDetail, ApiError> {
    let till = lock(&state)?;
    let who = till.settings()?.actor();
    Ok(till.order_detail(order_id, &who)?)
}

/// Captures part or all of an authorization.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn capture(
    state: tauri::State<'_, AppState>,
    tx_id: TxId,
    amount_text: String,
) -> Result<OrderDetail, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let money = amount(
        &amount_text,
        currency_of(&till, tx_id)?,
        "amount to capture",
    )?;
    till.capture(&who, tx_id, money)?;
    detail_of_tx(&till, tx_id)
}

/// Voids an authorization's remainder, a logged sale, or a pending refund.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn void_transaction(
    state: tauri::State<'_, AppState>,
    tx_id: TxId,
    why: String,
) -> Result<OrderDetail, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    till.void(&who, tx_id, reason(why))?;
    detail_of_tx(&till, tx_id)
}

/// Refunds a sale or capture: fully, by items, or an amount of what is left.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn refund(
    state: tauri::State<'_, AppState>,
    tx_id: TxId,
    refund: RefundInput,
    why: String,
) -> Result<OrderDetail, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let strategy = match refund {
        RefundInput::Full => RefundStrategy::Full,
        RefundInput::Amount { amount: text } => RefundStrategy::Amount {
            amount: amount(&text, currency_of(&till, tx_id)?, "amount to refund")?,
        },
        RefundInput::Items { items } => {
            let order_id = till
                .order_of(tx_id)?
                .ok_or_else(|| invalid("this payment is not for one order"))?;
            let items: Vec<RefundItem> = items
                .into_iter()
                .filter(|i| i.quantity > 0)
                .map(|i| RefundItem {
                    order_id,
                    line: i.line,
                    quantity: i.quantity,
                })
                .collect();
            if items.is_empty() {
                return Err(invalid("choose at least one item to refund"));
            }
            RefundStrategy::Items { items }
        }
    };
    let progress = till.refund_progress(tx_id)?;
    till.refund(&who, tx_id, strategy, progress, reason(why))?;
    detail_of_tx(&till, tx_id)
}

/// Marks an open order as paid, with a note saying how.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn mark_paid(
    state: tauri::State<'_, AppState>,
    order_id: OrderId,
    note: String,
) -> Result<OrderDetail, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    till.mark_paid(&who, order_id, note.trim())?;
    Ok(till.order_detail(order_id, &who)?)
}

/// Writes off what is due on an open order, with the reason.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn write_off(
    state: tauri::State<'_, AppState>,
    order_id: OrderId,
    why: String,
) -> Result<OrderDetail, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    till.write_off(&who, order_id, why.trim())?;
    Ok(till.order_detail(order_id, &who)?)
}

/// Pays again for a voided sale (same amount), e.g. the logged sale was voided by mistake of
/// reference: the new payment is logged with `system` and `reference`, or in cash if empty.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn replace_sale(
    state: tauri::State<'_, AppState>,
    tx_id: TxId,
    system: String,
    reference: String,
) -> Result<OrderDetail, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    let old = till.transaction(tx_id)?;
    let method = if system.trim().is_empty() && reference.trim().is_empty() {
        PaymentMethod::Cash
    } else {
        PaymentMethod::External {
            system: system.trim().into(),
            reference: reference.trim().into(),
        }
    };
    till.pay(
        &who,
        fairtill_core::ledger::Payment {
            kind: PaymentKind::Sale,
            order_ids: Vec::new(),
            amount: old.amount,
            method,
            result: TxResult::Approved,
            replaces: Some(tx_id),
        },
    )?;
    detail_of_tx(&till, tx_id)
}

/// Records the final result of a payment whose result was unknown.
#[tauri::command]
#[tracing::instrument(skip_all, err(level = "info"))]
pub fn resolve_result(
    state: tauri::State<'_, AppState>,
    tx_id: TxId,
    result: TxResult,
    note: String,
) -> Result<OrderDetail, ApiError> {
    let mut till = lock(&state)?;
    let who = actor(&till)?;
    till.resolve(&who, tx_id, result, reason(note))?;
    detail_of_tx(&till, tx_id)
}
