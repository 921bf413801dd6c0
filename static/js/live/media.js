// Live video of a lesson: the teacher's camera or shared screen (or a pupil's screen, when the
// teacher lets them) goes up once to the server over WebRTC and comes down to everyone else.
//
// Signalling rides on the room's WebSocket: `rtc.offer {role, kind, sdp}` is answered by a
// direct frame `rtc.answer {id, sdp}` and an ack (or an error frame). Offers are sent complete,
// after ICE gathering; the server's answer carries its own candidates. What is on air comes as
// `rtc.state` events (and `state.media` in the welcome), the right to share a screen as
// `rtc.grant`. The room's socket reconnects by itself; the video follows it.

import { toast } from '/static/js/app.js';
import { el } from '/static/js/dom.js';

const GATHER_MS = 5000; // send what was gathered by then (a slow STUN server must not block)
const REQUEST_MS = 30000;
const MAX_RETRY_MS = 15000;
const STALLED_MS = 6000; // a "disconnected" peer connection this long is started again
const BUSY_RETRY_MS = 30000; // after too_many_viewers

let counter = 0;

/** A refused or failed media request: `code` is the server's error code (or offline/timeout). */
export class MediaRequestError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'MediaRequestError';
    this.code = code;
  }
}

function requestId() {
  counter += 1;
  return `rtc-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}-${counter}`;
}

/** Resolve once the peer connection has gathered its ICE candidates (or after GATHER_MS). */
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', changed);
      resolve();
    };
    const changed = () => {
      if (pc.iceGatheringState === 'complete') finish();
    };
    const timer = setTimeout(finish, GATHER_MS);
    pc.addEventListener('icegatheringstatechange', changed);
  });
}

function backoff(attempt) {
  return Math.min(MAX_RETRY_MS, 1000 * 2 ** Math.min(attempt, 4)) * (0.75 + Math.random() / 2);
}

/**
 * Media requests over the room's socket. The room's connection keeps its own commands (and
 * replays them after a reconnect); these are not worth replaying, so they are sent and answered
 * here: the frames that answer them are taken before the connection sees them.
 */
class Signalling {
  constructor(connection) {
    this.connection = connection;
    this.pending = new Map(); // id -> {resolve, reject, timer, reply}
    const receive = connection.receive.bind(connection);
    connection.receive = (raw) => {
      if (!this.take(raw)) receive(raw);
    };
  }

  take(raw) {
    if (this.pending.size === 0) return false;
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return false;
    }
    const direct = frame.type === 'rtc.answer' || frame.type === 'rtc.config';
    const id = direct ? frame.data?.id : frame.id;
    const entry = id ? this.pending.get(id) : undefined;
    if (!entry) return false;
    if (direct) {
      entry.reply = frame.data;
    } else if (frame.type === 'ack') {
      this.settle(id);
      entry.resolve(entry.reply);
    } else if (frame.type === 'error') {
      this.settle(id);
      entry.reject(new MediaRequestError(frame.error?.code ?? 'error', frame.error?.message ?? ''));
    } else {
      return false;
    }
    return true;
  }

  /** Send `{type, id, data}`; resolves with the direct reply's data (or null) at the ack. */
  request(type, data) {
    const socket = this.connection.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new MediaRequestError('offline', ''));
    }
    const id = requestId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(id);
        reject(new MediaRequestError('timeout', ''));
      }, REQUEST_MS);
      this.pending.set(id, { resolve, reject, timer, reply: null });
      socket.send(JSON.stringify({ type, id, data }));
    });
  }

  settle(id) {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
  }

  /** The socket went: nothing pending will be answered. */
  failAll() {
    for (const [id, entry] of [...this.pending]) {
      this.settle(id);
      entry.reject(new MediaRequestError('offline', ''));
    }
  }
}

/** The video box on the stage: the remote video, or the publisher's own preview. */
class VideoView {
  constructor(root, strings) {
    this.root = root;
    this.strings = strings;
    this.video = root?.querySelector('[data-media-video]');
    this.unmuteButton = root?.querySelector('[data-media-unmute]');
    this.sizeButton = root?.querySelector('[data-media-size]');
    this.label = root?.querySelector('[data-media-label]');
    this.note = root?.querySelector('[data-media-note]');
    this.stream = null;
    this.preview = false;
    this.size = null; // chosen by the user; else by the kind of video
    this.needsTap = false;
    this.unmuteButton?.addEventListener('click', () => this.unmute());
    this.sizeButton?.addEventListener('click', () => {
      this.size = this.root.dataset.size === 'large' ? 'small' : 'large';
      this.layout(this.root.dataset.kind);
    });
    this.video?.addEventListener('playing', () => this.refreshButtons());
    this.video?.addEventListener('volumechange', () => this.refreshButtons());
  }

