-- The server's PostgreSQL schema, as a fresh database has it (from the catalog).
-- Written by crates/server/tests/schema.rs; do not edit.

-- columns
audit_log.id text NOT NULL
audit_log.at bigint NOT NULL
audit_log.actor text NOT NULL
audit_log.action text NOT NULL
audit_log.subject text NOT NULL
audit_log.note text
automation_runs.automation_id text NOT NULL
automation_runs.order_id text NOT NULL
automation_runs.transaction_id text NOT NULL
automation_runs.ran_at bigint NOT NULL
automation_runs.notification_id text
automation_runs.webhook_message_id text
automation_runs.note text
automations.id text NOT NULL
automations.name text NOT NULL
automations.trigger_kind text NOT NULL
automations.trigger_ref text NOT NULL
automations.needs text NOT NULL
automations.email_subject text
automations.email_body text
automations.webhook_endpoint_id text
automations.enabled bigint NOT NULL
automations.created_by text NOT NULL
automations.created_at bigint NOT NULL
card_setups.id text NOT NULL
card_setups.customer_id text NOT NULL
card_setups.created_at bigint NOT NULL
card_setups.finished_at bigint
commission_rules.id text NOT NULL
commission_rules.beneficiary_kind text NOT NULL
commission_rules.beneficiary text NOT NULL
commission_rules.rate text NOT NULL
commission_rules.scope text NOT NULL
commission_rules.needs text
commission_rules.created_by text NOT NULL
commission_rules.created_at bigint NOT NULL
commission_rules.retired_at bigint
commission_runs.id text NOT NULL
commission_runs.period text NOT NULL
commission_runs.ran_at bigint NOT NULL
commission_runs.ran_by text NOT NULL
commission_runs.body text NOT NULL
conflict_devices.conflict_id text NOT NULL
conflict_devices.device_id text NOT NULL
conflicts.id text NOT NULL
conflicts.kind text NOT NULL
conflicts.record_type text NOT NULL
conflicts.record_id text NOT NULL
conflicts.others text NOT NULL
conflicts.reason text NOT NULL
conflicts.device_id text
conflicts.created_at bigint NOT NULL
conflicts.resolved_at bigint
conflicts.resolved_by text
conflicts.note text
customers.id text NOT NULL
customers.name text
customers.email text
customers.phone text
customers.updated_at bigint NOT NULL
customers.device_id text NOT NULL
customers.processor_ref text
devices.id text NOT NULL
devices.name text NOT NULL
devices.code text NOT NULL
devices.token_hash text NOT NULL
devices.enrolled_at bigint NOT NULL
devices.revoked_at bigint
devices.last_push_at bigint
enrollments.code_hash text NOT NULL
enrollments.name text NOT NULL
enrollments.created_at bigint NOT NULL
enrollments.expires_at bigint NOT NULL
enrollments.used_at bigint
enrollments.device_id text
fairtill_schema.version bigint NOT NULL
follow_up_attempts.follow_up_id text NOT NULL
follow_up_attempts.n bigint NOT NULL
follow_up_attempts.tx_id text NOT NULL
follow_up_attempts.made_at bigint NOT NULL
follow_ups.id text NOT NULL
follow_ups.order_id text NOT NULL
follow_ups.customer_id text NOT NULL
follow_ups.first_tx text NOT NULL
follow_ups.state text NOT NULL
follow_ups.next_at bigint
follow_ups.card_token text
follow_ups.last_reason text
follow_ups.started_at bigint NOT NULL
follow_ups.ended_at bigint
follow_ups.ended_by text
manager_tokens.token_hash text NOT NULL
manager_tokens.manager text NOT NULL
manager_tokens.created_at bigint NOT NULL
manager_tokens.expires_at bigint NOT NULL
managers.name text NOT NULL
managers.password_hash text NOT NULL
managers.created_at bigint NOT NULL
notifications.id text NOT NULL
notifications.kind text NOT NULL
notifications.customer_id text
notifications.order_id text
notifications.follow_up_id text
notifications.email text
notifications.subject text NOT NULL
notifications.body text NOT NULL
notifications.state text NOT NULL
notifications.created_at bigint NOT NULL
notifications.sent_at bigint
notifications.attempts bigint NOT NULL DEFAULT 0
notifications.next_at bigint NOT NULL DEFAULT 0
notifications.lease_until bigint NOT NULL DEFAULT 0
notifications.error text
notifications.html text
notifications.attachment_name text
notifications.attachment text
notifications.requested_by text
offers.id text NOT NULL
offers.name text NOT NULL
offers.retired_at bigint
orders.id text NOT NULL
orders.seq bigint NOT NULL
orders.receipt text NOT NULL
orders.customer_name text
orders.customer_email text
orders.customer_phone text
orders.device_id text NOT NULL
orders.event_id text
orders.staff text NOT NULL
orders.created_at bigint NOT NULL
orders.currency text
orders.discount_minor bigint
processor_jobs.tx_id text NOT NULL
processor_jobs.kind text NOT NULL
processor_jobs.state text NOT NULL
processor_jobs.due_at bigint NOT NULL
processor_jobs.lease_until bigint NOT NULL DEFAULT 0
processor_jobs.attempts bigint NOT NULL DEFAULT 0
processor_jobs.processor_id text
processor_jobs.approval_url text
processor_jobs.approval_token text
processor_jobs.message text
processor_jobs.created_at bigint NOT NULL
processor_jobs.finished_at bigint
processor_settled.balance_id text NOT NULL
processor_settled.import_id text NOT NULL
processor_settled.at bigint NOT NULL
records.seq bigint NOT NULL
records.record_type text NOT NULL
records.record_id text NOT NULL
records.device_id text
records.event_id text
records.received_at bigint NOT NULL
records.body text NOT NULL
result_changes.transaction_id text NOT NULL
result_changes.n bigint NOT NULL
result_changes.result text NOT NULL
result_changes.at bigint NOT NULL
saved_cards.id text NOT NULL
saved_cards.customer_id text NOT NULL
saved_cards.brand text NOT NULL
saved_cards.last4 text NOT NULL
saved_cards.exp_month bigint NOT NULL
saved_cards.exp_year bigint NOT NULL
saved_cards.saved_at bigint NOT NULL
saved_cards.removed_at bigint
scheduled_charges.id text NOT NULL
scheduled_charges.order_id text NOT NULL
scheduled_charges.customer_id text NOT NULL
scheduled_charges.card_id text NOT NULL
scheduled_charges.charge_at bigint NOT NULL
scheduled_charges.state text NOT NULL
scheduled_charges.tx_id text
scheduled_charges.created_by text NOT NULL
scheduled_charges.created_at bigint NOT NULL
scheduled_charges.updated_at bigint NOT NULL
settlement_formats.name text NOT NULL
settlement_formats.mapping text NOT NULL
settlement_formats.saved_at bigint NOT NULL
settlement_formats.saved_by text NOT NULL
settlement_imports.id text NOT NULL
settlement_imports.file_hash text NOT NULL
settlement_imports.file_name text NOT NULL
settlement_imports.format text NOT NULL
settlement_imports.window_hours bigint NOT NULL
settlement_imports.event_id text
settlement_imports.imported_at bigint NOT NULL
settlement_imports.imported_by text NOT NULL
settlement_imports.row_count bigint NOT NULL
settlement_imports.skipped bigint NOT NULL
settlement_matches.import_id text NOT NULL
settlement_matches.line bigint NOT NULL
settlement_matches.transaction_id text NOT NULL
settlement_matches.state text NOT NULL
settlement_matches.decided_at bigint NOT NULL
settlement_matches.decided_by text NOT NULL
settlement_rows.import_id text NOT NULL
settlement_rows.line bigint NOT NULL
settlement_rows.kind text NOT NULL
settlement_rows.reference text NOT NULL
settlement_rows.amount_minor bigint NOT NULL
settlement_rows.currency text NOT NULL
settlement_rows.at bigint NOT NULL
settlement_rows.last4 text
settlement_rows.approval_code text
sign_in_failures.key text NOT NULL
sign_in_failures.failures bigint NOT NULL
sign_in_failures.last_at bigint NOT NULL
sign_in_failures.blocked_until bigint NOT NULL
till_closes.session_id text NOT NULL
till_closes.seq bigint NOT NULL
till_closes.device_id text NOT NULL
till_closes.currency text NOT NULL
till_closes.closed_at bigint NOT NULL
till_closes.closed_by text NOT NULL
till_closes.counted_minor bigint NOT NULL
till_closes.expected_minor bigint NOT NULL
till_closes.note text
till_sessions.id text NOT NULL
till_sessions.seq bigint NOT NULL
till_sessions.device_id text NOT NULL
till_sessions.event_id text
till_sessions.currency text NOT NULL
till_sessions.float_minor bigint NOT NULL
till_sessions.opened_at bigint NOT NULL
till_sessions.opened_by text NOT NULL
transaction_totals.event_id text NOT NULL
transaction_totals.device_id text NOT NULL
transaction_totals.staff text NOT NULL
transaction_totals.method text NOT NULL
transaction_totals.currency text NOT NULL
transaction_totals.kind text NOT NULL
transaction_totals.parent_kind text NOT NULL
transaction_totals.result text NOT NULL
transaction_totals.tx_count bigint NOT NULL
transaction_totals.amount_minor bigint NOT NULL
transactions.id text NOT NULL
transactions.seq bigint NOT NULL
transactions.kind text NOT NULL
transactions.parent_id text
transactions.parent_kind text
transactions.root_id text NOT NULL
transactions.order_id text
transactions.amount_minor bigint NOT NULL
transactions.currency text NOT NULL
transactions.method text NOT NULL
transactions.external_system text
transactions.external_reference text
transactions.result text NOT NULL
transactions.created_at bigint NOT NULL
transactions.expires_at bigint
transactions.device_id text NOT NULL
transactions.event_id text
transactions.staff text NOT NULL
transactions.card_last4 text
transactions.approval_code text
transactions.captured_minor bigint NOT NULL DEFAULT 0
transactions.voided integer NOT NULL DEFAULT 0
transactions.customer_id text
webhook_attempts.delivery_id text NOT NULL
webhook_attempts.n bigint NOT NULL
webhook_attempts.at bigint NOT NULL
webhook_attempts.status bigint
webhook_attempts.error text
webhook_attempts.took_ms bigint NOT NULL
webhook_deliveries.id text NOT NULL
webhook_deliveries.message_id text NOT NULL
webhook_deliveries.endpoint_id text NOT NULL
webhook_deliveries.state text NOT NULL
webhook_deliveries.attempts bigint NOT NULL DEFAULT 0
webhook_deliveries.round_start bigint NOT NULL DEFAULT 0
webhook_deliveries.next_at bigint NOT NULL
webhook_deliveries.lease_until bigint NOT NULL DEFAULT 0
webhook_deliveries.created_at bigint NOT NULL
webhook_deliveries.delivered_at bigint
webhook_endpoints.id text NOT NULL
webhook_endpoints.url text NOT NULL
webhook_endpoints.description text NOT NULL
webhook_endpoints.events text NOT NULL
webhook_endpoints.secret text NOT NULL
webhook_endpoints.previous_secret text
webhook_endpoints.previous_until bigint
webhook_endpoints.enabled bigint NOT NULL
webhook_endpoints.disabled_reason text
webhook_endpoints.created_by text NOT NULL
webhook_endpoints.created_at bigint NOT NULL
webhook_messages.id text NOT NULL
webhook_messages.event text NOT NULL
webhook_messages.subject text NOT NULL
webhook_messages.payload text NOT NULL
webhook_messages.created_at bigint NOT NULL

