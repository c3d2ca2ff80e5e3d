// Attachments in the web app (headless Chromium via playwright-core): the
// task dialog attaches a file with the button (upload progress, then the
// list), downloads it under its name and deletes it. Skips like
// browser.test.mjs when chromium or the built web app is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './lib/server.mjs';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import { api, createProject, createTask, createWorkspace, expectOk, registerUser } from './lib/api.mjs';
import { haveChromium, launchBrowser, newPage, signInUI } from './lib/browser.mjs';

const WEB_ROOT = process.env.VIBED_WEB_ROOT || path.join(REPO_ROOT, 'web', 'dist');
const missing = !haveChromium() ? 'chromium is not installed (bash scripts/install-deps.sh browser)'
  : !existsSync(path.join(WEB_ROOT, 'index.html')) ? `no web app built in ${WEB_ROOT} (cd web && npm ci && npm run build)` : null;
const opts = missing ? { skip: missing } : {};
const ctx = missing ? null : serverSuite({ args: ['--web-root', WEB_ROOT] });
let browser;

before(async () => { if (!missing) browser = await launchBrowser(); });
after(async () => { if (browser) await browser.close(); });

test('attach a file in the task dialog, see it listed, download it, delete it', opts, async () => {
  const user = await registerUser(ctx.url);
  const ws = await createWorkspace(ctx.url, user.accessToken, { name: 'Files UI' });
  const project = await createProject(ctx.url, user.accessToken, ws.id, { key: 'FUI' });
  const task = await createTask(ctx.url, user.accessToken, project.id, { title: 'With a file' });
  const { page } = await newPage(browser, ctx.url);
  await signInUI(page, user.email, user.password);
  await page.goto(`/w/${ws.id}/board/${project.id}?task=${task.id}`);
  const section = page.locator('section.attachments');
  await section.waitFor();
  const content = Buffer.from('hello from the browser\n'.repeat(1000));
  await section.locator('input[type=file]').setInputFiles({ name: 'notes ü.txt', mimeType: 'text/plain', buffer: content });
  const item = section.locator('.attachment-list li', { hasText: 'notes ü.txt' });
  await item.waitFor();
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/attachments`, { token: user.accessToken }));
  assert.equal(list.length, 1);
  assert.equal(list[0].size, content.length);

  const [download] = await Promise.all([page.waitForEvent('download'), item.getByRole('button', { name: 'notes ü.txt', exact: true }).click()]);
  assert.equal(download.suggestedFilename(), 'notes ü.txt');
  assert.ok(readFileSync(await download.path()).equals(content));

  page.once('dialog', (d) => d.accept());
  await item.getByRole('button', { name: 'Delete notes ü.txt' }).click();
  await item.waitFor({ state: 'detached' });
  assert.deepEqual(expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/attachments`, { token: user.accessToken })), []);
  assert.deepEqual(page.errors, []);
});

if (!missing) serverEndChecks(ctx);
