// Attachments: streamed multipart upload into chunk rows, metadata list,
// download (ETag/304, Range/206/416, safe Content-Disposition, never served
// inline), delete by the uploader or an admin, limits (413, parts, bad or
// missing boundary, truncated and interrupted bodies leave nothing behind),
// outsider 404, attachmentCount and activity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { serverSuite, serverEndChecks } from './lib/suite.mjs';
import {
  api, expectOk, expectError, expectNoContent, registerUser, createWorkspace, createProject,
  createTask, addMember, rawRequest, UNKNOWN_ID,
} from './lib/api.mjs';

const LIMIT = 300 * 1024; // MAX_ATTACHMENT_BYTES for this server: a few chunks of 256 KiB
const ctx = serverSuite({ env: { MAX_ATTACHMENT_BYTES: String(LIMIT), WRITE_RATE_LIMIT: '0' } });
let admin; let bob; let carol; let outsider; let ws; let proj; let task;

/** The first value of the first row of query, as text (either backend). */
function sql(query) {
  const row = ctx.srv.queryRows(query)[0];
  return row ? String(Object.values(row)[0]) : '';
}

/** Waits (polling the database, with a deadline) until query gives want. */
async function waitSql(query, want, what) {
  const deadline = Date.now() + 10000;
  let got;
  for (;;) {
    got = sql(query);
    if (got === want) return;
    if (Date.now() > deadline) assert.fail(`${what}: ${query} gave ${got}, want ${want}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function nothingLeftBehind(what) {
  await waitSql("SELECT COUNT(*) FROM attachments WHERE state = 'uploading'", '0', what);
  await waitSql('SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id NOT IN (SELECT id FROM attachments)', '0', what);
}

function multipart(parts, boundary = `----vb${randomBytes(8).toString('hex')}`) {
  const bufs = [];
  for (const p of parts) {
    let h = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) h += `; filename="${p.filename}"`;
    if (p.filenameStar) h += `; filename*=UTF-8''${encodeURIComponent(p.filenameStar)}`;
    h += '\r\n';
    if (p.type) h += `Content-Type: ${p.type}\r\n`;
    bufs.push(Buffer.from(`${h}\r\n`), Buffer.from(p.data ?? ''), Buffer.from('\r\n'));
  }
  bufs.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(bufs), type: `multipart/form-data; boundary=${boundary}` };
}

function upload(token, tid, parts, extraHeaders = {}) {
  const { body, type } = multipart(parts);
  return rawRequest(ctx.srv.port, {
    path: `/tasks/${tid}/attachments`,
    headers: { 'content-type': type, 'content-length': body.length, authorization: `Bearer ${token}`, ...extraHeaders },
    body,
  });
}

function download(token, id, headers = {}) {
  return fetch(`${ctx.url}/api/v1/attachments/${id}/download`, { headers: { authorization: `Bearer ${token}`, ...headers } });
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

test('setup: admin, two members, an outsider with their own workspace', async () => {
  admin = await registerUser(ctx.url);
  bob = await registerUser(ctx.url);
  carol = await registerUser(ctx.url);
  outsider = await registerUser(ctx.url);
  await createWorkspace(ctx.url, outsider.accessToken, { name: 'Elsewhere' });
  ws = await createWorkspace(ctx.url, admin.accessToken, { name: 'Files WS' });
  await addMember(ctx.url, admin.accessToken, ws.id, bob, 'member');
  await addMember(ctx.url, admin.accessToken, ws.id, carol, 'member');
  proj = await createProject(ctx.url, admin.accessToken, ws.id, { key: 'ATT' });
  task = await createTask(ctx.url, admin.accessToken, proj.id, { title: 'Has files' });
  assert.equal(task.attachmentCount, 0);
});

let big; let bigData;
test('upload several chunks; list is metadata only; attachmentCount and activity', async () => {
  bigData = randomBytes(LIMIT - 5); // more than one 256 KiB chunk
  const res = await upload(bob.accessToken, task.id, [
    { name: 'note', data: 'ignored field' },
    { name: 'file', filename: 'report.pdf', type: 'application/pdf', data: bigData },
  ]);
  assert.equal(res.status, 201, res.text);
  big = res.json.data;
  assert.deepEqual(Object.keys(big).sort(), ['contentType', 'createdAt', 'fileName', 'id', 'sha256', 'size', 'taskId', 'uploaderId']);
  assert.equal(big.size, bigData.length);
  assert.equal(big.sha256, sha(bigData));
  assert.equal(big.fileName, 'report.pdf');
  assert.equal(big.contentType, 'application/pdf');
  assert.equal(big.uploaderId, bob.user.id);
  assert.equal(sql(`SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = '${big.id}'`), '2');
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/attachments`, { token: carol.accessToken }));
  assert.deepEqual(list, [big]);
  const t = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}`, { token: admin.accessToken }));
  assert.equal(t.attachmentCount, 1);
  const page = expectOk(await api(ctx.url, 'GET', `/projects/${proj.id}/tasks`, { token: admin.accessToken }));
  assert.equal(page.find((x) => x.id === task.id).attachmentCount, 1);
  const acts = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity`, { token: admin.accessToken }));
  assert.ok(acts.some((a) => a.action === 'attachment_added' && a.taskId === task.id), JSON.stringify(acts.slice(0, 3)));
});

