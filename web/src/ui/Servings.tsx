// The servings stepper of the recipe view and cook mode: −, a number field, +. The scaling itself
// is core's; this only picks the number.
export function ServingsStepper({ servings, onChange }: { servings: number; onChange: (servings: number) => void }) {
  return (
    <div className="servings">
      <button type="button" aria-label="Fewer servings" onClick={() => onChange(Math.max(1, servings - 1))}>
        −
      </button>
      <label>
        Servings
        <input
          type="number"
          min={1}
          max={1000}
          value={servings}
          onChange={(e) => {
            const n = Number(e.target.value);
            if (n > 0) onChange(n);
          }}
        />
      </label>
      <button type="button" aria-label="More servings" onClick={() => onChange(servings + 1)}>
        +
      </button>
    </div>
  );
}
