// Chat in two browsers: Shift+Enter adds a line and Enter sends; links are
// clickable and @mentions highlighted; a channel that is not open counts its
// unread messages; direct messages start from the member list and reach the
// other person only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './lib/server.mjs';
import { serverEndChecks } from './lib/suite.mjs';
import { api, createChannel, expectOk, invite, addMember, postMessage, registerUser } from './lib/api.mjs';
import { missing, opts, teamSuite } from './lib/webapp.mjs';

let pa;
let pb;
const { ctx, fx, open } = teamSuite({
  setup: async () => {
    fx.random = await createChannel(ctx.url, fx.a.accessToken, fx.ws.id, { name: 'random', type: 'public' });
    ({ page: pa } = await open(fx.a, `/w/${fx.ws.id}/chat/${fx.channel.id}`));
    ({ page: pb } = await open(fx.b, `/w/${fx.ws.id}/chat/${fx.channel.id}`));
    for (const p of [pa, pb]) await p.getByTestId('chat-state').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
  },
});

test('Shift+Enter adds a line, Enter sends; the other user sees both lines', opts, async () => {
  const box = pa.getByLabel('Message #general');
  await box.fill('first line');
  await box.press('Shift+Enter');
  await box.type('second line');
  assert.equal(await box.inputValue(), 'first line\nsecond line', 'not sent by Shift+Enter');
  await box.press('Enter');
  const m = pb.locator('.msg-text', { hasText: 'second line' });
  await m.waitFor();
  assert.equal(await m.locator('br').count(), 1, 'shown on two lines');
  assert.equal(await box.inputValue(), '');
  const stored = expectOk(await api(ctx.url, 'GET', `/channels/${fx.channel.id}/messages?limit=10`, { token: fx.a.accessToken }));
  assert.ok(stored.some((x) => x.content === 'first line\nsecond line'), 'one message with a newline');
});

test('links are clickable and @mentions highlighted; HTML stays text', opts, async () => {
  const handle = fx.b.email.split('@')[0];
  await postMessage(ctx.url, fx.a.accessToken, fx.channel.id, `see https://example.com/spec?a=1 for @${handle} <b>not bold</b>`);
  const m = pb.locator('.msg-text', { hasText: 'see ' }).last();
  await m.waitFor();
  const a = m.locator('a');
  assert.equal(await a.getAttribute('href'), 'https://example.com/spec?a=1');
  assert.equal(await a.getAttribute('target'), '_blank');
  assert.equal(await m.locator('.mention').textContent(), `@${handle}`);
  assert.equal(await m.locator('b').count(), 0);
  assert.match(await m.textContent(), /<b>not bold<\/b>/);
});

test('a channel that is not open shows its unread count, cleared when opened', opts, async () => {
  const link = pb.locator('.channel-link[data-channel="random"]');
  await link.waitFor();
  await postMessage(ctx.url, fx.a.accessToken, fx.random.id, 'over here 1');
  await postMessage(ctx.url, fx.a.accessToken, fx.random.id, 'over here 2');
  const count = link.getByTestId('channel-unread');
  await waitFor(async () => (await count.count()) && (await count.textContent()) === '2', { what: 'random: 2 unread' });
  await link.click();
  await pb.locator('.msg-text', { hasText: 'over here 2' }).waitFor();
  await waitFor(async () => (await count.count()) === 0, { what: 'unread cleared' });
  // A reload keeps what was read.
  await pb.goto(`/w/${fx.ws.id}/chat/${fx.channel.id}`);
  await pb.locator('.channel-link[data-channel="random"]').waitFor();
  await pb.locator('.msg-text').first().waitFor();
  assert.equal(await pb.locator('.channel-link[data-channel="random"] [data-testid="channel-unread"]').count(), 0);
});

