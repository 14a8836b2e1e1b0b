// duck.js - runs SQL in an in-memory DuckDB for the interop tests and benchmarks.
// usage: node duck.js [--threads N] [--time] [--each] SQL...
// Each statement runs in order; the rows of the last one are printed as JSON lines
// (DuckDB's own JSON conversion of each value). --each prints every statement's rows
// instead, one JSON array per statement and line. --time prints {"seconds": S} for the
// last statement on stderr.
'use strict';
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
	const args = process.argv.slice(2);
	let threads = null, time = false, each = false;
	while (args.length && args[0].startsWith('--')) {
		const a = args.shift();
		if (a === '--threads') threads = args.shift();
		else if (a === '--time') time = true;
		else if (a === '--each') each = true;
		else throw new Error(`unknown option ${a}`);
	}
	const db = await DuckDBInstance.create(':memory:', threads ? { threads } : {});
	const con = await db.connect();
	let last = null, seconds = 0;
	for (const sql of args) {
		const t0 = process.hrtime.bigint();
		last = await con.runAndReadAll(sql);
		seconds = Number(process.hrtime.bigint() - t0) / 1e9;
		if (each)
			process.stdout.write(JSON.stringify(last.getRowObjectsJson()) + '\n');
	}
	if (last && !each) {
		const out = last.getRowObjectsJson().map((r) => JSON.stringify(r)).join('\n');
		if (out) process.stdout.write(out + '\n');
	}
	if (time) process.stderr.write(JSON.stringify({ seconds }) + '\n');
}
main().catch((e) => { process.stderr.write(`duck.js: ${e.message}\n`); process.exit(1); });
