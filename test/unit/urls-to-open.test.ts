// test/unit/urls-to-open.test.ts
// The URLs printed at start-up, from given interfaces: on a wildcard bind the host name, then each
// non-loopback address the bind covers (IPv4 first; IPv6 only for ::, never link-local), this host
// last; the token in each in token mode; only this host in loopback mode or on a specific address.

import t from 'tap'
import type { NetworkInterfaceInfo } from 'node:os'
import { urlsToOpen } from '../../src/config/urls-to-open.js'

const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  (family === 'IPv4'
    ? { address, family, internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }
    : { address, family, internal, netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 })

const interfaces = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  eth0: [nic('fe80::1', 'IPv6'), nic('2001:db8::5', 'IPv6'), nic('192.168.1.20', 'IPv4')],
  wg0: [nic('10.8.0.2', 'IPv4')],
}

t.test('0.0.0.0 in token mode: host name, IPv4 addresses, then 127.0.0.1, each with the token', async (t) => {
  t.strictSame(urlsToOpen({ host: '0.0.0.0', port: 9119, token: 'a b', network: true, interfaces, hostname: 'Homebox' }), [
    'http://homebox:9119/?token=a%20b',
    'http://192.168.1.20:9119/?token=a%20b',
    'http://10.8.0.2:9119/?token=a%20b',
    'http://127.0.0.1:9119/?token=a%20b',
  ])
})

t.test(':: covers IPv6 too (global only), bracketed, after IPv4; ::1 last', async (t) => {
  t.strictSame(urlsToOpen({ host: '::', port: 80, token: null, network: true, interfaces, hostname: 'homebox' }), [
    'http://homebox:80/',
    'http://192.168.1.20:80/',
    'http://10.8.0.2:80/',
    'http://[2001:db8::5]:80/',
    'http://[::1]:80/',
  ])
})

t.test('only this host: loopback mode, a specific address, no usable host name', async (t) => {
  t.strictSame(urlsToOpen({ host: '0.0.0.0', port: 9119, token: null, network: false, interfaces, hostname: 'homebox' }), ['http://127.0.0.1:9119/'])
  t.strictSame(urlsToOpen({ host: '192.168.1.20', port: 9119, token: 't', network: true, interfaces, hostname: 'homebox' }), ['http://192.168.1.20:9119/?token=t'])
  t.strictSame(urlsToOpen({ host: '0.0.0.0', port: 1, token: null, network: true, interfaces: {}, hostname: 'localhost' }), ['http://127.0.0.1:1/'])
})