-- constraints
audit_log audit_log_pkey PRIMARY KEY (id)
automation_runs automation_runs_automation_id_fkey FOREIGN KEY (automation_id) REFERENCES automations(id)
automation_runs automation_runs_pkey PRIMARY KEY (automation_id, order_id)
automations automations_pkey PRIMARY KEY (id)
automations automations_trigger_kind_check CHECK ((trigger_kind = ANY (ARRAY['product'::text, 'offer'::text])))
automations automations_webhook_endpoint_id_fkey FOREIGN KEY (webhook_endpoint_id) REFERENCES webhook_endpoints(id)
card_setups card_setups_pkey PRIMARY KEY (id)
commission_rules commission_rules_beneficiary_kind_check CHECK ((beneficiary_kind = ANY (ARRAY['staff'::text, 'referrer'::text])))
commission_rules commission_rules_pkey PRIMARY KEY (id)
commission_runs commission_runs_pkey PRIMARY KEY (id)
conflict_devices conflict_devices_pkey PRIMARY KEY (conflict_id, device_id)
conflicts conflicts_kind_check CHECK ((kind = ANY (ARRAY['over_refund'::text, 'over_capture'::text, 'duplicate_reference'::text, 'offer_name_taken'::text])))
conflicts conflicts_pkey PRIMARY KEY (id)
customers customers_pkey PRIMARY KEY (id)
devices devices_pkey PRIMARY KEY (id)
devices devices_token_hash_key UNIQUE (token_hash)
enrollments enrollments_name_check CHECK ((length(name) > 0))
enrollments enrollments_pkey PRIMARY KEY (code_hash)
follow_up_attempts follow_up_attempts_pkey PRIMARY KEY (follow_up_id, n)
follow_up_attempts follow_up_attempts_tx_id_key UNIQUE (tx_id)
follow_ups follow_ups_card_token_key UNIQUE (card_token)
follow_ups follow_ups_first_tx_key UNIQUE (first_tx)
follow_ups follow_ups_pkey PRIMARY KEY (id)
manager_tokens manager_tokens_manager_fkey FOREIGN KEY (manager) REFERENCES managers(name)
manager_tokens manager_tokens_pkey PRIMARY KEY (token_hash)
managers managers_pkey PRIMARY KEY (name)
notifications notifications_pkey PRIMARY KEY (id)
offers offers_pkey PRIMARY KEY (id)
orders orders_pkey PRIMARY KEY (id)
processor_jobs processor_jobs_approval_token_key UNIQUE (approval_token)
processor_jobs processor_jobs_pkey PRIMARY KEY (tx_id)
processor_settled processor_settled_pkey PRIMARY KEY (balance_id)
records records_pkey PRIMARY KEY (seq)
records records_record_type_record_id_key UNIQUE (record_type, record_id)
result_changes result_changes_pkey PRIMARY KEY (transaction_id, n)
saved_cards saved_cards_pkey PRIMARY KEY (id)
scheduled_charges scheduled_charges_pkey PRIMARY KEY (id)
settlement_formats settlement_formats_pkey PRIMARY KEY (name)
settlement_imports settlement_imports_file_hash_key UNIQUE (file_hash)
settlement_imports settlement_imports_pkey PRIMARY KEY (id)
settlement_matches settlement_matches_import_id_transaction_id_key UNIQUE (import_id, transaction_id)
settlement_matches settlement_matches_pkey PRIMARY KEY (import_id, line)
settlement_matches settlement_matches_state_check CHECK ((state = ANY (ARRAY['matched'::text, 'amount_mismatch'::text, 'suggested'::text, 'confirmed'::text, 'linked'::text])))
settlement_rows settlement_rows_kind_check CHECK ((kind = ANY (ARRAY['payment'::text, 'refund'::text])))
settlement_rows settlement_rows_pkey PRIMARY KEY (import_id, line)
sign_in_failures sign_in_failures_pkey PRIMARY KEY (key)
till_closes till_closes_pkey PRIMARY KEY (session_id)
till_sessions till_sessions_pkey PRIMARY KEY (id)
transaction_totals transaction_totals_pkey PRIMARY KEY (event_id, device_id, staff, method, currency, kind, parent_kind, result)
transactions transactions_pkey PRIMARY KEY (id)
webhook_attempts webhook_attempts_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries(id)
webhook_attempts webhook_attempts_pkey PRIMARY KEY (delivery_id, n)
webhook_deliveries webhook_deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints(id)
webhook_deliveries webhook_deliveries_message_id_endpoint_id_key UNIQUE (message_id, endpoint_id)
webhook_deliveries webhook_deliveries_message_id_fkey FOREIGN KEY (message_id) REFERENCES webhook_messages(id)
webhook_deliveries webhook_deliveries_pkey PRIMARY KEY (id)
webhook_endpoints webhook_endpoints_pkey PRIMARY KEY (id)
webhook_messages webhook_messages_event_subject_key UNIQUE (event, subject)
webhook_messages webhook_messages_pkey PRIMARY KEY (id)

