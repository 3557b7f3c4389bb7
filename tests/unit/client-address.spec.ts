import http from 'node:http';
import https from 'node:https';
import { test, expect } from '@playwright/test';
import {
  addressBucket,
  bucketOf,
  clientAddressFrom,
  stripPort,
} from '../../lib/http/client-address';
import { networkOf } from '../../lib/auth/limits/counters';
import { readConfig, type ClientAddressConfig } from '../../lib/config';
import { installPeerAddressStamp, peerStampHeader } from '../../lib/http/peer-address-stamp';

const readClientAddressConfig = (env: Record<string, string>) => readConfig(env).http.clientAddress;

test('addresses count in buckets: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
  expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
  expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
  expect(addressBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
  expect(addressBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
  expect(addressBucket('2001:0db8:0001:0002:ffff::9')).toBe('2001:db8:1:2::/64');
  expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
});

test('a port (and IPv6 brackets) never makes a bucket of its own', () => {
  expect(stripPort('1.2.3.4:5678')).toBe('1.2.3.4');
  expect(stripPort('[::1]:5678')).toBe('::1');
  expect(stripPort('[2001:db8::1]')).toBe('2001:db8::1');
  expect(stripPort('2001:db8::1')).toBe('2001:db8::1'); // no brackets: every colon is the address's
  expect(bucketOf('1.2.3.4:5678')).toBe(bucketOf('1.2.3.4:1'));
  expect(bucketOf(' 1.2.3.4:5678 ')).toBe('1.2.3.4');
  expect(bucketOf('[2001:db8:1:2::7]:443')).toBe('2001:db8:1:2::/64');
  expect(bucketOf('[::ffff:203.0.113.7]:80')).toBe('203.0.113.7');
});

test('what is not an IP address counts as "unknown", one shared bucket', () => {
  for (const value of [null, undefined, '', 'unknown', 'localhost', '1.2.3.4.5', '[::1', 'a, b']) expect(bucketOf(value)).toBe('unknown');
});

test('TRUST_PROXY: a number of proxies, true or false; anything else is refused with what to write', () => {
  expect(readClientAddressConfig({})).toEqual({ source: 'peer', warnOnForwardedFor: true });
  expect(readClientAddressConfig({ TRUST_PROXY: '' })).toEqual({ source: 'peer', warnOnForwardedFor: true });
  expect(readClientAddressConfig({ TRUST_PROXY: 'false' })).toEqual({ source: 'peer', warnOnForwardedFor: false });
  expect(readClientAddressConfig({ TRUST_PROXY: '0' })).toEqual({ source: 'peer', warnOnForwardedFor: false });
  expect(readClientAddressConfig({ TRUST_PROXY: 'true' })).toEqual({ source: 'x-forwarded-for', proxies: 1 });
  expect(readClientAddressConfig({ TRUST_PROXY: ' 2 ' })).toEqual({ source: 'x-forwarded-for', proxies: 2 });
  expect(() => readClientAddressConfig({ TRUST_PROXY: 'yes' })).toThrow(
    'TRUST_PROXY must be a number of proxies (1, 2...), true (= 1) or false; got "yes".',
  );
});

test('on Vercel the platform header is the default; an explicit TRUST_PROXY still decides', () => {
  expect(readClientAddressConfig({ VERCEL: '1' })).toEqual({ source: 'platform' });
  expect(readClientAddressConfig({ VERCEL: '1', TRUST_PROXY: '1' })).toEqual({ source: 'x-forwarded-for', proxies: 1 });
  expect(readClientAddressConfig({ VERCEL: '1', TRUST_PROXY: 'false' })).toEqual({ source: 'peer', warnOnForwardedFor: false });
});

const PEER: ClientAddressConfig = { source: 'peer', warnOnForwardedFor: true };
const SECRET = 'x-peer-0123456789abcdef0123456789abcdef';

test('the peer header is trusted only when the stamp is installed, and only under its secret name', () => {
  const sent = new Headers({ 'x-neon-next-auth-peer': '198.18.0.1', 'x-forwarded-for': '198.18.0.2' });
  // Not installed (a request Next.js handles before register() has finished, or no instrumentation).
  expect(clientAddressFrom(sent, PEER, undefined)).toBe('unknown');
  // Installed, but this request was not stamped: what the client sent under the old name means nothing.
  expect(clientAddressFrom(sent, PEER, SECRET)).toBe('unknown');
  // Stamped.
  expect(clientAddressFrom(new Headers({ ...Object.fromEntries(sent), [SECRET]: '203.0.113.9' }), PEER, SECRET)).toBe('203.0.113.9');
});

test('behind proxies, the entry that many from the right counts, ports stripped; without the header, the peer', () => {
  const xff = (value: string) => new Headers({ 'x-forwarded-for': value, [SECRET]: '10.0.0.1' });
  const one: ClientAddressConfig = { source: 'x-forwarded-for', proxies: 1 };
  const two: ClientAddressConfig = { source: 'x-forwarded-for', proxies: 2 };
  expect(clientAddressFrom(xff('6.6.6.6, 203.0.113.5:41234'), one, SECRET)).toBe('203.0.113.5');
  expect(clientAddressFrom(xff('6.6.6.6, [2001:db8:1:2::5]:41234, 10.1.1.1'), two, SECRET)).toBe('2001:db8:1:2::/64');
  expect(clientAddressFrom(xff('203.0.113.5'), two, SECRET)).toBe('203.0.113.5');
  expect(clientAddressFrom(new Headers({ [SECRET]: '10.0.0.1' }), one, SECRET)).toBe('10.0.0.1');
});

test('on Vercel, x-real-ip counts and X-Forwarded-For does not', () => {
  const vercel: ClientAddressConfig = { source: 'platform' };
  expect(clientAddressFrom(new Headers({ 'x-real-ip': '203.0.113.8', 'x-forwarded-for': '6.6.6.6' }), vercel, SECRET)).toBe('203.0.113.8');
  expect(clientAddressFrom(new Headers({ 'x-forwarded-for': '6.6.6.6' }), vercel, SECRET)).toBe('unknown');
});

test('the stamp: a random secret name, on http and https servers, overwriting whatever a client sent', async () => {
  installPeerAddressStamp();
  const header = peerStampHeader()!;
  expect(header).toMatch(/^x-peer-[0-9a-f]{32}$/);
  installPeerAddressStamp();
  expect(peerStampHeader()).toBe(header);

  for (const server of [http.createServer(), https.createServer()]) {
    const seen: string[] = [];
    server.on('request', (request: http.IncomingMessage) => seen.push(String(request.headers[header])));
    const request = { headers: { [header]: '198.18.0.1' }, socket: { remoteAddress: '203.0.113.9' } };
    server.emit('request', request, {});
    expect(seen).toEqual(['203.0.113.9']);
  }
});

test('networkOf: the /56 or /48 of an IPv6 bucket, the /24 of an IPv4 address', () => {
  expect(networkOf('2001:db8:1:2a7::/64', 56)).toBe('2001:db8:1:200::/56');
  expect(networkOf('2001:db8:1:2ff::/64', 56)).toBe('2001:db8:1:200::/56');
  expect(networkOf('2001:db8:1:2::/64', 56)).toBe('2001:db8:1:0::/56');
  expect(networkOf('2001:db8:1:2::/64', 48)).toBe('2001:db8:1::/48');
  expect(networkOf('2001:db8:1:2::/64', 64)).toBe('2001:db8:1:2::/64');
  expect(networkOf('203.0.113.7', 56)).toBe('203.0.113.7');
  expect(networkOf('203.0.113.7', 48, 24)).toBe('203.0.113.0/24');
  expect(networkOf('unknown', 48, 24)).toBe('unknown');
});
