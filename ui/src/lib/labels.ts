// Words for the ledger's codes, for people.

import type { DeliveryState } from '../bindings/DeliveryState';
import type { OrderStatus } from '../bindings/OrderStatus';
import type { PaymentMethod } from '../bindings/PaymentMethod';
import type { TxKind } from '../bindings/TxKind';
import type { TxResult } from '../bindings/TxResult';
import type { WebhookEvent } from '../bindings/WebhookEvent';

/** "Card ••4242", "Shopify #1001", "Cash". */
export function describeMethod(m: PaymentMethod): string {
  switch (m.type) {
    case 'cash':
      return 'Cash';
    case 'card':
      return m.last4 ? `Card ••${m.last4}` : 'Card';
    case 'external':
      return `${m.system} ${m.reference}`;
    case 'marked_paid':
      return `Marked paid (${m.note})`;
    case 'card_on_file':
      return `Card on file ${cardName(m.brand)} ••${m.last4}`;
  }
}

/** A card brand as people write it: `visa` → `Visa`, `amex` → `American Express`. */
export function cardName(brand: string): string {
  const known: Record<string, string> = {
    visa: 'Visa',
    mastercard: 'Mastercard',
    amex: 'American Express',
    discover: 'Discover',
    diners: 'Diners Club',
    jcb: 'JCB',
    unionpay: 'UnionPay',
  };
  return known[brand.toLowerCase()] ?? brand;
}

export const METHOD_LABELS: Record<string, string> = {
  cash: 'Cash',
  card: 'Card',
  card_on_file: 'Card on file',
  external: 'Paid elsewhere',
  marked_paid: 'Marked paid',
};

export const KIND_LABELS: Record<TxKind, string> = {
  authorize: 'Authorization',
  capture: 'Capture',
  sale: 'Sale',
  void: 'Void',
  refund: 'Refund',
  credit: 'Credit',
};

export const RESULT_LABELS: Record<TxResult, string> = {
  approved: 'Approved',
  declined: 'Declined',
  abandoned: 'Abandoned',
  canceled: 'Canceled',
  unknown: 'Result unknown',
};

export const STATUS_LABELS: Record<OrderStatus, string> = {
  open: 'Open',
  payment_pending: 'Payment pending',
  authorized: 'Authorized',
  partly_captured: 'Partly captured',
  partly_paid: 'Partly paid',
  paid: 'Paid',
  partly_refunded: 'Partly refunded',
  refunded: 'Refunded',
  voided: 'Voided',
  expired: 'Expired',
  written_off: 'Written off',
};

/** What each webhook event is, for the manager choosing which an endpoint receives. */
export const WEBHOOK_EVENT_LABELS: Record<WebhookEvent, string> = {
  'sale.recorded': 'Sale recorded',
  'payment.approved': 'Payment approved',
  'payment.declined': 'Payment declined',
  'refund.completed': 'Refund completed',
  'order.written_off': 'Order written off',
  'conflict.raised': 'Conflict raised',
  'follow_up.started': 'Declined-payment follow-up started',
  'follow_up.ended': 'Declined-payment follow-up ended',
  'automation.ran': 'An automation ran for an order',
};

/** Where a webhook delivery stands. */
export const DELIVERY_STATE_LABELS: Record<DeliveryState, string> = {
  pending: 'Waiting',
  delivered: 'Delivered',
  failed: 'Failed',
  stopped: 'Stopped (endpoint off)',
};
