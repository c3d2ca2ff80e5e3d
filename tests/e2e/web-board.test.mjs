// The board in a browser, two users at once: assignees set in "Edit task" are
// saved; search and filters; subtasks under their parent with a parent link;
// due dates that stay the same day west and east of UTC, overdue marked;
// Markdown rendered safely; task history and the activity feed name the task
// (and the feed's entries open it); Esc returns focus to the card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './lib/server.mjs';
import { serverEndChecks } from './lib/suite.mjs';
import { api, createLabel, createTask, expectOk } from './lib/api.mjs';
import { screenshot } from './lib/browser.mjs';
import { missing, opts, teamSuite } from './lib/webapp.mjs';

const { ctx, fx, pages, open } = teamSuite();
const boardPath = () => `/w/${fx.ws.id}/board/${fx.project.id}`;

test('Edit task: the assignee chosen by A is saved, and B (signed in at once) sees it on the card', opts, async () => {
  const { page: pa } = await open(fx.a, boardPath());
  const { page: pb } = await open(fx.b, boardPath());
  const t = fx.tasks[0];
  await pa.getByRole('button', { name: `Actions for ${t.key}` }).click();
  await pa.getByRole('button', { name: 'Edit', exact: true }).click();
  const dialog = pa.locator('dialog[open]');
  await dialog.getByLabel('Bob Demo').check();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await waitFor(async () => expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: fx.a.accessToken })).assigneeIds.includes(fx.b.user.id),
    { what: 'the assignee saved on the server' });
  // B's board follows live: Bob's avatar on the card.
  await pb.locator(`.task-card[data-id="${t.id}"] .assignees .avatar[title="Bob Demo"]`).waitFor({ timeout: 5000 });
  // And Bob's avatar colour differs from Alice's.
  await pa.reload();
  await pa.getByRole('button', { name: `Actions for ${t.key}` }).click();
  await pa.getByRole('button', { name: 'Edit', exact: true }).click();
  await pa.locator('dialog[open]').getByLabel('Alice Demo').check();
  await pa.locator('dialog[open]').getByRole('button', { name: 'Save' }).click();
  const avatars = pa.locator(`.task-card[data-id="${t.id}"] .assignees .avatar`);
  await waitFor(async () => (await avatars.count()) === 2, { what: 'two avatars on the card' });
  const colours = await avatars.evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
  assert.notEqual(colours[0], colours[1], `distinct avatar colours: ${colours}`);
});

test('search and filters: text, assignee, priority, label', opts, async () => {
  const label = await createLabel(ctx.url, fx.a.accessToken, fx.ws.id, { name: 'frontend', color: '#2563eb' });
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${fx.tasks[2].id}`, { token: fx.a.accessToken, body: { labelIds: [label.id] } }));
  const { page } = await open(fx.a, boardPath());
  const cards = page.locator('.board .column .cards > .task-card');
  await waitFor(async () => (await cards.count()) === 4, { what: 'four cards' });
  await page.getByRole('searchbox', { name: 'Search tasks' }).fill('hosting');
  await waitFor(async () => (await cards.count()) === 1, { what: 'one card for "hosting"' });
  assert.equal(await cards.first().getAttribute('data-key'), fx.tasks[1].key);
  await page.getByRole('searchbox', { name: 'Search tasks' }).fill('');
  await page.getByTestId('filter-priority').selectOption('critical');
  await waitFor(async () => (await cards.count()) === 1, { what: 'one critical card' });
  await page.getByTestId('filter-priority').selectOption('');
  await page.getByTestId('filter-label').selectOption(label.id);
  await waitFor(async () => (await cards.count()) === 1, { what: 'one frontend card' });
  assert.equal(await cards.first().getAttribute('data-key'), fx.tasks[2].key);
  await page.getByTestId('filter-label').selectOption('');
  await page.getByTestId('filter-assignee').selectOption(fx.b.user.id);
  await waitFor(async () => (await cards.count()) === 1, { what: "one of Bob's cards" });
  assert.equal(await cards.first().getAttribute('data-key'), fx.tasks[0].key);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await waitFor(async () => (await cards.count()) === 4, { what: 'all cards again' });
});

test('subtasks are listed under their parent, and the subtask links to its parent', opts, async () => {
  const parent = fx.tasks[0];
  const sub = await createTask(ctx.url, fx.a.accessToken, fx.project.id, { title: 'Draft the hero text', parentTaskId: parent.id });
  const { page } = await open(fx.a, boardPath());
  const parentCard = page.locator(`.task-card[data-id="${parent.id}"]`);
  await parentCard.locator(`.subtask-row[data-id="${sub.id}"]`).waitFor();
  assert.equal(await page.locator(`.cards > .task-card[data-id="${sub.id}"]`).count(), 0, 'not an ordinary card');
  await parentCard.locator(`.subtask-row[data-id="${sub.id}"] button`).click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByTestId('parent-link').waitFor();
  assert.match(await dialog.getByTestId('parent-link').textContent(), new RegExp(parent.key));
  await dialog.getByTestId('parent-link').click();
  await page.waitForURL(new RegExp(`task=${parent.id}`));
  await page.locator('dialog[open] h2', { hasText: parent.title }).waitFor();
  // A subtask in another column than its parent is a card with a link to the parent.
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${sub.id}/status`, { token: fx.a.accessToken, body: { status: 'review' } }));
  await page.keyboard.press('Escape');
  await page.locator(`.column[data-status="review"] .task-card[data-id="${sub.id}"] .parent-link`).waitFor();
});

