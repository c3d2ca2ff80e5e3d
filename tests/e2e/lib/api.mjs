// HTTP helpers for the vibed REST API (built-in fetch, node:http for raw cases).
import assert from 'node:assert/strict';
import { randomBytes, createHmac } from 'node:crypto';
import http from 'node:http';

export const PREFIX = '/api/v1';
const REQUEST_TIMEOUT_MS = 15000;

/** Absolute URL: paths not already under /api/ get the /api/v1 prefix. */
export function urlOf(base, p) {
  if (/^https?:\/\//.test(p)) return p;
  return base + (p.startsWith('/api/') ? p : PREFIX + p);
}

/**
 * One request. body is sent as JSON; raw (string or Buffer) is sent as is
 * with Content-Type application/json unless headers says otherwise.
 * Resolves to {status, headers, json, text, method, path}.
 */
/**
 * Every password and token this process has sent or received, so the closing
 * checks can assert that none of them was ever written to a log.
 */
export const seenSecrets = new Set();

function noteSecrets(obj) {
  if (!obj || typeof obj !== 'object') return;
  for (const k of ['password', 'accessToken', 'refreshToken']) {
    if (typeof obj[k] === 'string' && obj[k].length >= 8) seenSecrets.add(obj[k]);
  }
}

export async function api(base, method, p, { token, body, headers = {}, raw } = {}) {
  noteSecrets(body);
  if (typeof token === 'string' && token.length >= 20) seenSecrets.add(token);
  const h = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && !('content-type' in h)) h['content-type'] = 'application/json';
  if (token) h.authorization = `Bearer ${token}`;
  const res = await fetch(urlOf(base, p), {
    method,
    headers: h,
    body: payload,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  noteSecrets(json?.data);
  return { status: res.status, headers: res.headers, json, text, method, path: p };
}

/** Short description of a response for assertion messages. */
export function fmtRes(res) {
  const t = res.text && res.text.length > 400 ? res.text.slice(0, 400) + '...' : res.text;
  return `${res.method} ${res.path} -> ${res.status} ${t}`;
}

/** Asserts the status (with the response in the message). */
export function expectStatus(res, status) {
  assert.equal(res.status, status, `expected ${status}: ${fmtRes(res)}`);
  return res;
}

/** Asserts a success envelope with the given status; returns data. */
export function expectOk(res, status = 200) {
  expectStatus(res, status);
  assert.ok(res.json && typeof res.json === 'object', `JSON body expected: ${fmtRes(res)}`);
  assert.equal(res.json.success, true, `success:true expected: ${fmtRes(res)}`);
  assert.ok('data' in res.json, `data expected: ${fmtRes(res)}`);
  return res.json.data;
}

/** Asserts a 204 with an empty body. */
export function expectNoContent(res) {
  expectStatus(res, 204);
  assert.equal(res.text, '', `204 must have no body: ${fmtRes(res)}`);
}

/**
 * Asserts an error envelope {statusCode, code, message[, errors]} with status;
 * code is checked when given. `errors` must be present exactly on 422, as an
 * array of {field, message}. Returns the body.
 */
export function expectError(res, status, code) {
  expectStatus(res, status);
  const b = res.json;
  assert.ok(b && typeof b === 'object', `JSON error body expected: ${fmtRes(res)}`);
  assert.equal(b.statusCode, status, `statusCode: ${fmtRes(res)}`);
  assert.match(String(b.code), /^[A-Z][A-Z0-9_]*$/, `code UPPER_SNAKE: ${fmtRes(res)}`);
  if (code) assert.equal(b.code, code, `code: ${fmtRes(res)}`);
  assert.equal(typeof b.message, 'string', `message: ${fmtRes(res)}`);
  assert.ok(b.message.length > 0, `message non-empty: ${fmtRes(res)}`);
  assert.notEqual(b.success, true, `error must not claim success: ${fmtRes(res)}`);
  assert.ok(!('data' in b), `error must not carry data: ${fmtRes(res)}`);
  if (status === 422) {
    assert.ok(Array.isArray(b.errors) && b.errors.length > 0, `errors[] on 422: ${fmtRes(res)}`);
    for (const e of b.errors) {
      assert.equal(typeof e.field, 'string', `errors[].field: ${fmtRes(res)}`);
      assert.equal(typeof e.message, 'string', `errors[].message: ${fmtRes(res)}`);
    }
  } else {
    assert.ok(!('errors' in b), `errors only on 422: ${fmtRes(res)}`);
  }
  return b;
}

/** Asserts a 422 whose errors name field (exact name or a dotted path ending in it). */
export function expectFieldError(res, field) {
  const b = expectError(res, 422);
  const fields = b.errors.map((e) => e.field);
  assert.ok(fields.some((f) => f === field || f.endsWith('.' + field) || f.startsWith(field + '[') || f.startsWith(field + '.')),
    `errors should name field "${field}", got ${JSON.stringify(fields)}: ${fmtRes(res)}`);
  return b;
}

/** A short random lower-case suffix. */
export function uniq(n = 8) {
  return randomBytes(n).toString('hex').slice(0, n);
}

/** Recursively lists keys that look like a password or its hash. */
export function secretKeys(obj, prefix = '') {
  const out = [];
  if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj)) {
      if (/pass|hash|salt/i.test(k)) out.push(prefix + k);
      out.push(...secretKeys(v, `${prefix}${k}.`));
    }
  }
  return out;
}

