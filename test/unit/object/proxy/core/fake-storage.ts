/**
 * Small in-process HTTP servers on 127.0.0.1:0 that stand in for storage servers in the storage
 * client's tests, and a fresh StorageClient per test; both are closed after each test.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StorageClient, type BackendRequest } from '../../../../../services/object/proxy/backend/storage-client';

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, expectContinue: boolean) => void;

export interface FakeStorage {
  /** The client of the running test. */
  client(): StorageClient;
  /** Starts a server answering with `handler`; resolves to its port. */
  serve(handler: FakeHandler): Promise<number>;
  /** Stops the server on `port` (a closed port to connect to). */
  close(port: number): Promise<void>;
  /** A backend request for object `object` on that port. */
  request(port: number, extra?: Partial<BackendRequest>): BackendRequest;
}

/** Registers beforeEach/afterEach in the calling describe (or file). */
export function useFakeStorage(timeouts: { connTimeoutMs: number; nodeTimeoutMs: number }, object = 'o'): FakeStorage {
  const servers: Server[] = [];
  let client: StorageClient | undefined;
  beforeEach(() => {
    client = new StorageClient(timeouts);
  });
  afterEach(async () => {
    client?.close();
    await Promise.all(
      servers.splice(0).map(
        (s) =>
          new Promise<void>((r) => {
            s.closeAllConnections();
            s.close(() => r());
          }),
      ),
    );
  });
  return {
    client: () => {
      if (!client) throw new Error('useFakeStorage: no test is running');
      return client;
    },
    serve: async (handler) => {
      const server = createServer((req, res) => handler(req, res, false));
      server.on('checkContinue', (req, res) => handler(req, res, true));
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return (server.address() as AddressInfo).port;
    },
    close: async (port) => {
      const i = servers.findIndex((s) => (s.address() as AddressInfo | null)?.port === port);
      if (i < 0) throw new Error(`no fake storage server on port ${port}`);
      const [server] = servers.splice(i, 1);
      await new Promise<void>((r) => server.close(() => r()));
    },
    request: (port, extra = {}) => ({ node: { ip: '127.0.0.1', port, device: 'sda' }, partition: 3, method: 'GET', account: 'AUTH_a', container: 'c', object, transId: 'tx-test', ...extra }),
  };
}
