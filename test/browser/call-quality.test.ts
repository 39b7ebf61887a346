import { expect } from '@open-wc/testing';
import {
  audioMos,
  barsForMos,
  mosFromRating,
  QualityLevel,
  transmissionRating,
  videoMos,
  type QualityWindow,
} from '../../src/core/call-quality.js';

const clean = { rttMs: 40, jitterMs: 5, lossPercent: 0 };
const goodVideo = { windowSeconds: 1, freezeSeconds: 0, framesPerSecond: 30, receivedPixels: 640 * 480, sentPixels: 640 * 480 };

describe('call quality: the E-model', () => {
  it('rates a clean path near the top, from the delay term alone', () => {
    // d = 40/2 + 2·5 + 10 = 40 ms, Id = 40/40 = 1: R = 92.2.
    expect(transmissionRating(clean)).to.be.closeTo(92.2, 1e-9);
    // MOS = 1 + 0.035·92.2 + 7e-6·92.2·32.2·7.8 ≈ 4.389.
    expect(audioMos(clean)).to.be.closeTo(1 + 0.035 * 92.2 + 7e-6 * 92.2 * 32.2 * 7.8, 1e-9);
    expect(barsForMos(audioMos(clean))).to.equal(5);
  });

  it('switches to the steeper delay term from 160 ms of effective delay', () => {
    // d = 280/2 + 2·10 + 10 = 170 ms: Id = (170 - 120)/10 = 5.
    expect(transmissionRating({ rttMs: 280, jitterMs: 10, lossPercent: 0 })).to.be.closeTo(88.2, 1e-9);
    // Just below: d = 258/2 + 20 + 10 = 159 ms, Id = 159/40.
    expect(transmissionRating({ rttMs: 258, jitterMs: 10, lossPercent: 0 })).to.be.closeTo(93.2 - 159 / 40, 1e-9);
    // 300 ms added to a clean path's round trip: a second-class call.
    expect(audioMos({ rttMs: 640, jitterMs: 5, lossPercent: 0 })).to.be.lessThan(audioMos(clean) - 0.5);
  });

  it('takes 5.3 points of R per percent of loss (Opus with FEC)', () => {
    expect(transmissionRating({ ...clean, lossPercent: 5 })).to.be.closeTo(92.2 - 26.5, 1e-9);
    expect(barsForMos(audioMos({ ...clean, lossPercent: 5 }))).to.be.at.most(3);
    // 1 % still sounds fine (MOS 4.26), 2 % costs a bar (4.08).
    expect(barsForMos(audioMos({ ...clean, lossPercent: 1 }))).to.equal(5);
    expect(barsForMos(audioMos({ ...clean, lossPercent: 2 }))).to.equal(4);
  });

  it("maps R to MOS by G.107's curve, bounded at 1 and 4.5", () => {
    expect(mosFromRating(-5)).to.equal(1);
    expect(mosFromRating(0)).to.equal(1);
    expect(mosFromRating(100)).to.equal(4.5);
    expect(mosFromRating(120)).to.equal(4.5);
    // R 50: 1 + 1.75 + 7e-6 · 50 · (-10) · 50 = 2.575.
    expect(mosFromRating(50)).to.be.closeTo(2.575, 1e-9);
    expect(mosFromRating(80)).to.be.closeTo(1 + 2.8 + 7e-6 * 80 * 20 * 20, 1e-9);
  });

  it('reads an unknown round trip as none, not as a failure', () => {
    expect(transmissionRating({ rttMs: null, jitterMs: 0, lossPercent: 0 })).to.be.closeTo(93.2 - 10 / 40, 1e-9);
  });
});

describe('call quality: the video score', () => {
  it('is top for smooth full-resolution video', () => {
    expect(videoMos(goodVideo)).to.equal(4.5);
  });

  it('costs about a bar for each thing a person notices', () => {
    expect(videoMos({ ...goodVideo, freezeSeconds: 0.1 })).to.be.closeTo(3.5, 1e-9);
    expect(videoMos({ ...goodVideo, receivedPixels: 320 * 240 })).to.be.closeTo(3.5, 1e-9);
    expect(videoMos({ ...goodVideo, framesPerSecond: 12 })).to.be.closeTo(3.75, 1e-9);
  });

  it('scores 1 for a window frozen throughout, or without frames', () => {
    expect(videoMos({ ...goodVideo, freezeSeconds: 1 })).to.equal(1);
    expect(videoMos({ ...goodVideo, framesPerSecond: 0 })).to.equal(1);
    expect(videoMos({ ...goodVideo, freezeSeconds: 0.5, framesPerSecond: 5, receivedPixels: 1 })).to.equal(1);
  });

  it('does not punish what it cannot know, nor more pixels than sent', () => {
    expect(videoMos({ ...goodVideo, receivedPixels: null, sentPixels: null })).to.equal(4.5);
    expect(videoMos({ ...goodVideo, receivedPixels: 2 * 640 * 480 })).to.equal(4.5);
  });
});