/**
 * Registers a new user with a unique email. overrides are merged into the
 * body. Resolves to {user, accessToken, refreshToken, password, email}.
 */
export async function registerUser(base, overrides = {}) {
  const s = uniq(10);
  const body = {
    email: `user-${s}@example.com`,
    password: `Pw-${s}-secret`,
    firstName: 'Test',
    lastName: `User${s.slice(0, 4)}`,
    ...overrides,
  };
  const res = await api(base, 'POST', '/auth/register', { body });
  const data = expectOk(res, 201);
  assert.ok(data.user && data.user.id, `user.id expected: ${fmtRes(res)}`);
  return { ...data, password: body.password, email: body.email, firstName: body.firstName, lastName: body.lastName };
}

/** Creates a workspace as token; returns its data. */
export async function createWorkspace(base, token, body = {}) {
  const res = await api(base, 'POST', '/workspaces', { token, body: { name: `WS ${uniq(6)}`, ...body } });
  return expectOk(res, 201);
}

/** Invites email into workspace wid with role; returns the pending invitation. */
export async function invite(base, token, wid, email, role = 'member') {
  return expectOk(await api(base, 'POST', `/workspaces/${wid}/invite`, { token, body: { email, role } }), 201);
}

/**
 * Makes user ({email, accessToken}, as registerUser returns) a member of
 * workspace wid: an admin (token) invites, the user accepts. Returns the
 * workspace as the new member sees it.
 */
export async function addMember(base, token, wid, user, role = 'member') {
  const inv = await invite(base, token, wid, user.email, role);
  return expectOk(await api(base, 'POST', `/invitations/${inv.id}/accept`, { token: user.accessToken }));
}

/** Creates a project; returns its data. */
export async function createProject(base, token, wid, body = {}) {
  const key = body.key || ('P' + uniq(6).toUpperCase().replace(/[^A-Z0-9]/g, 'X'));
  const res = await api(base, 'POST', `/workspaces/${wid}/projects`, { token, body: { name: `Project ${key}`, ...body, key } });
  return expectOk(res, 201);
}

/** Creates a task; returns its data. */
export async function createTask(base, token, pid, body = {}) {
  const res = await api(base, 'POST', `/projects/${pid}/tasks`, { token, body: { title: `Task ${uniq(6)}`, ...body } });
  return expectOk(res, 201);
}

/** The user ids assigned to a task, whatever the shape (assigneeIds or assignees[]). */
export function assigneeIdsOf(task) {
  if (Array.isArray(task.assigneeIds)) return [...task.assigneeIds].sort();
  if (Array.isArray(task.assignees)) {
    return task.assignees.map((a) => (typeof a === 'string' ? a : a.id ?? a.userId)).sort();
  }
  return undefined;
}

