import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from './router';

describe('router', () => {
  it('parses the app routes', () => {
    expect(parseRoute('/')).toEqual({ name: 'chat' });
    expect(parseRoute('/threads/th%2F1')).toEqual({ name: 'chat', threadId: 'th/1' });
    expect(parseRoute('/usage/')).toEqual({ name: 'usage' });
    expect(parseRoute('/admin')).toEqual({ name: 'admin' });
    expect(parseRoute('/unknown')).toEqual({ name: 'chat' });
  });

  it('builds paths that parse back', () => {
    expect(parseRoute(routePath({ name: 'chat', threadId: 'a b/c' }))).toEqual({ name: 'chat', threadId: 'a b/c' });
  });
});