describe('call quality: bars', () => {
  it('follows the thresholds 4.2, 4.0, 3.6 and 3.0', () => {
    expect([4.5, 4.2, 4.19, 4.0, 3.99, 3.6, 3.59, 3.0, 2.99, 1].map(barsForMos)).to.deep.equal([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
  });
});

describe('call quality: the level over time', () => {
  const window = (audio: number | null, extra: Partial<QualityWindow> = {}): QualityWindow => ({ audio, video: null, flowing: true, reconnecting: false, ...extra });
  const run = (level: QualityLevel, windows: QualityWindow[]) => windows.map((w) => level.update(w).level);

  it('is unknown for the first windows, then reads the score, without averaging the warm-up in', () => {
    expect(run(new QualityLevel(), [window(4.4), window(4.4), window(4.4), window(4.4)])).to.deep.equal([null, null, null, 5]);
    // A slow first second (no key frame yet) does not hold the level down afterwards.
    expect(run(new QualityLevel(), [window(1), window(2), window(4.4), window(4.4)])).to.deep.equal([null, null, null, 5]);
  });

  it('warms up again after an outage', () => {
    const level = new QualityLevel({ warmupWindows: 2 });
    run(level, Array(4).fill(window(4.4)));
    expect(level.update(window(4.4, { reconnecting: true })).level).to.equal(0);
    expect(run(level, [window(1), window(3), window(4.4)])).to.deep.equal([null, null, 5]);
  });

  it('holds 5 bars through one odd window on a clean call (no false alarm)', () => {
    const level = new QualityLevel({ warmupWindows: 0 });
    const levels = run(level, [...Array(30).fill(window(4.4)), window(4.1), ...Array(30).fill(window(4.4))]);
    expect(levels.every((l) => l === 5), levels.join()).to.equal(true);
  });

  it('takes no bar for a single bad window, however bad (a stutter)', () => {
    const level = new QualityLevel({ warmupWindows: 0 });
    const levels = run(level, [...Array(5).fill(window(4.4)), window(1), ...Array(5).fill(window(4.4)), window(2), window(4.4), window(4.4), window(1.5)]);
    expect(levels.every((l) => l === 5), levels.join()).to.equal(true);
  });

  it('drops within two windows of real trouble, and rises only slowly, two windows in a row at a time', () => {
    const level = new QualityLevel({ warmupWindows: 0 });
    run(level, Array(5).fill(window(4.4)));
    const bad = run(level, [window(3.2), window(3.2)]);
    expect(bad.at(-1)).to.be.at.most(3);
    const recovering = run(level, Array(15).fill(window(4.4)));
    // Never more than one bar at a time, never up on a single window, back at 5 within 15 windows.
    for (let i = 1; i < recovering.length; i++) expect(recovering[i]! - recovering[i - 1]!).to.be.at.most(1);
    expect(recovering.at(-1)).to.equal(5);
    const firstRise = recovering.findIndex((l, i) => l! > (i === 0 ? bad.at(-1)! : recovering[i - 1]!));
    expect(firstRise, 'the first rise comes on a second window').to.be.at.least(1);
  });

  it('needs the higher reading twice in a row: a score that hovers over a threshold does not climb', () => {
    const level = new QualityLevel({ warmupWindows: 0 });
    run(level, [window(3.98), window(3.98), window(3.98)]);
    expect(level.reading.level).to.equal(3);
    // Every good window takes the score over 4.0 (4 bars), and the bad one after it back under.
    const readings = Array(10).fill(null).flatMap(() => [level.update(window(4.5)), level.update(window(3.9))]);
    expect(readings.some((r) => r.mos! >= 4.0), 'the score did cross 4.0').to.equal(true);
    expect(readings.every((r) => r.level === 3), readings.map((r) => r.level).join()).to.equal(true);
  });

  it('is 0 while reconnecting and after 4 windows without media, and judged afresh afterwards', () => {
    const level = new QualityLevel({ warmupWindows: 0 });
    run(level, Array(5).fill(window(3.1)));
    expect(level.update(window(3.1, { reconnecting: true })).level).to.equal(0);
    // Back: the first window sets the score, not an average with the poor one before the outage.
    expect(level.update(window(4.4)).level).to.equal(5);
    expect(run(level, [window(null, { flowing: false }), window(null, { flowing: false }), window(null, { flowing: false })])).to.deep.equal([5, 5, 5]);
    expect(level.update(window(null, { flowing: false })).level).to.equal(0);
  });

  it('is unknown while the other side is muted with no video, and judges video alone when there is some', () => {
    const level = new QualityLevel({ warmupWindows: 0 });
    run(level, Array(3).fill(window(4.4)));
    expect(level.update(window(null)).level).to.equal(null);
    expect(level.update(window(null, { video: 4.5 })).level).to.equal(5);
    expect(run(level, [window(null, { video: 3.2 }), window(null, { video: 3.2 })]).at(-1)).to.be.at.most(4);
  });

  it('takes the worse of audio and video', () => {
    const level = new QualityLevel({ warmupWindows: 0 });
    expect(level.update(window(4.4, { video: 3.1 }))).to.deep.equal({ level: 2, mos: 3.1 });
  });
});
