import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

export const PROJECT_MOSQUITTO_CONF = resolve(__dirname, '../../infra/mosquitto/mosquitto.conf');

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ProjectMosquittoOptions {
  /** Extra lines, e.g. password_file/acl_file of a generated configuration. */
  extraLines?: string[];
  /** Keep the project's sign-in lines (password and ACL files); by default the test broker is anonymous. */
  anonymous?: boolean;
}

/**
 * A Mosquitto of the test's own, started with the project's configuration (infra/mosquitto/mosquitto.conf)
 * on an ephemeral port and a temporary data folder, so a test may stop, kill and restart it freely.
 */
export class ProjectMosquitto {
  readonly directory = mkdtempSync(join(tmpdir(), 'citywatch-mosquitto-'));
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    options: ProjectMosquittoOptions,
  ) {
    const anonymous = options.anonymous ?? true;
    const lines = readFileSync(PROJECT_MOSQUITTO_CONF, 'utf8')
      .split('\n')
      .filter(
        (line) =>
          !/^\s*(listener|persistence_location|allow_anonymous|password_file|acl_file)\b/.test(line) ||
          (!anonymous && /^\s*(password_file|acl_file)\b/.test(line)),
      )
      .map((line) => line.replace(/^\s*autosave_interval\s+\d+/, 'autosave_interval 1'));
    lines.push(
      `listener ${port} 127.0.0.1`,
      `persistence_location ${this.directory}/`,
      `allow_anonymous ${anonymous ? 'true' : 'false'}`,
      // Started as root, Mosquitto would switch to the "mosquitto" user and could not write here.
      `user ${userInfo().username}`,
      'log_dest none',
      ...(options.extraLines ?? []),
      '',
    );
    writeFileSync(join(this.directory, 'mosquitto.conf'), lines.join('\n'));
  }

  static async start(options: ProjectMosquittoOptions = {}): Promise<ProjectMosquitto> {
    const broker = new ProjectMosquitto(await freePort(), options);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.child = spawn('mosquitto', ['-c', join(this.directory, 'mosquitto.conf')], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(this.port))) {
      if (Date.now() > deadline) throw new Error(`mosquitto did not open port ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops cleanly (Mosquitto saves its persistence file) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill(signal);
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}
