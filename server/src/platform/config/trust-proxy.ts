import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** Does the hub believe what the proxy at `address`, `hop` hops from the hub, says in X-Forwarded-For? */
export type TrustProxy = (address: string, hop: number) => boolean;

/** The named ranges Express (proxy-addr) knows, so TRUST_PROXY reads the same as Express's setting. */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const MAX_HOPS = 10;

export class TrustProxyError extends Error {}

/**
 * TRUST_PROXY: empty (trust no proxy: the client is the socket's peer), a hop count (`1`: trust the
 * nearest proxy, whatever its address), or a comma-separated list of proxy addresses and CIDR ranges
 * (`10.0.3.7, 10.42.0.0/16`, or the names `loopback`, `linklocal`, `uniquelocal`). Throws
 * TrustProxyError saying what is wrong; answers undefined when no proxy is trusted.
 */
export function parseTrustProxy(value: string): TrustProxy | undefined {
  const text = value.trim();
  if (text === '' || text === '0') return undefined;
  if (/^[0-9]+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) throw new TrustProxyError(`a hop count is 1 to ${MAX_HOPS}, not ${hops}`);
    return (_address, hop) => hop < hops;
  }
  const trusted = new BlockList();
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (entry === '') throw new TrustProxyError('an empty entry in the list');
    for (const range of NAMED_RANGES[entry] ?? [entry]) addRange(trusted, range, entry);
  }
  return (address) => {
    const plain = withoutMappedPrefix(address);
    const family = isIP(plain);
    return family !== 0 && trusted.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
}

function addRange(list: BlockList, range: string, entry: string): void {
  const [address = '', prefix, ...rest] = range.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) {
    throw new TrustProxyError(
      `"${entry}" is neither an IP address, a CIDR range (address/prefix) nor one of ${Object.keys(NAMED_RANGES).join(', ')}`,
    );
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) return list.addAddress(address, type);
  const bits = /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) {
    throw new TrustProxyError(`"${entry}": the prefix length must be 0 to ${family === 4 ? 32 : 128}`);
  }
  list.addSubnet(address, bits, type);
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`. */
function withoutMappedPrefix(address: string): string {
  return /^::ffff:[0-9.]+$/i.test(address) ? address.slice(7) : address;
}

/**
 * The client's address of a request, as Express works out `req.ip` with `trust proxy`: from the socket's
 * peer back along X-Forwarded-For, for as long as each address is trusted. For requests Express does not
 * see, such as socket.io handshakes.
 */
export function clientAddressOf(request: IncomingMessage, trust: TrustProxy | undefined): string {
  const peer = request.socket?.remoteAddress ?? '';
  if (!trust) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .reverse();
  const addresses = [peer, ...forwarded];
  for (let hop = 0; hop < addresses.length - 1; hop++) {
    if (!trust(addresses[hop]!, hop)) return addresses[hop]!;
  }
  return addresses[addresses.length - 1]!;
}
