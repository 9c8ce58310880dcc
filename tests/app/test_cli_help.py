#!/usr/bin/env python3
"""`ridgeline COMMAND --help` and the messages for mistyped input (docs/USER_GUIDE.md,
"Command line"):

- every command with a table prints its usage, options (a default or "(required)" for each
  that takes a value) and examples, the same for `--help`, `-h` and `help COMMAND`, exit 0;
- every option the README (and the user guide's command-line section) mentions for a command
  appears in that command's --help, and every option in --help is accepted by the parser
  (a flag refuses a value, an option needs one);
- an unknown command or option names the nearest one; no message names the command twice.

    test_cli_help.py RIDGELINE SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

EXE, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
failures = []


def run(*args, cwd=None):
    r = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=60, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


def check(ok, what):
    if not ok:
        failures.append(what)


# ---------------------------------------------------------------- the overview and each help
rc, overview, _ = run("--help")
check(rc == 0, "--help: exit %d" % rc)
commands = []  # those with a table; "see: ridgeline X --help" marks one without
section = overview.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0] if "\ncommands:\n" in overview else ""
for line in section.splitlines():
    m = re.match(r"  (\S+)\s{2,}(.*)", line)
    if m and m.group(1) != "help" and not m.group(2).startswith("see: "):
        commands.append(m.group(1))
if not {"train", "interpolate", "align", "merge", "run", "runs"} <= set(commands):
    failures.append("the overview's commands section lists %s" % commands)
    commands = sorted(set(commands) | {"train", "interpolate", "align", "merge", "run", "runs"})

helps = {}
for cmd in commands:
    rc, text, err = run(cmd, "--help")
    check(rc == 0 and err == "", "%s --help: exit %d, stderr %r" % (cmd, rc, err))
    for variant in ([cmd, "-h"], ["help", cmd], [cmd, "--json", "--help"]):
        rc2, text2, _ = run(*variant)
        check(rc2 == 0 and text2 == text, "%s: not the same help as %s --help" % (variant, cmd))
    check(text.startswith("usage: ridgeline " + cmd), "%s --help: no usage line:\n%s" % (cmd, text))
    check("\nexamples:\n  ridgeline " + cmd in text, "%s --help: no example" % cmd)
    opts = {}
    block = text.split("\noptions:\n", 1)[1].split("\n\n", 1)[0] if "\noptions:\n" in text else ""
    lines = block.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"  --([a-z0-9-]+)(?: (\S+))?(.*)", line)
        if not m:
            continue
        # The meaning, wrapped onto indented lines below.
        rest = m.group(3).strip()
        for more in lines[i + 1:]:
            if not more.startswith("    "):
                break
            rest += " " + more.strip()
        rest = rest.strip()
        opts[m.group(1)] = bool(m.group(2))
        check(rest != "", "%s --%s: no meaning given" % (cmd, m.group(1)))
        if m.group(2):
            check("(default: " in rest or rest.startswith("(required)"),
                  "%s --%s: neither a default nor (required): %r" % (cmd, m.group(1), rest))
    check(len(opts) > 0, "%s --help lists no options" % cmd)
    helps[cmd] = opts

# ------------------------------------------- every option in --help is what the parser accepts
# Arguments that make each command stop with bad input before any work, whatever the option.
stop = {"train": ["train", "extra"], "interpolate": ["interpolate"], "align": ["align"],
        "merge": ["merge"], "run": ["run"], "runs": ["runs", "list", "extra"],
        "figure": ["figure"], "study": ["study"], "landscape": ["landscape"], "curve": ["curve"],
        "spectra": ["spectra"], "layerwise": ["layerwise"],
        "hessian": ["hessian"], "tasks": ["tasks"], "attention": ["attention"]}
with tempfile.TemporaryDirectory() as work:
    for cmd, opts in helps.items():
        base = stop.get(cmd)
        if base is None:
            failures.append("no bad-input arguments known for %s: add it to `stop`" % cmd)
            continue
        for name, takes_value in opts.items():
            rc, _, err = run(*base, "--%s=x" % name if takes_value else "--" + name, cwd=work)
            check(rc == 2 and "unknown option" not in err, "%s --%s: not accepted: %s" % (cmd, name, err))
            if takes_value:
                rc, _, err = run(*base, "--" + name, cwd=work)
                check(rc == 2 and "--%s: missing value" % name in err,
                      "%s --%s without a value: %s" % (cmd, name, err))
            else:
                rc, _, err = run(*base, "--%s=1" % name, cwd=work)
                check(rc == 2 and "--%s: takes no value" % name in err,
                      "%s --%s=1: %s" % (cmd, name, err))

# ------------------------------------------------ options the docs mention appear in --help
DATA_COMMANDS = [c for c, o in helps.items() if "data" in o]


def doc_mentions(path, heading):
    """(command, option) pairs from the section `heading` of a Markdown file: command lines in
    its code blocks, and bullets that start with a command in backticks (or "Data:")."""
    text = open(path, encoding="utf-8").read()
    start = text.find(heading)
    if start < 0:
        failures.append("%s has no section %r" % (path, heading))
        return set()
    end = text.find("\n## ", start + len(heading))
    text = text[start:end if end > 0 else len(text)]
    pairs = set()
    in_code = False
    bullet_cmds = []
    for line in text.splitlines():
        if line.startswith("```"):
            # A "console" block shows mistakes on purpose (mistyped options): not checked.
            in_code = False if in_code else ("console" if line.strip() == "```console" else True)
            continue
        if in_code == "console":
            continue
        if in_code:
            m = re.match(r"\s*(?:\$ )?(?:\$B|ridgeline|build/app/ridgeline)\s+([a-z]+)(\s.*|$)", line)
            if m and m.group(1) in helps:
                for opt in re.findall(r"--([a-z][a-z0-9-]*)", m.group(2).split("#")[0]):
                    if opt != "help":  # every command takes it
                        pairs.add((m.group(1), opt, line.strip()))
            continue
        if line.startswith("- "):
            m = re.match(r"- `([a-z]+)[ `]", line)
            bullet_cmds = [m.group(1)] if m and m.group(1) in helps else (
                DATA_COMMANDS if line.startswith("- Data:") else [])
        elif not line.startswith("  "):
            bullet_cmds = []
        for cmd in bullet_cmds:
            for opt in re.findall(r"--([a-z][a-z0-9-]*)", line):
                pairs.add((cmd, opt, line.strip()))
    return pairs


mentions = doc_mentions(SRC + "/README.md", "## Command line")
check(("train", "warmup-epochs") in {(c, o) for c, o, _ in mentions}, "README parse found no train --warmup-epochs")
mentions |= doc_mentions(SRC + "/docs/USER_GUIDE.md", "## Command line")
for cmd, opt, line in sorted(mentions):
    check(opt in helps.get(cmd, {}), "docs mention %s --%s (%r) but `ridgeline %s --help` lacks it" % (cmd, opt, line, cmd))

# ----------------------------------------------------- mistyped commands and options
expected = [
    (["trian"], "ridgeline: unknown command 'trian'; did you mean 'train'?\n"),
    (["interpolat", "A", "B"], "ridgeline: unknown command 'interpolat'; did you mean 'interpolate'?\n"),
    (["help", "mrege"], "ridgeline: unknown command 'mrege'; did you mean 'merge'?\n"),
    (["xyzzy"], "ridgeline: unknown command 'xyzzy' (see: ridgeline --help)\n"),
    (["train", "--epoch", "3"], "ridgeline train: unknown option '--epoch'; did you mean '--epochs'?\n"),
    (["train", "-epochs", "3"], "ridgeline train: unknown option '-epochs'; did you mean '--epochs'?\n"),
    (["train", "--warmup=2"], "ridgeline train: unknown option '--warmup'; did you mean '--warmup-epochs'?\n"),
    (["align", "A", "B", "--mehtod", "wm"], "ridgeline align: unknown option '--mehtod'; did you mean '--method'?\n"),
    (["train", "--bogus", "1"], "ridgeline train: unknown option '--bogus' (see: ridgeline train --help)\n"),
    (["runs", "lsit"], "ridgeline runs: unknown action 'lsit'; expected 'list' or 'show ID'; did you mean 'list'?\n"),
    (["runs", "list", "--jsno"], "ridgeline runs list: unknown option '--jsno'; did you mean '--json'?\n"),
    (["tasks", "--task", "mqra"], "ridgeline tasks: --task: unknown task 'mqra'; did you mean 'mqar'?\n"),
    (["tasks", "--task", "mqar", "--pair", "4"], "ridgeline tasks: unknown option '--pair'; did you mean '--pairs'?\n"),
]
for args, message in expected:
    rc, out, err = run(*args)
    check(rc == 2 and err == message, "ridgeline %s: exit %d, stderr %r, expected %r" % (" ".join(args), rc, err, message))

# ------------------------------------------------ no message names the command twice
with tempfile.TemporaryDirectory() as work:
    for args in (["interpolate", "A.safetensors"], ["align", "A.safetensors"], ["merge", "A.safetensors"],
                 ["train", "extra"], ["run"], ["run", "a.json", "b.json"], ["runs"], ["runs", "list", "x"],
                 ["runs", "show"], ["runs", "show", "x", "--workspace", "."], ["tasks"],
                 ["tasks", "--task", "mqar", "--vocab", "64"]):
        rc, _, err = run(*args, cwd=work)
        m = re.match(r"ridgeline ((?:runs (?:list|show))|[a-z]+): (.*)", err)
        check(rc == 2 and m is not None, "ridgeline %s: exit %d, %r" % (" ".join(args), rc, err))
        if m:
            rest = m.group(2)
            check(not re.match(r"(%s|%s)\b" % (re.escape(m.group(1)), args[0]), rest),
                  "ridgeline %s: doubled prefix: %r" % (" ".join(args), err))

for f in failures:
    print("FAIL:", f)
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
