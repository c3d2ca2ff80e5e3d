// The web app in a real browser (headless Chromium via playwright-core)
// against the real binary serving web/dist: registration and sign-in, a
// session that survives a reload, two users in two browser contexts seeing
// each other's board moves on the live dashboard, typing and messages in
// chat, and online dots. Every page must finish without console errors.
// Screenshots go to artifacts/ (board, chat, dashboard; desktop and phone).
//
// Needs /usr/bin/chromium (`bash scripts/install-deps.sh browser`) and a
// built web app (`cd web && npm ci && npm run build`); scripts/test.sh does
// both. Without them the file skips with a message saying what is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, waitFor } from './lib/server.mjs';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, createChannel, createProject, createTask, createWorkspace, expectOk, addMember, registerUser, uniq } from './lib/api.mjs';
import { haveChromium, launchBrowser, newPage, screenshot, signInUI } from './lib/browser.mjs';

const WEB_ROOT = process.env.VIBED_WEB_ROOT || path.join(REPO_ROOT, 'web', 'dist');
const missing = !haveChromium() ? 'chromium is not installed (bash scripts/install-deps.sh browser)'
  : !existsSync(path.join(WEB_ROOT, 'index.html')) ? `no web app built in ${WEB_ROOT} (cd web && npm ci && npm run build)` : null;
const opts = missing ? { skip: missing } : {};

const ctx = missing ? null : serverSuite({ args: ['--web-root', WEB_ROOT] });
let browser;
const pages = [];
const fx = {}; // fixtures: users, workspace, project, tasks, channel

async function open(user, viewport) {
  const { context, page } = await newPage(browser, ctx.url, viewport);
  pages.push(page);
  if (user) {
    await signInUI(page, user.email, user.password);
  }
  return { context, page };
}

