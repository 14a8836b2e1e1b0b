"""End-to-end tests of the sluice command line on a scratch lake: what a user does with
init, put, ls, cat, rm, queue, status, fsck and config, and the exit codes they rely on.

Run: SLUICE=build/sluice python3 -m unittest -v test_cli   (from tests/e2e), or run.sh.
"""
import json
import os
import random
import re
import select
import subprocess
import time
import unittest

from lakeutil import (EXIT_FAIL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, PUT_LINE, SLUICE, ZONES,
                      LakeTest, base_env, run, sha256)

COMMANDS = ("init", "put", "ls", "cat", "rm", "queue", "status", "fsck", "config", "help",
            "version")


class TestInit(LakeTest):
    make_lake = False

    def test_init_creates_layout_and_config(self):
        lake = os.path.join(self.tmp, "deep", "er", "lake")  # parents are created too
        p = self.ok("init", lake, lake=False)
        self.assertIn(b"initialised", p.stdout)
        self.assertEqual(p.stderr, "")
        for z in ZONES:
            self.assertTrue(os.path.isdir(os.path.join(lake, z)), z)
            self.assertEqual(os.listdir(os.path.join(lake, z)), [])
        for f in ("format", "meta.db", "lock"):
            self.assertTrue(os.path.isfile(os.path.join(lake, ".sluice", f)), f)
        self.assertTrue(os.path.isdir(os.path.join(lake, ".sluice", "tmp")))
        with open(os.path.join(lake, "sluice.yaml")) as f:
            text = f.read()
        self.assertIn("version: 1", text)
        self.assertIn("#", text, "sluice.yaml should carry comments")
        self.ok("config", "check", lake=lake)
        summary = json.loads(self.ok("ls", "--json", lake=lake).stdout)
        self.assertEqual(summary, [{"zone": z, "objects": 0, "bytes": 0} for z in ZONES])

    def test_second_init_fails_with_one_line_and_changes_nothing(self):
        self.ok("init", self.lake, lake=False)
        put = self.put_bytes("keep/me", b"precious")
        with open(os.path.join(self.lake, "sluice.yaml"), "rb") as f:
            yaml_before = f.read()
        for args, lake in ((("init", self.lake), False), (("init",), True)):
            p = self.sl(*args, lake=lake)
            self.assertNotEqual(p.returncode, 0)
            self.assertEqual(p.returncode, EXIT_FAIL)
            self.assertOneLine(p.stderr, "already")
        with open(os.path.join(self.lake, "sluice.yaml"), "rb") as f:
            self.assertEqual(f.read(), yaml_before)
        self.assertEqual(self.cat("landing/keep/me"), b"precious")
        self.assertEqual([e["seq"] for e in self.events()], [put["seq"]])

    def test_init_without_dir_uses_cwd(self):
        os.mkdir(self.lake)
        p = run(["init"], cwd=self.lake)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.lake, ".sluice", "format")))

    def test_init_keeps_a_valid_prepared_config(self):
        os.mkdir(self.lake)
        text = ("version: 1\nqueues:\n  landing:\n    visibility_timeout: 5m\n")
        with open(os.path.join(self.lake, "sluice.yaml"), "w") as f:
            f.write(text)
        self.ok("init", self.lake, lake=False)
        with open(os.path.join(self.lake, "sluice.yaml")) as f:
            self.assertEqual(f.read(), text)
        st = json.loads(self.ok("queue", "stats", "landing", "--json").stdout)
        self.assertEqual(st[0]["visibility_timeout_ms"], 300000)

    def test_init_refuses_an_invalid_prepared_config_and_leaves_no_lake(self):
        os.mkdir(self.lake)
        with open(os.path.join(self.lake, "sluice.yaml"), "w") as f:
            f.write("version: 1\nstore:\n  fsink: true\n")
        p = self.refused(EXIT_FAIL, "init", self.lake, lake=False)
        self.assertRegex(p.stderr, r"sluice\.yaml:3:3:")
        self.assertFalse(os.path.exists(os.path.join(self.lake, ".sluice", "format")))
        self.assertEqual(self.sl("ls").returncode, EXIT_FAIL)  # not a lake
        with open(os.path.join(self.lake, "sluice.yaml"), "w") as f:
            f.write("version: 1\n")
        self.ok("init", self.lake, lake=False)  # fixed: init now succeeds
        self.put_bytes("x", b"x")


