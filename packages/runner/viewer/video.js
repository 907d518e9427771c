import { api, authedUrl, clock, el, subscribe } from './api.js';

const videoId = decodeURIComponent(location.pathname.split('/').pop() ?? '');
const base = `/v1/videos/${encodeURIComponent(videoId)}`;
const player = document.getElementById('player');
const transcript = document.getElementById('transcript');
const keyframes = document.getElementById('keyframes');
const statusEl = document.getElementById('video-status');
let segments = [];
let frameButtons = [];

/** Moves the player to `t` seconds (the media may still be loading: then once it can). */
function seek(t) {
  const go = () => {
    player.currentTime = Math.max(0, t);
  };
  if (player.readyState >= 1) go();
  else player.addEventListener('loadedmetadata', go, { once: true });
  // Focus stays where it is: a keyboard user going down the transcript keeps their place.
}

const seekButton = (t, ...children) =>
  el('button', { type: 'button', 'data-t': String(t), onclick: () => seek(t) }, ...children);

function showError(message) {
  const p = document.getElementById('page-error');
  p.textContent = message;
  p.hidden = false;
}

function render(doc) {
  document.title = `${doc.video.id} · videoqa`;
  document.getElementById('video-title').textContent = (doc.video.original_path ?? doc.video.id).replace(
    /^uploads\/[^_]*_/,
    '',
  );
  statusEl.replaceChildren(el('span', { class: `status ${doc.video.status}` }, doc.video.status));
  if (doc.video.normalized_path && !player.getAttribute('src')) {
    player.src = authedUrl(`${base}/media`);
    if (doc.segments.length > 0)
      player.append(
        el('track', { kind: 'captions', label: 'Transcript', srclang: 'en', src: authedUrl(`${base}/subtitles.vtt`) }),
      );
  }

  // Keyframes in time order along the timeline; a click seeks to the frame's moment.
  const frames = doc.scenes.flatMap((s) => s.frames.filter((f) => !f.duplicate_of).map((f) => ({ ...f, scene: s })));
  frames.sort((a, b) => a.t - b.t);
  frameButtons = frames.map((f) =>
    seekButton(
      f.t,
      el('img', {
        src: authedUrl(`${base}/frames/${encodeURIComponent(f.id)}`),
        alt: f.caption ? `Keyframe at ${clock(f.t)}: ${f.caption}` : `Keyframe at ${clock(f.t)}`,
        loading: 'lazy',
      }),
      el('span', { class: 'time' }, clock(f.t)),
    ),
  );
  keyframes.replaceChildren(...frameButtons);
  const duration = doc.video.duration_sec ?? 0;
  // Positions set through the CSSOM: the page's CSP forbids inline style attributes.
  const marks = duration > 0 ? frames.map((_f) => el('span', { class: 'mark' })) : [];
  marks.forEach((m, k) => {
    m.style.left = `${((frames[k].t / duration) * 100).toFixed(2)}%`;
  });
  document.getElementById('timeline').replaceChildren(...marks);

  // Captions per scene, with the scene's first keyframe.
  document.getElementById('scenes').replaceChildren(
    ...doc.scenes.map((s, i) => {
      const f = s.frames[0];
      return el(
        'li',
        {},
        f
          ? el('img', {
              src: authedUrl(`${base}/frames/${encodeURIComponent(f.id)}`),
              alt: `Scene ${i + 1}`,
              loading: 'lazy',
            })
          : el('span'),
        el(
          'div',
          {},
          el(
            'button',
            { type: 'button', class: 'scene-time', 'data-t': String(s.t_start), onclick: () => seek(s.t_start) },
            `Scene ${i + 1} · ${clock(s.t_start)}–${clock(s.t_end)}`,
          ),
          ...s.frames.filter((x) => x.caption).map((x) => el('p', {}, x.caption)),
          ...s.frames.filter((x) => x.ocr_text).map((x) => el('p', { class: 'muted' }, `On screen: ${x.ocr_text}`)),
        ),
      );
    }),
  );

  segments = doc.segments;
  transcript.replaceChildren(
    ...(segments.length === 0
      ? [el('li', { class: 'muted' }, doc.video.status === 'ready' ? 'No speech found.' : 'Not transcribed yet.')]
      : segments.map((s) =>
          el(
            'li',
            { 'data-segment': s.id },
            seekButton(s.t_start, el('span', { class: 'time' }, clock(s.t_start)), el('span', {}, s.text)),
          ),
        )),
  );
}

