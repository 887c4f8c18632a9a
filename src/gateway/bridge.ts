// src/gateway/bridge.ts
// One gateway process per /api/ws socket: its stdout lines become text messages, the browser's
// messages become lines on its stdin. Back-pressure both ways (a slow browser pauses stdout, a full
// stdin pauses the socket). When the socket goes, the process group is ended; when the process
// goes, the socket is closed 1011.

import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable, Writable } from 'node:stream'
import type { WebSocket } from 'ws'
import { closeReason, DashboardError, ERRORS } from '../errors.js'
import { endProcessGroup, findProgram, signalGroup } from '../processes/group.js'
import { classifyInbound, createLineSplitter } from './jsonrpc.js'

export interface GatewayBridgeOptions {
  readonly command: readonly string[]
  readonly env: Record<string, string>
  /** Longest line accepted from the gateway (it becomes one WebSocket message). */
  readonly maxLine: number
  readonly highWater: number
  readonly lowWater: number
  readonly log: (fields: Record<string, unknown>, message: string) => void
}

export interface GatewayBridge {
  /** Settles once the process has exited and the socket has been told. */
  readonly done: Promise<void>
  end (): Promise<void>
}

const STDERR_TAIL = 2048
const OPEN = 1

/** Starts the gateway for `socket`; throws DashboardError when the command cannot be found or spawned. */
export function bridgeGateway (socket: WebSocket, opts: GatewayBridgeOptions): GatewayBridge {
  const [file, ...args] = opts.command as [string, ...string[]]
  if (findProgram(file, opts.env.PATH) === null) {
    throw new DashboardError('HD_ERR_GATEWAY_UNAVAILABLE', `the gateway command "${file}" was not found on PATH`, 'Point --gateway-command at the Hermes gateway.')
  }
  let child: ChildProcessByStdio<Writable, Readable, Readable>
  try {
    // Its own process group, so that ending it also ends whatever it started.
    child = spawn(file, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  } catch (err) {
    throw new DashboardError('HD_ERR_GATEWAY_UNAVAILABLE', `the gateway could not start: ${(err as Error).message}`)
  }
  const pid = child.pid
  let spawnError: Error | null = null
  let stderr = ''
  let stopped: string | null = null
  let stdoutPaused = false
  const exited = new Promise<{ code: number | null, signal: string | null }>((resolve) => {
    child.once('error', (err) => {
      spawnError = err
      resolve({ code: null, signal: null })
    })
    // Whatever the gateway left in its group would hold stdout open and keep 'close' from firing.
    child.once('exit', () => { if (pid !== undefined) signalGroup(pid, 'SIGKILL') })
    // 'close': exited and stdout read to the end, so every line was sent before the socket closes.
    child.once('close', (code, signal) => resolve({ code, signal }))
  })

  const lines = createLineSplitter()
  const onSent = (): void => {
    if (stdoutPaused && socket.bufferedAmount <= opts.lowWater) {
      stdoutPaused = false
      child.stdout.resume()
    }
  }
  const send = (line: string): void => {
    if (socket.readyState === OPEN) socket.send(line, onSent)
  }
  child.stdout.on('data', (chunk: Buffer) => {
    if (stopped !== null) return
    for (const line of lines.push(chunk)) send(line)
    if (lines.pending > opts.maxLine) {
      stopped = `a line over ${opts.maxLine} bytes`
      if (pid !== undefined) void endProcessGroup(pid, exited)
      return
    }
    if (socket.bufferedAmount > opts.highWater) {
      stdoutPaused = true
      child.stdout.pause()
    }
  })
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL) })
  child.stdin.on('error', () => {}) // EPIPE after the gateway exits; the exit is reported below.
  child.stdin.on('drain', () => socket.resume())

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      socket.close(ERRORS.HD_ERR_FRAME_UNSUPPORTED.close, ERRORS.HD_ERR_FRAME_UNSUPPORTED.reason)
      return
    }
    const inbound = classifyInbound(data.toString())
    if (inbound.kind === 'reply') send(inbound.text)
    else if (inbound.kind === 'forward' && child.stdin.writable && !child.stdin.write(inbound.line + '\n')) socket.pause()
  })

  const done = exited.then(({ code, signal }) => {
    const last = lines.flush()
    if (last !== null && stopped === null) send(last)
    const how = spawnError !== null ? `could not start: ${(spawnError as Error).message}` : stopped !== null ? `stopped: ${stopped}` : signal !== null ? `signal=${signal}` : `code=${code}`
    opts.log({ event: 'gateway.exited', pid, how, stderr: stderr.trim().split('\n').slice(-5).join('\n') }, 'gateway process ended')
    if (socket.readyState === OPEN) {
      const spec = spawnError !== null ? ERRORS.HD_ERR_GATEWAY_UNAVAILABLE : ERRORS.HD_ERR_GATEWAY_EXITED
      socket.close(spec.close, closeReason(`${spec.reason} ${how}`))
    }
  })

  return {
    done,
    async end () {
      if (pid !== undefined) await endProcessGroup(pid, exited)
      await done
    },
  }
}
