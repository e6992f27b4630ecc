/**
 * The Lua scripts of the Redis fetch locks (redis-locks.ts) and how a batch's keys are split
 * between script calls. Each script is atomic per key; none waits or loops on Redis.
 */

/**
 * IDs per script call. Redis runs one script at a time and nothing else meanwhile; 1,000 IDs
 * keep that to a few milliseconds (10,000 took 50-80 ms under load, see bench/README.md). The
 * calls of one batch are written back to back, so a batch of 10,000 IDs still costs one round trip.
 */
const MAX_IDS_PER_CALL = 1_000;

/** SET NX PX on every key; answers the 1-based positions of keys another owner holds. */
export const CLAIM = `
local held = {}
for i = 1, #KEYS do
  if not redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    if redis.call('GET', KEYS[i]) ~= ARGV[1] then held[#held + 1] = i end
  end
end
return held`;

/** Compare-and-delete: only keys still holding this owner's token; then one release message. */
export const RELEASE = `
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
    n = n + 1
  end
end
if n > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return n`;

/** Compare-and-extend: a key that expired and was taken by another owner stays theirs. */
export const RENEW = `
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    n = n + 1
  end
end
return n`;

// ioredis adds defined commands at run time; its types cannot know them (library seam).
export interface ScriptClient {
  cgClaim(numKeys: number, ...args: string[]): Promise<number[]>;
  cgRelease(numKeys: number, ...args: string[]): Promise<number>;
  cgRenew(numKeys: number, ...args: string[]): Promise<number>;
}

export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_IDS_PER_CALL) out.push(items.slice(i, i + MAX_IDS_PER_CALL));
  return out;
}
