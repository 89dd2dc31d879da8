import type { OutboxRecord } from './record.ts';

/**
 * Which records are with MQTT: handed out in order, acknowledged in any order. The acknowledged
 * bound moves only over a contiguous prefix, so the cursor never passes a record still in flight.
 */
export class Delivery {
  /** Record numbers handed out, in order, until acknowledged; `ackedOut` holds those acknowledged out of order. */
  private handedOut: number[] = [];
  private head = 0;
  private readonly ackedOut = new Set<number>();
  private readonly retryQueue: OutboxRecord[] = [];

  handOut(n: number): void {
    this.handedOut.push(n);
  }

  /**
   * Record n was acknowledged. Returns the new bound: every record numbered this or lower is done,
   * given that everything below `nextToHandOut` was handed out (or dropped, or never existed).
   */
  ack(n: number, nextToHandOut: number): number {
    this.ackedOut.add(n);
    while (this.head < this.handedOut.length && this.ackedOut.delete(this.handedOut[this.head] as number))
      this.head++;
    if (this.head > 1024 && this.head * 2 > this.handedOut.length) {
      this.handedOut.splice(0, this.head);
      this.head = 0;
    }
    const front = this.handedOut[this.head];
    return front === undefined ? nextToHandOut - 1 : front - 1;
  }

  /** Gives records back (their publish failed, or the connection went before they were sent). */
  retry(records: readonly OutboxRecord[]): void {
    this.retryQueue.push(...records);
    this.retryQueue.sort((a, b) => a.n - b.n);
  }

  /** Records given back, oldest first; they are still counted in flight. */
  takeRetries(max: number): OutboxRecord[] {
    return this.retryQueue.splice(0, max);
  }

  get inFlight(): number {
    return this.handedOut.length - this.head - this.ackedOut.size;
  }
}
