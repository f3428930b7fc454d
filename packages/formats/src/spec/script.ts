import type { Script } from "./types.ts";

/**
 * The interpreter a script asks for: its `interpreter`, else its own `#!` line (`#!/bin/bash -e` gives
 * `/bin/bash -e`), else undefined (each format then picks its default, usually `/bin/sh`).
 */
export function scriptInterpreter(script: Script): string | undefined {
  if (script.interpreter !== undefined) return script.interpreter;
  const m = /^#![ \t]*([^\r\n]*?)[ \t]*(?:\r?\n|$)/.exec(script.body);
  return m?.[1] ? m[1] : undefined;
}
