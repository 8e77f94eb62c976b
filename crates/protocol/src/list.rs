//! The query of the manager's transaction list (`/v1/manager/transactions`, its summary and its
//! CSV export): written by the manager client from a [`TxFilter`], read back by the server,
//! in one shape.

use fairtill_core::filter::TxFilter;
use fairtill_core::ids::{DeviceId, EventId};
use fairtill_core::ledger::{TxKind, TxResult};
use fairtill_core::money::Currency;
use fairtill_core::Timestamp;
use serde::{Deserialize, Serialize};

/// How a CSV download is written, as a query parameter beside its filters.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams,
)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `true`: plain UTF-8 for scripts. By default the file starts with a UTF-8 byte-order
    /// mark, so Excel and LibreOffice show every character as it is.
    #[serde(default)]
    pub plain: bool,
}

impl ExportQuery {
    /// Who the file is for.
    pub fn made_for(self) -> fairtill_core::csv_text::ExportFor {
        fairtill_core::csv_text::ExportFor::plain(self.plain)
    }
}

/// The filters of the transaction list, as query parameters. Lists are comma-separated;
/// blank values mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Created at or after (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Created before (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// Event id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(format = Uuid)]
    pub event: Option<String>,
    /// Device id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(format = Uuid)]
    pub device: Option<String>,
    /// Staff member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    /// Kinds: authorize, capture, sale, void, refund, credit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Results: approved, declined, abandoned, canceled, unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// ISO 4217 currency code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// cash, card, external or marked_paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Text in the customer, receipt or external reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The `next` of the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Rows per page (1–1000, default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A list query read back: the filter every list has, and the till.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// The filters every list has.
    pub base: TxFilter,
    /// Recorded on this till.
    pub device_id: Option<DeviceId>,
}

/// A query or body field with its spaces trimmed, or `None` when it is missing or blank: how
/// every optional field of the API is read.
pub fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn list_of<T>(
    text: &Option<String>,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    let Some(t) = blank(text) else {
        return Ok(Vec::new());
    };
    t.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).ok_or_else(|| format!("{s:?} is not a {what}")))
        .collect()
}

fn time_of(text: &Option<String>, what: &str) -> Result<Option<Timestamp>, String> {
    blank(text)
        .map(|t| {
            t.parse::<Timestamp>().map_err(|_| {
                format!("{what} {t:?} is not a time; use RFC 3339, e.g. 2026-11-22T09:00:00Z")
            })
        })
        .transpose()
}

/// An id in a query, or the words saying it is not one of `what`.
pub fn id_of<T: std::str::FromStr>(text: &Option<String>, what: &str) -> Result<Option<T>, String> {
    blank(text)
        .map(|t| {
            t.parse::<T>()
                .map_err(|_| format!("{t:?} is not a {what} id"))
        })
        .transpose()
}

fn joined<T>(items: &[T], name: impl Fn(&T) -> &'static str) -> Option<String> {
    (!items.is_empty()).then(|| items.iter().map(name).collect::<Vec<_>>().join(","))
}

impl ListQuery {
    /// The query for `filter` (and a till), with no page position.
    pub fn new(filter: &TxFilter, device: Option<DeviceId>) -> ListQuery {
        let some = |v: Option<String>| v.filter(|v| !v.is_empty());
        ListQuery {
            from: filter.from.map(|t| t.to_string()),
            to: filter.to.map(|t| t.to_string()),
            event: filter.event_id.map(|e: EventId| e.to_string()),
            device: device.map(|d| d.to_string()),
            staff: some(filter.staff.clone()),
            kind: joined(&filter.kinds, |k| k.as_str()),
            result: joined(&filter.results, |r| r.as_str()),
            currency: filter.currency.map(|c| c.code().to_string()),
            method: some(filter.method.clone()),
            text: some(filter.text.clone()),
            after: None,
            limit: None,
        }
    }

    /// The filter, with every field checked; the words for the first that is not valid.
    pub fn filter(&self) -> Result<ListFilter, String> {
        let currency = blank(&self.currency)
            .map(|c| {
                Currency::from_code(&c.to_ascii_uppercase())
                    .map_err(|_| format!("{c:?} is not a currency code"))
            })
            .transpose()?;
        let base = TxFilter {
            from: time_of(&self.from, "from")?,
            to: time_of(&self.to, "to")?,
            event_id: id_of(&self.event, "event")?,
            staff: blank(&self.staff).map(str::to_string),
            kinds: list_of(&self.kind, "transaction kind", TxKind::parse)?,
            results: list_of(&self.result, "result", TxResult::parse)?,
            currency,
            method: blank(&self.method).map(str::to_string),
            text: blank(&self.text).map(str::to_string),
        };
        base.method().map_err(|e| e.to_string())?;
        Ok(ListFilter {
            base,
            device_id: id_of(&self.device, "device")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_filter_survives_the_query_string_and_bad_fields_are_named() {
        let filter = TxFilter {
            from: Some("2026-11-22T09:00:00Z".parse().unwrap()),
            to: None,
            event_id: Some(EventId(Uuid::now_v7())),
            staff: Some("Ana".into()),
            kinds: vec![TxKind::Sale, TxKind::Refund],
            results: vec![TxResult::Approved],
            currency: Some(Currency::from_code("EUR").unwrap()),
            method: Some("card".into()),
            text: Some("ada@example.org".into()),
        };
        let device = Some(DeviceId(Uuid::now_v7()));
        let query = ListQuery::new(&filter, device);
        assert_eq!(query.kind.as_deref(), Some("sale,refund"));
        let back = query.filter().unwrap();
        assert_eq!((back.base, back.device_id), (filter, device));

        let bad = |q: ListQuery| q.filter().unwrap_err();
        let words = bad(ListQuery {
            currency: Some("euros".into()),
            ..ListQuery::default()
        });
        assert!(words.contains("not a currency code"), "{words}");
        let words = bad(ListQuery {
            kind: Some("sale,gift".into()),
            ..ListQuery::default()
        });
        assert!(
            words.contains("\"gift\" is not a transaction kind"),
            "{words}"
        );
        let words = bad(ListQuery {
            from: Some("yesterday".into()),
            ..ListQuery::default()
        });
        assert!(words.contains("RFC 3339"), "{words}");
        assert_eq!(
            ListQuery::default().filter().unwrap(),
            ListFilter::default()
        );
    }
}
