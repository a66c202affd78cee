import { useCallback, useEffect, useState } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'agents.theme';
const order: ThemeChoice[] = ['system', 'light', 'dark'];

function readChoice(): ThemeChoice {
  const stored = window.localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

/** Light/dark follows prefers-color-scheme unless the user picked one (stored, applied as html[data-theme]). */
export function useTheme(): { choice: ThemeChoice; cycle: () => void } {
  const [choice, setChoice] = useState<ThemeChoice>(readChoice);
  useEffect(() => {
    const root = document.documentElement;
    if (choice === 'system') {
      root.removeAttribute('data-theme');
      window.localStorage.removeItem(KEY);
    } else {
      root.setAttribute('data-theme', choice);
      window.localStorage.setItem(KEY, choice);
    }
  }, [choice]);
  const cycle = useCallback(() => setChoice((c) => order[(order.indexOf(c) + 1) % order.length]!), []);
  return { choice, cycle };
}
