/**
 * Input validation helpers that collect every violation of a request before failing, so a caller
 * fixes all of them in one round trip (google.rpc.BadRequest carries the list).
 */
import { invalidArgument, type FieldViolation } from '../../services/runtime/errors';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_NAME = 255;
const MAX_DESCRIPTION = 255;
const MAX_TAGS = 50;
const MAX_TAG = 60;

export class Violations {
  readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  check(ok: boolean, field: string, description: string): boolean {
    if (!ok) this.add(field, description);
    return ok;
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throws INVALID_ARGUMENT listing every violation, if any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw invalidArgument(this.list);
  }

  name(field: string, value: string): void {
    this.check(value.length <= MAX_NAME, field, `must be at most ${MAX_NAME} characters`);
    this.check(!/[\u0000-\u001f]/.test(value), field, 'must not contain control characters');
  }

  description(field: string, value: string): void {
    this.check(value.length <= MAX_DESCRIPTION, field, `must be at most ${MAX_DESCRIPTION} characters`);
  }

  tags(field: string, tags: readonly string[]): void {
    this.check(tags.length <= MAX_TAGS, field, `at most ${MAX_TAGS} tags`);
    tags.forEach((t, i) => {
      this.check(t.length >= 1 && t.length <= MAX_TAG, `${field}[${i}]`, `must be 1-${MAX_TAG} characters`);
      this.check(!/[,\u0000-\u001f]/.test(t), `${field}[${i}]`, 'must not contain commas or control characters');
    });
    this.check(new Set(tags).size === tags.length, field, 'must not repeat a tag');
  }

  uuid(field: string, value: string, required: boolean): boolean {
    if (!value) return this.check(!required, field, 'is required');
    return this.check(UUID_RE.test(value), field, 'must be a UUID');
  }
}

/** Checks an update mask against the fields a resource allows to change. */
export function checkUpdateMask(v: Violations, mask: readonly string[] | undefined, allowed: readonly string[]): string[] {
  if (!mask || mask.length === 0) {
    v.add('update_mask', `is required; updatable fields: ${allowed.join(', ')}`);
    return [];
  }
  const out: string[] = [];
  for (const path of mask) {
    if (allowed.includes(path)) out.push(path);
    else v.add('update_mask', `field "${path}" cannot be updated; updatable fields: ${allowed.join(', ')}`);
  }
  return out;
}

/** Tag uniqueness and normalization: order is kept as given. */
export function normalizeTags(tags: readonly string[]): string[] {
  return [...tags];
}
