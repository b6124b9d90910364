import { loadMpi } from './native.js';
import { requireWorld } from './world.js';

/**
 * A process group (MegEngine's `Group`/`new_group`): a subset of the world's ranks with its own
 * MPI communicator. Collectives given a group involve only its members; `rank` is this process's
 * index in the group. WORLD, the default of every collective, is all ranks.
 */
export class Group {
  /** World ranks of the members, in group order. */
  readonly ranks: readonly number[] | null;
  /** @internal the communicator handle; null on a rank outside the group */
  readonly handle: number | null;

  /** @internal use newGroup */
  constructor(ranks: readonly number[] | null, handle: number | null) {
    this.ranks = ranks;
    this.handle = handle;
  }

  /** The members' world ranks. */
  memberRanks(op: string): readonly number[] {
    if (this.ranks) return this.ranks;
    const { size } = requireWorld(op);
    return Array.from({ length: size }, (_, i) => i);
  }

  get size(): number {
    return this.memberRanks('Group.size').length;
  }

  /** This process's index in the group, -1 when it is not a member. */
  get rank(): number {
    return this.memberRanks('Group.rank').indexOf(requireWorld('Group.rank').rank);
  }

  get isMember(): boolean {
    return this.handle !== null;
  }

  /** Frees the communicator (members only; WORLD is never freed). */
  free(): void {
    if (this.handle !== null && this.handle !== 0) loadMpi('Group.free').commFree(this.handle);
    (this as { handle: number | null }).handle = null;
  }
}

/** All ranks. */
export const WORLD = new Group(null, 0);

let creations = 0;

/**
 * A group of the given world ranks (MegEngine's new_group). Every rank of the world must call
 * newGroup with the same ranks in the same order, members or not: creations are numbered so that
 * concurrent groups never mix.
 */
export function newGroup(ranks: readonly number[]): Group {
  const { rank, size } = requireWorld('newGroup');
  if (!Array.isArray(ranks) || ranks.length === 0) {
    throw new TypeError(`newGroup: argument 'ranks' must be a non-empty array of ranks, got ${String(ranks)}`);
  }
  const seen = new Set<number>();
  for (const r of ranks) {
    if (!Number.isInteger(r) || r < 0 || r >= size)
      throw new RangeError(`newGroup: every rank must be an integer in [0, ${size}), got ${String(r)}`);
    if (seen.has(r)) throw new RangeError(`newGroup: rank ${r} is listed twice`);
    seen.add(r);
  }
  const tag = ++creations;
  const handle = seen.has(rank) ? loadMpi('newGroup').commCreate(Int32Array.from(ranks), tag) : null;
  return new Group([...ranks], handle);
}

/** The communicator of `group` for a collective, with this rank's index and the group size. */
export function commOf(op: string, group: Group | undefined): { handle: number; rank: number; size: number; ranks: readonly number[] } {
  const g = group ?? WORLD;
  if (!(g instanceof Group))
    throw new TypeError(`${op}: argument 'group' must be a Group (from newGroup) or undefined, got ${String(group)}`);
  const ranks = g.memberRanks(op);
  const { rank } = requireWorld(op);
  if (g.handle === null) {
    throw new Error(`${op}: rank ${rank} is not a member of the group [${ranks.join(', ')}] (or the group was freed)`);
  }
  return { handle: g.handle, rank: ranks.indexOf(rank), size: ranks.length, ranks };
}
