import { describe, expect, it } from 'vitest';
import { jsonResponse } from '../test/fakeFetch';
import { ApiError, apiErrorFromResponse, describeError, formatProblem, networkError, parseRetryAfter } from './problem';

describe('apiErrorFromResponse', () => {
  it('maps a ProblemDetails body', async () => {
    const error = await apiErrorFromResponse(
      jsonResponse(
        {
          type: 'https://agents/errors/validation',
          title: 'The request is invalid',
          status: 400,
          detail: 'Temperature must be between 0 and 2.',
          code: 'validation_failed',
          traceId: '00-abc-01',
          errors: { 'parameters.temperature': ['Must be between 0 and 2.'] },
        },
        400,
      ),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.problem.traceId).toBe('00-abc-01');
    expect(error.message).toBe('The request is invalid: Temperature must be between 0 and 2. (validation_failed)');
    expect(describeError(error)).toEqual({
      title: 'The request is invalid',
      detail: 'Temperature must be between 0 and 2.',
      code: 'validation_failed',
      traceId: '00-abc-01',
      fieldErrors: ['parameters.temperature: Must be between 0 and 2.'],
      transient: false,
    });
  });

  it('falls back to a readable title when the body is not JSON', async () => {
    const html = new Response('<html><body>Bad Gateway</body></html>', { status: 502, headers: { 'Content-Type': 'text/html' } });
    const error = await apiErrorFromResponse(html);
    expect(error.problem).toEqual({ status: 502, title: 'The service is unavailable' });
    expect(error.isTransient).toBe(true);

    const text = await apiErrorFromResponse(new Response('quota exceeded', { status: 403 }));
    expect(text.problem).toEqual({ status: 403, title: 'You are not allowed to do this', detail: 'quota exceeded' });
  });

  it('ignores members of the wrong type', async () => {
    const error = await apiErrorFromResponse(jsonResponse({ title: 42, detail: ['x'], code: null, errors: 'nope' }, 404));
    expect(error.problem).toEqual({ status: 404, title: 'Not found' });
  });

  it('reads Retry-After', async () => {
    const error = await apiErrorFromResponse(jsonResponse({ title: 'Too many requests', status: 429, code: 'rate_limited' }, 429, { 'Retry-After': '12' }));
    expect(error.retryAfterMs).toBe(12_000);
  });

  it('uses friendlier wording for run_active', async () => {
    const error = await apiErrorFromResponse(jsonResponse({ title: 'Conflict', status: 409, code: 'run_active' }, 409));
    expect(describeError(error).title).toBe('A reply is still being generated in this chat');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('transience', () => {
  it('classifies statuses', () => {
    const t = (status: number) => new ApiError(status, { status }).isTransient;
    expect([0, 408, 429, 500, 502, 503, 504].map(t)).toEqual([true, true, true, true, true, true, true]);
    expect([400, 401, 403, 404, 409, 422, 501].map(t)).toEqual([false, false, false, false, false, false, false]);
    expect(networkError(new TypeError('x')).isNetworkError).toBe(true);
  });

  it('formats a problem without optional parts', () => {
    expect(formatProblem({ title: 'Oops' })).toBe('Oops');
    expect(describeError(new Error('plain'))).toMatchObject({ title: 'plain', fieldErrors: [] });
  });
});
