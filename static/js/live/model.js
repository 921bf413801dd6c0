// The room as this client sees it: the welcome's state, kept up to date by the events the
// server sends (already projected for this viewer: a pupil gets others' answers only as
// progress, an observer sees pupils only as {role: "pupil"}, the board people other than the
// teacher only as a role).

function zeros(count) {
  return Array.from({ length: Math.max(0, count) }, () => 0);
}

function samePerson(a, b) {
  return a && b && a.id !== undefined && a.id === b.id;
}

/** The quiz block's total points (each question 1 unless it says otherwise). */
export function quizMax(block) {
  return (block?.questions ?? []).reduce((sum, q) => sum + (Number(q.points) || 1), 0);
}

/**
 * The class's results of a quiz from every answer (the teacher has them all), shaped like the
 * server's histogram: per question {answered, options?, correct}.
 */
export function histogramOf(block, answers) {
  return (block?.questions ?? []).map((question, index) => {
    const given = answers.map((entry) => entry.answers?.[index] ?? null);
    const bar = { answered: given.filter((answer) => answer !== null).length };
    if (['single', 'multiple'].includes(question.kind) && Array.isArray(question.options)) {
      const counts = zeros(question.options.length);
      for (const answer of given) {
        const chosen = new Set(Array.isArray(answer) ? answer : [answer]);
        for (const option of chosen) {
          if (Number.isInteger(option) && option >= 0 && option < counts.length) counts[option] += 1;
        }
      }
      bar.options = counts;
    }
    const most = Number(question.points) || 1;
    bar.correct = answers.filter((entry) => (entry.points?.[index] ?? 0) >= most).length;
    return bar;
  });
}

export class RoomModel {
  /** `data` is the welcome's data: {you, state, seq, now}. */
  constructor(data) {
    this.me = data.you;
    this.state = data.state;
    // How far the server's clock is ahead of ours, in seconds (quiz countdowns).
    this.clockOffset = typeof data.now === 'number' ? data.now - Date.now() / 1000 : 0;
    this.prepare();
  }

  /** Fill in what an older server may leave out of a snapshot. */
  prepare() {
    this.state.people.left ??= [];
    this.state.people.missing ??= [];
    // The board's switches and the classroom widgets (the countdown, the picker).
    this.state.show ??= { histogram: true, chat: false, work: true };
    this.state.timer ??= null;
    this.state.picker ??= null;
    // Pupil-paced mode: the teacher's table, a pupil's own slide and answers, or counts.
    this.state.pace ??= { mode: 'teacher' };
    if (this.role === 'teacher') this.state.pace.pupils ??= [];
    if (this.role === 'pupil') this.state.pace.mine ??= {};
  }

  /** Whether pupils work at their own pace now. */
  get pupilPaced() {
    return this.state.pace.mode === 'pupil';
  }

  get role() {
    return this.me.role;
  }

  block(id) {
    return this.state.slides.find((slide) => String(slide.id) === String(id)) ?? null;
  }

  slideIndexOf(blockId) {
    return this.state.slides.findIndex((slide) => String(slide.id) === String(blockId));
  }

  serverNow() {
    return Date.now() / 1000 + this.clockOffset;
  }

  /** Seconds left on the classroom countdown, or null without one. */
  countdownLeft() {
    const timer = this.state.timer;
    if (!timer) return null;
    if (!timer.running || typeof timer.ends_at !== 'number') return Math.max(0, Math.ceil(timer.remaining));
    return Math.max(0, Math.ceil(timer.ends_at - this.serverNow()));
  }

  /** Seconds left on the open quiz's countdown, or null without one. */
  timerLeft() {
    const timer = this.state.quiz?.timer;
    if (!timer || !timer.seconds || this.state.quiz.closed) return null;
    const started = typeof timer.started_at === 'number' ? timer.started_at : this.serverNow();
    return Math.max(0, Math.ceil(timer.seconds - (this.serverNow() - started)));
  }

