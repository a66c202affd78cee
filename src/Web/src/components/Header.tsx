import type { MouseEvent } from 'react';
import { navigate, type Route } from '../lib/router';
import type { ThemeChoice } from '../lib/theme';

interface Props {
  route: Route;
  displayName: string;
  isAdmin: boolean;
  theme: { choice: ThemeChoice; cycle: () => void };
  onSignOut: () => void;
}

const themeNames: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };

export function ThemeToggle({ theme }: { theme: Props['theme'] }) {
  return (
    <button type="button" className="ghost" onClick={theme.cycle} aria-label={`Theme: ${themeNames[theme.choice]}`} title="Change theme">
      <span aria-hidden="true">{theme.choice === 'dark' ? '☾' : theme.choice === 'light' ? '☀' : '◐'}</span>
      <span className="theme-name">{themeNames[theme.choice]}</span>
    </button>
  );
}

function NavLink({ href, current, children }: { href: string; current: boolean; children: string }) {
  return (
    <a
      href={href}
      aria-current={current ? 'page' : undefined}
      onClick={(e: MouseEvent) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

export function Header({ route, displayName, isAdmin, theme, onSignOut }: Props) {
  return (
    <header className="app-header">
      <span className="brand">Agents</span>
      <nav aria-label="Main" className="main-nav">
        <NavLink href="/" current={route.name === 'chat'}>
          Chat
        </NavLink>
        <NavLink href="/usage" current={route.name === 'usage'}>
          Usage
        </NavLink>
        {isAdmin && (
          <NavLink href="/admin" current={route.name === 'admin'}>
            Admin
          </NavLink>
        )}
      </nav>
      <div className="header-end">
        <ThemeToggle theme={theme} />
        <span className="user-name" data-testid="user-name" title={displayName}>
          {displayName}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
