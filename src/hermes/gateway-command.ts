// src/hermes/gateway-command.ts
// The /api/ws gateway is Hermes' own Python module (tui_gateway.entry), so it has to run on the
// interpreter Hermes is installed in. The first python3 on PATH is often another one (pyenv, or the
// system's beside a pipx or venv install) and the chat then says "No module named ...". So when the
// gateway command is the default, the interpreter is the one the `hermes` script itself names.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'

export const DEFAULT_GATEWAY_COMMAND: readonly string[] = Object.freeze(['python3', '-m', 'tui_gateway.entry'])

const PYTHON = /\/python[\d.]*$/

/**
 * The Python interpreter a script's first lines name by absolute path: `#!/…/bin/python3`, or pip's
 * form for long paths (`#!/bin/sh` then `'''exec' "/…/bin/python3" "$0" "$@"`). Null for anything
 * else, `#!/usr/bin/env python3` included (PATH decides then, as it does for the default).
 */
export function pythonOfScript (head: string): string | null {
  const shebang = /^#![ \t]*(\/\S+)/.exec(head)?.[1]
  if (shebang === undefined) return null
  if (PYTHON.test(shebang)) return shebang
  const execLine = /^'''exec' "?(\/[^"\s]+)"?/m.exec(head)?.[1]
  return execLine !== undefined && PYTHON.test(execLine) ? execLine : null
}

/** The gateway command to run: as configured, or the default on the interpreter of Hermes' script. */
export function gatewayCommandFor (configured: readonly string[], hermesScriptHead: string | null): readonly string[] {
  const isDefault = configured.length === DEFAULT_GATEWAY_COMMAND.length && configured.every((a, i) => a === DEFAULT_GATEWAY_COMMAND[i])
  const python = isDefault && hermesScriptHead !== null ? pythonOfScript(hermesScriptHead) : null
  return python === null ? configured : Object.freeze([python, ...DEFAULT_GATEWAY_COMMAND.slice(1)])
}

/** The first bytes of a program file (a script's #! lines), or null when it is not a readable regular file. */
export function readScriptHead (file: string): string | null {
  let fd: number | null = null
  try {
    // Never blocks: a FIFO put where the program should be is not waited on.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
    if (!fstatSync(fd).isFile()) return null
    const buf = Buffer.alloc(512)
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1')
  } catch {
    return null
  } finally {
    if (fd !== null) closeSync(fd)
  }
}
