/** The device directories of this server: what the workers walk (sorted, valid names only). */
import { readdir } from 'node:fs/promises';
import { deviceNameProblem } from '../common/names';

export async function localDevices(devicesRoot: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(devicesRoot, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isDirectory() && !deviceNameProblem(e.name)).map((e) => e.name).sort();
}
