/**
 * A promise-based client for weft.object.v1.ObjectService (CLI, services, tests): the unary calls
 * promisified as in the other clients, plus streaming upload and download with backpressure.
 */
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { Readable } from 'node:stream';
import * as messages from '../../../proto/gen/weft/object/v1/object_service';
import { ObjectServiceClient, type GetObjectHeader, type GetObjectRequest, type GetObjectResponse, type Object as StoredObject, type PutObjectHeader } from '../../../proto/gen/weft/object/v1/object_service';
import { metadataFor, promisify, type Credentials, type Partial2, type Promisified } from './promisify';

/** Upload chunk size: well under the server's 4 MiB message limit, large enough to be cheap. */
const UPLOAD_CHUNK = 256 * 1024;

export interface ObjectDownload {
  header: GetObjectHeader;
  /** The content; errors (e.g. a failed stream) surface as its 'error'. */
  body: Readable;
}

export type ObjectApi = Promisified<ObjectServiceClient, 'putObject' | 'getObject'> & {
  /** Uploads `content` (a Buffer, a Readable or any async iterable of Buffers) under `header`. */
  putObject(header: Partial2<PutObjectHeader>, content: Buffer | Readable | AsyncIterable<Buffer | string>, opts?: { deadlineMs?: number }): Promise<StoredObject>;
  /** Starts a download: resolves with the header once it arrives, the body streams after it. */
  getObject(req: Partial2<GetObjectRequest>, opts?: { deadlineMs?: number }): Promise<ObjectDownload>;
  /** Downloads a whole object (or range) into memory. */
  getObjectBuffer(req: Partial2<GetObjectRequest>, opts?: { deadlineMs?: number }): Promise<{ header: GetObjectHeader; content: Buffer }>;
  raw: ObjectServiceClient;
  lastRequestId(): string | undefined;
  close(): void;
};

function deadline(opts?: { deadlineMs?: number }): { deadline?: number } {
  return opts?.deadlineMs ? { deadline: Date.now() + opts.deadlineMs } : {};
}

async function* pieces(content: Buffer | Readable | AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(content)) {
    for (let i = 0; i < content.length; i += UPLOAD_CHUNK) yield content.subarray(i, i + UPLOAD_CHUNK);
    return;
  }
  for await (const piece of content) {
    const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
    for (let i = 0; i < buf.length; i += UPLOAD_CHUNK) yield buf.subarray(i, i + UPLOAD_CHUNK);
  }
}

export function connectObject(address: string, creds: Credentials = {}, options: { maxReceiveMessageBytes?: number } = {}): ObjectApi {
  const raw = new ObjectServiceClient(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 5 * 1024 * 1024,
  });
  const api = promisify(raw, messages, creds, ['putObject', 'getObject']);

  api.putObject = (header: Partial2<PutObjectHeader>, content: Buffer | Readable | AsyncIterable<Buffer | string>, opts?: { deadlineMs?: number }) =>
    new Promise<StoredObject>((resolve, reject) => {
      let done = false;
      const call = raw.putObject(metadataFor(creds), deadline(opts), (err: ServiceError | null, res?: StoredObject) => {
        done = true;
        if (err || !res) reject(err ?? new Error('no response'));
        else resolve(res);
      });
      const send = async (): Promise<void> => {
        const write = (msg: messages.PutObjectRequest): Promise<void> =>
          new Promise((ok) => {
            if (call.write(msg)) ok();
            else call.once('drain', () => ok());
          });
        await write({ content: { $case: 'header', value: messages.PutObjectHeader.fromPartial(header) }, finishWrite: false });
        for await (const chunk of pieces(content)) {
          // The server already answered (an error): stop reading the source.
          if (done) return;
          await write({ content: { $case: 'chunk', value: chunk }, finishWrite: false });
        }
        // Only this marks the upload complete: a stream that merely ends stores nothing.
        await write({ content: undefined, finishWrite: true });
        call.end();
      };
      send().catch((err: unknown) => {
        // The source failed: cancel so the server stores nothing.
        call.cancel();
        if (!done) reject(err);
      });
    });

  api.getObject = (req: Partial2<GetObjectRequest>, opts?: { deadlineMs?: number }) =>
    new Promise<ObjectDownload>((resolve, reject) => {
      const call: ClientReadableStream<GetObjectResponse> = raw.getObject(messages.GetObjectRequest.fromPartial(req), metadataFor(creds), deadline(opts));
      let body: Readable | undefined;
      call.on('data', (msg: GetObjectResponse) => {
        const c = msg.content;
        if (!body) {
          if (c?.$case !== 'header') {
            call.cancel();
            reject(new Error('GetObject: the first message is not a header'));
            return;
          }
          body = new Readable({ read: () => void call.resume() });
          resolve({ header: c.value, body });
          return;
        }
        if (c?.$case === 'chunk' && !body.push(c.value)) call.pause();
      });
      call.on('end', () => body?.push(null));
      call.on('error', (err: Error) => {
        if (body) body.destroy(err);
        else reject(err);
      });
    });

  api.getObjectBuffer = async (req: Partial2<GetObjectRequest>, opts?: { deadlineMs?: number }) => {
    const { header, body } = await (api.getObject as ObjectApi['getObject'])(req, opts);
    const parts: Buffer[] = [];
    for await (const piece of body) parts.push(piece as Buffer);
    return { header, content: Buffer.concat(parts) };
  };
  return api as unknown as ObjectApi;
}