  /** Show `stream` (null: nothing); `preview` is the publisher's own, always silent. */
  show(stream, { preview = false } = {}) {
    if (!this.video) return;
    this.preview = preview;
    if (this.stream !== stream) {
      this.stream = stream;
      this.video.srcObject = stream;
      // Browsers let a page play sound only after a tap: start muted, offer to unmute.
      this.video.muted = true;
      this.needsTap = false;
      if (stream) this.play();
    }
    this.refreshButtons();
  }

  play() {
    this.video.play().catch(() => {
      this.needsTap = true;
      this.refreshButtons();
    });
  }

  unmute() {
    this.video.muted = false;
    this.needsTap = false;
    this.video.play().catch(() => {
      // Not even a tap was enough: go back to silent playing rather than nothing.
      this.video.muted = true;
      this.play();
    });
    this.refreshButtons();
  }

  hasAudio() {
    return Boolean(this.stream?.getAudioTracks().length);
  }

  refreshButtons() {
    if (!this.unmuteButton) return;
    const silent = this.video.muted && this.hasAudio() && !this.preview;
    this.unmuteButton.hidden = !(silent || this.needsTap);
    this.unmuteButton.textContent = this.needsTap && !silent ? this.strings.media_play : this.strings.media_unmute;
  }

  /** `{visible, kind, label, note}`: what the box shows around the video. */
  render({ visible, kind, label, note }) {
    if (!this.root) return;
    this.root.hidden = !visible;
    this.root.classList.toggle('is-preview', this.preview);
    if (this.label) this.label.textContent = label ?? '';
    if (this.note) {
      this.note.hidden = !note;
      this.note.textContent = note ?? '';
    }
    this.layout(kind);
  }

  layout(kind) {
    if (!this.root) return;
    this.root.dataset.kind = kind ?? 'camera';
    const size = this.size ?? (kind === 'screen' && !this.preview ? 'large' : 'small');
    this.root.dataset.size = size;
    if (this.sizeButton) {
      this.sizeButton.textContent = size === 'large' ? this.strings.media_shrink : this.strings.media_enlarge;
      this.sizeButton.setAttribute('aria-pressed', String(size === 'large'));
    }
  }
}

export class LiveMedia {
  /** `room` is the page's LiveRoom (before `start()`). */
  constructor(room) {
    this.room = room;
    this.strings = room.strings;
    this.me = room.config.me;
    this.iceServers = room.config.rtc?.ice_servers ?? [];
    this.signalling = new Signalling(room.connection);
    this.state = { live: false, kind: null, publisher: null, publication: null, grant: null };
    this.reason = null; // why the state last changed
    this.view = new VideoView(document.querySelector('[data-media-view]'), this.strings);
    this.viewer = null; // {pc, publication, stream, phase, attempt, timer}
    this.sender = null; // {pc, kind, phase, attempt, timer}
    this.local = null; // {stream, kind}: the camera/screen being shown
    this.wanted = null; // 'camera' | 'screen' while the user wants to be on air
    this.muted = false;
    this.online = false;
    this.ended = false;
    this.listeners = [];
    this.hook();
    this.wireControls();
    navigator.mediaDevices?.addEventListener?.('devicechange', () => this.refreshDevices());
    window.addEventListener('beforeunload', () => this.releaseLocal());
  }

  /** Call `listener()` after every change of what is shown or who may share. */
  onChange(listener) {
    this.listeners.push(listener);
  }

  get canShare() {
    return Boolean(navigator.mediaDevices?.getDisplayMedia);
  }

  // --- following the room -------------------------------------------------------------------

  hook() {
    const options = this.room.connection.options;
    const { onWelcome, onEvent, onStatus } = options;
    options.onWelcome = (data) => {
      onWelcome?.(data);
      this.welcome(data.state);
    };
    options.onEvent = (frame) => {
      this.event(frame);
      onEvent?.(frame);
    };
    options.onStatus = (status, detail) => {
      onStatus?.(status, detail);
      this.socketStatus(status);
    };
  }

