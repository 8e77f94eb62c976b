// Typed calls to the Rust commands. Every argument and result type is generated from the Rust
// types (src/bindings, by ts-rs); errors arrive as { code, message } and are rethrown as
// IpcError so screens can show the message as it is.
import { invoke } from '@tauri-apps/api/core';
import { problemOf } from './errors';
import type { GridTab } from '../bindings/GridTab';
import type { ProductInput } from '../bindings/ProductInput';
import type { ApiError } from '../bindings/ApiError';
import type { CardForm } from '../bindings/CardForm';
import type { Cart } from '../bindings/Cart';
import type { CloseOut } from '../bindings/CloseOut';
import type { ColumnMapping } from '../bindings/ColumnMapping';
import type { Conflict } from '../bindings/Conflict';
import type { Customer } from '../bindings/Customer';
import type { CustomerMatch } from '../bindings/CustomerMatch';
import type { CustomerRecord } from '../bindings/CustomerRecord';
import type { CustomerView } from '../bindings/CustomerView';
import type { Device } from '../bindings/Device';
import type { Event } from '../bindings/Event';
import type { EventSummary } from '../bindings/EventSummary';
import type { FollowUp } from '../bindings/FollowUp';
import type { Notification } from '../bindings/Notification';
import type { ReceiptEmailView } from '../bindings/ReceiptEmailView';
import type { PrinterSettings } from '../bindings/PrinterSettings';
import type { Printed } from '../bindings/Printed';
import type { Money } from '../bindings/Money';
import type { NewWebhookEndpoint } from '../bindings/NewWebhookEndpoint';
import type { WebhookDelivery } from '../bindings/WebhookDelivery';
import type { Automation } from '../bindings/Automation';
import type { CommissionPeriod } from '../bindings/CommissionPeriod';
import type { CommissionRule } from '../bindings/CommissionRule';
import type { CommissionRun } from '../bindings/CommissionRun';
import type { NewCommissionRule } from '../bindings/NewCommissionRule';
import type { NewAutomation } from '../bindings/NewAutomation';
import type { WebhookEndpoint } from '../bindings/WebhookEndpoint';
import type { WebhookEndpointChange } from '../bindings/WebhookEndpointChange';
import type { WebhookSecret } from '../bindings/WebhookSecret';
import type { HourlySales } from '../bindings/HourlySales';
import type { ManagerOrder } from '../bindings/ManagerOrder';
import type { ManagerView } from '../bindings/ManagerView';
import type { NewEvent } from '../bindings/NewEvent';
import type { Offer } from '../bindings/Offer';
import type { OrderDetail } from '../bindings/OrderDetail';
import type { OrderTotals } from '../bindings/OrderTotals';
import type { OrderView } from '../bindings/OrderView';
import type { Page } from '../bindings/Page';
import type { PaymentProgress } from '../bindings/PaymentProgress';
import type { Payout } from '../bindings/Payout';
import type { Product } from '../bindings/Product';
import type { Receipt } from '../bindings/Receipt';
import type { RefundInput } from '../bindings/RefundInput';
import type { SavedOffer } from '../bindings/SavedOffer';
import type { ScheduledCharge } from '../bindings/ScheduledCharge';
import type { SettlementImport } from '../bindings/SettlementImport';
import type { SettlementReport } from '../bindings/SettlementReport';
import type { Summary } from '../bindings/Summary';
import type { SyncView } from '../bindings/SyncView';
import type { TenderInput } from '../bindings/TenderInput';
import type { TillSession } from '../bindings/TillSession';
import type { TillStatus } from '../bindings/TillStatus';
import type { TxFilter } from '../bindings/TxFilter';
import type { TxResult } from '../bindings/TxResult';

/** A command's refusal or failure: its code (what the screen does about it, see
 * errors.ts) and its words for the booth. */
export class IpcError extends Error implements ApiError {
  readonly code: ApiError['code'];
  constructor(error: ApiError) {
    super(error.message);
    this.code = error.code;
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    const { code } = problemOf(e);
    const message =
      typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
    throw new IpcError({ code, message });
  }
}

