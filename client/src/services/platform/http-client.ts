// The storage server's HTTP API as the client sees it: JSON in and out, bearer token, error
// envelopes mapped to typed errors (errors.ts), and every answer bounded and validated before
// use, because the server is treated as hostile (R17: no body is read past the size its route
// allows, and nothing it sends is used before its shape is checked, the figures of a quota
// refusal included).
import type { Static, TSchema } from 'typebox';
import { MAX_CHUNK_CIPHER_SIZE } from '@coffre/core/format';
import { check, ErrorBody, ErrorDetails, matches } from '@coffre/core/protocol';
import { largestAnswer } from './answer-size';
import { ApiError, apiError, BadAnswerError, NetworkError, type ApiFailure } from './errors';

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

interface JsonOptions extends RequestOptions {
  /** The most bytes of answer read; by default the largest answer `schema` admits. */
  maxBytes?: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

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

  /**
   * A JSON request whose answer must match `schema`, read no further than `maxBytes`. Paths come
   * from core/protocol's apiPath.
   */
  async json<T extends TSchema>(
    method: string,
    path: string,
    schema: T,
    options: JsonOptions = {},
  ): Promise<Static<T>> {
    const maxBytes = options.maxBytes ?? largestAnswer(schema);
    const response = await this.send(method, path, jsonInit(options));
    const body = await readBody(response, maxBytes, options.signal);
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(body));
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
    const body = await readBody(response, maxBytes, signal);
    return body.byteLength === body.buffer.byteLength
      ? (body.buffer as ArrayBuffer)
      : (body.slice().buffer as ArrayBuffer);
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

/** A body read to its end, or the failure to read it: a network cut is told from a refusal. */
async function readBody(
  response: Response,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  try {
    return await readAtMost(response, maxBytes);
  } catch (error) {
    if (error instanceof ApiError || signal?.aborted) throw error;
    throw new NetworkError();
  }
}

/**
 * Reads a body of at most `maxBytes` (R17: never trust a length from the server). A declared
 * length over the cap is refused before a byte is read, and the read stops at the first part that
 * passes the cap or the declared length, so memory follows what arrived, not what was promised.
 * A declared length of at most one chunk is allocated at once, so a chunk lands in its own buffer
 * with no copy; other bodies are joined from their parts at the end.
 */
export async function readAtMost(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = declaredLength(response.headers);
  const limit = Math.min(maxBytes, declared ?? maxBytes);
  const reader = response.body?.getReader();
  const refuse = async (reason: 'too-large' | 'malformed') => {
    await reader?.cancel().catch(() => undefined);
    return new BadAnswerError(response.status, reason);
  };
  if (declared !== null && declared > maxBytes) throw await refuse('too-large');
  const whole =
    declared !== null && declared <= MAX_CHUNK_CIPHER_SIZE ? new Uint8Array(declared) : null;
  const parts: Uint8Array[] = [];
  let length = 0;
  for (let part = await reader?.read(); part && !part.done; part = await reader?.read()) {
    if (length + part.value.byteLength > limit) throw await refuse('too-large');
    if (whole) whole.set(part.value, length);
    else parts.push(part.value);
    length += part.value.byteLength;
  }
  if (declared !== null && length !== declared) throw await refuse('malformed');
  return whole ?? joined(parts, length);
}

/**
 * The Content-Length of the bytes the body stream yields, or null: none was sent, or the body is
 * content-encoded and the length counts the encoded bytes.
 */
function declaredLength(headers: Headers): number | null {
  const text = headers.get('Content-Length');
  const encoding = headers.get('Content-Encoding');
  if (text === null || (encoding !== null && encoding !== 'identity')) return null;
  return /^[0-9]{1,16}$/.test(text.trim()) ? Number(text.trim()) : null;
}

function joined(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
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
    envelope = JSON.parse(decoder.decode(await readAtMost(response, largestAnswer(ErrorBody))));
  } catch {
    // Not JSON (a proxy page, an empty body) or longer than any envelope: the status alone.
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
