/**
 * Document limits checked before anything runs: tokens while parsing (so a huge document stops
 * early), then depth, aliases and directives at validation — GraphQL Armor's rules, which
 * memoise each fragment, so a fanned-out fragment chain costs linear, not exponential, time.
 * Their rejections become our LIMIT_EXCEEDED (HTTP 400) instead of armor's "Syntax Error".
 */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import type { ParseOptions, Source, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_LIMITS, type Limits } from '../../config/types.js';
import { type LimitName, limitExceeded } from '../limit-error.js';

type DocumentLimits = Pick<Limits, 'tokens' | 'depth' | 'aliases' | 'directives'>;

const WHAT: Record<'depth' | 'aliases' | 'directives', string> = {
  depth: 'nests fields deeper than allowed',
  aliases: 'uses more aliases than allowed',
  directives: 'uses more directives than allowed',
};

/** Armor's callbacks: report ours in place of theirs (theirs is not propagated). */
function rejectAs(limit: 'depth' | 'aliases' | 'directives', value: number) {
  return {
    n: value,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null) =>
        context?.reportError(limitExceeded(limit, value, `The operation ${WHAT[limit]}.`)),
    ],
  };
}

function tooManyTokens(limit: LimitName, value: number) {
  return limitExceeded(
    limit,
    value,
    'The document has too many tokens; send fewer fields or pass long lists as variables.',
  );
}

export function useLimits(limits: DocumentLimits = DEFAULT_LIMITS): Plugin {
  const rules = [
    maxDepthRule({ ...rejectAs('depth', limits.depth), flattenFragments: true, ignoreIntrospection: true }),
    // Every alias counts, `__typename` ones too (armor exempts those by default).
    maxAliasesRule({ ...rejectAs('aliases', limits.aliases), allowList: [] }),
    maxDirectivesRule(rejectAs('directives', limits.directives)),
  ];
  const parseOptions = {
    n: limits.tokens,
    // Thrown from the callback, before armor would throw its own error.
    onReject: [
      () => {
        throw tooManyTokens('tokens', limits.tokens);
      },
    ],
  };
  const parse = (source: string | Source, options?: ParseOptions) =>
    new MaxTokensParserWLexer(source, { ...options, ...parseOptions }).parseDocument();
  return {
    onParse({ setParseFn }) {
      setParseFn(parse);
    },
    onValidate({ addValidationRule }) {
      // Armor's visitors are typed against its own graphql types; at runtime they are ASTVisitors.
      for (const rule of rules) addValidationRule(rule as never);
    },
    onResultProcess({ result }) {
      // yoga marks every parse error `spec: true` (200 for `accept: application/json`, as the
      // GraphQL-over-HTTP spec has it for syntax errors); a refused limit stays a 400.
      for (const r of Array.isArray(result) ? result : [result]) {
        if (!('errors' in r)) continue;
        for (const error of r.errors ?? []) {
          const http = error.extensions?.['http'] as { spec?: boolean } | undefined;
          if (error.extensions?.['code'] === 'LIMIT_EXCEEDED' && http !== undefined) http.spec = false;
        }
      }
    },
  };
}
