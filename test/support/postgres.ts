import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from './mosquitto';

const PG_BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** PostgreSQL refuses to run as root; as root we run it as the postgres user. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/**
 * A PostgreSQL 15 of the test's own (initdb into a temporary folder, the machine's binaries), on an
 * ephemeral port, that a test may stop and start again without touching the machine's server.
 */
export class OwnPostgres {
  readonly directory = mkdtempSync(join(tmpdir(), 'citywatch-pg-'));
  private child?: ChildProcess;

  private constructor(readonly port: number) {
    if (userInfo().uid === 0) chownSync(this.directory, uidOf('postgres'), gidOf('postgres'));
    const [command, args] = asPostgres(join(PG_BIN, 'initdb'), [
      '-D',
      join(this.directory, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    execFileSync(command, args, { stdio: 'ignore' });
  }

  static async start(): Promise<OwnPostgres> {
    const server = new OwnPostgres(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const [command, args] = asPostgres(join(PG_BIN, 'postgres'), [
      '-D',
      join(this.directory, 'data'),
      '-p',
      String(this.port),
      '-h',
      '127.0.0.1',
      '-k',
      this.directory,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=50',
    ]);
    this.child = spawn(command, args, { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!(await canConnect(this.port))) {
      if (Date.now() > deadline) throw new Error(`postgres did not open port ${this.port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Accepting TCP is not accepting queries; wait until it answers.
    const pg = await import('pg');
    for (;;) {
      const client = new pg.default.Client({ connectionString: this.url });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error('postgres did not answer');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Fast shutdown: connections are cut, as in a real restart. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    // runuser does not pass signals on, so ask pg_ctl.
    const [command, args] = asPostgres(join(PG_BIN, 'pg_ctl'), [
      'stop',
      '-D',
      join(this.directory, 'data'),
      '-m',
      'fast',
      '-w',
    ]);
    execFileSync(command, args, { stdio: 'ignore' });
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}
function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}
