import { describe, expect, it } from 'vitest';
import { ffmpegArgs, redactCredentials } from '../../src/camera/ffmpeg-args.js';

const output = ['-an', '-sn', '-dn', '-vf', 'fps=5,scale=640:360', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
const quiet = ['-hide_banner', '-nostats', '-loglevel', 'error', '-nostdin'];

describe('ffmpegArgs', () => {
  it('pulls RTSP over TCP and writes rgb24 frames at the configured rate and size', () => {
    expect(ffmpegArgs({ input: { kind: 'rtsp', url: 'rtsp://cam/lane' }, fps: 5, width: 640, height: 360 })).toEqual([
      ...quiet,
      '-rtsp_transport',
      'tcp',
      '-i',
      'rtsp://cam/lane',
      ...output,
    ]);
  });

  it('plays a looping clip at real time', () => {
    expect(
      ffmpegArgs({ input: { kind: 'clip', path: '/v/a b.mp4', loop: true }, fps: 5, width: 640, height: 360 }),
    ).toEqual([...quiet, '-re', '-stream_loop', '-1', '-i', '/v/a b.mp4', ...output]);
  });

  it('plays a clip once when not looping', () => {
    expect(
      ffmpegArgs({ input: { kind: 'clip', path: '/v/a.mp4', loop: false }, fps: 2.5, width: 320, height: 180 }),
    ).toEqual([
      ...quiet,
      ...['-re', '-i', '/v/a.mp4'],
      ...['-an', '-sn', '-dn', '-vf', 'fps=2.5,scale=320:180', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
    ]);
  });

  it.each([
    { fps: 0, width: 640, height: 360 },
    { fps: Number.NaN, width: 640, height: 360 },
    { fps: 5, width: 0, height: 360 },
    { fps: 5, width: 640, height: 360.5 },
  ])('rejects impossible sizes and rates %o', (o) => {
    expect(() => ffmpegArgs({ input: { kind: 'rtsp', url: 'rtsp://cam' }, ...o })).toThrow(RangeError);
  });
});

describe('redactCredentials', () => {
  it.each([
    ['rtsp://admin:s3cret@10.0.0.5:554/Streaming/101', 'rtsp://***@10.0.0.5:554/Streaming/101'],
    ['[tcp] rtsp://u:p@ss@cam/x: Connection refused', '[tcp] rtsp://***@cam/x: Connection refused'],
    ['rtsp://10.0.0.5/live?a=b@c', 'rtsp://10.0.0.5/live?a=b@c'],
    ['no url here', 'no url here'],
  ])('%s', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });
});
