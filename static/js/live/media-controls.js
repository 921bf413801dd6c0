// The page's side of live video, drawn from a LiveMedia's state: the media buttons (camera,
// screen, stop, mute, record, devices), the status badges and the words around the video, and
// the teacher's buttons in the people list that let a pupil share a screen.

import { el } from '/static/js/dom.js';
import { refreshDeviceMenus } from '/static/js/live/media-devices.js';

/** Wire the page's `[data-media-action]` buttons and device menus to `media`. */
export function wireMediaControls(media) {
  const actions = {
    camera: () => media.startCamera(),
    screen: () => media.startScreen(),
    stop: () => media.stopPublishing(),
    mute: () => media.toggleMute(),
    record: () => media.room.send('rtc.record', { on: !media.state.recording }).catch(() => {}),
    devices: (button) => {
      const panel = document.querySelector('[data-media-devices]');
      if (!panel) return;
      panel.hidden = !panel.hidden;
      button.setAttribute('aria-expanded', String(!panel.hidden));
      if (!panel.hidden) refreshDeviceMenus(media.strings);
    },
  };
  for (const button of document.querySelectorAll('[data-media-action]')) {
    const action = actions[button.dataset.mediaAction];
    button.addEventListener('click', () => action?.(button));
  }
  document.querySelector('[data-media-camera]')?.addEventListener('change', () => media.switchDevice('camera'));
  document.querySelector('[data-media-mic]')?.addEventListener('change', () => media.switchDevice('mic'));
}

/** Show `phase` in the status badges, the label and note around the video, and the buttons. */
export function renderMediaState(media, phase) {
  const strings = media.strings;
  const words = {
    waiting: strings.media_waiting,
    connecting: strings.media_connecting,
    live: strings.media_live,
    onair: strings.media_onAir,
    stopped: strings.media_stopped,
    reconnecting: strings.media_reconnecting,
    busy: strings.media_reconnecting,
  };
  for (const badge of document.querySelectorAll('[data-media-status]')) {
    badge.dataset.state = phase;
    badge.textContent = words[phase] ?? phase;
  }
  const s = media.state;
  const kind = media.local?.kind ?? s.kind;
  let label = '';
  if (media.local) label = strings.media_onAir;
  else if (s.live && s.publisher?.role === 'pupil') {
    label = strings.media_sharing.replace('{name}', s.publisher.name ?? strings.aPupil);
  } else if (s.live) label = kind === 'screen' ? strings.media_sharedScreen : strings.media_teacherCamera;
  let note = null;
  if (phase === 'connecting') note = strings.media_connecting;
  else if (phase === 'reconnecting') note = s.live ? strings.media_reconnecting : strings.media_lost;
  else if (phase === 'busy') note = media.viewer?.message ?? null;
  const visible = Boolean(media.local) || (s.live && !media.ended) || phase === 'reconnecting';
  media.view.render({ visible, kind, label, note });
  renderControls(media, phase);
}

function renderControls(media, phase) {
  const sending = Boolean(media.local);
  const teacher = media.me.role === 'teacher';
  const mayShare = media.canShare && (teacher || media.isGrantedToMe()) && !media.ended;
  const button = (name) => document.querySelector(`[data-media-action="${name}"]`);
  const show = (name, visible) => {
    const node = button(name);
    if (node) node.hidden = !visible;
  };
  show('camera', teacher && !media.ended);
  show('screen', mayShare && media.local?.kind !== 'screen');
  show('stop', sending);
  show('mute', sending && Boolean(media.local?.stream.getAudioTracks().length));
  const camera = button('camera');
  if (camera) camera.classList.toggle('is-on', media.local?.kind === 'camera');
  const mute = button('mute');
  if (mute) {
    mute.setAttribute('aria-pressed', String(media.muted));
    mute.classList.toggle('is-on', media.muted);
    mute.textContent = media.muted ? media.strings.media_unmuteMic : media.strings.media_mute;
  }
  document.body.classList.toggle('is-on-air', phase === 'onair');
  const record = button('record');
  if (record) {
    record.hidden = media.ended;
    record.setAttribute('aria-pressed', String(Boolean(media.state.recording)));
    record.classList.toggle('is-on', Boolean(media.state.recording));
    record.textContent = media.state.recording ? media.strings.media_stopRecord : media.strings.media_record;
  }
  for (const badge of document.querySelectorAll('[data-media-recording]')) {
    badge.hidden = !media.state.recording || media.ended;
  }
}

/** The teacher's buttons in the people list: let a pupil share their screen, or stop it. */
export function addScreenGrantButtons(media, list) {
  if (!list || media.me.role !== 'teacher' || media.ended) return;
  const grant = media.state.grant?.id;
  for (const row of list.querySelectorAll('.live-person.live-role-pupil.is-here')) {
    const actions = row.querySelector('.live-person-actions');
    if (!actions || actions.querySelector('[data-screen-grant]')) continue;
    const id = Number(row.dataset.personId);
    const granted = grant === id;
    actions.prepend(
      el('button', {
        type: 'button',
        class: `btn btn-sm ${granted ? 'btn-primary' : 'btn-ghost'}`,
        'data-screen-grant': String(id),
        text: granted ? media.strings.media_revoke : media.strings.media_grant,
        onclick: () => media.room.send('rtc.grant', { user_id: granted ? null : id }).catch(() => {}),
      }),
    );
  }
}
