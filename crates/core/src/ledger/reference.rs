//! One payment made in another system is logged once (docs/domain.md, "External payments").
//!
//! This is the one rule that `decide` cannot check: it spans every payment ever logged, which
//! the in-memory ledger of a command's neighbourhood does not hold. So it is checked where those
//! payments are — the device store before it records a payment, the importer before it imports a
//! file, the server when a push arrives (as a conflict, since both tills have recorded theirs
//! already) — and all three take the rule's parts from here: which transactions log a
//! reference, which of them still hold it, and the words.

use super::transaction::{PaymentMethod, Transaction, TxKind, TxResult};

/// A payment in another system, by that system's name and its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedReference<'a> {
    /// The other system.
    pub system: &'a str,
    /// Its reference for the payment.
    pub reference: &'a str,
}

/// The results with which a logged payment holds its reference. A declined, abandoned or
/// canceled attempt may be logged again under the same reference, and so may a voided one
/// (voided = entered by mistake).
pub const HOLDING_RESULTS: [TxResult; 2] = [TxResult::Approved, TxResult::Unknown];

/// The reference a transaction of `kind` paid by `method` logs, if it logs one: a sale or an
/// authorization paid in another system. Captures, voids and refunds name their parent
/// instead, and a credit is money given, not a payment logged.
pub fn logged_reference(kind: TxKind, method: &PaymentMethod) -> Option<LoggedReference<'_>> {
    let logs = match kind {
        TxKind::Sale | TxKind::Authorize => true,
        TxKind::Capture | TxKind::Void | TxKind::Refund | TxKind::Credit => false,
    };
    match method {
        PaymentMethod::External { system, reference } if logs => {
            Some(LoggedReference { system, reference })
        }
        PaymentMethod::External { .. }
        | PaymentMethod::Cash
        | PaymentMethod::Card { .. }
        | PaymentMethod::MarkedPaid { .. }
        | PaymentMethod::CardOnFile { .. } => None,
    }
}

impl Transaction {
    /// The reference this transaction logs, if it logs one ([`logged_reference`]).
    pub fn logged_reference(&self) -> Option<LoggedReference<'_>> {
        logged_reference(self.kind, &self.method)
    }
}

/// Whether a logged payment with `result`, voided or not, still holds its reference.
pub fn holds_reference(result: TxResult, voided: bool) -> bool {
    !voided && HOLDING_RESULTS.contains(&result)
}

impl LoggedReference<'_> {
    /// The words when this reference is already logged on `receipt`.
    pub fn already_logged(&self, receipt: &str) -> String {
        format!(
            "{} payment {} was already logged on receipt {receipt}",
            self.system, self.reference
        )
    }

    /// The words of the conflict when two tills logged it.
    pub fn logged_twice(&self) -> String {
        format!(
            "{} payment {} was logged more than once",
            self.system, self.reference
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sales_and_authorizations_in_another_system_log_a_reference() {
        let external = PaymentMethod::External {
            system: "Shopify".into(),
            reference: "#1001".into(),
        };
        assert_eq!(
            logged_reference(TxKind::Sale, &external),
            Some(LoggedReference {
                system: "Shopify",
                reference: "#1001"
            })
        );
        assert!(logged_reference(TxKind::Authorize, &external).is_some());
        for kind in [
            TxKind::Capture,
            TxKind::Void,
            TxKind::Refund,
            TxKind::Credit,
        ] {
            assert_eq!(logged_reference(kind, &external), None, "{kind:?}");
        }
        assert_eq!(logged_reference(TxKind::Sale, &PaymentMethod::Cash), None);
        assert!(holds_reference(TxResult::Approved, false));
        assert!(holds_reference(TxResult::Unknown, false));
        assert!(!holds_reference(TxResult::Approved, true));
        assert!(!holds_reference(TxResult::Declined, false));
        let r = logged_reference(TxKind::Sale, &external).unwrap();
        assert_eq!(
            r.already_logged("B1-000001"),
            "Shopify payment #1001 was already logged on receipt B1-000001"
        );
    }
}
