// REST client and session: tokens live in localStorage (a page refresh keeps
// the session), the access token is refreshed a minute before it expires
// (POST /auth/refresh rotates the refresh token), and tabs share one session:
// a refresh runs under a Web Lock and adopts a token another tab already got,
// because reusing a rotated refresh token revokes the whole family.
const KEY = 'vibed.session';
const BASE = '/api/v1';
const EARLY_S = 60;

let session = load();
let refreshing = null;
let timer = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.code = body && body.code;
    this.errors = (body && body.errors) || [];
    this.retryAfter = retryAfter || 0; // seconds, from Retry-After on a 429
  }
}

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || 'null');
    return s && s.accessToken && s.refreshToken ? s : null;
  } catch {
    return null;
  }
}

function claims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

/** Seconds until the token expires (negative once expired). */
function secondsLeft(token) {
  const exp = claims(token || '').exp;
  return exp ? exp - Date.now() / 1000 : -1;
}

function emit() {
  for (const fn of listeners) fn(session);
}

function schedule() {
  clearTimeout(timer);
  if (!session) return;
  const wait = Math.max(5, secondsLeft(session.accessToken) - EARLY_S);
  timer = setTimeout(() => refresh().catch(() => {}), wait * 1000);
}

function save(next) {
  session = next;
  if (next) localStorage.setItem(KEY, JSON.stringify(next));
  else localStorage.removeItem(KEY);
  schedule();
  emit();
}

// Another tab signed in, refreshed or signed out.
window.addEventListener('storage', (e) => {
  if (e.key !== KEY) return;
  session = load();
  schedule();
  emit();
});

export function getSession() {
  return session;
}
export function getAccessToken() {
  return session ? session.accessToken : null;
}
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Rotates the refresh token (single flight per tab, serialised across tabs). */
export function refresh() {
  if (!session) return Promise.reject(new ApiError(401, { message: 'Signed out' }));
  if (!refreshing) {
    const run = async () => {
      const stored = load();
      if (!stored) {
        save(null);
        throw new ApiError(401, { message: 'Signed out' });
      }
      if (stored.accessToken !== session?.accessToken && secondsLeft(stored.accessToken) > EARLY_S) {
        save(stored); // another tab rotated already
        return;
      }
      const res = await fetch(`${BASE}/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: stored.refreshToken }),
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) {
        if (res.status === 401 || res.status === 403) save(null);
        throw new ApiError(res.status, body);
      }
      const d = body.data;
      save({ ...stored, accessToken: d.accessToken, refreshToken: d.refreshToken, user: d.user || stored.user });
    };
    const locked = navigator.locks ? navigator.locks.request('vibed-refresh', run) : run();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Makes sure the access token has some life left before a request. */
export async function ensureFresh() {
  if (session && secondsLeft(session.accessToken) < 15) await refresh();
}

/**
 * Calls the API; resolves to the response envelope ({success, data, meta}).
 * A 401 refreshes once and retries. Throws ApiError.
 */
export async function api(method, path, body, { auth = true, retry = true } = {}) {
  if (auth) await ensureFresh();
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session) headers.Authorization = `Bearer ${session.accessToken}`;
  const res = await fetch(BASE + path, {
    method,
    headers,
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401 && auth && retry && session) {
    await refresh();
    return api(method, path, body, { auth, retry: false });
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data, Number(res.headers.get('Retry-After')) || 0);
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b = {}) => api('POST', p, b);
export const patch = (p, b = {}) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

export async function signIn(email, password) {
  const r = await api('POST', '/auth/login', { email, password }, { auth: false });
  save({ accessToken: r.data.accessToken, refreshToken: r.data.refreshToken, user: r.data.user });
  return r.data.user;
}

export async function register(fields) {
  const r = await api('POST', '/auth/register', fields, { auth: false });
  save({ accessToken: r.data.accessToken, refreshToken: r.data.refreshToken, user: r.data.user });
  return r.data.user;
}

export async function signOut() {
  const s = session;
  if (s) {
    try {
      await api('POST', '/auth/logout', { refreshToken: s.refreshToken }, { retry: false });
    } catch {
      /* the local session goes anyway */
    }
  }
  save(null);
}

export function updateUser(user) {
  if (session) save({ ...session, user });
}

schedule();
