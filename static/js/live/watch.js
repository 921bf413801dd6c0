// The observer's view: the slide and the class's results, nothing that names a pupil (the
// server never sends it); observers cannot change anything in the room.
import { LiveRoom } from '/static/js/live/room.js';

new LiveRoom().start();
