// The web app on a phone (390x844): no page is wider than the screen, and
// every dialog and panel (task detail, new and edit task, notifications, new
// workspace, new project, channel list, one's own chat messages with their
// Edit/Delete) lies inside the viewport. Screenshots of the board, a task
// dialog, chat and the notifications panel go to artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './lib/server.mjs';
import { serverEndChecks } from './lib/suite.mjs';
import { api, createComment, expectOk, postMessage } from './lib/api.mjs';
import { screenshot } from './lib/browser.mjs';
import { assertInViewport, missing, opts, overflowX, PHONE, teamSuite } from './lib/webapp.mjs';

let page;
const { ctx, fx, open } = teamSuite({
  setup: async () => {
    await createComment(ctx.url, fx.b.accessToken, fx.tasks[0].id, { body: `@${fx.a.email.split('@')[0]} can you check the copy?` });
    ({ page } = await open(fx.a, `/w/${fx.ws.id}/board/${fx.project.id}`, { viewport: PHONE }));
  },
});

test('board: the page fits the screen; workspace name and Members link are reachable', opts, async () => {
  await page.locator('.task-card').first().waitFor();
  assert.ok((await overflowX(page)) <= 0, `board page wider than 390 px by ${await overflowX(page)} px`);
  await assertInViewport(page, page.locator('#ws-select'), 'workspace switcher');
  const members = page.getByRole('link', { name: /Members/ });
  await members.scrollIntoViewIfNeeded();
  await assertInViewport(page, members, 'Members link');
  await assertInViewport(page, page.getByRole('link', { name: 'vibed', exact: true }), 'logo link');
  await screenshot(page, 'phone-board');
});

test('task dialog, edit dialog and new task dialog lie inside the viewport', opts, async () => {
  await page.locator(`.task-card[data-id="${fx.tasks[0].id}"] .card-title`).click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByTestId('task-history').waitFor();
  await assertInViewport(page, dialog, 'task dialog');
  await assertInViewport(page, dialog.getByRole('button', { name: 'Close' }), 'its close button');
  await screenshot(page, 'phone-task-dialog');
  await dialog.getByRole('button', { name: 'Edit' }).click();
  await page.locator('dialog[open]').getByLabel('Title').waitFor();
  await assertInViewport(page, page.locator('dialog[open]'), 'edit dialog');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'New task' }).click();
  await assertInViewport(page, page.locator('dialog[open]'), 'new task dialog');
  await page.keyboard.press('Escape');
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  assert.ok((await overflowX(page)) <= 0, 'still fits');
});

test('notifications panel lies inside the viewport', opts, async () => {
  await page.getByRole('button', { name: /Notifications/ }).click();
  const panel = page.getByTestId('notifications-panel');
  await panel.locator('.notif-item').first().waitFor();
  await assertInViewport(page, panel, 'notifications panel');
  await screenshot(page, 'phone-notifications');
  await page.keyboard.press('Escape');
});

test('new workspace and new project dialogs lie inside the viewport', opts, async () => {
  await page.getByRole('button', { name: 'New workspace' }).click();
  await assertInViewport(page, page.locator('dialog[open]'), 'new workspace dialog');
  await page.keyboard.press('Escape');
  await page.goto(`/w/${fx.ws.id}/projects`);
  await page.getByRole('button', { name: 'New project' }).click();
  await assertInViewport(page, page.locator('dialog[open]'), 'new project dialog');
  await page.keyboard.press('Escape');
  for (const p of ['', '/projects', '/members', '/settings']) {
    await page.goto(`/w/${fx.ws.id}${p}`);
    await page.locator('main h1').first().waitFor();
    assert.ok((await overflowX(page)) <= 0, `${p || 'dashboard'} wider than the screen by ${await overflowX(page)} px`);
  }
});

test('chat: own messages keep their text readable with Edit and Delete inside the screen', opts, async () => {
  await postMessage(ctx.url, fx.a.accessToken, fx.channel.id, 'A fairly long message of my own to see how it wraps next to the actions');
  await postMessage(ctx.url, fx.b.accessToken, fx.channel.id, 'Looks good on my phone https://example.com/preview');
  await page.goto(`/w/${fx.ws.id}/chat/${fx.channel.id}`);
  const own = page.locator('.msg.own').first();
  await own.waitFor();
  assert.ok((await overflowX(page)) <= 0, `chat wider than the screen by ${await overflowX(page)} px`);
  await assertInViewport(page, own.getByRole('button', { name: 'Edit message' }), 'Edit');
  await assertInViewport(page, own.getByRole('button', { name: 'Delete message' }), 'Delete');
  const text = await own.locator('.msg-text').boundingBox();
  assert.ok(text.width >= 250, `own message text has room (${text.width} px)`);
  await assertInViewport(page, page.getByLabel('Message #general'), 'composer');
  await screenshot(page, 'phone-chat');
});

test('no console errors', opts, async () => {
  assert.deepEqual(page.errors, [], page.errors.join('\n'));
});

if (!missing) serverEndChecks(ctx);
