// node_json_parse - Node's JSON.parse on an NDJSON file, a point of comparison for sluice's
// JSON engine (no npm packages).
//
//   node --max-old-space-size=6144 bench/node_json_parse.js FILE.ndjson
//
// Prints, best of 3 runs of the parse loop:
//   node-json-parse <MB/s> <records/s> <records>
// (MB = 10^6 bytes of the file, newlines included, as for simdjson_bench.)
//
// What is timed: JSON.parse of every line, and reading one field of each result (summed
// and printed on standard error, so the engine cannot drop the work). Not timed: reading
// the file and cutting it into one string per line, which happens once before. Lines are
// cut from the bytes and decoded one by one, as a line reader would give them: an ASCII
// line becomes a one-byte string and only a line with other characters a two-byte one
// (decoding big chunks first would make whole chunks two-byte and JSON.parse slower).
// The line strings of a 1 GiB file take about 1.2 GiB of heap, hence the flag above.
'use strict';

const fs = require('fs');

function main() {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: node node_json_parse.js FILE.ndjson\n');
    process.exit(2);
  }
  const buf = fs.readFileSync(path);
  const prepStart = process.hrtime.bigint();
  const lines = [];
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    let stop = end;
    if (stop > start && buf[stop - 1] === 13) stop--; // CRLF
    if (stop > start) lines.push(buf.toString('utf8', start, stop)); // blank lines skipped
    start = end + 1;
  }
  const prepS = Number(process.hrtime.bigint() - prepStart) / 1e9;

  let best = Infinity;
  let sum = 0;
  for (let rep = 0; rep < 3; rep++) {
    sum = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i++) {
      const rec = JSON.parse(lines[i]);
      sum += rec.player.level;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (s < best) best = s;
  }
  const n = lines.length;
  process.stdout.write(`node-json-parse ${(buf.length / best / 1e6).toFixed(1)} ` +
    `${(n / best).toFixed(0)} ${n}\n`);
  process.stderr.write(`node-json-parse: ${n} records, sum of player.level ${sum}, ` +
    `best ${best.toFixed(3)} s (splitting and decoding, untimed: ${prepS.toFixed(2)} s)\n`);
}

main();
