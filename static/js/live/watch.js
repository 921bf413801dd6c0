// The observer's view: the slide, the class's results and the teacher's video, nothing that
// names a pupil (the server never sends it); observers cannot change anything in the room.
import { LiveMedia } from '/static/js/live/media.js';
import { LiveRoom } from '/static/js/live/room.js';

const room = new LiveRoom();
new LiveMedia(room);
room.start();
