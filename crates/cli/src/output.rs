//! Printing results as text for people or JSON for scripts.

use std::io::Write;

use fairtill_core::ledger::{OrderView, Summary};
use fairtill_store::{OutboxStatus, Page, RecordedSale, SavedOffer};
use serde::Serialize;

pub(crate) fn json<W: Write, T: Serialize>(out: &mut W, value: &T) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A one-line message, or its JSON form.
pub fn message<W: Write>(
    out: &mut W,
    as_json: bool,
    text: &str,
    value: serde_json::Value,
) -> anyhow::Result<()> {
    if as_json {
        json(out, &value)
    } else {
        writeln!(out, "{text}")?;
        Ok(())
    }
}

/// A recorded sale.
pub fn recorded<W: Write>(out: &mut W, sale: &RecordedSale, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(out, sale);
    }
    writeln!(
        out,
        "recorded {} for {} (transaction {})",
        sale.receipt, sale.total, sale.transaction_id
    )?;
    Ok(())
}

/// A page of transactions.
pub fn page<W: Write>(out: &mut W, page: &Page, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(out, page);
    }
    writeln!(
        out,
        "{:<24}  {:<11}  {:<9}  {:<9}  {:>14}  {:<11}  {:<20}  id",
        "created", "receipt", "kind", "result", "amount", "method", "customer"
    )?;
    for r in &page.rows {
        let created = r.created_at.strftime("%Y-%m-%d %H:%M:%S").to_string();
        writeln!(
            out,
            "{:<24}  {:<11}  {:<9}  {:<9}  {:>14}  {:<11}  {:<20}  {}",
            created,
            r.receipt.as_deref().unwrap_or("-"),
            r.kind.as_str(),
            r.result.as_str(),
            r.amount.to_string(),
            r.method,
            r.customer_name.as_deref().unwrap_or(""),
            r.id
        )?;
    }
    if let Some(next) = &page.next {
        writeln!(out, "more: --after {next}")?;
    }
    Ok(())
}

/// The per-currency summary.
pub fn summary<W: Write>(out: &mut W, summary: &Summary, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(out, summary);
    }
    if summary.currencies.is_empty() {
        writeln!(out, "no transactions")?;
    }
    for c in &summary.currencies {
        writeln!(out, "{}", c.currency)?;
        for (label, m) in [
            ("gross sales", c.gross_sales),
            ("authorized", c.authorized),
            ("captured", c.captured),
            ("refunded", c.refunded),
            ("refund pending", c.refund_pending),
            ("voided", c.voided),
            ("canceled", c.canceled),
            ("credited", c.credited),
            ("net", c.net),
        ] {
            writeln!(out, "  {label:<15} {:>14}", m.amount_string())?;
        }
        writeln!(
            out,
            "  attempts        {} approved, {} declined, {} abandoned, {} canceled, {} unknown",
            c.approved_count,
            c.declined_count,
            c.abandoned_count,
            c.canceled_count,
            c.unknown_count
        )?;
    }
    Ok(())
}

/// One order with its history.
pub fn order<W: Write>(out: &mut W, view: &OrderView, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(out, view);
    }
    let o = &view.order;
    writeln!(
        out,
        "order {} ({})  {}  by {}",
        o.receipt,
        o.id,
        view.status.label(),
        o.context.staff
    )?;
    for (line, t) in o.draft.lines.iter().zip(&view.totals.lines) {
        writeln!(
            out,
            "  {:>3} x {:<30} {:>12}",
            line.quantity,
            line.name,
            t.payable.to_string()
        )?;
    }
    writeln!(
        out,
        "  total {}  paid {}  refunded {}  due {}",
        view.totals.total, view.paid, view.refunded, view.balance_due
    )?;
    writeln!(out, "history:")?;
    for t in &view.transactions {
        let results: Vec<&str> = t.history.iter().map(|h| h.result.as_str()).collect();
        writeln!(
            out,
            "  {}  {:<9} {:>14}  {:<11} {}  {}",
            t.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            t.kind.as_str(),
            t.amount.to_string(),
            t.method.name(),
            results.join(" -> "),
            t.id
        )?;
    }
    Ok(())
}

/// Saved offers.
pub fn offers<W: Write>(out: &mut W, offers: &[SavedOffer], as_json: bool) -> anyhow::Result<()> {
    if as_json {
        return json(out, &offers);
    }
    for s in offers {
        let retired = if s.retired_at.is_some() {
            "  (retired)"
        } else {
            ""
        };
        let total = s
            .offer
            .list_total()
            .map(|m| m.to_string())
            .unwrap_or_default();
        writeln!(
            out,
            "{}  {}  {}{}",
            s.offer.id(),
            s.offer.name(),
            total,
            retired
        )?;
        for l in s.offer.lines() {
            writeln!(out, "    {} x {} @ {}", l.quantity, l.name, l.unit_price)?;
        }
    }
    Ok(())
}

/// Integrity and outbox.
pub fn check<W: Write>(
    out: &mut W,
    problems: &[String],
    outbox: &OutboxStatus,
    as_json: bool,
) -> anyhow::Result<()> {
    if as_json {
        return json(
            out,
            &serde_json::json!({ "integrity_ok": problems.is_empty(), "problems": problems, "waiting_to_sync": outbox }),
        );
    }
    if problems.is_empty() {
        writeln!(out, "integrity: ok")?;
    } else {
        for p in problems {
            writeln!(out, "integrity problem: {p}")?;
        }
    }
    writeln!(out, "waiting to sync: {} record(s)", outbox.total)?;
    Ok(())
}

/// What `fairtill sync` did.
pub fn synced<W: Write>(
    out: &mut W,
    outcome: &crate::sync::SyncOutcome,
    as_json: bool,
) -> anyhow::Result<()> {
    use crate::sync::SyncOutcome;
    if as_json {
        return json(out, outcome);
    }
    match outcome {
        SyncOutcome::Enrolled {
            server_url,
            server_name,
        } => writeln!(out, "enrolled with {server_url} as {server_name}")?,
        SyncOutcome::Round(r) => writeln!(
            out,
            "sent {} (already there {}, conflicts {}, refused {}), received {}",
            r.pushed, r.already_had, r.conflicts, r.rejected, r.pulled
        )?,
        SyncOutcome::State(s) => match &s.server_url {
            Some(url) => writeln!(
                out,
                "syncs with {url} as {}; {} waiting{}",
                s.server_name.as_deref().unwrap_or("?"),
                s.waiting,
                if s.token_in_keyring {
                    ""
                } else {
                    "; its token is not in the keyring: enroll again"
                }
            )?,
            None => writeln!(out, "not enrolled; {} waiting", s.waiting)?,
        },
    }
    Ok(())
}
