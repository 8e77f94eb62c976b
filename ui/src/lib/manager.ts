// Words for what the manager endpoints answer.

import type { ConflictKind } from '../bindings/ConflictKind';
import { SERVER_DEVICE } from '../bindings/constants';
import type { EventSummary } from '../bindings/EventSummary';
import type { MatchState } from '../bindings/MatchState';
import type { Record as WireRecord } from '../bindings/Record';
import { formatMoney, formatWhen } from './format';
import { describeMethod, KIND_LABELS, RESULT_LABELS } from './labels';

/** An event by its name, or (made on a till, so the server knows only its id) by its dates. */
export function eventLabel(e: EventSummary): string {
  if (e.name) return e.name;
  const first = new Date(e.first_at).toLocaleDateString();
  const last = new Date(e.last_at).toLocaleDateString();
  const days = first === last ? first : `${first} – ${last}`;
  return `Event of ${days} (${e.id.slice(0, 8)})`;
}

/** The id of transactions a manager recorded on the server (a correction). */
export { SERVER_DEVICE };

/** A till's name when the list of tills does not have it. */
export function deviceLabel(id: string): string {
  return id === SERVER_DEVICE ? 'Manager' : id.slice(0, 8);
}

export const MATCH_LABELS: Record<MatchState, string> = {
  matched: 'Matched',
  amount_mismatch: 'Amount differs',
  suggested: 'Suggested',
  confirmed: 'Confirmed',
  linked: 'Linked by hand',
};

export const CONFLICT_LABELS: Record<ConflictKind, string> = {
  over_refund: 'Refunded more than was paid',
  over_capture: 'Captured more than was authorized',
  duplicate_reference: 'One external payment logged twice',
  offer_name_taken: 'Two offers with one name',
};

/** One side of a conflict in a line: what, how much, who, when. */
export function describeRecord(r: WireRecord, deviceName: (id: string) => string): string {
  switch (r.type) {
    case 'transaction': {
      const t = r.transaction;
      return [
        KIND_LABELS[t.kind],
        formatMoney(t.amount.amount, t.amount.currency),
        describeMethod(t.method),
        RESULT_LABELS[t.history[t.history.length - 1]?.result ?? 'unknown'],
        `${t.context.staff} on ${deviceName(t.context.device_id)}`,
        formatWhen(t.created_at),
      ].join(' · ');
    }
    case 'offer':
      return `Offer "${r.offer.name}" saved ${formatWhen(r.offer.created_at)}`;
    case 'order':
      return `Order ${r.order.receipt} by ${r.order.context.staff} on ${deviceName(r.order.context.device_id)}`;
    default:
      return r.type.replace('_', ' ');
  }
}
