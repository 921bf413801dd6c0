// The video box on a live page's stage: the remote video (started muted, with a button to turn
// the sound on) or the publisher's own silent preview, its label and note, and its size.

/** The video box on the stage: the remote video, or the publisher's own preview. */
export class VideoView {
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
