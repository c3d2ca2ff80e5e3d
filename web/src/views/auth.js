// Sign in and register.
import { useState } from 'preact/hooks';
import { register, signIn } from '../lib/api.js';
import { errorText, html, Link } from '../lib/ui.js';

export function AuthPage({ mode }) {
  const isRegister = mode === 'register';
  const [f, setF] = useState({ email: '', password: '', firstName: '', lastName: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      if (isRegister) await register(f);
      else await signIn(f.email.trim(), f.password);
    } catch (err) {
      setError(err.status === 401 ? 'Wrong email or password.' : errorText(err));
      setBusy(false);
    }
  }

  return html`<main class="auth">
    <div class="auth-card">
      <div class="brand big"><span class="logo" aria-hidden="true">v</span> vibed</div>
      <h1>${isRegister ? 'Create your account' : 'Sign in'}</h1>
      <p class="muted">${isRegister ? 'Projects, boards, chat and live dashboards for your team.' : 'Welcome back to your team workspace.'}</p>
      <form onSubmit=${submit} class="stack">
        ${isRegister && html`<div class="row2">
          <label>First name<input name="firstName" autocomplete="given-name" required value=${f.firstName} onInput=${set('firstName')} /></label>
          <label>Last name<input name="lastName" autocomplete="family-name" required value=${f.lastName} onInput=${set('lastName')} /></label>
        </div>`}
        <label>Email<input name="email" type="email" autocomplete="email" required value=${f.email} onInput=${set('email')} /></label>
        <label>Password<input name="password" type="password" minlength=${isRegister ? 8 : undefined} maxlength="128"
          autocomplete=${isRegister ? 'new-password' : 'current-password'} required value=${f.password} onInput=${set('password')} />
          ${isRegister && html`<small class="muted">At least 8 characters.</small>`}</label>
        ${!isRegister && html`<p class="small"><${Link} href="/forgot-password">Forgot your password?</${Link}></p>`}
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button class="btn primary" type="submit" disabled=${busy}>${busy ? 'Please wait…' : isRegister ? 'Create account' : 'Sign in'}</button>
      </form>
      <p class="switch">${isRegister
        ? html`Already have an account? <${Link} href="/login">Sign in</${Link}>`
        : html`New here? <${Link} href="/register">Create an account</${Link}>`}</p>
      ${!isRegister && html`<p class="hint muted">Demo: <code>alice@demo.vibed.dev</code> / <code>demo-password</code></p>`}
    </div>
  </main>`;
}
