import { describe, expect, it } from 'vitest';
import { recordingSleep, scriptedFetch, sse, streamResponse, jsonResponse } from '../test/fakeFetch';
import { ApiError } from './problem';
import { SseParser, StreamGaveUpError, backoffDelay, streamEvents, type SseEvent } from './sse';

const encoder = new TextEncoder();

function parseAll(chunks: (string | Uint8Array)[], lastEventId = ''): { events: SseEvent[]; parser: SseParser } {
  const parser = new SseParser(lastEventId);
  const events = chunks.flatMap((c) => parser.feed(c));
  return { events, parser };
}

/** Every way of cutting the bytes in two, plus byte by byte: all must give the same events. */
function splits(text: string): Uint8Array[][] {
  const bytes = encoder.encode(text);
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.slice(0, i), bytes.slice(i)]);
  out.push([...bytes].map((b) => Uint8Array.of(b)));
  return out;
}

describe('SseParser', () => {
  it('parses a simple event with id, type and JSON data', () => {
    const { events, parser } = parseAll(['id: 1\nevent: message.delta\ndata: {"text":"Hi"}\n\n']);
    expect(events).toEqual([{ id: '1', event: 'message.delta', data: '{"text":"Hi"}' }]);
    expect(parser.lastEventId).toBe('1');
  });

  it('gives the same events wherever the stream is cut, including inside CRLF and multi-byte characters', () => {
    const text =
      ': keep-alive\r\n' +
      'retry: 2500\r\n' +
      'id: 7\r\nevent: message.delta\r\ndata: {"text":"héllo 👋 ☃"}\r\n\r\n' +
      'id: 8\revent: usage\rdata: line one\rdata: line two\r\r' +
      'id: 9\nevent: done\ndata: {"status":"completed"}\n\n';
    const expected: SseEvent[] = [
      { id: '7', event: 'message.delta', data: '{"text":"héllo 👋 ☃"}' },
      { id: '8', event: 'usage', data: 'line one\nline two' },
      { id: '9', event: 'done', data: '{"status":"completed"}' },
    ];
    for (const chunks of splits(text)) {
      const { events, parser } = parseAll(chunks);
      expect(events).toEqual(expected);
      expect(parser.retry).toBe(2500);
      expect(parser.lastEventId).toBe('9');
    }
  });

  it('treats a CR at the end of one chunk and an LF at the start of the next as one line break', () => {
    const { events } = parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    // Had the LF counted as a second (blank) line, "a" would have been dispatched on its own.
    expect(events).toEqual([{ id: '', event: 'message', data: 'a\nb' }]);
  });

  it('joins multi-line data with LF and drops only the final LF', () => {
    const { events } = parseAll(['data: first\ndata:\ndata:  indented\n\n']);
    expect(events).toEqual([{ id: '', event: 'message', data: 'first\n\n indented' }]);
  });

  it('ignores comments, unknown fields and a field without colon other than data', () => {
    const { events } = parseAll([': hello\nfoo: bar\nevent\ndata: x\n: another comment\n\n']);
    expect(events).toEqual([{ id: '', event: 'message', data: 'x' }]);
  });

  it('treats a line with no colon as a field with an empty value', () => {
    const { events } = parseAll(['data\ndata\n\n']);
    expect(events).toEqual([{ id: '', event: 'message', data: '\n' }]);
  });

  it('does not dispatch an event whose blank line never came', () => {
    const { events, parser } = parseAll(['id: 1\ndata: complete\n\n', 'id: 2\ndata: truncated\n']);
    expect(events).toEqual([{ id: '1', event: 'message', data: 'complete' }]);
    expect(parser.lastEventId).toBe('1');
  });

  it('does not dispatch a block without data, but still takes its id', () => {
    const { events, parser } = parseAll(['id: 5\nevent: ping\n\n']);
    expect(events).toEqual([]);
    expect(parser.lastEventId).toBe('5');
  });

  it('keeps the last event id for later events without id, and an empty id resets it', () => {
    const { events } = parseAll(['id: 3\ndata: a\n\ndata: b\n\nid\ndata: c\n\n']);
    expect(events.map((e) => e.id)).toEqual(['3', '3', '']);
  });

  it('ignores an id containing NULL', () => {
    const { events } = parseAll(['id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n']);
    expect(events.map((e) => e.id)).toEqual(['1', '1']);
  });

  it('accepts only ASCII digits for retry', () => {
    expect(parseAll(['retry: 1000\n\n']).parser.retry).toBe(1000);
    expect(parseAll(['retry: 10s\n\n']).parser.retry).toBeUndefined();
    expect(parseAll(['retry: -5\n\n']).parser.retry).toBeUndefined();
    expect(parseAll(['retry: 1000\nretry: x\n\n']).parser.retry).toBe(1000);
  });

  it('removes only one leading space from values', () => {
    const { events } = parseAll(['event:  spaced\ndata:no-space\n\n']);
    expect(events).toEqual([{ id: '', event: ' spaced', data: 'no-space' }]);
  });

  it('strips a leading byte-order mark', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    expect(parseAll([bom, encoder.encode('data: x\n\n')]).events).toEqual([{ id: '', event: 'message', data: 'x' }]);
    expect(parseAll(['\ufeffdata: y\n\n']).events).toEqual([{ id: '', event: 'message', data: 'y' }]);
  });

  it('starts from a given last event id (as after a reconnect)', () => {
    const { events } = parseAll(['data: a\n\n'], '41');
    expect(events).toEqual([{ id: '41', event: 'message', data: 'a' }]);
  });
});

