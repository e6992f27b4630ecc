/**
 * The jobs page (`GET /jobs`): running and recent fetch jobs, live from `fetchProgress` over
 * graphql-ws, and a form to warm IDs. The page itself holds no data; everything comes over the
 * socket, signed in with the token kept in sessionStorage when the server has `auth`.
 */
import { type Client, createClient, type ExecutionResult } from 'graphql-ws';
import {
  formatDuration,
  formatEta,
  formatRate,
  fractionDone,
  JobList,
  type JobView,
  parseIds,
  rowsPerSecond,
} from './job-state.js';
import { FEED, FOLLOW, SNAPSHOT, WARM } from './operations.js';

const TOKEN_KEY = 'cachegate.token';
/** graphql-ws close code the server uses for a refused token (ws.ts CLOSE_FORBIDDEN). */
const CLOSE_FORBIDDEN = 4403;

interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: string };
}

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`jobs page: #${id} is missing from the HTML`);
  return found as T;
}

const ui = {
  conn: el('conn'),
  signOut: el<HTMLButtonElement>('sign-out'),
  auth: el('auth'),
  authMessage: el('auth-message'),
  tokenForm: el<HTMLFormElement>('token-form'),
  token: el<HTMLInputElement>('token'),
  reader: el('reader'),
  followForm: el<HTMLFormElement>('follow-form'),
  followId: el<HTMLInputElement>('follow-id'),
  warm: el('warm'),
  warmForm: el<HTMLFormElement>('warm-form'),
  warmTable: el<HTMLSelectElement>('warm-table'),
  warmIds: el<HTMLTextAreaElement>('warm-ids'),
  warmFile: el<HTMLInputElement>('warm-file'),
  warmColumns: el<HTMLInputElement>('warm-columns'),
  warmResult: el('warm-result'),
  rows: el<HTMLTableSectionElement>('job-rows'),
  empty: el('empty'),
};

const jobs = new JobList();
let client: Client | undefined;
let fileIds: { name: string; ids: string[] } | undefined;

function setConnection(state: 'connecting' | 'live' | 'closed', text: string): void {
  ui.conn.dataset['state'] = state;
  ui.conn.textContent = text;
}

function errorsOf(result: unknown): GraphQLErrorLike[] {
  if (Array.isArray(result)) return result as GraphQLErrorLike[];
  if (result instanceof Error) return [{ message: result.message }];
  const closed = result as { code?: number; reason?: string };
  if (typeof closed.code === 'number')
    return [{ message: `socket closed (${closed.code}) ${closed.reason ?? ''}` }];
  return [{ message: String(result) }];
}

/** One query or mutation over the socket. */
function request<T>(query: string, variables?: Record<string, unknown>): Promise<ExecutionResult<T>> {
  const socket = client;
  if (socket === undefined) return Promise.reject(new Error('not connected'));
  return new Promise((resolve, reject) => {
    let result: ExecutionResult<T> = {};
    socket.subscribe<T>(variables === undefined ? { query } : { query, variables }, {
      next: (value) => {
        result = value as ExecutionResult<T>;
      },
      error: (e) => reject(e),
      complete: () => resolve(result),
    });
  });
}

// ---- rendering: one row per job, kept across renders so a bar moves instead of blinking.

const rows = new Map<string, HTMLTableRowElement>();
let renderQueued = false;

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

const CELLS = [
  'table',
  'job',
  'status',
  'progress',
  'rows',
  'batches',
  'rate',
  'eta',
  'elapsed',
  'failed',
  'notFound',
  'message',
] as const;

function rowFor(job: JobView): HTMLTableRowElement {
  let tr = rows.get(job.jobId);
  if (tr === undefined) {
    tr = document.createElement('tr');
    tr.dataset['jobId'] = job.jobId;
    for (const name of CELLS) {
      const td = document.createElement('td');
      td.dataset['field'] = name;
      if (name === 'progress') {
        const bar = document.createElement('progress');
        bar.max = 1;
        td.append(bar, document.createElement('span'));
      }
      tr.append(td);
    }
    rows.set(job.jobId, tr);
  }
  return tr;
}

function cell(tr: HTMLTableRowElement, name: (typeof CELLS)[number]): HTMLTableCellElement {
  return tr.querySelector(`td[data-field="${name}"]`) as HTMLTableCellElement;
}

function fill(tr: HTMLTableRowElement, job: JobView): void {
  const done = fractionDone(job);
  tr.dataset['status'] = job.status;
  cell(tr, 'table').textContent = job.table;
  const id = cell(tr, 'job');
  id.textContent = job.jobId.slice(0, 8);
  id.title = job.jobId;
  cell(tr, 'status').textContent = job.status;
  const progress = cell(tr, 'progress');
  const bar = progress.querySelector('progress') as HTMLProgressElement;
  bar.value = done;
  (progress.querySelector('span') as HTMLSpanElement).textContent = `${Math.round(done * 100)}%`;
  cell(tr, 'rows').textContent =
    `${job.rowsFetched.toLocaleString('en-US')} / ${job.totalIds.toLocaleString('en-US')}`;
  cell(tr, 'batches').textContent = `${job.batchesDone} / ${job.batchesTotal}`;
  cell(tr, 'rate').textContent = formatRate(rowsPerSecond(job));
  cell(tr, 'eta').textContent = formatEta(job);
  cell(tr, 'elapsed').textContent = formatDuration(job.elapsedMs);
  cell(tr, 'failed').textContent = String(job.failedCount);
  cell(tr, 'notFound').textContent = String(job.notFoundCount);
  cell(tr, 'message').textContent = job.message;
}

