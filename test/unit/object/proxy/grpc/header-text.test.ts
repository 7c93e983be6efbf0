import { fromHeaderValue, isHeaderToken, lowerCaseHeaders, toHeaderValue } from '../../../../../services/object/proxy/grpc/header-text';
import { newTransId } from '../../../../../services/object/proxy/grpc/trans-id';

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
