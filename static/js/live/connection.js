// The live room's WebSocket: reconnects by itself, resumes with ?since=<last seq>, keeps
// commands until they are acknowledged (resent with the same id after a reconnect, so the
// server applies each once) and pings so the server knows the client is alive.

// Close codes after which reconnecting cannot help.
const FINAL_CLOSES = new Set([4401, 4403, 4404, 4409, 4410, 4423]);
const MAX_BACKOFF_MS = 10000;

let counter = 0;

function messageId() {
  counter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${Date.now().toString(36)}-${random}-${counter}`;
}

/** A command the server refused: `code` is the protocol's error code. */
export class CommandError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

/**
 * `new LiveConnection({code, token, view, pingSeconds, onWelcome, onEvent, onStatus, onNotice})`.
 * onWelcome(data) gets the welcome's data ({you, state, seq, now}); onEvent(frame) every event
 * frame in seq order, never twice; onStatus(status, detail) 'connecting' | 'online' | 'offline'
 * | 'closed' (detail: {code, reason, error}); onNotice(error) errors that answer no command.
 */
export class LiveConnection {
  constructor(options) {
    this.options = options;
    this.lastSeq = null;
    this.socket = null;
    this.pending = new Map(); // id -> {frame, resolve, reject}
    this.attempts = 0;
    this.finished = false;
    this.lastError = null;
    this.pinger = null;
  }

  url() {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const params = new URLSearchParams();
    if (this.lastSeq !== null) params.set('since', String(this.lastSeq));
    if (this.options.token) params.set('token', this.options.token);
    // The board (the projector's view) asks for it; a board pass gives it anyway.
    if (this.options.view) params.set('view', this.options.view);
    const query = params.toString();
    const code = encodeURIComponent(this.options.code);
    return `${scheme}://${window.location.host}/live/${code}/ws${query ? `?${query}` : ''}`;
  }

  connect() {
    if (this.finished) return;
    this.status('connecting');
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempts = 0;
      this.status('online');
      for (const entry of this.pending.values()) {
        if (entry.replay) socket.send(entry.frame);
      }
      this.startPinging();
    });
    socket.addEventListener('message', (message) => this.receive(message.data));
    socket.addEventListener('close', (event) => this.closed(event));
  }

  status(name, detail = {}) {
    this.options.onStatus?.(name, detail);
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (frame.type === 'ack') {
      this.settle(frame.id, (entry) => entry.resolve(frame.seq));
      return;
    }
    if (frame.type === 'error') {
      const error = new CommandError(frame.error?.code ?? 'error', frame.error?.message ?? '');
      if (frame.id && this.pending.has(frame.id)) {
        this.settle(frame.id, (entry) => entry.reject(error));
      } else {
        this.lastError = error;
        this.options.onNotice?.(error);
      }
      return;
    }
    if (frame.type === 'welcome') {
      this.lastSeq = frame.data.seq;
      this.options.onWelcome?.(frame.data);
      return;
    }
    if (typeof frame.seq !== 'number' || (this.lastSeq !== null && frame.seq <= this.lastSeq)) return;
    this.lastSeq = frame.seq;
    this.options.onEvent?.(frame);
  }

  settle(id, action) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    action(entry);
  }

  closed(event) {
    this.stopPinging();
    if (this.finished) return;
    if (FINAL_CLOSES.has(event.code)) {
      this.finished = true;
      for (const entry of this.pending.values()) {
        entry.reject(new CommandError('closed', event.reason || 'closed'));
      }
      this.pending.clear();
      this.status('closed', { code: event.code, reason: event.reason, error: this.lastError });
      return;
    }
    this.status('offline', { code: event.code });
    this.attempts += 1;
    const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.attempts, 5));
    setTimeout(() => this.connect(), backoff / 2 + Math.random() * (backoff / 2));
  }

  startPinging() {
    this.stopPinging();
    const seconds = Number(this.options.pingSeconds) || 20;
    this.pinger = setInterval(() => {
      this.send('ping').catch(() => {});
    }, seconds * 1000);
  }

  stopPinging() {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = null;
  }

  /** Send a command; resolves with the seq it was applied at, rejects with a CommandError. */
  send(type, data) {
    if (this.finished) return Promise.reject(new CommandError('closed', 'closed'));
    const id = messageId();
    const envelope = { type, id };
    if (data !== undefined) envelope.data = data;
    const frame = JSON.stringify(envelope);
    // Pings are not worth sending again after a reconnect; commands are (same id: applied once).
    const replay = type !== 'ping';
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, replay, resolve, reject });
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame);
      if (!replay) {
        setTimeout(() => this.settle(id, (entry) => entry.reject(new CommandError('timeout', ''))), 30000);
      }
    });
  }

  /** Stop for good (the page is leaving). */
  close() {
    this.finished = true;
    this.stopPinging();
    this.socket?.close(1000);
  }
}
