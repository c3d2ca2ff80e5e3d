// Errors a person can act on: too many sign-in attempts say how long to wait
// (from Retry-After); a lost connection says so instead of "Failed to fetch".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverEndChecks } from './lib/suite.mjs';
import { missing, opts, teamSuite } from './lib/webapp.mjs';

const { ctx, fx, open } = teamSuite({ server: { env: { AUTH_RATE_LIMIT: '8' } } });

test('too many sign-in attempts: the message says how many seconds to wait', opts, async () => {
  const { page, context } = await open(null, '/login');
  await page.getByLabel('Email').fill(fx.a.email);
  await page.getByLabel('Password').fill('wrong-password');
  const err = page.locator('.auth .error');
  let text = '';
  for (let i = 0; i < 10 && !/wait/.test(text); i++) {
    await page.getByRole('button', { name: 'Sign in' }).click();
    await err.waitFor();
    await page.waitForFunction(() => !document.querySelector('.auth button[type=submit]').disabled);
    text = await err.textContent();
  }
  assert.match(text, /Too many attempts\. Please wait \d+ seconds? and try again\./, text);
  await context.close();
});

test('a lost connection is said in words, with what to do', opts, async () => {
  const { page, context } = await open(fx.a, `/w/${fx.ws.id}/board/${fx.project.id}`);
  await page.locator('.task-card').first().waitFor();
  await page.getByRole('button', { name: 'New task' }).click();
  await page.locator('dialog[open]').getByLabel('Title').fill('Offline task');
  await context.setOffline(true);
  await page.locator('dialog[open]').getByRole('button', { name: 'Create task' }).click();
  const err = page.locator('dialog[open] .error');
  await err.waitFor();
  assert.equal(await err.textContent(), 'Could not reach the server. Check your connection and try again.');
  await context.close();
});

if (!missing) serverEndChecks(ctx);