for (const tz of ['America/Los_Angeles', 'Asia/Tokyo']) {
  test(`due dates in ${tz}: set 15 Jan, seen as 15 Jan on the card, the dialog and the server; overdue marked`, opts, async () => {
    const t = await createTask(ctx.url, fx.a.accessToken, fx.project.id, { title: `Due task ${tz}` });
    const { page } = await open(fx.a, `${boardPath()}?task=${t.id}`, { timezoneId: tz });
    const dialog = page.locator('dialog[open]');
    await dialog.getByRole('button', { name: 'Edit' }).click();
    const form = page.locator('dialog[open]');
    await form.getByLabel('Due date').fill('2099-01-15');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    const saved = expectOk(await api(ctx.url, 'GET', `/tasks/${t.id}`, { token: fx.a.accessToken }));
    assert.equal(saved.dueDate.slice(0, 10), '2099-01-15', `stored as that day: ${saved.dueDate}`);
    const due = page.locator(`.task-card[data-id="${t.id}"] [data-testid="due"]`);
    await due.waitFor();
    assert.match(await due.textContent(), /15/, await due.textContent());
    assert.match(await due.textContent(), /Jan/);
    assert.equal(await due.getAttribute('class'), 'due', 'not overdue');
    // Reopen the form: the date field still reads the 15th.
    await page.getByRole('button', { name: `Actions for ${t.key}` }).click();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    assert.equal(await page.locator('dialog[open]').getByLabel('Due date').inputValue(), '2099-01-15');
    await page.keyboard.press('Escape');
    // A past date is overdue; a done task is not.
    const late = await createTask(ctx.url, fx.a.accessToken, fx.project.id, { title: `Late ${tz}`, dueDate: '2020-03-01' });
    const lateDue = page.locator(`.task-card[data-id="${late.id}"] [data-testid="due"]`);
    await lateDue.waitFor();
    assert.match(await lateDue.getAttribute('class'), /overdue/);
    assert.match(await lateDue.textContent(), /Overdue.*1 Mar 2020|Overdue.*Mar 1, 2020/);
    expectOk(await api(ctx.url, 'PATCH', `/tasks/${late.id}/status`, { token: fx.a.accessToken, body: { status: 'done' } }));
    await waitFor(async () => !/overdue/.test(await lateDue.getAttribute('class')), { what: 'done is not overdue' });
  });
}

test('Markdown: bold, italics, code, lists and links rendered; raw HTML shown as text', opts, async () => {
  const t = await createTask(ctx.url, fx.a.accessToken, fx.project.id, {
    title: 'Formatted',
    description: 'Some **bold** and *italic* and `code`\n\n- one\n- two\n\n[docs](https://example.com/docs) <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>',
  });
  const { page } = await open(fx.a, `${boardPath()}?task=${t.id}`);
  const d = page.locator('dialog[open] .description');
  await d.waitFor();
  assert.equal(await d.locator('strong').textContent(), 'bold');
  assert.equal(await d.locator('em').textContent(), 'italic');
  assert.equal(await d.locator('code').textContent(), 'code');
  assert.equal(await d.locator('ul li').count(), 2);
  assert.equal(await d.locator('a[href="https://example.com/docs"]').getAttribute('rel'), 'noopener noreferrer nofollow');
  assert.equal(await d.locator('img, script').count(), 0, 'no raw HTML elements');
  assert.match(await d.textContent(), /<img src=x/);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});

test('history names the task and never says "undefined"; the dashboard feed names it and opens it', opts, async () => {
  const t = fx.tasks[1];
  expectOk(await api(ctx.url, 'PATCH', `/tasks/${t.id}/status`, { token: fx.b.accessToken, body: { status: 'review' } }));
  const { page } = await open(fx.a, `${boardPath()}?task=${t.id}`);
  const hist = page.getByTestId('task-history');
  await hist.locator('li').nth(1).waitFor();
  const text = await hist.textContent();
  assert.doesNotMatch(text, /undefined/, text);
  assert.match(text, new RegExp(`created ${t.key}`));
  assert.match(text, /from In progress to Review/);
  await page.keyboard.press('Escape');
  await page.goto(`/w/${fx.ws.id}`);
  const entry = page.locator('[data-testid="activity-feed"] li', { hasText: `moved ${t.key}` }).first();
  await entry.waitFor();
  assert.match(await entry.textContent(), /Bob Demo moved WEB-\d+ “Set up hosting” from In progress to Review/);
  await entry.getByRole('link').click();
  await page.waitForURL(new RegExp(`/board/${fx.project.id}\\?task=${t.id}`));
  await page.locator('dialog[open]').waitFor();
});

test('Esc closing the task dialog puts focus back on the card', opts, async () => {
  const t = fx.tasks[2];
  const { page } = await open(fx.a, boardPath());
  const title = page.locator(`.task-card[data-id="${t.id}"] .card-title`);
  await title.click();
  await page.locator('dialog[open]').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('dialog[open]').waitFor({ state: 'detached' });
  await waitFor(async () => page.evaluate((id) => document.activeElement?.closest('.task-card')?.dataset.id === id, t.id),
    { what: 'focus on the card again' });
  await screenshot(page, 'board-desktop');
});

test('no console errors or uncaught exceptions', opts, async () => {
  const errors = pages.flatMap((p) => p.errors);
  assert.deepEqual(errors, [], errors.join('\n'));
});

if (!missing) serverEndChecks(ctx);
