// The password reset screens in a real browser: the "Forgot your password?"
// link on the sign-in card, the request form, the mailed link (received by an
// SMTP sink) opening the reset page, the new password, and a used link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startServer } from './lib/server.mjs';
import { registerUser, seenSecrets } from './lib/api.mjs';
import { haveChromium, launchBrowser, newPage, screenshot, signInUI } from './lib/browser.mjs';
import { startSmtpSink } from './lib/smtp.mjs';

const WEB_ROOT = process.env.VIBED_WEB_ROOT || path.join(REPO_ROOT, 'web', 'dist');
const missing = !haveChromium() ? 'chromium is not installed (bash scripts/install-deps.sh browser)'
  : !existsSync(path.join(WEB_ROOT, 'index.html')) ? `no web app built in ${WEB_ROOT} (cd web && npm ci && npm run build)` : null;
const opts = missing ? { skip: missing } : {};
let browser;
let sink;
let srv;

before(async () => {
  if (missing) return;
  sink = await startSmtpSink();
  srv = await startServer({ name: 'browser-reset', args: ['--web-root', WEB_ROOT], env: { SMTP_URL: sink.url } });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (srv && !srv.stopped) await srv.kill();
  if (sink) await sink.stop();
});

test('forgot password from the sign-in card, then the mailed link sets a new password', opts, async () => {
  const u = await registerUser(srv.url);
  const { page } = await newPage(browser, srv.url);
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(u.email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await page.getByRole('heading', { name: 'Check your mail' }).waitFor();

  const m = await sink.waitFor((x) => x.to === u.email && x.subject === 'Reset your vibed password');
  const link = new URL(m.text.match(/(http:\/\/localhost:3000\/reset-password\?token=[A-Za-z0-9_-]+)/)[1]);
  seenSecrets.add(link.searchParams.get('token'));
  const resetPath = `${link.pathname}${link.search}`;
  await page.goto(resetPath);
  const pw = 'Browser new password 1';
  await page.getByLabel('New password').fill(pw);
  await page.getByLabel('Repeat it').fill(pw);
  await screenshot(page, 'reset-password');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await page.getByRole('heading', { name: 'Password changed' }).waitFor();

  // The link works once.
  await page.goto(resetPath);
  await page.getByLabel('New password').fill('Another password 22');
  await page.getByLabel('Repeat it').fill('Another password 22');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await page.getByText('This link is invalid, expired or already used').waitFor();

  await signInUI(page, u.email, pw);
  assert.deepEqual(page.errors.filter((e) => !/status of 400/.test(e)), []);
  await srv.stop();
});