-- indexs
CREATE UNIQUE INDEX audit_log_pkey ON public.audit_log USING btree (id)
CREATE INDEX automation_runs_order ON public.automation_runs USING btree (order_id)
CREATE UNIQUE INDEX automation_runs_pkey ON public.automation_runs USING btree (automation_id, order_id)
CREATE UNIQUE INDEX automations_pkey ON public.automations USING btree (id)
CREATE UNIQUE INDEX card_setups_pkey ON public.card_setups USING btree (id)
CREATE UNIQUE INDEX commission_rules_pkey ON public.commission_rules USING btree (id)
CREATE INDEX commission_runs_period ON public.commission_runs USING btree (period, ran_at)
CREATE UNIQUE INDEX commission_runs_pkey ON public.commission_runs USING btree (id)
CREATE INDEX conflict_devices_device ON public.conflict_devices USING btree (device_id)
CREATE UNIQUE INDEX conflict_devices_pkey ON public.conflict_devices USING btree (conflict_id, device_id)
CREATE INDEX conflicts_open ON public.conflicts USING btree (created_at) WHERE (resolved_at IS NULL)
CREATE UNIQUE INDEX conflicts_pkey ON public.conflicts USING btree (id)
CREATE INDEX conflicts_record ON public.conflicts USING btree (record_type, record_id)
CREATE UNIQUE INDEX customers_pkey ON public.customers USING btree (id)
CREATE UNIQUE INDEX devices_pkey ON public.devices USING btree (id)
CREATE UNIQUE INDEX devices_token_hash_key ON public.devices USING btree (token_hash)
CREATE UNIQUE INDEX enrollments_pkey ON public.enrollments USING btree (code_hash)
CREATE UNIQUE INDEX follow_up_attempts_pkey ON public.follow_up_attempts USING btree (follow_up_id, n)
CREATE UNIQUE INDEX follow_up_attempts_tx_id_key ON public.follow_up_attempts USING btree (tx_id)
CREATE UNIQUE INDEX follow_ups_card_token_key ON public.follow_ups USING btree (card_token)
CREATE INDEX follow_ups_customer ON public.follow_ups USING btree (customer_id)
CREATE INDEX follow_ups_due ON public.follow_ups USING btree (next_at) WHERE (state = 'retrying'::text)
CREATE UNIQUE INDEX follow_ups_first_tx_key ON public.follow_ups USING btree (first_tx)
CREATE UNIQUE INDEX follow_ups_pkey ON public.follow_ups USING btree (id)
CREATE UNIQUE INDEX manager_tokens_pkey ON public.manager_tokens USING btree (token_hash)
CREATE UNIQUE INDEX managers_pkey ON public.managers USING btree (name)
CREATE INDEX notifications_follow_up ON public.notifications USING btree (follow_up_id)
CREATE INDEX notifications_order ON public.notifications USING btree (order_id)
CREATE UNIQUE INDEX notifications_pkey ON public.notifications USING btree (id)
CREATE INDEX notifications_queued ON public.notifications USING btree (next_at) WHERE (state = 'queued'::text)
CREATE UNIQUE INDEX offers_pkey ON public.offers USING btree (id)
CREATE INDEX orders_event ON public.orders USING btree (event_id, device_id, staff)
CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)
CREATE INDEX orders_text ON public.orders USING gin (lower(((((((COALESCE(customer_name, ''::text) || ''::text) || COALESCE(customer_email, ''::text)) || ''::text) || COALESCE(customer_phone, ''::text)) || ''::text) || receipt)) gin_trgm_ops)
CREATE INDEX orders_unfilled ON public.orders USING btree (id) WHERE (currency IS NULL)
CREATE UNIQUE INDEX processor_jobs_approval_token_key ON public.processor_jobs USING btree (approval_token)
CREATE INDEX processor_jobs_due ON public.processor_jobs USING btree (due_at) WHERE (state <> 'done'::text)
CREATE UNIQUE INDEX processor_jobs_pkey ON public.processor_jobs USING btree (tx_id)
CREATE UNIQUE INDEX processor_settled_pkey ON public.processor_settled USING btree (balance_id)
CREATE INDEX records_event ON public.records USING btree (event_id, seq) WHERE (event_id IS NOT NULL)
CREATE UNIQUE INDEX records_pkey ON public.records USING btree (seq)
CREATE UNIQUE INDEX records_record_type_record_id_key ON public.records USING btree (record_type, record_id)
CREATE INDEX records_shared ON public.records USING btree (seq) WHERE (event_id IS NULL)
CREATE UNIQUE INDEX result_changes_pkey ON public.result_changes USING btree (transaction_id, n)
CREATE INDEX saved_cards_customer ON public.saved_cards USING btree (customer_id)
CREATE UNIQUE INDEX saved_cards_pkey ON public.saved_cards USING btree (id)
CREATE INDEX scheduled_charges_due ON public.scheduled_charges USING btree (charge_at) WHERE (state = 'scheduled'::text)
CREATE INDEX scheduled_charges_order ON public.scheduled_charges USING btree (order_id)
CREATE UNIQUE INDEX scheduled_charges_pkey ON public.scheduled_charges USING btree (id)
CREATE UNIQUE INDEX settlement_formats_pkey ON public.settlement_formats USING btree (name)
CREATE UNIQUE INDEX settlement_imports_file_hash_key ON public.settlement_imports USING btree (file_hash)
CREATE UNIQUE INDEX settlement_imports_pkey ON public.settlement_imports USING btree (id)
CREATE UNIQUE INDEX settlement_matches_import_id_transaction_id_key ON public.settlement_matches USING btree (import_id, transaction_id)
CREATE UNIQUE INDEX settlement_matches_pkey ON public.settlement_matches USING btree (import_id, line)
CREATE UNIQUE INDEX settlement_rows_pkey ON public.settlement_rows USING btree (import_id, line)
CREATE INDEX sign_in_failures_last ON public.sign_in_failures USING btree (last_at)
CREATE UNIQUE INDEX sign_in_failures_pkey ON public.sign_in_failures USING btree (key)
CREATE UNIQUE INDEX till_closes_pkey ON public.till_closes USING btree (session_id)
CREATE INDEX till_sessions_event ON public.till_sessions USING btree (event_id, opened_at)
CREATE UNIQUE INDEX till_sessions_pkey ON public.till_sessions USING btree (id)
CREATE UNIQUE INDEX transaction_totals_pkey ON public.transaction_totals USING btree (event_id, device_id, staff, method, currency, kind, parent_kind, result)
CREATE INDEX transactions_created ON public.transactions USING btree (created_at, id)
CREATE INDEX transactions_customer ON public.transactions USING btree (customer_id) WHERE (customer_id IS NOT NULL)
CREATE INDEX transactions_device ON public.transactions USING btree (device_id, created_at)
CREATE INDEX transactions_event ON public.transactions USING btree (event_id, created_at)
CREATE INDEX transactions_external ON public.transactions USING btree (external_system, external_reference) WHERE (external_reference IS NOT NULL)
CREATE INDEX transactions_holds ON public.transactions USING btree (expires_at) WHERE ((kind = 'authorize'::text) AND (result = 'approved'::text) AND (voided = 0) AND (amount_minor > captured_minor))
CREATE INDEX transactions_order ON public.transactions USING btree (order_id)
CREATE INDEX transactions_parent ON public.transactions USING btree (parent_id) WHERE (parent_id IS NOT NULL)
CREATE UNIQUE INDEX transactions_pkey ON public.transactions USING btree (id)
CREATE INDEX transactions_reference_text ON public.transactions USING gin (lower(external_reference) gin_trgm_ops) WHERE (external_reference IS NOT NULL)
CREATE UNIQUE INDEX webhook_attempts_pkey ON public.webhook_attempts USING btree (delivery_id, n)
CREATE INDEX webhook_deliveries_due ON public.webhook_deliveries USING btree (next_at) WHERE (state = 'pending'::text)
CREATE INDEX webhook_deliveries_endpoint ON public.webhook_deliveries USING btree (endpoint_id, created_at)
CREATE UNIQUE INDEX webhook_deliveries_message_id_endpoint_id_key ON public.webhook_deliveries USING btree (message_id, endpoint_id)
CREATE UNIQUE INDEX webhook_deliveries_pkey ON public.webhook_deliveries USING btree (id)
CREATE UNIQUE INDEX webhook_endpoints_pkey ON public.webhook_endpoints USING btree (id)
CREATE UNIQUE INDEX webhook_messages_event_subject_key ON public.webhook_messages USING btree (event, subject)
CREATE UNIQUE INDEX webhook_messages_pkey ON public.webhook_messages USING btree (id)

