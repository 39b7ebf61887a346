/**
 * Counts the frames a <video> presents, for recovery to judge a call on what the visitor sees: after two ICE
 * restarts crossed, Chromium was seen decoding frames and presenting none. `requestVideoFrameCallback` fires
 * once per frame composited. Where it cannot tell (no such API, a hidden tab, a video not rendered) it says
 * null, and recovery counts frames decoded instead; a hidden tab presents nothing, on purpose.
 */
export class FrameCounter {
  #video: HTMLVideoElement | null = null;
  #frames = 0;
  #handle = 0;

  /** Starts counting `video`'s frames (null stops). */
  watch(video: HTMLVideoElement | null): void {
    if (video === this.#video) return;
    this.#stop();
    this.#video = video;
    if (video && 'requestVideoFrameCallback' in video) this.#next(video);
  }

  /** The running count, or null when presented frames say nothing right now. */
  get presented(): number | null {
    const video = this.#video;
    if (!video || !('requestVideoFrameCallback' in video) || document.visibilityState !== 'visible') return null;
    // Not rendered (display: none, or no box at all): nothing is presented, and that is not the call's fault.
    if (!video.isConnected || video.getClientRects().length === 0) return null;
    return this.#frames;
  }

  #next(video: HTMLVideoElement): void {
    this.#handle = video.requestVideoFrameCallback(() => {
      this.#frames += 1;
      if (this.#video === video) this.#next(video);
    });
  }

  #stop(): void {
    if (this.#video && this.#handle) this.#video.cancelVideoFrameCallback?.(this.#handle);
    this.#handle = 0;
  }
}
