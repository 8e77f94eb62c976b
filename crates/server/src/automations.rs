//! An automation's email: its subject and body are the manager's templates (Jinja syntax,
//! rendered with `minijinja` as the receipt emails are), checked when the automation is saved by
//! rendering them for a sample order, so one that does not render is refused then, not
//! discovered at the first sale.

use fairtill_protocol::AutomationEmail;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// One line of the order, as the templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// What was sold.
    pub name: String,
    /// Its SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
}

/// What an automation's templates can use.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// The customer's name ("" when the order has none).
    pub customer_name: String,
    /// The receipt number.
    pub receipt: String,
    /// The automation's name.
    pub automation: String,
    /// The order's lines.
    pub items: Vec<Item>,
}

/// The subject and body of `email` for `ctx`, or why they do not render.
pub fn render(email: &AutomationEmail, ctx: &Context) -> Result<(String, String), String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let one = |what: &str, source: &str| {
        env.render_str(source, minijinja::value::Serde(ctx))
            .map_err(|e| {
                format!(
                    "the {what} does not render: {}",
                    crate::receipts::templates::describe(&e)
                )
            })
    };
    let subject = one("subject", &email.subject)?;
    let body = one("body", &email.body)?;
    Ok((subject.trim().replace(['\r', '\n'], " "), body))
}

/// Checks `email` by rendering it for a sample order.
pub fn check(email: &AutomationEmail) -> Result<(), String> {
    if email.subject.trim().is_empty() || email.body.trim().is_empty() {
        return Err("the email needs a subject and a body".into());
    }
    let sample = Context {
        customer_name: "Ada Lovelace".into(),
        receipt: "T1-000001".into(),
        automation: "Sample".into(),
        items: vec![Item {
            name: "E-book".into(),
            sku: "EBOOK".into(),
            quantity: 1,
        }],
    };
    render(email, &sample).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(subject: &str, body: &str) -> AutomationEmail {
        AutomationEmail {
            subject: subject.into(),
            body: body.into(),
        }
    }

    #[test]
    fn a_template_renders_with_the_order_and_a_broken_one_is_refused_in_words() {
        assert!(check(&email(
            "Your download, {{ customer_name }}",
            "Receipt {{ receipt }}: {% for i in items %}{{ i.name }}{% endfor %}"
        ))
        .is_ok());
        let e = check(&email("Hi {{ nme }}", "x")).unwrap_err();
        assert!(
            e.contains("subject does not render") && e.contains("undefined"),
            "{e}"
        );
        let e = check(&email("Hi", "{% for i in items %}")).unwrap_err();
        assert!(e.contains("body does not render"), "{e}");
        assert!(check(&email(" ", "x")).is_err());
    }
}
