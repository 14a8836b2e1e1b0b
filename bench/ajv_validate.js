// ajv_validate - the peer of bench_validate: ajv (draft 2020-12, with ajv-formats)
// validating every record of an NDJSON file against one schema, on one thread.
//
//   NODE_PATH=DIR/node_modules node bench/ajv_validate.js SCHEMA.json FILE.ndjson [--parse-only]
//
// bench/run_validate.sh installs the pinned packages (bench/package.json and
// package-lock.json) with `npm ci` into the build folder and sets NODE_PATH.
//
// The schema is compiled once (allErrors: false, so validation stops at the first error,
// as sluice's does when asked for one reason). Then the file is streamed: read in 16 MiB
// chunks, cut into lines (blank lines skipped, CRLF accepted), and each line decoded,
// JSON.parse'd and validated. A line that is not JSON counts as invalid. Timed: the whole
// streaming loop, reading included; not timed: start-up and compiling the schema.
// --parse-only skips validate(): what reading, decoding and JSON.parse alone cost.
//
// Prints one JSON line on standard output:
//   {"tool": ..., "bytes": B, "records": R, "invalid": I, "seconds": S, "mb_s": ...,
//    "records_s": ...}
// (MB = 10^6 bytes of the file, newlines included), and the first few errors on standard
// error.
'use strict';

const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const CHUNK = 16 << 20;
const SHOW_ERRORS = 5;

function main() {
  const [schemaPath, dataPath, flag] = process.argv.slice(2);
  const parseOnly = flag === '--parse-only';
  if (!schemaPath || !dataPath || (flag !== undefined && !parseOnly)) {
    process.stderr.write('usage: node ajv_validate.js SCHEMA.json FILE.ndjson [--parse-only]\n');
    process.exit(2);
  }
  const ajv = new Ajv2020({ allErrors: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));

  let records = 0, invalid = 0, bytes = 0, shown = 0;
  const report = (line, why) => {
    if (shown++ < SHOW_ERRORS)
      process.stderr.write(`ajv_validate: record ${records} (line ${line}): ${why}\n`);
  };

  const t0 = process.hrtime.bigint();
  const fd = fs.openSync(dataPath, 'r');
  // A line that does not end in a chunk is moved to the front of the buffer and the rest
  // of it read after it; the buffer grows when one line is longer than it.
  let buf = Buffer.allocUnsafe(CHUNK);
  let have = 0, lineNo = 0, eof = false;
  while (!eof) {
    if (have === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    const n = fs.readSync(fd, buf, have, buf.length - have, null);
    bytes += n;
    eof = n === 0;
    const end = have + n;
    let start = 0;
    for (;;) {
      let nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= end) {
        if (!eof) break;
        if (start >= end) break;
        nl = end; // the last line has no newline
      }
      lineNo++;
      let stop = nl;
      if (stop > start && buf[stop - 1] === 13) stop--;
      if (stop > start) {
        let rec;
        try {
          rec = JSON.parse(buf.toString('utf8', start, stop));
        } catch (e) {
          invalid++;
          report(lineNo, `not JSON: ${e.message}`);
          records++;
          start = nl + 1;
          continue;
        }
        if (!parseOnly && !validate(rec)) {
          invalid++;
          const err = validate.errors[0];
          report(lineNo, `${err.instancePath || '/'}: ${err.keyword}: ${err.message}`);
        }
        records++;
      }
      start = nl + 1;
    }
    if (!eof) {
      buf.copy(buf, 0, start, end);
      have = end - start;
    }
  }
  fs.closeSync(fd);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;

  const tool = `ajv ${require('ajv/package.json').version} + ajv-formats ` +
    `${require('ajv-formats/package.json').version}, node ${process.version}` +
    (parseOnly ? ', JSON.parse only' : '');
  process.stdout.write(JSON.stringify({
    tool, bytes, records, invalid,
    seconds: Number(s.toFixed(4)),
    mb_s: Number((bytes / s / 1e6).toFixed(1)),
    records_s: Math.round(records / s),
  }) + '\n');
}

main();