describe('backoffDelay', () => {
  it('doubles per failure up to the cap, with jitter within ±20%', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((f) => backoffDelay(f, 500, 5000, mid))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(backoffDelay(1, 1000, 10000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 10000, () => 1)).toBe(1200);
  });
});

describe('streamEvents', () => {
  const events = (received: SseEvent[]) => received.map((e) => `${e.id}:${e.event}`);

  it('resumes after a drop with Last-Event-ID and delivers each event once', async () => {
    const { fetch, requests } = scriptedFetch([
      // First connection: two events, then half of a third, then the connection dies.
      streamResponse({
        chunks: [sse(1, 'run.created', { id: 'r1' }) + sse(2, 'message.delta', { text: 'Hel' }), 'id: 3\nevent: message.del'],
        end: 'drop',
      }),
      // The server replays from an older point than asked: 2 again, then 3 and done.
      streamResponse({
        chunks: [sse(2, 'message.delta', { text: 'Hel' }), sse(3, 'message.delta', { text: 'lo' }) + sse(4, 'done', { status: 'completed' })],
      }),
    ]);
    const received: SseEvent[] = [];
    const { sleep, delays } = recordingSleep();
    const result = await streamEvents({
      fetch,
      sleep,
      random: () => 0.5,
      request: () => ({ url: 'http://api/events', headers: { Authorization: 'Bearer t' } }),
      onEvent: (e) => received.push(e),
    });

    expect(result).toEqual({ outcome: 'done', lastEventId: '4' });
    expect(events(received)).toEqual(['1:run.created', '2:message.delta', '3:message.delta', '4:done']);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.headers['last-event-id']).toBeUndefined();
    expect(requests[1]!.headers['last-event-id']).toBe('2');
    expect(requests[1]!.headers['authorization']).toBe('Bearer t');
    expect(requests[1]!.headers['accept']).toBe('text/event-stream');
    expect(delays).toEqual([500]);
  });

  it('uses the first request for the start and the events endpoint afterwards', async () => {
    const { fetch, requests } = scriptedFetch([
      streamResponse({ chunks: [sse(1, 'run.created', { id: 'r1' })], end: 'drop' }),
      streamResponse({ chunks: [sse(2, 'done', { status: 'completed' })] }),
    ]);
    const { sleep } = recordingSleep();
    await streamEvents({
      fetch,
      sleep,
      request: ({ attempt }) =>
        attempt === 0 ? { url: 'http://api/runs', method: 'POST', body: '{"message":"hi"}' } : { url: 'http://api/runs/r1/events' },
      onEvent: () => {},
    });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST http://api/runs', 'GET http://api/runs/r1/events']);
    expect(requests[0]!.headers['content-type']).toBe('application/json');
    expect(requests[1]!.headers['last-event-id']).toBe('1');
  });

  it('reconnects when the stream closes before done, and after network errors, with growing delays', async () => {
    const { fetch, requests } = scriptedFetch([
      streamResponse({ chunks: [sse(1, 'message.delta', { text: 'a' })] }), // closed early
      new TypeError('Failed to fetch'),
      new TypeError('Failed to fetch'),
      streamResponse({ chunks: [sse(2, 'done', { status: 'completed' })] }),
    ]);
    const { sleep, delays } = recordingSleep();
    const received: SseEvent[] = [];
    await streamEvents({ fetch, sleep, random: () => 0.5, request: () => ({ url: 'u' }), onEvent: (e) => received.push(e) });
    expect(events(received)).toEqual(['1:message.delta', '2:done']);
    expect(delays).toEqual([500, 1000, 2000]);
    expect(requests.slice(1).map((r) => r.headers['last-event-id'])).toEqual(['1', '1', '1']);
  });

  it('honours the server retry: hint and Retry-After', async () => {
    const { fetch } = scriptedFetch([
      streamResponse({ chunks: ['retry: 3000\n\n', sse(1, 'message.delta', { text: 'a' })], end: 'drop' }),
      jsonResponse({ title: 'Slow down', status: 429 }, 429, { 'Retry-After': '7' }),
      streamResponse({ chunks: [sse(2, 'done', {})] }),
    ]);
    const { sleep, delays } = recordingSleep();
    await streamEvents({ fetch, sleep, random: () => 0.5, request: () => ({ url: 'u' }), onEvent: () => {} });
    expect(delays).toEqual([3000, 7000]);
  });

  it('gives up after maxAttempts consecutive failures and says where to resume', async () => {
    const { fetch, requests } = scriptedFetch([
      streamResponse({ chunks: [sse(5, 'message.delta', { text: 'a' })], end: 'drop' }),
      new TypeError('down'),
      new TypeError('down'),
    ]);
    const { sleep } = recordingSleep();
    const error = await streamEvents({ fetch, sleep, maxAttempts: 3, request: () => ({ url: 'u' }), onEvent: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamGaveUpError);
    expect((error as StreamGaveUpError).lastEventId).toBe('5');
    expect((error as StreamGaveUpError).attempts).toBe(3);
    expect(requests).toHaveLength(3);
  });

  it('does not retry a client error and throws its ProblemDetails', async () => {
    const { fetch, requests } = scriptedFetch([
      jsonResponse({ title: 'Run already active', status: 409, code: 'run_active' }, 409),
    ]);
    const error = await streamEvents({ fetch, request: () => ({ url: 'u' }), onEvent: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('run_active');
    expect(requests).toHaveLength(1);
  });

  it('rejects a response that is not an event stream', async () => {
    const { fetch } = scriptedFetch([jsonResponse({ id: 'r1' }, 202)]);
    const error = await streamEvents({ fetch, request: () => ({ url: 'u' }), onEvent: () => {} }).catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('unexpected_response');
  });

  it('throws the original error when the request callback cannot reconnect', async () => {
    const { fetch } = scriptedFetch([new TypeError('offline')]);
    const { sleep } = recordingSleep();
    const error = await streamEvents({
      fetch,
      sleep,
      request: ({ attempt }) => (attempt === 0 ? { url: 'u', method: 'POST', body: '{}' } : null),
      onEvent: () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
  });

  it('stops quietly when aborted', async () => {
    const controller = new AbortController();
    const { fetch } = scriptedFetch([
      () => {
        controller.abort();
        return new DOMException('aborted', 'AbortError');
      },
    ]);
    const result = await streamEvents({ fetch, signal: controller.signal, request: () => ({ url: 'u' }), onEvent: () => {} });
    expect(result.outcome).toBe('aborted');
  });

  it('reconnects when nothing arrives within the idle timeout', async () => {
    const urls: string[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      urls.push(String(input));
      if (urls.length === 1) {
        // Sends nothing, ever; fails only when the request is aborted, as a real fetch body does.
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            init?.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
          },
        });
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
      }
      return streamResponse({ chunks: [sse(1, 'done', {})] });
    };
    const { sleep } = recordingSleep();
    const result = await streamEvents({ fetch: fetchImpl, sleep, idleTimeoutMs: 20, request: () => ({ url: 'u' }), onEvent: () => {} });
    expect(result.outcome).toBe('done');
    expect(urls).toHaveLength(2);
  });
});