  welcome(state) {
    this.ended = Boolean(state.ended);
    if (state.media) this.state = { ...state.media };
    this.sync();
  }

  event(frame) {
    const d = frame.data ?? {};
    if (frame.type === 'rtc.state') {
      this.state = { ...this.state, live: d.live, kind: d.kind, publisher: d.publisher, publication: d.publication };
      this.reason = d.reason;
      if (d.live && this.local && d.publisher?.id !== this.me.id) {
        // Someone else went on air after us: the server has closed our publication.
        toast(this.strings.media_replaced, 'info');
        this.stopPublishing({ tell: false });
      }
      this.sync();
    } else if (frame.type === 'rtc.record') {
      this.state.recording = Boolean(d.on);
      this.changed();
    } else if (frame.type === 'rtc.grant') {
      const wasMine = this.isGrantedToMe();
      this.state.grant = d.person ?? null;
      const mine = this.isGrantedToMe();
      if (mine && !wasMine) toast(this.strings.media_granted, 'info');
      if (wasMine && !mine && this.me.role === 'pupil') {
        if (this.wanted) toast(this.strings.media_revoked, 'info');
        this.stopPublishing({ tell: false });
      }
      this.changed();
    } else if (frame.type === 'lesson.end') {
      this.ended = true;
      this.state = { ...this.state, live: false, grant: null };
      this.stopPublishing({ tell: false });
      this.sync();
    }
  }

  socketStatus(status) {
    if (status === 'online') {
      const wasOffline = !this.online;
      this.online = true;
      // The server let go of our peer connections when the socket dropped: start them again,
      // once the events missed meanwhile have had a moment to arrive.
      if (wasOffline) setTimeout(() => this.resume(), 300);
      return;
    }
    if (!this.online && status === 'connecting') return;
    this.online = false;
    this.signalling.failAll();
    this.closeViewer();
    this.closeSender();
    if (status === 'closed') {
      this.ended = true;
      this.stopPublishing({ tell: false });
    }
    this.changed();
  }

  resume() {
    if (!this.online || this.ended) return;
    if (this.wanted && this.local && !this.sender) this.publish();
    this.sync();
  }

  isGrantedToMe() {
    return this.state.grant?.id !== undefined && this.state.grant.id === this.me.id;
  }

  /** Whether what is on air comes from this page. */
  onAirHere() {
    return Boolean(this.sender) && this.state.live && this.state.publisher?.id === this.me.id;
  }

  /** Watch what is on air (unless it is ours), or stop watching. */
  sync() {
    const s = this.state;
    const watch = s.live && !this.ended && this.online && !(this.sender && s.publisher?.id === this.me.id);
    if (!watch) {
      this.closeViewer();
    } else if (!this.viewer || this.viewer.publication !== s.publication) {
      this.watch();
    }
    this.changed();
  }

  // --- receiving ----------------------------------------------------------------------------

