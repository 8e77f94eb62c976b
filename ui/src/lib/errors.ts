// What the UI does with each error code a command can answer (src-tauri/error.rs). The table
// is a Record over the generated ErrorCode type, so a code added in Rust fails the type check
// until it is handled here.
import type { ApiError } from '../bindings/ApiError';
import type { ErrorCode } from '../bindings/ErrorCode';

/** How a code is shown and acted on. */
export interface Handling {
  /** Put before the message when the message alone would not say what kind of problem it is. */
  title: string | null;
  /** Shown in the header until dismissed: the whole till is affected, not just this action. */
  alert: boolean;
  /** Nothing changed and the same request may work soon: polling screens wait quietly. */
  transient: boolean;
}

export const HANDLING: Record<ErrorCode, Handling> = {
  invalid: { title: null, alert: false, transient: false },
  refused: { title: null, alert: false, transient: false },
  not_found: { title: null, alert: false, transient: false },
  conflict: { title: 'Changed elsewhere', alert: false, transient: false },
  busy: { title: null, alert: false, transient: true },
  disk_full: { title: 'Disk full', alert: true, transient: false },
  storage: { title: 'Storage problem', alert: true, transient: false },
  offline: { title: 'Offline', alert: false, transient: true },
  sign_in: { title: null, alert: false, transient: false },
  not_allowed: { title: 'Not allowed', alert: false, transient: false },
  update_app: { title: 'Update Fairtill', alert: true, transient: false },
  update_server: { title: 'The server needs an update', alert: true, transient: false },
  printer: { title: null, alert: false, transient: false },
};

/** A failure as a screen shows it. */
export interface Problem extends Handling {
  code: ErrorCode;
  /** The words to show: the title (if any) and the message. */
  text: string;
}

function isApiError(e: unknown): e is ApiError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as ApiError).code === 'string' &&
    (e as ApiError).code in HANDLING &&
    typeof (e as ApiError).message === 'string'
  );
}

/** The problem an error from a command (or anything thrown) stands for. */
export function problemOf(e: unknown): Problem {
  const error: ApiError = isApiError(e)
    ? e
    : { code: 'storage', message: e instanceof Error ? e.message : String(e) };
  const handling = HANDLING[error.code];
  const text = handling.title ? `${handling.title}: ${error.message}` : error.message;
  return { ...handling, code: error.code, text };
}