test('download: whole file with Content-Length, ETag, nosniff, attachment disposition', async () => {
  const res = await download(carol.accessToken, big.id);
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  assert.ok(body.equals(bigData));
  assert.equal(res.headers.get('content-length'), String(bigData.length));
  assert.equal(res.headers.get('etag'), `"${big.sha256}"`);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('content-disposition'), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
});

test('download: If-None-Match gives 304; a byte range 206; an unsatisfiable one 416', async () => {
  const nm = await download(carol.accessToken, big.id, { 'if-none-match': `"${big.sha256}"` });
  assert.equal(nm.status, 304);
  assert.equal((await nm.arrayBuffer()).byteLength, 0);
  const other = await download(carol.accessToken, big.id, { 'if-none-match': '"nope"' });
  assert.equal(other.status, 200);
  await other.arrayBuffer();
  // across the chunk boundary at 256 KiB
  const from = 256 * 1024 - 10; const to = 256 * 1024 + 9;
  const r = await download(carol.accessToken, big.id, { range: `bytes=${from}-${to}` });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get('content-range'), `bytes ${from}-${to}/${bigData.length}`);
  assert.ok(Buffer.from(await r.arrayBuffer()).equals(bigData.subarray(from, to + 1)));
  const tail = await download(carol.accessToken, big.id, { range: 'bytes=-7' });
  assert.equal(tail.status, 206);
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(bigData.subarray(bigData.length - 7)));
  const bad = await download(carol.accessToken, big.id, { range: `bytes=${bigData.length}-` });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), `bytes */${bigData.length}`);
  await bad.arrayBuffer();
});

test('HTML and SVG are served as octet-stream attachments with nosniff; unicode names are safe', async () => {
  for (const [name, type, data] of [
    ['x.html', 'text/html', '<script>alert(1)</script>'],
    ['x.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
  ]) {
    const up = await upload(bob.accessToken, task.id, [{ name: 'file', filename: name, type, data }]);
    assert.equal(up.status, 201, up.text);
    assert.equal(up.json.data.contentType, type, 'the declared type is kept as metadata');
    const res = await download(bob.accessToken, up.json.data.id);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-disposition'), /^attachment;/);
    assert.equal(await res.text(), data);
  }
  const name = 'Bericht "Q3"; ünï 📎.txt';
  const up = await upload(bob.accessToken, task.id, [{ name: 'file', filename: 'fallback.txt', filenameStar: name, type: 'text/plain', data: 'hi' }]);
  assert.equal(up.status, 201, up.text);
  assert.equal(up.json.data.fileName, name);
  const res = await download(bob.accessToken, up.json.data.id);
  const cd = res.headers.get('content-disposition');
  assert.equal(cd, `attachment; filename="Bericht _Q3__ _n_ _.txt"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
  assert.ok(/^[\x20-\x7e]*$/.test(cd), 'the header is ASCII');
  await res.text();
});

test('outsiders get 404 on every route; a member who is not the uploader gets 403 on delete', async () => {
  const up = await upload(outsider.accessToken, task.id, [{ name: 'file', filename: 'a.txt', data: 'x' }]);
  assert.equal(up.status, 404, up.text);
  assert.equal(up.json.code, 'TASK_NOT_FOUND');
  expectError(await api(ctx.url, 'GET', `/tasks/${task.id}/attachments`, { token: outsider.accessToken }), 404);
  const dl = await download(outsider.accessToken, big.id);
  assert.equal(dl.status, 404);
  await dl.text();
  expectError(await api(ctx.url, 'DELETE', `/attachments/${big.id}`, { token: outsider.accessToken }), 404);
  expectError(await api(ctx.url, 'DELETE', `/attachments/${UNKNOWN_ID}`, { token: admin.accessToken }), 404);
  expectError(await api(ctx.url, 'DELETE', `/attachments/${big.id}`, { token: carol.accessToken }), 403);
  const noauth = await fetch(`${ctx.url}/api/v1/attachments/${big.id}/download`);
  assert.equal(noauth.status, 401);
  await noauth.text();
  await nothingLeftBehind('after a refused upload');
});

test('delete: by the uploader, and by an admin; chunks go too; activity', async () => {
  expectNoContent(await api(ctx.url, 'DELETE', `/attachments/${big.id}`, { token: bob.accessToken }));
  assert.equal(sql(`SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = '${big.id}'`), '0');
  const dl = await download(bob.accessToken, big.id);
  assert.equal(dl.status, 404);
  await dl.text();
  const up = await upload(carol.accessToken, task.id, [{ name: 'file', filename: 'c.txt', data: 'c' }]);
  expectNoContent(await api(ctx.url, 'DELETE', `/attachments/${up.json.data.id}`, { token: admin.accessToken }));
  const list = expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}/attachments`, { token: admin.accessToken }));
  assert.equal(expectOk(await api(ctx.url, 'GET', `/tasks/${task.id}`, { token: admin.accessToken })).attachmentCount, list.length);
  const acts = expectOk(await api(ctx.url, 'GET', `/workspaces/${ws.id}/activity`, { token: admin.accessToken }));
  assert.ok(acts.some((a) => a.action === 'attachment_deleted'));
});

