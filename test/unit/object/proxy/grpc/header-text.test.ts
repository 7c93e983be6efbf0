import { fromHeaderValue, isHeaderToken, lowerCaseHeaders, toHeaderValue } from '../../../../../services/object/proxy/grpc/header-text';
import { newTransId, TransIdSource } from '../../../../../services/object/proxy/app/trans-id';

test('Unicode ↔ latin1 header values round-trip byte for byte', () => {
  for (const s of ['plain', 'café', 'zoë 🚀', '']) {
    const wire = toHeaderValue(s);
    expect(Buffer.from(wire, 'latin1').equals(Buffer.from(s, 'utf8'))).toBe(true);
    expect(fromHeaderValue(wire)).toBe(s);
  }
});

test('lowerCaseHeaders: lower-case names, numbers as text, repeated values joined', () => {
  expect(lowerCaseHeaders({ 'X-Object-Meta-A': 'x', 'Content-Length': 5, 'Set-Thing': ['a', 'b'] })).toEqual({ 'x-object-meta-a': 'x', 'content-length': '5', 'set-thing': 'a, b' });
});

test('isHeaderToken', () => {
  expect(isHeaderToken('Color-1_x')).toBe(true);
  for (const bad of ['', 'a b', 'a:b', 'é', 'a\n']) expect(isHeaderToken(bad)).toBe(false);
});

test('newTransId is Swift-shaped and unique', () => {
  const id = newTransId(0x65_00_00_00 * 1000);
  expect(id).toMatch(/^tx[0-9a-f]{21}-0065000000$/);
  expect(newTransId()).not.toBe(newTransId());
});

test('transaction ids: unique within a process (counter) and across processes (random prefix)', () => {
  const a = new TransIdSource();
  const b = new TransIdSource();
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    seen.add(a.next(0));
    seen.add(b.next(0));
  }
  expect(seen.size).toBe(20_000);
  const fixed = new TransIdSource(() => Buffer.from('abcdef0123', 'hex'));
  expect(fixed.next(0)).toBe('txabcdef012000000000001-0000000000');
});
