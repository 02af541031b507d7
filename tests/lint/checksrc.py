#!/usr/bin/python3
"""pitlane source lint: banned functions and clang-format, in product code.

    checksrc.py banned [FILE...]      banned calls (default: every product file)
    checksrc.py format CLANG_FORMAT   clang-format --dry-run -Werror on the formatted files
    checksrc.py unformatted CLANG_FORMAT
                                      every product file clang-format would change, with
                                      the number of lines (to refresh FORMAT_PENDING)
    checksrc.py self-test [CLANG_FORMAT]
                                      seeded violations must be found (run by ctest)

Run through ctest: `ctest --test-dir build -L lint`. See docs/CODING_STYLE.md ("Lint").
Only the Python standard library; exit 0 clean, 1 findings, 2 usage, 77 skipped.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Product code: what ships. tests/ and bench/ may use anything.
PRODUCT_GLOBS = [
    "agent/**/*.[ch]",
    "broker/**/*.[ch]",
    "cosign/**/*.[ch]",
    "lib/**/*.[ch]",
    "vehicle/**/*.[ch]",
]

# Banned calls and what to use instead. A line that must call one anyway says so in a
# comment on that line: /* lint: allow strncpy (fixed-width field of the on-disk format) */
BANNED = {}


def _ban(names, instead):
    for n in names.split():
        BANNED[n] = instead


_ban("gets", "fgets() or getline()")
_ban("strcpy stpcpy strcat", "snprintf(), or memcpy() with a length checked against the buffer")
_ban("strncpy stpncpy strncat",
     "snprintf(), or memcpy() with a checked length (strncpy/strncat do not terminate or pad "
     "as expected)")
_ban("sprintf", "snprintf()")
_ban("vsprintf", "vsnprintf()")
_ban("strtok", "strtok_r(), or pl_conf_parse() for key value files")
_ban("atoi atol atoll atof strtol strtoul strtoll strtoull strtoimax strtoumax strtod strtof "
     "strtold", "pl_parse_u32()/pl_parse_u64()/pl_parse_i64() (whole string, range-checked)")
_ban("scanf sscanf fscanf vscanf vsscanf vfscanf",
     "pl_parse_*(), pl_conf_parse() or a bounded pl_buf reader")
_ban("tmpnam tempnam mktemp", "mkstemp() or mkdtemp()")
_ban("alloca", "a fixed-size array or malloc()")
_ban("system popen", "fork() + execve() with an argument vector (no shell)")
_ban("vfork", "fork() or posix_spawn()")
_ban("rand srand rand_r random srandom drand48 erand48 lrand48 nrand48 mrand48 jrand48 srand48",
     "getrandom() or RAND_bytes() (these are not random enough for anything here)")
_ban("asctime ctime gmtime localtime",
     "gmtime_r()/localtime_r(), and pl_time_format_rfc3339() for UTC text")
_ban("asctime_r ctime_r", "pl_time_format_rfc3339(), or strftime() on localtime_r()")
_ban("timegm", "pl_days_from_civil() / pl_time_parse_rfc3339() (pl_time.h)")
_ban("setjmp longjmp sigsetjmp siglongjmp _setjmp _longjmp", "return codes and goto out")
_ban("inet_ntoa inet_addr inet_aton gethostbyname gethostbyname2 gethostbyaddr",
     "inet_ntop()/inet_pton()/getaddrinfo()")
_ban("bzero bcopy", "memset()/memmove() (plt_wipe() for secrets)")
_ban("explicit_bzero memset_s OPENSSL_cleanse", "plt_wipe() (the one wipe)")
_ban("CRYPTO_memcmp timingsafe_bcmp timingsafe_memcmp", "plt_ct_equal() (the one constant-time "
     "compare)")

# Files excluded from the format check. Empty since the one-time reformat of the tree; nothing
# may be added here: a new file is formatted (clang-format -i FILE) before it is committed.
# `tests/lint/checksrc.py unformatted clang-format-14` lists what clang-format would change;
# an entry whose file is gone is an error.
FORMAT_PENDING = """
""".split()

ALLOW_RE = re.compile(r"lint:\s*allow\s+([A-Za-z_][A-Za-z0-9_]*)(\s*\(([^)]*)\))?")
CALL_RE = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def product_files():
    out = set()
    for g in PRODUCT_GLOBS:
        out.update(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, g),
                                                               recursive=True))
    return sorted(out)


def split_code(text):
    """Code with comments and string/char literals blanked (same lines and columns), and
    the comment text of each line (for allow markers)."""
    code = []
    comments = {}
    i, n, line = 0, len(text), 1
    state = None  # None, "//", "/*", '"', "'"
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if state is None:
            if c == "/" and nxt in "/*":
                state = "/" + nxt
                code.append("  ")
                i += 2
                continue
            if c in "\"'":
                state = c
                code.append(" ")
                i += 1
                continue
            code.append(c)
        elif state in ("//", "/*"):
            if state == "/*" and c == "*" and nxt == "/":
                state = None
                code.append("  ")
                i += 2
                continue
            if state == "//" and c == "\n":
                state = None
                code.append(c)
            else:
                comments[line] = comments.get(line, "") + c
                code.append("\n" if c == "\n" else " ")
        else:  # inside a literal
            if c == "\\" and nxt:
                code.append("  " if nxt != "\n" else " \n")
                if nxt == "\n":
                    line += 1
                i += 2
                continue
            if c == state or c == "\n":
                state = None
            code.append("\n" if c == "\n" else " ")
        if c == "\n":
            line += 1
        i += 1
    return "".join(code), comments


def check_banned(path, text):
    """Findings as 'path:line:col: message' strings."""
    code, comments = split_code(text)
    findings = []
    used = set()
    for lineno, line in enumerate(code.split("\n"), 1):
        for m in CALL_RE.finditer(line):
            name = m.group(1)
            if name not in BANNED:
                continue
            before = line[:m.start()].rstrip()
            if before.endswith(".") or before.endswith("->"):
                continue  # a struct member, not the libc function
            allowed = False
            for a in ALLOW_RE.finditer(comments.get(lineno, "")):
                if a.group(1) == name and (a.group(3) or "").strip():
                    allowed = True
                    used.add((lineno, name))
            if not allowed:
                findings.append("%s:%d:%d: banned: %s(): use %s (or, if it must stay, say why "
                                "on the line: /* lint: allow %s (why) */)"
                                % (path, lineno, m.start() + 1, name, BANNED[name], name))
    for lineno, comment in sorted(comments.items()):
        for a in ALLOW_RE.finditer(comment):
            name = a.group(1)
            if not (a.group(3) or "").strip():
                findings.append("%s:%d: lint: allow %s needs a reason: /* lint: allow %s (why) */"
                                % (path, lineno, name, name))
            elif name not in BANNED:
                findings.append("%s:%d: lint: allow %s, but %s() is not banned: drop the marker"
                                % (path, lineno, name, name))
            elif (lineno, name) not in used:
                findings.append("%s:%d: lint: allow %s, but the line does not call %s(): drop "
                                "the marker" % (path, lineno, name, name))
    return findings


def cmd_banned(files):
    findings = []
    for f in files or product_files():
        with open(os.path.join(ROOT, f) if not os.path.isabs(f) else f, encoding="utf-8") as fh:
            findings += check_banned(f, fh.read())
    for line in findings:
        print(line)
    if findings:
        print("lint: %d banned call(s); the list and the way to allow one line are in "
              "docs/CODING_STYLE.md (Lint)" % len(findings))
        return 1
    return 0


def format_files():
    pending = set(FORMAT_PENDING)
    return [f for f in product_files() if f not in pending]


def cmd_format(clang_format):
    errors = 0
    files = product_files()
    for f in FORMAT_PENDING:
        if f not in files:
            print("%s: listed in FORMAT_PENDING (tests/lint/checksrc.py) but gone: drop the "
                  "entry; if the file moved, list its new path until the tree is reformatted" % f)
            errors += 1
    checked = format_files()
    r = subprocess.run([clang_format, "--dry-run", "-Werror", "--style=file"] + checked, cwd=ROOT)
    if r.returncode != 0:
        print("lint: clang-format would change the files above; run "
              "`clang-format -i FILE` (%s)" % clang_format)
        errors += 1
    print("lint: %d product files checked with %s, %d not yet formatted (FORMAT_PENDING)"
          % (len(checked), clang_format, len(FORMAT_PENDING)))
    return 1 if errors else 0


def unformatted(clang_format, files):
    out = []
    for f in files:
        path = os.path.join(ROOT, f)
        new = subprocess.run([clang_format, "--style=file", path], capture_output=True,
                             text=True, check=True).stdout.splitlines()
        with open(path, encoding="utf-8") as fh:
            old = fh.read().splitlines()
        n = _changed_lines(old, new)
        if n:
            out.append((f, n))
    return out


def _changed_lines(old, new):
    import difflib
    return sum(1 for d in difflib.ndiff(old, new) if d.startswith("- "))


def cmd_unformatted(clang_format):
    res = unformatted(clang_format, product_files())
    for f, n in res:
        print("%s %d" % (f, n))
    print("lint: %d of %d product files not clang-format clean, %d lines would change"
          % (len(res), len(product_files()), sum(n for _, n in res)))
    return 0


def cmd_self_test(clang_format):
    failures = []

    def expect(what, cond):
        if not cond:
            failures.append(what)
        print("%s: %s" % ("ok" if cond else "FAILED", what))

    seeded = ("#include <string.h>\n"
              "void f(char *d, const char *s, struct x *p)\n"
              "{\n"
              "\tstrcpy(d, s);\n"
              "\tstrcat (d, s); /* lint: allow strcat (seeded: the test allows this one) */\n"
              "\tsprintf(d, \"strcpy(%s)\", s); /* the string and this strcpy() are text */\n"
              "\tp->system(d);\n"
              "\tp.popen(d);\n"
              "\tmemcpy(d, s, 1); /* lint: allow memcpy (not banned: an unused marker) */\n"
              "\tgets(d); /* lint: allow gets */\n"
              "\tmy_strcpy(d, s);\n"
              "}\n")
    got = check_banned("seeded.c", seeded)
    for g in got:
        print("    " + g)
    expect("strcpy on line 4 is reported with line and column",
           any(g.startswith("seeded.c:4:2: banned: strcpy()") for g in got))
    expect("the advice names the replacement", any("use snprintf()" in g for g in got))
    expect("an allowed strcat is not reported", not any(":5:" in g for g in got))
    expect("sprintf is reported, text in strings and comments is not",
           [g for g in got if ":6:" in g] == [g for g in got if ":6:2: banned: sprintf()" in g]
           and any(":6:2:" in g for g in got))
    expect("struct members named like banned functions are not reported",
           not any(":7:" in g or ":8:" in g for g in got))
    expect("a marker for a function that is not banned is reported",
           any("seeded.c:9: lint: allow memcpy, but memcpy() is not banned" in g for g in got))
    expect("a marker on a line that does not call the function is reported",
           check_banned("u.c", "int x; /* lint: allow strcpy (old) */\n")
           == ["u.c:1: lint: allow strcpy, but the line does not call strcpy(): drop the marker"])
    expect("an allow marker without a reason is reported (and does not allow)",
           any("seeded.c:10: lint: allow gets needs a reason" in g for g in got)
           and any("seeded.c:10:2: banned: gets()" in g for g in got))
    expect("my_strcpy is not strcpy", not any(":11:" in g for g in got))
    expect("exactly 5 findings", len(got) == 5)
    expect("a multi-line comment keeps line numbers",
           check_banned("m.c", "/* a\n * b strcpy(x)\n */\nint y = atoi(s);\n")
           == ["m.c:4:9: banned: atoi(): use " + BANNED["atoi"] +
               " (or, if it must stay, say why on the line: /* lint: allow atoi (why) */)"])

    # The whole checker on a file, as ctest runs it: exit status 1 and the finding printed.
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "seeded.c")
        with open(p, "w") as fh:
            fh.write("void f(char *d, const char *s)\n{\n\tstrcpy(d, s);\n}\n")
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "banned", p],
                           capture_output=True, text=True)
        expect("`checksrc.py banned FILE` exits 1 on a seeded strcpy", r.returncode == 1
               and ":3:2: banned: strcpy()" in r.stdout)
        if clang_format:
            bad = os.path.join(d, "bad.c")
            with open(bad, "w") as fh:
                fh.write("int  f( int x ){return x;}\n")
            r = subprocess.run([clang_format, "--dry-run", "-Werror",
                                "--style=file:" + os.path.join(ROOT, ".clang-format"), bad],
                               capture_output=True, text=True)
            expect("clang-format --dry-run -Werror fails on a badly formatted file",
                   r.returncode != 0 and "bad.c:1:" in r.stderr)
    if failures:
        print("lint self-test: %d check(s) failed" % len(failures))
        return 1
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "banned":
        return cmd_banned(args)
    if cmd in ("format", "unformatted") and len(args) == 1:
        if not args[0]:
            print("lint: no clang-format-14 (packaging/install-deps.sh installs it): skipped")
            return 77
        return cmd_format(args[0]) if cmd == "format" else cmd_unformatted(args[0])
    if cmd == "self-test" and len(args) <= 1:
        return cmd_self_test(args[0] if args else None)
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
