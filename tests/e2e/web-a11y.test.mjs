// Accessibility: axe-core (WCAG 2.1 A and AA) on every page and dialog, on a
// desktop and on a phone, light and dark: zero serious or critical
// violations (colour contrast, names of links and buttons, headings, ...).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverEndChecks } from './lib/suite.mjs';
import { createComment, createTask, postMessage } from './lib/api.mjs';
import { axeSerious, DESKTOP, missing, opts, PHONE, teamSuite } from './lib/webapp.mjs';

const { ctx, fx, open } = teamSuite({
  setup: async () => {
    await createTask(ctx.url, fx.a.accessToken, fx.project.id, { title: 'Sub', parentTaskId: fx.tasks[0].id, dueDate: '2020-01-02' });
    await createComment(ctx.url, fx.b.accessToken, fx.tasks[0].id, { body: `**Note** for @${fx.a.email.split('@')[0]}: see https://example.com` });
    await postMessage(ctx.url, fx.b.accessToken, fx.channel.id, `hello @${fx.a.email.split('@')[0]} https://example.com`);
    await postMessage(ctx.url, fx.a.accessToken, fx.channel.id, 'my own message');
  },
});

async function check(page, what, include) {
  const v = await axeSerious(page, include);
  assert.deepEqual(v, [], `${what}:\n${v.join('\n')}`);
}

for (const [name, viewport, colorScheme] of [['desktop', DESKTOP, 'light'], ['phone', PHONE, 'light'], ['desktop dark', DESKTOP, 'dark']]) {
  test(`axe on every page and dialog (${name})`, { ...opts, timeout: 120000 }, async () => {
    const { page: login, context: c0 } = await open(null, '/login', { viewport, colorScheme });
    await login.getByRole('heading', { name: 'Sign in' }).waitFor();
    await check(login, 'sign-in page');
    await login.goto('/register');
    await login.getByRole('heading', { name: 'Create your account' }).waitFor();
    await check(login, 'register page');
    await c0.close();

    const { page, context } = await open(fx.a, `/w/${fx.ws.id}`, { viewport, colorScheme });
    await page.getByRole('heading', { name: fx.ws.name }).waitFor();
    await page.getByTestId('status-chart').waitFor();
    await check(page, 'dashboard');
    await page.getByRole('button', { name: /Notifications/ }).click();
    await page.locator('.notif-item').first().waitFor();
    await check(page, 'notifications panel');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'New workspace' }).click();
    await check(page, 'new workspace dialog', 'dialog[open]');
    await page.keyboard.press('Escape');

    await page.goto(`/w/${fx.ws.id}/board/${fx.project.id}`);
    await page.locator('.task-card').first().waitFor();
    await check(page, 'board');
    await page.getByRole('button', { name: `Actions for ${fx.tasks[1].key}` }).click();
    await check(page, 'card menu');
    await page.keyboard.press('Escape');
    await page.locator(`.task-card[data-id="${fx.tasks[0].id}"] .card-title`).click();
    await page.locator('dialog[open] .comments li').first().waitFor();
    await check(page, 'task dialog', 'dialog[open]');
    await page.locator('dialog[open]').getByRole('button', { name: 'Edit' }).click();
    await page.locator('dialog[open]').getByLabel('Title').waitFor();
    await check(page, 'edit task dialog', 'dialog[open]');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'New task' }).click();
    await check(page, 'new task dialog', 'dialog[open]');
    await page.keyboard.press('Escape');

    await page.goto(`/w/${fx.ws.id}/chat/${fx.channel.id}`);
    await page.locator('.msg-text').first().waitFor();
    await page.getByTestId('chat-state').filter({ hasText: 'Connected' }).waitFor({ timeout: 10000 });
    await check(page, 'chat');
    assert.equal(await page.locator('h1').count(), 1, 'chat has an h1');
    await page.getByRole('button', { name: 'New direct message' }).click();
    await check(page, 'direct message picker');

    for (const [p, heading] of [['/projects', 'Projects'], ['/members', 'Members'], ['/settings', 'Settings']]) {
      await page.goto(`/w/${fx.ws.id}${p}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      await check(page, `${heading} page`);
    }
    await page.goto(`/w/${fx.ws.id}/projects`);
    await page.getByRole('button', { name: 'New project' }).click();
    await check(page, 'new project dialog', 'dialog[open]');
    await context.close();
  });
}

if (!missing) serverEndChecks(ctx);
