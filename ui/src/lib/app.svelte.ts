// State shared by the screens: which screen is shown, the till's status, and the cart (so an
// offer picked on the Offers screen lands in the Sell screen's cart).

import type { TillStatus } from '../bindings/TillStatus';
import {
  addProduct,
  noDiscount,
  type CartLine,
  type CustomerInput,
  type DiscountInput,
} from './cart.svelte';
import type { OfferLine } from '../bindings/OfferLine';
import type { Product } from '../bindings/Product';
import { problemOf, type Problem } from './errors';
import { tillStatus } from './ipc';

/** The screens, with their function keys. */
export const SCREENS = [
  { id: 'sell', label: 'Sell', key: 'F1' },
  { id: 'transactions', label: 'Transactions', key: 'F2' },
  { id: 'offers', label: 'Products & offers', key: 'F3' },
  { id: 'till', label: 'Event & till', key: 'F4' },
  { id: 'manager', label: 'Manager', key: 'F5' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];

class AppState {
  screen = $state<ScreenId>('sell');
  status = $state<TillStatus | null>(null);
  statusError = $state<string | null>(null);
  /** A problem that affects the whole till (disk full, an update needed), until dismissed. */
  alert = $state<Problem | null>(null);

  lines = $state<CartLine[]>([]);
  orderDiscount = $state<DiscountInput>(noDiscount());
  customer = $state<CustomerInput>({ name: '', email: '', phone: '' });
  note = $state('');
  /** Who referred the customer (for their commission). */
  referrer = $state('');

  /** Re-reads the till's status (event, staff, open session, counts). */
  async refresh() {
    try {
      this.status = await tillStatus();
      this.statusError = null;
    } catch (e) {
      this.statusError = messageOf(e);
    }
  }

  add(p: Product | OfferLine, quantity = 1) {
    this.lines = addProduct(this.lines, p, quantity);
  }

  /** Adds a line as it is (a typed amount: never merged with another). */
  addLine(line: CartLine) {
    this.lines = [...this.lines, line];
  }

  clearCart() {
    this.lines = [];
    this.orderDiscount = noDiscount();
    this.customer = { name: '', email: '', phone: '' };
    this.note = '';
    this.referrer = '';
  }
}

export const app = new AppState();

/** The words to show for an error from a command (or anything thrown); a problem that
 * affects the whole till is also raised in the header. */
export function messageOf(e: unknown): string {
  const problem = problemOf(e);
  if (problem.alert) app.alert = problem;
  return problem.text;
}