test('direct messages: A starts one with Bob, Bob gets it, a third member does not see it', opts, async () => {
  await pa.getByRole('button', { name: 'New direct message' }).click();
  await pa.locator('.dm-pick').getByRole('button', { name: /Bob Demo/ }).click();
  await pa.locator('.chat-head h2', { hasText: 'Bob Demo' }).waitFor();
  const box = pa.getByLabel('Message Bob Demo');
  await box.fill('just between us');
  await box.press('Enter');
  await pa.locator('.msg-text', { hasText: 'just between us' }).waitFor();
  const dmLink = pb.locator('.channel-link', { hasText: 'Alice Demo' });
  await pb.reload();
  await dmLink.waitFor();
  await dmLink.click();
  await pb.locator('.msg-text', { hasText: 'just between us' }).waitFor();
  // Opening the same conversation again does not make a second one.
  await pa.getByRole('button', { name: 'New direct message' }).click();
  await pa.locator('.dm-pick').getByRole('button', { name: /Bob Demo/ }).click();
  await pa.locator('.msg-text', { hasText: 'just between us' }).waitFor();
  const chans = expectOk(await api(ctx.url, 'GET', `/workspaces/${fx.ws.id}/channels?limit=100`, { token: fx.a.accessToken }));
  assert.equal(chans.filter((c) => c.type === 'direct').length, 1);
  const carl = await registerUser(ctx.url, { firstName: 'Carl', lastName: 'Third' });
  await addMember(ctx.url, fx.a.accessToken, fx.ws.id, carl);
  const his = expectOk(await api(ctx.url, 'GET', `/workspaces/${fx.ws.id}/channels?limit=100`, { token: carl.accessToken }));
  assert.equal(his.filter((c) => c.type === 'direct').length, 0, 'not listed for a third member');
});

test('our own message is on screen once while its ack is still on the way', opts, async () => {
  // The server's acks are held back in the browser's WebSocket; its
  // broadcasts go through, so the message:new echo arrives first.
  const { page } = await open(fx.a, `/w/${fx.ws.id}/chat/${fx.random.id}`);
  let holding = true;
  let client = null;
  const held = [];
  await page.routeWebSocket(/\/ws\/\?/, (ws) => {
    client = ws;
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => {
      if (holding && typeof m === 'string' && /^43\/chat,\d+\[/.test(m)) held.push(m);
      else ws.send(m);
    });
  });
  await page.reload();
  await page.getByTestId('chat-state').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
  const box = page.getByLabel('Message #random');
  await box.fill('echo before ack');
  await box.press('Enter');
  await page.locator('li.msg:not(.pending) .msg-text', { hasText: 'echo before ack' }).waitFor();
  await waitFor(() => held.length > 0, { what: 'the ack held back' });
  const copies = page.locator('.msg-text', { hasText: 'echo before ack' });
  await waitFor(async () => (await copies.count()) === 1, { what: 'one copy on screen, not a pending one beside it', timeoutMs: 3000 });
  // The ack now arrives: the outbox empties and the message stays on screen once.
  holding = false;
  for (const m of held.splice(0)) client.send(m);
  await waitFor(async () => (await page.locator('li.msg.pending').count()) === 0, { what: 'the outbox emptied by the ack' });
  await waitFor(() => page.evaluate(() => (localStorage.getItem('vibed.outbox') || '[]') === '[]'), { what: 'the stored outbox emptied' });
  assert.equal(await copies.count(), 1);
  const stored = expectOk(await api(ctx.url, 'GET', `/channels/${fx.random.id}/messages?limit=10`, { token: fx.a.accessToken }));
  assert.equal(stored.filter((x) => x.content === 'echo before ack').length, 1, 'stored once');
  assert.deepEqual(page.errors, [], page.errors.join('\n'));
});

test('no console errors', opts, async () => {
  const errors = [...pa.errors, ...pb.errors];
  assert.deepEqual(errors, [], errors.join('\n'));
});

if (!missing) serverEndChecks(ctx);
