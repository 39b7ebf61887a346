/** What the end-to-end tests measure in a page, shared by the script-tag and the cross-browser tests. */

export interface RemoteVideo {
  frames: number;
  width: number;
  height: number;
}

/**
 * Frames the remote <video> of the widget `widget` (a page expression) presented in one second, and its size:
 * real decoded video, not a black box. A string to evaluate in the page, because tsx's transpiler would wrap a
 * function's inner helpers in a `__name` the page lacks.
 */
export const remoteVideoScript = (widget: string): string => `(async () => {
  const video = ${widget}.shadowRoot.querySelector('[part="remote-video"]');
  let frames = 0;
  const count = () => { frames += 1; video.requestVideoFrameCallback(count); };
  video.requestVideoFrameCallback(count);
  await new Promise((r) => setTimeout(r, 1000));
  return { frames, width: video.videoWidth, height: video.videoHeight };
})()`;
