// Password reset: "forgot password" (asks for a reset mail) and the page the
// mailed link opens (/reset-password?token=...), which sets a new password.
import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { errorText, html, Link } from '../lib/ui.js';

function Card({ title, lead, children }) {
  return html`<main class="auth">
    <div class="auth-card">
      <div class="brand big"><span class="logo" aria-hidden="true">v</span> vibed</div>
      <h1>${title}</h1>
      ${lead && html`<p class="muted">${lead}</p>`}
      ${children}
      <p class="switch"><${Link} href="/login">Back to sign in</${Link}></p>
    </div>
  </main>`;
}

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState('');

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('POST', '/auth/forgot-password', { email: email.trim() }, { auth: false });
      setSent(true);
    } catch (err) {
      setError(err.status === 429 ? 'Too many attempts; try again in a minute.' : errorText(err));
    }
    setBusy(false);
  }

  if (sent) {
    return html`<${Card} title="Check your mail"
      lead=${`If ${email.trim()} has an account, a link to choose a new password is on its way. It works once, for 30 minutes.`} />`;
  }
  return html`<${Card} title="Forgot your password?" lead="We will mail you a link to choose a new one.">
    <form onSubmit=${submit} class="stack" data-testid="forgot-form">
      <label>Email<input name="email" type="email" autocomplete="email" required value=${email}
        onInput=${(e) => setEmail(e.target.value)} /></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button class="btn primary" type="submit" disabled=${busy}>${busy ? 'Please wait…' : 'Send the link'}</button>
    </form>
  </${Card}>`;
}

export function ResetPasswordPage() {
  const token = new URLSearchParams(location.search).get('token') || '';
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const [error, setError] = useState('');

  async function submit(e) {
    e.preventDefault();
    if (password !== confirm) {
      setError('The two passwords differ.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await api('POST', '/auth/reset-password', { token, password }, { auth: false });
      setDone(true);
    } catch (err) {
      setError(err.status === 400
        ? 'This link is invalid, expired or already used. Ask for a new one.'
        : errorText(err));
    }
    setBusy(false);
  }

  if (!token) {
    return html`<${Card} title="Reset your password" lead="This page needs the link from the reset mail.">
      <p><${Link} href="/forgot-password">Ask for a reset link</${Link}></p>
    </${Card}>`;
  }
  if (done) {
    return html`<${Card} title="Password changed"
      lead="Your new password is set, and every session was signed out. Sign in with the new password." />`;
  }
  return html`<${Card} title="Choose a new password">
    <form onSubmit=${submit} class="stack" data-testid="reset-form">
      <label>New password<input name="password" type="password" minlength="8" maxlength="128"
        autocomplete="new-password" required value=${password} onInput=${(e) => setPassword(e.target.value)} />
        <small class="muted">At least 8 characters.</small></label>
      <label>Repeat it<input name="confirm" type="password" minlength="8" maxlength="128"
        autocomplete="new-password" required value=${confirm} onInput=${(e) => setConfirm(e.target.value)} /></label>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button class="btn primary" type="submit" disabled=${busy}>${busy ? 'Please wait…' : 'Set the password'}</button>
    </form>
  </${Card}>`;
}
