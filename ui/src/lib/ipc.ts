// Typed calls to the Rust commands. Every argument and result type is generated from the Rust
// types (src/bindings, by ts-rs); errors arrive as { code, message } and are rethrown as
// IpcError so screens can show the message as it is.
import { invoke } from '@tauri-apps/api/core';
import type { ApiError } from '../bindings/ApiError';
import type { Cart } from '../bindings/Cart';
import type { Event } from '../bindings/Event';
import type { NewEvent } from '../bindings/NewEvent';
import type { Offer } from '../bindings/Offer';
import type { OrderDetail } from '../bindings/OrderDetail';
import type { OrderTotals } from '../bindings/OrderTotals';
import type { OrderView } from '../bindings/OrderView';
import type { Page } from '../bindings/Page';
import type { Product } from '../bindings/Product';
import type { Receipt } from '../bindings/Receipt';
import type { RefundInput } from '../bindings/RefundInput';
import type { SavedOffer } from '../bindings/SavedOffer';
import type { Summary } from '../bindings/Summary';
import type { SyncView } from '../bindings/SyncView';
import type { TenderInput } from '../bindings/TenderInput';
import type { TillSession } from '../bindings/TillSession';
import type { TillStatus } from '../bindings/TillStatus';
import type { TxFilter } from '../bindings/TxFilter';
import type { TxResult } from '../bindings/TxResult';

/** A command's refusal or failure, in words for the booth. */
export class IpcError extends Error {
  readonly code: ApiError['code'];
  constructor(error: ApiError) {
    super(error.message);
    this.code = error.code;
  }
}

function isApiError(e: unknown): e is ApiError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (isApiError(e)) throw new IpcError(e);
    throw new IpcError({ code: 'storage', message: String(e) });
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
export const charge = (cart: Cart, tender: TenderInput) => call<Receipt>('charge', { cart, tender });
export const receipt = (orderId: string) => call<OrderView>('receipt', { orderId });

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
export const exportTransactions = (filter: TxFilter, path: string) =>
  call<number>('export_transactions', { filter, path });

// Offers
export const listOffers = (includeRetired: boolean) =>
  call<SavedOffer[]>('list_offers', { includeRetired });
export const saveOffer = (name: string, cart: Cart) => call<Offer>('save_offer', { name, cart });
export const retireOffer = (offerId: string) => call<null>('retire_offer', { offerId });
