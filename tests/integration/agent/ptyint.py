"""Runs a command on a pseudo-terminal, presses Ctrl-C (writes ^C to the terminal, so
the line discipline sends SIGINT) once its output shows PROMPT, and prints what it wrote;
exits with the command's exit status (124 if PROMPT never came within 10 s).
usage: python3 ptyint.py PROMPT COMMAND [ARGS...]"""
import os
import pty
import select
import sys
import time


def read_until(fd, out, seconds, prompt=None):
    """Appends the command's output to out until prompt shows, EOF or seconds pass."""
    end = time.time() + seconds
    while time.time() < end and (prompt is None or prompt not in out):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # the child closed the terminal (EIO)
            break
        if not data:
            break
        out += data
    return out


prompt = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = read_until(fd, b"", 10, prompt)
if prompt not in out:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(124)
os.write(fd, b"\x03")
out = read_until(fd, out, 10)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
