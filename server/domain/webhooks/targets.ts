import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../../errors.js';

/** Loopback, private, link-local, shared, multicast and reserved ranges: never a webhook target in production. */
const privateRanges = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return privateRanges.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const badUrl = (reason: string) => new AppError('BAD_REQUEST', `Invalid input: url: ${reason}`, { field: 'url' });

/** The URL's host without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Refuses what a webhook must not call: anything but http(s), URLs with credentials, and (unless private targets
 * are allowed) hosts that are or resolve to private addresses. Delivery checks the resolved address again, since
 * DNS can change after the endpoint is created.
 */
export async function checkWebhookUrl(raw: string, allowPrivateTargets: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badUrl('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badUrl(`only http and https are allowed, not ${url.protocol.slice(0, -1)}`);
  if (url.username || url.password) throw badUrl('must not contain credentials');
  if (allowPrivateTargets) return url.toString();
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : await lookup(host, { all: true }).then(
    (found) => found.map((entry) => entry.address),
    () => {
      throw badUrl(`host ${host} does not resolve`);
    },
  );
  const blocked = addresses.find(isPrivateAddress);
  if (blocked) throw badUrl(`${host} is a private or loopback address (${blocked}); webhooks may only call public hosts`);
  return url.toString();
}

/** A DNS lookup for outgoing requests that fails when the host resolves to a private address. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const blocked = addresses.find((entry) => isPrivateAddress(entry.address));
    if (blocked) return callback(new Error(`${hostname} resolves to a private address (${blocked.address})`), '', 0);
    if (options.all) return (callback as unknown as (error: null, all: LookupAddress[]) => void)(null, addresses);
    const [first] = addresses;
    if (!first) return callback(new Error(`${hostname} does not resolve`), '', 0);
    callback(null, first.address, first.family);
  });
};

export function isPrivateHostLiteral(url: URL): boolean {
  const host = hostOf(url);
  return isIP(host) !== 0 && isPrivateAddress(host);
}
