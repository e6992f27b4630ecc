/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query CacheStats($table: String) {\n  cacheStats(table: $table) {\n    table\n    rows\n    parts\n    bytes\n    hits\n    misses\n    fetches\n    lookups\n  }\n}": typeof types.CacheStatsDocument,
    "subscription FetchProgress($jobId: ID, $table: String) {\n  fetchProgress(jobId: $jobId, table: $table) {\n    jobId\n    table\n    status\n    totalIds\n    batchesTotal\n    batchesDone\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n    etaMs\n    message\n  }\n}": typeof types.FetchProgressDocument,
    "mutation Invalidate($table: String!, $ids: [ID!]) {\n  invalidate(table: $table, ids: $ids)\n}": typeof types.InvalidateDocument,
    "query Job($id: ID!) {\n  job(id: $id) {\n    id\n    table\n    status\n    batchesDone\n    batchesTotal\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n  }\n}": typeof types.JobDocument,
    "query MoviePaths($id: ID!, $path: String!) {\n  movie(id: $id) {\n    id\n    title\n    firstActor: field(path: \"details.cast.0.name\")\n    score: field(path: \"details.meta.score\")\n    chosen: field(path: $path)\n  }\n}": typeof types.MoviePathsDocument,
    "query Movies($ids: [ID!]!) {\n  movies(ids: $ids) {\n    id\n    title\n    year\n    rating\n    details\n    director_id\n    director {\n      id\n      name\n      born\n    }\n  }\n}": typeof types.MoviesDocument,
    "query Rows($table: String!, $ids: [ID!]!, $columns: [String!]!) {\n  rows(table: $table, ids: $ids, columns: $columns) {\n    id\n    values\n  }\n}": typeof types.RowsDocument,
    "mutation Warm($table: String!, $ids: [ID!]!, $columns: [String!]) {\n  warm(table: $table, ids: $ids, columns: $columns) {\n    id\n    table\n    status\n    totalIds\n  }\n}": typeof types.WarmDocument,
};
const documents: Documents = {
    "query CacheStats($table: String) {\n  cacheStats(table: $table) {\n    table\n    rows\n    parts\n    bytes\n    hits\n    misses\n    fetches\n    lookups\n  }\n}": types.CacheStatsDocument,
    "subscription FetchProgress($jobId: ID, $table: String) {\n  fetchProgress(jobId: $jobId, table: $table) {\n    jobId\n    table\n    status\n    totalIds\n    batchesTotal\n    batchesDone\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n    etaMs\n    message\n  }\n}": types.FetchProgressDocument,
    "mutation Invalidate($table: String!, $ids: [ID!]) {\n  invalidate(table: $table, ids: $ids)\n}": types.InvalidateDocument,
    "query Job($id: ID!) {\n  job(id: $id) {\n    id\n    table\n    status\n    batchesDone\n    batchesTotal\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n  }\n}": types.JobDocument,
    "query MoviePaths($id: ID!, $path: String!) {\n  movie(id: $id) {\n    id\n    title\n    firstActor: field(path: \"details.cast.0.name\")\n    score: field(path: \"details.meta.score\")\n    chosen: field(path: $path)\n  }\n}": types.MoviePathsDocument,
    "query Movies($ids: [ID!]!) {\n  movies(ids: $ids) {\n    id\n    title\n    year\n    rating\n    details\n    director_id\n    director {\n      id\n      name\n      born\n    }\n  }\n}": types.MoviesDocument,
    "query Rows($table: String!, $ids: [ID!]!, $columns: [String!]!) {\n  rows(table: $table, ids: $ids, columns: $columns) {\n    id\n    values\n  }\n}": types.RowsDocument,
    "mutation Warm($table: String!, $ids: [ID!]!, $columns: [String!]) {\n  warm(table: $table, ids: $ids, columns: $columns) {\n    id\n    table\n    status\n    totalIds\n  }\n}": types.WarmDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CacheStats($table: String) {\n  cacheStats(table: $table) {\n    table\n    rows\n    parts\n    bytes\n    hits\n    misses\n    fetches\n    lookups\n  }\n}"): (typeof documents)["query CacheStats($table: String) {\n  cacheStats(table: $table) {\n    table\n    rows\n    parts\n    bytes\n    hits\n    misses\n    fetches\n    lookups\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription FetchProgress($jobId: ID, $table: String) {\n  fetchProgress(jobId: $jobId, table: $table) {\n    jobId\n    table\n    status\n    totalIds\n    batchesTotal\n    batchesDone\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n    etaMs\n    message\n  }\n}"): (typeof documents)["subscription FetchProgress($jobId: ID, $table: String) {\n  fetchProgress(jobId: $jobId, table: $table) {\n    jobId\n    table\n    status\n    totalIds\n    batchesTotal\n    batchesDone\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n    etaMs\n    message\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Invalidate($table: String!, $ids: [ID!]) {\n  invalidate(table: $table, ids: $ids)\n}"): (typeof documents)["mutation Invalidate($table: String!, $ids: [ID!]) {\n  invalidate(table: $table, ids: $ids)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Job($id: ID!) {\n  job(id: $id) {\n    id\n    table\n    status\n    batchesDone\n    batchesTotal\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n  }\n}"): (typeof documents)["query Job($id: ID!) {\n  job(id: $id) {\n    id\n    table\n    status\n    batchesDone\n    batchesTotal\n    rowsFetched\n    failedCount\n    notFoundCount\n    failedIds\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MoviePaths($id: ID!, $path: String!) {\n  movie(id: $id) {\n    id\n    title\n    firstActor: field(path: \"details.cast.0.name\")\n    score: field(path: \"details.meta.score\")\n    chosen: field(path: $path)\n  }\n}"): (typeof documents)["query MoviePaths($id: ID!, $path: String!) {\n  movie(id: $id) {\n    id\n    title\n    firstActor: field(path: \"details.cast.0.name\")\n    score: field(path: \"details.meta.score\")\n    chosen: field(path: $path)\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Movies($ids: [ID!]!) {\n  movies(ids: $ids) {\n    id\n    title\n    year\n    rating\n    details\n    director_id\n    director {\n      id\n      name\n      born\n    }\n  }\n}"): (typeof documents)["query Movies($ids: [ID!]!) {\n  movies(ids: $ids) {\n    id\n    title\n    year\n    rating\n    details\n    director_id\n    director {\n      id\n      name\n      born\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Rows($table: String!, $ids: [ID!]!, $columns: [String!]!) {\n  rows(table: $table, ids: $ids, columns: $columns) {\n    id\n    values\n  }\n}"): (typeof documents)["query Rows($table: String!, $ids: [ID!]!, $columns: [String!]!) {\n  rows(table: $table, ids: $ids, columns: $columns) {\n    id\n    values\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Warm($table: String!, $ids: [ID!]!, $columns: [String!]) {\n  warm(table: $table, ids: $ids, columns: $columns) {\n    id\n    table\n    status\n    totalIds\n  }\n}"): (typeof documents)["mutation Warm($table: String!, $ids: [ID!]!, $columns: [String!]) {\n  warm(table: $table, ids: $ids, columns: $columns) {\n    id\n    table\n    status\n    totalIds\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;