class TestLakeDiscovery(LakeTest):
    make_lake = False

    def setUp(self):
        super().setUp()
        self.lakes = {}
        for name in ("flag", "env", "cwd"):
            d = os.path.join(self.tmp, name)
            self.ok("init", d, lake=False)
            self.ok("put", "-", "--key", "from-" + name, input=name.encode(), lake=d)
            self.lakes[name] = d

    def keys_seen(self, cwd, env_lake=None, pre=(), post=()):
        env = base_env(**({"SLUICE_LAKE": env_lake} if env_lake else {}))
        p = run(list(pre) + ["ls", "landing", "--json"] + list(post), cwd=cwd, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [o["key"] for o in json.loads(p.stdout)]

    def test_flag_beats_env_beats_cwd(self):
        L = self.lakes
        self.assertEqual(self.keys_seen(L["cwd"], L["env"], pre=["--lake", L["flag"]]),
                         ["from-flag"])
        self.assertEqual(self.keys_seen(L["cwd"], L["env"]), ["from-env"])
        self.assertEqual(self.keys_seen(L["cwd"]), ["from-cwd"])

    def test_lake_flag_after_the_command_and_with_equals(self):
        L = self.lakes
        self.assertEqual(self.keys_seen(L["cwd"], L["env"], pre=["--lake=" + L["flag"]]),
                         ["from-flag"])
        self.assertEqual(self.keys_seen(L["cwd"], L["env"], post=["--lake", L["flag"]]),
                         ["from-flag"])
        self.assertEqual(self.keys_seen(L["cwd"], L["env"], post=["--lake=" + L["flag"]]),
                         ["from-flag"])

    def test_relative_lake_paths(self):
        p = run(["--lake", "flag", "cat", "landing/from-flag"], cwd=self.tmp)
        self.assertEqual((p.returncode, p.stdout), (0, b"flag"), p.stderr)
        p = run(["cat", "landing/from-env"], cwd=self.tmp, env=base_env(SLUICE_LAKE="env"))
        self.assertEqual((p.returncode, p.stdout), (0, b"env"), p.stderr)

    def test_no_lake_in_cwd_is_a_clear_failure(self):
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        p = run(["ls"], cwd=empty)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr, "not a sluice lake", "sluice init")
        self.assertEqual(os.listdir(empty), [])


