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
  video {
    display: block;
    background: #000;
  }
  [part='remote-video'] {
    width: 100%;
    height: 100%;
    object-fit: cover;
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
  :host([media='audio']) video,
  video.empty {
    visibility: hidden;
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
`;