  /** Fold one event frame into the state; returns the frame's type (null when the state
   * already held it). */
  apply(frame) {
    // A fresh view (the board's, after the teacher changed what it shows) already holds the
    // events up to its seq: frames replayed after a reconnect must not be applied twice.
    if (this.freshUntil !== undefined && frame.seq <= this.freshUntil) return null;
    const s = this.state;
    const d = frame.data ?? {};
    s.seq = frame.seq;
    switch (frame.type) {
      case 'board.show':
        if (d.view) {
          this.state = d.view;
          this.prepare();
          this.freshUntil = d.view.seq;
        }
        this.state.show = d.show;
        break;
      case 'chat.remove':
        s.chat.messages = s.chat.messages.filter((message) => message.seq !== d.seq);
        break;
      case 'timer.start':
      case 'timer.pause':
      case 'timer.reset':
      case 'timer.clear':
        s.timer = d.timer ?? null;
        break;
      case 'picker.pick':
      case 'picker.show':
      case 'picker.clear':
        s.picker = d.picker ?? null;
        break;
      case 'slide.goto':
        s.slide = d.index;
        break;
      case 'nav.free':
        s.nav_free = d.on;
        break;
      case 'pace.set':
      case 'pupil.goto':
      case 'pace.counts':
        this.pace(frame.type, d);
        break;
      case 'chat.mode':
        s.chat.on = d.on;
        break;
      case 'room.lock':
        s.locked = d.on;
        break;
      case 'lesson.end':
        s.ended = true;
        s.hands = [];
        s.board.pen = null;
        if (s.quiz) s.quiz.closed = true;
        if (s.poll) s.poll.closed = true;
        for (const run of s.quizzes) if (run.paced) run.closed = true;
        break;
      case 'quiz.open':
        s.quiz = {
          block_id: d.block_id,
          closed: false,
          revealed: false,
          timer: null,
          answered: 0,
          pupils: s.people.pupils,
          max: quizMax(this.block(d.block_id)),
          histogram: null,
          answers: this.role === 'teacher' ? [] : undefined,
          mine: this.role === 'pupil' ? null : undefined,
        };
        s.quizzes.push({ block_id: d.block_id, closed: false, revealed: false });
        break;
      case 'quiz.timer':
        if (s.quiz) s.quiz.timer = d.seconds ? { seconds: d.seconds, started_at: d.started_at } : null;
        break;
      case 'quiz.answer':
      case 'quiz.progress':
        this.quizAnswer(frame.type, d);
        break;
      case 'quiz.close':
      case 'quiz.reveal':
        this.quizResult(frame.type, d);
        break;
      case 'poll.open': {
        const options = this.block(d.block_id)?.options ?? [];
        s.poll = {
          block_id: d.block_id,
          closed: false,
          counts: zeros(options.length),
          total: 0,
          votes: this.role === 'teacher' ? [] : undefined,
          mine: this.role === 'pupil' ? null : undefined,
        };
        break;
      }
      case 'poll.vote':
      case 'poll.progress':
      case 'poll.close':
        this.pollTally(frame.type, d);
        break;
      case 'board.stroke':
        s.board.strokes.push({ seq: frame.seq, ...d });
        break;
      case 'board.clear':
        s.board.strokes = s.board.strokes.filter((stroke) => stroke.slide !== d.slide);
        break;
      case 'board.grant':
        s.board.pen = d.person ?? null;
        break;
      case 'hand.raise':
      case 'hand.lower':
        s.hands = d.queue ?? [];
        break;
      case 'chat.post':
        s.chat.messages.push({ seq: frame.seq, by: d.by, text: d.text, at: d.at });
        if (s.chat.messages.length > 200) s.chat.messages.shift();
        break;
      case 'presence.join':
      case 'presence.leave':
      case 'room.kick':
        this.presence(frame.type, d);
        break;
      case 'presence.counts':
        this.presenceCounts(d);
        break;
      default:
    }
    return frame.type;
  }

  quizAnswer(type, d) {
    if (d.paced) {
      this.pacedAnswer(d);
      return;
    }
    const quiz = this.state.quiz;
    if (!quiz || quiz.block_id !== d.block_id) return;
    quiz.answered = d.answered;
    quiz.pupils = d.pupils;
    if (type !== 'quiz.answer') return;
    if (this.role === 'teacher' && d.person) {
      const entry = { person: d.person, answers: d.answers, points: d.points, score: d.score, max: d.max };
      const index = quiz.answers.findIndex((a) => samePerson(a.person, d.person));
      if (index >= 0) quiz.answers[index] = entry;
      else quiz.answers.push(entry);
      quiz.histogram = histogramOf(this.block(d.block_id), quiz.answers);
    } else if (this.role === 'pupil') {
      quiz.mine = { answers: d.answers };
    }
  }

  quizResult(type, d) {
    const quiz = this.state.quiz;
    if (!quiz || quiz.block_id !== d.block_id) return;
    quiz.closed = true;
    quiz.answered = d.answered;
    quiz.pupils = d.pupils;
    quiz.histogram = d.histogram;
    const run = this.state.quizzes.find((q) => q.block_id === d.block_id);
    if (run) run.closed = true;
    if (type !== 'quiz.reveal') return;
    quiz.revealed = true;
    if (run) run.revealed = true;
    if (d.mine) quiz.mine = d.mine;
    const block = this.block(d.block_id);
    (d.keys ?? []).forEach((key, index) => {
      if (block?.questions?.[index]) block.questions[index].answer = key;
    });
  }