class TestPut(LakeTest):
    def test_put_files_prints_one_line_each_and_indexes_them(self):
        a = self.write("in/a.txt", b"alpha\n")
        b = self.write("in/b.bin", bytes(range(256)))
        p = self.ok("put", a, b)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 2, lines)
        got = [PUT_LINE.match(l) for l in lines]
        self.assertTrue(all(got), lines)
        self.assertEqual([(m.group(1), m.group(2)) for m in got],
                         [("landing", "a.txt"), ("landing", "b.bin")])
        self.assertEqual([int(m.group(4)) for m in got], [6, 256])
        self.assertEqual([m.group(5) for m in got], [sha256(b"alpha\n"), sha256(bytes(range(256)))])
        seqs = [int(m.group(3)) for m in got]
        self.assertLess(seqs[0], seqs[1])
        idx = self.ls_json("landing")
        self.assertEqual([(o["key"], o["seq"], o["size"], o["checksum"], o["state"]) for o in idx],
                         [(m.group(2), int(m.group(3)), int(m.group(4)), m.group(5), "present")
                          for m in got])
        self.assertEqual(self.cat("landing/a.txt"), b"alpha\n")

    def test_put_stdin_needs_key(self):
        data = b"\x00from stdin\xff\n" * 100
        self.assertEqual(self.put_bytes("s/in.dat", data)["size"], len(data))
        self.assertEqual(self.cat("landing/s/in.dat"), data)
        p = self.refused(EXIT_USAGE, "put", "-", input=b"x")
        self.assertIn("--key", p.stderr)

    def test_put_prefix_and_zone(self):
        f1 = self.write("x/one.json", b'{"a":1}\n')
        f2 = self.write("y/two.csv", b"a,b\n1,2\n")
        self.ok("put", "--prefix", "2024/05/", "--zone", "raw", f1, f2)
        self.assertEqual([o["key"] for o in self.ls_json("raw")], ["2024/05/one.json",
                                                                   "2024/05/two.csv"])
        self.assertEqual(self.ls_json("landing"), [])
        types = {o["key"]: o["content_type"] for o in self.ls_json("raw")}
        self.assertEqual(types["2024/05/one.json"], "application/json")
        self.assertEqual(types["2024/05/two.csv"], "text/csv")
        self.assertTrue(os.path.isfile(os.path.join(self.lake, "raw", "2024", "05", "one.json")))
        # the events go to the zone's own queue
        self.assertEqual([e["key"] for e in self.events("raw")],
                         ["2024/05/one.json", "2024/05/two.csv"])
        self.assertEqual(self.peek("landing"), [])
        for z in ("deadletter", "curated"):
            self.ok("put", f1, "--zone", z, "--key", "k")
            self.assertEqual([e["zone"] for e in self.events(z)], [z])

    def test_put_recursive_keeps_relative_paths_in_name_order(self):
        self.write("tree/dt=2026-11-02/b.ndjson", b'{"a":2}\n')
        self.write("tree/dt=2026-11-01/h=03/a.ndjson", b'{"a":1}\n')
        self.write("tree/top.json", b"{}")
        os.symlink("/etc/hostname", os.path.join(self.tmp, "tree", "link.json"))
        p = self.ok("put", "-r", os.path.join(self.tmp, "tree") + "/", "--zone", "raw",
                    "--prefix", "clicks/")
        keys = ["clicks/dt=2026-11-01/h=03/a.ndjson", "clicks/dt=2026-11-02/b.ndjson",
                "clicks/top.json"]
        self.assertEqual([o["key"] for o in self.ls_json("raw")], keys)
        # landed in name order (the events, so the landing sequence, follow it) and a
        # symbolic link is not followed
        self.assertEqual([e["key"] for e in self.events("raw")], keys)
        self.assertEqual(len(p.stdout.splitlines()), 3)
        # without -r a directory is an error, as is --key with -r
        self.refused(EXIT_FAIL, "put", os.path.join(self.tmp, "tree"), "--zone", "raw")
        self.refused(EXIT_USAGE, "put", "-r", os.path.join(self.tmp, "tree"), "--key", "k")

    def test_put_json_output_equals_ls(self):
        files = [self.write("j/f%d" % i, os.urandom(i * 100)) for i in range(3)]
        p = self.ok("put", "--json", "--prefix", "j/", "--content-type", "text/x-test", *files)
        objs = [json.loads(l) for l in p.stdout.decode().splitlines()]
        self.assertEqual(len(objs), 3)
        for o, path in zip(objs, files):
            with open(path, "rb") as f:
                data = f.read()
            self.assertEqual(o["zone"], "landing")
            self.assertEqual(o["key"], "j/" + os.path.basename(path))
            self.assertEqual(o["size"], len(data))
            self.assertEqual(o["checksum"], sha256(data))
            self.assertEqual(o["content_type"], "text/x-test")
            self.assertEqual(o["state"], "present")
        self.assertEqual(objs, self.ls_json("landing"))

    def test_every_put_sends_one_event(self):
        puts = [self.put_bytes("e/%d" % i, os.urandom(50 + i)) for i in range(5)]
        events = self.events()
        self.assertEqual(len(events), 5)
        for e, p in zip(events, puts):
            self.assertEqual(e["event"], "ObjectCreated:Put")
            for k in ("zone", "key", "seq", "size", "checksum"):
                self.assertEqual(e[k], p[k], k)

    def test_empty_file(self):
        p = self.put_bytes("empty", b"")
        self.assertEqual((p["size"], p["checksum"]), (0, sha256(b"")))
        self.assertEqual(self.cat("landing/empty"), b"")

    def test_put_line_is_flushed_when_its_object_is_committed(self):
        # The second file is a FIFO nobody writes yet: sluice blocks opening it. The line
        # of the first put must already be readable: callers rely on it after a crash.
        first = self.write("fl/first", b"first")
        fifo = os.path.join(self.tmp, "fl", "second")
        os.mkfifo(fifo)
        proc = subprocess.Popen([SLUICE, "--lake", self.lake, "put", "--prefix", "p/", first,
                                 fifo], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=base_env())
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 10)
            self.assertTrue(ready, "no output while sluice waits for the next file")
            line = proc.stdout.readline().decode()
            self.assertRegex(line, r"^put landing/p/first seq=\d+ size=5 ")
        finally:
            # Feed the FIFO once sluice opens it (ENXIO until a reader is there).
            deadline = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    time.sleep(0.01)
                    continue
                os.write(fd, b"second")
                os.close(fd)
                break
            else:
                proc.kill()
            out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertRegex(out.decode(), r"^put landing/p/second seq=\d+ size=6 ")
        self.assertEqual(self.cat("landing/p/second"), b"second")

    def test_put_missing_file_fails_but_puts_the_others(self):
        good = self.write("g/good", b"good")
        p = self.sl("put", os.path.join(self.tmp, "nope"), good)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr, "nope", "No such file")
        self.assertEqual([o["key"] for o in self.ls_json()], ["good"])