-- functions
CREATE OR REPLACE FUNCTION public.audit_log_append_only()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$function$

CREATE OR REPLACE FUNCTION public.transaction_children_apply(parent text)
 RETURNS void
 LANGUAGE sql
AS $function$
    UPDATE transactions SET
        captured_minor = coalesce((SELECT sum(c.amount_minor) FROM transactions c WHERE c.parent_id = parent
            AND c.kind = 'capture' AND c.result IN ('approved', 'unknown')), 0),
        voided = CASE WHEN EXISTS (SELECT 1 FROM transactions v WHERE v.parent_id = parent
            AND v.kind = 'void' AND v.result = 'approved') THEN 1 ELSE 0 END
    WHERE id = parent;
$function$

CREATE OR REPLACE FUNCTION public.transaction_totals_add(k transaction_totals)
 RETURNS void
 LANGUAGE sql
AS $function$
    INSERT INTO transaction_totals VALUES (k.*)
    ON CONFLICT (event_id, device_id, staff, method, currency, kind, parent_kind, result)
    DO UPDATE SET tx_count = transaction_totals.tx_count + excluded.tx_count,
                  amount_minor = transaction_totals.amount_minor + excluded.amount_minor;
    DELETE FROM transaction_totals
    WHERE (event_id, device_id, staff, method, currency, kind, parent_kind, result)
        = (k.event_id, k.device_id, k.staff, k.method, k.currency, k.kind, k.parent_kind, k.result)
      AND tx_count = 0;
