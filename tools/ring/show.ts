/**
 * What `weft-ring show` prints: a summary, one line per device (partitions, target, balance), and
 * how the partitions spread over regions, zones and servers. Pure: builder in, lines out.
 */
import { RingBuilder, ringReport, type RingReport } from '../../services/object/ring';

function pad(s: string | number, n: number, left = false): string {
  const t = String(s);
  return left ? t.padEnd(n) : t.padStart(n);
}

function address(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function showLines(name: string, builder: RingBuilder): string[] {
  const report: RingReport = ringReport({
    partPower: builder.partPower,
    replicas: builder.replicas,
    devices: builder.devices,
    removed: builder.removing,
    assignment: builder.assignment,
  });
  const [regions, zones, servers] = report.levels.map((l) => l.tiers);
  const out = [
    `${name}: ring version ${builder.ringVersion}, ${report.partitions} partitions (power ${builder.partPower}), ${report.replicas} replicas`,
    `${regions} regions, ${zones} zones, ${servers} servers, ${builder.devices.length} devices; min_part_hours ${builder.minPartHours}, seed ${builder.seed}`,
  ];
  if (builder.assignment === null) out.push('not rebalanced yet');
  else out.push(`balance ${report.balance.toFixed(2)}, dispersion ${report.dispersion.toFixed(2)}`);
  if (builder.dirty) out.push('devices changed since the last rebalance: run rebalance to build a new ring');

  out.push('');
  out.push(`${pad('id', 5)} ${pad('region', 6)} ${pad('zone', 5)}  ${pad('server', 22, true)} ${pad('device', 12, true)} ${pad('weight', 9)} ${pad('partitions', 10)} ${pad('target', 8)} ${pad('balance', 8)}  meta`);
  for (const d of report.devices) {
    const dev = d.device;
    out.push(
      `${pad(dev.id, 5)} ${pad(dev.region, 6)} ${pad(dev.zone, 5)}  ${pad(address(dev.ip, dev.port), 22, true)} ${pad(dev.device, 12, true)} ${pad(dev.weight.toFixed(2), 9)} ${pad(d.partitions, 10)} ${pad(d.target, 8)} ${pad(d.balance.toFixed(2), 8)}  ${dev.meta}`,
    );
  }
  for (const dev of builder.removing) {
    out.push(`${pad(dev.id, 5)} ${pad(dev.region, 6)} ${pad(dev.zone, 5)}  ${pad(address(dev.ip, dev.port), 22, true)} ${pad(dev.device, 12, true)} (removing at the next rebalance)`);
  }

  if (builder.assignment !== null) {
    out.push('');
    const ks = Array.from({ length: report.replicas }, (_, i) => pad(`k=${i + 1}`, 8)).join('');
    out.push(`partitions whose most-loaded tier holds k replicas:${' '.repeat(2)}${ks}  over bound`);
    for (const l of report.levels) {
      out.push(`  ${pad(`${l.level} (${l.tiers})`, 49, true)}${l.histogram.slice(1).map((c) => pad(c, 8)).join('')}  ${pad(l.overMax, 10)}`);
    }
  }
  return out;
}
