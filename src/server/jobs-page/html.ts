/**
 * The HTML of `GET /jobs`. It holds no data (so it needs no token): the script fills it from
 * the graphql-ws feed, signed in with the token the page asks for.
 */
import { JOBS_SCRIPT_PATH } from './paths.js';

const STYLE = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 24px; }
header { display: flex; align-items: center; gap: 16px; }
h1 { font-size: 20px; margin: 0; flex: 1; }
h2 { font-size: 15px; margin: 0 0 8px; }
a { color: #2157c0; }
#conn { padding: 2px 10px; border-radius: 10px; background: #e3e6eb; }
#conn[data-state="live"] { background: #d4f2dc; color: #14572a; }
#conn[data-state="closed"] { background: #f8d9d9; color: #7a1a1a; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
form { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-start; }
textarea { width: 320px; height: 64px; font-family: ui-monospace, monospace; }
output { display: block; width: 100%; color: #4a5567; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #dde1e7; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceef2; white-space: nowrap; }
th { background: #eef0f4; font-weight: 600; }
td[data-field="message"] { white-space: normal; color: #4a5567; }
td[data-field="job"] { font-family: ui-monospace, monospace; }
progress { width: 140px; vertical-align: middle; margin-right: 6px; }
tr[data-status="SUCCEEDED"] td[data-field="status"] { color: #14572a; font-weight: 600; }
tr[data-status="PARTIAL"] td[data-field="status"] { color: #8a5a00; font-weight: 600; }
tr[data-status="FAILED"] td[data-field="status"] { color: #9b1c1c; font-weight: 600; }
tr[data-status="RUNNING"] td[data-field="status"] { color: #2157c0; font-weight: 600; }
#empty { color: #4a5567; }
`;

export function jobsPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cachegate jobs</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>cachegate jobs</h1>
  <a href="/graphql">GraphiQL</a>
  <span id="conn" data-state="connecting">connecting…</span>
  <button id="sign-out" type="button" hidden>Forget token</button>
</header>
<section id="auth" hidden>
  <p id="auth-message"></p>
  <form id="token-form">
    <label>Token <input id="token" type="password" autocomplete="off" size="48"></label>
    <button type="submit">Connect</button>
  </form>
  <p>The token stays in this tab only (sessionStorage).</p>
</section>
<section id="reader" hidden>
  <h2>Follow a job</h2>
  <p>This token has the reader role: the list of every job and the warm form need an operator token. Follow one of your jobs by its id.</p>
  <form id="follow-form">
    <input id="follow-id" placeholder="job id" size="40">
    <button type="submit">Follow</button>
  </form>
</section>
<section id="warm" hidden>
  <h2>Warm IDs</h2>
  <form id="warm-form">
    <label>Table <select id="warm-table"></select></label>
    <textarea id="warm-ids" placeholder="IDs, one per line or separated by commas"></textarea>
    <label>or a file <input id="warm-file" type="file" accept=".txt,.csv,text/plain,text/csv"></label>
    <label>Columns <input id="warm-columns" placeholder="all configured columns"></label>
    <button type="submit">Warm</button>
    <output id="warm-result"></output>
  </form>
</section>
<table>
  <thead><tr>
    <th>Table</th><th>Job</th><th>Status</th><th>Progress</th><th>Rows / IDs</th><th>Batches</th>
    <th>Rate</th><th>ETA</th><th>Elapsed</th><th>Failed IDs</th><th>Not found</th><th>Message</th>
  </tr></thead>
  <tbody id="job-rows"></tbody>
</table>
<p id="empty">No jobs yet. Warm some IDs, or run a query that misses the cache.</p>
<script src="${JOBS_SCRIPT_PATH}"></script>
</body>
</html>
`;
}