/** Highlights the transcript line and keyframe of the current moment, keeping the line in view. */
let current = -1;
player.addEventListener('timeupdate', () => {
  const t = player.currentTime;
  const i = segments.findIndex((s) => t >= s.t_start && t < s.t_end);
  if (i !== current) {
    transcript.querySelector('[aria-current]')?.removeAttribute('aria-current');
    current = i;
    const li = i >= 0 ? transcript.children[i] : null;
    if (li) {
      li.setAttribute('aria-current', 'true');
      // Scroll the transcript panel only, not the page.
      const top = li.offsetTop - transcript.offsetTop;
      if (top < transcript.scrollTop || top > transcript.scrollTop + transcript.clientHeight - li.clientHeight)
        transcript.scrollTop = top - transcript.clientHeight / 3;
    }
  }
  let frame = -1;
  frameButtons.forEach((b, k) => {
    if (Number(b.dataset.t) <= t + 0.05) frame = k;
  });
  frameButtons.forEach((b, k) => {
    if (k === frame) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  });
});

document.getElementById('search-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const q = document.getElementById('search-input').value.trim();
  const list = document.getElementById('search-hits');
  try {
    const { results } = await api(
      `/v1/search?q=${encodeURIComponent(q)}&video=${encodeURIComponent(videoId)}&limit=10`,
    );
    list.replaceChildren(
      ...(results.length === 0
        ? [el('li', { class: 'muted' }, 'No matches.')]
        : results.map((h) =>
            el(
              'li',
              {},
              seekButton(h.t_start, el('span', { class: 'time' }, clock(h.t_start)), el('span', {}, h.text)),
            ),
          )),
    );
  } catch (err) {
    list.replaceChildren(el('li', { class: 'error' }, err.message));
  }
});

document.getElementById('ask-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = document.getElementById('ask-result');
  const button = e.target.querySelector('button');
  button.disabled = true;
  out.replaceChildren(el('p', { class: 'muted' }, 'Thinking…'));
  try {
    const r = await api('/v1/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: document.getElementById('ask-input').value, video_id: videoId }),
    });
    const answer =
      r.answer ??
      (r.skipped ? 'No answer: the server has no chat model configured. The closest passages:' : 'No answer.');
    const citations =
      r.citations.length > 0
        ? r.citations
        : r.answer === null
          ? r.passages.map((p) => ({ t_start: p.t_start, t_end: p.t_end, quote: p.text, video_id: p.video_id }))
          : [];
    out.replaceChildren(
      el('p', { class: 'answer' }, answer),
      el(
        'ul',
        { class: 'citations', 'aria-label': 'Citations' },
        ...citations.map((c) =>
          el(
            'li',
            {},
            seekButton(
              c.t_start,
              el('span', { class: 'time' }, `${clock(c.t_start)}–${clock(c.t_end)}`),
              el('span', {}, `“${c.quote}”`),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    out.replaceChildren(el('p', { class: 'error' }, err.message));
  } finally {
    button.disabled = false;
  }
});

async function load() {
  try {
    render(await api(base));
  } catch (err) {
    showError(`Could not load video ${videoId}: ${err.message}`);
  }
}

await load();
// While the video is being processed, its page follows along (subscribed after the first
// load, which asks for the token if needed: an EventSource refused with 401 would not retry).
subscribe((e) => {
  if (e.type === 'stage.done' || e.type.startsWith('video.')) void load();
}, videoId);
// A link such as /videos/{id}#t=12.5 (from the library's search) opens at that moment.
const start = /^#t=([\d.]+)$/.exec(location.hash);
if (start) seek(Number(start[1]));
