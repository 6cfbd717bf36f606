import { describe, expect, it } from 'vitest';
import { LANGUAGE_STORAGE_KEY, readLanguagePreference, saveLanguagePreference } from './language-preference';

function memoryStorage(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
  };
}

const brokenStorage = {
  getItem: (): string | null => {
    throw new Error('SecurityError');
  },
  setItem: () => {
    throw new Error('QuotaExceededError');
  },
};

describe('language preference', () => {
  it('defaults to Simplified Chinese', () => {
    expect(readLanguagePreference(memoryStorage())).toBe('zh-CN');
    expect(readLanguagePreference(undefined)).toBe('zh-CN');
  });

  it('reads back what was saved', () => {
    const storage = memoryStorage();
    saveLanguagePreference(storage, 'en');
    expect(storage.getItem(LANGUAGE_STORAGE_KEY)).toBe('en');
    expect(readLanguagePreference(storage)).toBe('en');
  });

  it('ignores a saved value that is not a language of the console', () => {
    expect(readLanguagePreference(memoryStorage({ [LANGUAGE_STORAGE_KEY]: 'fr' }))).toBe('zh-CN');
  });

  it('survives storage the browser refuses', () => {
    expect(readLanguagePreference(brokenStorage)).toBe('zh-CN');
    expect(() => saveLanguagePreference(brokenStorage, 'en')).not.toThrow();
  });
});