/** The user id of a member entry, whatever the shape ({userId}, {user:{id}}, {id}). */
export function memberUserId(m) {
  return m.userId ?? m.user?.id ?? m.id;
}

// ---- JWT building (node:crypto) for forged-token tests

export function b64url(data) {
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64url');
}

/** An HS256 JWT over header and payload objects with secret. */
export function signJwt(header, payload, secret) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${sig}`;
}

/** Decodes (without verifying) a JWT into {header, payload}. */
export function decodeJwt(token) {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
}

/**
 * A raw HTTP/1.1 request with node:http, for bodies fetch handles badly (a
 * server may answer 413 and close before the body is fully sent). Resolves on
 * the response; write errors after it are ignored.
 */
export function rawRequest(port, { method = 'POST', path: p, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method, path: p.startsWith('/api/') ? p : PREFIX + p, headers, agent: false }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json, method, path: p });
      });
      res.on('error', (e) => reject(e));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('raw request timed out')));
    req.on('error', (e) => { if (!answered) reject(e); });
    if (body === undefined) { req.end(); return; }
    // Write in chunks and stop once the answer is in, so a server that
    // answers early (413) is not flooded with bytes it will never read.
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    let off = 0;
    const pump = () => {
      while (off < buf.length && !answered) {
        const end = Math.min(off + 65536, buf.length);
        const ok = req.write(buf.subarray(off, end));
        off = end;
        if (!ok) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

// ---- collaboration helpers (comments, labels, channels, messages, activity,
// notifications)

/** A well-formed id (20 chars of the id alphabet) that names nothing. */
export const UNKNOWN_ID = '00000000000000000000';

/** Creates a comment on task tid; returns its data. */
export async function createComment(base, token, tid, body = {}) {
  const res = await api(base, 'POST', `/tasks/${tid}/comments`, { token, body: { body: `Comment ${uniq(6)}`, ...body } });
  return expectOk(res, 201);
}

/** Creates a label in workspace wid; returns its data. */
export async function createLabel(base, token, wid, body = {}) {
  const res = await api(base, 'POST', `/workspaces/${wid}/labels`, { token, body: { name: `label-${uniq(6)}`, color: '#3366cc', ...body } });
  return expectOk(res, 201);
}

/** Creates a channel in workspace wid; returns its data. */
export async function createChannel(base, token, wid, body = {}) {
  const res = await api(base, 'POST', `/workspaces/${wid}/channels`, { token, body: { name: `chan-${uniq(8)}`, ...body } });
  return expectOk(res, 201);
}

/** Posts a message to channel cid; returns its data. */
export async function postMessage(base, token, cid, content = `Message ${uniq(6)}`) {
  const res = await api(base, 'POST', `/channels/${cid}/messages`, { token, body: { content } });
  return expectOk(res, 201);
}

/** The caller's unread notification count. */
export async function unreadCount(base, token) {
  const d = expectOk(await api(base, 'GET', '/notifications/unread-count', { token }));
  assert.ok(Number.isInteger(d.count), `unread-count {count}: ${JSON.stringify(d)}`);
  return d.count;
}

/**
 * Every item of a page-numbered list (GET path?...&page=n&limit=100), in the
 * order the server gives them; asserts the meta of each page.
 */
export async function listAllPages(base, token, p, limit = 100) {
  const out = [];
  const sep = p.includes('?') ? '&' : '?';
  for (let page = 1; page < 1000; page++) {
    const res = await api(base, 'GET', `${p}${sep}page=${page}&limit=${limit}`, { token });
    const data = expectOk(res);
    assert.ok(Array.isArray(data), `array expected: ${fmtRes(res)}`);
    const m = res.json.meta;
    assert.ok(m && m.page === page && m.limit === limit, `page meta: ${fmtRes(res)}`);
    out.push(...data);
    if (!m.hasNext) break;
  }
  return out;
}

/** Asserts that the response text contains none of the given strings. */
export function assertNoLeak(res, secrets, what = '') {
  for (const s of secrets) {
    if (s === undefined || s === null || s === '') continue;
    assert.ok(!res.text.includes(String(s)), `${what} response leaks ${s}: ${fmtRes(res)}`);
  }
}
