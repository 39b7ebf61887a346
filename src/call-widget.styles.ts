import { css } from 'lit';

export const styles = css`
  :host {
    --call-widget-background: #111827;
    --call-widget-foreground: #f9fafb;
    --call-widget-accent: #15803d;
    --call-widget-danger: #b91c1c;
    --call-widget-radius: 12px;
    --call-widget-gap: 8px;
    --call-widget-font: system-ui, sans-serif;
    --call-widget-aspect-ratio: 16 / 9;
    --call-widget-local-size: 28%;
    --call-widget-video-fit: contain;
    --call-widget-control-background: #374151;

    display: block;
    box-sizing: border-box;
    max-width: 100%;
    font-family: var(--call-widget-font);
    color: var(--call-widget-foreground);
    background: var(--call-widget-background);
    border-radius: var(--call-widget-radius);
    overflow: hidden;
  }
  :host([hidden]) {
    display: none;
  }
  [part='stage'] {
    position: relative;
    aspect-ratio: var(--call-widget-aspect-ratio);
    background: #000;
  }
  :host([media='audio']) [part='stage'] {
    aspect-ratio: auto;
    min-height: 3rem;
  }
  :host([media='audio']) [part='stage']:has([part='remote-avatar']) {
    min-height: 9rem;
  }
  video {
    display: block;
    background: #000;
  }
  [part='remote-video'] {
    width: 100%;
    height: 100%;
    object-fit: var(--call-widget-video-fit);
  }
  [part='local-video'] {
    position: absolute;
    right: var(--call-widget-gap);
    bottom: var(--call-widget-gap);
    width: var(--call-widget-local-size);
    aspect-ratio: 4 / 3;
    object-fit: cover;
    border-radius: calc(var(--call-widget-radius) / 2);
    border: 1px solid rgb(255 255 255 / 0.3);
    transform: scaleX(-1); /* a mirror, as people expect to see themselves */
  }
  .preview [part='local-video'] {
    inset: 0;
    width: 100%;
    height: 100%;
    border: 0;
    border-radius: 0;
    object-fit: var(--call-widget-video-fit);
  }
  :host([media='audio']) video,
  video.empty {
    visibility: hidden;
  }
  [part='remote-avatar'] {
    position: absolute;
    inset: 0;
    /* Over the video rather than hiding it: hiding a playing <video> whose frames stopped crashed Chromium's renderer. */
    background: var(--call-widget-background);
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: var(--call-widget-gap);
  }
  [part='remote-initial'] {
    display: grid;
    place-items: center;
    width: 4rem;
    height: 4rem;
    border-radius: 50%;
    font-size: 1.8rem;
    background: var(--call-widget-accent);
    box-shadow: 0 0 0 calc(var(--call-widget-peer-level, 0) * 12px) rgb(255 255 255 / 0.25);
    transition: box-shadow 0.1s;
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
  [part='meter'] {
    height: 6px;
    margin: var(--call-widget-gap) calc(var(--call-widget-gap) * 1.5) 0;
    border-radius: 3px;
    background: rgb(255 255 255 / 0.15);
    overflow: hidden;
  }
  [part='meter-bar'] {
    height: 100%;
    background: var(--call-widget-accent);
    transition: width 0.1s linear;
  }
  [part='notice'],
  [part='meter-hint'],
  [part='muted-hint'] {
    margin: var(--call-widget-gap) calc(var(--call-widget-gap) * 1.5) 0;
    font-size: 0.9em;
  }
  [part='device-menu'] {
    display: flex;
    flex-wrap: wrap;
    gap: var(--call-widget-gap);
    padding: 0 calc(var(--call-widget-gap) * 1.5) calc(var(--call-widget-gap) * 1.5);
  }
  [part='device-label'] {
    display: flex;
    flex-direction: column;
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
    margin: 0;
    padding: var(--call-widget-gap) calc(var(--call-widget-gap) * 1.5) 0;
    font-size: 0.95em;
    min-height: 1.4em;
  }
  [part='status'].failed {
    color: #fecaca;
  }
  [part='controls'] {
    display: flex;
    flex-wrap: wrap;
    gap: var(--call-widget-gap);
    padding: var(--call-widget-gap) calc(var(--call-widget-gap) * 1.5) calc(var(--call-widget-gap) * 1.5);
  }
  button {
    font: inherit;
    color: #fff;
    border: 0;
    border-radius: 999px;
    padding: 0.5em 1.2em;
    cursor: pointer;
    background: var(--call-widget-accent);
  }
  button:focus-visible {
    outline: 3px solid #93c5fd;
    outline-offset: 2px;
  }
  [part='decline-button'],
  [part='hangup-button'] {
    background: var(--call-widget-danger);
  }
  [part='retry-button'] {
    background: #4b5563;
  }
  .toggle {
    background: var(--call-widget-control-background);
  }
  .toggle[aria-pressed='true'] {
    background: var(--call-widget-danger);
  }
`;
