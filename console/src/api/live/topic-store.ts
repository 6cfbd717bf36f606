/** Called when the value of the topic it subscribed to changes. */
export type TopicListener = () => void;

/**
 * Live state kept outside React, one value per topic. Each topic has its own listeners, so a change
 * to one topic wakes only the components reading that topic (through `useSyncExternalStore`).
 */
export class TopicStore<Topics extends object> {
  private readonly values: Topics;
  private readonly listeners = new Map<keyof Topics, Set<TopicListener>>();

  constructor(initialValues: Topics) {
    this.values = { ...initialValues };
  }

  get<Topic extends keyof Topics>(topic: Topic): Topics[Topic] {
    return this.values[topic];
  }

  /** Replaces a topic's value; listeners run only when the value is a different object. */
  set<Topic extends keyof Topics>(topic: Topic, value: Topics[Topic]): void {
    if (Object.is(this.values[topic], value)) return;
    this.values[topic] = value;
    for (const listener of [...(this.listeners.get(topic) ?? [])]) listener();
  }

  update<Topic extends keyof Topics>(topic: Topic, change: (current: Topics[Topic]) => Topics[Topic]): void {
    this.set(topic, change(this.values[topic]));
  }

  /** Returns the function that ends the subscription. */
  subscribe<Topic extends keyof Topics>(topic: Topic, listener: TopicListener): () => void {
    let topicListeners = this.listeners.get(topic);
    if (!topicListeners) {
      topicListeners = new Set();
      this.listeners.set(topic, topicListeners);
    }
    topicListeners.add(listener);
    return () => {
      topicListeners.delete(listener);
      if (topicListeners.size === 0) this.listeners.delete(topic);
    };
  }

  listenerCount(topic: keyof Topics): number {
    return this.listeners.get(topic)?.size ?? 0;
  }
}
