// Shared by the viewer's pages: API calls with the token when the server needs one,
// time formatting, and small DOM helpers. Untrusted text (transcripts, captions, answers)
// only ever goes into the page as textContent, never as markup.

const TOKEN_KEY = 'videoqa.token';

/** The API token the user gave, kept for this browser tab only. */
export const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

/** A GET URL with the token as ?access_token= (for <video>, <img> and EventSource, which cannot send headers). */
export function authedUrl(path) {
  const t = token();
  if (!t) return path;
  return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(t)}`;
}

/** Asks for the API token in an accessible dialog; resolves once one is entered. */
function askForToken() {
  return new Promise((resolve) => {
    const dialog = el('dialog', { class: 'token-dialog', 'aria-labelledby': 'token-title' });
    const form = el('form', { method: 'dialog' });
    const input = el('input', { type: 'password', id: 'token-input', required: '', autocomplete: 'off' });
    form.append(
      el('h2', { id: 'token-title' }, 'API token needed'),
      el('p', {}, 'This server requires its API token (API_TOKEN).'),
      el('label', { for: 'token-input' }, 'Token'),
      input,
      el('button', { type: 'submit' }, 'Continue'),
    );
    dialog.append(form);
    document.body.append(dialog);
    form.addEventListener('submit', () => {
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      dialog.remove();
      resolve();
    });
    dialog.showModal();
    input.focus();
  });
}

/** fetch() for the API: bearer token, JSON errors thrown as Error(code: message), one retry after a 401 prompt. */
export async function api(path, options = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { ...(options.headers ?? {}) };
    if (token()) headers.authorization = `Bearer ${token()}`;
    const res = await fetch(path, { ...options, headers });
    if (res.status === 401 && attempt === 0) {
      await askForToken();
      continue;
    }
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      const e = body?.error;
      throw new Error(e ? `${e.code}: ${e.message}` : `HTTP ${res.status}`);
    }
    return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
  }
}

/** mm:ss, or h:mm:ss past an hour. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** An element with attributes and children (strings become text nodes, never markup). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children.filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

/** Live updates: every job, stage and video event of the server (optionally of one video). */
export function subscribe(onEvent, videoId) {
  const source = new EventSource(authedUrl(videoId ? `/v1/events?video=${encodeURIComponent(videoId)}` : '/v1/events'));
  // Marks the page as live (for styling, and for tests that wait for the stream before acting).
  source.onopen = () => (document.body.dataset.live = 'connected');
  source.onerror = () => (document.body.dataset.live = 'reconnecting');
  source.onmessage = (m) => {
    try {
      onEvent(JSON.parse(m.data));
    } catch {
      // not an event: ignore
    }
  };
  return source;
}
