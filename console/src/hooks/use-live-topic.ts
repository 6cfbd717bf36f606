import { useCallback, useSyncExternalStore } from 'react';
import type { LiveTopics } from '../api/live/live-store';
import { useLiveStore } from '../context/live-store-context';

/** The current value of one live topic; the component re-renders only when that topic changes. */
export function useLiveTopic<Topic extends keyof LiveTopics>(topic: Topic): LiveTopics[Topic] {
  const store = useLiveStore();
  const subscribe = useCallback((listener: () => void) => store.subscribe(topic, listener), [store, topic]);
  const read = useCallback(() => store.get(topic), [store, topic]);
  return useSyncExternalStore(subscribe, read);
}
