// The devices behind live video: asking the browser for a camera, microphone or screen (and
// saying why it refused), the camera and microphone chosen in the page's device menus, and
// those menus filled with the devices the browser offers.

import { toast } from '/static/js/app.js';
import { el } from '/static/js/dom.js';

/** `get()` a media stream; null (after telling why, unless refused without `refusal`) when it fails. */
export async function capture(get, strings, { refusal = null } = {}) {
  if (!navigator.mediaDevices) {
    toast(strings.media_unsupported, 'error');
    return null;
  }
  try {
    return await get();
  } catch (error) {
    if (error?.name === 'NotFoundError' || error?.name === 'OverconstrainedError') {
      toast(strings.media_noDevice, 'error');
    } else if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') {
      if (refusal) toast(refusal, 'warning');
    } else {
      toast(error?.message || strings.failed, 'error');
    }
    return null;
  }
}

/** The getUserMedia constraint for the camera (or 'mic') chosen in its menu, else `fallback`. */
export function deviceConstraint(which, fallback) {
  const select = document.querySelector(which === 'camera' ? '[data-media-camera]' : '[data-media-mic]');
  const id = select?.value;
  return id ? { deviceId: { exact: id } } : fallback;
}

/** Fill the camera and microphone menus with the devices there are now, keeping the choice. */
export async function refreshDeviceMenus(strings) {
  const cameras = document.querySelector('[data-media-camera]');
  const mics = document.querySelector('[data-media-mic]');
  if (!cameras && !mics) return;
  let devices = [];
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  const fill = (select, kind) => {
    if (!select) return;
    const chosen = select.value;
    const options = devices
      .filter((device) => device.kind === kind && device.deviceId && device.deviceId !== 'default')
      .map((device, index) => el('option', { value: device.deviceId, text: device.label || `${kind} ${index + 1}` }));
    select.replaceChildren(el('option', { value: '', text: strings.media_defaultDevice }), ...options);
    if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
  };
  fill(cameras, 'videoinput');
  fill(mics, 'audioinput');
}
