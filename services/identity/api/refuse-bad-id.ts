/**
 * Identity resources have server-made UUID ids, so a request naming anything else is a bad
 * request (INVALID_ARGUMENT naming `id`), never a lookup that ends in NOT_FOUND: the caller
 * learns their input is wrong, not that some resource is missing.
 */
import { Violations } from '../../../controller/domain/validate';

export function refuseBadId(id: string): void {
  const v = new Violations();
  v.uuid('id', id, true);
  v.throwIfAny();
}
