/** Elements placed inside the widget read the call and act on it through `callContext`. */
import { ContextConsumer } from '@lit/context';
import { expect } from '@open-wc/testing';
import { LitElement, html } from 'lit';
import { callContext } from '../../src/call-context.js';
import { testConfig, uniqueRoom, waitForState, widget } from './helpers.js';

class CallConsumer extends LitElement {
  readonly call = new ContextConsumer(this, { context: callContext, subscribe: true });
  override render() {
    return html`<span>${this.call.value?.state}</span>`;
  }
}
customElements.define('test-call-consumer', CallConsumer);

describe('call context for slotted elements', () => {
  it('follows the state and can place a call', async () => {
    const { signalingUrl } = await testConfig();
    const room = uniqueRoom();
    const alice = await widget({ 'signaling-url': signalingUrl, room });
    const consumer = document.createElement('test-call-consumer') as CallConsumer;
    alice.append(consumer);
    await waitForState(alice, 'waiting');
    await alice.updateComplete;
    await consumer.updateComplete;
    expect(consumer.shadowRoot!.textContent).to.equal('waiting');

    const bob = await widget({ 'signaling-url': signalingUrl, room });
    await waitForState(alice, 'ready');
    await alice.updateComplete;
    expect(consumer.call.value!.peer).to.not.equal(null);
    void consumer.call.value!.call();
    await waitForState(bob, 'ringing');
    expect(alice.state).to.equal('calling');
    consumer.call.value!.hangUp();
    await waitForState(bob, 'ended');
    alice.remove();
    bob.remove();
  });
});
