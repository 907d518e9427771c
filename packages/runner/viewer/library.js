import { api, clock, el, subscribe, token } from './api.js';

const tbody = document.querySelector('#videos tbody');
const table = document.getElementById('videos');
const note = document.getElementById('library-note');
const uploadStatus = document.getElementById('upload-status');
/** The last progress seen per video ("transcribe done"), shown under its status. */
const progress = new Map();

function row(v) {
  const status = el('span', { class: `status ${v.status}` }, v.status);
  const statusCell = el('td', { 'data-label': 'Status', 'data-video-status': v.id }, status);
  const p = progress.get(v.id);
  if (v.status === 'processing' && p) statusCell.append(el('span', { class: 'progress-note' }, p));
  if (v.error) statusCell.append(el('span', { class: 'progress-note error' }, v.error));
  const c = v.counts;
  return el(
    'tr',
    { 'data-video': v.id },
    el(
      'td',
      { 'data-label': 'Video' },
      el('a', { href: `/videos/${encodeURIComponent(v.id)}` }, v.file ?? v.id),
      el('span', { class: 'progress-note' }, v.id),
    ),
    statusCell,
    el('td', { 'data-label': 'Length' }, v.duration_sec == null ? '–' : clock(v.duration_sec)),
    el(
      'td',
      { 'data-label': 'Contents' },
      `${c.segments} segments, ${c.scenes} scenes, ${c.frames} frames, ${c.captions} captions`,
    ),
    el('td', { 'data-label': 'Added' }, new Date(v.created_at).toLocaleString()),
  );
}

let loading;
async function load() {
  // Events come in bursts: one reload at a time, and one more if asked meanwhile.
  if (loading) return (loading.again = true);
  loading = { again: false };
  try {
    const { videos } = await api('/v1/videos');
    tbody.replaceChildren(...videos.map(row));
    table.hidden = videos.length === 0;
    note.textContent =
      videos.length === 0 ? 'No videos yet: add one above.' : `${videos.length} video${videos.length === 1 ? '' : 's'}`;
  } catch (err) {
    note.textContent = `Could not load the library: ${err.message}`;
    note.classList.add('error');
  } finally {
    const again = loading.again;
    loading = undefined;
    if (again) void load();
  }
}

/** Streams the file to POST /v1/uploads (XHR for upload progress) and enqueues it for processing. */
function upload(file) {
  const bar = el('progress', { max: '100', value: '0', 'aria-label': `Uploading ${file.name}` });
  uploadStatus.replaceChildren(`Uploading ${file.name}… `, bar);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/v1/uploads?kind=process&filename=${encodeURIComponent(file.name.slice(-200))}`);
  if (token()) xhr.setRequestHeader('authorization', `Bearer ${token()}`);
  xhr.setRequestHeader('content-type', 'application/octet-stream');
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
  };
  xhr.onload = () => {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      // not JSON
    }
    if (xhr.status === 201) {
      uploadStatus.replaceChildren(
        `Uploaded ${file.name}: queued as job ${body.job_id} for video `,
        el('a', { href: `/videos/${encodeURIComponent(body.video_id)}` }, body.video_id),
      );
      void load();
    } else {
      uploadStatus.replaceChildren(
        el(
          'span',
          { class: 'error' },
          `Upload failed: ${body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${xhr.status}`}`,
        ),
      );
    }
  };
  xhr.onerror = () =>
    uploadStatus.replaceChildren(el('span', { class: 'error' }, 'Upload failed: the connection was lost'));
  xhr.send(file);
}

const input = document.getElementById('file-input');
input.addEventListener('change', () => {
  if (input.files?.[0]) upload(input.files[0]);
  input.value = '';
});
const zone = document.getElementById('drop-zone');
zone.addEventListener('dragover', (e) => {
  e.preventDefault();
  zone.classList.add('dragging');
});
zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
zone.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('dragging');
  const file = e.dataTransfer?.files?.[0];
  if (file) upload(file);
});

document.getElementById('search-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const q = document.getElementById('search-input').value.trim();
  const list = document.getElementById('search-hits');
  if (!q) return;
  try {
    const { results } = await api(`/v1/search?q=${encodeURIComponent(q)}&limit=10`);
    list.replaceChildren(
      ...(results.length === 0
        ? [el('li', { class: 'muted' }, 'No matches.')]
        : results.map((h) =>
            el(
              'li',
              {},
              el(
                'a',
                { href: `/videos/${encodeURIComponent(h.video_id)}#t=${h.t_start}` },
                el('span', { class: 'time' }, `${h.video_id} ${clock(h.t_start)}`),
                ' ',
                h.text,
              ),
            ),
          )),
    );
  } catch (err) {
    list.replaceChildren(el('li', { class: 'error' }, err.message));
  }
});

// Live updates start once the first load has gone through (and asked for the token if the
// server needs one): an EventSource refused with 401 would not retry.
await load();
subscribe((e) => {
  if (e.type === 'stage.done' || e.type === 'stage.started' || e.type === 'stage.skipped')
    progress.set(e.video_id, `${e.stage} ${e.status === 'running' ? 'running' : e.status}`);
  if (e.type.startsWith('video.') || e.type.startsWith('job.')) return void load();
  // A stage event only changes the progress note of the row.
  const cell = document.querySelector(`[data-video-status="${CSS.escape(e.video_id)}"]`);
  if (cell) {
    cell.querySelector('.progress-note:not(.error)')?.remove();
    cell.append(el('span', { class: 'progress-note' }, progress.get(e.video_id)));
  }
});
