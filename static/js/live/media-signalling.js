// Media requests over the live room's WebSocket: an `rtc.*` request is sent with its own id and
// settled by the server's ack (with the direct reply frame that came before it) or its error
// frame. Also the two waits every peer connection needs: ICE gathering and retry backoff.

const GATHER_MS = 5000; // send what was gathered by then (a slow STUN server must not block)
const REQUEST_MS = 30000;
const MAX_RETRY_MS = 15000;

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
export function gathered(pc) {
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

/** The wait before retry number `attempt` (from 0): doubling up to MAX_RETRY_MS, give or take a quarter. */
export function backoff(attempt) {
  return Math.min(MAX_RETRY_MS, 1000 * 2 ** Math.min(attempt, 4)) * (0.75 + Math.random() / 2);
}

/**
 * Media requests over the room's socket. The room's connection keeps its own commands (and
 * replays them after a reconnect); these are not worth replaying, so they are sent and answered
 * here: the frames that answer them are taken before the connection sees them.
 */
export class Signalling {
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