test('over MAX_ATTACHMENT_BYTES: 413, nothing left behind (declared and streamed)', async () => {
  const before = sql('SELECT COUNT(*) FROM attachments');
  const res = await upload(bob.accessToken, task.id, [{ name: 'file', filename: 'big.bin', data: randomBytes(LIMIT + 1) }]);
  assert.equal(res.status, 413, res.text);
  assert.equal(res.json.code, 'PAYLOAD_TOO_LARGE');
  await nothingLeftBehind('413');
  // chunked (no Content-Length): found while streaming
  const { body, type } = multipart([{ name: 'file', filename: 'big.bin', data: randomBytes(LIMIT + 1) }]);
  const chunked = await rawRequest(ctx.srv.port, {
    path: `/tasks/${task.id}/attachments`,
    headers: { 'content-type': type, 'transfer-encoding': 'chunked', authorization: `Bearer ${bob.accessToken}` },
    body,
  });
  assert.equal(chunked.status, 413, chunked.text);
  await nothingLeftBehind('413 chunked');
  // a declared length far over the limit is refused before the body
  const declared = await upload(bob.accessToken, task.id, [{ name: 'file', filename: 'x', data: 'x' }], { 'content-length': String(LIMIT * 4) });
  assert.equal(declared.status, 413);
  assert.equal(sql('SELECT COUNT(*) FROM attachments'), before);
});

test('bad bodies: missing or bad boundary, too many parts, no file part, truncated body', async () => {
  const send = (headers, body) => rawRequest(ctx.srv.port, {
    path: `/tasks/${task.id}/attachments`,
    headers: { authorization: `Bearer ${bob.accessToken}`, 'content-length': Buffer.byteLength(body), ...headers },
    body,
  });
  let res = await send({ 'content-type': 'multipart/form-data' }, 'x');
  assert.equal(res.status, 400);
  assert.equal(res.json.code, 'BAD_MULTIPART');
  res = await send({ 'content-type': `multipart/form-data; boundary=${'b'.repeat(71)}` }, 'x');
  assert.equal(res.json.code, 'BAD_MULTIPART');
  res = await send({ 'content-type': 'application/json' }, '{}');
  assert.equal(res.json.code, 'BAD_MULTIPART');
  res = await send({ 'content-type': 'multipart/form-data; boundary=abc' }, '--xyz\r\n\r\n--xyz--');
  assert.equal(res.status, 400);
  assert.equal(res.json.code, 'BAD_MULTIPART');
  const many = multipart([1, 2, 3, 4, 5].map((i) => ({ name: `f${i}`, data: 'x' })));
  res = await send({ 'content-type': many.type }, many.body);
  assert.equal(res.status, 400);
  assert.equal(res.json.code, 'TOO_MANY_PARTS');
  const none = multipart([{ name: 'other', data: 'x' }]);
  res = await send({ 'content-type': none.type }, none.body);
  assert.equal(res.status, 422);
  const two = multipart([{ name: 'file', filename: 'a', data: 'a' }, { name: 'file', filename: 'b', data: 'b' }]);
  res = await send({ 'content-type': two.type }, two.body);
  assert.equal(res.status, 400);
  // the closing delimiter never comes (the request body itself is complete)
  const full = multipart([{ name: 'file', filename: 't.bin', data: randomBytes(300000) }]);
  const cut = full.body.subarray(0, full.body.length - 30);
  res = await send({ 'content-type': full.type }, cut);
  assert.equal(res.status, 400);
  assert.equal(res.json.code, 'BAD_MULTIPART');
  assert.match(res.json.message, /truncated/);
  await nothingLeftBehind('bad bodies');
});

test('an interrupted upload (connection closed half-way) leaves nothing behind', async () => {
  const full = multipart([{ name: 'file', filename: 'i.bin', data: randomBytes(LIMIT - 100) }]);
  const sock = net.connect(ctx.srv.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write(`POST /api/v1/tasks/${task.id}/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bob.accessToken}\r\n` +
    `Content-Type: ${full.type}\r\nContent-Length: ${full.body.length}\r\n\r\n`);
  sock.write(full.body.subarray(0, 270 * 1024)); // past the first chunk
  // the upload has begun: its row and its first chunk exist
  await waitSql("SELECT COUNT(*) FROM attachment_chunks k JOIN attachments a ON a.id = k.attachment_id WHERE a.state = 'uploading'", '1', 'first chunk stored');
  sock.destroy();
  await nothingLeftBehind('interrupted');
});

serverEndChecks(ctx);