export const tillStatus = () => call<TillStatus>('till_status');
export const syncState = () => call<SyncView>('sync_state');
export const enrollDevice = (serverUrl: string, code: string) =>
  call<SyncView>('enroll_device', { serverUrl, code });
export const syncNow = () => call<SyncView>('sync_now');
export const disconnectServer = () => call<SyncView>('disconnect_server');


// Event & till
export const listEvents = () => call<Event[]>('list_events');
export const createEvent = (event: NewEvent) => call<Event>('create_event', { event });
export const setTill = (eventId: string | null, staff: string) =>
  call<null>('set_till', { eventId, staff });
export const openTill = (float: string) => call<TillSession>('open_till', { float });
export const closeTill = (counted: string, note: string) =>
  call<TillSession>('close_till', { counted, note });
export const tillSessions = () => call<TillSession[]>('till_sessions');

// Catalog
export const searchProducts = (text: string) => call<Product[]>('search_products', { text });
export const productByCode = (code: string) => call<Product | null>('product_by_code', { code });
export const favourites = () => call<Product[]>('favourites');
export const setFavourite = (sku: string, favourite: boolean) =>
  call<null>('set_favourite', { sku, favourite });
export const importProducts = (path: string) => call<number>('import_products', { path });

// Sell
export const cartTotals = (cart: Cart) => call<OrderTotals | null>('cart_totals', { cart });
/** Records the sale; with `part`, only that much is paid now (the first part of a split). */
export const charge = (cart: Cart, tender: TenderInput, part: string | null = null) =>
  call<Receipt>('charge', { cart, tender, part });
/** Pays the next part of a split (`part`, or all that is still due) on a recorded order. */
export const payPart = (orderId: string, tender: TenderInput, part: string | null = null) =>
  call<Receipt>('pay_part', { orderId, tender, part });
export const receipt = (orderId: string) => call<OrderView>('receipt', { orderId });

// Customers and cards on file
export const findCustomers = (text: string) => call<CustomerView[]>('find_customers', { text });
export const saveCustomer = (id: string | null, details: Customer) =>
  call<CustomerView>('save_customer', { id, details });
export const customer = (id: string) => call<CustomerView>('customer', { id });
export const beginCardSetup = (customer: string) => call<CardForm>('begin_card_setup', { customer });
export const finishCardSetup = (setupId: string) => call<CustomerView>('finish_card_setup', { setupId });
export const paymentResult = (transactionId: string) =>
  call<PaymentProgress>('payment_result', { transactionId });

// Orders
export const orderDetail = (orderId: string) => call<OrderDetail>('order_detail', { orderId });
export const capture = (txId: string, amountText: string) =>
  call<OrderDetail>('capture', { txId, amountText });
export const voidTransaction = (txId: string, why: string) =>
  call<OrderDetail>('void_transaction', { txId, why });
export const refund = (txId: string, refund: RefundInput, why: string) =>
  call<OrderDetail>('refund', { txId, refund, why });
export const markPaid = (orderId: string, note: string) =>
  call<OrderDetail>('mark_paid', { orderId, note });
export const writeOff = (orderId: string, why: string) =>
  call<OrderDetail>('write_off', { orderId, why });
export const replaceSale = (txId: string, system: string, reference: string) =>
  call<OrderDetail>('replace_sale', { txId, system, reference });
export const resolveResult = (txId: string, result: TxResult, note: string) =>
  call<OrderDetail>('resolve_result', { txId, result, note });

// Transactions
export const listTransactions = (filter: TxFilter, after: string | null) =>
  call<Page>('list_transactions', { filter, after });
export const transactionsSummary = (filter: TxFilter) =>
  call<Summary>('transactions_summary', { filter });
/** Saves the filtered list as CSV: for a spreadsheet (a UTF-8 byte-order mark), or `plain` for scripts. */
export const exportTransactions = (filter: TxFilter, path: string, plain: boolean) =>
  call<number>('export_transactions', { filter, path, plain });

