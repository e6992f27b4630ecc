/**
 * JSON dot-path extraction: polars (vectorised) vs JS (`extractPath` per cell), and what polars
 * does with one invalid cell. Run: `npx tsx bench/json-extract.ts`. Figures: bench/README.md.
 */
import pl from 'nodejs-polars';
import { CellParseFailure, extractPath } from '../src/json/json-path.js';

const ROWS = 100_000;
const RUNS = 5;

function makeStrings(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      JSON.stringify({
        cast: [
          { name: `actor-${i}`, age: 20 + (i % 50) },
          { name: `other-${i}`, age: 30 },
        ],
        meta: { score: (i % 100) / 10, tags: ['a', 'b', String(i % 7)] },
        title: `movie ${i}`,
      }),
    );
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time<T>(fn: () => T): { ms: number; result: T } {
  const times: number[] = [];
  let result!: T;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

const strings = makeStrings(ROWS);
const df = pl.DataFrame([pl.Series('details', strings, pl.Utf8)]);
const expectName = (i: number) => `actor-${i}`;
const expectScore = (i: number) => (i % 100) / 10;

// Check a sample of rows, including the type: jsonPathMatch returns text for numbers.
function check(names: unknown[], scores: unknown[]): string {
  for (const i of [0, 1, 4242, ROWS - 1]) {
    if (names[i] !== expectName(i)) return `name[${i}]=${JSON.stringify(names[i])}`;
    if (scores[i] !== expectScore(i)) return `score[${i}]=${JSON.stringify(scores[i])} (${typeof scores[i]})`;
  }
  return names.length === ROWS && scores.length === ROWS ? 'ok' : 'wrong length';
}

const rows: Array<{ method: string; ms: string; check: string }> = [];
const record = (method: string, ms: number | null, result: string) =>
  rows.push({ method, ms: ms === null ? '-' : ms.toFixed(1), check: result });

{
  // Timings include reading the result columns into JS, which the GraphQL layer needs.
  const { ms, result } = time(() => {
    const out = df.select(
      pl.col('details').str.jsonPathMatch('$.cast[0].name').alias('name'),
      pl.col('details').str.jsonPathMatch('$.meta.score').alias('score'),
    );
    return { names: out.getColumn('name').toArray(), scores: out.getColumn('score').toArray() };
  });
  record('polars str.jsonPathMatch', ms, check(result.names, result.scores));
}

const dtype = pl.Struct([
  new pl.Field('cast', pl.List(pl.Struct([new pl.Field('name', pl.Utf8), new pl.Field('age', pl.Int64)]))),
  new pl.Field(
    'meta',
    pl.Struct([new pl.Field('score', pl.Float64), new pl.Field('tags', pl.List(pl.Utf8))]),
  ),
]);
const decodeSelect = (frame: pl.DataFrame) =>
  frame
    .select(pl.col('details').str.jsonDecode(dtype).alias('d'))
    .select(
      pl.col('d').struct.field('cast').lst.get(0).struct.field('name').alias('name'),
      pl.col('d').struct.field('meta').struct.field('score').alias('score'),
    );
{
  const { ms, result } = time(() => {
    const out = decodeSelect(df);
    return { names: out.getColumn('name').toArray(), scores: out.getColumn('score').toArray() };
  });
  record('polars str.jsonDecode(dtype) + struct.field', ms, check(result.names, result.scores));
}

function jsExtract(cells: unknown[]): { names: unknown[]; scores: unknown[]; failures: number } {
  const names: unknown[] = new Array(cells.length);
  const scores: unknown[] = new Array(cells.length);
  let failures = 0;
  for (let i = 0; i < cells.length; i++) {
    try {
      // One parse per cell for both paths, as the engine does when several paths share a column.
      const value = JSON.parse(cells[i] as string) as unknown;
      names[i] = extractPath(value, ['cast', 0, 'name']);
      scores[i] = extractPath(value, ['meta', 'score']);
    } catch (e) {
      if (!(e instanceof SyntaxError || e instanceof CellParseFailure)) throw e;
      failures++;
      names[i] = null;
      scores[i] = null;
    }
  }
  return { names, scores, failures };
}
{
  const { ms } = time(() => df.getColumn('details').toArray());
  record('toArray() alone (JS side cost)', ms, '-');
}
{
  const { ms, result } = time(() => jsExtract(df.getColumn('details').toArray()));
  record('JS toArray() + extractPath (1 parse/cell)', ms, check(result.names, result.scores));
}
{
  const { ms, result } = time(() => {
    const cells = df.getColumn('details').toArray();
    return {
      names: cells.map((c) => extractPath(c, ['cast', 0, 'name'])),
      scores: cells.map((c) => extractPath(c, ['meta', 'score'])),
    };
  });
  record('JS toArray() + extractPath (1 parse/path)', ms, check(result.names, result.scores));
}

// (c) one invalid cell among ROWS.
const broken = [...strings];
broken[ROWS / 2] = '{"cast": [ {"name": "x"';
const badDf = pl.DataFrame([pl.Series('details', broken, pl.Utf8)]);
const outcome = (fn: () => pl.DataFrame): string => {
  try {
    const out = fn();
    const nulls = out.getColumn('name').nullCount();
    return `no error; ${nulls} null name(s); row ${ROWS / 2} name=${JSON.stringify(out.getColumn('name').get(ROWS / 2))}`;
  } catch (e) {
    return `THROWS: ${(e as Error).message.split('\n')[0]?.slice(0, 90)}`;
  }
};
record(
  'invalid cell: jsonPathMatch',
  null,
  outcome(() => badDf.select(pl.col('details').str.jsonPathMatch('$.cast[0].name').alias('name'))),
);
record(
  'invalid cell: jsonDecode',
  null,
  outcome(() => decodeSelect(badDf)),
);
{
  const { ms, result } = time(() => jsExtract(badDf.getColumn('details').toArray()));
  record('invalid cell: JS extractPath', ms, `${result.failures} failure(s), only that cell`);
}

console.log(`${ROWS} rows, median of ${RUNS} runs, node ${process.version}, nodejs-polars 0.26.1`);
console.table(rows);
