import { useSyncExternalStore } from 'react';

/** The app's few pages. A tiny History API router: no dependency needed for four routes. */
export type Route =
  | { name: 'chat'; threadId?: string }
  | { name: 'usage' }
  | { name: 'admin' };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  const thread = /^\/threads\/([^/]+)$/.exec(path);
  if (thread) return { name: 'chat', threadId: decodeURIComponent(thread[1]!) };
  if (path === '/usage') return { name: 'usage' };
  if (path === '/admin') return { name: 'admin' };
  return { name: 'chat' };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case 'chat':
      return route.threadId ? `/threads/${encodeURIComponent(route.threadId)}` : '/';
    case 'usage':
      return '/usage';
    case 'admin':
      return '/admin';
  }
}

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}
