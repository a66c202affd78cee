// The local tenant's users. Shared by the OIDC provider (which signs them in) and dev-token.mjs
// (which signs in as them). Development-only credentials: never reuse these anywhere real.

/** Tenant id placed in every token's `tid`, like an Entra directory id. */
export const LOCAL_TENANT_ID = '7d3c0f4e-0000-4000-8000-00000000a9e1';

/** The protected API: audience of the access tokens and prefix of its Entra-style scope. */
export const API_AUDIENCE = 'api://agents';
export const API_SCOPE = 'Agents.Access';

/** The single-page app registered with the provider (a public client: PKCE, no secret). */
export const SPA_CLIENT_ID = 'agents-spa';

/** What a client asks for: ID token claims, a refresh token and the API scope (Entra-style name). */
export const DEFAULT_CLIENT_SCOPE = `openid profile offline_access ${API_AUDIENCE}/${API_SCOPE}`;

export const USERS = Object.freeze({
  alice: Object.freeze({
    username: 'alice',
    password: 'alice-pw',
    name: 'Alice Admin',
    oid: 'a11ce000-0000-4000-8000-000000000001',
    roles: Object.freeze(['Agents.Admin']),
  }),
  bob: Object.freeze({
    username: 'bob',
    password: 'bob-pw',
    name: 'Bob User',
    oid: 'b0b00000-0000-4000-8000-000000000002',
    roles: Object.freeze([]),
  }),
});

/** Finds a user by the account id the provider stores (the username). */
export function findUser(accountId) {
  return Object.hasOwn(USERS, accountId) ? USERS[accountId] : undefined;
}