  async watch(attempt = 0) {
    this.closeViewer();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const stream = new MediaStream();
    const viewer = { pc, stream, publication: this.state.publication, phase: 'connecting', attempt, timer: null };
    this.viewer = viewer;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => {
      stream.addTrack(event.track);
      if (this.viewer === viewer) this.view.show(stream);
    });
    pc.addEventListener('connectionstatechange', () => this.viewerChanged(viewer));
    this.changed();
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      if (this.viewer !== viewer) return;
      const reply = await this.signalling.request('rtc.offer', { role: 'subscribe', sdp: pc.localDescription.sdp });
      if (this.viewer !== viewer) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
    } catch (error) {
      if (this.viewer === viewer) this.watchFailed(viewer, error);
    }
  }

  watchFailed(viewer, error) {
    viewer.pc.close();
    if (error.code === 'offline' || error.code === 'closed' || error.code === 'ended') {
      viewer.phase = 'reconnecting';
    } else if (error.code === 'no_publisher') {
      // What we knew was out of date: the next rtc.state live event starts watching again.
      this.viewer = null;
    } else if (error.code === 'too_many_viewers') {
      viewer.phase = 'busy';
      viewer.message = error.message;
      toast(error.message, 'warning');
      viewer.timer = setTimeout(() => this.retryWatch(viewer), BUSY_RETRY_MS);
    } else {
      viewer.phase = 'reconnecting';
      viewer.timer = setTimeout(() => this.retryWatch(viewer), backoff(viewer.attempt));
    }
    this.changed();
  }

  retryWatch(viewer) {
    if (this.viewer === viewer && this.state.live && this.online) this.watch(viewer.attempt + 1);
  }

  viewerChanged(viewer) {
    if (this.viewer !== viewer) return;
    const state = viewer.pc.connectionState;
    clearTimeout(viewer.timer);
    if (state === 'connected') {
      viewer.phase = 'live';
      viewer.attempt = 0;
    } else if (state === 'disconnected') {
      viewer.phase = 'reconnecting';
      viewer.timer = setTimeout(() => this.retryWatch(viewer), STALLED_MS);
    } else if (state === 'failed' || state === 'closed') {
      viewer.phase = 'reconnecting';
      viewer.timer = setTimeout(() => this.retryWatch(viewer), backoff(viewer.attempt));
    }
    this.changed();
  }

  closeViewer() {
    const viewer = this.viewer;
    if (!viewer) return;
    this.viewer = null;
    clearTimeout(viewer.timer);
    viewer.pc.close();
    if (!this.local) this.view.show(null);
  }

  // --- sending ------------------------------------------------------------------------------

  async startCamera() {
    const stream = await this.capture(
      () => navigator.mediaDevices.getUserMedia({ video: this.constraint('camera', true), audio: this.constraint('mic', true) }),
      { refusal: this.strings.media_denied },
    );
    if (stream) await this.goOnAir(stream, 'camera');
  }

  async startScreen() {
    if (!this.canShare) {
      toast(this.strings.media_noScreen, 'warning');
      return;
    }
    // Cancelling the screen picker is a refusal too: nothing to say then.
    const screen = await this.capture(() => navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }));
    if (!screen) return;
    // The voice goes with the screen when there is a microphone.
    let voice = [];
    try {
      const mic = await navigator.mediaDevices.getUserMedia({ audio: this.constraint('mic', true) });
      voice = mic.getAudioTracks();
    } catch {
      voice = [];
    }
    const stream = new MediaStream([...screen.getVideoTracks(), ...voice]);
    // The browser's own "Stop sharing" button ends the track.
    screen.getVideoTracks()[0]?.addEventListener('ended', () => {
      if (this.local?.stream === stream) this.stopPublishing();
    });
    await this.goOnAir(stream, 'screen');
  }

  async capture(get, { refusal = null } = {}) {
    if (!navigator.mediaDevices) {
      toast(this.strings.media_unsupported, 'error');
      return null;
    }
    try {
      return await get();
    } catch (error) {
      if (error?.name === 'NotFoundError' || error?.name === 'OverconstrainedError') {
        toast(this.strings.media_noDevice, 'error');
      } else if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') {
        if (refusal) toast(refusal, 'warning');
      } else {
        toast(error?.message || this.strings.failed, 'error');
      }
      return null;
    }
  }

  constraint(which, fallback) {
    const select = document.querySelector(which === 'camera' ? '[data-media-camera]' : '[data-media-mic]');
    const id = select?.value;
    return id ? { deviceId: { exact: id } } : fallback;
  }

  async goOnAir(stream, kind) {
    this.releaseLocal();
    this.local = { stream, kind };
    this.wanted = kind;
    this.applyMute();
    this.closeViewer();
    this.view.show(stream, { preview: true });
    await this.publish();
    this.refreshDevices();
  }

  async publish(attempt = 0) {
    const local = this.local;
    if (!local || !this.online) return;
    this.closeSender();
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const sender = { pc, kind: local.kind, phase: 'connecting', attempt, timer: null };
    this.sender = sender;
    for (const track of local.stream.getTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [local.stream] });
    }
    pc.addEventListener('connectionstatechange', () => this.senderChanged(sender));
    this.changed();
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      if (this.sender !== sender) return;
      const reply = await this.signalling.request('rtc.offer', {
        role: 'publish',
        kind: local.kind,
        sdp: pc.localDescription.sdp,
      });
      if (this.sender !== sender) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
    } catch (error) {
      if (this.sender !== sender) return;
      if (['forbidden', 'observer', 'invalid', 'bad_offer', 'ended', 'closed'].includes(error.code)) {
        toast(error.message || this.strings.failed, 'warning');
        this.stopPublishing({ tell: false });
      } else if (error.code !== 'offline') {
        this.retryPublish(sender);
      }
    }
  }

  retryPublish(sender) {
    sender.pc.close();
    sender.phase = 'reconnecting';
    clearTimeout(sender.timer);
    sender.timer = setTimeout(() => {
      if (this.sender === sender && this.wanted && this.online) this.publish(sender.attempt + 1);
    }, backoff(sender.attempt));
    this.changed();
  }

  senderChanged(sender) {
    if (this.sender !== sender) return;
    const state = sender.pc.connectionState;
    if (state === 'connected') {
      sender.phase = 'live';
      sender.attempt = 0;
      clearTimeout(sender.timer);
      this.changed();
    } else if (state === 'failed' || state === 'closed') {
      // Lost (or closed by the server): go on air again, unless someone else took over.
      const someoneElse = this.state.live && this.state.publisher?.id !== this.me.id;
      if (someoneElse) this.stopPublishing({ tell: false });
      else this.retryPublish(sender);
    } else if (state === 'disconnected') {
      sender.phase = 'reconnecting';
      clearTimeout(sender.timer);
      sender.timer = setTimeout(() => {
        if (this.sender === sender && sender.pc.connectionState !== 'connected') this.retryPublish(sender);
      }, STALLED_MS);
      this.changed();
    }
  }

  closeSender() {
    const sender = this.sender;
    if (!sender) return;
    this.sender = null;
    clearTimeout(sender.timer);
    sender.pc.close();
  }

  releaseLocal() {
    for (const track of this.local?.stream.getTracks() ?? []) track.stop();
    this.local = null;
  }

  /** Leave the air: tell the server (unless it already knows), free the camera. */
  stopPublishing({ tell = true } = {}) {
    const wasSending = Boolean(this.sender || this.local);
    this.wanted = null;
    if (tell && this.sender) this.signalling.request('rtc.stop', { role: 'publish' }).catch(() => {});
    this.closeSender();
    this.releaseLocal();
    if (wasSending) {
      this.view.show(null);
      this.sync();
    }
  }

  toggleMute() {
    this.muted = !this.muted;
    this.applyMute();
    this.changed();
  }

  applyMute() {
    for (const track of this.local?.stream.getAudioTracks() ?? []) track.enabled = !this.muted;
  }

  /** Another camera or microphone chosen while on air: swap the track, no renegotiation. */
  async switchDevice(which) {
    if (!this.local || (which === 'camera' && this.local.kind !== 'camera')) return;
    const kind = which === 'camera' ? 'video' : 'audio';
    let fresh;
    try {
      const constraints = kind === 'video' ? { video: this.constraint('camera', true) } : { audio: this.constraint('mic', true) };
      fresh = (await navigator.mediaDevices.getUserMedia(constraints)).getTracks()[0];
    } catch {
      toast(this.strings.media_noDevice, 'warning');
      return;
    }
    const stream = this.local.stream;
    for (const old of stream.getTracks().filter((track) => track.kind === kind)) {
      stream.removeTrack(old);
      old.stop();
    }
    stream.addTrack(fresh);
    this.applyMute();
    const rtpSender = this.sender?.pc.getSenders().find((s) => s.track?.kind === kind || (!s.track && kind === 'audio'));
    if (rtpSender) await rtpSender.replaceTrack(fresh);
    else if (this.sender) this.publish(); // it had no track of this kind: negotiate again
    this.view.show(null);
    this.view.show(stream, { preview: true });
  }

  async refreshDevices() {
    const cameras = document.querySelector('[data-media-camera]');
    const mics = document.querySelector('[data-media-mic]');
    if (!cameras && !mics) return;
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const fill = (select, kind) => {
      if (!select) return;
      const chosen = select.value;
      const options = devices
        .filter((device) => device.kind === kind && device.deviceId && device.deviceId !== 'default')
        .map((device, index) => el('option', { value: device.deviceId, text: device.label || `${kind} ${index + 1}` }));
      select.replaceChildren(el('option', { value: '', text: this.strings.media_defaultDevice }), ...options);
      if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
    };
    fill(cameras, 'videoinput');
    fill(mics, 'audioinput');
  }

  // --- the page -----------------------------------------------------------------------------

  wireControls() {
    const actions = {
      camera: () => this.startCamera(),
      screen: () => this.startScreen(),
      stop: () => this.stopPublishing(),
      mute: () => this.toggleMute(),
      record: () => this.room.send('rtc.record', { on: !this.state.recording }).catch(() => {}),
      devices: (button) => {
        const panel = document.querySelector('[data-media-devices]');
        if (!panel) return;
        panel.hidden = !panel.hidden;
        button.setAttribute('aria-expanded', String(!panel.hidden));
        if (!panel.hidden) this.refreshDevices();
      },
    };
    for (const button of document.querySelectorAll('[data-media-action]')) {
      const action = actions[button.dataset.mediaAction];
      button.addEventListener('click', () => action?.(button));
    }
    document.querySelector('[data-media-camera]')?.addEventListener('change', () => this.switchDevice('camera'));
    document.querySelector('[data-media-mic]')?.addEventListener('change', () => this.switchDevice('mic'));
  }

  /** waiting | connecting | live | stopped | reconnecting | onair | busy */
  phase() {
    if (this.ended) return 'stopped';
    if (this.local) return this.sender?.phase === 'live' && this.onAirHere() ? 'onair' : 'connecting';
    if (!this.online && (this.state.live || this.viewer)) return 'reconnecting';
    if (this.state.live) return this.viewer?.phase ?? 'connecting';
    if (this.reason === 'publisher_lost') return 'reconnecting';
    if (this.reason === 'stopped' || this.reason === 'replaced') return 'stopped';
    return 'waiting';
  }

  changed() {
    const phase = this.phase();
    const strings = this.strings;
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
    const s = this.state;
    const kind = this.local?.kind ?? s.kind;
    let label = '';
    if (this.local) label = strings.media_onAir;
    else if (s.live && s.publisher?.role === 'pupil') {
      label = strings.media_sharing.replace('{name}', s.publisher.name ?? strings.aPupil);
    } else if (s.live) label = kind === 'screen' ? strings.media_sharedScreen : strings.media_teacherCamera;
    let note = null;
    if (phase === 'connecting') note = strings.media_connecting;
    else if (phase === 'reconnecting') note = s.live ? strings.media_reconnecting : strings.media_lost;
    else if (phase === 'busy') note = this.viewer?.message ?? null;
    const visible = Boolean(this.local) || (s.live && !this.ended) || phase === 'reconnecting';
    this.view.render({ visible, kind, label, note });
    this.renderControls(phase);
    for (const listener of this.listeners) listener();
  }

  renderControls(phase) {
    const sending = Boolean(this.local);
    const teacher = this.me.role === 'teacher';
    const mayShare = this.canShare && (teacher || this.isGrantedToMe()) && !this.ended;
    const button = (name) => document.querySelector(`[data-media-action="${name}"]`);
    const show = (name, visible) => {
      const node = button(name);
      if (node) node.hidden = !visible;
    };
    show('camera', teacher && !this.ended);
    show('screen', mayShare && this.local?.kind !== 'screen');
    show('stop', sending);
    show('mute', sending && Boolean(this.local?.stream.getAudioTracks().length));
    const camera = button('camera');
    if (camera) camera.classList.toggle('is-on', this.local?.kind === 'camera');
    const mute = button('mute');
    if (mute) {
      mute.setAttribute('aria-pressed', String(this.muted));
      mute.classList.toggle('is-on', this.muted);
      mute.textContent = this.muted ? this.strings.media_unmuteMic : this.strings.media_mute;
    }
    document.body.classList.toggle('is-on-air', phase === 'onair');
    const record = button('record');
    if (record) {
      record.hidden = this.ended;
      record.setAttribute('aria-pressed', String(Boolean(this.state.recording)));
      record.classList.toggle('is-on', Boolean(this.state.recording));
      record.textContent = this.state.recording ? this.strings.media_stopRecord : this.strings.media_record;
    }
    for (const badge of document.querySelectorAll('[data-media-recording]')) {
      badge.hidden = !this.state.recording || this.ended;
    }
  }

  /** The teacher's buttons in the people list: let a pupil share their screen, or stop it. */
  decoratePeople(list) {
    if (!list || this.me.role !== 'teacher' || this.ended) return;
    const grant = this.state.grant?.id;
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
          text: granted ? this.strings.media_revoke : this.strings.media_grant,
          onclick: () => this.room.send('rtc.grant', { user_id: granted ? null : id }).catch(() => {}),
        }),
      );
    }
  }
}
