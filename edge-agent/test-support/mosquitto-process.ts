import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A Mosquitto of our own on an ephemeral port, with persistence and no queue limits, that a test can
 * stop and start again (SIGTERM saves its persistence file, so queued messages survive the restart).
 */
export class MosquittoProcess {
  readonly directory = mkdtempSync(join(tmpdir(), 'citywatch-mosquitto-'));
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {
    writeFileSync(
      join(this.directory, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        // Started as root, Mosquitto would switch to the "mosquitto" user and could not write its data here.
        `user ${userInfo().username}`,
        'persistence true',
        `persistence_location ${this.directory}/`,
        'max_queued_messages 0',
        'max_inflight_messages 0',
        'max_keepalive 65535',
        'log_dest none',
        '',
      ].join('\n'),
    );
  }

  static async start(): Promise<MosquittoProcess> {
    const broker = new MosquittoProcess(await freePort());
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
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the broker cleanly (it writes its persistence file) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
