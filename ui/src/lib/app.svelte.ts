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

/** How the screen is laid out: for a touchscreen, for keyboard and mouse, or chosen by the
 * pointer this computer has (a touchscreen's is coarse). */
export type Layout = 'auto' | 'touch' | 'desk';
const LAYOUT_KEY = 'fairtill.layout';

function savedLayout(): Layout {
  const saved = globalThis.localStorage?.getItem(LAYOUT_KEY);
  return saved === 'touch' || saved === 'desk' ? saved : 'auto';
}

const coarse = globalThis.matchMedia?.('(pointer: coarse)');

class AppState {
  screen = $state<ScreenId>('sell');
  /** The layout chosen on this computer (Event & till). */
  layout = $state<Layout>(savedLayout());
  /** Whether the pointer is coarse now (a touchscreen), for the automatic layout. */
  coarsePointer = $state(coarse?.matches ?? false);
  /** True when the touch layout is on: large targets, the grid first, a keypad for amounts. */
  touch = $derived(this.layout === 'touch' || (this.layout === 'auto' && this.coarsePointer));
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

  /** Chooses the layout on this computer (kept across restarts). */
  setLayout(layout: Layout) {
    this.layout = layout;
    globalThis.localStorage?.setItem(LAYOUT_KEY, layout);
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
coarse?.addEventListener('change', (e) => (app.coarsePointer = e.matches));

/** The words to show for an error from a command (or anything thrown); a problem that
 * affects the whole till is also raised in the header. */
export function messageOf(e: unknown): string {
  const problem = problemOf(e);
  if (problem.alert) app.alert = problem;
  return problem.text;
}
