// The wire format of the control socket: one JSON object per line each way. Validation lives
// here, apart from the socket, so anything that speaks the protocol (socat, a script) gets the same
// one-line answers as `lastcall ctl`.
import { UsageError } from '../config/errors.js';
import { parseSignal, signalName } from '../config/signals.js';
import type { ControlRequest, ControlResponse } from '../supervisor/status.js';

/** A request line longer than this is refused: nothing legitimate comes close, and PID 1 must not buffer without bound. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export const COMMANDS = ['status', 'start', 'stop', 'restart', 'signal', 'shutdown'] as const;
const EXPECTED = `expected one of ${COMMANDS.join(', ')}`;
const EXAMPLE = '{"command":"status"}';

/** Either a request the handler may act on, or the one line of error to answer with. */
export type Parsed = { readonly ok: true; readonly request: ControlRequest } | { readonly ok: false; readonly error: string };

/** Turns one line into a request or names exactly what is wrong with it; never throws. */
export function parseRequest(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return refuse(`the request is not valid JSON (${why}); send one object per line, like ${EXAMPLE}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse(`the request must be a JSON object, like ${EXAMPLE}`);
  }
  const fields = value as Record<string, unknown>;
  const command = fields.command;
  if (typeof command !== 'string') return refuse(`the request has no "command" string; ${EXPECTED}`);
  switch (command) {
    case 'status':
    case 'shutdown':
      return accept({ command });
    case 'start':
    case 'stop':
    case 'restart': {
      const name = programName(fields, command);
      return typeof name === 'string' ? accept({ command, name }) : name;
    }
    case 'signal': {
      const name = programName(fields, command);
      if (typeof name !== 'string') return name;
      if (typeof fields.signal !== 'string' && typeof fields.signal !== 'number') {
        return refuse(`"signal" needs a "signal" to send, like {"command":"signal","name":"${name}","signal":"SIGHUP"}`);
      }
      try {
        // Normalised to its name, so the handler sees "SIGHUP" whether the client wrote "hup" or 1.
        return accept({ command, name, signal: signalName(parseSignal(String(fields.signal), '"signal"')) });
      } catch (error) {
        return refuse(error instanceof UsageError ? error.message : String(error));
      }
    }
    default:
      return refuse(`unknown command ${JSON.stringify(command).slice(0, 80)}; ${EXPECTED}`);
  }
}

/** start/stop/restart/signal act on one program, so a missing or empty name is refused before the handler sees it. */
function programName(fields: Record<string, unknown>, command: string): string | Parsed {
  const name = fields.name;
  if (typeof name === 'string' && name !== '') return name;
  return refuse(`"${command}" needs a "name" (a program from the config), like {"command":"${command}","name":"web"}`);
}

/** One place builds the refusal, so every error line has the same shape. */
function refuse(error: string): Parsed {
  return { ok: false, error };
}

/** The counterpart of refuse(), so parseRequest reads as a list of decisions. */
function accept(request: ControlRequest): Parsed {
  return { ok: true, request };
}

/** Serialises a response as exactly one line: JSON.stringify never emits a raw newline. */
export function encodeResponse(response: ControlResponse): string {
  return `${JSON.stringify(response)}\n`;
}
