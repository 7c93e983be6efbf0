import { MAX_RANGES, multipartFraming, parseRange } from '../../../../../services/object/storage/http/byte-range';

describe('parseRange (single range)', () => {
  const size = 100;
  test.each([
    ['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-1000', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=99-99', { kind: 'partial', start: 99, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=5-3', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['garbage', { kind: 'full' }],
  ])('%s', (header, outcome) => {
    expect(parseRange(header, size)).toEqual(outcome);
  });

  test('no header, and empty objects', () => {
    expect(parseRange(undefined, size)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('parseRange (several ranges)', () => {
  const size = 100;
  test.each([
    ['bytes=0-1,5-6', { kind: 'multi', ranges: [{ start: 0, end: 1 }, { start: 5, end: 6 }] }],
    ['bytes=0-1, -3', { kind: 'multi', ranges: [{ start: 0, end: 1 }, { start: 97, end: 99 }] }],
    // Unsatisfiable members are dropped; one left is a plain single range.
    ['bytes=0-1,200-300', { kind: 'partial', start: 0, end: 1 }],
    ['bytes=200-,300-', { kind: 'unsatisfiable' }],
    // Empty list elements are allowed.
    ['bytes=0-1,,5-6,', { kind: 'multi', ranges: [{ start: 0, end: 1 }, { start: 5, end: 6 }] }],
    // One invalid member: the header is ignored.
    ['bytes=0-1,6-5', { kind: 'full' }],
    ['bytes=0-1,x', { kind: 'full' }],
    // Ranges adding up to more than the object only amplify the response: ignored.
    ['bytes=0-99,0-99', { kind: 'full' }],
  ])('%s', (header, outcome) => {
    expect(parseRange(header, size)).toEqual(outcome);
  });

  test(`more than ${MAX_RANGES} ranges are ignored`, () => {
    const many = Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`).join(',');
    expect(parseRange(`bytes=${many}`, size)).toEqual({ kind: 'full' });
    const enough = Array.from({ length: MAX_RANGES }, (_, i) => `${i}-${i}`).join(',');
    expect(parseRange(`bytes=${enough}`, size).kind).toBe('multi');
  });

  test('multipart framing: parts, closing delimiter and the exact length', () => {
    const body = Buffer.from('0123456789');
    const ranges = [{ start: 0, end: 1 }, { start: 5, end: 6 }];
    const f = multipartFraming(ranges, body.length, 'text/plain', 'BOUND');
    const whole = Buffer.concat([f.heads[0], body.subarray(0, 2), f.heads[1], body.subarray(5, 7), f.tail]);
    expect(whole.length).toBe(f.length);
    expect(whole.toString()).toBe(
      '--BOUND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01' +
        '\r\n--BOUND\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/10\r\n\r\n56' +
        '\r\n--BOUND--\r\n',
    );
  });
});
