// duck.js - runs SQL in an in-memory DuckDB for the interop tests and benchmarks.
// usage: node duck.js [--threads N] [--time] [--each] SQL...
// Each statement runs in order; the rows of the last one are printed as JSON lines
// (DuckDB's own JSON conversion of each value, except that a BLOB is written as
// {"base64": ...} and a floating-point -0 as the string "-0", which the stock conversion
// would make ambiguous: a backslash is not escaped in its BLOB text, and JSON has no -0). --each prints every statement's rows
// instead, one JSON array per statement and line. --time prints {"seconds": S} for the
// last statement on stderr.
'use strict';
const { DuckDBInstance, DuckDBTypeId, JsonDuckDBValueConverter } = require('@duckdb/node-api');

function exact(value, type, converter) {
	if (value != null && type.typeId === DuckDBTypeId.BLOB)
		return { base64: Buffer.from(value.bytes).toString('base64') };
	if ((type.typeId === DuckDBTypeId.FLOAT || type.typeId === DuckDBTypeId.DOUBLE) &&
	    Object.is(value, -0))
		return '-0';
	return JsonDuckDBValueConverter(value, type, converter);
}
const rows = (reader) => reader.convertRowObjects(exact);

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
			process.stdout.write(JSON.stringify(rows(last)) + '\n');
	}
	if (last && !each) {
		const out = rows(last).map((r) => JSON.stringify(r)).join('\n');
		if (out) process.stdout.write(out + '\n');
	}
	if (time) process.stderr.write(JSON.stringify({ seconds }) + '\n');
}
main().catch((e) => { process.stderr.write(`duck.js: ${e.message}\n`); process.exit(1); });
