// The storage server's HTTP API as the client sees it: JSON in and out, bearer token, error
// envelopes mapped to typed errors (errors.ts), and every JSON answer validated before use,
// because the server is treated as hostile (R17: nothing it sends is used before its shape is
// checked, the figures of a quota refusal included).
import type { Static, TSchema } from 'typebox';
import { check, ErrorDetails, matches } from '@coffre/core/protocol';
import { ApiError, apiError, BadAnswerError, NetworkError, type ApiFailure } from './errors';

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

export class Api {
  private token: string | null = null;
  /** Called when the server refuses our token: the session ended elsewhere or expired. */
  onUnauthorized: (() => void) | null = null;

  setToken(token: string | null): void {
    this.token = token;
  }

  hasToken(): boolean {
    return this.token !== null;
  }

  /** A JSON request whose answer must match `schema`. Paths come from core/protocol's apiPath. */
  async json<T extends TSchema>(
    method: string,
    path: string,
    schema: T,
    options: RequestOptions = {},
  ): Promise<Static<T>> {
    const response = await this.send(method, path, jsonInit(options));
    let value: unknown;
    try {
      value = await response.json();
    } catch {
      throw malformed(response.status);
    }
    try {
      return check(schema, value);
    } catch {
      throw malformed(response.status);
    }
  }

  /** A request answered with 204 (or any body we ignore). */
  async empty(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.send(method, path, jsonInit(options));
    await response.body?.cancel();
  }

  /** Sends a raw body (chunk uploads). */
  async upload(
    path: string,
    body: Blob,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await this.send('PUT', path, {
      body,
      headers: { 'Content-Type': 'application/octet-stream', ...headers },
      signal,
    });
    await response.body?.cancel();
  }

  /**
   * Fetches raw bytes (chunk downloads), refusing more than `maxBytes` before buffering them.
   * `exchange` adds request headers and lets the caller read the answer's headers.
   */
  async bytes(
    path: string,
    maxBytes: number,
    signal?: AbortSignal,
    exchange: { headers?: Record<string, string>; onHeaders?: (headers: Headers) => void } = {},
  ): Promise<ArrayBuffer> {
    const response = await this.send('GET', path, { signal, headers: exchange.headers });
    exchange.onHeaders?.(response.headers);
    try {
      return await readAtMost(response, maxBytes);
    } catch (error) {
      if (error instanceof ApiError || signal?.aborted) throw error;
      throw new NetworkError();
    }
  }

  private async send(method: string, path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token !== null) headers.set('Authorization', `Bearer ${this.token}`);
    let response: Response;
    try {
      // No Referer: defence in depth for the link page, whose URL holds the link key in its
      // fragment (browsers leave fragments out of Referer, and the server says no-referrer too).
      response = await fetch(path, {
        ...init,
        method,
        headers,
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new NetworkError();
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (error.kind === 'session-refused' && this.token !== null && headers.has('Authorization')) {
        this.onUnauthorized?.();
      }
      throw error;
    }
    return response;
  }
}

/** Reads a body into a buffer of at most `maxBytes` (R17: never trust a length from the server). */
async function readAtMost(response: Response, maxBytes: number): Promise<ArrayBuffer> {
  const tooLarge = () => new BadAnswerError(response.status, 'too-large');
  const declared = Number(response.headers.get('Content-Length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const buffer = new Uint8Array(maxBytes);
  let length = 0;
  const reader = response.body?.getReader();
  for (let part = await reader?.read(); part && !part.done; part = await reader?.read()) {
    if (length + part.value.byteLength > maxBytes) {
      await reader?.cancel();
      throw tooLarge();
    }
    buffer.set(part.value, length);
    length += part.value.byteLength;
  }
  return length === maxBytes ? buffer.buffer : buffer.slice(0, length).buffer;
}

function jsonInit(options: RequestOptions): RequestInit {
  if (options.body === undefined) return { signal: options.signal };
  return {
    body: JSON.stringify(options.body),
    headers: { 'Content-Type': 'application/json' },
    signal: options.signal,
  };
}

async function errorFrom(response: Response): Promise<ApiFailure> {
  let envelope: unknown = null;
  try {
    envelope = await response.json();
  } catch {
    // Not JSON (a proxy page, an empty body): fall through to the status alone.
  }
  const error = (
    envelope as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null
  )?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const details = matches(ErrorDetails, error.details) ? error.details : null;
    return apiError(response.status, error.code, error.message.slice(0, 500), details);
  }
  return apiError(response.status, 'http_' + response.status, null);
}

function malformed(status: number): ApiError {
  return new BadAnswerError(status, 'malformed');
}