before(async () => {
  if (missing) return;
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

test('the server answers / with the app, hashed assets with long caching and 304 on ETag', opts, async () => {
  const res = await fetch(`${ctx.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  const html = await res.text();
  const js = /src="(\/assets\/app-[^"]+\.js)"/.exec(html);
  assert.ok(js, 'index.html references the hashed app bundle');
  const asset = await fetch(`${ctx.url}${js[1]}`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type'), /javascript/);
  assert.match(asset.headers.get('cache-control'), /max-age=31536000/);
  const again = await fetch(`${ctx.url}${js[1]}`, { headers: { 'If-None-Match': asset.headers.get('etag') } });
  assert.equal(again.status, 304);
  const spa = await fetch(`${ctx.url}/w/some/board/route`, { headers: { Accept: 'text/html' } });
  assert.equal(spa.status, 200);
  assert.equal(await spa.text(), html);
  assert.equal((await fetch(`${ctx.url}/assets/missing.js`)).status, 404);
  assert.equal((await fetch(`${ctx.url}/../../etc/passwd`, { headers: { Accept: 'application/json' } })).status, 404);
});

test('register in the browser, sign out, sign in again', opts, async () => {
  const s = uniq(8);
  const a = { email: `ann-${s}@example.com`, password: `Pw-${s}-ann`, firstName: 'Ann', lastName: 'Archer' };
  const { page } = await open(null);
  await page.goto('/register');
  await page.getByLabel('First name').fill(a.firstName);
  await page.getByLabel('Last name').fill(a.lastName);
  await page.getByLabel('Email').fill(a.email);
  await page.getByLabel('Password').fill(a.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Welcome to vibed' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signInUI(page, a.email, a.password);
  await page.getByRole('heading', { name: 'Welcome to vibed' }).waitFor();
  await page.context().close();

  // Fixtures for the two-user tests, through the API.
  const login = expectOk(await api(ctx.url, 'POST', '/auth/login', { body: { email: a.email, password: a.password } }));
  fx.a = { ...a, ...login };
  fx.b = await registerUser(ctx.url, { firstName: 'Ben', lastName: 'Baker' });
  const t = fx.a.accessToken;
  fx.ws = await createWorkspace(ctx.url, t, { name: 'Rocket Team' });
  await addMember(ctx.url, t, fx.ws.id, fx.b);
  fx.project = await createProject(ctx.url, t, fx.ws.id, { name: 'Launch Site', key: 'LS' });
  fx.tasks = [];
  const specs = [
    ['Write the landing copy', 'todo', 'high'], ['Pick the colour palette', 'todo', 'medium'],
    ['Set up hosting', 'in-progress', 'critical'], ['Review the sign-up flow', 'review', 'low'],
    ['Register the domain', 'done', 'none'],
  ];
  for (const [title, status, priority] of specs) {
    fx.tasks.push(await createTask(ctx.url, t, fx.project.id, { title, status, priority, assigneeIds: [fx.a.user.id] }));
  }
  fx.channel = await createChannel(ctx.url, t, fx.ws.id, { name: 'general', type: 'public' });
});

test('a reload keeps the session', opts, async () => {
  const { page, context } = await open(fx.a);
  await page.goto(`/w/${fx.ws.id}`);
  await page.getByRole('heading', { name: 'Rocket Team' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Rocket Team' }).waitFor();
  assert.ok(!page.url().includes('/login'), `still signed in after a reload (at ${page.url()})`);
  // Close once the chat socket is up: a socket dropped mid-handshake (still
  // long-polling) only times out on the server after the ping timeout, and
  // would keep A "online" for the presence test below.
  await page.locator('[data-testid="connection-state"].ok').waitFor({ timeout: 10000 });
  await context.close();
});

test('A moves a card to done; B\'s dashboard chart and completion rate follow live', opts, async () => {
  const { page: pa } = await open(fx.a);
  const { page: pb } = await open(fx.b);
  await pb.goto(`/w/${fx.ws.id}`);
  const rate = pb.getByTestId('completion-rate');
  await waitFor(async () => (await rate.textContent()) === '20%', { what: "B's completion rate 20%", timeoutMs: 10000 });
  const doneBar = pb.locator('[data-testid="status-chart"] g[data-status="done"]');
  assert.equal(await doneBar.getAttribute('data-count'), '1');
  await pb.evaluate(() => { window.__noReload = true; });

  await pa.goto(`/w/${fx.ws.id}/board/${fx.project.id}`);
  const card = pa.locator('.task-card[data-key="LS-1"]');
  await card.waitFor();
  await card.dragTo(pa.locator('.column[data-status="done"] .cards'));
  await pa.locator('.column[data-status="done"] .task-card[data-key="LS-1"]').waitFor();

  await waitFor(async () => (await rate.textContent()) === '40%', { what: "B's completion rate 40%", timeoutMs: 10000 });
  await waitFor(async () => (await doneBar.getAttribute('data-count')) === '2', { what: "B's done bar at 2" });
  assert.equal(await pb.evaluate(() => window.__noReload), true, "B's page was not reloaded");
  const task = expectOk(await api(ctx.url, 'GET', `/tasks/${fx.tasks[0].id}`, { token: fx.a.accessToken }));
  assert.equal(task.status, 'done');

  // The keyboard way: the card's menu moves LS-2 right (to in-progress).
  await pa.getByRole('button', { name: 'Actions for LS-2' }).click();
  await pa.getByRole('button', { name: 'Move right →' }).click();
  await pa.locator('.column[data-status="in-progress"] .task-card[data-key="LS-2"]').waitFor();
  await waitFor(async () => expectOk(await api(ctx.url, 'GET', `/tasks/${fx.tasks[1].id}`, { token: fx.a.accessToken })).status === 'in-progress',
    { what: 'LS-2 in progress on the server' });
  await pa.getByRole('button', { name: 'Actions for LS-2' }).click();
  await pa.getByRole('button', { name: '← Move left' }).click();
  await pa.locator('.column[data-status="todo"] .task-card[data-key="LS-2"]').waitFor();

  await waitFor(async () => (await rate.textContent()) === '40%', { what: 'rate settles' });
  await screenshot(pa, 'board');
  await waitFor(async () => (await pb.locator('.feed li').count()) >= 3, { what: 'activity feed' });
  await screenshot(pb, 'dashboard');

  // Phone width: the same pages stay usable.
  await pa.setViewportSize({ width: 375, height: 780 });
  await screenshot(pa, 'board-phone');
  await pb.setViewportSize({ width: 375, height: 780 });
  await screenshot(pb, 'dashboard-phone');
  const overflow = await pb.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `dashboard fits 375 px (overflow ${overflow} px)`);
  fx.pa = pa;
  fx.pb = pb;
});

test('chat: B sees A typing, then A\'s message exactly once; edit and delete own messages', opts, async () => {
  const { pa, pb } = fx;
  await pa.setViewportSize({ width: 1366, height: 860 });
  await pb.setViewportSize({ width: 1366, height: 860 });
  await pb.goto(`/w/${fx.ws.id}/chat/${fx.channel.id}`);
  await pa.goto(`/w/${fx.ws.id}/chat/${fx.channel.id}`);
  await pa.getByTestId('chat-state').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
  await pb.getByTestId('chat-state').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });

  const input = pa.getByLabel('Message #general');
  const typing = pb.getByTestId('typing');
  // Joining is asynchronous: keep typing until B's indicator shows A.
  await waitFor(async () => {
    await input.type('x');
    return (await typing.textContent()).includes('Ann Archer is typing');
  }, { what: "B sees 'Ann Archer is typing…'", timeoutMs: 10000, intervalMs: 300 });
  await input.fill('');

  const first = `Hello Ben, the board is ready ${uniq(4)}`;
  await input.fill(first);
  await input.press('Enter');
  await pb.locator('.msg-text', { hasText: first }).first().waitFor();
  await waitFor(async () => (await typing.textContent()) === '', { what: 'typing indicator cleared' });
  // A second message marks the point by which any duplicate of the first would have arrived.
  const second = `And chat works too ${uniq(4)}`;
  await input.fill(second);
  await input.press('Enter');
  await pb.locator('.msg-text', { hasText: second }).first().waitFor();
  assert.equal(await pb.locator('.msg-text', { hasText: first }).count(), 1, 'B sees the first message once');
  await waitFor(async () => (await pa.locator('[data-pending="true"]').count()) === 0, { what: "A's outbox empty" });
  assert.equal(await pa.locator('.msg-text', { hasText: first }).count(), 1, 'A sees the first message once');

  const reply = `Thanks Ann! ${uniq(4)}`;
  await pb.getByLabel('Message #general').fill(reply);
  await pb.getByRole('button', { name: 'Send' }).click();
  await pa.locator('.msg-text', { hasText: reply }).waitFor();

  // A edits the second message; B sees the edit.
  const own = pa.locator('.msg', { hasText: second });
  await own.hover();
  await own.getByRole('button', { name: 'Edit message' }).click();
  await pa.getByLabel('Edit message').fill(`${second} (fixed)`);
  await pa.getByLabel('Edit message').press('Enter');
  await pb.locator('.msg-text', { hasText: `${second} (fixed)` }).waitFor();
  await screenshot(pb, 'chat');

  const history = expectOk(await api(ctx.url, 'GET', `/channels/${fx.channel.id}/messages?limit=50`, { token: fx.a.accessToken }));
  assert.equal(history.filter((m) => m.content === first).length, 1, 'the first message was stored once');
});

test('B\'s online dot for A goes away when A closes the page', opts, async () => {
  const { pa, pb } = fx;
  await pb.goto(`/w/${fx.ws.id}/members`);
  const aRow = pb.locator(`.members li[data-user-id="${fx.a.user.id}"]`);
  await waitFor(async () => (await aRow.getAttribute('data-online')) === 'true', { what: 'A online for B', timeoutMs: 10000 });
  await screenshot(pb, 'members');
  assert.deepEqual(pa.errors, [], `no console errors on A's page:\n${pa.errors.join('\n')}`);
  await pa.context().close();
  await waitFor(async () => (await aRow.getAttribute('data-online')) === 'false', { what: 'A offline for B', timeoutMs: 15000 });
});

test('an invitation sent from the members page waits for the invitee, who accepts it', opts, async () => {
  const c = await registerUser(ctx.url, { firstName: 'Cleo', lastName: 'Cole' });
  const { page: pa } = await open(fx.a);
  await pa.goto(`/w/${fx.ws.id}/members`);
  await pa.getByLabel('Email').fill(c.email);
  await pa.getByRole('button', { name: 'Invite', exact: true }).click();
  await pa.getByText(`Invitation sent to ${c.email}`).waitFor();
  assert.equal(await pa.locator(`.members li[data-user-id="${c.user.id}"]`).count(), 0, 'not a member before accepting');

  const { page: pc } = await open(c);
  const box = pc.getByTestId('invitations');
  await box.getByText('Rocket Team').waitFor();
  await screenshot(pc, 'invitations');
  await box.getByRole('button', { name: 'Accept' }).click();
  await pc.getByRole('heading', { name: 'Rocket Team' }).waitFor();
  await waitFor(async () => (await pc.getByTestId('invitations').count()) === 0, { what: 'the list empties' });
  const members = expectOk(await api(ctx.url, 'GET', `/workspaces/${fx.ws.id}/members?limit=100`, { token: c.accessToken }));
  assert.ok(members.some((m) => m.userId === c.user.id), 'a member after accepting');
});

test('no console errors or uncaught exceptions on any page', opts, async () => {
  const errors = pages.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], `browser errors:\n${errors.join('\n')}`);
});

if (!missing) serverEndChecks(ctx);
