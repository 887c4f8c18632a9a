// test/helpers/netns.ts
// A test network: a namespace joined to this host by a veth pair, on private addresses that exist only
// inside it. The host side is 10.A.B.1 and fd48:A:B::1; the namespace side has several addresses, so
// one namespace can be a proxy and a LAN client at once. Deleted when the test ends (and at exit).

import { execFileSync, spawnSync } from 'node:child_process'
import { NetnsAgent } from './peer.js'

export interface TestNet {
  readonly ns: string
  readonly hostAddr: string
  readonly addrs: readonly string[]
  readonly hostAddr6: string
  readonly addrs6: readonly string[]
  readonly agent: NetnsAgent
  destroy (): Promise<void>
}

const live = new Set<string>()
process.on('exit', () => { for (const ns of live) spawnSync('ip', ['netns', 'del', ns]) })

let counter = 0

function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

export class NetnsUnavailable extends Error {}

/**
 * Deletes namespaces left by test processes that are gone: a process killed by a timeout never runs
 * its exit handler. Each name carries its creator's pid; a live creator's are left alone.
 */
function sweepStale (): void {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
  for (const m of listed.matchAll(/^hdt(\d+)n\d+\b/gm)) {
    const pid = Number(m[1])
    if (pid === process.pid) continue
    try {
      process.kill(pid, 0)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') spawnSync('ip', ['netns', 'del', m[0]])
    }
  }
}

/** Creates the namespace; throws NetnsUnavailable (with the reason) when this machine cannot. */
export async function createTestNet (): Promise<TestNet> {
  if (counter === 0) sweepStale()
  const n = counter++
  const slot = (process.pid * 4 + n) % 16384
  const a = 64 + (slot >> 8)
  const b = slot & 255
  const ns = `hdt${process.pid}n${n}`
  const vh = `hv${process.pid % 1000000}${n}a`
  const vn = `hv${process.pid % 1000000}${n}b`
  const hostAddr = `10.${a}.${b}.1`
  const addrs = [2, 3, 4].map((i) => `10.${a}.${b}.${i}`)
  const prefix6 = `fd48:${a.toString(16)}:${b.toString(16)}`
  const hostAddr6 = `${prefix6}::1`
  const addrs6 = [2, 3].map((i) => `${prefix6}::${i}`)
  try {
    ip('netns', 'add', ns)
    live.add(ns)
    ip('link', 'add', vh, 'type', 'veth', 'peer', 'name', vn)
    ip('link', 'set', vn, 'netns', ns)
    ip('addr', 'add', `${hostAddr}/24`, 'dev', vh)
    ip('-6', 'addr', 'add', `${hostAddr6}/64`, 'dev', vh, 'nodad')
    ip('link', 'set', vh, 'up')
    for (const addr of addrs) ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', vn)
    for (const addr of addrs6) ip('netns', 'exec', ns, 'ip', '-6', 'addr', 'add', `${addr}/64`, 'dev', vn, 'nodad')
    ip('netns', 'exec', ns, 'ip', 'link', 'set', vn, 'up')
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')
  } catch (err) {
    spawnSync('ip', ['netns', 'del', ns])
    live.delete(ns)
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? ''
    throw new NetnsUnavailable(`cannot create a test network namespace (needs root and iproute2): ${stderr || (err as Error).message}`)
  }
  const agent = new NetnsAgent(ns)
  await agent.ready
  return {
    ns, hostAddr, addrs, hostAddr6, addrs6, agent,
    async destroy () {
      await agent.close()
      spawnSync('ip', ['netns', 'del', ns])
      live.delete(ns)
    },
  }
}

/** Runs a command inside the namespace (argv form). */
export function inNamespace (ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv]
}
