// Headless Chromium for the browser tests (playwright-core drives Debian's
// /usr/bin/chromium; nothing is downloaded). Every page records console
// errors and uncaught exceptions so a test can assert there were none.
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '..', 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** True when a Chromium binary is there to drive. */
export function haveChromium() {
  return existsSync(CHROMIUM);
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A new context and page at baseURL with error collection: page.errors gets
 * every console message of type "error" and every uncaught exception.
 */
export async function newPage(browser, baseURL, { width = 1366, height = 860 } = {}) {
  const context = await browser.newContext({ baseURL, viewport: { width, height } });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.errors.push(`console: ${msg.text()} @ ${JSON.stringify(msg.location())}`);
  });
  page.on('pageerror', (err) => page.errors.push(`pageerror: ${err.stack || err.message}`));
  return { context, page };
}

/** Signs in through the form and waits for the workspace shell. */
export async function signInUI(page, email, password) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('.topbar');
}

/** Saves a full-page screenshot to artifacts/<name>.png; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
