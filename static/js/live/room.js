// What the views of a live lesson share: the connection, the room model, the stage with its
// slide and whiteboard, people, raised hands and chat. present.js (the teacher's console),
// pupil.js, watch.js and board-page.js (the projector) start it and add their own parts.
import { toast } from '/static/js/app.js';
import { Board } from '/static/js/live/board.js';
import { LiveConnection } from '/static/js/live/connection.js';
import { RoomModel } from '/static/js/live/model.js';
import { el } from '/static/js/dom.js';
import { pollPhase, quizPhase, refreshCounters, renderBlock } from '/static/js/live/slides.js';

/** The page's settings: {code, token, ping, me, strings} from #live-config. */
export function readConfig() {
  return JSON.parse(document.getElementById('live-config').textContent);
}

function personName(person, strings) {
  if (!person) return '';
  if (person.name) return person.name;
  return person.role === 'pupil' ? strings.aPupil : strings.someone;
}

function clock(at) {
  if (typeof at !== 'number') return '';
  return new Date(at * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export class LiveRoom {
  constructor() {
    this.config = readConfig();
    this.strings = this.config.strings;
    this.model = null;
    this.drafts = new Map();
    this.viewIndex = null; // the slide a pupil browses on their own (free navigation)
    this.renderedKey = null;
    this.listeners = [];
    this.stage = document.querySelector('[data-stage]');
    this.slideHost = this.stage.querySelector('[data-slide]');
    const canvas = this.stage.querySelector('canvas[data-board]');
    this.board = new Board(canvas, {
      send: (points, color, width) => this.send('board.stroke', { points, color, width }),
      onRefused: (error) => this.refused(error),
    });
    this.connection = new LiveConnection({
      code: this.config.code,
      token: this.config.token,
      view: this.config.view,
      pingSeconds: this.config.ping,
      onWelcome: (data) => this.welcome(data),
      onEvent: (frame) => this.event(frame),
      onStatus: (status, detail) => this.status(status, detail),
      onNotice: (error) => toast(error.message, 'warning'),
    });
    this.setUpChat();
    setInterval(() => this.tick(), 500);
    window.addEventListener('beforeunload', () => this.connection.close());
  }

  start() {
    this.connection.connect();
    return this;
  }

  /** Send a command; a refusal is shown as a toast and re-thrown. */
  async send(type, data) {
    try {
      return await this.connection.send(type, data);
    } catch (error) {
      this.refused(error);
      throw error;
    }
  }

  refused(error) {
    if (error?.code !== 'closed') toast(error?.message || this.strings.failed, 'warning');
  }

  /** Call `listener(frameType)` after every render (type null after a welcome). */
  onRender(listener) {
    this.listeners.push(listener);
  }

  welcome(data) {
    this.model = new RoomModel(data);
    this.renderedKey = null;
    document.body.dataset.role = this.model.role;
    this.render(null);
  }

  event(frame) {
    if (!this.model) return;
    const type = this.model.apply(frame);
    if (type === 'board.stroke' && frame.data.slide === this.currentIndex()) {
      this.board.add(frame.data);
      return;
    }
    if (type === 'slide.goto' && this.model.role === 'pupil' && !this.model.state.nav_free) {
      this.viewIndex = null;
    }
    if (type === 'pace.set') this.viewIndex = null;
    if (type === 'board.show') this.renderedKey = null; // the board's whole view may change
    if (type === 'chat.post') this.chatArrived(frame.data);
    if (type === 'board.grant' && frame.data.person?.id === this.model.me.id) {
      toast(this.strings.penYours, 'info');
    }
    this.render(type);
  }

  currentIndex() {
    const s = this.model.state;
    if (this.model.role !== 'pupil') return s.slide;
    // Pupil-paced: the pupil's own slide, as the server keeps it.
    if (this.model.pupilPaced && Number.isInteger(s.pace.slide)) return s.pace.slide;
    if (s.nav_free && this.viewIndex !== null) return this.viewIndex;
    return s.slide;
  }

  /** Browse to another slide on one's own (pupils, while navigation is free). */
  browse(index) {
    const count = this.model.state.slides.length;
    this.viewIndex = Math.min(Math.max(index, 0), count - 1);
    this.render('browse');
  }

  render(type) {
    const m = this.model;
    if (!m) return;
    this.renderStage();
    this.renderPeople();
    this.renderHands();
    this.renderChat(type === 'chat.post' || type === null);
    this.renderPen();
    for (const node of document.querySelectorAll('[data-title]')) node.textContent = m.state.title;
    document.body.classList.toggle('is-ended', Boolean(m.state.ended));
    for (const listener of this.listeners) listener(type);
  }

  slideKey(index) {
    const m = this.model;
    const block = m.state.slides[index];
    if (!block) return `none:${index}`;
    const parts = [index, block.kind];
    if (block.kind === 'quiz') {
      const phase = quizPhase(m, block.id);
      parts.push(phase);
      const quiz = m.state.quiz?.block_id === String(block.id) ? m.state.quiz : null;
      // The teacher's results change with every answer; a pupil's form must not be redrawn
      // while they type, only when the quiz changes phase or their answer is recorded.
      if (m.role !== 'pupil') parts.push(quiz?.answered ?? 0, JSON.stringify(quiz?.histogram ?? null));
      else parts.push(JSON.stringify((quiz ? quiz.mine : m.state.pace.mine[String(block.id)]) ?? 'none'));
    }
    if (block.kind === 'poll') {
      const poll = m.state.poll?.block_id === String(block.id) ? m.state.poll : null;
      parts.push(pollPhase(m, block.id), m.role === 'pupil' ? String(poll?.mine) : poll?.total ?? 0);
    }
    return parts.join('|');
  }

  blockContext() {
    return {
      model: this.model,
      code: this.config.code,
      strings: this.strings,
      drafts: this.drafts,
      onAnswer: (blockId, draft) => this.answer(blockId, draft),
      onVote: (option) => this.send('poll.vote', { option }).catch(() => {}),
      onDraft: (blockId, rerender) => {
        if (rerender) {
          this.renderedKey = null;
          this.renderStage();
        }
      },
    };
  }

  renderStage() {
    const m = this.model;
    const index = this.currentIndex();
    const block = m.state.slides[index];
    const key = this.slideKey(index);
    if (key !== this.renderedKey) {
      const previous = this.renderedKey?.split('|')[0];
      this.renderedKey = key;
      this.slideHost.replaceChildren(block ? renderBlock(block, index, this.blockContext()) : el('p', { text: '—' }));
      if (previous !== String(index)) this.slideHost.scrollTop = 0;
      this.stage.classList.toggle('is-whiteboard', block?.kind === 'whiteboard');
      this.board.resize();
    }
    this.board.render(m.state.board.strokes.filter((stroke) => stroke.slide === index));
    if (block) refreshCounters(this.slideHost, block, this.blockContext());
    for (const node of document.querySelectorAll('[data-slide-counter]')) {
      node.textContent = `${index + 1} / ${m.state.slides.length}`;
    }
  }

  async answer(blockId, draft) {
    const button = this.slideHost.querySelector('[data-send-answers]');
    if (button) button.disabled = true;
    try {
      await this.send('quiz.answer', { block_id: String(blockId), answers: draft.map((a) => a ?? null) });
      toast(this.strings.answerSent, 'success');
    } catch {
      if (button) button.disabled = false;
    }
  }

  tick() {
    if (!this.model) return;
    const block = this.model.state.slides[this.currentIndex()];
    if (block) refreshCounters(this.slideHost, block, this.blockContext());
    for (const listener of this.listeners) listener('tick');
  }

  // --- people, hands, chat, the pen ---------------------------------------------------------

  renderPeople() {
    const people = this.model.state.people;
    for (const node of document.querySelectorAll('[data-pupil-count]')) node.textContent = String(people.pupils);
    for (const node of document.querySelectorAll('[data-observer-count]')) node.textContent = String(people.observers);
    const list = document.querySelector('[data-people]');
    if (!list) return;
    const teacher = this.model.role === 'teacher';
    const rows = [];
    const hands = new Set(this.model.state.hands.map((h) => h?.id));
    const pen = this.model.state.board.pen?.id;
    for (const person of people.present) {
      rows.push(this.personRow(person, 'here', { hand: hands.has(person.id), pen: pen === person.id }));
    }
    if (teacher) {
      for (const person of people.left) rows.push(this.personRow(person, person.removed ? 'removed' : 'left'));
      for (const person of people.missing) rows.push(this.personRow(person, 'missing'));
    }
    list.replaceChildren(...rows);
  }

  personRow(person, state, { hand = false, pen = false } = {}) {
    const strings = this.strings;
    const row = el(
      'li',
      { class: `live-person is-${state} live-role-${person.role}`, dataset: { personId: String(person.id) } },
      el('span', { class: 'live-dot', 'aria-hidden': 'true' }),
      el('span', { class: 'live-person-name', text: personName(person, strings) }),
      person.role !== 'pupil' ? el('span', { class: 'badge badge-muted', text: strings[`role_${person.role}`] }) : null,
      hand ? el('span', { class: 'live-icon live-icon-hand', title: strings.handUp, role: 'img', 'aria-label': strings.handUp }) : null,
      pen ? el('span', { class: 'live-icon live-icon-pen', title: strings.hasPen, role: 'img', 'aria-label': strings.hasPen }) : null,
      state !== 'here' ? el('span', { class: 'live-person-state', text: strings[`person_${state}`] }) : null,
    );
    // The teacher's own board window (id "b-t…") is not removed: that would shut it out for
    // the rest of the lesson. A paired board is (its pass stops working).
    const ownBoard = person.role === 'board' && String(person.id).startsWith('b-t');
    if (this.model.role === 'teacher' && person.role !== 'teacher' && state === 'here' && !ownBoard) {
      const actions = el('span', { class: 'live-person-actions' });
      if (person.role === 'pupil') {
        actions.append(
          el('button', {
            type: 'button',
            class: `btn btn-sm ${pen ? 'btn-primary' : 'btn-ghost'}`,
            text: pen ? strings.takePen : strings.givePen,
            onclick: () => this.send('board.grant', { user_id: pen ? null : person.id }).catch(() => {}),
          }),
        );
      }
      actions.append(
        el('button', {
          type: 'button',
          class: 'btn btn-sm btn-ghost live-remove',
          text: strings.remove,
          'data-confirm': strings.confirmRemove.replace('{name}', person.name),
          onclick: () => this.send('room.kick', { user_id: person.id }).catch(() => {}),
        }),
      );
      row.append(actions);
    }
    return row;
  }

  renderHands() {
    const hands = this.model.state.hands;
    for (const node of document.querySelectorAll('[data-hand-count]')) node.textContent = String(hands.length);
    const list = document.querySelector('[data-hands]');
    if (list) {
      const teacher = this.model.role === 'teacher';
      list.replaceChildren(
        ...hands.map((person, position) =>
          el(
            'li',
            { class: 'live-hand-row' },
            el('span', { class: 'live-hand-place', text: String(position + 1) }),
            el('span', { class: 'live-person-name', text: personName(person, this.strings) }),
            teacher
              ? el('button', {
                  type: 'button',
                  class: 'btn btn-sm btn-secondary',
                  text: this.strings.lowerHand,
                  onclick: () => this.send('hand.lower', { user_id: person.id }).catch(() => {}),
                })
              : null,
          ),
        ),
      );
      const empty = document.querySelector('[data-hands-empty]');
      if (empty) empty.hidden = hands.length > 0;
    }
    const mine = this.model.state.hands.some((h) => h?.id === this.model.me.id);
    for (const button of document.querySelectorAll('[data-action="hand"]')) {
      button.setAttribute('aria-pressed', String(mine));
      button.classList.toggle('btn-primary', mine);
      button.classList.toggle('btn-secondary', !mine);
      button.replaceChildren(
        el('span', { class: 'live-icon live-icon-hand', 'aria-hidden': 'true' }),
        ` ${mine ? this.strings.lowerMyHand : this.strings.raiseHand}`,
      );
    }
  }

  renderChat(scroll) {
    const log = document.querySelector('[data-chat-log]');
    if (!log) return;
    const chat = this.model.state.chat;
    const me = this.model.me;
    log.replaceChildren(
      ...chat.messages.map((message) =>
        el(
          'li',
          { class: `live-chat-message${message.by?.id === me.id ? ' is-mine' : ''} live-role-${message.by?.role}` },
          el('span', { class: 'live-chat-who', text: personName(message.by, this.strings) }),
          el('span', { class: 'live-chat-time', text: clock(message.at) }),
          el('span', { class: 'live-chat-text', text: message.text }),
          // Moderation: the teacher takes a message away from every screen (the board too).
          this.model.role === 'teacher'
            ? el('button', {
                type: 'button',
                class: 'btn btn-sm btn-ghost live-chat-remove',
                text: '×',
                title: this.strings.removeMessage,
                'aria-label': this.strings.removeMessage,
                onclick: () => this.send('chat.remove', { seq: message.seq }).catch(() => {}),
              })
            : null,
        ),
      ),
    );
    if (scroll) log.scrollTop = log.scrollHeight;
    const form = document.querySelector('[data-chat-form]');
    const off = document.querySelector('[data-chat-off]');
    const canPost = this.model.role === 'teacher' || (this.model.role === 'pupil' && chat.on);
    if (form) {
      form.hidden = !canPost;
      for (const field of form.elements) field.disabled = !canPost || this.model.state.ended;
    }
    if (off) off.hidden = chat.on;
  }

  chatArrived(data) {
    const panel = document.querySelector('[data-chat-panel]');
    if (panel && panel.hidden && data.by?.id !== this.model.me.id) {
      const badge = document.querySelector('[data-chat-unread]');
      if (badge) {
        badge.hidden = false;
        badge.textContent = String(Number(badge.textContent || 0) + 1);
      }
    }
  }

  setUpChat() {
    const form = document.querySelector('[data-chat-form]');
    if (!form) return;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const input = form.querySelector('input[name="text"]');
      const text = input.value.trim();
      if (!text) return;
      input.value = '';
      try {
        await this.send('chat.post', { text });
      } catch {
        input.value = text;
      }
    });
  }

  renderPen() {
    if (this.model.role !== 'pupil') return;
    const mine = this.model.state.board.pen?.id === this.model.me.id;
    this.board.setEnabled(mine && !this.model.state.ended);
    const tools = document.querySelector('[data-pen-tools]');
    if (tools) tools.hidden = !mine;
  }

  // --- connection status ----------------------------------------------------------------------

  status(status, detail) {
    const badge = document.querySelector('[data-status]');
    if (badge) {
      badge.dataset.state = status;
      badge.textContent = this.strings[`status_${status}`] ?? status;
    }
    if (status !== 'closed') return;
    const reason = detail.error?.message;
    const notice = document.querySelector('[data-closed]');
    const message = document.querySelector('[data-closed-message]');
    const texts = {
      4410: this.strings.closedEnded,
      4403: this.strings.closedRemoved,
      4423: this.strings.closedLocked,
      4401: this.strings.closedSignIn,
      4404: this.strings.closedUnknown,
    };
    const board = this.config.view === 'board';
    if (board) Object.assign(texts, { 4401: this.strings.closedBoard, 4403: this.strings.closedBoard });
    if (message) message.textContent = texts[detail.code] ?? reason ?? this.strings.closedOther;
    if (detail.code === 4403 && reason && !board) message.textContent = reason;
    if (notice) notice.hidden = false;
    this.board.setEnabled(false);
    document.body.classList.add('is-closed');
  }
}

/** Wire a group of pen colour buttons to a board (their colour is in data-color). */
export function wirePenTools(root, board, onPick) {
  const buttons = [...root.querySelectorAll('[data-color]')];
  for (const button of buttons) {
    if (button.dataset.swatch !== undefined) button.style.backgroundColor = button.dataset.color;
    button.addEventListener('click', () => {
      for (const other of buttons) other.classList.toggle('is-active', other === button);
      board.setPen(button.dataset.color, Number(button.dataset.width || 4));
      onPick?.(button);
    });
  }
}
