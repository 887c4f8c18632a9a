// bench/lib.mjs
// Small helpers for bench/run.mjs and bench/chat.mjs: knobs, child servers, a one-shot HTTP GET,
// /proc RSS, medians, the table.

import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { once } from 'node:events'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The command line users run (package.json's bin), as built by `npm run build`. */
export const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist', 'hermes-dashboard.cjs')
/** The home the real Python server answered from (../shared/reference): Hermes' own config.yaml and state.db. */
export const REFERENCE_HOME = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '..', 'shared', 'reference', 'v0.13-golden', 'home')

/** A numeric knob from the environment (BENCH_*), or its default. */
export const num = (name, dflt) => {
  const v = process.env[name]
  return v === undefined || v === '' ? dflt : Number(v)
}

export const verdict = (ok) => (ok ? 'PASS' : 'FAIL')

export function median (values) {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves with the first capture of `re` in the child's stdout; rejects on exit or timeout. */
export function waitForLine (child, re, timeoutMs, label) {
  return new Promise((resolve, reject) => {
    let buf = ''
    let err = ''
    const onData = (chunk) => {
      buf += chunk
      const m = re.exec(buf)
      if (m !== null) { cleanup(); resolve(m[1]) }
    }
    const onErr = (chunk) => { err = (err + chunk).slice(-4000) }
    const onExit = (code, signal) => { cleanup(); reject(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${buf}${err}`)) }
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${label} not ready after ${timeoutMs} ms:\n${buf}${err}`)) }, timeoutMs)
    function cleanup () {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.stderr.off('data', onErr)
      child.off('exit', onExit)
    }
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', onData)
    child.stderr.on('data', onErr)
    child.once('exit', onExit)
  })
}

/** Starts `node <args>`; resolves once it prints `READY port=<n>`. Keeps draining its output after. */
export async function startServer (label, args, env, execArgv = []) {
  const child = spawn(process.execPath, [...execArgv, ...args], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  const port = Number(await waitForLine(child, /READY port=(\d+)/, 15_000, label))
  let stderr = ''
  child.stdout.resume()
  child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-4000) })
  let exited = false
  child.once('exit', () => { exited = true })
  return {
    label,
    port,
    pid: child.pid,
    get alive () { return !exited },
    get stderr () { return stderr },
    async stop () {
      if (exited) return
      const done = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await done
      clearTimeout(timer)
    },
  }
}

/** One GET on a fresh connection; resolves { status, body } or rejects (refused, reset, timeout). */
export function get (port, path, headers = {}, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { host: `127.0.0.1:${port}`, ...headers }, timeout: timeoutMs }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

/** VmRSS of a live process, in bytes. */
export function rssOf (pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) * 1024
}

let clkTck = null
/** Clock ticks per second of /proc CPU times. */
function ticksPerSecond () {
  if (clkTck === null) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clkTck = 100
    }
  }
  return clkTck
}

/** CPU time (user + system) a live process has used, in seconds. */
export function cpuSecondsOf (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 (state) on
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond() // utime (14), stime (15)
}

/**
 * How long a process's main thread has waited for a CPU while runnable, in ms (Linux schedstat:
 * time on a run queue), or null where the kernel does not say.
 */
export function runQueueWaitMs (pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6
  } catch {
    return null
  }
}

/** Machine-wide CPU seconds: busy (user, nice, system, irq, softirq), steal, and the number of CPUs. */
export function machineCpu () {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, , , irq, softirq, steal = 0] = line
  const hz = ticksPerSecond()
  return { busy: (user + nice + system + irq + softirq) / hz, steal: steal / hz }
}

/** Formats rows (arrays of strings) as left-aligned columns; numbers are right-aligned. */
export function table (rows) {
  const widths = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, String(cell).length) })
  const numeric = (s) => /^[\d.,]+( \S+)?$/.test(s)
  return rows.map((row) => row.map((cell, i) => {
    const s = String(cell)
    return numeric(s) && i > 0 ? s.padStart(widths[i]) : s.padEnd(widths[i])
  }).join('  ').trimEnd()).join('\n')
}
