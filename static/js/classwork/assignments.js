// The assignments list: due times in the school's time zone.
import { showMoments } from '/static/js/classwork/time.js';

showMoments();
