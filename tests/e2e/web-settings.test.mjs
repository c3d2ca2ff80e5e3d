// The settings screen: one's name and password, the workspace's labels
// (create, rename, recolour, delete) and projects (rename, archive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './lib/server.mjs';
import { serverEndChecks } from './lib/suite.mjs';
import { api, expectOk } from './lib/api.mjs';
import { missing, opts, teamSuite } from './lib/webapp.mjs';

let page;
const { ctx, fx, open } = teamSuite({
  setup: async () => {
    ({ page } = await open(fx.a, `/w/${fx.ws.id}/settings`));
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  },
});

const labels = async () => expectOk(await api(ctx.url, 'GET', `/workspaces/${fx.ws.id}/labels`, { token: fx.a.accessToken }));

test('labels: create, rename, delete', opts, async () => {
  await page.getByLabel('New label name').fill('backend');
  await page.getByRole('button', { name: 'Add label' }).click();
  await page.getByLabel('Name of backend').waitFor();
  assert.deepEqual((await labels()).map((l) => l.name), ['backend']);
  await page.getByLabel('Name of backend').fill('api');
  await page.getByLabel('Name of backend').press('Enter'); // commits the change
  await waitFor(async () => (await labels())[0]?.name === 'api', { what: 'renamed on the server' });
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete label api' }).click();
  await waitFor(async () => (await labels()).length === 0, { what: 'deleted' });
});

test('projects: rename and archive', opts, async () => {
  const name = page.getByLabel(`Name of ${fx.project.key}`);
  await name.fill('Website 2.0');
  await name.blur();
  await waitFor(async () => expectOk(await api(ctx.url, 'GET', `/projects/${fx.project.id}`, { token: fx.a.accessToken })).name === 'Website 2.0',
    { what: 'renamed' });
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: `Archive ${fx.project.key}` }).click();
  await waitFor(async () => expectOk(await api(ctx.url, 'GET', `/projects/${fx.project.id}`, { token: fx.a.accessToken })).status === 'archived',
    { what: 'archived' });
});

test('profile: name and password', opts, async () => {
  await page.getByLabel('First name').fill('Alicia');
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.locator('.me-name', { hasText: 'Alicia Demo' }).waitFor();
  assert.equal(expectOk(await api(ctx.url, 'GET', '/users/me', { token: fx.a.accessToken })).firstName, 'Alicia');
  await page.getByLabel('Current password').fill('not-it');
  await page.getByLabel('New password', { exact: true }).fill('Another-pass-99');
  await page.getByLabel('New password again').fill('Another-pass-99');
  await page.getByRole('button', { name: 'Change password' }).click();
  const err = page.locator('form', { hasText: 'Change password' }).locator('.error');
  await err.waitFor();
  assert.match(await err.textContent(), /current password/i);
  await page.getByLabel('Current password').fill(fx.a.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator('.toast', { hasText: 'password is changed' }).waitFor();
  expectOk(await api(ctx.url, 'POST', '/auth/login', { body: { email: fx.a.email, password: 'Another-pass-99' } }));
});

test('profile: notification mails can be turned off and on', opts, async () => {
  const box = page.getByLabel(/Mail me when I am assigned/);
  assert.equal(await box.isChecked(), true);
  await box.uncheck();
  await page.locator('.toast', { hasText: 'Notification mails are off' }).waitFor();
  assert.equal(expectOk(await api(ctx.url, 'GET', '/users/me', { token: fx.a.accessToken })).emailNotifications, false);
  await box.check();
  await page.locator('.toast', { hasText: 'You will get notification mails' }).waitFor();
  assert.equal(expectOk(await api(ctx.url, 'GET', '/users/me', { token: fx.a.accessToken })).emailNotifications, true);
});

if (!missing) serverEndChecks(ctx);
