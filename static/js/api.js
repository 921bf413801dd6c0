// The browser's door to eschool's JSON API (/api/v1).
// Uses the session cookie plus the CSRF token the page carries in
// <meta name="csrf-token" content="…">, and turns the error envelope
// {"error": {"code", "message", "details"?}} into a thrown ApiError.

const API_ROOT = '/api/v1';

/** An API call that failed: `status` is the HTTP status (0 when the network failed). */
export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The CSRF token of this page, or '' when the page has none. */
export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

/**
 * Call the JSON API: `api('POST', '/marks', {pupil_id: 3, ...})`.
 * Resolves to the parsed JSON body (null for an empty or 204 answer);
 * rejects with an ApiError.
 */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json', 'X-CSRF-Token': csrfToken() };
  const init = { method: method.toUpperCase(), headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return send(path, init);
}

/**
 * POST multipart form data (a file upload): `upload('/assets', formData)`.
 * The browser sets the multipart Content-Type with its boundary itself.
 */
export async function upload(path, formData) {
  return send(path, {
    method: 'POST',
    headers: { Accept: 'application/json', 'X-CSRF-Token': csrfToken() },
    credentials: 'same-origin',
    body: formData,
  });
}

async function send(path, init) {
  let response;
  try {
    response = await fetch(API_ROOT + path, init);
  } catch (cause) {
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check the connection.', {
      cause: String(cause),
    });
  }
  const payload = await readJson(response);
  if (response.ok) return payload;

  const error = payload?.error;
  if (error && typeof error === 'object') {
    throw new ApiError(
      response.status,
      error.code ?? 'error',
      error.message ?? response.statusText,
      error.details ?? null,
    );
  }
  throw new ApiError(response.status, 'http_' + response.status, response.statusText || 'Request failed');
}

async function readJson(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    // A non-JSON answer (a proxy's error page, say): only an error status makes it a problem.
    if (response.ok) {
      throw new ApiError(response.status, 'invalid_response', 'The server sent an unreadable answer.');
    }
    return null;
  }
}
