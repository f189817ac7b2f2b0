#!/usr/bin/env python3
"""Runs one command in a fresh pseudo-terminal, the way `docker run -it` gives a container a
terminal, and plays a script of steps against it. Used by test/pid1/terminal.test.ts.

Input (JSON on stdin):
  {"argv": [...], "env": {...}, "rows": 24, "cols": 80, "deadline": 120, "steps": [...]}
Steps, run in order; the first one that fails stops the script:
  {"expect": REGEX, "timeout": S}  wait until REGEX (Python re, MULTILINE) matches the output
                                   after the previous match; the next expect starts after this one
  {"send": TEXT}                   write TEXT to the terminal, as typed (e.g. "\\u0003" is ^C)
  {"sleep": S}                     keep reading output for S seconds: only where settling is what
                                   is being tested (e.g. "no second copy of a signal arrives")
  {"exit": S}                      wait up to S seconds for the command to exit, then read what
                                   it left in the terminal
Output (JSON on stdout): ok, error, failedStep, transcript (everything the terminal showed,
bytes as latin-1), exit ({"code": N} or {"signal": N}; null if it had to be killed), killed,
steps (per step: ok, startMs, ms, match), elapsedMs.

The command is the session leader and the terminal is its controlling terminal. Whatever
happens (a step times out, the deadline passes, this script gets SIGTERM) the command and every
process under it are SIGKILLed and reaped before the result is printed (this script is a child
subreaper, so orphans cannot slip away); the child also gets PR_SET_PDEATHSIG, so it dies with
this script even if this script is SIGKILLed.
"""
import ctypes
import errno
import fcntl
import json
import os
import re
import select
import signal
import struct
import sys
import termios
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def main():
    spec = json.load(sys.stdin)
    started = time.monotonic()
    deadline = started + float(spec.get("deadline", 120))
    run = Run(spec, deadline)
    result = {"ok": False, "error": None, "failedStep": None, "steps": []}

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    def on_signal(signo, _frame):
        for other in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(other, signal.SIG_IGN)  # let the clean-up below finish
        raise Interrupted(f"pty-driver got signal {signo}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        run.start()
        for index, step in enumerate(spec.get("steps", [])):
            record = {"step": step, "ok": False, "startMs": ms(time.monotonic() - started)}
            result["steps"].append(record)
            t0 = time.monotonic()
            try:
                record["match"] = run.step(step)
                record["ok"] = True
            except StepFailed as failure:
                result["error"] = f"step {index} {json.dumps(step)}: {failure}"
                result["failedStep"] = index
                break
            finally:
                record["ms"] = ms(time.monotonic() - t0)
        else:
            result["ok"] = True
    except Interrupted as interrupted:
        result["error"] = str(interrupted)
    finally:
        result["killed"] = run.finish()
    result["transcript"] = run.output.decode("latin-1")
    result["exit"] = run.exit_status()
    result["elapsedMs"] = ms(time.monotonic() - started)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


class StepFailed(Exception):
    pass


class Interrupted(Exception):
    pass


def ms(seconds):
    return round(seconds * 1000, 1)


class Run:
    def __init__(self, spec, deadline):
        self.spec = spec
        self.deadline = deadline
        self.output = bytearray()
        self.cursor = 0  # where the next expect starts looking, in self.output
        self.pid = None
        self.pidfd = None
        self.master = None
        self.eof = False  # every holder of the terminal's slave side has closed it
        self.status = None  # raw wait status once reaped

    def start(self):
        master, slave = os.openpty()
        rows, cols = int(self.spec.get("rows", 24)), int(self.spec.get("cols", 80))
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        # A terminal as a container runtime sets one up: cooked, echoing, ^C ^\ ^Z live.
        attrs = termios.tcgetattr(slave)
        attrs[3] |= termios.ISIG | termios.ICANON | termios.ECHO
        attrs[6][termios.VINTR] = b"\x03"
        attrs[6][termios.VQUIT] = b"\x1c"
        attrs[6][termios.VSUSP] = b"\x1a"
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        argv = self.spec["argv"]
        env = self.spec.get("env") or dict(os.environ)
        # Launch with everything the exec'd command must not inherit already reset.
        driver = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(master)
                ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                if os.getppid() != driver:
                    os._exit(125)  # the driver is already gone
                os.login_tty(slave)  # setsid, controlling terminal, fds 0-2
                for signo in range(1, signal.NSIG):
                    try:
                        signal.signal(signo, signal.SIG_DFL)  # Python ignores SIGPIPE, and so on
                    except (OSError, ValueError):
                        pass
                signal.pthread_sigmask(signal.SIG_SETMASK, [])
                os.execvpe(argv[0], argv, env)
            except BaseException as error:  # noqa: BLE001 - report anything, then leave
                os.write(2, f"pty-driver: cannot run {argv[0]}: {error}\n".encode())
            os._exit(127)
        os.close(slave)
        self.pid, self.master = pid, master
        self.pidfd = os.pidfd_open(pid)
        os.set_blocking(master, False)

    def step(self, step):
        if "expect" in step:
            return self.expect(step["expect"], float(step.get("timeout", 15)))
        if "send" in step:
            self.send(step["send"])
            return None
        if "sleep" in step:
            self.pump_until(self.limit(float(step["sleep"])), lambda: False)
            return None
        if "exit" in step:
            if not self.pump_until(self.limit(float(step["exit"])), lambda: self.status is not None):
                raise StepFailed(f"still running after {step['exit']} s")
            self.drain()
            return None
        raise StepFailed("unknown step")

    def expect(self, pattern, timeout):
        regex = re.compile(pattern, re.MULTILINE)
        found = []

        def search():
            m = regex.search(self.output.decode("latin-1"), self.cursor)
            if m:
                found.append(m)
            return bool(m)

        if not self.pump_until(self.limit(timeout), search, stop_at_end=True):
            ended = " (the command has exited and the terminal is closed)" if self.ended() else ""
            raise StepFailed(f"no match within {timeout} s{ended}")
        self.cursor = found[0].end()
        return found[0].group(0)

    def send(self, text):
        if self.eof:
            raise StepFailed("the terminal is closed")
        data = text.encode("utf-8")
        while data:
            try:
                data = data[os.write(self.master, data):]
            except BlockingIOError:
                select.select([], [self.master], [], 1)
            except OSError as error:
                raise StepFailed(f"write to terminal: {error}") from error

    def limit(self, timeout):
        return min(time.monotonic() + timeout, self.deadline)

    def ended(self):
        return self.eof and self.status is not None

    def pump_until(self, until, done, stop_at_end=False):
        """Reads output and reaps the child until done() or the time runs out; returns done()."""
        while True:
            if done():
                return True
            if stop_at_end and self.ended():
                return False
            left = until - time.monotonic()
            if left <= 0:
                return False
            watched = ([] if self.eof else [self.master]) + ([] if self.status is not None else [self.pidfd])
            if not watched:
                time.sleep(left)
                continue
            ready, _, _ = select.select(watched, [], [], left)
            if self.master in ready:
                self.read()
            if self.pidfd in ready:
                self.reap()

    def read(self):
        try:
            chunk = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError as error:
            if error.errno != errno.EIO:
                raise
            chunk = b""
        if chunk:
            self.output += chunk
        else:
            self.eof = True  # Linux: EIO once the last slave fd is closed

    def reap(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status

    def drain(self):
        # The command exited; whatever it wrote is still buffered in the terminal. Anything left
        # holding the terminal open is cut off below, so this wait is bounded.
        self.pump_until(self.limit(5), lambda: self.eof)

    def finish(self):
        """Kills and reaps everything still there; returns whether the command itself was killed."""
        if self.pid is None:
            return False
        killed = self.status is None
        # This script is a subreaper, so nothing under it can escape by being orphaned: kill
        # whatever is left (killing a PID namespace's init takes its whole namespace with it),
        # and reap until no child of ours is left.
        while True:
            for pid in descendants(os.getpid()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid == self.pid and self.status is None:
                self.status = status
        if not self.eof:
            self.pump_until(time.monotonic() + 2, lambda: self.eof)
        os.close(self.master)
        os.close(self.pidfd)
        return killed

    def exit_status(self):
        if self.status is None:
            return None
        if os.WIFEXITED(self.status):
            return {"code": os.WEXITSTATUS(self.status)}
        if os.WIFSIGNALED(self.status):
            return {"signal": os.WTERMSIG(self.status)}
        return {"raw": self.status}


def descendants(root):
    """Every live process under root, found through /proc parent links, deepest first."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        if fields[0] != b"Z":
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        found = children + found
        frontier = children
    return found


if __name__ == "__main__":
    main()
