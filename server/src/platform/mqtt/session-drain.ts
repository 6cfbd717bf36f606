/** What a drain watches on one MQTT connection. */
export interface DrainProbe {
  /** When the last message arrived (ms since the epoch). */
  lastMessageAt(): number;
  /** Messages received and not yet committed (acknowledgements still held). */
  pending(): number;
  /** Why the connection is gone, if it is. */
  closedBecause(): string | undefined;
}

export interface DrainTiming {
  /** A session is drained once nothing arrived for this long and nothing is pending. */
  quietMs: number;
  timeoutMs: number;
  pollMs?: number;
  now?: () => number;
}

/**
 * Waits until a session has handed over what the broker held for it. The broker sends a session's queue
 * as fast as the connection takes it, so a quiet spell with every acknowledgement sent means it is empty.
 */
export async function waitUntilDrained(
  probe: DrainProbe,
  timing: DrainTiming,
): Promise<{ drained: boolean; reason?: string }> {
  const now = timing.now ?? Date.now;
  const deadline = now() + timing.timeoutMs;
  for (;;) {
    const closed = probe.closedBecause();
    if (closed) return { drained: false, reason: closed };
    if (probe.pending() === 0 && now() - probe.lastMessageAt() >= timing.quietMs) return { drained: true };
    if (now() >= deadline) {
      return { drained: false, reason: `still receiving after ${Math.round(timing.timeoutMs / 1000)} s` };
    }
    await new Promise((resolve) => setTimeout(resolve, timing.pollMs ?? 100));
  }
}
