"""Shared helpers for the end-to-end tests: run the built `sluice` over a scratch lake.

The binary is $SLUICE, else build/sluice under the repository root. Every test gets a
fresh temporary directory; the environment the binary sees has no SLUICE_LAKE unless a
test sets it, so a developer's own lake can never leak into a test.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLUICE = os.path.abspath(os.environ.get("SLUICE") or os.path.join(REPO, "build", "sluice"))

ZONES = ("landing", "raw", "deadletter", "curated")
EXIT_OK, EXIT_USAGE, EXIT_FAIL, EXIT_PROBLEMS = 0, 1, 2, 3
PUT_LINE = re.compile(
    r"^put (landing|raw|deadletter|curated)/(.+) seq=(\d+) size=(\d+) (sha256:[0-9a-f]{64})$")


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_LAKE"}
    env["LC_ALL"] = "C"
    env.update(extra)
    return env


def run(args, cwd=None, env=None, input=None, timeout=60, prefix=()):
    """Runs sluice with args (str or bytes items); returns CompletedProcess with
    stdout as bytes and stderr as text."""
    cmd = list(prefix) + [SLUICE] + list(args)
    p = subprocess.run(cmd, cwd=cwd, env=env if env is not None else base_env(),
                       input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    p.stderr = p.stderr.decode("utf-8", "replace")
    return p


class LakeTest(unittest.TestCase):
    """A test over a fresh lake at self.lake (created unless make_lake is False)."""

    make_lake = True

    @classmethod
    def setUpClass(cls):
        if not os.access(SLUICE, os.X_OK):
            raise unittest.SkipTest("no sluice binary at %s (set SLUICE)" % SLUICE)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.lake = os.path.join(self.tmp, "lake")
        if self.make_lake:
            self.ok("init", self.lake, lake=False)

    # ---- running ----------------------------------------------------------------------

    def sl(self, *args, lake=True, **kw):
        """Runs sluice, with --lake self.lake first unless lake is False (or a path)."""
        if lake is True:
            args = ("--lake", self.lake) + args
        elif lake:
            args = ("--lake", lake) + args
        return run(args, **kw)

    def ok(self, *args, **kw):
        p = self.sl(*args, **kw)
        self.assertEqual(p.returncode, 0, "sluice %s failed (%d): %s" % (
            " ".join(map(str, args)), p.returncode, p.stderr))
        return p

    def refused(self, codes, *args, **kw):
        """Runs sluice expecting an exit code in codes and exactly one line on stderr;
        returns the process."""
        p = self.sl(*args, **kw)
        if isinstance(codes, int):
            codes = (codes,)
        self.assertIn(p.returncode, codes, "sluice %r: exit %d, stderr %r" % (
            args, p.returncode, p.stderr))
        self.assertOneLine(p.stderr)
        return p

    def assertOneLine(self, text, *needles):
        lines = text.splitlines()
        self.assertEqual(len(lines), 1, "expected one line of error, got %r" % text)
        self.assertTrue(lines[0].strip(), "empty error line")
        for n in needles:
            self.assertIn(n.lower(), lines[0].lower(), "%r not in %r" % (n, lines[0]))

    # ---- files ------------------------------------------------------------------------

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def put_bytes(self, key, data, *extra):
        """Puts data under key (landing unless --zone in extra); returns the parsed line."""
        p = self.ok("put", "-", "--key", key, *extra, input=data)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        m = PUT_LINE.match(lines[0])
        self.assertIsNotNone(m, lines[0])
        return {"zone": m.group(1), "key": m.group(2), "seq": int(m.group(3)),
                "size": int(m.group(4)), "checksum": m.group(5)}

    def cat(self, zone_key):
        return self.ok("cat", zone_key).stdout

    # ---- inspecting -------------------------------------------------------------------

    def ls_json(self, arg="landing"):
        return json.loads(self.ok("ls", arg, "--json").stdout)

    def index(self):
        """{(zone, key): object} over every zone."""
        out = {}
        for z in ZONES:
            for o in self.ls_json(z):
                out[(o["zone"], o["key"])] = o
        return out

    def peek(self, queue="landing"):
        return json.loads(self.ok("queue", "peek", queue, "--limit", "1000000", "--json").stdout)

    def events(self, queue="landing"):
        return [json.loads(m["body"]) for m in self.peek(queue)]

    def zone_files(self, lake=None):
        """{(zone, key): bytes} of every regular file under the zones, plus a list of
        every entry that is neither a regular file nor a directory."""
        lake = lake or self.lake
        files, odd = {}, []
        for z in ZONES:
            top = os.path.join(lake, z)
            for dirpath, dirnames, filenames in os.walk(top):
                for n in dirnames + filenames:
                    p = os.path.join(dirpath, n)
                    if os.path.islink(p):
                        odd.append(p)
                for n in filenames:
                    p = os.path.join(dirpath, n)
                    if os.path.isfile(p) and not os.path.islink(p):
                        with open(p, "rb") as f:
                            files[(z, os.path.relpath(p, top))] = f.read()
        return files, odd

    def tmp_entries(self, lake=None):
        return os.listdir(os.path.join(lake or self.lake, ".sluice", "tmp"))

    def assertLakeEmpty(self):
        """Nothing in any zone, index, queue or temp directory."""
        files, odd = self.zone_files()
        self.assertEqual(files, {})
        self.assertEqual(odd, [])
        for z in ZONES:
            self.assertEqual(os.listdir(os.path.join(self.lake, z)), [], z)
        self.assertEqual(self.index(), {})
        for z in ZONES:
            self.assertEqual(self.peek(z), [], "queue " + z)
        self.assertEqual(self.tmp_entries(), [])

    def assertFsckClean(self, *extra):
        p = self.sl("fsck", *extra)
        self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr)
        self.assertIn(b" 0 problems", p.stdout)
