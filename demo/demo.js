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

// Created with its attributes already set, so it joins once, straight into the right room.
const widget = document.createElement('call-widget');
widget.addEventListener('call-state-change', (e) => write(`state ${e.detail.previous} → ${e.detail.state}${e.detail.reason ? ` (${e.detail.reason})` : ''}`));
widget.addEventListener('call-error', (e) => write(`error ${e.detail.code}: ${e.detail.message}`));
widget.setAttribute('display-name', displayName);
widget.setAttribute('room', room);
widget.setAttribute('signaling-url', location.origin);
widget.setAttribute('ice-servers-url', '/ice-servers');
document.getElementById('slot').replaceWith(widget);
