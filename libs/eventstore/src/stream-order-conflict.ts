/**
 * The stream's last writer is a transaction with a higher id than the current one: appending now
 * would let the relay (which publishes in transaction-id order) put this later stream position on
 * Kafka before the earlier one. Nothing was written. Retrying in a new transaction succeeds; the
 * store does that itself for its own transactions, and a caller's transaction (a processor batch)
 * is retried by the projection runner, which treats SQLSTATE 40001 as transient.
 */
export class StreamOrderConflict extends Error {
  override name = 'StreamOrderConflict';
  /** serialization_failure: "retry the transaction" to anything that reads SQLSTATEs. */
  readonly code = '40001';

  constructor(readonly streamId: string) {
    super(`stream ${streamId} was last written by a newer transaction; retry in a new transaction to keep stream order on the log`);
  }
}
