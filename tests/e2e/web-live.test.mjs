// Live behaviour in two browsers at once: a mention shows in the other user's
// bell within 1 s (pushed, no polling) and opens the task it is about; a
// message mention opens the message in its channel; a workspace one is
// invited to appears without a reload; the creator of a new workspace is
// online there at once; a new user without a workspace sees no "Partly live"
// warning; errors are worded for people.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './lib/server.mjs';
import { serverEndChecks } from './lib/suite.mjs';
import { api, createComment, expectOk, invite, postMessage, registerUser } from './lib/api.mjs';
import { missing, opts, teamSuite } from './lib/webapp.mjs';

const { ctx, fx, pages, open } = teamSuite();
const live = (page) => page.locator('[data-testid="connection-state"].ok').waitFor({ timeout: 10000 });

test("a chat mention reaches the other user's bell within 1 s and opens the message in its channel", opts, async () => {
  // A chat message writes no workspace activity: only a push can bring it this fast.
  const { page: pb } = await open(fx.b, `/w/${fx.ws.id}`);
  await live(pb);
  const badge = pb.getByTestId('unread-badge');
  const count = async () => ((await badge.count()) ? Number(await badge.textContent()) : 0);
  const before = await count();
  const t0 = Date.now();
  const msg = await postMessage(ctx.url, fx.a.accessToken, fx.channel.id, `hey @${fx.b.email.split('@')[0]} look here`);
  await waitFor(async () => (await count()) === before + 1, { what: 'the badge counts the mention', timeoutMs: 1000, intervalMs: 20 });
  const took = Date.now() - t0;
  assert.ok(took <= 1000, `arrived in ${took} ms`);
  await pb.getByRole('button', { name: /Notifications/ }).click();
  await pb.locator('.notif-item', { hasText: 'mentioned' }).first().click();
  await pb.waitForURL(new RegExp(`/chat/${fx.channel.id}\\?message=`));
  const id = msg.id || msg.messageId;
  await pb.locator(`.msg.highlight[data-message-id="${id}"]`).waitFor();
  // Read: the count drops back (pushed as notification:unread).
  await waitFor(async () => (await count()) === before, { what: 'the badge drops back' });
});

test('a mention in a comment opens its task', opts, async () => {
  const { page: pb } = await open(fx.b, `/w/${fx.ws.id}`);
  await live(pb);
  await createComment(ctx.url, fx.a.accessToken, fx.tasks[0].id, { body: `@${fx.b.email.split('@')[0]} please review` });
  await pb.getByTestId('unread-badge').waitFor({ timeout: 2000 });
  await pb.getByRole('button', { name: /Notifications/ }).click();
  await pb.locator('.notif-item', { hasText: 'mentioned you on' }).first().click();
  await pb.waitForURL(new RegExp(`/board/${fx.project.id}\\?task=${fx.tasks[0].id}`));
  await pb.locator('dialog[open]').waitFor();
});

test('an invitation appears without a reload and its workspace once accepted; its creator shows online there at once', opts, async () => {
  const cara = await registerUser(ctx.url, { firstName: 'Cara', lastName: 'Creator' });
  const { page: pc } = await open(cara, '/');
  await pc.getByRole('heading', { name: 'Welcome to vibed' }).waitFor();
  await live(pc);
  // No workspace yet: nothing is "partly" live.
  assert.doesNotMatch(await pc.getByTestId('connection-state').textContent(), /Partly/);

  const { page: pa } = await open(fx.a, `/w/${fx.ws.id}`);
  await live(pa);
  await pa.evaluate(() => { window.__noReload = true; });
  await pa.getByRole('button', { name: 'New workspace' }).click();
  await pa.locator('dialog[open]').getByLabel('Name').fill('Brand New Space');
  await pa.locator('dialog[open]').getByRole('button', { name: 'Create' }).click();
  await pa.getByRole('heading', { name: 'Brand New Space' }).waitFor();
  const wid = new URL(pa.url()).pathname.split('/')[2];
  await pa.goto(`/w/${wid}/members`);
  await pa.locator(`.members li[data-user-id="${fx.a.user.id}"][data-online="true"]`).waitFor({ timeout: 3000 });

  await pc.evaluate(() => { window.__noReload = true; });
  await invite(ctx.url, fx.a.accessToken, wid, cara.email);
  // The invitation is pushed: it shows without a reload, and accepting it
  // brings the workspace in.
  const inv = pc.getByTestId('invitations').locator('li', { hasText: 'Brand New Space' });
  await inv.waitFor({ timeout: 3000 });
  await inv.getByRole('button', { name: 'Accept' }).click();
  await pc.locator('#ws-select option', { hasText: 'Brand New Space' }).waitFor({ state: 'attached', timeout: 3000 });
  assert.equal(await pc.evaluate(() => window.__noReload), true, 'no reload');
});

test('errors in the user words: an empty title says what to do', opts, async () => {
  const { page } = await open(fx.a, `/w/${fx.ws.id}/board/${fx.project.id}`);
  await page.getByRole('button', { name: 'New task' }).click();
  const d = page.locator('dialog[open]');
  await d.getByLabel('Title').fill('   ');
  await d.getByRole('button', { name: 'Create task' }).click();
  const err = d.locator('.error');
  await err.waitFor();
  const text = await err.textContent();
  assert.match(text, /Title cannot be empty/, text);
  assert.doesNotMatch(text, /request body|characters/, text);
});

test('no console errors', opts, async () => {
  const errors = pages.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], errors.join('\n'));
});

if (!missing) serverEndChecks(ctx);
