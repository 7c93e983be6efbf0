/** Pure IP address management: address arithmetic, subnet pool validation, allocation, MACs. */
export type { Cidr, IpVersion, ParseResult, ParsedAddress } from './address';
export {
  CidrParseError,
  addressBits,
  canonicalAddress,
  cidrContains,
  cidrsOverlap,
  firstAddress,
  formatAddress,
  formatCidr,
  formatIpv4,
  formatIpv6,
  isValidAddress,
  lastAddress,
  makeCidr,
  maxAddress,
  parseAddress,
  parseCidr,
  parseIpv4,
  parseIpv6,
  tryParseCidr,
} from './address';
export type {
  AllocationPool,
  PoolRange,
  SubnetAddressing,
  SubnetAddressingInput,
  ValidationResult,
  Violation,
} from './pools';
export {
  defaultPools,
  isReservedAddress,
  poolSize,
  usableRange,
  validateSubnetAddressing,
} from './pools';
export type { AddressInput, PoolAllocatorOptions, ReserveOptions, ReserveResult } from './allocator';
export { PoolAllocator } from './allocator';
export type { MacEntropy, RandomSource } from './mac';
export { DEFAULT_MAC_PREFIX, generateMac, normalizeMac } from './mac';
