import { ApiError, apiErrorFromResponse } from './problem';

/** One dispatched server-sent event, as the WHATWG EventSource would deliver it. */
export interface SseEvent {
  /** The last event ID in force when the event was dispatched ('' if none was ever set). */
  id: string;
  /** The `event:` field, or 'message' when absent. */
  event: string;
  data: string;
}

const LF = 10;
const CR = 13;

/**
 * Incremental `text/event-stream` parser following the WHATWG HTML "event stream interpretation"
 * rules. Feed it chunks split anywhere (mid-line, between CR and LF, inside a multi-byte UTF-8
 * character); it returns the events completed by each chunk. An event is only dispatched at a blank
 * line, so a trailing event the stream never terminated is never returned.
 *
 * Feed either bytes or strings to one parser, not both: bytes go through a streaming UTF-8 decoder.
 */
export class SseParser {
  /** The last event ID string (persists across events, as in EventSource). */
  lastEventId: string;
  /** The reconnection time the server asked for with `retry:`, in milliseconds. */
  retry: number | undefined;

  private readonly decoder = new TextDecoder('utf-8');
  private pendingLine = '';
  private previousChunkEndedWithCR = false;
  private atStreamStart = true;
  private dataBuffer = '';
  private eventTypeBuffer = '';
  private idBuffer: string;

  constructor(lastEventId = '') {
    this.lastEventId = lastEventId;
    this.idBuffer = lastEventId;
  }

  feed(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.push(text);
  }

  private push(input: string): SseEvent[] {
    if (input === '') return [];
    let text = input;
    if (this.atStreamStart) {
      // The decoder already drops a byte-order mark from bytes; strings may still carry one.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.atStreamStart = false;
    }
    const events: SseEvent[] = [];
    let start = 0;
    if (this.previousChunkEndedWithCR && text.charCodeAt(0) === LF) {
      start = 1; // the LF of a CRLF pair split across chunks: the line already ended at the CR
    }
    this.previousChunkEndedWithCR = false;

    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      const line = this.pendingLine + text.slice(start, i);
      this.pendingLine = '';
      this.processLine(line, events);
      if (c === CR) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === LF) i++;
        } else {
          this.previousChunkEndedWithCR = true;
        }
      }
      start = i + 1;
    }
    this.pendingLine += text.slice(start);
    return events;
  }

  private processLine(line: string, events: SseEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === 0x3a /* ':' */) return; // comment, e.g. ": keep-alive"

    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 0x20 /* ' ' */) value = value.slice(1);
    }

    switch (field) {
      case 'event':
        this.eventTypeBuffer = value;
        break;
      case 'data':
        this.dataBuffer += value + '\n';
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(events: SseEvent[]): void {
    this.lastEventId = this.idBuffer;
    if (this.dataBuffer === '') {
      this.eventTypeBuffer = '';
      return;
    }
    const data = this.dataBuffer.endsWith('\n') ? this.dataBuffer.slice(0, -1) : this.dataBuffer;
    events.push({ id: this.lastEventId, event: this.eventTypeBuffer || 'message', data });
    this.dataBuffer = '';
    this.eventTypeBuffer = '';
  }
}

// ---------------------------------------------------------------------------------------------
// streamEvents: fetch-based EventSource with Authorization headers and Last-Event-ID resumption.
// (EventSource itself cannot send an Authorization header.)

export interface StreamRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export type StreamState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'reconnecting'; attempt: number; delayMs: number; error: unknown };

export interface StreamEventsOptions {
  /**
   * Builds the request of each connection attempt (called again on every reconnect, so a fresh
   * access token can be put in). Return null when reconnecting is impossible; the last error is
   * then thrown.
   */
  request: (ctx: { lastEventId: string | undefined; attempt: number }) => StreamRequest | null | Promise<StreamRequest | null>;
  onEvent: (event: SseEvent) => void;
  onStateChange?: (state: StreamState) => void;
  /** Resume after this id (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** The event after which the server closes the stream. Default: `done`. */
  isFinal?: (event: SseEvent) => boolean;
  signal?: AbortSignal;
  /** Consecutive failed attempts (without receiving an event) before giving up. Default 6. */
  maxAttempts?: number;
  /** First reconnect delay, unless the server sent `retry:`. Doubles per failure. Default 500 ms. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Reconnect when nothing at all (not even a `: keep-alive` comment) arrives for this long. 0 = off. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface StreamResult {
  outcome: 'done' | 'aborted';
  lastEventId: string | undefined;
}

/** Thrown when the stream cannot be resumed after `maxAttempts` tries; carries where to resume from. */
export class StreamGaveUpError extends Error {
  override name = 'StreamGaveUpError';
  readonly attempts: number;
  readonly lastEventId: string | undefined;

