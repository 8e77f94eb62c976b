//! The OpenAPI document, generated from the handlers and types by utoipa.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    modifiers(&Tokens),
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

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
