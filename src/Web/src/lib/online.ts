import { useSyncExternalStore } from 'react';

/**
 * Connectivity as the user experiences it: the browser's navigator.onLine, and whether our last
 * requests reached the server (a captive portal or a dead API looks "online" to the browser).
 */
class Connectivity {
  private browserOnline = typeof navigator === 'undefined' ? true : navigator.onLine;
  private serverReachable = true;
  private readonly listeners = new Set<() => void>();

  constructor() {
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => {
        this.browserOnline = true;
        this.serverReachable = true; // give the server the benefit of the doubt until a request fails
        this.emit();
      });
      window.addEventListener('offline', () => {
        this.browserOnline = false;
        this.emit();
      });
    }
  }

  get online(): boolean {
    return this.browserOnline && this.serverReachable;
  }

  report(reachable: boolean): void {
    if (this.serverReachable === reachable) return;
    this.serverReachable = reachable;
    this.emit();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

export const connectivity = new Connectivity();

export function useOnline(): boolean {
  return useSyncExternalStore(connectivity.subscribe, () => connectivity.online);
}
