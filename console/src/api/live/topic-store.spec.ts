import { describe, expect, it, vi } from 'vitest';
import { TopicStore } from './topic-store';

interface Topics {
  alpha: { value: number };
  beta: string;
}

const makeStore = () => new TopicStore<Topics>({ alpha: { value: 0 }, beta: 'initial' });

describe('TopicStore', () => {
  it('returns the value set for each topic', () => {
    const store = makeStore();
    store.set('beta', 'changed');
    expect(store.get('beta')).toBe('changed');
    expect(store.get('alpha')).toEqual({ value: 0 });
  });

  it('notifies only the subscribers of the topic that changed', () => {
    const store = makeStore();
    const alphaListener = vi.fn();
    const betaListener = vi.fn();
    store.subscribe('alpha', alphaListener);
    store.subscribe('beta', betaListener);

    store.set('alpha', { value: 1 });

    expect(alphaListener).toHaveBeenCalledTimes(1);
    expect(betaListener).not.toHaveBeenCalled();
  });

  it('does not notify when the same value is set again', () => {
    const store = makeStore();
    const listener = vi.fn();
    store.subscribe('beta', listener);
    store.set('beta', 'initial');
    expect(listener).not.toHaveBeenCalled();
  });

  it('passes the current value to update and stores what it returns', () => {
    const store = makeStore();
    store.update('alpha', (current) => ({ value: current.value + 5 }));
    expect(store.get('alpha')).toEqual({ value: 5 });
  });

  it('stops notifying after unsubscribe and forgets empty topics', () => {
    const store = makeStore();
    const listener = vi.fn();
    const unsubscribe = store.subscribe('alpha', listener);
    unsubscribe();
    store.set('alpha', { value: 2 });
    expect(listener).not.toHaveBeenCalled();
    expect(store.listenerCount('alpha')).toBe(0);
  });

  it('lets a listener unsubscribe while being notified without skipping the others', () => {
    const store = makeStore();
    const second = vi.fn();
    const unsubscribeFirst = store.subscribe('alpha', () => unsubscribeFirst());
    store.subscribe('alpha', second);
    store.set('alpha', { value: 3 });
    expect(second).toHaveBeenCalledTimes(1);
    expect(store.listenerCount('alpha')).toBe(1);
  });
});
