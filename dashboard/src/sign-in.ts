/**
 * How the page gets the bearer token it sends to the job API. Locally: the stack's key, handed
 * over in the dashboard URL's fragment (`#key=…`, which no request carries), then kept in this
 * browser's storage for the next visit. Deployed: an OIDC sign-in (authorization code with PKCE,
 * oidc-client-ts) at the issuer the API's JWT authorizer trusts.
 */
import { DashboardConfig } from '../../shared/contracts/dashboard-config.ts';
import type { TokenSource } from '../../shared/job-api-client.ts';

export type SignIn =
  | { kind: 'signed-in'; token: TokenSource; signOut(): void }
  /** Local, and no key yet: the page asks for the one in the stack's state folder. */
  | { kind: 'needs-key'; useKey(key: string): void };

const KEY_STORAGE = 'fanout.apiKey';

export async function loadConfig(): Promise<DashboardConfig> {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  return DashboardConfig.parse(await response.json());
}

export async function signIn(config: DashboardConfig, onChange: () => void): Promise<SignIn> {
  return config.auth.kind === 'key' ? keySignIn(onChange) : oidcSignIn(config.auth);
}

function keySignIn(onChange: () => void): SignIn {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const given = fragment.get('key');
  if (given) {
    localStorage.setItem(KEY_STORAGE, given);
    // Out of the address bar and the history: a shared screen or a copied link does not carry it.
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  }
  const key = localStorage.getItem(KEY_STORAGE);
  const signOut = () => {
    localStorage.removeItem(KEY_STORAGE);
    onChange();
  };
  if (key) return { kind: 'signed-in', token: () => localStorage.getItem(KEY_STORAGE) ?? key, signOut };
  return {
    kind: 'needs-key',
    useKey(value) {
      localStorage.setItem(KEY_STORAGE, value.trim());
      onChange();
    },
  };
}

async function oidcSignIn(auth: Extract<DashboardConfig['auth'], { kind: 'oidc' }>): Promise<SignIn> {
  // Only a deployed page signs in this way: the local page never loads the library.
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  const redirect = `${location.origin}${location.pathname}`;
  const users = new UserManager({
    authority: auth.authority,
    client_id: auth.clientId,
    redirect_uri: redirect,
    post_logout_redirect_uri: redirect,
    response_type: 'code',
    scope: auth.scope,
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: sessionStorage }),
  });
  const query = new URLSearchParams(location.search);
  if (query.has('code') && query.has('state')) {
    await users.signinRedirectCallback();
    history.replaceState(null, '', `${location.pathname}#/`);
  }
  const user = await users.getUser();
  if (!user || user.expired) {
    // Leaves the page for the issuer's sign-in; it comes back with ?code=…&state=….
    await users.signinRedirect();
    return new Promise<never>(() => {});
  }
  return {
    kind: 'signed-in',
    token: async () => (await users.getUser())?.access_token ?? user.access_token,
    signOut: () => void users.signoutRedirect(),
  };
}
