// Shared pieces of the web app's browser tests: the skip reason when Chromium
// or the built app is missing, the server options, a team fixture made through
// the API, pages signed in by token (no login form round trip), geometry
// checks and axe-core.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from './server.mjs';
import { api, createChannel, createProject, createTask, createWorkspace, expectOk, invite, addMember, registerUser, uniq } from './api.mjs';
import { haveChromium, launchBrowser, newPage } from './browser.mjs';
import { serverSuite } from './suite.mjs';

export const WEB_ROOT = process.env.VIBED_WEB_ROOT || path.join(REPO_ROOT, 'web', 'dist');
export const missing = !haveChromium() ? 'chromium is not installed (bash scripts/install-deps.sh browser)'
  : !existsSync(path.join(WEB_ROOT, 'index.html')) ? `no web app built in ${WEB_ROOT} (cd web && npm ci && npm run build)` : null;
export const opts = missing ? { skip: missing } : {};
export const serverArgs = { args: ['--web-root', WEB_ROOT] };
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };

/** Two users in one workspace with a project, some tasks and #general. */
export async function team(base) {
  const s = uniq(6);
  const a = await registerUser(base, { firstName: 'Alice', lastName: 'Demo', email: `alice.${s}@example.com` });
  const b = await registerUser(base, { firstName: 'Bob', lastName: 'Demo', email: `bob.${s}@example.com` });
  const ws = await createWorkspace(base, a.accessToken, { name: 'Acme Product Team Workspace' });
  await addMember(base, a.accessToken, ws.id, b);
  const project = await createProject(base, a.accessToken, ws.id, { name: 'Website', key: 'WEB' });
  const tasks = [];
  for (const [title, status, priority] of [['Write the landing copy', 'todo', 'high'], ['Set up hosting', 'in-progress', 'critical'],
    ['Review the sign-up flow', 'review', 'low'], ['Register the domain', 'done', 'none']]) {
    tasks.push(await createTask(base, a.accessToken, project.id, { title, status, priority }));
  }
  const channel = await createChannel(base, a.accessToken, ws.id, { name: 'general', type: 'public' });
  return { a, b, ws, project, tasks, channel };
}

/**
 * A file's setup for two users in a browser: a server with the web app (plus
 * options.server: env, args), one Chromium and the team fixture, then
 * options.setup(suite) if given, all in one before hook (node:test does not
 * order a file's root hooks one after the other). Returns the suite
 * { ctx, fx, pages, open }: fx is filled in once the fixture exists, pages
 * holds every page opened (for the final check of their errors), and
 * open(user, path, options) is openAs on this server.
 */
export function teamSuite({ server = {}, setup } = {}) {
  const s = { ctx: missing ? null : serverSuite({ ...serverArgs, ...server }), browser: null, fx: {}, pages: [] };
  s.open = async (user, where, o) => {
    const r = await openAs(s.browser, s.ctx.url, user, where, o);
    s.pages.push(r.page);
    return r;
  };
  before(async () => {
    if (missing) return;
    s.browser = await launchBrowser();
    Object.assign(s.fx, await team(s.ctx.url));
    if (setup) await setup(s);
  });
  after(async () => {
    if (s.browser) await s.browser.close();
  });
  return s;
}

/**
 * A page signed in as user (the session put in localStorage before the app
 * starts), at path. options: viewport, timezoneId, colorScheme.
 */
export async function openAs(browser, base, user, where = '/', { viewport = DESKTOP, timezoneId, colorScheme } = {}) {
  const context = await browser.newContext({ baseURL: base, viewport, timezoneId, colorScheme });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) page.errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.errors.push(`pageerror: ${err.stack || err.message}`));
  if (user) {
    const session = { accessToken: user.accessToken, refreshToken: user.refreshToken, user: user.user };
    await context.addInitScript((s) => {
      if (!localStorage.getItem('vibed.session')) localStorage.setItem('vibed.session', s);
    }, JSON.stringify(session));
  }
  await page.goto(where);
  return { context, page };
}
export { newPage };

/** Asserts the element's box lies inside the viewport (1 px tolerance). */
export async function assertInViewport(page, locator, what) {
  const box = await locator.boundingBox();
  assert.ok(box, `${what}: visible`);
  const vp = page.viewportSize();
  const msg = `${what} inside ${vp.width}x${vp.height}: ${JSON.stringify(box)}`;
  assert.ok(box.x >= -1 && box.y >= -1, msg);
  assert.ok(box.x + box.width <= vp.width + 1, msg);
  assert.ok(box.y + box.height <= vp.height + 1, msg);
}

/** Page wider than the screen, in px (0 when it fits). */
export async function overflowX(page) {
  return page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth);
}

const require = createRequire(import.meta.url);
let axeSource = null;
/** Runs axe-core (WCAG 2.1 A and AA) on the page; returns serious and critical violations. */
export async function axeSerious(page, include) {
  if (!axeSource) axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  if (include) await page.locator(include).first().waitFor();
  const res = await page.evaluate(async (sel) => window.axe.run(sel ? document.querySelector(sel) : document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }), include || null);
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)}`).join(' | ')}`);
}

/** Tasks of the project, via the API. */
export async function tasksOf(base, token, pid) {
  return expectOk(await api(base, 'GET', `/projects/${pid}/tasks?limit=100`, { token }));
}
