"""End-to-end tests of bad input: every mistake, hostile key, broken lake, full disk or
race gets one clear line and a non-zero exit, and leaves no partial object, no stray
index row, no event and nothing written outside the lake.

Some tests need root (tmpfs mounts, running as an unprivileged user); they skip with the
reason printed when that is not available.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

from lakeutil import (EXIT_FAIL, EXIT_PROBLEMS, EXIT_USAGE, SLUICE, ZONES, LakeTest,
                      base_env, run, sha256)


def skip(reason):
    print("\nSKIP: " + reason, file=sys.stderr)
    raise unittest.SkipTest(reason)


class TestUsageErrors(LakeTest):
    def test_unknown_command(self):
        p = self.refused(EXIT_USAGE, "frobnicate")
        self.assertIn("frobnicate", p.stderr)
        self.assertIn("unknown command", p.stderr)

    def test_unknown_flag(self):
        for args, flag in ((("--frob", "ls"), "--frob"), (("ls", "--frob"), "--frob"),
                           (("put", "-x", "f"), "-x"), (("queue", "peek", "raw", "--bogus"),
                                                        "--bogus")):
            p = self.refused(EXIT_USAGE, *args, lake=False)
            self.assertIn(flag, p.stderr)
            self.assertIn("unknown option", p.stderr)
        self.assertLakeEmpty()

    def test_missing_flag_value(self):
        f = self.write("f", b"f")
        for args, flag in ((("put", f, "--key"), "--key"), (("put", f, "--zone"), "--zone"),
                           (("put", f, "--prefix"), "--prefix"),
                           (("queue", "receive", "raw", "--max"), "--max"),
                           (("ls", "--lake"), "--lake")):
            p = self.refused(EXIT_USAGE, *args)
            self.assertIn(flag, p.stderr)
            self.assertIn("value", p.stderr)
        self.assertLakeEmpty()

    def test_global_lake_flag_without_value_says_so(self):
        # `sluice ls --lake` says "option '--lake' needs a value"; the global form must not
        # call the documented --lake option unknown.
        p = self.refused(EXIT_USAGE, "--lake", lake=False)
        self.assertIn("--lake", p.stderr)
        self.assertNotIn("unknown option", p.stderr)
        self.assertIn("value", p.stderr)

    def test_wrong_arguments(self):
        f = self.write("f", b"f")
        cases = [("put",), ("put", f, f, "--key", "k"), ("put", f, "--zone", "attic"),
                 ("ls", "attic"), ("ls", "landing", "raw"), ("cat",), ("rm",),
                 ("status", "x"), ("fsck", "x"), ("init", "a", "b"), ("help", "frob")]
        for args in cases:
            self.refused(EXIT_USAGE, *args)
        for args in (("cat", "attic/x"), ("rm", "attic/x"), ("cat", "landing")):
            self.refused((EXIT_USAGE, EXIT_FAIL), *args)
        self.assertLakeEmpty()


class TestMissingLake(LakeTest):
    make_lake = False
    COMMANDS = (("ls",), ("ls", "landing"), ("put", "-", "--key", "k"), ("cat", "landing/k"),
                ("rm", "landing/k"), ("status",), ("fsck",), ("fsck", "--repair"),
                ("queue", "ls"), ("queue", "send", "raw", "m"))

    def test_lake_dir_absent(self):
        absent = os.path.join(self.tmp, "absent")
        for args in self.COMMANDS:
            p = self.refused(EXIT_FAIL, *args, lake=absent, input=b"data")
            self.assertIn("does not exist", p.stderr)
            self.assertIn("sluice init", p.stderr)
            self.assertFalse(os.path.exists(absent), "%r created the lake dir" % (args,))

    def test_dir_is_not_a_lake(self):
        plain = os.path.join(self.tmp, "plain")
        os.mkdir(plain)
        self.write("plain/notes.txt", b"mine")
        for args in self.COMMANDS:
            p = self.refused(EXIT_FAIL, *args, lake=plain, input=b"data")
            self.assertIn("not a sluice lake", p.stderr)
            self.assertEqual(sorted(os.listdir(plain)), ["notes.txt"],
                             "%r wrote into a directory that is not a lake" % (args,))
        p = run(["ls"], cwd=plain)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr, "not a sluice lake")

    def test_lake_path_is_a_file(self):
        f = self.write("afile", b"contents")
        self.refused(EXIT_FAIL, "ls", lake=f)
        self.refused(EXIT_FAIL, "init", f, lake=False)
        self.refused(EXIT_FAIL, "init", os.path.join(f, "sub"), lake=False)
        with open(f, "rb") as fh:
            self.assertEqual(fh.read(), b"contents")


# (key, what the one-line message must name)
INVALID_KEYS = [
    (b"/lead", "starts with '/'"),
    (b"trail/", "ends with '/'"),
    (b"a/../b", "'..' segment"),
    (b"..", "'..' segment"),
    (b"a/./b", "'.' segment"),
    (b"a//b", "empty segment"),
    (b"a\x01b", "control character"),
    (b"a\x7fb", "control character"),
    (b"a\xc2\x85b", "control character"),  # U+0085, a C1 control
    (b"a\xffb", "UTF-8"),
    (b"a\xc3", "UTF-8"),                  # truncated sequence
    (b"\xed\xa0\x80", "UTF-8"),           # encoded surrogate
    (b"/".join([b"a" * 200] * 5) + b"/" + b"b" * 20, "1025 bytes"),
    (b"s" * 256, "256 bytes"),
    (b"ok/" + b"s" * 256 + b"/ok", "256 bytes"),
]


class TestInvalidKeys(LakeTest):
    def test_invalid_keys_are_refused_and_leave_nothing(self):
        src = self.write("src.bin", b"payload")
        for key, rule in INVALID_KEYS:
            with self.subTest(key=key):
                p = self.refused((EXIT_USAGE, EXIT_FAIL), "put", src, "--key", key)
                self.assertIn(rule.lower(), p.stderr.lower())
                self.assertIn("key", p.stderr.lower())
                p = self.refused((EXIT_USAGE, EXIT_FAIL), "put", "-", "--key", key,
                                 "--zone", "raw", input=b"x")
                self.assertIn(rule.lower(), p.stderr.lower())
        self.assertLakeEmpty()

    def test_invalid_prefix_is_refused(self):
        src = self.write("src.bin", b"payload")
        for prefix in ("../", "/abs/", "a//", "./"):
            self.refused((EXIT_USAGE, EXIT_FAIL), "put", "--prefix", prefix, src)
        self.assertLakeEmpty()

    def test_invalid_keys_cannot_read_or_remove_outside_the_zone(self):
        self.put_bytes("inside", b"inside")
        for arg in ("landing/../sluice.yaml", "landing/../.sluice/format",
                    "landing//inside", "landing/./inside", "landing/inside/",
                    "raw/../landing/inside"):
            p = self.refused((EXIT_USAGE, EXIT_FAIL), "cat", arg)
            self.assertEqual(p.stdout, b"", arg)
            self.refused((EXIT_USAGE, EXIT_FAIL), "rm", arg)
        self.assertTrue(os.path.isfile(os.path.join(self.lake, "sluice.yaml")))
        self.assertEqual(self.cat("landing/inside"), b"inside")
        self.assertFsckClean()

    def test_limits_are_exact(self):
        # the longest key and the longest segment are accepted
        longest = "/".join(["a" * 200] * 5) + "/" + "b" * 19
        self.assertEqual(len(longest.encode()), 1024)
        seg = "s" * 255
        unicode_key = "données/été/日本語/🙂.json"
        for key in (longest, seg, unicode_key, "a.b/..c/c..", "dot.", "-dash", "sp ace"):
            self.put_bytes(key, key.encode())
            self.assertEqual(self.cat("landing/" + key), key.encode())
        self.assertEqual(sorted(o["key"] for o in self.ls_json()),
                         sorted([longest, seg, unicode_key, "a.b/..c/c..", "dot.", "-dash",
                                 "sp ace"]))
        self.assertFsckClean("--verify")


class TestSymlinks(LakeTest):
    def setUp(self):
        super().setUp()
        self.outside = os.path.join(self.tmp, "outside")
        os.mkdir(self.outside)
        self.secret = self.write("outside/secret", b"TOP SECRET\n")

    def assertOutsideUntouched(self):
        self.assertEqual(sorted(os.listdir(self.outside)), ["secret"])
        with open(self.secret, "rb") as f:
            self.assertEqual(f.read(), b"TOP SECRET\n")

    def test_put_through_a_symlinked_directory_is_refused(self):
        os.symlink(self.outside, os.path.join(self.lake, "landing", "evil"))
        os.makedirs(os.path.join(self.lake, "raw", "deep"))
        os.symlink(self.outside, os.path.join(self.lake, "raw", "deep", "evil"))
        src = self.write("src", b"attack")
        for zone, key in (("landing", "evil/x"), ("landing", "evil/sub/x"),
                          ("raw", "deep/evil/x"), ("landing", "evil/secret")):
            p = self.refused(EXIT_FAIL, "put", src, "--zone", zone, "--key", key)
            self.assertIn("symbolic link", p.stderr)
        self.assertOutsideUntouched()
        self.assertEqual(self.index(), {})
        for z in ZONES:
            self.assertEqual(self.peek(z), [])
        self.assertEqual(self.tmp_entries(), [])

    def test_put_over_a_symlink_leaf_never_writes_outside(self):
        link = os.path.join(self.lake, "landing", "leaf")
        os.symlink(self.secret, link)
        p = self.sl("put", "-", "--key", "leaf", input=b"new bytes")
        self.assertOutsideUntouched()
        if p.returncode == 0:  # replacing the link itself is fine; following it is not
            self.assertFalse(os.path.islink(link))
            self.assertEqual(self.cat("landing/leaf"), b"new bytes")
        else:
            self.assertOneLine(p.stderr)

    def test_cat_and_rm_of_a_symlinked_object_are_refused(self):
        self.put_bytes("obj", b"mine")
        path = os.path.join(self.lake, "landing", "obj")
        os.unlink(path)
        os.symlink(self.secret, path)
        p = self.refused(EXIT_FAIL, "cat", "landing/obj")
        self.assertNotIn(b"SECRET", p.stdout)
        self.assertIn("symbolic link", p.stderr)
        # a planted link that was never indexed
        os.symlink(self.secret, os.path.join(self.lake, "landing", "planted"))
        p = self.refused(EXIT_FAIL, "cat", "landing/planted")
        self.assertNotIn(b"SECRET", p.stdout)
        self.sl("rm", "landing/obj")
        self.assertOutsideUntouched()

    def test_cat_and_rm_through_a_symlinked_parent_are_refused(self):
        self.put_bytes("d/secret", b"mine")
        shutil.rmtree(os.path.join(self.lake, "landing", "d"))
        os.symlink(self.outside, os.path.join(self.lake, "landing", "d"))
        p = self.refused(EXIT_FAIL, "cat", "landing/d/secret")
        self.assertNotIn(b"SECRET", p.stdout)
        self.sl("rm", "landing/d/secret")
        self.assertOutsideUntouched()
        p = self.sl("fsck", "--repair")
        self.assertIn(b"symbolic link", p.stdout)  # reported as odd, never followed
        self.assertOutsideUntouched()

    def test_zone_replaced_by_a_symlink(self):
        zone = os.path.join(self.lake, "landing")
        os.rmdir(zone)
        os.symlink(self.outside, zone)
        src = self.write("src", b"attack")
        p = self.refused(EXIT_FAIL, "put", src, "--key", "x")
        self.assertIn("symbolic link", p.stderr)
        self.refused(EXIT_FAIL, "cat", "landing/secret")
        self.assertOutsideUntouched()


class TestKeyConflicts(LakeTest):
    def test_object_then_object_below_it(self):
        self.put_bytes("a", b"object a")
        p = self.refused(EXIT_FAIL, "put", "-", "--key", "a/b", input=b"b")
        self.assertIn("a/b", p.stderr)
        self.assertIn("existing object", p.stderr)
        self.assertEqual(self.cat("landing/a"), b"object a")
        self.assertEqual([o["key"] for o in self.ls_json()], ["a"])
        self.assertEqual([e["key"] for e in self.events()], ["a"])
        self.assertEqual(self.tmp_entries(), [])
        self.assertFsckClean("--verify")

    def test_object_then_its_parent_prefix(self):
        self.put_bytes("a/b", b"object a/b")
        p = self.refused(EXIT_FAIL, "put", "-", "--key", "a", input=b"a")
        self.assertIn("prefix", p.stderr)
        self.assertEqual(self.cat("landing/a/b"), b"object a/b")
        self.assertEqual([o["key"] for o in self.ls_json()], ["a/b"])
        self.assertEqual([e["key"] for e in self.events()], ["a/b"])
        self.assertEqual(self.tmp_entries(), [])
        self.assertFsckClean("--verify")

    def test_empty_directories_left_by_a_killed_put_do_not_block_a_key(self):
        # A put of x/y/z creates x/ and x/y/ before it renames its temp file into place;
        # killed in between, it leaves empty directories and no object. After fsck
        # --repair, the key x (a prefix of no object) must be usable.
        os.makedirs(os.path.join(self.lake, "landing", "x", "y"))
        self.ok("fsck", "--repair")
        p = self.sl("put", "-", "--key", "x", input=b"x")
        self.assertEqual(p.returncode, 0, "put x refused although no object is below x/: "
                         + p.stderr.strip())
        self.assertEqual(self.cat("landing/x"), b"x")


class TestCorruptConfig(LakeTest):
    COMMANDS = (("ls",), ("ls", "landing"), ("put", "-", "--key", "k"), ("cat", "landing/k"),
                ("rm", "landing/k"), ("status",), ("fsck",), ("fsck", "--repair"),
                ("queue", "ls"), ("queue", "peek", "landing"), ("queue", "send", "raw", "m"))

    def corrupt(self, append):
        path = os.path.join(self.lake, "sluice.yaml")
        with open(path) as f:
            text = f.read()
        self.assertTrue(text.endswith("\n"))
        with open(path, "w") as f:
            f.write(text + append)
        return text.count("\n") + 1  # line of the appended text

    def assertEveryCommandFails(self, where, needle):
        for args in self.COMMANDS:
            p = self.refused(EXIT_FAIL, *args, input=b"data")
            self.assertIn("sluice.yaml:" + where, p.stderr, args)
            self.assertIn(needle, p.stderr, args)

    def test_unknown_key(self):
        line = self.corrupt("bogus_key: 1\n")
        self.assertEveryCommandFails("%d:1: " % line, "bogus_key")
        p = self.sl("config", "check")
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertIn("sluice.yaml:%d:1:" % line, p.stderr)

    def test_unknown_nested_key_and_bad_value(self):
        path = os.path.join(self.lake, "sluice.yaml")
        with open(path, "w") as f:
            f.write("version: 1\nstore:\n  fsync: maybe\n")
        self.assertEveryCommandFails("3:", "fsync")
        with open(path, "w") as f:
            f.write("version: 1\nqueues:\n  defaults:\n    visibilty_timeout: 5s\n")
        self.assertEveryCommandFails("4:5: ", "visibilty_timeout")

    def test_yaml_syntax_error(self):
        path = os.path.join(self.lake, "sluice.yaml")
        with open(path, "w") as f:
            f.write("version: 1\nstore: [fsync\n")
        for args in self.COMMANDS[:3]:
            p = self.refused(EXIT_FAIL, *args, input=b"data")
            self.assertRegex(p.stderr, r"sluice\.yaml:\d+:\d+: ")

    def test_nothing_happens_while_config_is_bad(self):
        self.corrupt("bogus_key: 1\n")
        for args in self.COMMANDS:
            self.sl(*args, input=b"data")
        path = os.path.join(self.lake, "sluice.yaml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("bogus_key: 1\n", ""))
        self.assertLakeEmpty()


class TestCorruptObject(LakeTest):
    def setUp(self):
        super().setUp()
        self.data = os.urandom(4096)
        self.put_bytes("obj.bin", self.data)
        self.path = os.path.join(self.lake, "landing", "obj.bin")

    def flip(self, keep_mtime):
        st = os.stat(self.path)
        bad = bytes(b ^ 0x5A for b in self.data[:100])
        fd = os.open(self.path, os.O_WRONLY)
        try:
            os.pwrite(fd, bad, 1000)
        finally:
            os.close(fd)
        if keep_mtime:  # bit rot: same inode, size and mtime
            os.utime(self.path, ns=(st.st_atime_ns, st.st_mtime_ns))
        st2 = os.stat(self.path)
        self.assertEqual((st2.st_ino, st2.st_size), (st.st_ino, st.st_size))

    def test_cat_reports_checksum_mismatch(self):
        self.flip(keep_mtime=False)
        p = self.refused(EXIT_FAIL, "cat", "landing/obj.bin")
        self.assertIn("does not match", p.stderr)
        p = self.sl("fsck", "--verify")
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertIn(b"landing/obj.bin", p.stdout)

    def test_silent_bit_rot_is_found_by_verify_and_flagged(self):
        self.flip(keep_mtime=True)
        p = self.refused(EXIT_FAIL, "cat", "landing/obj.bin")
        self.assertIn("does not match", p.stderr)
        self.assertFsckClean()  # a cheap fsck compares fingerprints only
        p = self.sl("fsck", "--verify")
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertRegex(p.stdout.decode(), r"(?m)^corrupt\s+landing/obj.bin")
        self.ok("fsck", "--verify", "--repair")
        self.assertEqual(self.ls_json()[0]["state"], "corrupt")
        self.assertEqual(json.loads(self.ok("status", "--json").stdout)["flagged_objects"], 1)
        p = self.refused(EXIT_FAIL, "cat", "landing/obj.bin")
        self.assertIn("corrupt", p.stderr)
        self.assertEqual(len(self.events()), 1, "flagging must not send an event")


class TestConcurrency(LakeTest):
    make_lake = False

    def test_concurrent_init(self):
        for attempt in range(3):
            lake = os.path.join(self.tmp, "lake%d" % attempt)
            procs = [subprocess.Popen([SLUICE, "init", lake], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, env=base_env())
                     for _ in range(8)]
            results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read().decode())
                       for p in procs]
            for p in procs:
                p.stdout.close()
                p.stderr.close()
            winners = [r for r in results if r[0] == 0]
            self.assertEqual(len(winners), 1, results)
            for rc, out, err in results:
                if rc:
                    self.assertEqual(rc, EXIT_FAIL)
                    self.assertOneLine(err, "already")
            self.put_bytes_to(lake, "k", b"works")
            p = run(["--lake", lake, "ls", "landing", "--json"])
            self.assertEqual([o["key"] for o in json.loads(p.stdout)], ["k"])
            p = run(["--lake", lake, "fsck"])
            self.assertEqual(p.returncode, 0, p.stdout)

    def put_bytes_to(self, lake, key, data):
        p = run(["--lake", lake, "put", "-", "--key", key], input=data)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_concurrent_puts_of_one_key_leave_index_and_file_agreeing(self):
        # Last writer wins, as in S3; but the index must describe the bytes that won.
        lake = os.path.join(self.tmp, "lake")
        self.ok("init", lake, lake=False)
        contents = [os.urandom(20000) for _ in range(6)]
        files = [self.write("src%d" % i, c) for i, c in enumerate(contents)]
        sums = {sha256(c): c for c in contents}
        for attempt in range(10):
            procs = [subprocess.Popen([SLUICE, "--lake", lake, "put", f, "--key", "same"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=base_env()) for f in files]
            for p in procs:
                out, err = p.communicate(timeout=60)
                self.assertEqual(p.returncode, 0, err)
            obj = json.loads(run(["--lake", lake, "ls", "landing", "--json"]).stdout)[0]
            with open(os.path.join(lake, "landing", "same"), "rb") as f:
                on_disk = f.read()
            self.assertIn(obj["checksum"], sums)
            self.assertEqual(sha256(on_disk), obj["checksum"],
                             "attempt %d: the index names other bytes than the file holds"
                             % attempt)
            p = run(["--lake", lake, "cat", "landing/same"])
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run(["--lake", lake, "fsck"])
            self.assertEqual(p.returncode, 0, p.stdout.decode())


def nobody_prefix():
    """Command prefix that runs a program as nobody, or None."""
    if os.geteuid() != 0:
        return None
    for cand in (["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
                 ["runuser", "-u", "nobody", "--"]):
        if shutil.which(cand[0]):
            p = subprocess.run(cand + ["true"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if p.returncode == 0:
                return cand
    return None


class TestUnwritable(LakeTest):
    def setUp(self):
        super().setUp()
        self.nobody = nobody_prefix()
        if self.nobody is None:
            skip("needs root and setpriv or runuser to run sluice as an unprivileged user")
        probe = subprocess.run(self.nobody + [SLUICE, "--version"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        if probe.returncode != 0:
            skip("user nobody cannot execute %s (check the directory permissions)" % SLUICE)
        os.chmod(self.tmp, 0o755)  # nobody may enter, not write

    def as_nobody(self, *args, **kw):
        return run(args, prefix=self.nobody, **kw)

    def test_init_in_a_directory_owned_by_root(self):
        ro = os.path.join(self.tmp, "ro")
        os.mkdir(ro, 0o755)
        for target in (os.path.join(ro, "lake"), ro):
            p = self.as_nobody("init", target)
            self.assertEqual(p.returncode, EXIT_FAIL, p.stderr)
            self.assertOneLine(p.stderr, "permission denied")
            self.assertEqual(os.listdir(ro), [])

    def test_put_into_a_lake_owned_by_root(self):
        src = self.write("src.txt", b"from nobody")
        os.chmod(src, 0o644)
        p = self.as_nobody("--lake", self.lake, "put", src)
        self.assertEqual(p.returncode, EXIT_FAIL, p.stderr)
        self.assertOneLine(p.stderr)
        low = p.stderr.lower()
        self.assertTrue(any(w in low for w in ("permission", "read-only", "readonly")),
                        p.stderr)
        self.assertLakeEmpty()
        self.assertFsckClean()


class TmpfsTest(LakeTest):
    """A lake on a 2 MiB tmpfs at self.lake."""
    make_lake = False

    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.tmp, "mnt")
        os.mkdir(self.mnt)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", self.mnt],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            skip("cannot mount a tmpfs: " + p.stdout.decode().strip())
        self.addCleanup(subprocess.run, ["umount", "-l", self.mnt])
        self.lake = os.path.join(self.mnt, "lake")
        self.ok("init", self.lake, lake=False)
        self.small = {}
        for i in range(3):
            data = os.urandom(1000 * (i + 1))
            self.small["s%d" % i] = (data, self.put_bytes("s%d" % i, data))
        self.fill_path = os.path.join(self.mnt, "fill")

    def fill(self, leave_kib):
        """Fills the file system up to leave_kib KiB free (outside the lake)."""
        self.unfill()
        st = os.statvfs(self.mnt)
        avail = st.f_bavail * st.f_frsize
        size = max(0, avail - leave_kib * 1024)
        with open(self.fill_path, "wb") as f:
            try:
                f.write(b"\0" * size)
            except OSError:
                pass

    def unfill(self):
        if os.path.exists(self.fill_path):
            os.unlink(self.fill_path)

    def assertSmallObjectsIntact(self):
        self.unfill()
        objs = {o["key"]: o for o in self.ls_json()}
        for key, (data, put) in self.small.items():
            self.assertEqual(objs[key]["checksum"], sha256(data))
            self.assertEqual(self.cat("landing/" + key), data)
        self.assertEqual(self.tmp_entries(), [])
        self.assertFsckClean("--verify")


class TestDiskFull(TmpfsTest):
    def test_big_put_on_full_disk(self):
        big = self.write("big.bin", os.urandom(4 * 1024 * 1024))
        p = self.sl("put", big)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr)
        self.assertIn("no space", p.stderr.lower())
        self.assertEqual(self.tmp_entries(), [])
        self.assertEqual(sorted(o["key"] for o in self.ls_json()), sorted(self.small))
        self.assertFalse(os.path.exists(os.path.join(self.lake, "landing", "big.bin")))
        self.assertEqual(len(self.events()), len(self.small))
        self.assertSmallObjectsIntact()

    def test_failed_overwrite_keeps_the_previous_object(self):
        # Walk the free space down until an overwrite fails: whatever step fails (temp
        # file, rename, metadata commit), the object that was there must survive.
        versions = [os.urandom(3000), os.urandom(3000)]
        self.put_bytes("victim", versions[0])
        cur_data = versions[0]
        failed = None
        for leave in range(120, -1, -4):
            self.fill(leave)
            data = versions[1] if cur_data == versions[0] else versions[0]
            p = self.sl("put", "-", "--key", "victim", input=data)
            if p.returncode == 0:
                cur_data = data
                continue
            failed = (leave, p.stderr.strip())
            break
        self.unfill()
        self.assertIsNotNone(failed, "no put failed even on a full disk")
        objs = {o["key"]: o for o in self.ls_json()}
        p = self.sl("cat", "landing/victim")
        self.assertEqual((p.returncode, sha256(p.stdout)), (0, sha256(cur_data)),
                         "after a put failed with %r (%d KiB free), the object it would "
                         "have replaced is damaged: index %s, cat: %s" % (
                             failed[1], failed[0], objs.get("victim"), p.stderr.strip()))
        self.assertSmallObjectsIntact()

    def test_errors_on_a_nearly_full_disk_name_the_cause(self):
        src = self.write("small.bin", os.urandom(2000))
        stored = False
        for leave in (8, 0):
            self.fill(leave)
            for args in (("put", src, "--key", "more"), ("ls", "landing")):
                p = self.sl(*args)
                if p.returncode == 0:
                    stored = stored or args[0] == "put"
                    continue  # coping with a full disk is better still
                self.assertEqual(p.returncode, EXIT_FAIL)
                self.assertOneLine(p.stderr)
                low = p.stderr.lower()
                self.assertTrue("no space" in low or "disk is full" in low or
                                "disk full" in low,
                                "%d KiB free, %s: the message does not say the disk is "
                                "full: %s" % (leave, args[0], p.stderr.strip()))
        self.unfill()
        self.assertEqual("more" in [o["key"] for o in self.ls_json()], stored)
        self.assertSmallObjectsIntact()


if __name__ == "__main__":
    unittest.main()
