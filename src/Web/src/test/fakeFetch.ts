// Test helpers: responses whose bodies stream given chunks, then end or fail like a dropped connection.

const encoder = new TextEncoder();

export interface StreamScript {
  chunks: (string | Uint8Array)[];
  /** After the chunks: close normally (default) or fail like a dropped TCP connection. */
  end?: 'close' | 'drop';
  status?: number;
  headers?: Record<string, string>;
}

export function streamResponse(script: StreamScript): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < script.chunks.length) {
        const chunk = script.chunks[i++]!;
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
        return;
      }
      if (script.end === 'drop') controller.error(new TypeError('network error: connection reset'));
      else controller.close();
    },
  });
  return new Response(body, {
    status: script.status ?? 200,
    headers: { 'Content-Type': 'text/event-stream', ...script.headers },
  });
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });
}

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that answers from a queue (one entry per call) and records what it was asked. */
export function scriptedFetch(answers: (Response | Error | (() => Response | Error))[]): {
  fetch: typeof fetch;
  requests: RecordedRequest[];
} {
  const requests: RecordedRequest[] = [];
  const queue = [...answers];
  const fake = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    requests.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers,
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    const next = queue.shift();
    if (next === undefined) throw new Error(`unexpected request #${requests.length}: ${String(input)}`);
    const answer = typeof next === 'function' ? next() : next;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch: fake as typeof fetch, requests };
}

/**
 * A sleep that remembers the delays asked for and returns after one macrotask (not the delay), so a
 * reconnect loop that never ends still lets the test timeout fire instead of hanging the run.
 */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms: number) => {
      delays.push(ms);
      return new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

export function sse(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
