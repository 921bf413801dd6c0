// Live video of a lesson: the teacher's camera or shared screen (or a pupil's screen, when the
// teacher lets them) goes up once to the server over WebRTC and comes down to everyone else.
//
// Signalling rides on the room's WebSocket: `rtc.offer {role, kind, sdp}` is answered by a
// direct frame `rtc.answer {id, sdp}` and an ack (or an error frame). Offers are sent complete,
// after ICE gathering; the server's answer carries its own candidates. What is on air comes as
// `rtc.state` events (and `state.media` in the welcome), the right to share a screen as
// `rtc.grant`. The room's socket reconnects by itself; the video follows it.
//
// LiveMedia here follows the room and runs the peer connections (watching and publishing); the
// requests are in media-signalling.js, the video box in media-view.js, the camera, microphone
// and screen in media-devices.js, the page's buttons and badges in media-controls.js.

import { toast } from '/static/js/app.js';
import { addScreenGrantButtons, renderMediaState, wireMediaControls } from '/static/js/live/media-controls.js';
import { capture, deviceConstraint, refreshDeviceMenus } from '/static/js/live/media-devices.js';
import { backoff, gathered, Signalling } from '/static/js/live/media-signalling.js';
import { VideoView } from '/static/js/live/media-view.js';

export { MediaRequestError } from '/static/js/live/media-signalling.js';

const STALLED_MS = 6000; // a "disconnected" peer connection this long is started again
const BUSY_RETRY_MS = 30000; // after too_many_viewers

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
    wireMediaControls(this);
    navigator.mediaDevices?.addEventListener?.('devicechange', () => refreshDeviceMenus(this.strings));
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
    const stream = await capture(
      () => navigator.mediaDevices.getUserMedia({ video: deviceConstraint('camera', true), audio: deviceConstraint('mic', true) }),
      this.strings,
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
    const screen = await capture(() => navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }), this.strings);
    if (!screen) return;
    // The voice goes with the screen when there is a microphone.
    let voice = [];
    try {
      const mic = await navigator.mediaDevices.getUserMedia({ audio: deviceConstraint('mic', true) });
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

  async goOnAir(stream, kind) {
    this.releaseLocal();
    this.local = { stream, kind };
    this.wanted = kind;
    this.applyMute();
    this.closeViewer();
    this.view.show(stream, { preview: true });
    await this.publish();
    refreshDeviceMenus(this.strings);
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
      const constraints = kind === 'video' ? { video: deviceConstraint('camera', true) } : { audio: deviceConstraint('mic', true) };
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

  // --- the page -----------------------------------------------------------------------------

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
    renderMediaState(this, phase);
    for (const listener of this.listeners) listener();
  }

  /** The teacher's buttons in the people list: let a pupil share their screen, or stop it. */
  decoratePeople(list) {
    addScreenGrantButtons(this, list);
  }
}
