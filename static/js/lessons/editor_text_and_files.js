// The lesson editor's text and file blocks: Markdown with a live preview rendered by the server,
// and the uploaded file of an image, video, file or whiteboard (background) block with its preview.

import { api, upload } from '/static/js/api.js';
import { toast } from '/static/js/app.js';
import { readJson } from '/static/js/dom.js';
import { el, field } from '/static/js/lessons/editor_dom.js';
import { changed, t } from '/static/js/lessons/editor_saving.js';
import { typesetMath } from '/static/js/lessons/math.js';

const PREVIEW_MS = 400;
const assets = readJson('asset-data');

// Text with a live preview rendered by the server, exactly as the lesson will show it.
export function textEditor(block) {
  const preview = el('div', { class: 'prose text-preview', 'aria-live': 'polite' });
  let previewTimer = null;
  const refresh = async () => {
    if (!block.text.trim()) {
      preview.replaceChildren(el('p', { class: 'muted', text: t.emptyPreview }));
      return;
    }
    try {
      const { html } = await api('POST', '/lessons/preview', { text: block.text });
      preview.innerHTML = html; // sanitized by the server
      typesetMath(preview);
    } catch {
      // the preview is a convenience; saving reports real problems
    }
  };
  const textarea = el('textarea', {
    class: 'markdown-input',
    rows: '8',
    value: block.text,
    on: {
      input: (event) => {
        block.text = event.target.value;
        changed();
        clearTimeout(previewTimer);
        previewTimer = setTimeout(refresh, PREVIEW_MS);
      },
    },
  });
  refresh();
  return el('div', { class: 'text-editor' }, field(t.markdown, textarea, t.markdownHint), el('div', { class: 'field' }, el('span', { class: 'field-label', text: t.preview }), preview));
}

function assetPreview(block, key) {
  const id = block[key];
  if (!id) return el('p', { class: 'muted', text: t.noFile });
  const info = assets[id] ?? {};
  const url = `/assets/${id}`;
  const mime = info.mime ?? '';
  if (block.kind === 'image' || key === 'background' || mime.startsWith('image/')) {
    return el('img', { class: 'asset-preview', src: url, alt: block.alt ?? '' });
  }
  if (mime.startsWith('audio/')) return el('audio', { controls: true, src: url, preload: 'metadata' });
  if (block.kind === 'video') return el('video', { class: 'asset-preview', controls: true, src: url, preload: 'metadata' });
  return el('a', { href: url, download: info.filename || true, text: info.filename || id.slice(0, 12) });
}

// `onRemove()`, when given, offers to remove the file (and draws the blocks again after).
export function assetPicker(block, key, label, accept, onRemove = null) {
  const holder = el('div', { class: 'asset-holder' }, assetPreview(block, key));
  const input = el('input', { type: 'file', accept, class: 'sr-only' });
  const button = el('label', { class: 'btn btn-secondary', text: label });
  const inputId = `upload-${block.id}-${key}`;
  input.id = inputId;
  button.setAttribute('for', inputId);
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file);
    button.textContent = t.uploading;
    try {
      const info = await upload('/assets', form);
      assets[info.id] = info;
      block[key] = info.id;
      holder.replaceChildren(assetPreview(block, key));
      toast(t.uploaded, 'success');
      changed();
    } catch (error) {
      toast(`${t.uploadFailed} ${error.message}`, 'error');
    } finally {
      button.textContent = label;
      input.value = '';
    }
  });
  const tools = el('div', { class: 'row' }, button, input);
  if (onRemove && block[key]) {
    tools.append(el('button', { type: 'button', class: 'btn btn-ghost', text: t.removeBackground, on: { click: () => { block[key] = null; onRemove(); changed(); } } }));
  }
  return el('div', { class: 'asset-picker stack-sm' }, holder, tools);
}
