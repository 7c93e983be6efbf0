import { clientRequestHeaders, clientResponse } from '../../../../../services/object/proxy/grpc/gatekeeper';

describe('gRPC gatekeeper', () => {
  test('drops sysmeta and backend headers a request would carry, keeps the rest', () => {
    expect(
      clientRequestHeaders({
        'x-object-meta-color': 'blue',
        'x-object-sysmeta-slo-etag': 'forged',
        'X-Container-Sysmeta-Quota': 'forged',
        'x-account-sysmeta-x': 'forged',
        'x-backend-storage-layer': 'account',
        'content-type': 'text/plain',
        'x-auth-token': 't',
      }),
    ).toEqual({ 'x-object-meta-color': 'blue', 'content-type': 'text/plain', 'x-auth-token': 't' });
  });

  test('drops them from an answer whatever their case; status and body pass through', () => {
    const body = Buffer.from('x');
    const res = clientResponse({
      status: 200,
      headers: { Etag: 'e', 'X-Object-Sysmeta-Slo-Size': '3', 'X-Backend-Timestamp': '1', 'X-Object-Meta-Sysmeta-Look': 'ok', 'Content-Length': 1 },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe(body);
    expect(res.headers).toEqual({ Etag: 'e', 'X-Object-Meta-Sysmeta-Look': 'ok', 'Content-Length': 1 });
  });
});
