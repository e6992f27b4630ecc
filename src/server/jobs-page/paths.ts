/** Where the jobs page and its script are served. */
export const JOBS_PAGE_PATH = '/jobs';
export const JOBS_SCRIPT_PATH = '/jobs/app.js';