function render(): void {
  const list = jobs.list();
  const shown = new Set(list.map((j) => j.jobId));
  for (const [id, tr] of rows) {
    if (!shown.has(id)) {
      tr.remove();
      rows.delete(id);
    }
  }
  list.forEach((job, i) => {
    const tr = rowFor(job);
    fill(tr, job);
    if (ui.rows.children[i] !== tr) ui.rows.insertBefore(tr, ui.rows.children[i] ?? null);
  });
  ui.empty.hidden = list.length > 0;
}

function onJob(job: JobView | null | undefined): void {
  if (job != null && jobs.apply(job)) scheduleRender();
}

// ---- the socket: live feed first, then the snapshot, so no event falls between the two.

function isForbidden(errors: readonly GraphQLErrorLike[] | undefined): boolean {
  return errors?.some((e) => e.extensions?.code === 'FORBIDDEN') === true;
}

function showReaderMode(): void {
  ui.warm.hidden = true;
  ui.reader.hidden = false;
}

function follow(query: string, variables?: Record<string, unknown>): void {
  client?.subscribe<{ fetchProgress: JobView }>(variables === undefined ? { query } : { query, variables }, {
    next: (result) => {
      if (isForbidden(result.errors as GraphQLErrorLike[] | undefined)) showReaderMode();
      onJob(result.data?.fetchProgress);
    },
    error: (e) => {
      if (isForbidden(errorsOf(e))) showReaderMode();
    },
    complete: () => {},
  });
}

async function loadSnapshot(): Promise<void> {
  const result = await request<{ jobs: JobView[] | null; cacheStats: { table: string }[] | null }>(SNAPSHOT);
  if (result.data?.jobs == null) {
    if (isForbidden(result.errors as GraphQLErrorLike[] | undefined)) showReaderMode();
    return;
  }
  jobs.applySnapshot(result.data.jobs);
  scheduleRender();
  const tables = (result.data.cacheStats ?? []).map((s) => s.table);
  ui.warmTable.replaceChildren(
    ...tables.map((t) => {
      const option = document.createElement('option');
      option.value = t;
      option.textContent = t;
      return option;
    }),
  );
  ui.reader.hidden = true;
  ui.warm.hidden = false;
}

function connect(): void {
  void client?.dispose();
  const token = sessionStorage.getItem(TOKEN_KEY);
  ui.signOut.hidden = token === null;
  const url = new URL('/graphql', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  setConnection('connecting', 'connecting…');
  client = createClient({
    url: url.href,
    connectionParams: () => (token === null ? {} : { authorization: `Bearer ${token}` }),
    lazy: false,
    retryAttempts: Number.POSITIVE_INFINITY,
    // A refused token does not get better by retrying; anything else (a restart) does.
    shouldRetry: (e) => (e as { code?: number }).code !== CLOSE_FORBIDDEN,
    on: {
      connected: () => {
        ui.auth.hidden = true;
        setConnection('live', 'live');
        // After the feed's subscribe went out (it was queued before the ack), so no event falls
        // between the two; again after each reconnect, for what happened meanwhile.
        setTimeout(() => {
          loadSnapshot().catch(() => {
            // The socket dropped again: `closed` says so, and the next connect reloads.
          });
        }, 0);
      },
      closed: (e) => {
        const { code, reason } = e as { code?: number; reason?: string };
        if (code === CLOSE_FORBIDDEN) {
          setConnection('closed', 'signed out');
          ui.authMessage.textContent =
            token === null
              ? 'This server needs a token. Paste a reader or operator token.'
              : `The token was refused (${reason ?? 'forbidden'}). Paste another one.`;
          ui.auth.hidden = false;
          ui.token.focus();
        } else {
          setConnection('connecting', 'reconnecting…');
        }
      },
    },
  });
  follow(FEED);
}

// ---- forms

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = ui.token.value.trim().replace(/^Bearer\s+/i, '');
  if (token === '') return;
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.token.value = '';
  connect();
});

ui.signOut.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

ui.followForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const jobId = ui.followId.value.trim();
  if (jobId !== '') follow(FOLLOW, { jobId });
  ui.followId.value = '';
});

ui.warmFile.addEventListener('change', () => {
  const file = ui.warmFile.files?.[0];
  if (file === undefined) {
    fileIds = undefined;
    return;
  }
  void file.text().then((text) => {
    fileIds = { name: file.name, ids: parseIds(text) };
    ui.warmResult.textContent = `${fileIds.ids.length.toLocaleString('en-US')} IDs read from ${file.name}.`;
  });
});

ui.warmForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const ids = fileIds?.ids ?? parseIds(ui.warmIds.value);
  if (ids.length === 0) {
    ui.warmResult.textContent = 'Paste some IDs (one per line, or separated by commas) or choose a file.';
    return;
  }
  const columns = ui.warmColumns.value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  ui.warmResult.textContent = `Starting a warm of ${ids.length.toLocaleString('en-US')} IDs…`;
  request<{ warm: JobView }>(WARM, {
    table: ui.warmTable.value,
    ids,
    columns: columns.length > 0 ? columns : null,
  })
    .then((result) => {
      const job = result.data?.warm;
      if (job == null) {
        ui.warmResult.textContent =
          (result.errors ?? []).map((e) => e.message).join(' ') || 'The warm failed.';
        return;
      }
      ui.warmResult.textContent = `Started job ${job.jobId} (${job.totalIds.toLocaleString('en-US')} IDs): it is listed below.`;
      ui.warmIds.value = '';
      ui.warmFile.value = '';
      fileIds = undefined;
    })
    .catch((e: unknown) => {
      ui.warmResult.textContent = errorsOf(e)
        .map((x) => x.message)
        .join(' ');
    });
});

connect();
