import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { readLanguagePreference, saveLanguagePreference, type Language } from './language-preference';
import { en } from './locales/en';
import { zhCN } from './locales/zh-CN';

export const resources = {
  'zh-CN': { translation: zhCN },
  en: { translation: en },
} as const;

function browserStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

/** Starts i18next in the language the operator chose last time (Simplified Chinese at first). */
export async function initI18n(): Promise<void> {
  const language = readLanguagePreference(browserStorage());
  document.documentElement.lang = language;
  await i18next.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: 'zh-CN',
    interpolation: { escapeValue: false }, // React escapes what it renders
  });
}

/** Switches the interface language and remembers it in this browser. */
export async function changeLanguage(language: Language): Promise<void> {
  saveLanguagePreference(browserStorage(), language);
  document.documentElement.lang = language;
  await i18next.changeLanguage(language);
}
