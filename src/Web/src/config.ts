/**
 * Runtime configuration, fetched from `/config.json` at start so that one build serves every
 * environment. Locally the portable host serves it; in Azure the azd postprovision hook writes it.
 */
export interface AppConfig {
  /** Base URL of the API, ending in `/api` (no trailing slash). May be relative to the page origin. */
  apiBaseUrl: string;
  auth: AuthConfig;
}

export interface AuthConfig {
  /** OIDC issuer (local provider or `https://login.microsoftonline.com/<tenant>/v2.0`). */
  authority: string;
  clientId: string;
  scopes: string[];
  /** Path on this origin the provider redirects back to, e.g. `/auth/callback`. */
  redirectPath: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Checks the parsed JSON and normalises it (absolute API URL without trailing slash). Throws a
 * ConfigError naming the first missing or invalid setting, so a bad deployment fails loudly at start.
 */
export function parseConfig(raw: unknown, origin: string): AppConfig {
  if (!isObject(raw)) throw new ConfigError('config.json must be a JSON object.');
  const apiBaseUrl = requireString(raw, 'apiBaseUrl', 'apiBaseUrl');
  const auth = raw['auth'];
  if (!isObject(auth)) throw new ConfigError('config.json: "auth" must be an object.');
  const authority = requireString(auth, 'authority', 'auth.authority');
  const clientId = requireString(auth, 'clientId', 'auth.clientId');
  const redirectPath = requireString(auth, 'redirectPath', 'auth.redirectPath');
  if (!redirectPath.startsWith('/')) {
    throw new ConfigError('config.json: "auth.redirectPath" must start with "/".');
  }
  const scopes = auth['scopes'];
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === 'string' && s.trim() !== '')) {
    throw new ConfigError('config.json: "auth.scopes" must be a non-empty array of strings.');
  }
  if (!scopes.includes('openid')) {
    throw new ConfigError('config.json: "auth.scopes" must include "openid".');
  }

  let api: URL;
  let authorityUrl: URL;
  try {
    api = new URL(apiBaseUrl, origin);
  } catch {
    throw new ConfigError('config.json: "apiBaseUrl" is not a valid URL.');
  }
  try {
    authorityUrl = new URL(authority);
  } catch {
    throw new ConfigError('config.json: "auth.authority" must be an absolute URL.');
  }

  return {
    apiBaseUrl: api.href.replace(/\/+$/, ''),
    auth: {
      authority: authorityUrl.href.replace(/\/+$/, ''),
      clientId,
      scopes: scopes as string[],
      redirectPath,
    },
  };
}

/** Fetches and validates `/config.json` (never cached: it changes per deployment, not per build). */
export async function loadConfig(fetchImpl: typeof fetch = fetch, origin = window.location.origin): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetchImpl(new URL('/config.json', origin).href, { cache: 'no-store' });
  } catch (err) {
    throw new ConfigError(`Could not fetch /config.json: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) {
    throw new ConfigError(`Could not fetch /config.json: HTTP ${response.status}.`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new ConfigError('/config.json is not valid JSON.');
  }
  return parseConfig(json, origin);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(obj: Record<string, unknown>, key: string, path: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`config.json: "${path}" is missing or empty.`);
  }
  return value.trim();
}
