/** A row of toggle buttons for a list filter (colours, classes, directions, tollgates): keyboard and screen-reader friendly. */
export function MultiToggle({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: readonly { value: string; label: string }[];
  value: readonly string[];
  onChange: (next: string[]) => void;
}) {
  return (
    <fieldset className="multi-toggle">
      <legend>{label}</legend>
      {options.map((option) => {
        const on = value.includes(option.value);
        return (
          <button
            key={option.value}
            type="button"
            aria-pressed={on}
            onClick={() => onChange(on ? value.filter((v) => v !== option.value) : [...value, option.value])}
          >
            {option.label}
          </button>
        );
      })}
    </fieldset>
  );
}