// Offers
export const listOffers = (includeRetired: boolean) =>
  call<SavedOffer[]>('list_offers', { includeRetired });
export const saveOffer = (name: string, cart: Cart) => call<Offer>('save_offer', { name, cart });
export const retireOffer = (offerId: string) => call<null>('retire_offer', { offerId });

// Manager workspace (reads the server; every call needs a connection and a manager sign-in)

export const managerSignIn = (serverUrl: string, name: string, password: string) =>
  call<ManagerView>('manager_sign_in', { serverUrl, name, password });
export const managerResume = (serverUrl: string, name: string) =>
  call<ManagerView | null>('manager_resume', { serverUrl, name });
export const managerSession = () => call<ManagerView | null>('manager_session');
/** Signs out; `false` when the server could not be told (its sign-in then lasts until it expires). */
export const managerSignOut = () => call<boolean>('manager_sign_out');
export const managerDevices = () => call<Device[]>('manager_devices');
export const managerEvents = () => call<EventSummary[]>('manager_events');
export const managerTransactions = (filter: TxFilter, deviceId: string | null, after: string | null) =>
  call<Page>('manager_transactions', { filter, deviceId, after });
export const managerSummary = (filter: TxFilter, deviceId: string | null) =>
  call<Summary>('manager_summary', { filter, deviceId });
export const managerExportTransactions = (filter: TxFilter, deviceId: string | null, path: string, plain: boolean) =>
  call<number>('manager_export_transactions', { filter, deviceId, path, plain });
export const managerOrder = (orderId: string) => call<ManagerOrder>('manager_order', { orderId });
export const managerCloseOut = (eventId: string, deviceId: string | null, staff: string | null) =>
  call<CloseOut>('manager_close_out', { eventId, deviceId, staff });
export const managerExportCloseOut = (
  eventId: string,
  deviceId: string | null,
  staff: string | null,
  part: 'figures' | 'sessions' | 'authorizations',
  path: string,
) => call<number>('manager_export_close_out', { eventId, deviceId, staff, part, path });
export const managerSalesByHour = (eventId: string) =>
  call<HourlySales[]>('manager_sales_by_hour', { eventId });
export const managerConflicts = (includeResolved: boolean) =>
  call<Conflict[]>('manager_conflicts', { includeResolved });
export const managerResolveConflict = (conflictId: string, note: string, voidTransaction: string | null) =>
  call<Conflict>('manager_resolve_conflict', { conflictId, note, voidTransaction });
export const managerCustomers = (text: string) => call<CustomerMatch[]>('manager_customers', { text });
export const managerCustomer = (customerId: string) => call<CustomerRecord>('manager_customer', { customerId });
export const managerFollowUps = (all: boolean) => call<FollowUp[]>('manager_follow_ups', { all });
export const managerEndFollowUp = (followUpId: string) => call<FollowUp>('manager_end_follow_up', { followUpId });
export const emailReceipt = (orderId: string, email: string) =>
  call<ReceiptEmailView>('email_receipt', { orderId, email });
export const printerSettings = () => call<PrinterSettings>('printer_settings');
export const savePrinterSettings = (settings: PrinterSettings) =>
  call<PrinterSettings>('save_printer_settings', { settings });
export const printReceipt = (orderId: string, tendered: Money | null, change: Money | null) =>
  call<Printed>('print_receipt', { orderId, tendered, change });
export const receiptEmails = (orderId: string) => call<ReceiptEmailView[]>('receipt_emails', { orderId });
export const managerEmailReceipt = (orderId: string, email: string | null) =>
  call<Notification>('manager_email_receipt', { orderId, email });
export const managerCommissionRules = () => call<CommissionRule[]>('manager_commission_rules');
export const managerAddCommissionRule = (rule: NewCommissionRule) =>
  call<CommissionRule>('manager_add_commission_rule', { rule });
export const managerRetireCommissionRule = (ruleId: string) =>
  call<CommissionRule>('manager_retire_commission_rule', { ruleId });
