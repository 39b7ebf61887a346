/**
 * Tells Chromium's two usable fake cameras apart in a decoded frame. Both paint a green picture of the same
 * size (640x480, 20 fps), so neither size nor the background can say which one a frame came from; their corner
 * squares can. Each corner holds a 40 px square whose brightness ramps with time, a quarter period apart, so
 * at any moment at least one corner is bright. `fake_device_0` (I420) ramps the green channel alone (red at
 * most a quarter of green), `fake_device_2` (MJPEG) ramps red and green together (a yellow, red ≈ green).
 * `fake_device_1` is never used: a Y16 depth camera, which crashes Chromium when sent.
 *
 * Measured on the camera itself and in the frames decoded at the peer (VP8, both ways of switching): bright
 * green corners have red/green 0–0.30, yellow ones 0.94–1.02. The thresholds leave a wide gap between, where
 * a frame counts as neither (one smeared by the encoder right after the switch, say) rather than guessed.
 */

/** The frame is drawn this small: each corner square covers 4x4 canvas pixels whatever the sent size. */
const WIDTH = 64;
const HEIGHT = 48;
/** Canvas pixels at the middle of each corner square (20 px into a 640x480 frame). */
const CORNERS = [
  [2, 2],
  [WIDTH - 3, 2],
  [2, HEIGHT - 3],
  [WIDTH - 3, HEIGHT - 3],
];
/** A corner darker than this says nothing: dark green and dark yellow are both nearly black. */
const BRIGHT = 90;
const GREEN_MAX_RATIO = 0.45;
const YELLOW_MIN_RATIO = 0.7;

/** A reader for one `<video>`: its own small canvas, read back often (hence `willReadFrequently`). */
export function cameraReader(video) {
  const canvas = Object.assign(document.createElement('canvas'), { width: WIDTH, height: HEIGHT });
  const context = canvas.getContext('2d', { willReadFrequently: true });
  /** The camera the frame now in `video` came from: its label, or null where the corners disagree or are dark. */
  return () => {
    if (!video.videoWidth) return null;
    context.drawImage(video, 0, 0, WIDTH, HEIGHT);
    const { data } = context.getImageData(0, 0, WIDTH, HEIGHT);
    const votes = new Set();
    for (const [x, y] of CORNERS) {
      const i = (y * WIDTH + x) * 4;
      const [red, green] = [data[i], data[i + 1]];
      if (green < BRIGHT) continue;
      const ratio = red / green;
      votes.add(ratio <= GREEN_MAX_RATIO ? 'fake_device_0' : ratio >= YELLOW_MIN_RATIO ? 'fake_device_2' : 'unclear');
    }
    // Every bright corner must agree: a frame half of one camera and half of the other is neither.
    return votes.size === 1 && !votes.has('unclear') ? [...votes][0] : null;
  };
}
