/**
 * Reads one secret line (a password) from stdin. On a terminal it prints the prompt to stderr and
 * does not echo what is typed; from a pipe it takes the first line as is (no prompt).
 */
import { CliError } from './errors';

interface Input extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
  destroy(): unknown;
}

interface Sink {
  write(text: string): unknown;
}

/** Resolves the line without its newline, or undefined at end of input with nothing read. */
export function readSecretLine(prompt: string, input: Input = process.stdin, stderr: Sink = process.stderr): Promise<string | undefined> {
  return input.isTTY && input.setRawMode ? readFromTerminal(prompt, input, stderr) : readFromPipe(input);
}

function readFromPipe(input: Input): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (value: string | undefined): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      input.destroy(); // let the process exit without waiting for more input
      resolve(value);
    };
    const onData = (chunk: string): void => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(buf.slice(0, nl).replace(/\r$/, ''));
    };
    const onEnd = (): void => finish(buf.length > 0 ? buf.replace(/\r$/, '') : undefined);
    const onError = (e: Error): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      reject(e);
    };
    input.setEncoding('utf8');
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

function readFromTerminal(prompt: string, input: Input, stderr: Sink): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let value = '';
    stderr.write(prompt);
    const done = (result: string | undefined, err?: Error): void => {
      input.removeListener('data', onData);
      input.setRawMode!(false);
      input.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(result);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(value);
        if (ch === '\u0004') return done(value.length > 0 ? value : undefined); // Ctrl-D
        if (ch === '\u0003') return done(undefined, new CliError('CANCELLED', 'interrupted')); // Ctrl-C
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.setRawMode!(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}
