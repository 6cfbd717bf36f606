/**
 * Hub replicas on one machine, the production shape without containers:
 *   npm run build && npx tsx scripts/replicas-demo.ts
 * Starts a Mosquitto with the project's configuration (infra/mosquitto/mosquitto.conf, anonymous and on
 * a free port), a fresh database on the machine's PostgreSQL, REPLICAS hub processes (default 3) on
 * ports 8081, 8082, ... sharing one MQTT shared-subscription group and the machine's Redis, and the
 * district simulator (edge-agent CLI) at DEMO_MULTIPLIER (default 50). Every 5 s it prints each
 * replica's share of the stored events. DEMO_KILL_AFTER=S kills the last replica with SIGKILL after S
 * seconds and starts it again (same HUB_ID) 10 s later. DEMO_SECONDS=S stops after S seconds; Ctrl-C
 * stops everything and drops the database. Open any replica's URL to watch alerts in the console
 * (user admin, password below).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplicaSet, storedBy } from '../test/bench/scale-replicas';
import { REPO_ROOT, TEST_ADMIN } from '../test/support/hub';
import { ProjectMosquitto } from '../test/support/mosquitto';
import { createTestDatabase, uniqueTopicRoot } from '../test/support/services';

const REPLICAS = Number(process.env.REPLICAS ?? 3);
const MULTIPLIER = process.env.DEMO_MULTIPLIER ?? '50';
const KILL_AFTER = Number(process.env.DEMO_KILL_AFTER ?? 0);
const SECONDS = Number(process.env.DEMO_SECONDS ?? 0);
const FIRST_PORT = Number(process.env.DEMO_FIRST_PORT ?? 8081);

async function main(): Promise<void> {
  const broker = await ProjectMosquitto.start();
  const database = await createTestDatabase();
  const topicRoot = uniqueTopicRoot();
  const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-replicas-demo-'));
  let set: ReplicaSet | undefined;
  let simulator: ReturnType<typeof spawn> | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    simulator?.kill('SIGTERM');
    await set?.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
    await broker.dispose().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    console.log(`broker ${broker.url} (project configuration), database ${database.name}, topic root ${topicRoot}`);
    set = await ReplicaSet.start({
      replicas: REPLICAS,
      brokerUrl: broker.url,
      databaseUrl: database.url,
      topicRoot,
      httpPorts: Array.from({ length: REPLICAS }, (_, i) => FIRST_PORT + i),
      env: { HOST: '0.0.0.0', MAINTENANCE_INTERVAL_MINUTES: '1' },
    });
    const replicaSet = set;
    replicaSet.running.forEach((hub, i) => console.log(`replica ${i + 1} (${replicaSet.ids[i]}): ${hub.httpUrl}`));
    console.log(`console sign-in: ${TEST_ADMIN.username} / ${TEST_ADMIN.password}`);

    simulator = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'edge-agent/dist/cli.js'),
        'simulate',
        '--broker',
        broker.url,
        '--hub',
        replicaSet.hub(0).httpUrl,
        '--topic-root',
        topicRoot,
        '--data-dir',
        dataDir,
        '--multiplier',
        MULTIPLIER,
      ],
      {
        env: {
          ...process.env,
          ADMIN_USERNAME: TEST_ADMIN.username,
          ADMIN_PASSWORD: TEST_ADMIN.password,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    console.log(`simulator: the Pingfang district x${MULTIPLIER}`);

    const started = Date.now();
    let last = replicaSet.ids.map(() => 0);
    let killedAt = 0;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const elapsed = Math.round((Date.now() - started) / 1000);
      const shares = await Promise.all(
        replicaSet.hubs.map((hub) => (hub ? storedBy(hub).catch(() => 0) : Promise.resolve(-1))),
      );
      const line = shares
        .map((share, i) =>
          share < 0
            ? `replica ${i + 1}: down`
            : `replica ${i + 1}: ${share} (${Math.round((share - (last[i] ?? 0)) / 5)}/s)`,
        )
        .join(' | ');
      console.log(`${String(elapsed).padStart(4)} s  ${line}`);
      last = shares.map((share, i) => (share < 0 ? (last[i] ?? 0) : share));
      if (KILL_AFTER > 0 && !killedAt && elapsed >= KILL_AFTER) {
        console.log(`SIGKILL replica ${REPLICAS}`);
        await replicaSet.kill(REPLICAS - 1);
        killedAt = Date.now();
      }
      if (killedAt && !replicaSet.hubs[REPLICAS - 1] && Date.now() - killedAt >= 10_000) {
        console.log(`starting replica ${REPLICAS} again under the same HUB_ID`);
        await replicaSet.startReplica(REPLICAS - 1);
        last[REPLICAS - 1] = 0;
      }
      if (SECONDS > 0 && elapsed >= SECONDS) break;
    }
    await stop(0);
  } catch (error) {
    console.error(error);
    await stop(1);
  }
}

void main();
