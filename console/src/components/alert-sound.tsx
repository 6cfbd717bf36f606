import { useEffect, useRef } from 'react';
import { useLiveTopic } from '../hooks/use-live-topic';
import { isAlertSoundMuted } from '../utils/sound-preference';

/**
 * Two short tones when a critical alert is raised (made with Web Audio, no sound file), at most once every
 * two seconds however many arrive; silent while muted. Counted in `data-played` for the tests.
 */
export function AlertSound() {
  const criticalRaised = useLiveTopic('criticalRaised');
  const seen = useRef(criticalRaised);
  const lastPlayed = useRef(0);
  const played = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    if (criticalRaised <= seen.current) return;
    seen.current = criticalRaised;
    if (isAlertSoundMuted() || Date.now() - lastPlayed.current < 2_000) return;
    lastPlayed.current = Date.now();
    const element = played.current;
    if (element) element.dataset.played = String(Number(element.dataset.played ?? 0) + 1);
    playAlarm();
  }, [criticalRaised]);

  return <span ref={played} className="visually-hidden" data-testid="alert-sound" data-played="0" aria-hidden="true" />;
}

let audio: AudioContext | undefined;

function playAlarm(): void {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    for (const [offset, frequency] of [
      [0, 880],
      [0.25, 660],
    ] as const) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.2);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.22);
    }
  } catch {
    // no audio device (or autoplay refused until the operator clicks): the red card still shows
  }
}
