// Saving a pupil's answers as they are given: one PUT per quiz block, debounced, one at a
// time per block (a change made while a save is under way is saved right after it), retried
// with a growing pause while the network or the server is down, and never after a refusal
// that another try cannot fix (409: closed, past due, no attempts left; 422: a bad answer).

import { api } from '/static/js/api.js';

const DEBOUNCE_MS = 700;
const RETRY_MS = [2000, 5000, 10000, 30000];

/** Whether another try may succeed: no connection, a busy or failing server. */
export function isTransient(error) {
  return !error?.status || error.status === 429 || error.status >= 500;
}

export class Saver {
  /**
   * `answersOf(blockId)` gives the answers to send; `onState()` is called whenever the
   * state changes; `onRefused(error, blockId)` when the server refuses for good.
   */
  constructor(assignmentId, { answersOf, onState, onRefused }) {
    this.assignmentId = assignmentId;
    this.answersOf = answersOf;
    this.onState = onState;
    this.onRefused = onRefused;
    this.blocks = new Map(); // blockId → {dirty, timer, running, error, tries}
    this.savedAt = null;
    this.stopped = false;
    window.addEventListener('online', () => this.retry());
  }

  block(blockId) {
    if (!this.blocks.has(blockId)) {
      this.blocks.set(blockId, { dirty: false, timer: null, running: null, error: null, tries: 0 });
    }
    return this.blocks.get(blockId);
  }

  /** An answer in the block changed: save it soon. */
  changed(blockId) {
    if (this.stopped) return;
    const entry = this.block(blockId);
    entry.dirty = true;
    if (entry.error && !isTransient(entry.error)) entry.error = null; // a new answer: try it
    this.schedule(blockId, DEBOUNCE_MS);
    this.onState();
  }

  schedule(blockId, delay) {
    const entry = this.block(blockId);
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.save(blockId), delay);
  }

  /** Save the block now (or after the save under way); resolves when it is done. */
  async save(blockId) {
    const entry = this.block(blockId);
    clearTimeout(entry.timer);
    entry.timer = null;
    if (entry.running) {
      await entry.running;
      return entry.dirty && !entry.error ? this.save(blockId) : undefined;
    }
    if (!entry.dirty || this.stopped) return undefined;
    entry.dirty = false;
    const body = { block_id: blockId, answers: this.answersOf(blockId) };
    entry.running = api('PUT', `/assignments/${this.assignmentId}/answers`, body)
      .then((saved) => {
        entry.error = null;
        entry.tries = 0;
        this.savedAt = saved?.saved_at ?? new Date().toISOString();
      })
      .catch((error) => {
        entry.dirty = true;
        entry.error = error;
        if (isTransient(error)) {
          this.schedule(blockId, RETRY_MS[Math.min(entry.tries, RETRY_MS.length - 1)]);
          entry.tries += 1;
        } else {
          this.onRefused(error, blockId);
        }
      })
      .finally(() => {
        entry.running = null;
      });
    this.onState();
    await entry.running;
    this.onState();
    if (entry.dirty && !entry.error) return this.save(blockId);
    return undefined;
  }

  /** Save everything not saved yet, now; resolves to the first error left, or null. */
  async flush() {
    for (const [blockId, entry] of this.blocks) {
      if (entry.error && isTransient(entry.error)) entry.error = null;
      await this.save(blockId);
    }
    return this.error();
  }

  /** Try the blocks that failed again, now. */
  retry() {
    for (const [blockId, entry] of this.blocks) {
      if (entry.dirty && entry.error && isTransient(entry.error)) {
        entry.error = null;
        this.save(blockId);
      }
    }
  }

  /** Stop saving (the assignment closed or was handed in for the last time). */
  stop() {
    this.stopped = true;
    for (const entry of this.blocks.values()) clearTimeout(entry.timer);
    this.onState();
  }

  error() {
    for (const entry of this.blocks.values()) if (entry.error) return entry.error;
    return null;
  }

  /** 'saving', 'error', 'saved', 'pending' or 'idle', for the status line. */
  state() {
    const entries = [...this.blocks.values()];
    if (entries.some((e) => e.running)) return 'saving';
    if (entries.some((e) => e.error)) return 'error';
    if (entries.some((e) => e.dirty)) return 'pending';
    return this.savedAt ? 'saved' : 'idle';
  }

  /** Whether something typed is not on the server yet. */
  unsaved() {
    return [...this.blocks.values()].some((e) => e.dirty || e.running);
  }
}
