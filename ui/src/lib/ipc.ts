// Typed calls to the Rust commands. Every argument and result type is generated from the Rust
// types (src/bindings, by ts-rs); errors arrive as { code, message } and are rethrown as
// IpcError so screens can show the message as it is.
import { invoke } from '@tauri-apps/api/core';
import type { ApiError } from '../bindings/ApiError';
import type { SyncView } from '../bindings/SyncView';
import type { TillStatus } from '../bindings/TillStatus';

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
