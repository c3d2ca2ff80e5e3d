// An SMTP sink for the mail tests: a real SMTP server (smtp-server) on a
// loopback port that keeps every message it accepts, parsed (mailparser).
//
//   const sink = await startSmtpSink();     // sink.url: smtp://user:pass@127.0.0.1:PORT
//   await sink.waitFor((m) => m.to === 'a@b.c');
//   await sink.stop(); ...; await sink.start();   // down for a while, then back (same port)
//   sink.failNext(2, 451);                   // the next 2 messages get a 451 after DATA
//   const h = sink.holdRcpt();               // RCPT TO waits for h.release(); await h.held
//   const d = sink.holdData();               // the reply to the end of DATA waits likewise
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export const SMTP_USER = 'vibed';
export const SMTP_PASS = 'sink-pass';

export async function startSmtpSink() {
  const sink = {
    port: 0,
    mails: [],
    sessions: 0,
    failures: [],
    holds: [],
    dataHolds: [],
    server: null,
    get url() { return `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${this.port}`; },
    /** Messages to address. */
    to(addr) { return this.mails.filter((m) => m.to === addr.toLowerCase()); },
    /** Waits (bounded) until some mail matches pred; resolves to it. */
    async waitFor(pred, { timeoutMs = 15000, what = 'a mail' } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = this.mails.find(pred);
        if (m) return m;
        if (Date.now() > deadline) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got:\n` +
            this.mails.map((x) => `${x.to}: ${x.subject}`).join('\n'));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    failNext(n, code = 451) { for (let i = 0; i < n; i++) this.failures.push(code); },
    /** The next RCPT TO is answered only after release(); held resolves when it came. */
    holdRcpt() { return makeHold(this.holds); },
    /** The next message is recorded as received, but its reply after the end of
     * DATA waits for release(); held resolves when the message is complete. */
    holdData() { return makeHold(this.dataHolds); },
    async start() {
      this.server = makeServer(this);
      await new Promise((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.port, '127.0.0.1', () => {
          this.port = this.server.server.address().port;
          resolve();
        });
      });
    },
    async stop() {
      const srv = this.server;
      this.server = null;
      if (srv) await new Promise((r) => srv.close(r));
    },
  };
  await sink.start();
  return sink;
}

function makeServer(sink) {
  return new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    closeTimeout: 100,
    onConnect(session, cb) { sink.sessions++; cb(); },
    onAuth(auth, session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, session, cb) {
      const hold = sink.holds.shift();
      if (hold) {
        hold.arrived();
        hold.released.then(() => cb());
      } else {
        cb();
      }
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => {
        const code = sink.failures.shift();
        if (code) {
          const err = new Error('Try again later');
          err.responseCode = code;
          cb(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const hold = sink.dataHolds.shift();
        const parsed = await simpleParser(raw);
        sink.mails.push({
          raw,
          parsed,
          envelopeFrom: session.envelope.mailFrom && session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()).join(','),
          subject: parsed.subject,
          text: parsed.text,
          html: parsed.html,
          messageId: parsed.messageId,
          at: Date.now(),
        });
        if (hold) {
          hold.arrived();
          await hold.released;
        }
        cb();
      });
    },
  });
}

function makeHold(list) {
  const h = {};
  h.released = new Promise((r) => { h.release = r; });
  h.held = new Promise((r) => { h.arrived = r; });
  list.push(h);
  return { release: h.release, held: h.held };
}
