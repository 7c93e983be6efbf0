/**
 * The `/info` document (Swift's capabilities discovery): what clients such as python-swiftclient
 * read to learn the cluster's limits before uploading (e.g. when to segment large files).
 */
import { SWIFT_METADATA_LIMITS } from '../common/metadata-limits';
import { MAX_ACCOUNT_NAME_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_OBJECT_NAME_LENGTH } from '../common/names';
import { API_VERSIONS } from './app/swift-path';
import type { ProxyConfig } from './config';

/** The Swift release whose API this proxy follows (clients only compare features, not this). */
export const SWIFT_API_VERSION = '2.30.0';
/** Largest request header block accepted (Swift's max_header_size default). */
export const MAX_HEADER_SIZE = 8192;

export interface InfoDocument {
  swift: Record<string, unknown>;
  slo: Record<string, unknown>;
  tempauth: Record<string, unknown>;
  container_quotas: Record<string, unknown>;
  account_quotas: Record<string, unknown>;
}

export function buildInfo(config: ProxyConfig): InfoDocument {
  return {
    swift: {
      version: SWIFT_API_VERSION,
      max_file_size: config.maxObjectSize,
      max_meta_name_length: SWIFT_METADATA_LIMITS.maxNameLength,
      max_meta_value_length: SWIFT_METADATA_LIMITS.maxValueLength,
      max_meta_count: SWIFT_METADATA_LIMITS.maxCount,
      max_meta_overall_size: SWIFT_METADATA_LIMITS.maxOverallSize,
      max_header_size: MAX_HEADER_SIZE,
      max_object_name_length: MAX_OBJECT_NAME_LENGTH,
      container_listing_limit: config.containerListingLimit,
      account_listing_limit: config.containerListingLimit,
      max_account_name_length: MAX_ACCOUNT_NAME_LENGTH,
      max_container_name_length: MAX_CONTAINER_NAME_LENGTH,
      extra_header_count: 0,
      strict_cors_mode: true,
      valid_api_versions: [...API_VERSIONS],
      policies: [{ name: 'Policy-0', default: true }],
    },
    slo: {
      max_manifest_segments: config.slo.maxManifestSegments,
      max_manifest_size: config.slo.maxManifestSize,
      min_segment_size: config.slo.minSegmentSize,
    },
    // No account_acls: X-Account-Access-Control is not implemented, and swiftclient would
    // offer it if advertised. The quota middlewares take no settings, so (as in Swift) their
    // entries are empty: presence is the capability.
    tempauth: {},
    container_quotas: {},
    account_quotas: {},
  };
}
