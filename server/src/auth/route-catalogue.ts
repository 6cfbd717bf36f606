import { RequestMethod, type INestApplicationContext } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { GATEWAY_METADATA, MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import { ROLES, type Role } from '@citywatch/protocol';
import { declaredAccess } from './auth.guard';

/** One REST endpoint or socket event with who may call it: the permission matrix, read from the code. */
export interface EndpointAccess {
  kind: 'http' | 'socket';
  /** `GET /api/devices/:id`, or the socket event name. */
  name: string;
  method?: string;
  path?: string;
  public: boolean;
  roles: readonly Role[];
  /** False when the endpoint declares neither `@Roles` nor `@Public` (then it is admins only). */
  declared: boolean;
  handler: string;
}

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/');

/** Every controller route and gateway message handler in the application, sorted. */
export function endpointCatalogue(app: INestApplicationContext): EndpointAccess[] {
  const reflector = new Reflector();
  const found: EndpointAccess[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      if (!type) continue;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined].flat();
      for (const name of methodNames(type.prototype as object)) {
        const method = (type.prototype as Record<string, unknown>)[name] as object;
        const paths = Reflect.getMetadata(PATH_METADATA, method) as string | string[] | undefined;
        if (paths === undefined) continue;
        const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, method) as RequestMethod] ?? 'GET';
        const access = declaredAccess(reflector, [method as () => void, type]);
        for (const prefix of prefixes) {
          for (const path of [paths].flat()) {
            const full = joinPath(prefix ?? '', path);
            found.push({
              kind: 'http',
              name: `${verb} ${full}`,
              method: verb,
              path: full,
              public: access.public,
              roles: access.public ? ROLES : access.roles,
              declared: access.public || access.declared,
              handler: `${type.name}.${name}`,
            });
          }
        }
      }
    }
    for (const wrapper of module.providers.values()) {
      const type = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      if (!type || typeof type !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, type)) continue;
      for (const name of methodNames(type.prototype as object)) {
        const method = (type.prototype as Record<string, unknown>)[name] as object;
        if (!Reflect.getMetadata(MESSAGE_MAPPING_METADATA, method)) continue;
        const event = Reflect.getMetadata(MESSAGE_METADATA, method) as string;
        const access = declaredAccess(reflector, [method as () => void, type]);
        found.push({
          kind: 'socket',
          name: event,
          public: access.public,
          roles: access.public ? ROLES : access.roles,
          declared: access.public || access.declared,
          handler: `${type.name}.${name}`,
        });
      }
    }
  }
  return found.sort(
    (a, b) =>
      a.kind.localeCompare(b.kind) ||
      (a.path ?? a.name).localeCompare(b.path ?? b.name) ||
      a.name.localeCompare(b.name),
  );
}

function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let proto = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

/** The permission matrix as the Markdown table `docs/permissions.md` carries. */
export function permissionTable(endpoints: readonly EndpointAccess[]): string {
  const header = `| endpoint | ${ROLES.join(' | ')} |\n| --- | ${ROLES.map(() => ':-:').join(' | ')} |`;
  const rows = endpoints.map((endpoint) => {
    const name = endpoint.kind === 'http' ? `\`${endpoint.name}\`` : `socket \`${endpoint.name}\``;
    const cells = ROLES.map((role) => (endpoint.public ? 'public' : endpoint.roles.includes(role) ? 'yes' : '—'));
    return `| ${name} | ${cells.join(' | ')} |`;
  });
  return [header, ...rows].join('\n');
}
