// Scinti login page: POST /api/login {user, password}; the server answers with an HttpOnly session cookie, then the
// viewer opens. The password never leaves this form except in that request (no storage, no URL).
'use strict';

document.getElementById('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const msg = document.getElementById('message');
  msg.textContent = 'logging in…';
  try {
    const r = await fetch('/api/login', {
      method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: document.getElementById('user').value, password: document.getElementById('password').value }),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { msg.textContent = body.error || `login failed (${r.status})`; document.getElementById('password').value = ''; return; }
    location.replace('/');
  } catch (e) { msg.textContent = String(e.message || e); }
});
