import {
  ErrorResponse,
  UserManager,
  WebStorageStateStore,
  type SigninSilentArgs,
  type User,
  type UserManagerSettings,
} from 'oidc-client-ts';
import type { AppConfig } from './config';

/**
 * Sign-in with authorization code + PKCE (S256) against any OpenID Connect provider: the local
 * oidc-provider or Microsoft Entra ID v2. Tokens live in sessionStorage only (one tab, gone when it
 * closes): never in localStorage, cookies or URLs.
 */
export function createUserManagerSettings(config: AppConfig, origin: string, storage: Storage): UserManagerSettings {
  const store = new WebStorageStateStore({ store: storage, prefix: 'agents.oidc.' });
  return {
    authority: config.auth.authority,
    client_id: config.auth.clientId,
    redirect_uri: origin + config.auth.redirectPath,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: config.auth.scopes.join(' '),
    userStore: store,
    // The PKCE verifier and state of a sign-in in progress: same tab, so sessionStorage suffices.
    stateStore: store,
    // Renews ~60 s before expiry, with the refresh token when there is one (an iframe otherwise).
    automaticSilentRenew: true,
    // The access token's audience is the API, so the provider's UserInfo endpoint would reject it.
    loadUserInfo: false,
    // Session monitoring needs a third-party-cookie iframe that Entra does not offer for SPAs.
    monitorSession: false,
  };
}

/** Joins concurrent renewals: refresh tokens rotate, and spending one twice revokes the whole grant. */
class SingleFlightUserManager extends UserManager {
  private renewal: Promise<User | null> | undefined;

  override signinSilent(args?: SigninSilentArgs): Promise<User | null> {
    this.renewal ??= super.signinSilent(args).finally(() => {
      this.renewal = undefined;
    });
    return this.renewal;
  }
}

export interface Auth {
  readonly manager: UserManager;
  /** Completes a redirect back from the provider; returns false when this page load is not one. */
  handleCallback(): Promise<'none' | 'signed-in' | 'silent-frame'>;
  getUser(): Promise<User | null>;
  signIn(returnTo?: string): Promise<void>;
  signOut(): Promise<void>;
  /** A valid access token (renewed when expired or when forced), or null when signed out. */
  getAccessToken(options?: { forceRefresh?: boolean }): Promise<string | null>;
  /** Called with the user on sign-in/renewal and with null on sign-out or session loss. */
  onUserChanged(listener: (user: User | null) => void): () => void;
}

/** Only same-origin paths may be returned to after sign-in (no open redirect through `state`). */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

export function createAuth(config: AppConfig, win: Window = window): Auth {
  const origin = win.location.origin;
  const manager = new SingleFlightUserManager(createUserManagerSettings(config, origin, win.sessionStorage));

  async function renew(): Promise<User | null> {
    try {
      return await manager.signinSilent();
    } catch (err) {
      if (err instanceof ErrorResponse) {
        // The provider refused (refresh token expired, revoked or reused): the session is over.
        await manager.removeUser();
      }
      return null;
    }
  }

  manager.events.addSilentRenewError((err) => {
    if (err instanceof ErrorResponse) void manager.removeUser();
  });

  return {
    manager,

    async handleCallback() {
      const url = new URL(win.location.href);
      if (url.pathname !== config.auth.redirectPath) return 'none';
      const params = url.searchParams;
      if (!params.has('state') || !(params.has('code') || params.has('error'))) {
        win.history.replaceState(null, '', '/');
        return 'none';
      }
      if (win.self !== win.top) {
        await manager.signinCallback(url.href); // silent renewal in a hidden iframe: hand back to the parent
        return 'silent-frame';
      }
      try {
        const user = await manager.signinCallback(url.href);
        const returnTo = safeReturnPath((user?.state as { returnTo?: unknown } | undefined)?.returnTo);
        win.history.replaceState(null, '', returnTo); // drop ?code=&state= from the address bar and history
        return 'signed-in';
      } catch (err) {
        win.history.replaceState(null, '', '/');
        throw err;
      }
    },

    getUser: () => manager.getUser(),

    async signIn(returnTo) {
      await manager.signinRedirect({ state: { returnTo: safeReturnPath(returnTo ?? win.location.pathname) } });
    },

    async signOut() {
      // RP-initiated logout: the provider ends its session and redirects to post_logout_redirect_uri.
      const user = await manager.getUser();
      try {
        await manager.signoutRedirect(user?.id_token ? { id_token_hint: user.id_token } : undefined);
      } catch {
        await manager.removeUser(); // no end_session_endpoint: at least forget the tokens here
        win.location.assign('/');
      }
    },

    async getAccessToken(options) {
      const user = await manager.getUser();
      if (!user) return null;
      const expiresSoon = user.expires_in !== undefined && user.expires_in < 15;
      if (options?.forceRefresh || user.expired || expiresSoon) {
        const renewed = await renew();
        return renewed?.access_token ?? null;
      }
      return user.access_token;
    },

    onUserChanged(listener) {
      const loaded = (user: User) => listener(user);
      const unloaded = () => listener(null);
      manager.events.addUserLoaded(loaded);
      manager.events.addUserUnloaded(unloaded);
      manager.events.addUserSignedOut(unloaded);
      return () => {
        manager.events.removeUserLoaded(loaded);
        manager.events.removeUserUnloaded(unloaded);
        manager.events.removeUserSignedOut(unloaded);
      };
    },
  };
}

/** The name to greet the user with before `/v1/me` answers (or if it fails). */
export function nameFromIdToken(user: User | null): string | undefined {
  const profile = user?.profile;
  if (!profile) return undefined;
  return (profile.name as string | undefined) ?? (profile.preferred_username as string | undefined) ?? profile.sub;
}

export function rolesFromIdToken(user: User | null): string[] {
  const roles = user?.profile?.['roles'];
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}
