import { Metadata, status } from '@grpc/grpc-js';
import { DenyAllAuthenticator } from '../../../services/runtime/caller';
import { WeftError } from '../../../services/runtime/errors';

describe('DenyAllAuthenticator', () => {
  test('refuses every caller, whatever metadata they send', () => {
    const md = new Metadata();
    md.set('authorization', 'Bearer anything');
    const out = new DenyAllAuthenticator().authenticate();
    expect(out).toBeInstanceOf(WeftError);
    expect(out.code).toBe(status.UNAUTHENTICATED);
    void md;
  });
});
