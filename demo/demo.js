// The demo page's script, a file of its own so that the page's CSP can forbid inline script.
const params = new URLSearchParams(location.search);
let room = params.get('room');
if (!room) {
  room = crypto.randomUUID().slice(0, 8);
  history.replaceState(null, '', `?room=${room}`);
}
const share = document.getElementById('share');
share.href = share.textContent = location.href;
const log = document.getElementById('log');
const write = (line) => (log.textContent += `${new Date().toLocaleTimeString()} ${line}\n`);
const displayName = params.get('name') ?? `Guest ${Math.floor(Math.random() * 900 + 100)}`;

/**
 * A room token from the server's dev-only `/demo-token`, which exists only when the server requires tokens
 * (and runs the demo): a 404 means open rooms, no token needed. Anything else is written to the log, and
 * the widget joins without a token and reports the refusal itself.
 */
async function demoToken() {
  try {
    const response = await fetch(`/demo-token?${new URLSearchParams({ room, name: displayName })}`);
    if (response.status === 404) return null;
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
    return body;
  } catch (error) {
    write(`no demo token: ${error.message}`);
    return null;
  }
}

const grant = await demoToken();
// Created with its attributes already set, so it joins once, straight into the right room.
const widget = document.createElement('call-widget');
widget.addEventListener('call-state-change', (e) => write(`state ${e.detail.previous} → ${e.detail.state}${e.detail.reason ? ` (${e.detail.reason})` : ''}`));
widget.addEventListener('call-error', (e) => write(`error ${e.detail.code}: ${e.detail.message}`));
widget.setAttribute('display-name', displayName);
widget.setAttribute('room', room);
widget.setAttribute('signaling-url', location.origin);
widget.setAttribute('ice-servers-url', '/ice-servers');
if (grant) {
  widget.setAttribute('token', grant.token);
  // Renewed before it expires, as a site's page would: the widget takes a fresh token without ending the call.
  const renewEveryMs = grant.ttl * 800;
  setInterval(async () => {
    const fresh = await demoToken();
    if (fresh) widget.setAttribute('token', fresh.token);
  }, renewEveryMs);
}
document.getElementById('slot').replaceWith(widget);
