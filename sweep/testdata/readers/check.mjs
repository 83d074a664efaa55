// Reads each DIR/runs.parquet given on the command line with DuckDB and with hyparquet,
// two Parquet readers that share no code with parquet-go (which wrote the file), and
// compares every cell with DIR/runs.csv: same columns in the same order, same row count,
// a null where the CSV cell is empty, and the same value otherwise (numbers compared with
// Object.is, so that -0 and 0 differ; unsigned 64-bit integers exactly, as BigInt).
// Exits 1 on any difference. Run by check.sh.
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { DuckDBInstance } from '@duckdb/node-api';

// RFC 4180 CSV as encoding/csv writes it: quoted fields may hold commas, quotes ("") and
// newlines.
function parseCSV(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') { field += '"'; i++; }
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; }
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// agrees reports whether a reader's value v is the CSV cell text.
function agrees(text, v) {
  if (v === null || v === undefined) return text === '';
  if (text === '') return false;
  switch (typeof v) {
    case 'boolean': return String(v) === text;
    case 'bigint': return /^-?\d+$/.test(text) && BigInt(text) === v;
    case 'number': return Object.is(Number(text), v);
    default: return String(v) === text;
  }
}

let mismatches = 0;
const report = (...a) => { mismatches++; if (mismatches <= 20) console.log(...a); };
const db = await (await DuckDBInstance.create(':memory:')).connect();
for (const dir of process.argv.slice(2)) {
  const [head, ...rows] = parseCSV(readFileSync(`${dir}/runs.csv`, 'utf8'));
  const buf = readFileSync(`${dir}/runs.parquet`);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);

  const hyCols = parquetMetadata(file).schema.slice(1).map(s => s.name);
  const hyRows = await parquetReadObjects({ file });
  const path = `${dir}/runs.parquet`.replaceAll("'", "''");
  const res = await db.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
  const duckCols = res.columnNames();
  const duckRows = res.getRowObjects();
  const types = (await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`))
    .getRowObjects().map(r => `${r.column_name} ${r.column_type}`);
  console.log(`${dir}: ${rows.length} rows; DuckDB reads ${types.join(', ')}`);

  for (const [name, cols] of [['hyparquet', hyCols], ['DuckDB', duckCols]]) {
    if (JSON.stringify(cols) !== JSON.stringify(head)) report(`${dir}: ${name} columns ${cols}, runs.csv ${head}`);
  }
  for (const [name, got] of [['hyparquet', hyRows], ['DuckDB', duckRows]]) {
    if (got.length !== rows.length) { report(`${dir}: ${name} reads ${got.length} rows, runs.csv has ${rows.length}`); continue; }
    rows.forEach((row, i) => head.forEach((col, j) => {
      let v = got[i][col];
      // DuckDB returns its own objects for some types (UBIGINT beyond 2^53 is a bigint).
      if (v !== null && typeof v === 'object') v = v.toString();
      if (typeof v === 'string' && typeof hyRows[i]?.[col] === 'number') v = Number(v);
      if (!agrees(row[j], v)) report(`${dir}: row ${i} ${col}: runs.csv ${JSON.stringify(row[j])}, ${name} ${String(v)}`);
    }));
  }
}
console.log(mismatches ? `${mismatches} cells differ` : 'every cell of every file agrees with runs.csv in both readers');
process.exit(mismatches ? 1 : 0);
