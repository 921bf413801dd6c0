// The observer's view: the slide, the class's results and the teacher's video, nothing that
// names a pupil (the server never sends it); observers cannot change anything in the room.
// Their own notes and rubric scores go through the notes panel (notes.js).
import { LiveMedia } from '/static/js/live/media.js';
import { NotesPanel } from '/static/js/live/notes.js';
import { LiveRoom } from '/static/js/live/room.js';

const room = new LiveRoom();
new LiveMedia(room);
new NotesPanel(room);
room.start();
