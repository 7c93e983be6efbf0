/**
 * Limits on user metadata (`X-Object-Meta-*`), with Swift's defaults. Names are counted without
 * the `X-Object-Meta-` prefix and everything in bytes, as Swift does, so a request Swift accepts
 * is accepted here and the other way round. Violations are a 400 with the message returned here.
 */
import type { HeaderBag } from './object-headers';
import { userMetadata } from './object-headers';

export interface MetadataLimits {
  /** Items at most. */
  maxCount: number;
  /** Bytes per name (without the prefix). */
  maxNameLength: number;
  /** Bytes per value. */
  maxValueLength: number;
  /** Bytes of all names and values together. */
  maxOverallSize: number;
}

export const SWIFT_METADATA_LIMITS: Readonly<MetadataLimits> = Object.freeze({
  maxCount: 90,
  maxNameLength: 128,
  maxValueLength: 256,
  maxOverallSize: 4096,
});

/** The first limit the user metadata in `headers` breaks, or undefined when it fits. */
export function metadataProblem(headers: HeaderBag, limits: MetadataLimits = SWIFT_METADATA_LIMITS): string | undefined {
  let count = 0;
  let size = 0;
  for (const [name, value] of Object.entries(userMetadata(headers))) {
    // Header strings carry one char per byte (latin1), so .length is the byte count.
    if (name.length === 0) return 'metadata name cannot be empty';
    count += 1;
    size += name.length + value.length;
    if (name.length > limits.maxNameLength) return `metadata name too long: ${name.slice(0, 32)}...; max ${limits.maxNameLength}`;
    if (value.length > limits.maxValueLength) return `metadata value for ${name} longer than ${limits.maxValueLength}`;
    if (count > limits.maxCount) return `too many metadata items; max ${limits.maxCount}`;
    if (size > limits.maxOverallSize) return `total metadata too large; max ${limits.maxOverallSize}`;
  }
  return undefined;
}
