/**
 * The movement rules of one rebalance, shared by its passes: which slots may move, and the one
 * way to move them (so "fresh" and "locked" bookkeeping cannot be forgotten).
 *
 * - A slot placed in this rebalance is "fresh": no data lives there yet, so it may move again
 *   freely, and doing so is not a data move.
 * - Moving any other slot is a data move: the partition becomes "locked" for the rest of the
 *   rebalance (at most one replica of a partition in flight), and a partition may only be moved
 *   when `minPartHours` have passed since its last move.
 */
import { type Placement, UNASSIGNED } from './placement';

export class RebalanceContext {
  /** Partitions that moved a replica in this rebalance. */
  readonly locked: Uint8Array;
  /** Slots (partition * replicas + replica) placed in this rebalance. */
  readonly fresh: Uint8Array;
  /** How many slots are fresh (0 lets passes skip looking for them). */
  freshCount = 0;

  readonly place: Placement;
  readonly replicas: number;
  /** The seeded visiting order of partitions for every pass. */
  readonly order: Uint32Array;
  private readonly movedAtHour: Uint32Array | null;
  private readonly minPartHours: number;
  private readonly nowHour: number;

  constructor(opts: {
    place: Placement;
    order: Uint32Array;
    /** Per partition, the hour of its last move (null: a new ring). */
    movedAtHour: Uint32Array | null;
    minPartHours: number;
    nowHour: number;
  }) {
    this.place = opts.place;
    this.replicas = opts.place.assignment.length;
    this.order = opts.order;
    this.movedAtHour = opts.movedAtHour;
    this.minPartHours = opts.minPartHours;
    this.nowHour = opts.nowHour;
    this.locked = new Uint8Array(opts.place.partitions);
    this.fresh = new Uint8Array(opts.place.partitions * this.replicas);
  }

  canMove(partition: number, replica: number): boolean {
    if (this.fresh[partition * this.replicas + replica] === 1) return true;
    if (this.locked[partition] === 1) return false;
    return this.movedAtHour === null || this.nowHour - this.movedAtHour[partition] >= this.minPartHours;
  }

  moveSlot(partition: number, replica: number, device: number): void {
    const slot = partition * this.replicas + replica;
    // Data moves unless the slot is fresh or empty (a removed device's slot counts: its data moves).
    if (this.fresh[slot] === 0 && this.place.assignment[replica][partition] !== UNASSIGNED) this.locked[partition] = 1;
    if (this.fresh[slot] === 0) this.freshCount++;
    this.fresh[slot] = 1;
    this.place.move(partition, replica, device);
  }
}
