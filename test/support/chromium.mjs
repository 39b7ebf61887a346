// Where the tests find Chromium, and the flags it needs here (see README, "Testing").
import { existsSync } from 'node:fs';

export function chromiumPath() {
  const path = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}. Install Debian's chromium package or set CHROME_PATH.`);
  }
  return path;
}

/**
 * Flags for headless Chromium as root on a machine with no network but loopback: no sandbox (root), no
 * background traffic to the outside, fake camera and microphone that need no permission prompt, and media
 * that may play without a click (the tests click nothing).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Three fake cameras and three microphones, for switching devices. fake_device_0 (I420) and fake_device_2
  // (MJPEG) paint the same green picture, with corner squares of different colours; fake_device_1 is a Y16
  // depth camera, and sending it over WebRTC crashes Chromium 156: tests never pick it.
  '--use-fake-device-for-media-stream=device-count=3',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];