  pollTally(type, d) {
    const poll = this.state.poll;
    if (!poll || poll.block_id !== d.block_id) return;
    poll.counts = d.counts;
    poll.total = d.total;
    if (type === 'poll.close') poll.closed = true;
    if (type !== 'poll.vote') return;
    if (this.role === 'teacher' && d.person) {
      const index = poll.votes.findIndex((v) => samePerson(v.person, d.person));
      const vote = { person: d.person, option: d.option };
      if (index >= 0) poll.votes[index] = vote;
      else poll.votes.push(vote);
    } else if (this.role === 'pupil') {
      poll.mine = d.option;
    }
  }

  /** pace.set, pupil.goto (the teacher's: someone's move; a pupil's: their own), pace.counts. */
  pace(type, d) {
    const pace = this.state.pace;
    if (type === 'pace.counts') {
      pace.counts = d.counts;
    } else if (type === 'pupil.goto' && this.role === 'teacher') {
      const row = pace.pupils.find((r) => samePerson(r.person, d.person));
      if (row) row.slide = d.index;
    } else if (type === 'pupil.goto') {
      pace.slide = d.index;
    } else if (this.role === 'teacher') {
      Object.assign(pace, { mode: d.mode, start: d.start, pupils: d.pupils });
    } else if (this.role === 'pupil') {
      Object.assign(pace, { mode: d.mode, slide: d.mode === 'pupil' ? d.slide : null });
    } else {
      Object.assign(pace, { mode: d.mode, counts: d.counts });
    }
  }

  /** An answer given at the pupil's own pace: the teacher's table row, or the pupil's own. */
  pacedAnswer(d) {
    if (this.role === 'pupil') {
      this.state.pace.mine[d.block_id] = d.answers;
      return;
    }
    if (this.role !== 'teacher') return;
    const rows = this.state.pace.pupils;
    const index = rows.findIndex((r) => samePerson(r.person, d.person));
    if (index >= 0) rows[index] = d.row;
    else rows.push(d.row);
    if (!this.state.quizzes.some((q) => q.block_id === d.block_id)) {
      this.state.quizzes.push({ block_id: d.block_id, closed: false, revealed: false, paced: true });
    }
  }

  /**
   * Observers come and go counted: one frame for everyone who came or went since the last
   * (how many pupils and observers are here); the teacher's also names them (joined, left).
   */
  presenceCounts(d) {
    const people = this.state.people;
    people.pupils = d.pupils ?? people.pupils;
    people.observers = d.observers ?? people.observers;
    if (d.pace_counts) this.state.pace.counts = d.pace_counts;
    for (const person of d.joined ?? []) this.presence('presence.join', { person });
    for (const person of d.left ?? []) this.presence('presence.leave', { person, here: false });
  }

  presence(type, d) {
    const pace = this.state.pace;
    if (d.pace_counts) pace.counts = d.pace_counts;
    if (this.role === 'teacher' && this.pupilPaced && d.person?.role === 'pupil') {
      const known = pace.pupils.some((r) => samePerson(r.person, d.person));
      if (type === 'presence.join' && !known) {
        pace.pupils.push({ person: d.person, slide: pace.start, answered_blocks: [], score: 0, max: 0 });
      } else if (type === 'room.kick') {
        pace.pupils = pace.pupils.filter((r) => !samePerson(r.person, d.person));
      }
    }
    const people = this.state.people;
    people.pupils = d.pupils ?? people.pupils;
    people.observers = d.observers ?? people.observers;
    const person = d.person;
    if (!person || person.id === undefined) return;
    const without = (list) => list.filter((p) => p.id !== person.id);
    if (type === 'presence.join') {
      if (!people.present.some((p) => p.id === person.id)) people.present.push(person);
      people.left = without(people.left);
      people.missing = without(people.missing);
      if (person.role === 'teacher') people.teacher = true;
      return;
    }
    if (type === 'presence.leave' && d.here) return; // another tab of theirs is still open
    people.present = without(people.present);
    if (this.role === 'teacher' && !people.left.some((p) => p.id === person.id)) {
      people.left.push({ ...person, removed: type === 'room.kick' });
    }
    this.state.hands = this.state.hands.filter((hand) => !samePerson(hand, person) || type !== 'room.kick');
    if (person.role === 'teacher') people.teacher = people.present.some((p) => p.role === 'teacher');
  }
}