class TestLs(LakeTest):
    def setUp(self):
        super().setUp()
        self.puts = {}
        for key, zone in (("b/2.txt", "landing"), ("a/1.txt", "landing"), ("a/10.txt", "landing"),
                          ("ab", "landing"), ("c", "raw")):
            data = (key * 7).encode()
            self.puts[(zone, key)] = self.put_bytes(key, data, "--zone", zone)

    def test_zone_summary(self):
        text = self.ok("ls").stdout.decode()
        rows = {l.split()[0]: l.split()[1:] for l in text.splitlines()}
        self.assertEqual(sorted(rows), sorted(ZONES))
        summary = {r["zone"]: r for r in json.loads(self.ok("ls", "--json").stdout)}
        for z in ZONES:
            mine = [p for (zz, _), p in self.puts.items() if zz == z]
            self.assertEqual(summary[z]["objects"], len(mine), z)
            self.assertEqual(summary[z]["bytes"], sum(p["size"] for p in mine), z)
            self.assertEqual(rows[z][0], str(len(mine)))

    def test_zone_listing_in_key_order_equals_puts(self):
        objs = self.ls_json("landing")
        self.assertEqual([o["key"] for o in objs], ["a/1.txt", "a/10.txt", "ab", "b/2.txt"])
        for o in objs:
            p = self.puts[("landing", o["key"])]
            self.assertEqual((o["zone"], o["seq"], o["size"], o["checksum"], o["state"]),
                             (p["zone"], p["seq"], p["size"], p["checksum"], "present"))
            self.assertRegex(o["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        text = self.ok("ls", "landing").stdout.decode().splitlines()
        self.assertEqual([l.split()[-1] for l in text], [o["key"] for o in objs])
        self.assertEqual([int(l.split()[1]) for l in text], [o["size"] for o in objs])
        self.assertEqual([int(l.split()[2]) for l in text], [o["seq"] for o in objs])

    def test_prefix_filters(self):
        self.assertEqual([o["key"] for o in self.ls_json("landing/a/")], ["a/1.txt", "a/10.txt"])
        self.assertEqual([o["key"] for o in self.ls_json("landing/a")],
                         ["a/1.txt", "a/10.txt", "ab"])
        self.assertEqual([o["key"] for o in self.ls_json("landing/a/1")], ["a/1.txt", "a/10.txt"])
        self.assertEqual(self.ls_json("landing/zzz"), [])
        self.assertEqual([o["key"] for o in self.ls_json("raw")], ["c"])
        self.assertEqual(self.ls_json("curated"), [])

    def test_many_objects_page_through(self):
        # more than one page of the index (512 keys)
        files = []
        for i in range(600):
            files.append(self.write("many/k%04d" % i, b"%d" % i))
        self.ok("put", "--prefix", "m/", *files)
        keys = [o["key"] for o in self.ls_json("landing/m/")]
        self.assertEqual(keys, ["m/k%04d" % i for i in range(600)])


class TestCat(LakeTest):
    def test_cat_is_byte_identical(self):
        rnd = random.Random(7)
        samples = {
            "text.txt": b"hello, world\n",
            "binary.bin": bytes(range(256)) * 4 + b"\x00\r\n\x1a\xff",
            "big.bin": rnd.randbytes(5 * 1024 * 1024 + 12345),  # several MiB, odd size
        }
        for name, data in samples.items():
            path = self.write("c/" + name, data)
            self.ok("put", path)
        for name, data in samples.items():
            got = self.cat("landing/" + name)
            self.assertEqual(len(got), len(data), name)
            self.assertTrue(got == data, name + ": bytes differ")

    def test_cat_absent_object(self):
        p = self.refused(EXIT_FAIL, "cat", "landing/absent")
        self.assertIn("no such object", p.stderr)
        self.assertEqual(p.stdout, b"")


class TestRm(LakeTest):
    def test_rm_removes_file_index_row_and_empty_dirs(self):
        self.put_bytes("a/b/c.txt", b"c")
        self.put_bytes("a/x", b"x")
        self.put_bytes("other", b"o")
        p = self.ok("rm", "landing/a/b/c.txt")
        self.assertIn(b"removed landing/a/b/c.txt", p.stdout)
        self.assertEqual([o["key"] for o in self.ls_json()], ["a/x", "other"])
        zone = os.path.join(self.lake, "landing")
        self.assertFalse(os.path.exists(os.path.join(zone, "a", "b", "c.txt")))
        self.assertFalse(os.path.exists(os.path.join(zone, "a", "b")), "empty dir not pruned")
        self.assertTrue(os.path.isdir(os.path.join(zone, "a")))
        self.ok("rm", "landing/a/x", "landing/other")
        self.assertEqual(self.ls_json(), [])
        self.assertEqual(os.listdir(zone), [])
        self.assertTrue(os.path.isdir(zone))
        self.refused(EXIT_FAIL, "cat", "landing/a/x")
        self.assertFsckClean()

    def test_rm_absent_object_fails(self):
        p = self.refused(EXIT_FAIL, "rm", "landing/never")
        self.assertIn("no such object", p.stderr)

    def test_rm_in_a_crawled_zone_sends_one_removed_event(self):
        # raw and curated are catalogued: the crawler hears of a removal once, with the
        # seq of the version that went; landing removals send nothing.
        self.put_bytes("t/dt=1/a.json", b"{}", "--zone", "raw")
        v2 = self.put_bytes("t/dt=1/a.json", b"[]", "--zone", "raw")
        self.put_bytes("l.json", b"{}")
        self.ok("rm", "raw/t/dt=1/a.json", "landing/l.json")
        events = self.events("raw")
        self.assertEqual([e["event"] for e in events],
                         ["ObjectCreated:Put", "ObjectCreated:Put", "ObjectRemoved:Delete"])
        removed = events[2]
        self.assertEqual((removed["zone"], removed["key"], removed["seq"]),
                         ("raw", "t/dt=1/a.json", v2["seq"]))
        self.assertIn("time", removed)
        self.assertEqual([e["event"] for e in self.events("landing")], ["ObjectCreated:Put"])
        self.refused(EXIT_FAIL, "rm", "raw/t/dt=1/a.json")
        self.assertEqual(len(self.events("raw")), 3)

    def test_put_after_rm_gets_a_new_seq(self):
        first = self.put_bytes("k", b"one")
        self.ok("rm", "landing/k")
        again = self.put_bytes("k", b"two")
        self.assertGreater(again["seq"], first["seq"])
        self.assertEqual(self.cat("landing/k"), b"two")


class TestOverwrite(LakeTest):
    def test_overwrite_gets_higher_seq_and_second_event(self):
        v1 = self.put_bytes("dir/key.json", b'{"v":1}')
        v2 = self.put_bytes("dir/key.json", b'{"v":2,"longer":true}')
        self.assertGreater(v2["seq"], v1["seq"])
        objs = self.ls_json()
        self.assertEqual(len(objs), 1)
        self.assertEqual((objs[0]["seq"], objs[0]["size"], objs[0]["checksum"]),
                         (v2["seq"], v2["size"], v2["checksum"]))
        self.assertEqual(self.cat("landing/dir/key.json"), b'{"v":2,"longer":true}')
        ev = self.events()
        self.assertEqual([(e["key"], e["seq"], e["checksum"]) for e in ev],
                         [("dir/key.json", v1["seq"], v1["checksum"]),
                          ("dir/key.json", v2["seq"], v2["checksum"])])
        self.assertFsckClean("--verify")


class TestQueue(LakeTest):
    def stats(self, queue):
        s = json.loads(self.ok("queue", "stats", queue, "--json").stdout)
        self.assertEqual(len(s), 1)
        return s[0]

    def receive(self, queue, *extra):
        return json.loads(self.ok("queue", "receive", queue, "--json", *extra).stdout)

    def test_ls_and_stats(self):
        names = [q["queue"] for q in json.loads(self.ok("queue", "ls", "--json").stdout)]
        for z in ZONES:
            self.assertIn(z, names)
            self.assertIn(z + "-dlq", names)
        self.put_bytes("k", b"v")
        st = self.stats("landing")
        self.assertEqual((st["visible"], st["in_flight"], st["delayed"]), (1, 0, 0))
        self.assertEqual(st["dead_letter_queue"], "landing-dlq")
        text = self.ok("queue", "ls").stdout.decode().splitlines()
        self.assertTrue(text[0].startswith("QUEUE"))
        row = [l.split() for l in text if l.split()[0] == "landing"][0]
        self.assertEqual(row[1], "1")
        self.assertEqual(self.ok("queue", "stats").stdout, self.ok("queue", "ls").stdout)

    def test_send_peek_receive_delete(self):
        p = self.ok("queue", "send", "raw", "first", '{"n":2}')
        self.assertEqual(len(p.stdout.splitlines()), 2)
        peeked = self.peek("raw")
        self.assertEqual([m["body"] for m in peeked], ["first", '{"n":2}'])
        self.assertTrue(all(m["receive_count"] == 0 and m["visible"] for m in peeked))
        self.assertEqual(self.peek("raw"), peeked, "peek must not receive")

        got = self.receive("raw", "--max", "1")
        self.assertEqual(len(got), 1)
        self.assertEqual((got[0]["body"], got[0]["receive_count"]), ("first", 1))
        got2 = self.receive("raw", "--max", "10")
        self.assertEqual([m["body"] for m in got2], ['{"n":2}'])
        # both are in flight now: nothing to receive
        self.assertEqual(self.receive("raw"), [])
        self.assertEqual(self.ok("queue", "receive", "raw").stdout, b"")
        st = self.stats("raw")
        self.assertEqual((st["visible"], st["in_flight"]), (0, 2))

        p = self.ok("queue", "delete", "raw", got[0]["receipt"], got2[0]["receipt"])
        self.assertEqual(len(p.stdout.splitlines()), 2)
        self.assertEqual(self.peek("raw"), [])
        st = self.stats("raw")
        self.assertEqual((st["visible"], st["in_flight"]), (0, 0))
        # deleting again is an idempotent ack
        self.ok("queue", "delete", "raw", got[0]["receipt"])

    def test_text_receive_prints_receipt_and_body(self):
        self.ok("queue", "send", "curated", "hello world")
        line = self.ok("queue", "receive", "curated").stdout.decode()
        receipt, body = line.rstrip("\n").split(" ", 1)
        self.assertEqual(body, "hello world")
        self.ok("queue", "delete", "curated", receipt)
        self.assertEqual(self.peek("curated"), [])

    def test_visibility_timeout_expires_and_old_receipt_goes_stale(self):
        self.ok("queue", "send", "raw", "m")
        first = self.receive("raw", "--visibility-timeout", "1")
        self.assertEqual(len(first), 1)
        self.assertEqual(self.receive("raw"), [])
        time.sleep(1.3)
        second = self.receive("raw", "--visibility-timeout", "30")
        self.assertEqual([(m["body"], m["receive_count"]) for m in second], [("m", 2)])
        p = self.refused(EXIT_FAIL, "queue", "delete", "raw", first[0]["receipt"])
        self.assertIn("stale", p.stderr)
        self.ok("queue", "delete", "raw", second[0]["receipt"])
        self.assertEqual(self.peek("raw"), [])

    def test_zero_visibility_timeout_and_redrive_to_dlq(self):
        self.ok("queue", "send", "raw", "poison")
        max_receive = self.stats("raw")["max_receive_count"]
        for n in range(1, max_receive + 1):
            got = self.receive("raw", "--visibility-timeout", "0")
            self.assertEqual([(m["body"], m["receive_count"]) for m in got], [("poison", n)])
        # one receive too many: the message moves to the dead-letter queue instead
        self.assertEqual(self.receive("raw", "--visibility-timeout", "0"), [])
        self.assertEqual(self.peek("raw"), [])
        self.assertEqual([m["body"] for m in self.peek("raw-dlq")], ["poison"])

    def test_long_poll_returns_a_message_sent_meanwhile(self):
        proc = subprocess.Popen([SLUICE, "--lake", self.lake, "queue", "receive", "raw",
                                 "--wait", "10", "--json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=base_env())
        time.sleep(0.5)
        t0 = time.monotonic()
        self.ok("queue", "send", "raw", "late")
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual([m["body"] for m in json.loads(out)], ["late"])
        self.assertLess(time.monotonic() - t0, 5, "long poll did not return promptly")

    def test_option_limits(self):
        for args in (("--max", "0"), ("--max", "x"), ("--visibility-timeout", "-1"),
                     ("--visibility-timeout", "43201"), ("--wait", "21")):
            self.refused(EXIT_USAGE, "queue", "receive", "raw", *args)
        self.ok("queue", "receive", "raw", "--visibility-timeout", "43200", "--max", "1")
        self.refused(EXIT_USAGE, "queue", "frobnicate")
        self.refused(EXIT_USAGE, "queue", "peek")
        self.refused(EXIT_USAGE, "queue", "send", "raw")
        p = self.refused(EXIT_FAIL, "queue", "peek", "nosuch")
        self.assertIn("nosuch", p.stderr)
        p = self.refused(EXIT_FAIL, "queue", "send", "nosuch", "x")
        self.assertIn("nosuch", p.stderr)
        self.refused(EXIT_FAIL, "queue", "delete", "raw", "not-a-receipt")


class TestStatus(LakeTest):
    def test_status_text_and_json(self):
        self.put_bytes("a", b"12345")
        self.put_bytes("b", b"123", "--zone", "raw")
        text = self.ok("status").stdout.decode()
        self.assertIn(os.path.realpath(self.lake), text)
        st = json.loads(self.ok("status", "--json").stdout)
        self.assertEqual(st["lake"], os.path.realpath(self.lake))
        zones = {z["zone"]: z for z in st["zones"]}
        self.assertEqual(sorted(zones), sorted(ZONES))
        self.assertEqual((zones["landing"]["objects"], zones["landing"]["bytes"]), (1, 5))
        self.assertEqual((zones["raw"]["objects"], zones["raw"]["bytes"]), (1, 3))
        self.assertEqual(zones["curated"]["objects"], 0)
        queues = {q["queue"]: q for q in st["queues"]}
        self.assertEqual(queues["landing"]["visible"], 1)
        self.assertEqual(queues["raw"]["visible"], 1)
        self.assertEqual(queues["curated"]["visible"], 0)
        self.assertEqual(st["flagged_objects"], 0)
        self.assertEqual(st["last_seq"], 2)
        self.assertEqual(st["version"], self.ok("--version").stdout.decode().split()[1])
        self.refused(EXIT_USAGE, "status", "extra")


class TestFsck(LakeTest):
    def test_clean_lake(self):
        self.assertFsckClean()
        self.put_bytes("x/y", os.urandom(1000))
        self.assertFsckClean()
        self.assertFsckClean("--verify")
        self.assertFsckClean("--repair")

    def test_file_without_index_row_is_indexed_and_evented(self):
        self.write("lake/landing/dropped/by-hand.json", b'{"x":1}')
        p = self.sl("fsck")
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertRegex(p.stdout.decode(), r"(?m)^unindexed\s+landing/dropped/by-hand.json")
        self.assertEqual(self.ls_json(), [])  # without --repair nothing changes
        p = self.sl("fsck", "--repair")
        self.assertEqual(p.returncode, EXIT_OK, p.stdout)
        objs = self.ls_json()
        self.assertEqual([(o["key"], o["checksum"]) for o in objs],
                         [("dropped/by-hand.json", sha256(b'{"x":1}'))])
        self.assertEqual([(e["key"], e["seq"]) for e in self.events()],
                         [("dropped/by-hand.json", objs[0]["seq"])])
        self.assertFsckClean()

    def test_index_row_without_file_is_flagged(self):
        self.put_bytes("gone", b"bytes")
        os.unlink(os.path.join(self.lake, "landing", "gone"))
        self.assertEqual(self.sl("fsck").returncode, EXIT_PROBLEMS)
        p = self.sl("fsck", "--repair")
        self.assertRegex(p.stdout.decode(), r"(?m)^missing\s+landing/gone")
        self.assertEqual(self.ls_json()[0]["state"], "missing")
        st = json.loads(self.ok("status", "--json").stdout)
        self.assertEqual(st["flagged_objects"], 1)
        p = self.refused(EXIT_FAIL, "cat", "landing/gone")
        self.assertIn("missing", p.stderr)

    def test_stale_temp_file_is_removed(self):
        self.write("lake/.sluice/tmp/put-999999-0000000000000000", b"partial")
        p = self.sl("fsck")
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertRegex(p.stdout.decode(), r"(?m)^temp\s")
        self.ok("fsck", "--repair")
        self.assertEqual(self.tmp_entries(), [])
        self.assertFsckClean()


class TestConfig(LakeTest):
    def test_check_and_show(self):
        p = self.ok("config", "check")
        self.assertIn(b"ok", p.stdout)
        shown = self.ok("config", "show").stdout
        for key in (b"visibility_timeout", b"max_receive_count", b"retention", b"fsync",
                    b"busy_timeout", b"synchronous", b"max_object_size"):
            self.assertIn(key, shown)
        path = self.write("shown.yaml", shown)
        self.ok("config", "check", path)
        self.assertEqual(self.ok("config", "show", path).stdout, shown)

    def test_show_of_overrides_round_trips(self):
        path = os.path.join(self.lake, "sluice.yaml")
        with open(path) as f:
            text = f.read()
        # an override right under "queues:" (later sections follow the queues)
        text = text.replace("\nqueues:\n", "\nqueues:\n  raw:\n    visibility_timeout: 5m\n"
                            "    max_receive_count: 3\n", 1)
        with open(path, "w") as f:
            f.write(text)
        self.ok("config", "check")
        shown = self.ok("config", "show").stdout
        path = self.write("shown.yaml", shown)
        self.ok("config", "check", path)
        self.assertEqual(self.ok("config", "show", path).stdout, shown)
        st = json.loads(self.ok("queue", "stats", "raw", "--json").stdout)[0]
        self.assertEqual((st["visibility_timeout_ms"], st["max_receive_count"]), (300000, 3))

    def test_check_reports_problems_with_line_and_column(self):
        path = self.write("bad.yaml", b"version: 1\nqueues:\n  defaults:\n    retention: 99d\n")
        p = self.sl("config", "check", path)
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertRegex(p.stderr, re.escape(path) + r":4:\d+: ")
        self.assertIn("retention", p.stderr)
        self.assertEqual(self.sl("config", "show", path).returncode, EXIT_PROBLEMS)
        self.refused(EXIT_USAGE, "config")
        self.refused(EXIT_USAGE, "config", "frob")


class TestHelpAndVersion(LakeTest):
    make_lake = False  # help works anywhere, without a lake

    def test_help_on_every_command(self):
        for cmd in COMMANDS:
            for flag in ("--help", "-h"):
                p = run([cmd, flag], cwd=self.tmp)
                self.assertEqual(p.returncode, 0, (cmd, flag, p.stderr))
                self.assertTrue(p.stdout.startswith(b"usage: sluice " + cmd.encode()),
                                (cmd, p.stdout[:80]))
                self.assertEqual(p.stderr, "")
            p = run(["help", cmd], cwd=self.tmp)
            self.assertEqual(p.returncode, 0)
            self.assertEqual(p.stdout, run([cmd, "--help"], cwd=self.tmp).stdout)
        self.assertEqual(os.listdir(self.tmp), [], "--help must not create anything")

    def test_main_help_lists_every_command(self):
        for args in (["--help"], ["-h"], ["help"]):
            p = run(args, cwd=self.tmp)
            self.assertEqual(p.returncode, 0, args)
            self.assertTrue(p.stdout.startswith(b"usage: sluice"))
            for cmd in COMMANDS:
                self.assertRegex(p.stdout.decode(), r"(?m)^  %s\s" % cmd)
        p = run([], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_USAGE)
        self.assertIn("usage: sluice", p.stderr)

    def test_version(self):
        outs = set()
        for args in (["--version"], ["-V"], ["version"]):
            p = run(args, cwd=self.tmp)
            self.assertEqual(p.returncode, 0)
            self.assertRegex(p.stdout.decode(), r"^sluice \d+\.\d+\.\d+\S*\n$")
            outs.add(p.stdout)
        self.assertEqual(len(outs), 1)


class TestExitCodes(LakeTest):
    def test_documented_exit_codes(self):
        self.assertEqual(self.sl("ls").returncode, EXIT_OK)
        self.assertEqual(self.sl("ls", "--frobnicate").returncode, EXIT_USAGE)
        self.assertEqual(self.sl("frobnicate").returncode, EXIT_USAGE)
        self.assertEqual(self.sl("cat", "landing/absent").returncode, EXIT_FAIL)
        self.assertEqual(self.sl("ls", lake=os.path.join(self.tmp, "absent")).returncode,
                         EXIT_FAIL)
        self.write("lake/landing/stray", b"s")
        self.assertEqual(self.sl("fsck").returncode, EXIT_PROBLEMS)
        bad = self.write("bad.yaml", b"nope: 1\n")
        self.assertEqual(self.sl("config", "check", bad).returncode, EXIT_PROBLEMS)


if __name__ == "__main__":
    unittest.main()