$function$

CREATE OR REPLACE FUNCTION public.transaction_totals_of(t transactions, n bigint)
 RETURNS transaction_totals
 LANGUAGE sql
AS $function$
    SELECT coalesce(t.event_id, ''), t.device_id, t.staff, t.method, t.currency, t.kind,
           coalesce(t.parent_kind, ''), t.result, n, n * t.amount_minor;
$function$

CREATE OR REPLACE FUNCTION public.transactions_result_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM transaction_totals_add(transaction_totals_of(OLD, -1));
    PERFORM transaction_totals_add(transaction_totals_of(NEW, 1));
    IF NEW.parent_id IS NOT NULL AND NEW.kind IN ('capture', 'void') THEN
        PERFORM transaction_children_apply(NEW.parent_id);
    END IF;
    RETURN NULL;
END $function$

CREATE OR REPLACE FUNCTION public.transactions_stored()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM transaction_totals_add(ROW(
        coalesce(event_id, ''), device_id, staff, method, currency, kind, coalesce(parent_kind, ''), result,
        count(*), sum(amount_minor))::transaction_totals)
    FROM new_rows
    GROUP BY coalesce(event_id, ''), device_id, staff, method, currency, kind, coalesce(parent_kind, ''), result;
    PERFORM transaction_children_apply(p.id) FROM (
        SELECT parent_id AS id FROM new_rows WHERE parent_id IS NOT NULL AND kind IN ('capture', 'void')
        UNION
        SELECT n.id FROM new_rows n WHERE EXISTS (SELECT 1 FROM transactions c WHERE c.parent_id = n.id)
    ) p;
    RETURN NULL;
END $function$


-- triggers
CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
CREATE TRIGGER transactions_result_changed AFTER UPDATE OF result ON public.transactions FOR EACH ROW WHEN ((old.result IS DISTINCT FROM new.result)) EXECUTE FUNCTION transactions_result_changed()
CREATE TRIGGER transactions_stored AFTER INSERT ON public.transactions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION transactions_stored()
