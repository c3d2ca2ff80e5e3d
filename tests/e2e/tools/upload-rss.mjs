// Concurrent uploads: UPLOADS clients (default 50) each upload a file of
// SIZE bytes (default 10 MB, the MAX_ATTACHMENT_BYTES default) to a fresh
// vibed at the same time, streaming it. Prints the server's VmRSS before,
// its maximum during the uploads (sampled every 20 ms) and after, and checks
// every upload was stored whole (status 201, size and SHA-256).
//   cd tests/e2e && VIBED_BIN=$PWD/../../build/vibed node tools/upload-rss.mjs
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { startServer } from '../lib/server.mjs';
import { registerUser, createWorkspace, createProject, createTask } from '../lib/api.mjs';

const UPLOADS = Number(process.env.UPLOADS || 50);
const SIZE = Number(process.env.SIZE || 10 * 1024 * 1024);

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const srv = await startServer({ name: 'upload-rss', env: { WRITE_RATE_LIMIT: '0' } });
const pid = srv.child.pid;
try {
  const u = await registerUser(srv.url);
  const ws = await createWorkspace(srv.url, u.accessToken, { name: 'RSS' });
  const proj = await createProject(srv.url, u.accessToken, ws.id, { key: 'RSS' });
  const task = await createTask(srv.url, u.accessToken, proj.id, { title: 'Many files' });
  const data = randomBytes(SIZE); // one buffer shared by every client
  const sha = createHash('sha256').update(data).digest('hex');
  const boundary = 'rss-boundary-1234567890';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const before = rssKb(pid);
  let max = before;
  const sampler = setInterval(() => { max = Math.max(max, rssKb(pid)); }, 20);
  const one = () => new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: srv.port, method: 'POST', path: `/api/v1/tasks/${task.id}/attachments`, agent: false,
      headers: {
        authorization: `Bearer ${u.accessToken}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + data.length + tail.length,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.write(head);
    let off = 0;
    const pump = () => {
      while (off < data.length) {
        const end = Math.min(off + 65536, data.length);
        const ok = req.write(data.subarray(off, end));
        off = end;
        if (!ok) { req.once('drain', pump); return; }
      }
      req.end(tail);
    };
    pump();
  });
  const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: UPLOADS }, one));
  const ms = Date.now() - t0;
  clearInterval(sampler);
  max = Math.max(max, rssKb(pid));
  const after = rssKb(pid);
  const bad = results.filter((r) => r.status !== 201 || r.body.data.size !== SIZE || r.body.data.sha256 !== sha);
  console.log(`${UPLOADS} concurrent uploads of ${SIZE} bytes in ${ms} ms: ${UPLOADS - bad.length} stored whole`);
  console.log(`server VmRSS: before ${(before / 1024).toFixed(1)} MiB, max ${(max / 1024).toFixed(1)} MiB during, ` +
    `${(after / 1024).toFixed(1)} MiB after; max - before = ${((max - before) / 1024).toFixed(1)} MiB ` +
    `(${((max - before) / UPLOADS).toFixed(0)} KiB per upload; the files total ${(UPLOADS * SIZE / 1048576).toFixed(0)} MiB)`);
  if (bad.length) {
    console.error('failed:', JSON.stringify(bad.slice(0, 3)));
    process.exitCode = 1;
  }
} finally {
  await srv.stop();
}
