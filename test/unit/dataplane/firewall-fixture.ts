/**
 * The desired state behind the captured `nft -j` fixture (firewall-nft-list.json), and the tool that
 * captured it. Re-capture after a rendering change (as root, in a scratch namespace — it never acts
 * on the namespace it runs in):
 *
 *   ip netns add fwfix && npx tsc -p tsconfig.json && \
 *   node dist/test/unit/dataplane/firewall-fixture.js fwfix > test/unit/dataplane/firewall-nft-list.json; \
 *   ip netns del fwfix
 */
import type { FirewallDesired } from '../../../dataplane/linuxbridge/firewall/model';

export function fixtureDesired(): FirewallDesired {
  return {
    ports: [
      {
        portId: 'f1f1f1f1-0000-4000-8000-000000000001',
        tap: 'tapf1f1f1f1-00',
        bridge: 'brqnetfix0001',
        mac: 'fa:16:3e:0f:00:01',
        fixedIps: ['10.1.0.5', '2001:db8:1::5'],
        allowedAddressPairs: [
          { ipAddress: '10.1.9.0/24', macAddress: 'fa:16:3e:0f:00:99' },
          { ipAddress: '2001:db8:9::/64', macAddress: '' },
        ],
        portSecurityEnabled: true,
        securityGroupIds: ['sg-fix'],
      },
      {
        portId: 'f2f2f2f2-0000-4000-8000-000000000002',
        tap: 'tapf2f2f2f2-00',
        bridge: 'brqnetfix0002',
        mac: 'fa:16:3e:0f:00:02',
        fixedIps: ['10.1.0.6'],
        allowedAddressPairs: [],
        portSecurityEnabled: false,
        securityGroupIds: [],
      },
    ],
    groups: [
      {
        id: 'sg-fix',
        stateful: true,
        members: { v4: ['10.1.0.5', '10.1.0.7', '10.2.0.0/16'], v6: ['2001:db8:1::5'] },
        rules: [
          { direction: 'egress', ethertype: 'IPv4', protocol: '', portRangeMin: 0, portRangeMax: 0, remoteIpPrefix: '', remoteGroupId: '' },
          { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '', remoteGroupId: 'sg-fix' },
          { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmpv6', portRangeMin: 128, portRangeMax: 0, remoteIpPrefix: '', remoteGroupId: 'sg-fix' },
        ],
      },
    ],
  };
}

async function capture(netns: string): Promise<void> {
  const { NftExecutor } = await import('../../../dataplane/linuxbridge/firewall/nft');
  const { renderFirewall } = await import('../../../dataplane/linuxbridge/firewall/render');
  const nft = new NftExecutor({ commandPrefix: ['ip', 'netns', 'exec', netns] });
  await nft.apply(renderFirewall(fixtureDesired()));
  const out = { bridge: await nft.listTable('bridge', 'weft'), inet: await nft.listTable('inet', 'weft') };
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}

if (require.main === module) {
  const netns = process.argv[2];
  if (!netns) {
    process.stderr.write('usage: firewall-fixture.js <scratch-netns>\n');
    process.exit(2);
  }
  capture(netns).catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
}
