/** The GraphQL operations of the jobs page (over graphql-ws, like every client of the feed). */

const JOB_FIELDS = `table status totalIds batchesTotal batchesDone rowsFetched failedCount notFoundCount elapsedMs etaMs message`;

/** Every event of every job; operator-only with `auth` (it shows every client's IDs). */
export const FEED = `subscription JobsFeed { fetchProgress { jobId ${JOB_FIELDS} } }`;

/** One job, by id: what a reader may follow. */
export const FOLLOW = `subscription FollowJob($jobId: ID!) { fetchProgress(jobId: $jobId) { jobId ${JOB_FIELDS} } }`;

/** What the server remembers now (`fetchJobs`), and the tables the warm form offers; both operator-only. */
export const SNAPSHOT = `query JobsSnapshot { jobs: fetchJobs(limit: 100) { jobId: id ${JOB_FIELDS} } cacheStats { table } }`;

export const WARM = `mutation WarmIds($table: String!, $ids: [ID!]!, $columns: [String!]) {
  warm(table: $table, ids: $ids, columns: $columns) { jobId: id status totalIds }
}`;
