/**
 * Observes a `<call-widget>` on a site owner's page from outside: `call-state-change` events, `call()`,
 * `accept()`, `peerConnection` and the `remote-video` part. This module is listed before the widget's own
 * script, so it runs first and sees every state change.
 */
import { arm, mark, params, report, watchConnection, watchFirstFrame } from './common.js';

const role = params.get('role');
const acceptAfter = Number(params.get('accept-after') ?? 0);
const widget = document.querySelector('call-widget');

/**
 * The widget's `peerConnection` property exists only once the connection does, and a page busy setting up a
 * call can run a poll for it tens of milliseconds late: the ICE states of interest could come and go first.
 * So the widget gets a subclass that follows each connection from its constructor on and changes nothing
 * else; `peerConnection` then confirms that the connection followed is the widget's.
 */
const watched = new WeakSet();
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class ObservedPeerConnection extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    watched.add(this);
    watchConnection(this, role);
  }
};

widget.addEventListener('call-state-change', ({ detail: { state } }) => {
  mark(`${role}:${state}`);
  if (state === 'connected' && !watched.has(widget.peerConnection)) report('the connected peerConnection was not observed');
  // Accepted at once by default: after this event, as a click would come, not inside the widget's own
  // transition. `accept-after` lets it ring that many milliseconds first, as a visitor takes to answer.
  if (role === 'callee' && state === 'ringing') {
    const accept = () => {
      mark('callee:accept');
      widget.accept().catch(report);
    };
    if (acceptAfter > 0) setTimeout(accept, acceptAfter);
    else queueMicrotask(accept);
  }
  // Both sides know each other: a call can be placed (and received).
  if (state === 'ready') {
    arm(async () => {
      mark('caller:placed');
      await widget.call();
    });
  }
});
widget.addEventListener('call-error', ({ detail }) => detail.fatal && report(`${detail.code}: ${detail.message}`));

customElements
  .whenDefined('call-widget')
  .then(() => widget.updateComplete)
  .then(() => watchFirstFrame(widget.shadowRoot.querySelector('[part="remote-video"]'), `${role}:remoteFrame`));
