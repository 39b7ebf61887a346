/**
 * Remote ICE candidates that arrive before they can be applied: before the peer connection exists, or before
 * it has a remote description (`addIceCandidate` rejects then). They are held in arrival order and applied
 * in that order once the connection can take them; none is dropped.
 */
export class CandidateQueue {
  readonly #held: RTCIceCandidateInit[] = [];

  get size(): number {
    return this.#held.length;
  }

  hold(candidate: RTCIceCandidateInit): void {
    this.#held.push(candidate);
  }

  /**
   * Applies every held candidate in order. A candidate the connection refuses (for example one of an offer
   * that lost a collision and was rolled back) is reported and skipped; it must not stop the ones after it.
   */
  async flush(
    apply: (candidate: RTCIceCandidateInit) => Promise<void>,
    onError: (error: unknown, candidate: RTCIceCandidateInit) => void,
  ): Promise<number> {
    let applied = 0;
    while (this.#held.length > 0) {
      const candidate = this.#held.shift()!;
      try {
        await apply(candidate);
        applied += 1;
      } catch (error) {
        onError(error, candidate);
      }
    }
    return applied;
  }

  clear(): void {
    this.#held.length = 0;
  }
}
