/**
 * Perfect negotiation (W3C webrtc-pc, "Perfect negotiation example"), with trickle ICE and a candidate
 * queue. Either side may offer at any time; when both do at once, the polite side rolls back and the
 * impolite side ignores the colliding offer. Incoming signals are processed strictly one after the other in
 * arrival order, so a candidate can never overtake the description it belongs to.
 */
import { CandidateQueue } from './candidate-queue.js';
import { currentDtlsRole, keepDtlsRole } from './dtls-role.js';

export type NegotiationSignal =
  | { description: { type: 'offer' | 'answer'; sdp: string } }
  | { candidate: RTCIceCandidateInit };

export interface NegotiatorOptions {
  polite: boolean;
  /**
   * The side that offers first. The other side sends on the m-lines of that offer (see `prepareAnswer`), so
   * one offer/answer carries media both ways; letting it offer too would only cause a collision that perfect
   * negotiation then has to undo.
   */
  initiator: boolean;
  send(signal: NegotiationSignal): void;
  /**
   * The far side's offer is applied and the answer not yet made: the moment to decide what the answer sends
   * on the m-lines the offer brought (their transceivers exist only from now on).
   */
  prepareAnswer?(pc: RTCPeerConnection): void;
  /** A failure the call cannot recover from by itself. */
  onError(error: Error): void;
  /** A problem worth logging that does not stop the call (a candidate the connection refused). */
  onWarning?(message: string, error?: unknown): void;
}

export class Negotiator {
  readonly #options: NegotiatorOptions;
  readonly #candidates = new CandidateQueue();
  #pc: RTCPeerConnection | null = null;
  #closed = false;
  /** Signals wait here until the peer connection exists; then they run one at a time. */
  #chain: Promise<void>;
  #attach!: () => void;

  // The three flags of the spec's example, named as there.
  #makingOffer = false;
  #ignoreOffer = false;
  #isSettingRemoteAnswerPending = false;

  #awaitingFirstOffer: boolean;
  #deferredNegotiation = false;

  constructor(options: NegotiatorOptions) {
    this.#options = options;
    this.#awaitingFirstOffer = !options.initiator;
    this.#chain = new Promise<void>((resolve) => (this.#attach = resolve));
  }

  /** Whether this side makes the first offer. */
  get initiator(): boolean {
    return this.#options.initiator;
  }

  /** Candidates held because nothing could take them yet. */
  get heldCandidates(): number {
    return this.#candidates.size;
  }

  get peerConnection(): RTCPeerConnection | null {
    return this.#pc;
  }

  /**
   * Starts negotiating on `pc`; signals that arrived before are processed now, in order. The initiator
   * offers at once: `negotiationneeded` would come a task later, and on a busy page a task can wait tens of
   * milliseconds (the event, once it comes, finds the offer made).
   */
  attach(pc: RTCPeerConnection): void {
    if (this.#pc) throw new Error('Negotiator already has a peer connection');
    this.#pc = pc;
    pc.addEventListener('negotiationneeded', this.#onNegotiationNeeded);
    pc.addEventListener('icecandidate', this.#onIceCandidate);
    this.#attach();
    if (this.#options.initiator) void this.#offer();
  }

  /** Queues one incoming signal behind all earlier ones. */
  handle(signal: NegotiationSignal): Promise<void> {
    const run = this.#chain.then(() => (this.#closed ? undefined : this.#process(signal)));
    this.#chain = run.catch((error) => {
      if (!this.#closed) this.#options.onError(asError(error));
    });
    return this.#chain;
  }

  /** Stops reacting to the connection and to signals; the caller closes the connection itself. */
  close(): void {
    this.#closed = true;
    this.#candidates.clear();
    this.#attach();
    this.#pc?.removeEventListener('negotiationneeded', this.#onNegotiationNeeded);
    this.#pc?.removeEventListener('icecandidate', this.#onIceCandidate);
  }

  readonly #onIceCandidate = ({ candidate }: RTCPeerConnectionIceEvent) => {
    // A null candidate marks the end of gathering; Chromium needs no end-of-candidates from the far side.
    if (candidate && !this.#closed) this.#options.send({ candidate: candidate.toJSON() });
  };

  readonly #onNegotiationNeeded = () => {
    // Offered already (`attach`): the event is stale, and a second offer would replace the first.
    if (this.#makingOffer || this.#pc?.signalingState !== 'stable') return;
    if (this.#awaitingFirstOffer) {
      this.#deferredNegotiation = true;
      return;
    }
    void this.#offer();
  };

  async #offer(): Promise<void> {
    const pc = this.#pc;
    if (!pc || this.#closed) return;
    try {
      this.#makingOffer = true;
      // Parameterless setLocalDescription creates the right description for the current state.
      await pc.setLocalDescription();
      if (!this.#closed) this.#sendLocalDescription(pc);
    } catch (error) {
      if (!this.#closed) this.#options.onError(asError(error));
    } finally {
      this.#makingOffer = false;
    }
  }

  async #process(signal: NegotiationSignal): Promise<void> {
    const pc = this.#pc!;
    if ('description' in signal) {
      const { description } = signal;
      const readyForOffer =
        !this.#makingOffer && (pc.signalingState === 'stable' || this.#isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.#ignoreOffer = !this.#options.polite && offerCollision;
      if (this.#ignoreOffer) return;
      this.#isSettingRemoteAnswerPending = description.type === 'answer';
      try {
        // On a collision the polite side's setRemoteDescription rolls its own offer back implicitly.
        // An answer to a re-offer (an ICE restart) must not flip the DTLS roles (see dtls-role.ts).
        const applied = description.type === 'answer' ? { type: description.type, sdp: keepDtlsRole(description.sdp, currentDtlsRole(pc)) } : description;
        await pc.setRemoteDescription(applied);
      } finally {
        this.#isSettingRemoteAnswerPending = false;
      }
      if (description.type === 'offer') {
        this.#options.prepareAnswer?.(pc);
        // The answer goes out before the held candidates are added: each addIceCandidate is a round through
        // the connection's operations chain, and the far side waits for the answer, not for them.
        await pc.setLocalDescription();
        this.#sendLocalDescription(pc);
      }
      await this.#candidates.flush(
        (candidate) => pc.addIceCandidate(candidate),
        (error, candidate) => this.#options.onWarning?.(`held candidate refused: ${candidate.candidate}`, error),
      );
      if (description.type === 'offer' && this.#awaitingFirstOffer) {
        this.#awaitingFirstOffer = false;
        // Anything the first answer could not carry (a kind the offer lacked) is offered now.
        if (this.#deferredNegotiation && needsNegotiation(pc)) void this.#offer();
      }
      return;
    }

    const { candidate } = signal;
    if (!pc.remoteDescription) {
      this.#candidates.hold(candidate);
      return;
    }
    try {
      await pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates of an offer we ignored are expected to fail; anything else is logged, not fatal.
      if (!this.#ignoreOffer) this.#options.onWarning?.(`candidate refused: ${candidate.candidate}`, error);
    }
  }

  #sendLocalDescription(pc: RTCPeerConnection) {
    const { type, sdp } = pc.localDescription!;
    if (type === 'offer' || type === 'answer') this.#options.send({ description: { type, sdp } });
  }
}

/** Whether a transceiver still lacks a negotiated m-line or the direction it asks for. */
function needsNegotiation(pc: RTCPeerConnection): boolean {
  return pc
    .getTransceivers()
    .some((t) => t.direction !== 'stopped' && (t.mid === null || t.currentDirection !== t.direction));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
