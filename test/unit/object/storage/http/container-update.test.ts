import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ContainerUpdater, containerTargetFrom, parsePendingUpdate, sendUpdate, updateUrl, type PendingUpdate } from '../../../../../services/object/storage/http/container-update';
import { HttpError } from '../../../../../services/object/storage/http/http-error';
import { updateTargetFrom } from '../../../../../services/object/storage/http/update-target';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) }) as unknown as IncomingMessage;
const target = { host: '127.0.0.1', port: 6201, device: 'sdc', partition: '9' };

describe('containerTargetFrom', () => {
  test('none, all, or a 400', () => {
    expect(containerTargetFrom(req({}))).toBeUndefined();
    expect(containerTargetFrom(req({ 'X-Container-Host': '127.0.0.1:6201', 'X-Container-Device': 'sdc', 'X-Container-Partition': '9' }))).toEqual(target);
    expect(containerTargetFrom(req({ 'X-Container-Host': '[::1]:6201', 'X-Container-Device': 'sdc', 'X-Container-Partition': '9' }))).toEqual({ ...target, host: '::1' });
    const bads: Record<string, string>[] = [
      { 'X-Container-Host': '127.0.0.1:6201' },
      { 'X-Container-Host': '127.0.0.1', 'X-Container-Device': 'sdc', 'X-Container-Partition': '9' },
      { 'X-Container-Host': '127.0.0.1:0', 'X-Container-Device': 'sdc', 'X-Container-Partition': '9' },
      { 'X-Container-Host': '127.0.0.1:1', 'X-Container-Device': '../x', 'X-Container-Partition': '9' },
      { 'X-Container-Host': '127.0.0.1:1', 'X-Container-Device': 'sdc', 'X-Container-Partition': '-1' },
    ];
    for (const bad of bads) {
      expect(() => containerTargetFrom(req(bad))).toThrow(HttpError);
    }
  });
});

describe('updates', () => {
  const u: PendingUpdate = { method: 'PUT', path: '/AUTH_a/c/dir/fé #?.txt', headers: { 'X-Timestamp': '1700000000.00000' }, target };

  test('the update path encodes every name segment', () => {
    expect(updateUrl(u)).toBe('/sdc/9/AUTH_a/c/dir%2Ff%C3%A9%20%23%3F.txt');
  });

  test('an unreachable target is a failure, not a rejection', async () => {
    expect(await sendUpdate({ ...u, target: { ...target, port: 1 } }, 1000)).toBe(false);
  });

  test('update() queues what it cannot send, as JSON under async_pending/<suffix>/<hash>-<timestamp>', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'weft-cu-'));
    try {
      const updater = new ContainerUpdater({ devicesRoot: root, secret: { prefix: 'p', suffix: 's' }, fsync: true, timeoutMs: 500 });
      const ref = { device: 'sda', partition: '5', account: 'AUTH_a', container: 'c', object: 'o' };
      expect(await updater.update(ref, { ...target, port: 1 }, 'DELETE', { 'X-Timestamp': '1700000001.00000' })).toBe('queued');
      const suffixes = readdirSync(path.join(root, 'sda', 'async_pending'));
      expect(suffixes).toHaveLength(1);
      const files = readdirSync(path.join(root, 'sda', 'async_pending', suffixes[0]));
      expect(files).toEqual([expect.stringMatching(new RegExp(`^[0-9a-f]{29}${suffixes[0]}-1700000001\\.00000$`))]);
      expect(JSON.parse(readFileSync(path.join(root, 'sda', 'async_pending', suffixes[0], files[0]), 'utf8'))).toEqual({
        method: 'DELETE',
        path: '/AUTH_a/c/o',
        headers: { 'X-Timestamp': '1700000001.00000' },
        target: { ...target, port: 1 },
      });
      expect(readdirSync(path.join(root, 'sda', 'tmp'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('queued update format', () => {
  test('container updates and account reports round-trip; anything else is refused', () => {
    const obj: PendingUpdate = { method: 'PUT', path: '/a/c/o/deep', headers: { 'X-Timestamp': '1700000000.00000', 'X-Size': '1' }, target };
    const rep: PendingUpdate = { layer: 'account', method: 'PUT', path: '/a/c', headers: { 'X-Put-Timestamp': '1700000000.00000' }, target };
    expect(parsePendingUpdate(JSON.stringify(obj))).toEqual(obj);
    expect(parsePendingUpdate(JSON.stringify(rep))).toEqual(rep);
    expect(updateUrl(rep)).toBe('/sdc/9/a/c');
    expect(updateUrl(obj)).toBe('/sdc/9/a/c/o%2Fdeep');
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ ...obj, method: 'POST' }),
      JSON.stringify({ ...obj, layer: 'object' }),
      JSON.stringify({ ...rep, path: '/a/c/o' }),
      JSON.stringify({ ...obj, path: '/a/c' }),
      JSON.stringify({ ...obj, headers: { a: 1 } }),
      JSON.stringify({ ...obj, target: { ...target, port: 0 } }),
      JSON.stringify({ ...obj, target: { ...target, device: '../x' } }),
    ]) {
      expect(parsePendingUpdate(bad)).toBeUndefined();
    }
  });

  test('X-Account-* targets follow the same rules as X-Container-*', () => {
    expect(updateTargetFrom(req({ 'X-Account-Host': '127.0.0.1:6201', 'X-Account-Device': 'sdc', 'X-Account-Partition': '9' }), 'Account')).toEqual(target);
    expect(() => updateTargetFrom(req({ 'X-Account-Device': 'sdc' }), 'Account')).toThrow(HttpError);
    expect(updateTargetFrom(req({ 'X-Container-Host': '127.0.0.1:6201' }), 'Account')).toBeUndefined();
  });
});
