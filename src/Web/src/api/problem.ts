import type { ProblemDetails } from './types';

/**
 * An API failure carrying the server's RFC 9457 ProblemDetails (or one synthesised for network
 * errors and non-JSON responses). `status` is 0 when the server could not be reached at all.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly problem: ProblemDetails;
  /** From a `Retry-After` header (429/503), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, problem: ProblemDetails, retryAfterMs?: number, options?: { cause?: unknown }) {
    super(formatProblem(problem), options);
    this.status = status;
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }

  get code(): string | undefined {
    return this.problem.code;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }

  /** Whether repeating the same request later may succeed (network, timeout, throttling, server errors). */
  get isTransient(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || (this.status >= 500 && this.status !== 501);
  }
}

const fallbackTitles: Record<number, string> = {
  400: 'The request was not valid',
  401: 'Sign-in required',
  403: 'You are not allowed to do this',
  404: 'Not found',
  408: 'The request timed out',
  409: 'Conflict',
  413: 'The request is too large',
  422: 'The request could not be processed',
  429: 'Too many requests',
  500: 'Server error',
  502: 'The service is unavailable',
  503: 'The service is unavailable',
  504: 'The service did not answer in time',
};

/** Friendlier wording for problem codes the UI meets in normal use. */
const codeTitles: Record<string, string> = {
  run_active: 'A reply is still being generated in this chat',
};

function fallbackTitle(status: number): string {
  return fallbackTitles[status] ?? (status >= 500 ? 'Server error' : `Request failed (HTTP ${status})`);
}

function pickString(obj: Record<string, unknown>, key: string): string | undefined {
  const value = obj[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Keeps only the well-formed ProblemDetails members of an untrusted JSON value. */
export function normaliseProblem(raw: unknown, status: number): ProblemDetails {
  const problem: ProblemDetails = { status, title: fallbackTitle(status) };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return problem;
  const obj = raw as Record<string, unknown>;
  const title = pickString(obj, 'title');
  const detail = pickString(obj, 'detail');
  const code = pickString(obj, 'code');
  const type = pickString(obj, 'type');
  const traceId = pickString(obj, 'traceId');
  if (title) problem.title = title;
  if (detail) problem.detail = detail;
  if (code) problem.code = code;
  if (type) problem.type = type;
  if (traceId) problem.traceId = traceId;
  if (typeof obj['status'] === 'number') problem.status = obj['status'];
  const errors = obj['errors'];
  if (typeof errors === 'object' && errors !== null && !Array.isArray(errors)) {
    const fieldErrors: Record<string, string[]> = {};
    for (const [field, messages] of Object.entries(errors)) {
      if (Array.isArray(messages)) fieldErrors[field] = messages.filter((m): m is string => typeof m === 'string');
      else if (typeof messages === 'string') fieldErrors[field] = [messages];
    }
    if (Object.keys(fieldErrors).length > 0) problem.errors = fieldErrors;
  }
  return problem;
}

/**
 * `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds,
 * or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Maps a failed HTTP response to an ApiError, reading a ProblemDetails body when there is one. */
export async function apiErrorFromResponse(response: Response, now: number = Date.now()): Promise<ApiError> {
  const contentType = response.headers.get('content-type') ?? '';
  let raw: unknown;
  if (contentType.includes('json')) {
    try {
      raw = await response.json();
    } catch {
      raw = undefined;
    }
  } else {
    try {
      const text = (await response.text()).trim();
      // A short plain-text body is shown as the detail; an HTML error page is not.
      if (text && text.length <= 300 && !text.startsWith('<')) raw = { detail: text };
    } catch {
      raw = undefined;
    }
  }
  const problem = normaliseProblem(raw, response.status);
  return new ApiError(response.status, problem, parseRetryAfter(response.headers.get('retry-after'), now));
}

export function networkError(cause: unknown): ApiError {
  return new ApiError(
    0,
    {
      title: 'Cannot reach the server',
      detail: 'Check your connection; the request will be retried.',
      code: 'network_error',
      status: 0,
    },
    undefined,
    { cause },
  );
}

/** One line for logs and `Error.message`: "Title: detail (code)". */
export function formatProblem(problem: ProblemDetails): string {
  const title = problem.title ?? 'Request failed';
  const detail = problem.detail ? `: ${problem.detail}` : '';
  const code = problem.code ? ` (${problem.code})` : '';
  return `${title}${detail}${code}`;
}

export interface ErrorView {
  title: string;
  detail?: string;
  code?: string;
  traceId?: string;
  fieldErrors: string[];
  transient: boolean;
}

/** What the UI shows for any thrown value: ProblemDetails members when there are some. */
export function describeError(err: unknown): ErrorView {
  if (err instanceof ApiError) {
    const p = err.problem;
    const code = p.code;
    const view: ErrorView = {
      title: (code && codeTitles[code]) || p.title || fallbackTitle(err.status),
      fieldErrors: Object.entries(p.errors ?? {}).flatMap(([field, messages]) =>
        messages.map((m) => (field ? `${field}: ${m}` : m)),
      ),
      transient: err.isTransient,
    };
    if (p.detail) view.detail = p.detail;
    if (code) view.code = code;
    if (p.traceId) view.traceId = p.traceId;
    return view;
  }
  if (err instanceof Error) return { title: err.message || err.name, fieldErrors: [], transient: false };
  return { title: String(err), fieldErrors: [], transient: false };
}
