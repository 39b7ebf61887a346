import { css } from 'lit';

export const styles = css`
  :host {
    --call-widget-background: #111827;
    --call-widget-foreground: #f9fafb;
    --call-widget-accent: #15803d;
    --call-widget-danger: #b91c1c;
    --call-widget-warning: #f59e0b;
    --call-widget-radius: 12px;
    --call-widget-gap: 8px;
    --call-widget-control-background: #374151;
    /* The layout's properties (font, aspect ratio, local size, video fit) have their defaults where they are used. */

    display: block;
    box-sizing: border-box;
    max-width: 100%;
    font-family: var(--call-widget-font, system-ui, sans-serif);
    color: var(--call-widget-foreground);
    background: var(--call-widget-background);
    border-radius: var(--call-widget-radius);
    overflow: hidden;
  }
  :host([hidden]) {
    display: none;
  }
  @media (max-width: 480px) {
    :host {
      --call-widget-aspect-ratio: 4 / 3;
      --call-widget-local-size: 24%;
    }
  }
  /* Every row under the stage; their vertical margins collapse into one gap between two. */
  [part='stage'] ~ * {
    margin: var(--call-widget-gap) calc(var(--call-widget-gap) * 1.5);
  }
  [part='stage'] {
    position: relative;
    aspect-ratio: var(--call-widget-aspect-ratio, 16 / 9);
    background: #000;
  }
  :host([media='audio']) [part='stage'] {
    aspect-ratio: auto;
    min-height: 3rem;
  }
  :host([media='audio']) [part='stage']:has([part='remote-avatar']) {
    min-height: 9rem;
  }
  [part='remote-video'],
  .preview [part='local-video'] {
    display: block;
    width: 100%;
    height: 100%;
    object-fit: var(--call-widget-video-fit, contain);
  }
  [part='local-video'] {
    position: absolute;
    right: var(--call-widget-gap);
    bottom: var(--call-widget-gap);
    width: var(--call-widget-local-size, 28%);
    aspect-ratio: 4 / 3;
    object-fit: cover;
    border-radius: calc(var(--call-widget-radius) / 2);
    border: 1px solid rgb(255 255 255 / 0.3);
    transform: scaleX(-1); /* a mirror, as people expect to see themselves */
  }
  .preview [part='local-video'] {
    inset: 0;
    border: 0;
    border-radius: 0;
  }
  /* No stream, or no camera. In an audio call the peer's avatar covers the remote video. */
  video.empty {
    visibility: hidden;
  }
  [part='remote-avatar'] {
    position: absolute;
    inset: 0;
    /* Over the video rather than hiding it: hiding a playing <video> whose frames stopped crashed Chromium's renderer. */
    background: var(--call-widget-background);
    display: grid;
    place-content: center;
    justify-items: center;
    gap: var(--call-widget-gap);
  }
  [part='remote-initial'] {
    display: grid;
    place-items: center;
    width: 4rem;
    height: 4rem;
    margin: 12px;
    border-radius: 50%;
    font-size: 1.8rem;
    background: var(--call-widget-accent);
    box-shadow: 0 0 0 calc(var(--call-widget-peer-level, 0) * 12px) rgb(255 255 255 / 0.25);
    transition: box-shadow 0.4s; /* the level comes twice a second */
  }
  [part='remote-muted'],
  [part='timer'] {
    position: absolute;
    top: var(--call-widget-gap);
    padding: 0.1em 0.6em;
    border-radius: 999px;
    font-size: 0.85em;
    background: rgb(0 0 0 / 0.6);
  }
  [part='remote-muted'] {
    left: var(--call-widget-gap);
  }
  [part='timer'] {
    right: var(--call-widget-gap);
    font-variant-numeric: tabular-nums;
  }
  /* Five bars of rising height; the lit ones in the colour of how good the connection is. */
  [part='quality'] {
    position: absolute;
    left: var(--call-widget-gap);
    bottom: var(--call-widget-gap);
    display: flex;
    align-items: flex-end;
    gap: 2px;
    height: 14px;
    padding: 4px 6px;
    border-radius: 6px;
    background: rgb(0 0 0 / 0.6);
  }
  [part='quality-bar'] {
    width: 3px;
    height: 20%;
    background: var(--call-widget-accent);
    opacity: 0.35;
  }
  i:nth-child(2) {
    height: 40%;
  }
  i:nth-child(3) {
    height: 60%;
  }
  i:nth-child(4) {
    height: 80%;
  }
  i:nth-child(5) {
    height: 100%;
  }
  .lit {
    opacity: 1;
  }
  .fair i {
    background: var(--call-widget-warning);
  }
  .poor i {
    background: var(--call-widget-danger);
  }
  .hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
  }
  [part='debug'] {
    margin: 0;
    padding: var(--call-widget-gap);
    font-size: 0.75em;
    white-space: pre-wrap;
    background: rgb(0 0 0 / 0.4);
  }
  [part='meter'] {
    height: 6px;
    border-radius: 999px;
    background: rgb(255 255 255 / 0.15);
    overflow: hidden;
  }
  [part='meter-bar'] {
    height: 100%;
    background: var(--call-widget-accent);
    transition: width 0.1s linear;
  }
  p {
    font-size: 0.9em;
  }
  [part='device-menu'],
  [part='controls'] {
    display: flex;
    flex-wrap: wrap;
    gap: var(--call-widget-gap);
  }
  [part='device-label'] {
    display: grid;
    gap: 2px;
    font-size: 0.85em;
    flex: 1 1 10rem;
    min-width: 0;
  }
  select {
    font: inherit;
    max-width: 100%;
  }
  [part='status'] {
    min-height: 1.4em;
  }
  [part='status'].failed {
    color: #fecaca;
  }
  button {
    font: inherit;
    color: #fff;
    border: 0;
    border-radius: 999px;
    padding: 0.5em 1.2em;
    white-space: nowrap;
    cursor: pointer;
    background: var(--call-widget-accent);
  }
  button:focus-visible {
    outline: 3px solid #93c5fd;
    outline-offset: 2px;
  }
  [part='hangup-button'] {
    margin-inline-start: auto;
  }
  /* Mute, camera, devices, full screen, picture-in-picture: the toggles. */
  [aria-pressed],
  [aria-expanded],
  [part='retry-button'] {
    background: var(--call-widget-control-background);
  }
  [part='decline-button'],
  [part='hangup-button'],
  [aria-pressed='true'] {
    background: var(--call-widget-danger);
  }
  [aria-expanded='true'] {
    color: var(--call-widget-background);
    background: var(--call-widget-foreground);
  }
`;
