/**
 * A microphone's samples for the level meter (src/core/level-meter.ts), through Web Audio.
 *
 * It listens to a clone of the track: the widget mutes with `track.enabled = false`, a disabled track feeds
 * Web Audio silence, and the "you are muted" hint must still hear the visitor speak. The clone is enabled
 * even when the track was already muted, and is stopped on close; it does not keep the original alive.
 */
export interface LevelSource {
  /** The latest 2048 samples (about 43 ms at 48 kHz), -1..1; null while the audio context is not running. */
  read(): Float32Array | null;
  close(): void;
}

export function openLevelSource(track: MediaStreamTrack): LevelSource {
  const clone = track.clone();
  clone.enabled = true;
  // One context per source, so closing it releases the audio device's thread with the source.
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(new MediaStream([clone])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let resuming: Promise<void> | undefined;
  return {
    read() {
      if (context.state === 'running') {
        analyser.getFloatTimeDomainData(samples);
        return samples;
      }
      // A context made without a user gesture starts suspended; resume() settles once the page may play
      // audio (at once where it already may), and is asked again after it failed.
      if (context.state === 'suspended') resuming ??= context.resume().catch(() => {}).finally(() => (resuming = undefined));
      return null;
    },
    close() {
      clone.stop();
      void context.close().catch(() => {});
    },
  };
}