  constructor(attempts: number, lastEventId: string | undefined, cause: unknown) {
    super(`The connection to the server was lost (gave up after ${attempts} attempts).`, { cause });
    this.attempts = attempts;
    this.lastEventId = lastEventId;
  }
}

/** A failure that reconnecting cannot fix (4xx other than 408/429, wrong content type). */
class FatalStreamError extends Error {
  constructor(readonly error: unknown) {
    super('fatal stream error');
  }
}

class IdleTimeoutError extends Error {
  override name = 'IdleTimeoutError';
}

function numericId(id: string | undefined): number | undefined {
  return id !== undefined && /^\d+$/.test(id) ? Number(id) : undefined;
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Delay before reconnect attempt `failures` (1-based): exponential, capped, ±20 % jitter. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/**
 * Reads a run's event stream until its final event, reconnecting with `Last-Event-ID` after a drop
 * (network error, server error, idle timeout, stream closed early). Events whose numeric id is not
 * above the highest already delivered are dropped, so a server that replays too much never causes
 * duplicates. Resolves on the final event or on abort; throws the ApiError of a non-transient
 * failure, or StreamGaveUpError after `maxAttempts` consecutive failures.
 *
 * Assumes, as our API guarantees, that every event carries an `id:`.
 */
export async function streamEvents(options: StreamEventsOptions): Promise<StreamResult> {
  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const isFinal = options.isFinal ?? ((e: SseEvent) => e.event === 'done');
  const maxAttempts = options.maxAttempts ?? 6;
  const initialDelayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 15_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  const outer = options.signal;

  let lastEventId = options.lastEventId;
  let highestDelivered = numericId(lastEventId) ?? -1;
  let failures = 0;
  let attempt = 0;
  let retryHintMs: number | undefined;
  let lastError: unknown;

  while (true) {
    if (outer?.aborted) return { outcome: 'aborted', lastEventId };
    const req = await options.request({ lastEventId, attempt });
    if (!req) throw lastError ?? new Error('No stream request could be made.');
    attempt++;
    options.onStateChange?.({ kind: 'connecting', attempt });

    const controller = new AbortController();
    const onOuterAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const armIdleTimer = () => {
      if (idleTimeoutMs <= 0) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => controller.abort(new IdleTimeoutError('No data from the server.')), idleTimeoutMs);
    };

    let progressed = false;
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream', ...req.headers };
      if (lastEventId !== undefined && lastEventId !== '') headers['Last-Event-ID'] = lastEventId;
      if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
      const init: RequestInit = { method: req.method ?? 'GET', headers, cache: 'no-store', signal: controller.signal };
      if (req.body !== undefined) init.body = req.body;
      armIdleTimer();
      const response = await fetchImpl(req.url, init);

      if (!response.ok) {
        const error = await apiErrorFromResponse(response);
        throw error.isTransient ? error : new FatalStreamError(error);
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (!contentType.includes('text/event-stream') || !response.body) {
        throw new FatalStreamError(
          new ApiError(response.status, {
            title: 'Unexpected response from the server',
            detail: `Expected an event stream, got "${contentType || 'no content type'}".`,
            code: 'unexpected_response',
            status: response.status,
          }),
        );
      }

      options.onStateChange?.({ kind: 'open' });
      const parser = new SseParser(lastEventId ?? '');
      const reader = response.body.getReader();
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          armIdleTimer();
          const events = parser.feed(value);
          if (parser.retry !== undefined) retryHintMs = parser.retry;
          for (const event of events) {
            const id = numericId(event.id);
            if (id !== undefined) {
              if (id <= highestDelivered) continue; // replayed by the server: already delivered
              highestDelivered = id;
            }
            lastEventId = event.id || lastEventId;
            progressed = true;
            failures = 0;
            try {
              options.onEvent(event);
            } catch (handlerError) {
              throw new FatalStreamError(handlerError); // a consumer bug, not a connection problem
            }
            if (isFinal(event)) return { outcome: 'done', lastEventId };
          }
          // An id-only block moves the resume point without dispatching an event.
          if (parser.lastEventId !== '' && (numericId(parser.lastEventId) ?? Infinity) > highestDelivered) {
            lastEventId = parser.lastEventId;
          }
        }
      } finally {
        reader.cancel().catch(() => {});
      }
      throw new Error('The event stream ended before the run finished.');
    } catch (err) {
      if (outer?.aborted) return { outcome: 'aborted', lastEventId };
      if (err instanceof FatalStreamError) throw err.error;
      const reason = controller.signal.aborted ? (controller.signal.reason ?? err) : err;
      lastError = reason;
      failures = progressed ? 1 : failures + 1;
      if (failures >= maxAttempts) throw new StreamGaveUpError(failures, lastEventId, reason);
      const base = retryHintMs ?? initialDelayMs;
      let delayMs = backoffDelay(failures, base, maxDelayMs, random);
      if (reason instanceof ApiError && reason.retryAfterMs !== undefined) delayMs = Math.max(delayMs, reason.retryAfterMs);
      options.onStateChange?.({ kind: 'reconnecting', attempt: failures, delayMs, error: reason });
      await sleep(delayMs, outer);
    } finally {
      clearTimeout(idleTimer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }
}
