/**
 * The ring entry a network worker writes for one send (one record, or a batch of records), and
 * the completion the store writer returns. Layout of an entry payload:
 *   [0]  int32 request id (the network worker's pending-send index)
 *   [4]  int32 worker id
 *   [8]  int32 queue slot
 *   [12] int32 record count
 *   [16] CommitLog records back to back, complete but for queue offset, physical offset and
 *        store timestamp, which the store writer patches in place.
 */
export const ENTRY_HEADER_SIZE = 16;

/** Completion: [request id, status, first queue offset, first physical offset] as float64s. */
export const COMPLETION_WORDS = 4;

export const PutStatus = {
  OK: 0,
  FLUSH_DISK_TIMEOUT: 10,
  MESSAGE_ILLEGAL: 13,
  SERVICE_NOT_AVAILABLE: 14,
} as const;

/**
 * Completion-port id reserved for the schedule service (an internal producer on the ring): the
 * first id after the network workers' 0..networkWorkers-1, which they never use. Dense ids keep
 * the store writer's per-worker completion loop as short as it was.
 */
export const scheduleWorkerId = (networkWorkers: number): number => networkWorkers;

/** Completion-port id reserved for the transaction check service: the one after the schedule service's. */
export const transactionWorkerId = (networkWorkers: number): number => networkWorkers + 1;
