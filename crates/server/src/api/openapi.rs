//! The OpenAPI document, generated from the handlers and types by utoipa.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Fairtill server", description = "Devices enroll, push and pull; managers reconcile. Every request carries the header `fairtill-api-version: 3`."),
    paths(
        super::device::enroll,
        super::device::push,
        super::device::pull,
        super::device::status,
        super::payments::progress,
        super::payments::start_card_setup,
        super::payments::finish_card_setup,
        super::payments::webhook,
        super::manager::login,
        super::manager::logout,
        super::manager::devices,
        super::manager::transactions,
        super::manager::summary,
        super::manager::export_csv,
        super::manager::order,
        super::manager::conflicts,
        super::manager::resolve_conflict,
        super::manager::audit_log,
        super::manager::publish,
        super::closeout::events,
        super::closeout::close_out,
        super::closeout::close_out_csv,
        super::closeout::sales_by_hour,
        super::settlement::import,
        super::settlement::imports,
        super::settlement::fetch,
        super::settlement::payouts,
        super::settlement::report,
        super::settlement::decide,
        super::settlement::formats_list,
        super::settlement::save_format,
        super::customers::find,
        super::customers::record,
        super::follow_up::scheduled,
        super::follow_up::schedule,
        super::follow_up::reschedule,
        super::follow_up::cancel,
        super::follow_up::follow_ups,
        super::follow_up::follow_up,
        super::follow_up::end,
        super::receipts::email,
        super::webhooks::list,
        super::webhooks::add,
        super::webhooks::change,
        super::webhooks::rotate,
        super::webhooks::deliveries,
        super::webhooks::resend,
        super::automations::list,
        super::automations::add,
        super::automations::change,
        super::commissions::rules,
        super::commissions::add_rule,
        super::commissions::retire_rule,
        super::commissions::run,
        super::commissions::get_run,
        super::commissions::run_csv_file,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
    ),
    modifiers(&Tokens, &CommonAnswers),
    tags((name = "device", description = "For enrolled devices"), (name = "manager", description = "For signed-in managers"), (name = "processor", description = "For the card processor"), (name = "operator", description = "For the operator's monitoring"))
)]
pub struct ApiDoc;

struct Tokens;

impl Modify for Tokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in ["device_token", "manager_token"] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The answers every endpoint of a kind can give, added where a handler does not list them:
/// a 400 for every versioned request (a missing or old version header, a malformed body,
/// query or path), a 401 for every authenticated one, a 403 for the manager's (a device's
/// token), a 413 for every one with a body; each with the API's error body.
struct CommonAnswers;

impl CommonAnswers {
    fn add(op: &mut Operation, status: &str, description: &str) {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build()
                    .into()
            });
    }
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                let tags = op.tags.clone().unwrap_or_default();
                if tags.iter().any(|t| t == "operator") {
                    continue;
                }
                Self::add(
                    op,
                    "400",
                    "A malformed request, or a value the server refuses",
                );
                let schemes: Vec<String> = op
                    .security
                    .iter()
                    .flatten()
                    .flat_map(|r| {
                        serde_json::to_value(r)
                            .ok()
                            .and_then(|v| {
                                v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>())
                            })
                            .unwrap_or_default()
                    })
                    .collect();
                if !schemes.is_empty() {
                    Self::add(op, "401", "No valid token");
                }
                if schemes.iter().any(|s| s == "manager_token") {
                    Self::add(op, "403", "A device's token on a manager endpoint");
                }
                if op.request_body.is_some() {
                    Self::add(op, "413", "The body is too large");
                }
            }
        }
    }
}

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
