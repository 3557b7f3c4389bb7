import { test, expect } from '@playwright/test';
import { readConfig } from '../../lib/config';
import { addressBucket } from '../../lib/http/client-address';

const trustedProxyHops = (env: Record<string, string>) => readConfig(env).http.trustProxyHops;

test('addresses count in buckets: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
  expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
  expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
  expect(addressBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
  expect(addressBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
  expect(addressBucket('2001:0db8:0001:0002:ffff::9')).toBe('2001:db8:1:2::/64');
  expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(addressBucket('::1')).toBe('0:0:0:0::/64');
  expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  expect(addressBucket('unknown')).toBe('unknown');
});

test('TRUST_PROXY: a number of proxies, true or false; anything else is refused', () => {
  expect(trustedProxyHops({})).toBe(0);
  expect(trustedProxyHops({ TRUST_PROXY: 'false' })).toBe(0);
  expect(trustedProxyHops({ TRUST_PROXY: 'true' })).toBe(1);
  expect(trustedProxyHops({ TRUST_PROXY: '2' })).toBe(2);
  expect(() => trustedProxyHops({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY must be a number of proxies/);
});
