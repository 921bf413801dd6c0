// The shared whiteboard: strokes in coordinates normalised to 0..1 of the board, drawn
// smoothly, and the holder of the pen's drawing sent in batches (one board.stroke every
// ~50 ms while the pointer moves), each batch starting where the last one ended.

export const ERASER = '#ffffff';
export const ERASER_WIDTH = 28;
const BATCH_MS = 50;
const MAX_BATCH = 400;
// Stroke widths are in pixels of a board 1000 pixels wide, so every screen scales them alike.
const REFERENCE_WIDTH = 1000;

export class Board {
  /**
   * `canvas` fills the board's box; `send(points, color, width)` ships one batch (returns a
   * promise); `onRefused(error)` is told when the server refuses one.
   */
  constructor(canvas, { send, onRefused }) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.send = send;
    this.onRefused = onRefused;
    this.strokes = [];
    this.enabled = false;
    this.color = '#1a2230';
    this.width = 4;
    this.drawing = null; // {points, sent, lastPoint}
    this.timer = null;
    new ResizeObserver(() => this.resize()).observe(canvas);
    canvas.addEventListener('pointerdown', (event) => this.down(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    for (const name of ['pointerup', 'pointercancel', 'pointerleave']) {
      canvas.addEventListener(name, (event) => this.up(event));
    }
    this.resize();
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    this.canvas.classList.toggle('is-drawing', enabled);
    if (!enabled) this.finish();
  }

  setPen(color, width) {
    this.color = color;
    this.width = width;
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const box = this.canvas.getBoundingClientRect();
    const width = Math.max(1, Math.round(box.width * ratio));
    const height = Math.max(1, Math.round(box.height * ratio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.render(this.strokes);
  }

  /** Draw these strokes (and the one being drawn here) from scratch. */
  render(strokes) {
    this.strokes = strokes;
    const { width, height } = this.canvas;
    this.context.clearRect(0, 0, width, height);
    for (const stroke of strokes) this.paint(stroke.points, stroke.color, stroke.width);
    if (this.drawing) this.paint(this.drawing.all, this.color, this.width);
  }

  /** Add one stroke that arrived, without redrawing the rest. */
  add(stroke) {
    this.strokes.push(stroke);
    this.paint(stroke.points, stroke.color, stroke.width);
  }

  paint(points, color, width) {
    if (!points?.length) return;
    const ctx = this.context;
    const { width: w, height: h } = this.canvas;
    const eraser = color === ERASER;
    ctx.save();
    ctx.globalCompositeOperation = eraser ? 'destination-out' : 'source-over';
    ctx.strokeStyle = eraser ? '#000' : color;
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = Math.max(1, (width * w) / REFERENCE_WIDTH);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    const at = (p) => [p[0] * w, p[1] * h];
    if (points.length === 1) {
      const [x, y] = at(points[0]);
      ctx.beginPath();
      ctx.arc(x, y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fill();
      ctx.restore();
      return;
    }
    // A quadratic curve through the midpoints: smooth without overshooting.
    ctx.beginPath();
    let [x0, y0] = at(points[0]);
    ctx.moveTo(x0, y0);
    for (let i = 1; i < points.length - 1; i += 1) {
      const [x1, y1] = at(points[i]);
      const [x2, y2] = at(points[i + 1]);
      ctx.quadraticCurveTo(x1, y1, (x1 + x2) / 2, (y1 + y2) / 2);
      [x0, y0] = [x1, y1];
    }
    const [xl, yl] = at(points[points.length - 1]);
    ctx.lineTo(xl, yl);
    ctx.stroke();
    ctx.restore();
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [
      Number(clamp((event.clientX - box.left) / box.width).toFixed(4)),
      Number(clamp((event.clientY - box.top) / box.height).toFixed(4)),
    ];
  }

  down(event) {
    if (!this.enabled || (event.pointerType === 'mouse' && event.button !== 0)) return;
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    const first = this.point(event);
    this.drawing = { pending: [first], all: [first], pointerId: event.pointerId };
    this.paint([first], this.color, this.width);
    this.timer = setInterval(() => this.flush(), BATCH_MS);
  }

  move(event) {
    if (!this.drawing || event.pointerId !== this.drawing.pointerId) return;
    event.preventDefault();
    const events = event.getCoalescedEvents?.() ?? [event];
    for (const each of events.length ? events : [event]) {
      const point = this.point(each);
      const last = this.drawing.all[this.drawing.all.length - 1];
      if (last && last[0] === point[0] && last[1] === point[1]) continue;
      this.paint([last, point], this.color, this.width);
      this.drawing.pending.push(point);
      this.drawing.all.push(point);
    }
    if (this.drawing.pending.length >= MAX_BATCH) this.flush();
  }

  up(event) {
    if (!this.drawing || event.pointerId !== this.drawing.pointerId) return;
    this.finish();
  }

  finish() {
    if (!this.drawing) return;
    this.flush();
    clearInterval(this.timer);
    this.timer = null;
    this.drawing = null;
  }

  flush() {
    const drawing = this.drawing;
    if (!drawing || drawing.pending.length === 0) return;
    const points = drawing.pending;
    // The next batch starts at this one's last point, so the line has no gaps.
    drawing.pending = [points[points.length - 1]];
    if (points.length === 1 && drawing.sentOnce) return;
    drawing.sentOnce = true;
    this.send(points, this.color, this.width).catch((error) => this.onRefused?.(error));
  }
}
