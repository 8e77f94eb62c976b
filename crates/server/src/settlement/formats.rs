//! The exports Fairtill reads without being told how: Stripe (payments, balance transactions,
//! itemized balance change), Square transactions, SumUp transaction reports (German, French,
//! English headers) and PayPal activity downloads. Each is a [`ColumnMapping`]; a file is
//! recognised by the columns its header has.

use fairtill_protocol::{ColumnMapping, SkipRule};

fn list(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn skip(column: &[&str], values: &[&str]) -> SkipRule {
    SkipRule {
        column: list(column),
        values: list(values),
    }
}

/// Every built-in format, most specific first.
pub fn builtin() -> Vec<ColumnMapping> {
    vec![
        ColumnMapping {
            name: "Stripe payments".into(),
            reference: list(&["id"]),
            amount: list(&["Amount"]),
            currency: list(&["Currency"]),
            date: list(&["Created date (UTC)", "Created (UTC)"]),
            skip: vec![skip(
                &["Status"],
                &["Failed", "Canceled", "Incomplete", "Blocked"],
            )],
            last4: list(&["Card Last4"]),
            ..ColumnMapping::default()
        },
        ColumnMapping {
            name: "Stripe balance transactions".into(),
            reference: list(&["Source", "id"]),
            amount: list(&["Amount"]),
            currency: list(&["Currency"]),
            date: list(&["Created (UTC)", "Created"]),
            kind: list(&["Type"]),
            payment_kinds: list(&["charge", "payment"]),
            refund_kinds: list(&["refund", "payment_refund"]),
            ..ColumnMapping::default()
        },
        ColumnMapping {
            name: "Stripe balance change (itemized)".into(),
            reference: list(&["balance_transaction_id"]),
            amount: list(&["gross"]),
            currency: list(&["currency"]),
            date: list(&["created_utc", "created"]),
            kind: list(&["reporting_category"]),
            payment_kinds: list(&["charge"]),
            refund_kinds: list(&["refund"]),
            ..ColumnMapping::default()
        },
        ColumnMapping {
            name: "Square transactions".into(),
            reference: list(&["Payment ID", "Transaction ID"]),
            amount: list(&["Total Collected"]),
            date: list(&["Date"]),
            time: list(&["Time"]),
            kind: list(&["Event Type"]),
            payment_kinds: list(&["Payment"]),
            refund_kinds: list(&["Refund"]),
            last4: list(&["PAN Suffix"]),
            ..ColumnMapping::default()
        },
        ColumnMapping {
            name: "SumUp transactions".into(),
            reference: list(&["Transaktions-ID", "Réf. transaction", "Transaction ID"]),
            amount: list(&["Betrag inkl. MwSt.", "Montant total", "Total amount"]),
            date: list(&["Datum", "Date"]),
            kind: list(&[
                "Transaktionsart",
                "Zahlungsart",
                "Type de transaction",
                "Transaction type",
            ]),
            payment_kinds: list(&["Umsatz", "Sale", "Vente"]),
            refund_kinds: list(&[
                "Erstattung",
                "Erstattet",
                "Remboursé",
                "Remboursement",
                "Refund",
                "Refunded",
            ]),
            skip: vec![
                skip(
                    &["Status"],
                    &[
                        "Abgebrochen",
                        "Fehlgeschlagen",
                        "Échoué",
                        "Annulé",
                        "Failed",
                        "Cancelled",
                        "Canceled",
                    ],
                ),
                skip(
                    &["Zahlungsmethode", "Méthode de paiement", "Payment method"],
                    &["CASH"],
                ),
            ],
            last4: list(&["Letzte 4 Ziffern", "4 derniers chiffres", "Last 4 digits"]),
            approval_code: list(&["Autorisierungscode", "Auth code", "Authorisation code"]),
            ..ColumnMapping::default()
        },
        ColumnMapping {
            name: "PayPal activity".into(),
            reference: list(&["Transaction ID"]),
            amount: list(&["Gross"]),
            currency: list(&["Currency"]),
            date: list(&["Date"]),
            time: list(&["Time"]),
            kind: list(&["Type"]),
            payment_kinds: list(&[
                "Payment Received",
                "Express Checkout Payment Received",
                "Web Accept Payment Received",
                "Shopping Cart Payment Received",
                "Mobile Payment Received",
                "General Payment",
                "Mobile Express Checkout Payment Received",
            ]),
            refund_kinds: list(&["Refund", "Payment Refund"]),
            skip: vec![skip(
                &["Status"],
                &["Pending", "Denied", "Removed", "Canceled"],
            )],
            day_first: true,
            ..ColumnMapping::default()
        },
    ]
}

/// The columns whose presence tells formats apart (beyond the mapped ones).
fn signature(name: &str) -> &'static [&'static str] {
    match name {
        "Stripe payments" => &["PaymentIntent ID"],
        "Stripe balance transactions" => &["Available On (UTC)"],
        "Stripe balance change (itemized)" => &["reporting_category"],
        "Square transactions" => &["Total Collected", "Event Type"],
        "SumUp transactions" => &[],
        "PayPal activity" => &["Balance Impact"],
        _ => &[],
    }
}

/// The first of `names` the header has, as a column index.
pub fn find(header: &[String], names: &[String]) -> Option<usize> {
    names.iter().find_map(|n| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(n.trim()))
    })
}

/// The built-in format a header belongs to.
pub fn detect(header: &[String]) -> Option<ColumnMapping> {
    builtin().into_iter().find(|m| {
        let has = |names: &Vec<String>| find(header, names).is_some();
        has(&m.reference)
            && has(&m.amount)
            && has(&m.date)
            && (m.kind.is_empty() || has(&m.kind))
            && signature(&m.name)
                .iter()
                .all(|s| find(header, &[s.to_string()]).is_some())
    })
}

/// The built-in format of that name (any case).
pub fn named(name: &str) -> Option<ColumnMapping> {
    builtin()
        .into_iter()
        .find(|m| m.name.eq_ignore_ascii_case(name.trim()))
}
