/** The pure parts of the namespace test harness (test/dataplane/harness). */
import { missingCapabilities, parseCapEff } from '../../dataplane/harness/capabilities';
import { isPrefix, makePrefix, parseOwnerRecord, parseStartTime, prefixOf, staleNamespaces, type OwnerRecord } from '../../dataplane/harness/owners';
import { parseCaptureCount, parsePingSummary, PingTally } from '../../dataplane/harness/traffic-parse';

describe('run prefixes and ownership', () => {
  test('prefixes are wt + 4 base36 characters for any seed', () => {
    for (const seed of [0, 1, 35, 36 ** 4 - 1, 36 ** 4, -5, 1_234_567_890_123]) {
      const p = makePrefix(seed);
      expect(p).toMatch(/^wt[0-9a-z]{4}$/);
      expect(isPrefix(p)).toBe(true);
    }
    expect(makePrefix(0)).toBe('wt0000');
    expect(makePrefix(36 ** 4 + 1)).toBe('wt0001');
  });

  test('prefixOf recognizes only our name shape', () => {
    expect(prefixOf('wtab12-h1')).toBe('wtab12');
    expect(prefixOf('wtab12-ul')).toBe('wtab12');
    for (const other of ['wtab12', 'wtab1-h1', 'wtAB12-h1', 'xwtab12-h1', 'fwx-scratch', 'wtab12-H1', 'wtab12-h_1']) expect(prefixOf(other)).toBeNull();
  });

  test('start time survives spaces and parentheses in the command name', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field 3 onwards
    expect(parseStartTime(`1234 (node (jest) x) ${fields.join(' ')}`)).toBe('22');
  });

  test('owner records: well-formed only', () => {
    expect(parseOwnerRecord('{"pid":12,"startTime":"99"}')).toEqual({ pid: 12, startTime: '99' });
    expect(parseOwnerRecord('{"pid":"12"}')).toBeUndefined();
    expect(parseOwnerRecord('{torn')).toBeUndefined();
  });

  test('stale = our shape + a record + owner gone; live runs, unrecorded and foreign names are kept', () => {
    const records = new Map<string, OwnerRecord>([
      ['wtdead', { pid: 1, startTime: 'old' }],
      ['wtlive', { pid: 2, startTime: 'now' }],
    ]);
    const alive = (r: OwnerRecord): boolean => r.startTime === 'now';
    const names = ['wtdead-h1', 'wtdead-ul', 'wtlive-h1', 'wtnone-h1', 'fwx-scratch', 'wtdead'];
    expect(staleNamespaces(names, (p) => records.get(p), alive)).toEqual(['wtdead-h1', 'wtdead-ul']);
  });
});

describe('ping and tcpdump output', () => {
  test('ping summary', () => {
    expect(parsePingSummary('--- 10.0.0.2 ping statistics ---\n5 packets transmitted, 4 received, 20% packet loss, time 812ms\n')).toEqual({ sent: 5, received: 4 });
    expect(parsePingSummary('3 packets transmitted, 0 received, +3 errors, 100% packet loss')).toEqual({ sent: 3, received: 0 });
    expect(parsePingSummary('ping: connect: Network is unreachable')).toEqual({ sent: 0, received: 0 });
  });

  test('tcpdump capture count', () => {
    expect(parseCaptureCount('listening on eth0, link-type EN10MB\n7 packets captured\n9 packets received by filter\n0 packets dropped by kernel\n')).toBe(7);
    expect(parseCaptureCount('1 packet captured\n')).toBe(1);
    expect(parseCaptureCount('tcpdump: eth9: No such device exists')).toBeNull();
  });

  test('continuous ping: losses by sequence, in-flight request not counted, errors are not replies', () => {
    const t = new PingTally();
    for (const line of [
      'PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.',
      '64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.05 ms',
      'no answer yet for icmp_seq=2',
      'From 10.0.0.1 icmp_seq=3 Destination Host Unreachable',
      '64 bytes from 10.0.0.2: icmp_seq=4 ttl=64 time=0.05 ms',
      '64 bytes from 10.0.0.2: icmp_seq=4 ttl=64 time=0.05 ms (DUP!)',
      '64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=1500 ms',
    ]) {
      t.feed(line);
    }
    expect(t.highestSent()).toBe(4);
    expect(t.result()).toEqual({ sent: 4, received: 3, lostSeqs: [3] });
    expect(t.result(2)).toEqual({ sent: 2, received: 2, lostSeqs: [] });
  });
});

describe('capabilities', () => {
  test('CapEff parsing and the two capabilities namespaces need', () => {
    expect(parseCapEff('Name:\tnode\nCapEff:\t000001ffffffffff\n')).toBe(0x1ffffffffffn);
    expect(parseCapEff('Name:\tnode\n')).toBeNull();
    expect(missingCapabilities(0x1ffffffffffn)).toBeNull();
    expect(missingCapabilities(1n << 12n)).toBe('missing CAP_SYS_ADMIN');
    expect(missingCapabilities(0n)).toBe('missing CAP_NET_ADMIN and CAP_SYS_ADMIN');
  });
});
