//! The operator's templates for receipt emails: a subject, a plain-text body and an HTML body,
//! in Jinja syntax, rendered by `minijinja` (maintained, small, with HTML auto-escaping for
//! `.html` templates, so a customer named `<b>` cannot change the message). Each one missing
//! from the operator's folder is Fairtill's default. Every template is rendered once with a
//! sample receipt when the server starts, so one that does not render stops the server with
//! its file, line and reason instead of failing a customer's message later.

use std::path::{Path, PathBuf};

use minijinja::{context, Environment};

use super::{Entry, Line, Receipt, Seller};

const DEFAULTS: [(&str, &str); 3] = [
    ("receipt.subject", include_str!("templates/receipt.subject")),
    ("receipt.txt", include_str!("templates/receipt.txt")),
    ("receipt.html", include_str!("templates/receipt.html")),
];

/// A template that could not be read or does not render.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct TemplateError {
    /// Which file (or built-in template).
    pub file: String,
    /// Why, with the line where minijinja says.
    pub reason: String,
}

/// A receipt email as rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject, one line.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML.
    pub html: String,
}

/// The templates in use.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    logo: Option<Vec<u8>>,
}

pub(crate) fn describe(e: &minijinja::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}

impl Templates {
    /// Fairtill's defaults, with those in `dir` (`receipt.subject`, `receipt.txt`,
    /// `receipt.html`, and a `logo.png` for the HTML) taking their place; each checked by
    /// rendering a sample receipt.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, default) in DEFAULTS {
            let (source, file) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => (
                    std::fs::read_to_string(&path).map_err(|e| TemplateError {
                        file: path.display().to_string(),
                        reason: e.to_string(),
                    })?,
                    path.display().to_string(),
                ),
                None => (default.to_string(), format!("the built-in {name}")),
            };
            env.add_template_owned(name, source)
                .map_err(|e| TemplateError {
                    file,
                    reason: describe(&e),
                })?;
        }
        let logo = match dir.map(|d| d.join("logo.png")).filter(|p| p.exists()) {
            Some(path) => Some(std::fs::read(&path).map_err(|e| TemplateError {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        let templates = Templates { env, logo };
        templates.render(&sample()).map_err(|e| TemplateError {
            file: dir
                .map_or_else(
                    || PathBuf::from("the built-in templates"),
                    Path::to_path_buf,
                )
                .display()
                .to_string(),
            reason: e.reason,
        })?;
        Ok(templates)
    }

    /// The logo for the HTML (`cid:logo`), if the operator gave one.
    pub fn logo(&self) -> Option<&[u8]> {
        self.logo.as_deref()
    }

    /// The email of `receipt`.
    pub fn render(&self, receipt: &Receipt) -> Result<Rendered, TemplateError> {
        let ctx = context! {
            receipt => minijinja::Value::from(minijinja::value::Serde(receipt)),
            logo => self.logo.is_some(),
        };
        let one = |name: &str| {
            self.env
                .get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|e| TemplateError {
                    file: name.to_string(),
                    reason: describe(&e),
                })
        };
        let subject = one("receipt.subject")?
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_string();
        if subject.is_empty() {
            return Err(TemplateError {
                file: "receipt.subject".into(),
                reason: "the subject is empty".into(),
            });
        }
        Ok(Rendered {
            subject,
            text: one("receipt.txt")?,
            html: one("receipt.html")?,
        })
    }
}

/// A receipt with every part filled, to check templates against.
fn sample() -> Receipt {
    let entry = |method: &str, amount: &str, note: Option<&str>| Entry {
        method: method.into(),
        amount: amount.into(),
        note: note.map(str::to_string),
    };
    Receipt {
        seller: Seller {
            name: "Gallery Night".into(),
            address: vec!["1 Fair Street".into(), "Berlin".into()],
            tax_id: Some("DE123456789".into()),
        },
        number: "A-000001".into(),
        date: "2026-12-02 10:00 UTC".into(),
        customer_name: Some("Leo Park".into()),
        lines: vec![Line {
            name: "Print".into(),
            quantity: 2,
            unit_price: "10.00 EUR".into(),
            discount: Some("2.00 EUR".into()),
            amount: "18.00 EUR".into(),
        }],
        subtotal: "20.00 EUR".into(),
        discount: Some("2.00 EUR".into()),
        tax_label: "Tax included".into(),
        tax: "2.87 EUR".into(),
        total: "18.00 EUR".into(),
        payments: vec![entry("Cash", "18.00 EUR", None)],
        refunds: vec![entry("Cash", "5.00 EUR", Some("pending"))],
        balance_due: Some("0.01 EUR".into()),
        status: "partly refunded".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_render_and_escape_html() {
        let t = Templates::load(None).unwrap();
        let mut r = sample();
        r.customer_name = Some("<b>Müller</b>".into());
        let m = t.render(&r).unwrap();
        assert_eq!(m.subject, "Your receipt A-000001 from Gallery Night");
        assert!(m.text.contains("Hello <b>Müller</b>,"), "{}", m.text);
        assert!(m.html.contains("Hello &lt;b&gt;Müller&lt;"), "{}", m.html);
        assert!(!m.html.contains("<b>"), "{}", m.html);
        assert!(m.text.contains("Total: 18.00 EUR"), "{}", m.text);
    }

    #[test]
    fn a_template_that_does_not_render_is_refused_with_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("receipt.txt"),
            "Hello\n{{ receipt.nmber }}\n",
        )
        .unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err();
        assert!(
            e.to_string().contains("nmber") || e.to_string().contains("undefined"),
            "{e}"
        );
        assert!(e.to_string().contains("receipt.txt:2"), "{e}");
        std::fs::write(dir.path().join("receipt.txt"), "{% if %}").unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err();
        assert!(e.to_string().contains("receipt.txt"), "{e}");
    }
}
