import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react';

export interface AsyncState<Value> {
  data: Value | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (after a change the page made itself). */
  reload: () => void;
}

/**
 * Runs a load when its inputs change and keeps the latest answer; an answer to an older request is ignored.
 * While reloading, the previous data stays on screen.
 */
export function useAsync<Value>(
  load: (signal: AbortSignal) => Promise<Value>,
  deps: DependencyList,
): AsyncState<Value> {
  const [state, setState] = useState<{ data?: Value; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ data: previous.data, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ error, loading: false });
      },
    );
    return () => controller.abort();
  }, [...deps, round]);

  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