export const managerRunCommissions = (period: CommissionPeriod) =>
  call<CommissionRun>('manager_run_commissions', { period });
export const managerExportCommissions = (runId: string, path: string) =>
  call<number>('manager_export_commissions', { runId, path });
export const managerAutomations = () => call<Automation[]>('manager_automations');
export const managerAddAutomation = (automation: NewAutomation) =>
  call<Automation>('manager_add_automation', { automation });
export const managerChangeAutomation = (automationId: string, enabled: boolean) =>
  call<Automation>('manager_change_automation', { automationId, enabled });
export const managerWebhooks = () => call<WebhookEndpoint[]>('manager_webhooks');
export const managerAddWebhook = (endpoint: NewWebhookEndpoint) =>
  call<WebhookSecret>('manager_add_webhook', { endpoint });
export const managerChangeWebhook = (endpointId: string, change: WebhookEndpointChange) =>
  call<WebhookEndpoint>('manager_change_webhook', { endpointId, change });
export const managerRotateWebhookSecret = (endpointId: string) =>
  call<WebhookSecret>('manager_rotate_webhook_secret', { endpointId });
export const managerWebhookDeliveries = (endpointId: string) =>
  call<WebhookDelivery[]>('manager_webhook_deliveries', { endpointId });
export const managerResendWebhook = (deliveryId: string) =>
  call<WebhookDelivery>('manager_resend_webhook', { deliveryId });
export const managerScheduledCharges = (all: boolean) =>
  call<ScheduledCharge[]>('manager_scheduled_charges', { all });
export const managerScheduleCharge = (orderId: string, customerId: string, chargeAt: string) =>
  call<ScheduledCharge>('manager_schedule_charge', { orderId, customerId, chargeAt });
export const managerReschedule = (scheduleId: string, chargeAt: string) =>
  call<ScheduledCharge>('manager_reschedule', { scheduleId, chargeAt });
export const managerCancelScheduled = (scheduleId: string) =>
  call<ScheduledCharge>('manager_cancel_scheduled', { scheduleId });
export const managerImportSettlement = (
  path: string,
  format: string | null,
  currency: string | null,
  windowHours: number | null,
  eventId: string | null,
) => call<SettlementReport>('manager_import_settlement', { path, format, currency, windowHours, eventId });
export const managerFetchSettlement = (windowHours: number | null, eventId: string | null) =>
  call<SettlementReport>('manager_fetch_settlement', { windowHours, eventId });
export const managerPayouts = () => call<Payout[]>('manager_payouts');
export const managerSettlements = () => call<SettlementImport[]>('manager_settlements');
export const managerSettlement = (importId: string) =>
  call<SettlementReport>('manager_settlement', { importId });
export const managerDecide = (
  importId: string,
  line: number,
  action: 'confirm' | 'reject' | 'link',
  transactionId: string | null,
) => call<SettlementReport>('manager_decide', { importId, line, action, transactionId });
export const managerFormats = () => call<ColumnMapping[]>('manager_formats');
export const managerSaveFormat = (mapping: ColumnMapping) =>
  call<ColumnMapping>('manager_save_format', { mapping });

/** Every product for the catalog screen (retired too), by name; those matching `text`. */
export const catalogProducts = (text: string) => call<Product[]>('catalog_products', { text });
/** Adds or changes a product; it syncs at its next version. */
export const saveProduct = (product: ProductInput) => call<Product>('save_product', { product });
/** Retires a product (hidden from selling) or brings it back. */
export const retireProduct = (sku: string, retired: boolean) => call<Product>('retire_product', { sku, retired });
/** The Sell grid's tabs: each category's products still sold. */
export const sellGrid = () => call<GridTab[]>('sell_grid', {});
/** Writes the sample product list (in the event's currency) to a new file; where it is. */
export const writeSampleProducts = (path: string) => call<string>('write_sample_products', { path });
/** Imports the sample product list as it is; how many products. */
export const importSampleProducts = () => call<number>('import_sample_products', {});
